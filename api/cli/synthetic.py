"""`dealsignal synthetic`: realistic sales data for demos, calibration and benchmarks, drawn
from a hidden deal quality (`scoring.synthetic`) and written into the configured store under
tenants of its own (`ten_syn<seed>_<n>`), never into a real tenant."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from api.cli.store import fail, open_store
from tracker.config import ClickHouseMode, Settings

if TYPE_CHECKING:
    from scoring import CalibrationResult

__all__ = ["print_fit", "synthetic_app"]

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


@synthetic_app.command("calibrate")
def calibrate(
    opportunities: int = typer.Option(800, min=50, max=20_000),
    seed: int = typer.Option(5),
    days: int = typer.Option(365, min=90, max=730),
    step_days: int = typer.Option(28, min=7, max=90),
) -> None:
    """Calibrate on synthetic deals (hidden quality drives direction, attendance, held
    meetings and revisions) in a throwaway embedded store, not the configured one; prints the
    held-out scores and whether the brief's credibility index alone separates won from lost
    (its AUC, and each input's)."""
    from scoring import calibrate as fit_weights
    from scoring import generate_synthetic, load_synthetic

    with tempfile.TemporaryDirectory(prefix="dealsignal-synthetic-") as tmp:
        settings = Settings(data_dir=Path(tmp), clickhouse_mode=ClickHouseMode.EMBEDDED)
        data = generate_synthetic(opportunities, seed=seed, days=days, tenants=1)
        with open_store(settings) as ch:
            counts = load_synthetic(ch, data)
            start = data.start + timedelta(days=30)
            result = fit_weights(
                ch, data.tenant_ids[0], settings, start=start, end=data.end,
                step_days=step_days, now=data.end,
            )  # fmt: skip
    typer.echo(
        f"synthetic: {opportunities} deals, seed {seed}, {counts['activities']} activities, "
        f"{counts['events']} events"
    )
    print_fit(result)


def print_fit(result: CalibrationResult) -> None:
    """A calibration's held-out scores and the credibility index's own separation."""
    for label, scores in (
        ("CRM baseline", result.baseline),
        ("before", result.before),
        ("after", result.after),
    ):
        if scores is not None:
            auc = "n/a" if scores.auc is None else f"{scores.auc:.3f}"
            typer.echo(f"{label:>13}: held-out Brier {scores.brier:.4f}, AUC {auc}")
    if result.credibility_auc is not None:
        typer.echo(
            f"credibility index alone: AUC {result.credibility_auc:.3f} "
            f"(won vs lost, {result.credibility_rows} snapshots)"
        )
        for name, alone in result.input_auc.items():
            typer.echo(f"  {name} alone: AUC {alone:.3f}")
    verdict = "stored as " + result.model_version if result.accepted else "not stored"
    typer.echo(
        f"{result.deals} deals, {result.train_rows} train / {result.test_rows} held-out "
        f"rows; {verdict}: {result.reason}"
    )
