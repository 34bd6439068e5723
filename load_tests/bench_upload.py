"""Upload path vs one pypdfium2 text pass over the same PDF, measured in one run.

    python load_tests/bench_upload.py [--repeat 3] [--no-http] [--pages 150]

Files: (a) a generated 150-page Chinese proposal (reportlab, WenQuanYi Zen Hei), (b) real
manuals shipped by Debian documentation packages, fetched here with `apt-get download` and
unpacked with `dpkg -x` into load_tests/results/debian-pdfs/ (gitignored; fetched once).

Baseline: open the PDF with pypdfium2 and read the text of every page — the least any upload
that counts words per page must do. Measured per file, best of `--repeat`, in the same run as:

Each figure is the median of `--repeat` pairs (baseline, then ours, back to back), the ratio
the median of the pairs' ratios — on a shared 2-core machine that keeps load drift out of it.

* the PDF work alone: `dealsignal pdf inspect FILE`, which times the one call the upload
  route makes (`prepare_pdf`: validate, work budget, stream-size guard, active content,
  sanitise when needed, words per page) inside the command, process start-up excluded;
* end to end: `POST /api/v1/documents` to a `dealsignal serve` subprocess on a temporary data
  dir (embedded mode: chDB + private Redis), `--repeat` uploads of the same bytes —
  multipart parsing, the blob store and the ClickHouse rows on top of the PDF work.

Then the buyer's first page (with HTTP): `--links` (12) links to the generated proposal in
one `POST /api/v1/links`; the service's background pool (`api.prerender`, one worker by
default) renders every page of every recipient's stamped copy at the viewer's widths, page 1
of every link first. The service's /metrics counters (`dealsignal_render_jobs_total`) say
when every first page, then every page, is ready (printed: seconds after the links were
made; waits at most `--render-wait`, else the progress and an extrapolation). Once the first
pages are ready, each link's viewer page is opened and its first page image
(`/s/{session}/page/1.png?w=1200`, what the viewer shows first) fetched once — a buyer's
first open, while the later pages still render. Then the target's statistic, a p99: each
link's first page `--page-fetches` (20) more times, each fetch followed by one of a static
file of the same size (a bare Starlette `Response` under uvicorn with bench_ingest's flags,
started before these fetches) — 240 of each, turn about, while the later pages render, so
both sides of the ratio share the same load on the same two cores; then 240 of each again
after the render wait (the pool done, or still rendering when `--render-wait` is short). The
ratio against the static file fetched after the wait is printed too.
"cold" is the first page of 2 links at 2400 px, a width the pool does not render.

Targets (DESIGN.md): upload ≤ 2 × the text pass; first page p99 ≤ 2 × the static file.
Ratios only; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pypdfium2 as pdfium
from bench_ingest import HERE, Server
from service import Service, cli_json

RESULTS = Path(__file__).resolve().parent / "results"
DEBIAN_CACHE = RESULTS / "debian-pdfs"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
# (package, path of the PDF inside it): Debian's reference manual in Chinese and Japanese
# (CJK text, outlines, thousands of links, an /OpenAction) and the Asymptote manual
# (Latin text, formulas and vector figures).
DEBIAN_PDFS = [
    ("debian-reference-zh-cn", "usr/share/debian-reference/debian-reference.zh-cn.pdf"),
    ("debian-reference-ja", "usr/share/debian-reference/debian-reference.ja.pdf"),
    ("asymptote-doc", "usr/share/doc/asymptote/asymptote.pdf"),
]

_PARAGRAPHS = [
    "本方案针对贵公司华东区销售团队的客户关系管理需求，提供从线索获取到合同回款的全流程数字化支持。",
    "实施周期预计为十二周，分为需求调研、系统配置、数据迁移、用户培训与上线支持五个阶段。",
    "我们承诺在上线后九十天内提供驻场支持，并每季度进行一次业务复盘，持续优化销售漏斗转化率。",
    "报价包含软件许可、实施服务与第一年的运维费用；第二年起运维费用按许可金额的百分之十八计收。",
    "Pricing assumes 250 named users; volume tiers apply from 500 users (see appendix B).",
]


def cjk_proposal(pages: int) -> bytes:
    """A `pages`-page Chinese proposal: headings, body text, a small price table per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    if not CJK_FONT.is_file():
        sys.exit(f"{CJK_FONT} is missing: apt-get install fonts-wqy-zenhei")
    pdfmetrics.registerFont(TTFont("WQY", str(CJK_FONT), subfontIndex=0))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    for number in range(1, pages + 1):
        canvas.setFont("WQY", 18)
        canvas.drawString(56, 790, f"第{number}章 客户关系管理平台实施方案")
        canvas.setFont("WQY", 10.5)
        y = 760.0
        for line in range(38):
            text = _PARAGRAPHS[(line + number) % len(_PARAGRAPHS)]
            canvas.drawString(56, y, text[: 30 + (line * 7 + number) % 15])
            y -= 17
        for row in range(4):
            canvas.rect(56, 80 + row * 18, 480, 18)
            item = f"项目 {row + 1}  数量 {row * 10 + 5}  单价 ¥{1200 + row * 300}"
            canvas.drawString(62, 85 + row * 18, item)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def debian_pdfs() -> list[tuple[str, bytes]]:
    """The Debian manuals, downloaded once into the cache; says so when it cannot."""
    DEBIAN_CACHE.mkdir(parents=True, exist_ok=True)
    found = []
    for package, inner in DEBIAN_PDFS:
        target = DEBIAN_CACHE / package / inner
        if not target.is_file():
            if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
                print(f"  cannot fetch {package}: apt-get/dpkg not on this machine")
                continue
            fetched = subprocess.run(
                ["apt-get", "download", package], cwd=DEBIAN_CACHE,
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            debs = sorted(DEBIAN_CACHE.glob(f"{package}_*.deb"))
            if fetched.returncode != 0 or not debs:
                reason = (fetched.stderr.strip().splitlines() or ["no .deb"])[-1]
                print(f"  cannot fetch {package} (apt-get download: {reason}); run "
                      "apt-get update first, or check the package still ships the PDF")  # fmt: skip
                continue
            subprocess.run(["dpkg", "-x", str(debs[-1]), str(DEBIAN_CACHE / package)], check=True)
            if not target.is_file():
                print(f"  {package} no longer ships {inner}; pick another PDF in DEBIAN_PDFS")
                continue
        found.append((f"{target.name} ({package})", target.read_bytes()))
    return found


def text_pass(data: bytes) -> int:
    """The baseline: pypdfium2 opens the file and reads every page's text."""
    document = pdfium.PdfDocument(data)
    characters = 0
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            characters += len(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        document.close()
    return characters


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def upload(service: Service, name: str, data: bytes) -> float:
    started = time.perf_counter()
    with service.client() as client:
        response = client.post(
            "/api/v1/documents",
            files={"file": (name, data, "application/pdf")},
            data={"title": name},
        )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"upload of {name}: {response.status_code} {response.text[:300]}")
    return elapsed


def _blobs(service: Service) -> int:
    folder = service.data / "blobs"
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _first_page_url(client: httpx.Client, viewer_url: str) -> str:
    page = client.get(urlsplit(viewer_url).path)  # the service's public base may differ
    found = re.search(r'(/s/[^"\s]+/page/1\.png\?w=1200)', page.text)
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"viewer page {viewer_url}: {page.status_code}, no first page")
    return found.group(1)


