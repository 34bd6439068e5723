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

Target (DESIGN.md): upload ≤ 2 × the text pass. Ratios only; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
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
    args = parser.parse_args()

    print("fetching/generating files")
    files = [(f"generated CJK proposal, {args.pages} pages", cjk_proposal(args.pages))]
    files += debian_pdfs()
    if len(files) < 3:
        print("  fewer than two real-world PDFs: the figures below cover only what was found")
    service = None if args.no_http else Service()
    work = Path(tempfile.mkdtemp(prefix="ds-bench-upload-files-"))
    try:
        print(f"\nupload path = dealsignal pdf inspect (prepare_pdf); baseline = pypdfium2 "
              f"text pass; medians of {args.repeat} pairs")  # fmt: skip
        if service is not None:
            tiny = cjk_proposal(1)
            fixed = statistics.median(upload(service, "one-page.pdf", tiny) for _ in range(5))
            print(f"  HTTP upload of a 1-page PDF (the fixed cost: multipart, blob store, "
                  f"ClickHouse rows, auth): {fixed:.3f} s, median of 5")  # fmt: skip
        for index, (name, data) in enumerate(files):
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
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if service is not None:
            service.close()


if __name__ == "__main__":
    main()
