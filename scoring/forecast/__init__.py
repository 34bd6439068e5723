"""The forecast: evidence chain and credibility index per opportunity, the roll-up with
its simulation, and the daily snapshots that calibration compares with outcomes."""

__all__: list[str] = []
