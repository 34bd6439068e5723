"""The `dealsignal` command line."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import uvicorn

from api.app import batch_listeners
from api.services import open_services
from ingest import Writer
from tracker.api_keys import create_api_key, list_api_keys, revoke_api_key
from tracker.clickhouse import ClickHouse, apply_migrations, open_clickhouse, render_context
from tracker.config import Settings
from tracker.errors import DealsignalError
from tracker.links import find_link_for_operator
from tracker.tenants import ensure_tenant, find_tenant
from tracker.types import Scope
from watermark import identify_pdf

__all__ = ["app", "main"]

app = typer.Typer(
    help="dealsignal: tracked proposals and deal engagement scores.", no_args_is_help=True
)
keys_app = typer.Typer(help="Manage API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@contextmanager
def _store(settings: Settings) -> Iterator[ClickHouse]:
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
        _fail(f"{exc.message}{hint}")
        raise  # unreachable: _fail exits
    try:
        apply_migrations(ch, render_context(settings))
        yield ch
    finally:
        ch.close()


def bootstrap_admin_key(settings: Settings) -> str | None:
    """On the first embedded start, create the `demo` tenant and an admin key, saved to
    `<data dir>/admin_key` (mode 600) so the operator can make further keys over HTTP."""
    path = settings.data_dir / "admin_key"
    if path.exists():
        return None
    with _store(settings) as ch:
        tenant = ensure_tenant(ch, "demo")
        _, plaintext = create_api_key(ch, tenant.tenant_id, Scope.ADMIN, "bootstrap")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(plaintext + "\n")
    path.chmod(0o600)
    return plaintext


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="port to bind"),
    workers: int = typer.Option(1, help="API worker processes (server mode only)"),
) -> None:
    """Run the service. Embedded mode: one process runs API + writer + scheduler."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if settings.embedded:
        if workers != 1:
            _fail("embedded mode runs one process; use server mode for several workers")
        created = bootstrap_admin_key(settings)
        if created:
            typer.echo(
                f"created tenant `demo` and an admin key (saved in "
                f"{settings.data_dir / 'admin_key'}):\n{created}"
            )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@app.command()
def writer(
    consumer: str = typer.Option(
        socket.gethostname(), help="stable consumer name: a restarted writer resumes its batches"
    ),
) -> None:
    """Move events from the Redis stream into ClickHouse (server mode; embedded mode runs
    this inside `serve`). Stops cleanly on SIGTERM/SIGINT; pending batches are resumed."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run_writer(settings, consumer))


async def run_writer(settings: Settings, consumer: str) -> None:
    services = await open_services(settings)
    stop = services.stop
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        batch_writer = Writer(
            settings,
            services.redis.client,
            services.clickhouse,
            consumer=consumer,
            listeners=batch_listeners(services),
        )
        logging.getLogger("dealsignal").info("writer %s started", consumer)
        await batch_writer.run_forever(stop)
    finally:
        await services.close()


@app.command()
def migrate() -> None:
    """Apply pending ClickHouse migrations (also done at every start)."""
    settings = Settings()
    with _store(settings) as ch:
        typer.echo(f"schema up to date in database `{ch.database}`")


@keys_app.command("create")
def keys_create(
    tenant: str = typer.Option(..., help="tenant name (created if new)"),
    scope: Scope = typer.Option(..., help="reps | crm | admin (admin implies the others)"),
    name: str = typer.Option("", help="a label for the key"),
) -> None:
    """Create a key; the plaintext is printed once, alone on the last line."""
    with _store(Settings()) as ch:
        found = ensure_tenant(ch, tenant)
        key, plaintext = create_api_key(ch, found.tenant_id, scope, name)
    typer.echo(f"tenant {found.name} ({found.tenant_id}) key {key.key_id} scope {scope.value}")
    typer.echo("store this key now; it is not shown again:")
    typer.echo(plaintext)


@keys_app.command("list")
def keys_list(tenant: str = typer.Option(..., help="tenant name")) -> None:
    with _store(Settings()) as ch:
        found = find_tenant(ch, tenant)
        if found is None:
            _fail(f"no tenant named {tenant!r}")
            return
        for key in list_api_keys(ch, found.tenant_id):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(f"{key.key_id}\t{key.scope.value}\t{state}\t{key.name}")


@keys_app.command("revoke")
def keys_revoke(
    key_id: str = typer.Argument(..., help="the key id (key_…)"),
    tenant: str = typer.Option(..., help="tenant name"),
) -> None:
    with _store(Settings()) as ch:
        found = find_tenant(ch, tenant)
        if found is None:
            _fail(f"no tenant named {tenant!r}")
            return
        try:
            revoke_api_key(ch, found.tenant_id, key_id)
        except DealsignalError as exc:
            _fail(exc.message)
    typer.echo(f"revoked {key_id}")


@app.command()
def identify(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Name the recipient behind a leaked copy of a watermarked PDF."""
    result = identify_pdf(path.read_bytes())
    typer.echo(
        f"confidence: {result.confidence.value}; marks found: "
        f"{', '.join(m.value for m in result.marks) or 'none'}"
    )
    if not result.link_ids:
        _fail("no dealsignal marks found in this file")
    with _store(Settings()) as ch:
        for link_id in result.link_ids:
            link = find_link_for_operator(ch, link_id)
            if link is None:
                typer.echo(f"{link_id}: not a link of this deployment")
                continue
            typer.echo(
                f"{link_id}: {link.recipient_name} <{link.recipient_email}> "
                f"tenant {link.tenant_id} document {link.document_id}"
            )


def main() -> None:
    try:
        app()
    except DealsignalError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
