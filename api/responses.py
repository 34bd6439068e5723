"""Response helpers shared by the REST API and the public routes."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from fastapi.responses import Response

__all__ = ["content_disposition", "pdf_response"]


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266 / RFC 5987: an ASCII fallback plus `filename*` in UTF-8, so 报价单.pdf
    arrives intact in every browser and never breaks the header."""
    kind = "inline" if inline else "attachment"
    ascii_name = (
        unicodedata.normalize("NFKD", filename)
        .encode("ascii", "ignore")
        .decode()
        .replace('"', "")
        .replace("\\", "")
        .replace("\r", "")
        .replace("\n", "")
    ).strip() or "document.pdf"
    if not ascii_name.lower().endswith(".pdf"):
        ascii_name += ".pdf"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def pdf_response(data: bytes, filename: str, *, inline: bool = False) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(filename, inline=inline),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
