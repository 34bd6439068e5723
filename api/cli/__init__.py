"""The `dealsignal` command line (`api.cli.commands`) and its demo (`api.cli.demo`)."""

from __future__ import annotations

from api.cli.commands import app, main

__all__ = ["app", "main"]
