"""Per-recipient tracked links. One link per recipient of a document. The URL carries a
short random code (`short_code`, 72 bits) looked up here; links made before short codes
carry a signed token of (tenant id, link id) instead, which keeps working. Everything else
is read here on the (low-volume) viewer page. Passcodes are stored as salted scrypt hashes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

import pyarrow as pa

from tracker.clock import TS, utcnow
from tracker.crm import Contact, get_opportunity
from tracker.errors import Gone, NotFound
from tracker.ids import new_id
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.entities import EntityTable

__all__ = [
    "Link",
    "LinkOptions",
    "Recipient",
    "check_passcode",
    "contact_of",
    "create_links",
    "find_link_by_code",
    "find_link_for_operator",
    "get_link",
    "hash_passcode",
    "is_short_code",
    "list_links",
    "match_contacts",
    "new_short_code",
    "opportunity_contacts",
    "revoke_link",
]


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    role: str = ""
    contact_id: str = ""


@dataclass(frozen=True)
class LinkOptions:
    expires_at: datetime | None = None
    download_allowed: bool = True
    email_gate: bool = False
    passcode: str | None = None
    locale: str = ""
    watermark_template: str = ""


@dataclass(frozen=True)
class Link:
    tenant_id: str
    link_id: str
    document_id: str
    opportunity_id: str
    contact_id: str
    recipient_email: str
    recipient_name: str
    recipient_role: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    download_allowed: bool
    email_gate: bool
    passcode_hash: str
    locale: str
    watermark_template: str
    revoked_at: datetime | None
    short_code: str = ""  # '' for links made before short links (their URL is a signed token)

    @property
    def has_passcode(self) -> bool:
        return bool(self.passcode_hash)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or utcnow()) >= self.expires_at

    def status(self, now: datetime | None = None) -> str:
        """What the rep's list shows: revoked, expired, gated (email or passcode asked
        first) or active."""
        if self.revoked_at is not None:
            return "revoked"
        if self.is_expired(now):
            return "expired"
        return "gated" if self.email_gate or self.has_passcode else "active"

    def ensure_usable(self, now: datetime | None = None) -> None:
        """Raise Gone for a revoked or expired link (the viewer shows a page a person
        understands)."""
        if self.revoked_at is not None:
            raise Gone("this link has been revoked by the sender", code="link_revoked")
        if self.is_expired(now):
            raise Gone("this link has expired", code="link_expired")


_CODE_ALPHABET: Final = string.digits + string.ascii_letters
_CODE_LENGTH: Final = 12  # 62^12 ≈ 2^71: not guessable, and short enough to read aloud
_CODE: Final = re.compile(rf"[0-9A-Za-z]{{{_CODE_LENGTH}}}")


def new_short_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def is_short_code(token: str) -> bool:
    """Short codes never contain the '.' every signed token has."""
    return _CODE.fullmatch(token) is not None


def hash_passcode(passcode: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passcode.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_passcode(stored: str, presented: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(presented.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)


LINKS: Final = EntityTable(
    "links",
    Link,
    {
        "created_at": TS,
        "expires_at": TS,
        "revoked_at": TS,
        "download_allowed": pa.uint8(),
        "email_gate": pa.uint8(),
    },
)


def opportunity_contacts(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> list[Contact]:
    """The CRM's contacts on the opportunity, none when the CRM never pushed it."""
    if not opportunity_id:
        return []
    try:
        return list(get_opportunity(ch, tenant_id, opportunity_id).contacts)
    except NotFound:
        return []


def match_contacts(recipients: list[Recipient], contacts: list[Contact]) -> list[Recipient]:
    """A recipient without a contact id whose email is a CRM contact's (case-insensitive)
    is that contact: their reading then counts for the contact (a decision-maker's
    engagement reaches the score). Name and role fill in from the CRM when left empty."""
    by_email = {c.email.strip().casefold(): c for c in contacts if c.email.strip()}
    matched = []
    for r in recipients:
        contact = by_email.get(r.email.strip().casefold())
        if r.contact_id or contact is None:
            matched.append(r)
            continue
        matched.append(
            replace(
                r,
                contact_id=contact.contact_id,
                name=r.name or contact.name,
                role=r.role or contact.role,
            )
        )
    return matched


def contact_of(ch: ClickHouse, link: Link) -> str:
    """The link's contact id, or — for a link made without one — the opportunity's contact
    with the recipient's email, so events of older links still reach the right person."""
    if link.contact_id or not link.opportunity_id:
        return link.contact_id
    contacts = opportunity_contacts(ch, link.tenant_id, link.opportunity_id)
    (matched,) = match_contacts([Recipient(email=link.recipient_email)], contacts)
    return matched.contact_id


def create_links(
    ch: ClickHouse,
    tenant_id: str,
    document_id: str,
    recipients: list[Recipient],
    options: LinkOptions,
    *,
    opportunity_id: str = "",
    created_by: str = "",
) -> list[Link]:
    now = utcnow()
    passcode_hash = hash_passcode(options.passcode) if options.passcode else ""
    if opportunity_id and any(not r.contact_id for r in recipients):
        recipients = match_contacts(recipients, opportunity_contacts(ch, tenant_id, opportunity_id))
    links = [
        Link(
            tenant_id=tenant_id,
            link_id=new_id("link"),
            document_id=document_id,
            opportunity_id=opportunity_id,
            contact_id=r.contact_id,
            recipient_email=r.email,
            recipient_name=r.name,
            recipient_role=r.role,
            created_by=created_by,
            created_at=now,
            expires_at=options.expires_at,
            download_allowed=options.download_allowed,
            email_gate=options.email_gate,
            passcode_hash=passcode_hash,
            locale=options.locale,
            watermark_template=options.watermark_template,
            revoked_at=None,
            short_code=new_short_code(),
        )
        for r in recipients
    ]
    LINKS.write(ch, links)
    return links


def get_link(ch: ClickHouse, tenant_id: str, link_id: str) -> Link:
    found = LINKS.find(ch, tenant_id, link_id=link_id)
    if found is None:
        raise NotFound("unknown link", code="link_not_found")
    return found


def find_link_by_code(ch: ClickHouse, code: str) -> Link | None:
    """Across tenants, by the URL's short code: the code is the recipient's credential (as
    the signed token was), and it names one link of one tenant."""
    if not is_short_code(code):
        return None
    return LINKS.find(ch, None, short_code=code)


def find_link_for_operator(ch: ClickHouse, link_id: str) -> Link | None:
    """Across tenants: only for the operator's CLI (`dealsignal identify`), never HTTP."""
    return LINKS.find(ch, None, link_id=link_id)


def list_links(
    ch: ClickHouse, tenant_id: str, *, document_id: str | None = None, limit: int = 1000
) -> list[Link]:
    equals = {} if document_id is None else {"document_id": document_id}
    return LINKS.select(ch, tenant_id, equals=equals, order_by="created_at, link_id", limit=limit)


def revoke_link(ch: ClickHouse, tenant_id: str, link_id: str) -> Link:
    link = get_link(ch, tenant_id, link_id)
    if link.revoked_at is not None:
        return link
    revoked = replace(link, revoked_at=utcnow())
    LINKS.write(ch, [revoked])
    return revoked
