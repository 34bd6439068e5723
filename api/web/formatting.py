"""Numbers, durations, dates and amounts as a person reads them, in their locale (Babel); and
scoring's codes (stages, bands, actions, evidence, factors) through outbound's catalogs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from api.i18n import Translator
from outbound.notify import (
    action_text,
    band_name,
    code_label,
    signal_text,
    stage_name,
    tag_label,
)
from scoring import EvidenceItem, Factor, NextAction, Notice, RiskSignal

__all__ = ["Formatter", "amount", "day", "duration", "moment", "number"]


def duration(ms: int, translator: Translator) -> str:
    """`1 h 2 min`, `3 min 5 s`, `12 s` (units from the catalog)."""
    _ = translator.gettext
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    unit_h, unit_min, unit_s = _("h"), _("min"), _("s")
    if hours:
        return f"{hours} {unit_h} {minutes} {unit_min}"
    if minutes:
        return f"{minutes} {unit_min} {secs} {unit_s}"
    return f"{secs} {unit_s}"


def moment(value: datetime | None, translator: Translator) -> str:
    if value is None:
        return "—"
    return format_datetime(value, "short", tzinfo=value.tzinfo, locale=translator.locale)


def day(value: date | None, translator: Translator) -> str:
    return "—" if value is None else format_date(value, "medium", locale=translator.locale)


def amount(value: Decimal | float | None, currency: str, translator: Translator) -> str:
    if value is None:
        return "—"
    if not currency:
        return str(format_decimal(value, locale=translator.locale))
    return str(format_currency(value, currency, locale=translator.locale))


def number(value: float, translator: Translator, *, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=translator.locale))


class Formatter:
    """The helpers bound to one translator, for templates (`fmt.duration(ms)`)."""

    def __init__(self, translator: Translator) -> None:
        self._t = translator

    def duration(self, ms: int) -> str:
        return duration(ms, self._t)

    def moment(self, value: datetime | None) -> str:
        return moment(value, self._t)

    def day(self, value: date | None) -> str:
        return day(value, self._t)

    def amount(self, value: Decimal | float | None, currency: str) -> str:
        return amount(value, currency, self._t)

    def number(self, value: float, digits: int = 0) -> str:
        return number(value, self._t, digits=digits)

    def count(self, n: int, one: str, many: str) -> str:
        """`1 page` / `3 pages`: `one` and `many` are catalog strings with `%(n)s` (Chinese
        uses the same text for both)."""
        return (one if n == 1 else many) % {"n": self.number(n)}

    # Codes + parameters from scoring, in the reader's language (outbound's catalogs).

    def stage(self, value: str) -> str:
        return stage_name(self._t.locale, value) if value else "—"

    def health_band(self, value: str) -> str:
        return band_name(self._t.locale, value) if value else "—"

    def engagement_band(self, value: str) -> str:
        return band_name(self._t.locale, value)

    def activity_type(self, value: str) -> str:
        return code_label(self._t.locale, f"update.activity.{value}", value)

    def action(self, action: NextAction) -> str:
        return action_text(self._t.locale, action.model_dump(), datetime.now(UTC))

    def evidence(self, item: EvidenceItem) -> str:
        key = f"evidence.{item.code}.{'yes' if item.holds else 'no'}"
        return code_label(self._t.locale, key, item.summary)

    def signal(self, signal: RiskSignal) -> str:
        return signal_text(self._t.locale, signal.model_dump())

    def tag(self, name: str, meaning: str = "") -> str:
        return tag_label(self._t.locale, name, meaning)

    def factor(self, factor: Factor) -> str:
        return code_label(self._t.locale, f"factor.{factor.code}", factor.summary)

    def notice(self, notice: Notice) -> str:
        return code_label(self._t.locale, f"notice.{notice.code}", notice.message)
