"""The "one recipient per line" box of the links form, the CRM contacts ticked above it,
and the link options beside it (expiry, download, language, email gate, passcode, watermark).

A line is `Name, email, role` in any order of name and email (the part with `@` is the
email), `Name <email>, role`, or just the email; commas, semicolons or tabs separate.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import EmailStr, TypeAdapter, ValidationError

from tracker.crm import Contact
from tracker.errors import BadRequest
from tracker.links import LinkOptions, Recipient

__all__ = ["MAX_RECIPIENTS", "MIN_PASSCODE", "link_options", "parse_recipients"]

MAX_RECIPIENTS: Final = 200
MIN_PASSCODE: Final = 4  # as the REST API
_EMAIL: Final = TypeAdapter(EmailStr)
_ANGLE: Final = re.compile(r"^(?P<name>[^<]*)<(?P<email>[^>]+)>$")


def _line(number: int, line: str) -> Recipient:
    parts = [p.strip() for p in re.split(r"[,;\t]", line) if p.strip()]
    email, rest = "", list[str]()
    for part in parts:
        angle = _ANGLE.match(part)
        if angle and not email:
            email = angle["email"].strip()
            if angle["name"].strip():
                rest.insert(0, angle["name"].strip())
        elif "@" in part and not email:
            email = part
        else:
            rest.append(part)
    try:
        address = str(_EMAIL.validate_python(email))
    except ValidationError as exc:
        raise BadRequest(
            f"line {number}: no valid email address", code="invalid_recipient", line=number
        ) from exc
    name = rest[0][:200] if rest else ""
    role = rest[1][:200] if len(rest) > 1 else ""
    return Recipient(email=address, name=name, role=role)


def parse_recipients(text: str, picked: list[Contact] | None = None) -> list[Recipient]:
    """The typed lines plus the CRM contacts ticked above the box (with their contact id);
    an address typed and also ticked gets one link."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    chosen = [
        Recipient(email=c.email, name=c.name, role=c.role, contact_id=c.contact_id)
        for c in picked or []
    ]
    if not lines and not chosen:
        raise BadRequest("add at least one recipient", code="no_recipients")
    if len(lines) + len(chosen) > MAX_RECIPIENTS:
        raise BadRequest(f"at most {MAX_RECIPIENTS} recipients at once", code="too_many")
    seen = {r.email.casefold() for r in chosen}
    typed = [r for r in (_line(n, line) for n, line in lines) if r.email.casefold() not in seen]
    return chosen + typed


def link_options(
    expires_in_days: str,
    download_allowed: bool,
    locale: str,
    *,
    email_gate: bool = False,
    passcode: str = "",
    watermark_template: str = "",
) -> LinkOptions:
    expires = None
    if expires_in_days.strip():
        if not expires_in_days.strip().isdigit() or not 1 <= int(expires_in_days) <= 3650:
            raise BadRequest("expiry must be 1–3650 days", code="invalid_expiry")
        expires = datetime.now(UTC) + timedelta(days=int(expires_in_days))
    passcode = passcode.strip()
    if passcode and not MIN_PASSCODE <= len(passcode) <= 128:
        raise BadRequest(
            f"the passcode needs {MIN_PASSCODE}–128 characters", code="invalid_passcode"
        )
    template = " ".join(watermark_template.split())
    if len(template) > 200:
        raise BadRequest("the watermark text is over 200 characters", code="invalid_watermark")
    return LinkOptions(
        expires_at=expires,
        download_allowed=download_allowed,
        email_gate=email_gate,
        passcode=passcode or None,
        locale=locale if locale in ("en", "zh_CN") else "",
        watermark_template=template,
    )
