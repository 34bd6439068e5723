"""The `dealsignal` command line. Each command imports what it runs inside its body, so
`dealsignal --help` (and every command) starts without loading the engines it does not use."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from api.cli.bench import bench_app
from api.cli.blobs import blobs_app
from api.cli.bots import bots_app
from api.cli.pdf import pdf_app
from api.cli.scoring_runs import scoring_app
from api.cli.store import fail, open_store, tenant_named
from api.cli.synthetic import print_fit, synthetic_app
from tracker.config import Settings
from tracker.errors import DealsignalError
from tracker.types import Scope

if TYPE_CHECKING:
    from api.services import Services

__all__ = ["app", "main"]

app = typer.Typer(
    help="dealsignal: tracked proposals and deal engagement scores.", no_args_is_help=True
)
keys_app = typer.Typer(help="Manage API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(synthetic_app, name="synthetic")
app.add_typer(scoring_app, name="scoring")
app.add_typer(pdf_app, name="pdf")
app.add_typer(bots_app, name="bots")
app.add_typer(blobs_app, name="blobs")
app.add_typer(bench_app, name="bench")


DEMO_EMAIL = "demo@dealsignal.local"


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(0o600)


def bootstrap_embedded(settings: Settings) -> list[str]:
    """On the first embedded start: the `demo` tenant, an admin API key (saved to
    `<data dir>/admin_key`) and a person to sign in as (saved to `<data dir>/demo_login`),
    both mode 600. Returns what to tell the operator."""
    from tracker.api_keys import create_api_key
    from tracker.tenants import ensure_tenant
    from tracker.users import create_user

    key_path, login_path = settings.data_dir / "admin_key", settings.data_dir / "demo_login"
    if key_path.exists() and login_path.exists():
        return []
    told = []
    with open_store(settings) as ch:
        tenant = ensure_tenant(ch, "demo")
        if not key_path.exists():
            _, plaintext = create_api_key(ch, tenant.tenant_id, Scope.ADMIN, "bootstrap")
            _write_secret(key_path, plaintext)
            told.append(f"admin API key (saved in {key_path}):\n{plaintext}")
        if not login_path.exists():
            password = secrets.token_urlsafe(12)
            create_user(ch, tenant.tenant_id, DEMO_EMAIL, "Demo Admin", "admin", password)
            _write_secret(login_path, f"{DEMO_EMAIL} {password}")
            told.append(
                f"sign in at /app/login as {DEMO_EMAIL} / {password} (saved in {login_path})"
            )
    return told


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="port to bind"),
    workers: int = typer.Option(1, help="API worker processes (server mode only)"),
) -> None:
    """Run the service. Embedded mode: one process runs API + writer + scheduler."""
    import uvicorn

    from api.log_format import configure_logging

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    if settings.embedded:
        if workers != 1:
            fail("embedded mode runs one process; use server mode for several workers")
        for line in bootstrap_embedded(settings):
            typer.echo(line)
        typer.echo("then, in another shell: .venv/bin/dealsignal demo")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Forwarded headers are the app's business (`trusted_proxies`); uvicorn's default
        # would believe any X-Forwarded-For from loopback.
        proxy_headers=False,
        # Our handlers and our access log (api.request_log): one JSON schema for every line.
        log_config=None,
        access_log=False,
        log_level=settings.log_level.lower(),
    )


@app.command()
def writer(
    consumer: str = typer.Option(
        socket.gethostname(), help="stable consumer name: a restarted writer resumes its batches"
    ),
) -> None:
    """Move events from the Redis stream into ClickHouse (server mode; embedded mode runs
    this inside `serve`). Stops cleanly on SIGTERM/SIGINT; pending batches are resumed."""
    from api.log_format import configure_logging

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run_writer(settings, consumer))


async def _serve_until_signal(settings: Settings, *loops: str, consumer: str = "") -> None:
    from api.services import open_services
    from api.workers import make_dispatcher, make_render_pool, make_scheduler, make_writer

    services: Services = await open_services(settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, services.stop.set)
    runners = {
        "writer": lambda: make_writer(services, consumer).run_forever(services.stop),
        "webhooks": lambda: make_dispatcher(services).run_forever(services.stop),
        "scheduler": lambda: make_scheduler(services).run_forever(services.stop),
        "renderers": lambda: make_render_pool(services).run_forever(services.stop),
    }
    try:
        logging.getLogger("dealsignal").info("running %s", ", ".join(loops))
        await asyncio.gather(*(runners[name]() for name in loops))
    finally:
        await services.close()


async def run_writer(settings: Settings, consumer: str) -> None:
    await _serve_until_signal(settings, "writer", consumer=consumer)


@app.command()
def worker() -> None:
    """Deliver webhooks, run the scheduled jobs (stall detection, briefings) and render page
    images in the background. Server mode; safe to run several (deliveries and render jobs
    are claimed, jobs are locked)."""
    from api.log_format import configure_logging

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(_serve_until_signal(settings, "webhooks", "scheduler", "renderers"))


@app.command()
def health() -> None:
    """Exit 0 when the stores answer (Redis PING, ClickHouse SELECT 1): the writer's and
    worker's container healthcheck in server mode (the API has GET /readyz)."""
    import redis

    from tracker.stores import open_clickhouse

    settings = Settings()
    if settings.embedded or not settings.redis_url:
        fail("`health` checks server mode's stores; in embedded mode use GET /readyz")
    try:
        redis.Redis.from_url(settings.redis_url, socket_timeout=3).ping()
        ch = open_clickhouse(settings)
        try:
            ch.query("SELECT 1 AS ok")
        finally:
            ch.close()
    except Exception as exc:  # any failure is "unhealthy"; the reason goes to the log
        fail(f"unhealthy: {type(exc).__name__}: {exc}")
    typer.echo("ok")


