"""The CRM vocabulary shared by the push API, the stores and scoring: opportunity stages,
forecast categories, activity types, outcomes, ISO 4217 currencies and the id format.

Stages (in pipeline order)::

    prospecting → qualification → discovery → proposal → negotiation → closed_won | closed_lost

Forecast categories follow Salesforce's: pipeline, best_case, commit, closed, omitted.

Activity types: meeting, email, call, note (communication: each may carry a `Direction`),
stage_change, close_date_change, service_request (a customer's ticket), proposal_revision
(the CRM saw a new version of a proposal or quote, e.g. one edited outside dealsignal).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "COMMUNICATION_TYPES",
    "CRM_ID_PATTERN",
    "CURRENCIES",
    "ActivityType",
    "Direction",
    "ForecastCategory",
    "Outcome",
    "Stage",
]

#: External (CRM) ids: ASCII letters, digits and `_ . : -`, 1..128 chars, no separators, so
#: lists of ids can be passed to ClickHouse as one comma-joined parameter.
CRM_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"


class Stage(StrEnum):
    PROSPECTING = "prospecting"
    QUALIFICATION = "qualification"
    DISCOVERY = "discovery"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"

    @property
    def is_closed(self) -> bool:
        return self in (Stage.CLOSED_WON, Stage.CLOSED_LOST)


class ForecastCategory(StrEnum):
    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


class ActivityType(StrEnum):
    MEETING = "meeting"
    EMAIL = "email"
    CALL = "call"
    STAGE_CHANGE = "stage_change"
    CLOSE_DATE_CHANGE = "close_date_change"
    NOTE = "note"
    SERVICE_REQUEST = "service_request"
    PROPOSAL_REVISION = "proposal_revision"


#: The activities that are a conversation with the customer: what "customer-initiated
#: communication" counts when their direction is inbound.
COMMUNICATION_TYPES: Final = frozenset(
    {ActivityType.MEETING, ActivityType.EMAIL, ActivityType.CALL}
)


class Direction(StrEnum):
    """Who started an activity: inbound = the customer (客户主动), outbound = us. A CRM
    that does not say leaves it unknown (stored as '')."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Outcome(StrEnum):
    WON = "won"
    LOST = "lost"


#: Active ISO 4217 currency codes (fund, precious-metal and testing codes such as XAU or XXX
#: are not deal currencies and are refused).
CURRENCIES: Final = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)
