"""`dealsignal synthetic`: realistic sales data for demos, calibration and benchmarks, drawn
from a hidden deal quality (`scoring.synthetic`) and written into the configured store under
tenants of its own (`ten_syn<seed>_<n>`), never into a real tenant."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from api.cli.store import fail, open_store
from tracker.config import Settings

__all__ = ["synthetic_app"]

synthetic_app = typer.Typer(
    help="Generate synthetic sales data into the configured store.", no_args_is_help=True
)


@synthetic_app.command("deals")
def deals(
    opportunities: int = typer.Option(10_000, min=1, help="how many deals"),
    seed: int = typer.Option(7, help="the same seed gives the same rows"),
    tenants: int = typer.Option(1, min=1, help="tenants the deals are spread over"),
    days: int = typer.Option(365, min=30, help="window ending today, midnight UTC"),
    ids_out: Path | None = typer.Option(None, help="write the opportunity ids here, one a line"),
) -> None:
    """Deals with accounts, people, stage history, activities, outcomes, documents, links and
    their readers (people and bots). Prints one JSON object: tenants, rows per table, the
    window's end (score "as of" it) and the seconds spent."""
    from scoring import generate_synthetic, load_synthetic

    started = time.perf_counter()
    try:
        dataset = generate_synthetic(opportunities, seed=seed, days=days, tenants=tenants)
    except ValueError as exc:
        fail(str(exc))
    with open_store(Settings()) as ch:
        rows = load_synthetic(ch, dataset)
    names = dataset.tables["tenants"].column("name").to_pylist()
    ids = dataset.truth.column("opportunity_id").to_pylist()
    if ids_out is not None:
        ids_out.write_text("".join(f"{opportunity}\n" for opportunity in ids))
    summary = {
        "tenants": [
            {"tenant_id": tenant, "name": name}
            for tenant, name in zip(dataset.tenant_ids, names, strict=True)
        ],
        "rows": rows,
        "window_end": dataset.end.isoformat(),
        "seconds": round(time.perf_counter() - started, 3),
    }
    typer.echo(json.dumps(summary, ensure_ascii=False))
