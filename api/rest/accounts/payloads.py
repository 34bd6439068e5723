"""Account and finance payloads, validated whole at the edge (strict: unknown fields are
refused), each turned into its `tracker.crm` record by `to_domain()`; and what reads of them
return. Names and industries are free text (CJK as sent)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from api.rest.crm_payloads import CrmDate, CrmId, Email, Name
from tracker.clock import utcnow
from tracker.crm import CURRENCIES, Account, AccountFinance, Money, MoneyOut

__all__ = ["AccountIn", "AccountOut", "AccountPage", "FinanceIn", "FinanceOut", "UnfreezeIn"]

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _check_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise PydanticCustomError(
            "unknown_currency", "not an ISO 4217 currency code: {value}", {"value": value}
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountIn(_Strict):
    name: Name
    industry: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    annual_revenue: Money | None = None
    currency: str | None = Field(default=None, description="of annual_revenue (ISO 4217)")
    industry_growth_pct: Annotated[float, Field(ge=-100, le=1_000)] | None = None
    contract_start: CrmDate | None = Field(default=None, description="first contract signed")
    product_lines: Annotated[list[Label], Field(max_length=200)] = []
    kol_contact_ids: Annotated[list[CrmId], Field(max_length=200)] = []
    owner: Email | None = Field(default=None, description="the account's rep")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.annual_revenue is not None and self.currency is None:
            raise PydanticCustomError("missing_currency", "annual_revenue needs a currency")
        if self.currency is not None:
            _check_currency(self.currency)
        if self.contract_start is not None and self.contract_start > utcnow().date():
            raise PydanticCustomError("future_date", "contract_start is in the future")
        for name in ("product_lines", "kol_contact_ids"):
            values = getattr(self, name)
            if len(values) != len(set(values)):
                raise PydanticCustomError("duplicates", "{name} must be unique", {"name": name})
        return self

    def to_domain(self, tenant_id: str, account_id: str) -> Account:
        return Account(
            tenant_id=tenant_id,
            account_id=account_id,
            name=self.name,
            updated_at=utcnow(),
            industry=self.industry,
            annual_revenue=self.annual_revenue,
            currency=self.currency or "",
            industry_growth_pct=self.industry_growth_pct,
            contract_start=self.contract_start,
            product_lines=tuple(self.product_lines),
            kol_contact_ids=tuple(self.kol_contact_ids),
            owner=self.owner or "",
        )


class AccountOut(BaseModel):
    id: str
    name: str
    industry: str | None = Field(description="null when the CRM sent none")
    annual_revenue: MoneyOut | None
    currency: str | None = Field(description="null when the CRM sent none")
    industry_growth_pct: float | None
    contract_start: date | None
    product_lines: list[str]
    kol_contact_ids: list[str]
    owner: str | None = Field(description="null when the CRM sent none")
    frozen: bool = Field(description="new opportunities refused (409 account_frozen)")
    updated_at: datetime

    @classmethod
    def of(cls, a: Account, *, frozen: bool) -> AccountOut:
        return cls(
            id=a.account_id,
            name=a.name,
            industry=a.industry or None,
            annual_revenue=a.annual_revenue,
            currency=a.currency or None,
            industry_growth_pct=a.industry_growth_pct,
            contract_start=a.contract_start,
            product_lines=list(a.product_lines),
            kol_contact_ids=list(a.kol_contact_ids),
            owner=a.owner or None,
            frozen=frozen,
            updated_at=a.updated_at,
        )


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_after: str | None = Field(description="pass as `after` for the next page")


class FinanceIn(_Strict):
    as_of: CrmDate = Field(description="the day the finance system's figures are for")
    on_time_payment_rate: Annotated[float, Field(ge=0, le=1, description="share, 0–1")]
    receivables_outstanding: Money
    credit_limit: Money
    credit_used: Money
    currency: str
    payment_delay_days: Annotated[float, Field(ge=0, le=3650)] | None = Field(
        default=None, description="average days invoices were paid late"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_currency(self.currency)
        if self.as_of > utcnow().date() + timedelta(days=1):
            raise PydanticCustomError("future_date", "as_of is in the future")
        return self

    def to_domain(self, tenant_id: str, account_id: str) -> AccountFinance:
        return AccountFinance(
            tenant_id=tenant_id,
            account_id=account_id,
            as_of=self.as_of,
            on_time_payment_rate=self.on_time_payment_rate,
            receivables_outstanding=self.receivables_outstanding,
            credit_limit=self.credit_limit,
            credit_used=self.credit_used,
            currency=self.currency,
            updated_at=utcnow(),
            payment_delay_days=self.payment_delay_days,
        )


class FinanceOut(BaseModel):
    account_id: str
    as_of: date
    on_time_payment_rate: float
    receivables_outstanding: MoneyOut
    credit_limit: MoneyOut
    credit_used: MoneyOut
    currency: str
    payment_delay_days: float | None
    updated_at: datetime

    @classmethod
    def of(cls, f: AccountFinance) -> FinanceOut:
        return cls(**{name: getattr(f, name) for name in cls.model_fields})


class UnfreezeIn(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
