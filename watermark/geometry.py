"""Where a page is visible and which way up: the geometry every overlay is built for."""

from __future__ import annotations

from dataclasses import dataclass

from pypdf.generic import DictionaryObject

__all__ = ["Box", "PageGeometry", "page_geometry"]

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class PageGeometry:
    """The visible box (x0, y0, x1, y1) in user space and the page's /Rotate (0/90/180/270)."""

    box: Box
    rotation: int

    @property
    def visual_size(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        w, h = x1 - x0, y1 - y0
        return (h, w) if self.rotation in (90, 270) else (w, h)

    def matrix(self) -> tuple[float, float, float, float, float, float]:
        """The `cm` matrix that maps visual coordinates into user space."""
        x0, y0, x1, y1 = self.box
        if self.rotation == 90:
            return (0.0, 1.0, -1.0, 0.0, x1, y0)
        if self.rotation == 180:
            return (-1.0, 0.0, 0.0, -1.0, x1, y1)
        if self.rotation == 270:
            return (0.0, -1.0, 1.0, 0.0, x0, y1)
        return (1.0, 0.0, 0.0, 1.0, x0, y0)

    def to_user(self, rect: Box) -> Box:
        """Map a visual rectangle to a user-space rectangle (normalised)."""
        a, b, c, d, e, f = self.matrix()
        xs, ys = [], []
        for u, v in ((rect[0], rect[1]), (rect[2], rect[3])):
            xs.append(a * u + c * v + e)
            ys.append(b * u + d * v + f)
        return (min(xs), min(ys), max(xs), max(ys))


def _box(value: object) -> Box | None:
    try:
        x0, y0, x1, y1 = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def page_geometry(page: DictionaryObject) -> PageGeometry:
    """Visible box (crop box clipped to media box) and normalised rotation of `page`."""
    media = _box(page.get_inherited("/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
    crop = _box(page.get_inherited("/CropBox")) or media
    box = (max(media[0], crop[0]), max(media[1], crop[1]), min(media[2], crop[2]))
    box4 = (*box, min(media[3], crop[3]))
    if box4[2] - box4[0] < 1 or box4[3] - box4[1] < 1:
        box4 = media
    try:
        rotation = int(page.get_inherited("/Rotate", 0))
    except (TypeError, ValueError):
        rotation = 0
    return PageGeometry(box4, ((rotation + 45) // 90 * 90) % 360)
