"""Real PDFs for the watermark suite: reportlab-built documents, files written by Ghostscript
and (when the machine has them) PDFs shipped by Debian packages. External tools (qpdf, gs,
pdftoppm) are required: a missing tool fails the test, it never skips."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject
from reportlab.lib.pagesizes import A4, letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from watermark import WatermarkSpec

RunTool = Callable[..., bytes]

_PARAGRAPH = (
    "Our proposal covers onboarding, integration with your CRM, and a twelve month "
    "support plan with quarterly business reviews."
)
_POSTSCRIPT = b"""%!PS
/Helvetica findfont 14 scalefont setfont
72 720 moveto (Ghostscript generated page one) show
72 700 moveto (Pricing annex and terms) show
showpage
72 720 moveto (Ghostscript page two) show
0 0 1 setrgbcolor 72 600 200 50 rectfill
showpage
"""


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is required (apt-get install qpdf ghostscript poppler-utils)")
    return path


@pytest.fixture(scope="session")
def run_tool(tmp_path_factory: pytest.TempPathFactory) -> RunTool:
    """run_tool("qpdf", data, ["--qdf"]) → output bytes; {src} and {out} are file paths."""
    directory = tmp_path_factory.mktemp("tools")
    counter = iter(range(10_000))

    def run(name: str, data: bytes, args: list[str], output_suffix: str = "") -> bytes:
        n = next(counter)
        source, target = directory / f"in{n}.pdf", directory / f"out{n}.pdf"
        source.write_bytes(data)
        argv = [tool(name), *(a.format(src=source, out=target) for a in args)]
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
        return Path(f"{target}{output_suffix}").read_bytes()

    return run


def _pdf(draw: Callable[[Canvas], None], pagesize: tuple[float, float] = A4) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=pagesize, invariant=True)
    draw(canvas)
    canvas.save()
    return buffer.getvalue()


def _proposal(canvas: Canvas) -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    for number in range(1, 4):
        canvas.setFont("Helvetica", 12)
        canvas.drawString(72, 760, f"Proposal page {number}")
        canvas.drawString(72, 740, _PARAGRAPH)
        canvas.showPage()
    canvas.setFont("STSong-Light", 14)
    canvas.drawString(72, 760, "报价方案 第四页")  # 6 Han characters
    canvas.showPage()
    canvas.setPageSize(letter)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 700, "Letter sized appendix")
    canvas.showPage()


@pytest.fixture(scope="session")
def proposal_pdf() -> bytes:
    """Five pages: three A4 text pages, a Chinese page, a Letter page; page 3 rotated 90°,
    page 5 has a crop box and a media box that does not start at the origin."""
    reader = PdfReader(io.BytesIO(_pdf(_proposal)))
    writer = PdfWriter(clone_from=reader)
    writer.pages[2].rotate(90)
    last = writer.pages[4]
    last.mediabox = RectangleObject((-50, -40, 562, 752))
    last.cropbox = RectangleObject((20, 30, 500, 700))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def form_pdf() -> bytes:
    def draw(canvas: Canvas) -> None:
        canvas.drawString(72, 760, "Order form")
        canvas.acroForm.textfield(name="company", x=72, y=700, width=200, height=20)
        canvas.acroForm.checkbox(name="agree", x=72, y=660)
        canvas.showPage()

    return _pdf(draw)


@pytest.fixture(scope="session")
def scanned_pdf() -> bytes:
    image = Image.new("RGB", (400, 520), "white")
    pen = ImageDraw.Draw(image)
    for y in range(40, 500, 24):
        pen.line((30, y, 370, y), fill=(60, 60, 60), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    def draw(canvas: Canvas) -> None:
        from reportlab.lib.utils import ImageReader

        canvas.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, *A4)
        canvas.showPage()

    return _pdf(draw)


@pytest.fixture(scope="session")
def gs_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    directory = tmp_path_factory.mktemp("gs")
    source, target = directory / "doc.ps", directory / "doc.pdf"
    source.write_bytes(_POSTSCRIPT)
    subprocess.run(
        [tool("gs"), "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite",
         f"-sOutputFile={target}", str(source)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return target.read_bytes()


@pytest.fixture(scope="session")
def debian_pdf(gs_pdf: bytes) -> bytes:
    """A PDF shipped by a Debian package (small ones first), else the Ghostscript one."""
    candidates = sorted(Path("/usr/share/doc").rglob("*.pdf"), key=lambda p: p.stat().st_size)
    for path in candidates:
        if path.stat().st_size < 2_000_000 and path.is_file():
            return path.read_bytes()
    return gs_pdf


@pytest.fixture
def spec() -> WatermarkSpec:
    return WatermarkSpec(
        link_id="lnk_01JD5Q8ZK3X4M7N2P9R6T0VWYA",
        recipient_name="Ada Lovelace",
        recipient_email="ada@example.com",
        date="2025-03-14",
        latest_version_url="https://docs.example.com/l/abc123",
    )
