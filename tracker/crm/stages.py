"""证据导向阶段 — evidence-gated stages: a tenant's ordered pipeline stages (zh/en labels,
default probability, the evidence kinds each requires) and the evidence kinds themselves.

    stage           zh        en                      probability  requires (defaults)
    prospecting     初步接触  Prospecting             10           —
    qualification   需求确认  Needs confirmed         20           customer_pain_list
    discovery       方案演示  Solution presented      35           customer_pain_list
    proposal        商务谈判  Commercial negotiation  50           nda_signed
    negotiation     合同审批  Contract approval       70           nda_signed, legal_approval

Built-in evidence kinds: `nda_signed` (a file), `legal_approval` (a reference number, e.g. the
legal system's approval serial), `capacity_confirmed` (a file or a screenshot),
`customer_pain_list` (a file); a tenant adds its own (`evidence_kinds`). A file is a PDF or a
PNG/JPEG image (scan, screenshot), through the upload limits and sanitising
(`api.rest.evidence`).

An opportunity whose stage lacks required evidence is `unverified_stage`: it is forecast at
the last stage (at or before its own, going back) whose required evidence is complete, at that
stage's probability when it is below the CRM's (0 when no stage is complete). In `strict`
mode a CRM push that moves an opportunity into such a stage is refused (409
`stage_evidence_missing`). Stored as the tenant setting `stages` (`tracker.tenant_settings`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tracker.crm.vocabulary import Stage
from tracker.stores.clickhouse import ClickHouse
from tracker.tenant_settings import get_tenant_settings, put_tenant_settings

__all__ = [
    "BUILTIN_KINDS",
    "DEFAULT_STAGES",
    "EvidenceForm",
    "EvidenceKind",
    "StageCheck",
    "StageDefinition",
    "StageSettings",
    "check_stage",
    "get_stage_settings",
    "put_stage_settings",
]

SETTINGS_KEY: Final = "stages"
KindName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,47}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class EvidenceForm(StrEnum):
    FILE = "file"  # a PDF, or a PNG/JPEG image (a scan or a screenshot)
    REFERENCE = "reference"  # a reference number from another system


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceKind(_Strict):
    name: KindName
    label_zh: Label
    label_en: Label
    form: EvidenceForm


BUILTIN_KINDS: Final = {
    k.name: k
    for k in (
        EvidenceKind(name="nda_signed", label_zh="双方签字版NDA", label_en="Signed NDA",
                     form=EvidenceForm.FILE),
        EvidenceKind(name="legal_approval", label_zh="法务审批流水号",
                     label_en="Legal approval number", form=EvidenceForm.REFERENCE),
        EvidenceKind(name="capacity_confirmed", label_zh="产能锁定截图",
                     label_en="Capacity confirmation", form=EvidenceForm.FILE),
        EvidenceKind(name="customer_pain_list", label_zh="客户痛点清单",
                     label_en="Customer pain list", form=EvidenceForm.FILE),
    )
}  # fmt: skip


class StageDefinition(_Strict):
    stage: Stage
    label_zh: Label
    label_en: Label
    probability: int = Field(ge=0, le=100)
    required_evidence: list[KindName] = Field(default_factory=list, max_length=20)


DEFAULT_STAGES: Final = (
    StageDefinition(stage=Stage.PROSPECTING, label_zh="初步接触", label_en="Prospecting",
                    probability=10),
    StageDefinition(stage=Stage.QUALIFICATION, label_zh="需求确认", label_en="Needs confirmed",
                    probability=20, required_evidence=["customer_pain_list"]),
    StageDefinition(stage=Stage.DISCOVERY, label_zh="方案演示", label_en="Solution presented",
                    probability=35, required_evidence=["customer_pain_list"]),
    StageDefinition(stage=Stage.PROPOSAL, label_zh="商务谈判",
                    label_en="Commercial negotiation", probability=50,
                    required_evidence=["nda_signed"]),
    StageDefinition(stage=Stage.NEGOTIATION, label_zh="合同审批", label_en="Contract approval",
                    probability=70, required_evidence=["nda_signed", "legal_approval"]),
)  # fmt: skip


class StageSettings(_Strict):
    """What `PUT /api/v1/settings/stages` takes: the open stages in pipeline order (each
    once; closed_won / closed_lost are outcomes, not gated), tenant evidence kinds, strict."""

    stages: list[StageDefinition] = Field(
        default_factory=lambda: list(DEFAULT_STAGES), min_length=1, max_length=20
    )
    evidence_kinds: list[EvidenceKind] = Field(default_factory=list, max_length=50)
    strict: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [s.stage for s in self.stages]
        if len(keys) != len(set(keys)) or any(k.is_closed for k in keys):
            raise ValueError("each open stage at most once; closed stages are not gated")
        custom = [k.name for k in self.evidence_kinds]
        if len(custom) != len(set(custom)) or set(custom) & set(BUILTIN_KINDS):
            raise ValueError("evidence kind names must be unique and not built-in ones")
        known = set(custom) | set(BUILTIN_KINDS)
        unknown = sorted({k for s in self.stages for k in s.required_evidence} - known)
        if unknown:
            raise ValueError(f"unknown evidence kinds: {', '.join(unknown)}")
        return self

    def kind(self, name: str) -> EvidenceKind | None:
        return BUILTIN_KINDS.get(name) or next(
            (k for k in self.evidence_kinds if k.name == name), None
        )

    def definition(self, stage: str) -> StageDefinition | None:
        return next((s for s in self.stages if s.stage.value == stage), None)


@dataclass(frozen=True)
class StageCheck:
    stage: str
    verified: bool
    missing: tuple[str, ...]
    forecast_stage: str  # '' when no stage's evidence is complete
    forecast_probability: int | None  # None: the stage is not gated (keep the CRM's)


def check_stage(settings: StageSettings, stage: str, present: Iterable[str]) -> StageCheck:
    """Whether `stage` has its required evidence, and the stage it is forecast at."""
    have = set(present)
    order = [s.stage.value for s in settings.stages]
    if stage not in order:
        return StageCheck(stage, True, (), stage, None)
    at = order.index(stage)
    missing = tuple(k for k in settings.stages[at].required_evidence if k not in have)
    if not missing:
        return StageCheck(stage, True, (), stage, None)
    for earlier in reversed(settings.stages[:at]):
        if all(k in have for k in earlier.required_evidence):
            return StageCheck(stage, False, missing, earlier.stage.value, earlier.probability)
    return StageCheck(stage, False, missing, "", 0)


def get_stage_settings(ch: ClickHouse, tenant_id: str) -> StageSettings:
    stored: dict[str, Any] = get_tenant_settings(ch, tenant_id, SETTINGS_KEY)
    return StageSettings.model_validate(stored) if stored else StageSettings()


def put_stage_settings(ch: ClickHouse, tenant_id: str, settings: StageSettings) -> None:
    put_tenant_settings(ch, tenant_id, SETTINGS_KEY, settings.model_dump(mode="json"))
