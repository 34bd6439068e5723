"""Accounts over the API: the CRM's accounts and finance records, freezes and their
unfreezing (`routes`), customer health per account and its list (`health`), and the payloads
both share (`payloads`)."""

from __future__ import annotations

__all__: list[str] = []
