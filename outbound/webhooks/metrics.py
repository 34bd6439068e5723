"""Prometheus metrics of outbound delivery (webhooks and people's channels alike: one
dispatcher delivers both), in the default registry the API exposes at `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["DELIVERIES", "DELIVERY_SECONDS"]

DELIVERIES = Counter(
    "dealsignal_outbound_deliveries_total",
    "Delivery attempts by channel (webhook, wecom, feishu, slack, email) and outcome",
    ["channel", "status"],
)
DELIVERY_SECONDS = Histogram(
    "dealsignal_outbound_delivery_seconds",
    "Time one delivery attempt took, by channel",
    ["channel"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
