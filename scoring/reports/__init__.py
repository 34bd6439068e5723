"""The managers' reports: forecast calibration and process health."""

__all__: list[str] = []