def _fetch(client: httpx.Client, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code}")
    return elapsed, len(response.content)


def static_app() -> Any:
    """The baseline: one file's bytes (from $BENCH_STATIC_FILE), answered as image/png."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = Path(os.environ["BENCH_STATIC_FILE"]).read_bytes()

    async def page(_: Any) -> Response:
        return Response(body, media_type="image/png")

    return Starlette(routes=[Route("/page.png", page)])


def render_counts(client: httpx.Client) -> dict[tuple[str, str], float]:
    """The service's `dealsignal_render_jobs_total` by (stream, outcome), from /metrics."""
    counts: dict[tuple[str, str], float] = {}
    for line in client.get("/metrics").text.splitlines():
        found = re.match(r"dealsignal_render_jobs_total\{(.*)\} (\S+)$", line)
        if found:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
            counts[(labels["stream"], labels["outcome"])] = float(found.group(2))
    return counts


def _render_progress(client: httpx.Client, before: dict[tuple[str, str], float], stream: str
                     ) -> tuple[float, float]:  # fmt: skip
    """(jobs finished, jobs queued) on `stream` since `before`."""
    now = render_counts(client)

    def delta(outcome: str) -> float:
        return now.get((stream, outcome), 0.0) - before.get((stream, outcome), 0.0)

    return sum(delta(o) for o in ("rendered", "skipped", "poisoned")), delta("enqueued")


