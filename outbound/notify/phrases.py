"""What scoring hands over as codes plus parameters — stall reasons, next actions, stages,
bands — rendered in the reader's language from the catalogs (`outbound.notify.messages`).
Used by every channel message, the reports and (through `outbound`) the web app and the demo,
so a person never reads an English string passed along."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from outbound.notify.messages import has, text, when

__all__ = [
    "action_text",
    "band_name",
    "code_label",
    "reason_text",
    "signal_text",
    "stage_name",
    "tag_label",
]


def stage_name(locale: str, stage: str) -> str:
    """A pipeline stage in the reader's language (an unknown stage as the CRM sent it)."""
    key = f"stage.{stage}"
    return text(locale, key) if has(key) else stage


def band_name(locale: str, band: str) -> str:
    """A health band (blue / yellow / red; '' = none yet) in the reader's language."""
    key = f"band.{band}"
    return text(locale, key) if has(key) else band


def code_label(locale: str, key: str, detail: str) -> str:
    """A scoring item known by its code (`factor.<code>`, `evidence.<code>.yes`,
    `notice.<code>`): English readers keep scoring's own detailed English `detail`; others
    read the code's label in their language (never the English detail)."""
    if locale == "en" or not has(key):
        return detail
    return text(locale, key)


def _update_name(locale: str, what: str) -> str:
    key = f"update.{what}"
    return text(locale, key if has(key) else "update.activity")


def reason_text(locale: str, reason: Mapping[str, Any], zone: ZoneInfo) -> str:
    """A reason given as {code, params} (e.g. a stall's) in the reader's language; moments
    (`at`, ISO) in the reader's time zone, stages and update kinds by name."""
    code = str(reason.get("code", ""))
    params = dict(reason.get("params") or {})
    if not has(code):
        return str(reason.get("text") or code)
    if "at" in params:
        moment = datetime.fromisoformat(str(params["at"])).astimezone(zone)
        params["at"] = moment.strftime("%m-%d %H:%M")
    if "last" in params:
        params["last"] = _update_name(locale, str(params["last"]))
    if "stage" in params:
        params["stage"] = stage_name(locale, str(params["stage"]))
    return text(locale, code, **params)


def _deadline(locale: str, hours: int) -> str:
    if hours >= 72 and hours % 24 == 0:
        return text(locale, "deadline.days", n=hours // 24)
    return text(locale, "deadline.hours", n=hours)


def action_text(locale: str, action: Mapping[str, Any], now: datetime) -> str:
    """A next action ({code, params, text}) in the reader's language: the person, the
    document or content and the deadline it names. Codes are scoring's (`follow_up_download`)
    or already prefixed (`act.call`); an unknown code falls back to its `text`."""
    code = str(action.get("code", ""))
    key = code if code.startswith("act.") else f"act.{code}"
    p = dict(action.get("params") or {})
    if code == "confirm_timeline" and p.get("overdue"):
        key += ".overdue"
    if not has(key):
        return str(action.get("text") or code)
    p["who"] = p.get("who") or text(locale, "who.buyer")
    p["doc"] = p.get("doc") or text(locale, "doc.proposal")
    if p.get("content"):
        p["content"] = text(locale, f"content.{p['content']}")
    if p.get("at"):
        p["ago"] = when(locale, datetime.fromisoformat(str(p["at"])), now)
    if "stage" in p:
        p["stage"] = stage_name(locale, str(p["stage"]))
    if p.get("kind"):
        p["kind"] = _update_name(locale, f"activity.{p['kind']}")
    p["subject"] = p.get("subject") or p.get("kind") or ""
    _topic(locale, p)
    p["deadline"] = _deadline(locale, int(p.get("hours") or action.get("due_within_hours") or 24))
    try:
        return text(locale, key, **p)
    except (KeyError, IndexError):
        return str(action.get("text") or code)


def signal_text(locale: str, signal: Mapping[str, Any], zone: ZoneInfo | None = None) -> str:
    """An early-warning signal ({code, params, summary}: `scoring.RiskSignal`) in the reader's
    language; its moment (`at`) in `zone`, else in the offset scoring gave it (the tenant's
    time zone); the activity kind by name."""
    code = f"signal.{signal.get('code', '')}"
    params = dict(signal.get("params") or {})
    if not has(code):
        return str(signal.get("summary") or code)
    if "at" in params:
        moment = datetime.fromisoformat(str(params["at"]))
        params["at"] = (moment.astimezone(zone) if zone else moment).strftime("%m-%d %H:%M")
    if "kind" in params:
        kind = f"update.activity.{params['kind']}"
        params["kind"] = text(locale, kind if has(kind) else "update.activity")
    _topic(locale, params)
    return text(locale, code, **params)


def tag_label(locale: str, name: str, meaning: str = "") -> str:
    """A page tag: the catalog's label of a well-known one (`tag.<name>`), else the tenant's
    own meaning, else its name."""
    if has(key := f"tag.{name}"):
        return text(locale, key)
    return meaning or name.replace("_", " ")


def _topic(locale: str, params: dict[str, Any]) -> None:
    """A signal's or action's page tag (`tag`) as its `topic`, in the reader's language."""
    if params.get("tag"):
        params["topic"] = tag_label(locale, str(params["tag"]), str(params.get("topic") or ""))
