"""How money, probabilities and times look on the wire, one definition each, so every
schema of `/openapi.json` states the same contract:

- money is a decimal string, `"125000.50"`: at most 14 integer digits and 4 decimals (what
  ClickHouse's `Decimal(18, 4)` holds). A JSON number is still accepted going in (older
  clients send them), but a float such as `0.1 + 0.2` carries more than 4 decimals and is
  refused — send a string. Amounts go out as strings with exactly 4 decimals; derived
  amounts (a forecast = amount × probability) are rounded half-even to 4 decimals.
- a probability is the CRM's unit, an integer percent 0–100, in and out.
- a time must carry its offset (`Z` or `±hh:mm`); a naive one is refused (422).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Final

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "MONEY_DECIMALS",
    "MONEY_PATTERN",
    "Money",
    "MoneyOut",
    "Percent",
    "PositiveMoney",
    "ZonedDatetime",
]

MONEY_DECIMALS: Final = 4
MONEY_PATTERN: Final = r"^(0|[1-9][0-9]{0,13})(\.[0-9]{1,4})?$"
_PLAIN_DECIMAL: Final = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_QUANTUM: Final = Decimal(1).scaleb(-MONEY_DECIMALS)
_MONEY_TEXT: Final = (
    'A decimal string (e.g. `"125000.50"`): at most 14 integer digits and '
    f"{MONEY_DECIMALS} decimals. JSON numbers are accepted for compatibility, but send "
    "strings: a float like 0.1 + 0.2 has more than 4 decimals and is refused."
)
_MONEY_OUT_TEXT: Final = f"A decimal string with exactly {MONEY_DECIMALS} decimals."
_TIME_TEXT: Final = "ISO 8601 with its offset (`Z` or `±hh:mm`); a time without one is refused."
# An offset at the end: what "timezone required" means for a generated client and a reader.
_ZONED_PATTERN: Final = r"(Z|z|[+-][0-9]{2}:?[0-9]{2})$"


def _money_text(value: Any) -> Any:
    """Strings must be plain decimals (no exponent, spaces or `+`); a sign or too many digits
    or decimals are left to the range checks, whose error types say which limit it broke."""
    if isinstance(value, str) and not _PLAIN_DECIMAL.match(value):
        raise PydanticCustomError(
            "money_format",
            "money is a decimal string like 125000.50 (at most 4 decimals): {value}",
            {"value": value[:40]},
        )
    return value


def _money_out(value: Decimal) -> str:
    return format(value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN), "f")


_MONEY_IN_SCHEMA: Final = WithJsonSchema(
    {"type": "string", "pattern": MONEY_PATTERN, "description": _MONEY_TEXT}
)
_MONEY_OUT_SCHEMA: Final = WithJsonSchema(
    {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{4}$", "description": _MONEY_OUT_TEXT}
)

Money = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(ge=0, max_digits=18, decimal_places=MONEY_DECIMALS, allow_inf_nan=False),
    _MONEY_IN_SCHEMA,
]
PositiveMoney = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(gt=0, max_digits=18, decimal_places=MONEY_DECIMALS, allow_inf_nan=False),
    _MONEY_IN_SCHEMA,
]
MoneyOut = Annotated[
    Decimal, PlainSerializer(_money_out, return_type=str, when_used="json"), _MONEY_OUT_SCHEMA
]
Percent = Annotated[int, Field(ge=0, le=100, description="a probability in percent, 0–100")]
ZonedDatetime = Annotated[
    AwareDatetime,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": _ZONED_PATTERN,
            "description": _TIME_TEXT,
        }
    ),
]
