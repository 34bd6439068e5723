"""Synthetic sales data drawn from a hidden deal quality: accounts, people, deals with
stage histories and outcomes, conversations, documents and viewing behaviour (humans and
bots), written straight into the stores. For benchmarks, calibration and the demo; never
mixed into a real tenant. The entry points are re-exported by `scoring`."""

__all__: list[str] = []
