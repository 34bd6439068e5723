"""Score values straight from the value rows of `repository.fetch_value_rows`: each key's
`ValueInputs` assembled from Arrow columns (times as epoch integers, no datetime objects, no
`Signals`), with the arithmetic of `signals` — `decay`, `real_time`'s floor — on integers, so
every value is the one `score_value` gives on the key's signals."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from scoring.engagement.repository import ScopeKind
from scoring.engagement.score import ValueInputs, value_of
from tracker.config import ScoringSettings

__all__ = ["collect_values"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FLOOR_MS = 946_684_800_000  # signals._EPOCH_FLOOR (2000-01-01): earlier is "no value"
_US = timedelta(microseconds=1)


def _decay_us(at_us: int, now_us: int, half_life_days: float) -> float:
    """`signals.decay` of the time `at_us` (µs since the epoch): the same operations on the
    same numbers (`timedelta.total_seconds` divides whole microseconds by 10⁶ too)."""
    age_days = max((now_us - at_us) / 1_000_000, 0.0) / 86_400.0
    return float(2.0 ** (-age_days / half_life_days))


def _decay_ms(at_ms: int | None, now_us: int, half_life_days: float) -> float:
    """`decay(real_time(at))` of an epoch-ms time: 0 for "no value"."""
    if at_ms is None or at_ms < _FLOOR_MS:
        return 0.0
    return _decay_us(at_ms * 1000, now_us, half_life_days)


def _columns(table: pa.Table, *names: str) -> Iterable[tuple[Any, ...]]:
    return zip(*(table.column(n).to_pylist() for n in names), strict=True)


def _pairs(value: Any) -> dict[str, int]:
    """ClickHouse's sumMap/maxMap tuple (keys, values) as a dict (see `signals._tag_map`)."""
    if not value:
        return {}
    keys, values = list(value.values()) if isinstance(value, dict) else list(value)
    return {str(k): int(v) for k, v in zip(keys, values, strict=True)}


def _people(
    table: pa.Table, now_us: int, tuning: ScoringSettings
) -> dict[str, tuple[list[float], list[float]]]:
    """key → (every person's weight, the decision-makers'), in the rows' (person) order."""
    doc_hl = tuning.engagement.document_half_life_days
    meet_hl = tuning.engagement.meeting_half_life_days
    found: dict[str, tuple[list[float], list[float]]] = {}
    for k, read_ms, meeting_ms, dm in _columns(
        table, "k", "read_ms", "meeting_ms", "is_decision_maker"
    ):
        weight = max(_decay_ms(read_ms, now_us, doc_hl), _decay_ms(meeting_ms, now_us, meet_hl))
        weights, dms = found.setdefault(k, ([], []))
        weights.append(weight)
        if dm:
            dms.append(weight)
    return found


def _pages(table: pa.Table, now_us: int, tuning: ScoringSettings) -> dict[str, dict[str, Any]]:
    """key → its depth, pricing and tag inputs (`score._inputs` on its versions)."""
    doc_hl = tuning.engagement.document_half_life_days
    tagged = "tags" in table.column_names
    names = ["k", "best", "dwell_ms", "pricing_ms", "has_pricing", "pricing_last_ms"]
    found: dict[str, dict[str, Any]] = {}
    for row in _columns(table, *(names + (["tags", "tag_dwell", "tag_last"] if tagged else []))):
        k, best, dwell, pricing_ms, has_pricing, pricing_last = row[:6]
        depth, depth_raw = best.values() if isinstance(best, dict) else best
        inputs: dict[str, Any] = {"depth": float(depth), "depth_raw": float(depth_raw)}
        if has_pricing:
            share = int(pricing_ms) / int(dwell) if dwell else 0.0
            inputs["pricing"] = (share, _decay_ms(pricing_last, now_us, doc_hl))
        if tagged:
            tags, tag_ms, tag_last = set(row[6] or ()), _pairs(row[7]), _pairs(row[8])
            inputs["tags"] = {
                tag: (
                    tag_ms.get(tag, 0) / int(dwell) if dwell else 0.0,
                    _decay_us(tag_last[tag] * 1_000_000, now_us, doc_hl)
                    if tag in tag_last
                    else 0.0,
                )
                for tag in tuning.engagement.page_tags
                if tag in tags
            }
        found[k] = inputs
    return found


def _per_key(
    table: pa.Table | None, converts: dict[str, Callable[[Any], Any]]
) -> dict[str, dict[str, Any]]:
    """key → the named columns of its row, converted as `collect_signals` does."""
    if table is None:
        return {}
    return {
        row[0]: {n: convert(v) for (n, convert), v in zip(converts.items(), row[1:], strict=True)}
        for row in _columns(table, "k", *converts)
    }


def collect_values(
    rows: dict[str, pa.Table],
    keys: Sequence[str] | None,
    scope: ScopeKind,
    now: datetime,
    tuning: ScoringSettings,
) -> dict[str, float]:
    """Every key's value (of `keys`; all keys with data when None, sorted)."""
    now_us = (now - _EPOCH) // _US
    pages = _pages(rows["pages"], now_us, tuning) if "pages" in rows else {}
    people = _people(rows["people"], now_us, tuning) if "people" in rows else {}
    counts = [
        _per_key(rows.get("visits"), {"revisits": int, "revisits_decayed": float}),
        _per_key(rows.get("events"), {"downloads": int, "downloads_decayed": float}),
        _per_key(rows.get("activities"), {"meetings": int, "meetings_decayed": float}),
    ]
    if keys is None:
        keys = sorted(set(pages).union(people, *counts))
    values: dict[str, float] = {}
    for k in keys:
        weights, dms = people.get(k, ([], []))
        found = {n: v for c in counts if k in c for n, v in c[k].items()}
        inputs = ValueInputs(weights=weights, decision_makers=dms, **pages.get(k, {}), **found)
        values[k] = value_of(inputs, scope, tuning)
    return values