def _wait_rendered(client: httpx.Client, before: dict[tuple[str, str], float], stream: str,
                   started: float, limit: float) -> tuple[float, float, float]:  # fmt: skip
    """Poll /metrics until every job queued on `stream` since `before` is finished or
    `limit` seconds have passed since `started`: (seconds, finished, queued)."""
    while True:
        done, queued = _render_progress(client, before, stream)
        elapsed = time.perf_counter() - started
        if done >= queued or elapsed > limit:
            return elapsed, done, queued
        time.sleep(0.2)


def first_page(service: Service, data: bytes, links: int = 12, cold: int = 2,
               render_wait: float = 900, fetches: int = 20) -> None:  # fmt: skip
    """The buyer's first page right after the links are made, served from the background
    pool's images vs cold (a width it does not render) vs a static file of the same size,
    and how long the pool takes for every first page and for every page (module docstring)."""
    with service.client() as client:
        pdf = {"file": ("首页.pdf", data, "application/pdf")}
        doc = client.post("/api/v1/documents", files=pdf, data={"title": "首页"}).json()
        pages = int(doc["versions"][-1]["pages"])
        before = render_counts(client)
        recipients = [{"email": f"buyer{i}@example.cn", "name": f"采购 {i} 号"}
                      for i in range(links)]  # fmt: skip
        made = client.post("/api/v1/links", json={"document_id": doc["document_id"],
                                                  "recipients": recipients})  # fmt: skip
        if made.status_code != 201:
            raise RuntimeError(f"links: {made.status_code} {made.text[:300]}")
        started = time.perf_counter()
        made_links = made.json()["links"]
        seconds, done, queued = _wait_rendered(client, before, "first", started, render_wait)
        if done < queued:
            raise RuntimeError(f"first pages: {done:.0f} of {queued:.0f} jobs in {seconds:.0f} s")
        print(f"  {links} first pages ready at the viewer's widths {seconds:.1f} s after the links "
              f"were made ({pages}-page proposal, one job per page and link)")  # fmt: skip
        with httpx.Client(base_url=service.base, timeout=600) as viewer:
            urls = [_first_page_url(viewer, link["viewer_url"]) for link in made_links]
            fetched = [_fetch(viewer, url) for url in urls]  # the later pages still rendering
            size = int(statistics.median(n for _, n in fetched))
            with _StaticServer(size) as plain:
                # The target's statistic, a p99, for the first page and for the static file
                # fetched turn about, both while the later pages render: the same load on the
                # same two cores for both sides of the ratio.
                again, static_busy = _turn_about(viewer, urls, plain, fetches)
                cold_s = [_fetch(viewer, url.replace("w=1200", "w=2400"))[0] for url in urls[:cold]]
                later, later_done, later_queued = _wait_rendered(
                    client, before, "later", started, render_wait
                )
                # The same once the pool is done (or the wait given up)
                idle, static_idle = _turn_about(viewer, urls, plain, fetches)
        if later_done >= later_queued:
            print(f"  all {pages} pages of the {links} links ready at the viewer's widths "
                  f"{later:.1f} s after the links were made "
                  f"({(later_done + links) / later:.1f} page jobs/s)")  # fmt: skip
        else:
            rate = (later_done + links) / later
            print(f"  all pages NOT ready within {render_wait:.0f} s: {later_done + links:.0f} of "
                  f"{later_queued + links:.0f} page jobs done ({rate:.1f}/s; all would take "
                  f"~{(later_queued + links) / rate:.0f} s, extrapolated)")  # fmt: skip
    _print_first_page(size, [t for t, _ in fetched], again, static_busy, idle, static_idle)
    print(
        f"  first page, cold (not pre-rendered: 2400 px, {cold} buyers): "
        + ", ".join(f"{1000 * t:.0f} ms" for t in cold_s)
    )


