"""The forecast rule library (规则库): a deviation pattern → the forecast treatment a manager
applies when it shows up again. The monthly calibration report's TOP3 deviation reasons name
their rule (or show the pattern has none yet); managers read and edit the library over the
API (`/api/v1/forecast/rules`). Stored per tenant as the `forecast_rules` tenant setting;
a tenant that never edited it reads the defaults.

Patterns are the report's reason codes: `missing:<evidence code>` (e.g. a close-date slip is
`missing:close_date_pushes`), `lost:<CRM loss reason>`, `won_despite_low_probability`."""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, Field, field_validator

from tracker.errors import BadRequest
from tracker.stores import ClickHouse
from tracker.tenant_settings import get_tenant_settings, put_tenant_settings

__all__ = ["DEFAULT_RULES", "ForecastRule", "load_rules", "save_rules"]

_KEY: Final = "forecast_rules"
_PATTERN = re.compile(r"^[a-z_]+(:[\w.\-]{1,64})?$")
MAX_RULES: Final = 200


class ForecastRule(BaseModel):
    pattern: str = Field(min_length=1, max_length=80)
    treatment: str = Field(min_length=1, max_length=500)

    @field_validator("pattern")
    @classmethod
    def _known_shape(cls, value: str) -> str:
        if not _PATTERN.match(value):
            raise ValueError("a pattern is a reason code, e.g. missing:close_date_pushes")
        return value


DEFAULT_RULES: Final = (
    ForecastRule(pattern="missing:close_date_pushes",
                 treatment="预计成交日推迟过的商机：按 70% 计入预测，直到客户书面确认新日期"),
    ForecastRule(pattern="missing:decision_maker_read",
                 treatment="决策人未参与：降为 best case，决策人参会后再计入 commit"),
    ForecastRule(pattern="missing:stakeholders_engaged",
                 treatment="单线联系：干系人不足 3 位按 best case 计入，补齐后再计入 commit"),
    ForecastRule(pattern="missing:decision_maker_meeting",
                 treatment="决策人未出席会议：概率上限 50%"),
    ForecastRule(pattern="lost:budget_cut",
                 treatment="客户预算被削减：确认预算审批流程前不计入 commit"),
    ForecastRule(pattern="won_despite_low_probability",
                 treatment="低概率却赢单：复盘阶段概率设置，检查是否低估了关系质量"),
)  # fmt: skip


def load_rules(ch: ClickHouse, tenant_id: str) -> list[ForecastRule]:
    stored = get_tenant_settings(ch, tenant_id, _KEY)
    if "rules" not in stored:
        return list(DEFAULT_RULES)
    return [ForecastRule.model_validate(r) for r in stored["rules"]]


def save_rules(ch: ClickHouse, tenant_id: str, rules: list[ForecastRule]) -> list[ForecastRule]:
    """Replace the tenant's library (one rule per pattern)."""
    if len(rules) > MAX_RULES:
        raise BadRequest(f"at most {MAX_RULES} rules", code="too_many_rules")
    patterns = [r.pattern for r in rules]
    if len(set(patterns)) != len(patterns):
        raise BadRequest("one rule per pattern", code="duplicate_rule_pattern")
    put_tenant_settings(ch, tenant_id, _KEY, {"rules": [r.model_dump() for r in rules]})
    return rules
