"""Report charts for people: a one-page PDF drawn with reportlab (a bar chart and a table, in
the reader's language) and the same page as a PNG (rendered with pdfium) for channels that
show images (a WeCom robot's `image` message).

Chinese text needs a CJK font: the first installed TrueType font of `CJK_FONTS` is embedded
(a subset: renders the same in every viewer and in pdfium), else reportlab's Adobe CID font
STSong-Light (referenced, not embedded: pdfium may then draw boxes)."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import ImageOps
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

__all__ = ["BarSeries", "ReportPage", "report_pdf", "report_png"]

CJK_FONTS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
_PNG_SCALE = 1.5  # 72 dpi × 1.5: a readable chart well under WeCom's 2 MB image limit


@functools.cache
def _font() -> str:
    for path in CJK_FONTS:
        if path.is_file():
            pdfmetrics.registerFont(TTFont("ReportCJK", str(path), subfontIndex=0))
            return "ReportCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


@dataclass(frozen=True)
class BarSeries:
    name: str
    values: Sequence[float]


@dataclass(frozen=True)
class ReportPage:
    title: str
    subtitle: str
    chart_title: str
    categories: Sequence[str]
    series: Sequence[BarSeries]
    table: Sequence[Sequence[str]]  # first row: the header


def _chart(page: ReportPage, font: str) -> Drawing:
    width, height = 170 * mm, 85 * mm
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, page.chart_title, fontName=font, fontSize=11))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 30, width - 60, height - 70
    chart.data = [list(s.values) for s in page.series] or [[0.0]]
    chart.categoryAxis.categoryNames = list(page.categories)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = font
    palette = (colors.HexColor("#9aa5b1"), colors.HexColor("#1f6feb"))
    for n in range(len(chart.data)):
        chart.bars[n].fillColor = palette[n % len(palette)]
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 120, height - 8
    legend.fontName, legend.fontSize = font, 8
    legend.colorNamePairs = [(palette[n % len(palette)], s.name) for n, s in enumerate(page.series)]
    drawing.add(legend)
    return drawing


def report_pdf(page: ReportPage) -> bytes:
    """One A4 page: title, subtitle, the bar chart and the table."""
    font = _font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
        bottomMargin=16 * mm, title=page.title, author="dealsignal",
    )  # fmt: skip
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14, textColor="#444444")
    table = Table([list(row) for row in page.table], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d1d9")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story = [
        Paragraph(_escape(page.title), title),
        Paragraph(_escape(page.subtitle), body),
        Spacer(1, 6 * mm),
        _chart(page, font),
        Spacer(1, 6 * mm),
        table,
    ]
    doc.build(story)
    return out.getvalue()


def _escape(value: str) -> str:
    """Paragraph text is markup: names such as R&D or <b> stay literal."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report_png(pdf: bytes) -> bytes:
    """The PDF's first page as a PNG."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=_PNG_SCALE).to_pil()
    finally:
        document.close()
    # a chat shows the drawn part, not an A4 sheet of white: crop to it, with a margin
    box = ImageOps.invert(image.convert("L")).getbbox()
    if box is not None:
        m = 24
        image = image.crop(
            (max(box[0] - m, 0), max(box[1] - m, 0),
             min(box[2] + m, image.width), min(box[3] + m, image.height))
        )  # fmt: skip
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