@app.command()
def migrate() -> None:
    """Apply pending ClickHouse migrations (also done at every start)."""
    settings = Settings()
    with open_store(settings) as ch:
        typer.echo(f"schema up to date in database `{ch.database}`")


@keys_app.command("create")
def keys_create(
    tenant: str = typer.Option(..., help="tenant name (created if new)"),
    scope: Scope = typer.Option(..., help="reps | crm | admin (admin implies the others)"),
    name: str = typer.Option("", help="a label for the key"),
) -> None:
    """Create a key; the plaintext is printed once, alone on the last line."""
    from tracker.api_keys import create_api_key
    from tracker.tenants import ensure_tenant

    with open_store(Settings()) as ch:
        found = ensure_tenant(ch, tenant)
        key, plaintext = create_api_key(ch, found.tenant_id, scope, name)
    typer.echo(f"tenant {found.name} ({found.tenant_id}) key {key.key_id} scope {scope.value}")
    typer.echo("store this key now; it is not shown again:")
    typer.echo(plaintext)


@keys_app.command("list")
def keys_list(tenant: str = typer.Option(..., help="tenant name")) -> None:
    from tracker.api_keys import list_api_keys

    with open_store(Settings()) as ch:
        for key in list_api_keys(ch, tenant_named(ch, tenant)):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(f"{key.key_id}\t{key.scope.value}\t{state}\t{key.name}")


@keys_app.command("revoke")
def keys_revoke(
    key_id: str = typer.Argument(..., help="the key id (key_…)"),
    tenant: str = typer.Option(..., help="tenant name"),
) -> None:
    from tracker.api_keys import revoke_api_key

    with open_store(Settings()) as ch:
        try:
            revoke_api_key(ch, tenant_named(ch, tenant), key_id)
        except DealsignalError as exc:
            fail(exc.message)
    typer.echo(f"revoked {key_id}")


@app.command()
def identify(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Name the recipient behind a leaked copy of a watermarked PDF."""
    from tracker.links import find_link_for_operator
    from watermark import identify_pdf

    result = identify_pdf(path.read_bytes())
    typer.echo(
        f"confidence: {result.confidence.value}; marks found: "
        f"{', '.join(m.value for m in result.marks) or 'none'}"
    )
    if not result.link_ids:
        fail("no dealsignal marks found in this file")
    with open_store(Settings()) as ch:
        for link_id in result.link_ids:
            link = find_link_for_operator(ch, link_id)
            if link is None:
                typer.echo(f"{link_id}: not a link of this deployment")
                continue
            typer.echo(
                f"{link_id}: {link.recipient_name} <{link.recipient_email}> "
                f"tenant {link.tenant_id} document {link.document_id}"
            )


users_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create(
    tenant: str = typer.Option(..., help="tenant name (created if new)"),
    email: str = typer.Option(...),
    name: str = typer.Option(...),
    role: str = typer.Option("rep", help="rep | manager | admin"),
    manager: str = typer.Option("", help="the manager's email (reps)"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a person; they sign in at /app/login."""
    from tracker.tenants import ensure_tenant
    from tracker.users import create_user

    with open_store(Settings()) as ch:
        found = ensure_tenant(ch, tenant)
        try:
            user = create_user(ch, found.tenant_id, email, name, role, password, manager)
        except DealsignalError as exc:
            fail(exc.message)
    typer.echo(f"created {user.email} ({role}) in tenant {found.name}")


@app.command()
def calibrate(tenant: str = typer.Option(..., help="tenant name")) -> None:
    """Re-fit the health weights and the calibrated probability from won/lost outcomes within
    the guardrails; applied (or proposed) only if the held-out Brier improves and AUC does not
    get worse. Prints the credibility index's own AUC. The same run as the monthly job; while
    the server runs use POST /api/v1/jobs/calibration/run (the embedded store admits one
    process)."""
    from scoring import calibrate as fit_weights

    settings = Settings()
    with open_store(settings) as ch:
        result = fit_weights(ch, tenant_named(ch, tenant), settings)
    print_fit(result)
    typer.echo(f"run: {result.status.value}")
    after = result.weights.get("pillar_weights", {})
    for pillar, before in result.before_weights.items():
        fitted = result.weights.get("fitted_pillar_weights", {}).get(pillar)
        shown = "—" if fitted is None else f"{fitted:.1f}"
        typer.echo(
            f"{pillar:>13}: {before:5.1f} % → {after.get(pillar, before):5.1f} % (fit {shown})"
        )


@app.command()
def demo(
    base_url: str = typer.Option("", help="default: DEALSIGNAL_PUBLIC_BASE_URL"),
    seed: int = typer.Option(7),
) -> None:
    """Replay a realistic deal through the running server's real endpoints and print who
    read what and the engagement it produced (start `dealsignal serve` first)."""
    from api.cli.demo.flow import run_demo_sync

    settings = Settings()
    key_path = settings.data_dir / "admin_key"
    if not key_path.exists():
        fail(f"{key_path} not found: start the server once (make run) to create it")
    import httpx

    try:
        run_demo_sync(base_url or settings.public_base_url, key_path.read_text().strip(), seed=seed)
    except httpx.HTTPStatusError as exc:  # the server's answer, not a traceback
        answer = exc.response
        fail(f"{answer.request.method} {answer.request.url.path} -> {answer.status_code}: "
             f"{answer.text[:300]}")  # fmt: skip
    except httpx.TransportError as exc:
        fail(f"cannot reach {base_url or settings.public_base_url}: {exc}")


def main() -> None:
    try:
        app()
    except DealsignalError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
