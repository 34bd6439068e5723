"""What to stamp for one recipient."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from watermark.payload import check_link_id

__all__ = ["DEFAULT_TEMPLATE", "Position", "WatermarkSpec"]

DEFAULT_TEMPLATE = "{recipient_name} · {recipient_email} · {date} · {link_id}"
_MAX_FIELD = 200
_PLACEHOLDER = re.compile(r"\{(recipient_name|recipient_email|date|link_id)\}")


class Position(StrEnum):
    DIAGONAL = "diagonal"
    FOOTER = "footer"
    HEADER = "header"


@dataclass(frozen=True, slots=True)
class WatermarkSpec:
    """One recipient's stamp. `template` may use the placeholders ``{recipient_name}``,
    ``{recipient_email}``, ``{date}`` and ``{link_id}``. `font_size` of None picks a size
    for the position (diagonal text shrinks to fit the page)."""

    link_id: str
    recipient_name: str
    recipient_email: str
    date: str
    latest_version_url: str
    template: str = DEFAULT_TEMPLATE
    position: Position = Position.DIAGONAL
    opacity: float = 0.18
    font_size: float | None = None
    link_text: str = "View the latest version"

    def __post_init__(self) -> None:
        check_link_id(self.link_id)
        if not 0.0 < self.opacity <= 1.0:
            raise ValueError("opacity must be in (0, 1]")
        if self.font_size is not None and not 2.0 <= self.font_size <= 200.0:
            raise ValueError("font_size must be between 2 and 200 points")
        for name in ("recipient_name", "recipient_email", "date", "latest_version_url"):
            if len(getattr(self, name)) > _MAX_FIELD:
                raise ValueError(f"{name} is longer than {_MAX_FIELD} characters")
        if not self.latest_version_url.startswith(("https://", "http://")):
            raise ValueError("latest_version_url must be an http(s) URL")
        object.__setattr__(self, "position", Position(self.position))

    def text(self) -> str:
        """The visible stamp line. Placeholders are replaced literally (no `str.format`, so a
        template cannot reach attributes); whitespace is collapsed to single spaces."""
        line = _PLACEHOLDER.sub(lambda m: str(getattr(self, m.group(1))), self.template)
        return " ".join(line.split())
