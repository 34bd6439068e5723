"""The CRM's push payloads, validated whole at the edge (strict: unknown fields are refused),
each turned into its `tracker` domain object by `to_domain()`; and what a read of a stored
opportunity returns. Batch bodies beyond `_HARD_CAP` items are refused by validation before
the endpoints count them against `limits.max_batch_items`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tracker.crm import (
    CRM_ID_PATTERN,
    CURRENCIES,
    Activity,
    ActivityType,
    Contact,
    DealOutcome,
    Direction,
    ForecastCategory,
    Money,
    MoneyOut,
    Opportunity,
    Outcome,
    Payment,
    Percent,
    PositiveMoney,
    Stage,
    ZonedDatetime,
)

__all__ = [
    "Accepted",
    "ActivityBatch",
    "OpportunityBatch",
    "OpportunityIn",
    "OpportunityOut",
    "OutcomeBatch",
    "Recorded",
]

CrmId = Annotated[str, StringConstraints(pattern=CRM_ID_PATTERN)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Currency = Annotated[str, Field(description="ISO 4217, e.g. CNY, USD, EUR")]
# What the stores hold: ClickHouse `DateTime` ends in 2106, `Date` in 2149, and entity
# versions are microseconds since 1970 (a UInt64) — a 1969 update time was a 500.
_EARLIEST, _LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2106, 1, 1, tzinfo=UTC)


def _time_in_range(value: datetime) -> datetime:
    if not _EARLIEST <= value < _LATEST:
        raise PydanticCustomError(
            "time_out_of_range", "times run from 1970 to 2105: {value}", {"value": str(value)}
        )
    return value


def _date_in_range(value: date) -> date:
    if not _EARLIEST.date() <= value < _LATEST.date():
        raise PydanticCustomError(
            "date_out_of_range", "dates run from 1970 to 2105: {value}", {"value": str(value)}
        )
    return value


CrmTime = Annotated[ZonedDatetime, AfterValidator(_time_in_range)]
CrmDate = Annotated[date, AfterValidator(_date_in_range)]
_HARD_CAP = 100_000  # bodies beyond this are refused by validation before any counting


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise PydanticCustomError(
            "unknown_currency", "not an ISO 4217 currency code: {value}", {"value": value}
        )
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(Strict):
    id: CrmId
    name: Name
    email: Email | None = None
    role: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    is_decision_maker: bool = False


class OpportunityIn(Strict):
    account: Name
    amount: Money
    currency: Currency
    stage: Stage
    stage_entered_at: CrmTime | None = None
    expected_close_date: CrmDate | None = None
    probability: Percent = Field(description="the CRM's win probability, percent 0–100")
    forecast_category: ForecastCategory
    owner: Email
    manager: Email | None = None
    contacts: Annotated[list[ContactIn], Field(max_length=200)] = []
    updated_at: CrmTime = Field(description="the CRM's last-modified time (wins if newer)")
    account_employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    account_growth_pct: Annotated[float, Field(ge=-100, le=100_000)] | None = None
    payment_issues: bool | None = None
    support_escalations: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    product_lines: Annotated[int, Field(ge=0, le=10_000)] = 0

    _check_currency = field_validator("currency")(_currency)

    @model_validator(mode="after")
    def _unique_contacts(self) -> Self:
        ids = [c.id for c in self.contacts]
        if len(ids) != len(set(ids)):
            raise PydanticCustomError("duplicate_contact", "contact ids must be unique")
        return self

    def to_domain(self, opportunity_id: str) -> Opportunity:
        return Opportunity(
            opportunity_id=opportunity_id,
            account=self.account,
            amount=self.amount,
            currency=self.currency,
            stage=self.stage.value,
            probability=self.probability,
            forecast_category=self.forecast_category.value,
            owner=self.owner,
            manager=self.manager or "",
            updated_at=self.updated_at,
            stage_entered_at=self.stage_entered_at,
            expected_close_date=self.expected_close_date,
            account_employees=self.account_employees,
            account_growth_pct=self.account_growth_pct,
            payment_issues=self.payment_issues,
            support_escalations=self.support_escalations,
            product_lines=self.product_lines,
            contacts=tuple(
                Contact(c.id, c.name, c.email or "", c.role, c.is_decision_maker)
                for c in self.contacts
            ),
        )


class OpportunityItem(OpportunityIn):
    id: CrmId


class OpportunityBatch(Strict):
    items: Annotated[list[OpportunityItem], Field(min_length=1, max_length=_HARD_CAP)]


_NO_DIRECTION = frozenset(
    {ActivityType.STAGE_CHANGE, ActivityType.CLOSE_DATE_CHANGE, ActivityType.PROPOSAL_REVISION}
)


class ActivityIn(Strict):
    """`direction` inbound = customer-initiated (absent: unknown). The older boolean
    `customer_initiated` is still accepted: true means inbound; it may not contradict
    `direction`. `held` and `series_id` (the recurring series a meeting belongs to) are for
    meetings only (absent: the CRM did not say)."""

    id: CrmId = Field(description="the CRM's external id; re-sending it is harmless")
    opportunity_id: CrmId
    type: ActivityType
    occurred_at: CrmTime
    direction: Direction | None = Field(
        default=None, description="inbound (customer-initiated) or outbound; absent: unknown"
    )
    customer_initiated: bool | None = Field(
        default=None, description="older form of direction: true = inbound"
    )
    attendees: Annotated[list[CrmId], Field(max_length=200)] = Field(
        default=[], description="contact ids of the people who attended (meetings)"
    )
    held: bool | None = Field(
        default=None, description="meetings: true held, false cancelled or no-show"
    )
    series_id: CrmId | None = Field(
        default=None, description="meetings: the CRM's id of the recurring series"
    )
    from_stage: Stage | None = None
    to_stage: Stage | None = None
    old_close_date: CrmDate | None = None
    new_close_date: CrmDate | None = None
    subject: Text = ""
    updated_at: CrmTime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type is ActivityType.STAGE_CHANGE and self.to_stage is None:
            raise PydanticCustomError("missing_to_stage", "a stage_change needs to_stage")
        if self.type is ActivityType.CLOSE_DATE_CHANGE and self.new_close_date is None:
            raise PydanticCustomError(
                "missing_new_close_date", "a close_date_change needs new_close_date"
            )
        if self.held is not None and self.type is not ActivityType.MEETING:
            raise PydanticCustomError("held_not_a_meeting", "only a meeting is held or not")
        if self.series_id is not None and self.type is not ActivityType.MEETING:
            raise PydanticCustomError(
                "series_not_a_meeting", "only a meeting belongs to a recurring series"
            )
        if self.type in _NO_DIRECTION and (self.direction or self.customer_initiated):
            raise PydanticCustomError(
                "direction_not_applicable", "a {type} has no direction", {"type": self.type}
            )
        if (
            self.direction is not None
            and self.customer_initiated is not None
            and (self.direction is Direction.INBOUND) != self.customer_initiated
        ):
            raise PydanticCustomError(
                "conflicting_direction", "customer_initiated contradicts direction"
            )
        return self

    @property
    def effective_direction(self) -> str:
        if self.direction is not None:
            return self.direction.value
        return Direction.INBOUND.value if self.customer_initiated else ""

    def to_domain(self) -> Activity:
        return Activity(
            activity_id=self.id,
            opportunity_id=self.opportunity_id,
            activity_type=self.type.value,
            occurred_at=self.occurred_at,
            customer_initiated=self.effective_direction == Direction.INBOUND,
            attendees=tuple(self.attendees),
            direction=self.effective_direction,
            held=self.held,
            series_id=self.series_id or "",
            from_stage=self.from_stage.value if self.from_stage else "",
            to_stage=self.to_stage.value if self.to_stage else "",
            old_close_date=self.old_close_date,
            new_close_date=self.new_close_date,
            subject=self.subject,
            updated_at=self.updated_at,
        )


class ActivityBatch(Strict):
    items: Annotated[list[ActivityIn], Field(min_length=1, max_length=_HARD_CAP)]


class OutcomeIn(Strict):
    opportunity_id: CrmId
    outcome: Outcome
    actual_amount: Money
    currency: Currency
    closed_at: CrmTime
    reason: Text = ""
    updated_at: CrmTime | None = None

    _check_currency = field_validator("currency")(_currency)

    def to_domain(self) -> DealOutcome:
        return DealOutcome(
            opportunity_id=self.opportunity_id,
            outcome=self.outcome.value,
            actual_amount=self.actual_amount,
            currency=self.currency,
            closed_at=self.closed_at,
            reason=self.reason,
            updated_at=self.updated_at,
        )


class PaymentIn(Strict):
    """One payment received (回款); `external_id` is the sender's id (idempotent)."""

    external_id: CrmId
    account: Name
    opportunity_id: CrmId
    amount: PositiveMoney
    currency: Currency
    received_at: CrmTime

    _check_currency = field_validator("currency")(_currency)

    def to_domain(self) -> Payment:
        return Payment(
            payment_id=self.external_id,
            account=self.account,
            opportunity_id=self.opportunity_id,
            amount=self.amount,
            currency=self.currency,
            received_at=self.received_at,
        )