def _turn_about(viewer: httpx.Client, urls: list[str], plain: httpx.Client, fetches: int
                ) -> tuple[list[float], list[float]]:  # fmt: skip
    """`fetches` rounds of every link's first page, each followed by the static file."""
    first, static = [], []
    for _ in range(fetches):
        for url in urls:
            first.append(_fetch(viewer, url)[0])
            static.append(_fetch(plain, "/page.png")[0])
    return first, static


class _StaticServer:
    """The baseline server (`static_app` under uvicorn) answering a file of `size` bytes."""

    def __init__(self, size: int) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="ds-bench-static-"))
        (self.work / "page.png").write_bytes(bytes(size))

    def __enter__(self) -> httpx.Client:
        env = {**os.environ, "PYTHONPATH": str(HERE),
               "BENCH_STATIC_FILE": str(self.work / "page.png")}  # fmt: skip
        self.server = Server("static", ["--factory", "bench_upload:static_app"], env, self.work)
        self.client = httpx.Client(base_url=self.server.url, timeout=60)
        _fetch(self.client, "/page.png")
        return self.client

    def __exit__(self, *_: object) -> None:
        self.client.close()
        self.server.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def _p99(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=100)[98]


def _ms(seconds: list[float]) -> str:
    return f"p50 {1000 * statistics.median(seconds):.1f} ms, p99 {1000 * _p99(seconds):.1f} ms"


def _print_first_page(size: int, first_opens: list[float], again: list[float],
                      static_busy: list[float], idle: list[float], static_idle: list[float]
                      ) -> None:  # fmt: skip
    ms = [1000 * t for t in first_opens]
    print(f"  first open, pre-rendered ({len(first_opens)} buyers, {size / 1e3:.0f} kB, while the "
          f"later pages render): p50 {statistics.median(ms):.1f} ms, "
          f"max {max(ms):.1f} ms")  # fmt: skip
    print(f"  while the later pages render, turn about ({len(again)} fetches each):\n"
          f"    first page {_ms(again)}, max {1000 * max(again):.1f} ms\n"
          f"    static file of the same size {_ms(static_busy)}")  # fmt: skip
    print(f"  after the render wait, turn about ({len(idle)} fetches each):\n"
          f"    first page {_ms(idle)}, max {1000 * max(idle):.1f} ms\n"
          f"    static file of the same size {_ms(static_idle)}")  # fmt: skip
    print(f"  first page p99 / static p99 while rendering = "
          f"{_p99(again) / _p99(static_busy):.2f}   (target <= 2)")  # fmt: skip
    print(f"  first page p99 / static p99 after the wait = {_p99(idle) / _p99(static_idle):.2f}")
    print(f"  first page p99 (rendering) / static p99 (after the wait) = "
          f"{_p99(again) / _p99(static_idle):.2f}")  # fmt: skip
    print(f"  first open max / static p99 after the wait = "
          f"{max(first_opens) / _p99(static_idle):.2f}")  # fmt: skip


