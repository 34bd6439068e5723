"""Per-recipient watermarked copies vs a bare pypdf page-merge loop, measured in one run.

    python load_tests/bench_watermark.py [--pages 50] [--recipients 100]

Baseline, in this process: for each recipient, the pypdf documentation's stamping loop —
clone the document, `merge_page` one prebuilt overlay page onto every page, write the result.
Ours, over HTTP: `dealsignal serve` on a temporary data dir; the proposal is uploaded, one link
per recipient created, and each recipient's copy fetched once with
`GET /api/v1/links/{id}/pdf` (the first fetch stamps it: visible stamp, invisible and
micro-text marks, XMP and info metadata, link annotations, fixed /ID, its overlay built per
recipient; then stores it). A second fetch of every copy (served from the copy cache) shows
what HTTP, auth and the blob store cost on their own. Target: ratio ≥ 0.8 for the stamping
(which the HTTP figure includes, so it is a lower bound for the stamping alone).
"""

from __future__ import annotations

import argparse
import io
import time

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from service import Service

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


def copies_over_http(service: Service, data: bytes, recipients: int) -> tuple[float, float]:
    """Seconds to fetch every recipient's copy the first time (stamped), then again (cached)."""
    with service.client() as client:
        document = (
            client.post(
                "/api/v1/documents",
                files={"file": ("proposal.pdf", data, "application/pdf")},
                data={"title": "报价方案 (bench)"},
            )
            .raise_for_status()
            .json()
        )
        links = []
        for lo in range(0, recipients, 200):
            people = [{"email": f"r{i}@buyer.example", "name": f"收件人 {i}"}
                      for i in range(lo, min(lo + 200, recipients))]  # fmt: skip
            body = {"document_id": document["document_id"], "recipients": people}
            links += client.post("/api/v1/links", json=body).raise_for_status().json()["links"]
        seconds = []
        for _ in range(2):
            started = time.perf_counter()
            for link in links:
                client.get(f"/api/v1/links/{link['id']}/pdf").raise_for_status()
            seconds.append(time.perf_counter() - started)
    return seconds[0], seconds[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--recipients", type=int, default=100)
    args = parser.parse_args()

    data = build_proposal(args.pages)
    bare_merge_loop(data, 1)  # warm-up
    total_pages = args.pages * args.recipients
    service = Service()
    try:
        bare = bare_merge_loop(data, args.recipients)
        stamped, cached = copies_over_http(service, data, args.recipients)
    finally:
        service.close()
    print(f"proposal: {args.pages} pages, {len(data)} bytes; recipients: {args.recipients}")
    print(f"bare pypdf merge loop (in process): {total_pages / bare:9.1f} pages/s  ({bare:.2f} s)")
    print(f"copies over HTTP, first fetch:      {total_pages / stamped:9.1f} pages/s  "
          f"({stamped:.2f} s)")  # fmt: skip
    print(f"copies over HTTP, cached refetch:   {total_pages / cached:9.1f} pages/s  "
          f"({cached:.2f} s: HTTP, auth, blob store)")  # fmt: skip
    print(f"ratio (first fetch / bare):         {bare / stamped:9.2f}  (target >= 0.8)")


if __name__ == "__main__":
    main()
