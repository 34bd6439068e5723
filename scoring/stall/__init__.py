"""Stalls: the rules that find them (`detect`) and their episodes in ClickHouse (`store`)."""

__all__: list[str] = []
