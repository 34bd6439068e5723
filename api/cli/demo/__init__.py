"""`dealsignal demo`: a CRM, three buyers and a WeCom robot replayed over HTTP against a
running server."""

__all__: list[str] = []
