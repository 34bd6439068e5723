"""The privacy notice a tenant shows its buyers on the viewer and the email gate, and
whether it asks for consent before recording more than the open (issue 18).

    off       no notice; everything is recorded (the product's default use)
    notice    a short notice and the policy link; everything is recorded
    consent   the notice with Agree / Decline; until the buyer agrees only the open is
              recorded, and a refusal is remembered for that viewer

`honour_gpc`: a browser sending `Sec-GPC: 1` or `DNT: 1` gets the open recorded and nothing
else, whatever the mode. The texts are the tenant's (zh and en; empty = the catalog's
default wording); they are plain text — the templates escape them — and the policy link
must be an https URL."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tracker.privacy.audit import AuditAction, record_audit
from tracker.stores import ClickHouse
from tracker.tenant_settings import get_tenant_settings, put_tenant_settings
from tracker.types import Tracking

__all__ = [
    "PrivacyMode",
    "PrivacyNotice",
    "get_privacy_notice",
    "put_privacy_notice",
    "set_privacy_notice",
    "tracking_for",
]

_KEY = "privacy"
MAX_TEXT = 600
MAX_URL = 500


class PrivacyMode(StrEnum):
    OFF = "off"
    NOTICE = "notice"
    CONSENT = "consent"


def _plain_text(value: str) -> str:
    """Printable text and line breaks only: no control or bidi-override characters that
    could make the notice say something else than it reads in the settings."""
    text = value.strip()
    for char in text:
        if char != "\n" and unicodedata.category(char) in {"Cc", "Cf"}:
            raise ValueError("the notice may hold printable text and line breaks only")
    return text


class PrivacyNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: PrivacyMode = Field(default=PrivacyMode.OFF, description="off, notice or consent")
    text_en: str = Field(default="", max_length=MAX_TEXT, description="English notice text")
    text_zh: str = Field(default="", max_length=MAX_TEXT, description="Chinese notice text")
    policy_url: str = Field(default="", max_length=MAX_URL, description="https URL or empty")
    honour_gpc: bool = Field(default=False, description="Sec-GPC: 1 / DNT: 1 → the open only")

    @field_validator("text_en", "text_zh")
    @classmethod
    def _text(cls, value: str) -> str:
        return _plain_text(value)

    @field_validator("policy_url")
    @classmethod
    def _url(cls, value: str) -> str:
        url = value.strip()
        if not url:
            return ""
        parts = urlsplit(url)
        if (
            parts.scheme != "https"
            or not parts.hostname
            or parts.username is not None
            or any(c.isspace() or not c.isprintable() or c in "<>\"'`" for c in url)
        ):
            raise ValueError("the policy link must be an https URL")
        return url

    def text_for(self, locale: str) -> str:
        """The tenant's text in the reader's language (the other one if that is empty)."""
        chinese = locale.lower().startswith("zh")
        first, second = (self.text_zh, self.text_en) if chinese else (self.text_en, self.text_zh)
        return first or second


def get_privacy_notice(ch: ClickHouse, tenant_id: str) -> PrivacyNotice:
    return PrivacyNotice(**get_tenant_settings(ch, tenant_id, _KEY))


def put_privacy_notice(ch: ClickHouse, tenant_id: str, notice: PrivacyNotice) -> None:
    put_tenant_settings(ch, tenant_id, _KEY, notice.model_dump(mode="json"))


def tracking_for(notice: PrivacyNotice, *, answer: str, do_not_track: bool) -> Tracking:
    """What a viewer session may record. `answer`: the viewer's recorded answer to the
    notice ("granted", "declined" or ""); `do_not_track`: the request carried Sec-GPC: 1 or
    DNT: 1. A refusal holds whatever the mode (a tenant switching consent off does not
    overrule a buyer who said no)."""
    if answer == "declined":
        return Tracking.DECLINED
    if do_not_track and notice.honour_gpc:
        return Tracking.OPTED_OUT
    if notice.mode is PrivacyMode.CONSENT and answer != "granted":
        return Tracking.CONSENT_PENDING
    return Tracking.ALL


def set_privacy_notice(
    ch: ClickHouse, tenant_id: str, notice: PrivacyNotice, *, actor: str
) -> None:
    """An admin's change (the REST API and the web settings page both come here), kept in the
    audit trail: a legal review asks who changed what buyers were told, and when."""
    put_privacy_notice(ch, tenant_id, notice)
    record_audit(
        ch, tenant_id, actor, AuditAction.SETTINGS_CHANGED, "privacy", notice.model_dump_json()
    )
