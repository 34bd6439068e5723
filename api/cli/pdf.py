"""`dealsignal pdf`: what the upload route would make of a PDF, without uploading it — the
verdict (or the refusal's code), pages and words, the active content sanitising removes —
with the seconds the one-pass preparation took (`watermark.prepare_pdf`, the route's call)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from tracker.config import Settings
from tracker.errors import DealsignalError

__all__ = ["pdf_app"]

pdf_app = typer.Typer(help="Check PDFs the way uploads are checked.", no_args_is_help=True)


@pdf_app.command("inspect")
def inspect(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    repeat: int = typer.Option(1, min=1, max=100, help="prepare it this many times (timing)"),
) -> None:
    """Prints one JSON object: `accepted` with the facts, or the refusal's `code` and
    message, and `seconds` (one entry per repetition)."""
    from watermark import prepare_pdf

    data, limits = path.read_bytes(), Settings().limits
    seconds: list[float] = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            prepared = prepare_pdf(data, limits)
            seconds.append(round(time.perf_counter() - started, 6))
    except DealsignalError as exc:
        typer.echo(json.dumps({"accepted": False, "code": exc.code, "message": exc.message}))
        raise typer.Exit(code=1) from None
    facts = prepared.facts
    report = {
        "accepted": True,
        "pages": facts.page_count,
        "words": sum(page.word_count for page in facts.pages),
        "pdf_version": facts.pdf_version,
        "active_content_removed": list(facts.active_content),
        "rewritten": prepared.rewritten,
        "content_bytes": facts.content_bytes,
        "bytes_in": len(data),
        "bytes_kept": len(prepared.data),
        "seconds": seconds,
    }
    typer.echo(json.dumps(report, ensure_ascii=False))
