"""Counters of the background page-image pool (read on /metrics, and by bench_upload to
know when every queued page is ready)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["RENDER_IMAGES", "RENDER_JOBS"]

RENDER_JOBS = Counter(
    "dealsignal_render_jobs_total",
    "Page-image jobs by stream (first: page 1, later: the rest) and outcome: enqueued, "
    "rendered (done, images made or already cached), skipped (link or version no longer "
    "wanted), failed (left for another claim), poisoned (dropped after too many claims)",
    ["stream", "outcome"],
)
RENDER_IMAGES = Counter(
    "dealsignal_render_images_total", "Page images rendered by the background pool"
)
