"""Engagement: signals aggregated from events and CRM activity, the score with its factors,
its epoch-keyed cache and warmer, and the CRM's bulk sync."""

__all__: list[str] = []
