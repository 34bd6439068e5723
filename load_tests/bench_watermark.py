"""Watermarking throughput vs a bare pypdf page-merge loop, measured in one run.

    python load_tests/bench_watermark.py [--pages 50] [--recipients 100]

Baseline: for each recipient, the pypdf documentation's stamping loop — clone the document,
`merge_page` one prebuilt overlay page onto every page, write the result. Ours: `stamp_pdf`
per recipient (visible stamp, invisible and micro-text marks, XMP and info metadata, link
annotations, fixed /ID), its overlay built per recipient. Target: ratio ≥ 0.8.
"""

from __future__ import annotations

import argparse
import io
import time

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from watermark import WatermarkSpec, stamp_pdf

_LINE = "Scope, pricing, implementation plan and service levels for the proposed engagement. "


def build_proposal(pages: int) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    for number in range(1, pages + 1):
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(72, 780, f"Section {number}")
        canvas.setFont("Helvetica", 10)
        for row in range(45):
            canvas.drawString(72, 750 - row * 15, _LINE[: 40 + (row * 7 + number) % 45])
        canvas.rect(72, 60, 450, 20)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def build_overlay_page() -> PdfReader:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setFont("Helvetica", 28)
    canvas.setFillGray(0.5, alpha=0.2)
    canvas.drawCentredString(297, 421, "Ada Lovelace · ada@example.com · 2025-03-14")
    canvas.showPage()
    canvas.save()
    return PdfReader(io.BytesIO(buffer.getvalue()))


def bare_merge_loop(data: bytes, recipients: int) -> float:
    overlay = build_overlay_page().pages[0]
    started = time.perf_counter()
    for _ in range(recipients):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        for page in writer.pages:
            page.merge_page(overlay, over=True)
        writer.write(io.BytesIO())
    return time.perf_counter() - started


def stamp_loop(data: bytes, recipients: int) -> float:
    started = time.perf_counter()
    for index in range(recipients):
        spec = WatermarkSpec(
            link_id=f"lnk_bench{index:05d}",
            recipient_name=f"Recipient {index}",
            recipient_email=f"r{index}@example.com",
            date="2025-03-14",
            latest_version_url=f"https://docs.example.com/l/bench{index:05d}",
        )
        stamp_pdf(data, spec)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--recipients", type=int, default=100)
    args = parser.parse_args()

    data = build_proposal(args.pages)
    stamp_loop(data, 1)  # warm-up: font registration, imports
    bare_merge_loop(data, 1)
    total_pages = args.pages * args.recipients
    bare = bare_merge_loop(data, args.recipients)
    ours = stamp_loop(data, args.recipients)
    print(f"proposal: {args.pages} pages, {len(data)} bytes; recipients: {args.recipients}")
    print(f"bare pypdf merge loop: {total_pages / bare:9.1f} pages/s  ({bare:.2f} s)")
    print(f"watermark.stamp_pdf:   {total_pages / ours:9.1f} pages/s  ({ours:.2f} s)")
    print(f"ratio (ours / bare):   {bare / ours:9.2f}  (target >= 0.8)")


if __name__ == "__main__":
    main()