class PaymentBatch(Strict):
    items: Annotated[list[PaymentIn], Field(min_length=1, max_length=_HARD_CAP)]


class OutcomeBatch(Strict):
    items: Annotated[list[OutcomeIn], Field(min_length=1, max_length=_HARD_CAP)]


class ContactOut(BaseModel):
    id: str
    name: str
    email: str | None = Field(description="null when the CRM sent none")
    role: str
    is_decision_maker: bool


class OpportunityOut(BaseModel):
    id: str
    account: str
    amount: MoneyOut
    currency: str
    stage: Stage
    stage_entered_at: datetime | None
    expected_close_date: date | None
    probability: Percent
    forecast_category: ForecastCategory
    owner: str
    manager: str | None = Field(description="null when the CRM sent none")
    contacts: list[ContactOut]
    account_employees: int | None
    account_growth_pct: float | None
    payment_issues: bool | None
    support_escalations: int | None
    product_lines: int
    updated_at: datetime
    received_at: datetime | None

    @classmethod
    def of(cls, o: Opportunity) -> OpportunityOut:
        fields: dict[str, Any] = {
            name: getattr(o, name) for name in cls.model_fields if name not in ("id", "contacts")
        }
        fields["manager"] = o.manager or None  # stored as "" for none
        contacts = [
            ContactOut(
                id=c.contact_id,
                name=c.name,
                email=c.email or None,
                role=c.role,
                is_decision_maker=c.is_decision_maker,
            )
            for c in o.contacts
        ]
        return cls(id=o.opportunity_id, contacts=contacts, **fields)


class Accepted(BaseModel):
    accepted: int = Field(description="items written (re-sends and stale updates included)")


class Recorded(Accepted):
    """What a push of activities, outcomes or payments wrote, and what it could not match."""

    unmatched: list[str] = Field(
        description="the opportunity ids, sorted, among the items that were never pushed "
        "(PUT /api/v1/opportunities/{id}). Their items are stored anyway and count once the "
        "opportunity arrives; a CRM should push it.",
    )
