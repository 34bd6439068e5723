"""Server-rendered SVG charts: geometry here, markup in templates/web/_charts.html (so every
label goes through Jinja's autoescaping — recipient names are attacker-controlled).

  bar_chart   one bar per item (pages by dwell, visits per day), with a scale line at the
              top value labelled inside the drawing (a label left of the axis was clipped)
              and marked bars (pricing pages) drawn in their own colour with a key
  heat_strip  rows × pages (recipients by page dwell), cell shade by share of the row max,
              with a legend of the shades
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["Bar", "BarChart", "HeatCell", "HeatRow", "HeatStrip", "bar_chart", "heat_strip"]

WIDTH: Final = 640
BAR_AREA_HEIGHT: Final = 160
TOP: Final = 24  # room for the scale label above the top bar
LEFT: Final = 8
BOTTOM: Final = 28
LEGEND_HEIGHT: Final = 30
LEGEND_SHADES: Final = (0.0, 0.25, 0.5, 0.75, 1.0)
CELL_HEIGHT: Final = 26
LABEL_WIDTH: Final = 170
MAX_BAR_WIDTH: Final = 56


@dataclass(frozen=True)
class Bar:
    label: str  # axis label (e.g. the page number)
    text: str  # the value as a person reads it (e.g. "1 min 5 s")
    x: float
    y: float
    width: float
    height: float
    marked: bool = False  # e.g. a pricing page


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int
    height: int
    baseline: float
    left: int
    max_text: str
    top: int = TOP

    @property
    def has_marked(self) -> bool:
        return any(bar.marked for bar in self.bars)


@dataclass(frozen=True)
class HeatCell:
    label: str
    text: str
    x: float
    width: float
    shade: float  # 0..1


@dataclass(frozen=True)
class HeatRow:
    label: str
    y: float
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class HeatStrip:
    rows: tuple[HeatRow, ...]
    columns: tuple[tuple[str, float], ...]  # (page label, centre x)
    width: int
    height: int
    label_width: int
    cell_height: int
    legend_y: float = 0.0
    legend: tuple[tuple[float, float], ...] = ()  # (x, shade) of each legend swatch


def bar_chart(
    items: Sequence[tuple[str, float, str]], max_text: str, *, marked: Collection[int] = ()
) -> BarChart:
    """`items`: (axis label, value, value as text); `marked`: indexes of bars to set apart.
    Zero values still get a 1 px stub so an unread page is visibly present."""
    top = max((value for _, value, _ in items), default=0.0) or 1.0
    inner = WIDTH - LEFT - 8
    slot = inner / max(len(items), 1)
    gap = max(min(slot * 0.2, 8.0), slot - MAX_BAR_WIDTH)
    baseline = TOP + BAR_AREA_HEIGHT
    bars = []
    for index, (label, value, text) in enumerate(items):
        height = max(BAR_AREA_HEIGHT * value / top, 1.0)
        bars.append(
            Bar(
                label=label,
                text=text,
                x=round(LEFT + index * slot + gap / 2, 2),
                y=round(baseline - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
                marked=index in marked,
            )
        )
    return BarChart(tuple(bars), WIDTH, int(baseline + BOTTOM), baseline, LEFT, max_text)


def heat_strip(pages: int, rows: Sequence[tuple[str, Sequence[tuple[float, str]]]]) -> HeatStrip:
    """`rows`: (row label, per page (value, value as text)), pages in order 1..pages."""
    inner = WIDTH - LABEL_WIDTH - 8
    cell = inner / max(pages, 1)
    built = []
    for index, (label, values) in enumerate(rows):
        top = max((v for v, _ in values), default=0.0) or 1.0
        y = TOP + 18 + index * (CELL_HEIGHT + 4)
        cells = tuple(
            HeatCell(
                label=str(page + 1),
                text=text,
                x=round(LABEL_WIDTH + page * cell, 2),
                width=round(cell - 2, 2),
                shade=round(value / top, 3),
            )
            for page, (value, text) in enumerate(values[:pages])
        )
        built.append(HeatRow(label=label, y=y, cells=cells))
    columns = tuple(
        (str(page + 1), round(LABEL_WIDTH + page * cell + cell / 2, 2)) for page in range(pages)
    )
    legend_y = TOP + 18 + len(built) * (CELL_HEIGHT + 4) + 8
    legend = tuple(
        (round(LABEL_WIDTH + i * (CELL_HEIGHT + 6), 2), shade)
        for i, shade in enumerate(LEGEND_SHADES)
    )
    height = int(legend_y + LEGEND_HEIGHT)
    return HeatStrip(
        tuple(built), columns, WIDTH, height, LABEL_WIDTH, CELL_HEIGHT, legend_y, legend
    )