def prepared(path: Path) -> tuple[float, dict[str, Any]]:
    """`dealsignal pdf inspect`: the preparation's own seconds and its verdict."""
    report = cli_json(path.parent, "pdf", "inspect", str(path))
    if not report["accepted"]:
        raise RuntimeError(f"{path.name} refused: {report['code']}")
    return report["seconds"][0], report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", type=int, default=150, help="pages of the generated file")
    parser.add_argument("--no-http", action="store_true", help="skip the end-to-end uploads")
    parser.add_argument(
        "--first-page-only", action="store_true", help="only the buyer's first-page figures"
    )
    parser.add_argument("--links", type=int, default=12, help="links made for the first page")
    parser.add_argument(
        "--page-fetches", type=int, default=20, help="first-page fetches per link for the p99"
    )
    parser.add_argument(
        "--render-wait", type=float, default=900, help="seconds to wait for every page"
    )
    parser.add_argument(
        "--render-workers", type=int, default=0, help="the service's pool size (0: its default)"
    )
    args = parser.parse_args()

    print("fetching/generating files")
    files = [(f"generated CJK proposal, {args.pages} pages", cjk_proposal(args.pages))]
    files += [] if args.first_page_only else debian_pdfs()
    if len(files) < 3 and not args.first_page_only:
        print("  fewer than two real-world PDFs: the figures below cover only what was found")
    pool = {"render__workers": str(args.render_workers)} if args.render_workers else {}
    service = None if args.no_http else Service(**pool)
    work = Path(tempfile.mkdtemp(prefix="ds-bench-upload-files-"))
    try:
        print(f"\nupload path = dealsignal pdf inspect (prepare_pdf); baseline = pypdfium2 "
              f"text pass; medians of {args.repeat} pairs")  # fmt: skip
        if service is not None:
            tiny = cjk_proposal(1)
            fixed = statistics.median(upload(service, "one-page.pdf", tiny) for _ in range(5))
            print(f"  HTTP upload of a 1-page PDF (the fixed cost: multipart, blob store, "
                  f"ClickHouse rows, auth): {fixed:.3f} s, median of 5")  # fmt: skip
        for index, (name, data) in enumerate([] if args.first_page_only else files):
            path = work / f"file-{index}.pdf"
            path.write_bytes(data)
            pages = len(pdfium.PdfDocument(data))
            pairs = [(timed(lambda d=data: text_pass(d)), prepared(path)[0])
                     for _ in range(args.repeat)]  # fmt: skip
            ratio = statistics.median(o / b for b, o in pairs)
            base = statistics.median(b for b, _ in pairs)
            report = prepared(path)[1]
            removed = ", ".join(report["active_content_removed"]) or "nothing"
            print(f"- {name}: {pages} pages, {len(data) / 1e6:.2f} MB, {report['words']} words; "
                  f"rewritten={report['rewritten']} (removed: {removed}); content charged "
                  f"{report['content_bytes'] / 1e6:.1f} MB")  # fmt: skip
            ours = statistics.median(o for _, o in pairs)
            print(f"    text pass {base:7.3f} s | prepare {ours:7.3f} s"
                  f" | median of paired ratios {ratio:5.2f}x")  # fmt: skip
            if service is not None:
                ratios = []
                for _ in range(args.repeat):
                    b = timed(lambda d=data: text_pass(d))
                    ratios.append((upload(service, f"{name[:40]}.pdf", data), b))
                http = statistics.median(u for u, _ in ratios)
                http_ratio = statistics.median(u / b for u, b in ratios)
                print(f"    HTTP upload (dealsignal serve) {http:7.3f} s"
                      f" | median of paired ratios {http_ratio:5.2f}x")  # fmt: skip
        if service is not None:
            print("\nthe buyer's first page after the links are made (generated proposal; render "
              f"workers: {args.render_workers or 'default'})")  # fmt: skip
            first_page(service, files[0][1], args.links, render_wait=args.render_wait,
                       fetches=args.page_fetches)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if service is not None:
            service.close()


if __name__ == "__main__":
    main()
