"""The XMP packet that carries the link id (``ds:LinkId`` in our own namespace).

If the document already has XMP, our ``rdf:Description`` is added to it so the author's title
and keywords survive; otherwise a minimal packet is written. Parsing is a bounded regex over the
decoded packet, not an XML parser: the packet comes from untrusted files.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

__all__ = ["XMP_NAMESPACE", "build_xmp", "merge_xmp", "read_link_ids"]

XMP_NAMESPACE = "https://dealsignal.dev/ns/watermark/1.0/"
_MAX_PACKET = 4 * 1024 * 1024
_LINK = re.compile(r"<ds:LinkId>([A-Za-z0-9_\-]{1,40})</ds:LinkId>")
_HEADER = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
_TRAILER = '<?xpacket end="w"?>'


def _description(link_id: str) -> str:
    return (
        f'<rdf:Description rdf:about="" xmlns:ds="{XMP_NAMESPACE}">'
        f"<ds:LinkId>{escape(link_id)}</ds:LinkId></rdf:Description>"
    )


def build_xmp(link_id: str) -> bytes:
    packet = (
        f"{_HEADER}\n"
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f"{_description(link_id)}\n"
        "</rdf:RDF>\n</x:xmpmeta>\n"
        f"{_TRAILER}"
    )
    return packet.encode("utf-8")


def merge_xmp(existing: bytes | None, link_id: str) -> bytes:
    """Add our description to `existing` XMP (replacing an earlier one), or build a packet."""
    if not existing or len(existing) > _MAX_PACKET:
        return build_xmp(link_id)
    try:
        text = existing.decode("utf-8")
    except UnicodeDecodeError:
        return build_xmp(link_id)
    text = re.sub(r'<rdf:Description rdf:about="" xmlns:ds="[^"]*">.*?</rdf:Description>', "", text)
    if "</rdf:RDF>" not in text:
        return build_xmp(link_id)
    return text.replace("</rdf:RDF>", _description(link_id) + "\n</rdf:RDF>", 1).encode("utf-8")


def read_link_ids(packet: bytes) -> list[str]:
    text = packet[:_MAX_PACKET].decode("utf-8", errors="replace")
    found: list[str] = []
    for link_id in _LINK.findall(text):
        if link_id not in found:
            found.append(link_id)
    return found
