"""Health: point-in-time features, the four pillars, bands, next actions, and the fit of the
pillar weights from outcomes."""

__all__: list[str] = []
