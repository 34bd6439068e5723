"""Who sent the document, as the buyer's viewer shows them: the rep's name, initials for the
avatar and email, for the "reply" and "book a meeting" actions. The link's creator when a
person made it in the web app, else the document's owner; nobody when neither is a known
address (a link made by an integration key for a document without owner)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from tracker.documents import Document
from tracker.errors import NotFound
from tracker.links import Link
from tracker.stores.clickhouse import ClickHouse
from tracker.users import get_user

__all__ = ["Sender", "initials", "sender_of"]


@dataclass(frozen=True)
class Sender:
    name: str
    email: str

    @property
    def initials(self) -> str:
        return initials(self.name or self.email)

    def mailto(self, subject: str, body: str = "") -> str:
        query = f"subject={quote(subject)}" + (f"&body={quote(body)}" if body else "")
        return f"mailto:{quote(self.email, safe='@')}?{query}"


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def initials(name: str) -> str:
    """`Alice Chen` → `AC`; `王伟` → `王` (the family name, as a Chinese avatar shows it);
    an email → its first letter."""
    text = name.split("@", 1)[0].strip()
    if not text:
        return "?"
    if _wide(text[0]):
        return text[0]
    words = [w for w in text.replace(".", " ").replace("_", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def sender_of(ch: ClickHouse, link: Link, doc: Document) -> Sender | None:
    for email in (link.created_by, doc.owner):
        if "@" not in email:
            continue
        try:
            user = get_user(ch, link.tenant_id, email)
        except NotFound:
            return Sender(name="", email=email)
        return Sender(name=user.name, email=user.email)
    return None
