"""What the commands that open the store share: the store itself (migrated), a tenant found
by name, and failing with a message instead of a traceback. Imports stay light so that
`dealsignal --help` does not load the engines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

from tracker.config import Settings
from tracker.errors import DealsignalError

if TYPE_CHECKING:
    from tracker.stores import ClickHouse

__all__ = ["fail", "open_store", "tenant_named"]


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@contextmanager
def open_store(settings: Settings) -> Iterator[ClickHouse]:
    from tracker.stores import apply_migrations, open_clickhouse, render_context

    try:
        ch = open_clickhouse(settings)
    except DealsignalError as exc:
        hint = ""
        if settings.embedded:
            hint = (
                " — in embedded mode only one process may open the data dir; if `dealsignal "
                "serve` is running, use the HTTP API (POST /api/v1/keys with the admin key in "
                f"{settings.data_dir / 'admin_key'}) or stop the server first"
            )
        fail(f"{exc.message}{hint}")
    try:
        apply_migrations(ch, render_context(settings))
        yield ch
    finally:
        ch.close()


def tenant_named(ch: ClickHouse, name: str) -> str:
    """The id of the tenant called `name`; exits with a message when there is none."""
    from tracker.tenants import find_tenant

    found = find_tenant(ch, name)
    if found is None:
        fail(f"no tenant named {name!r}")
    return found.tenant_id
