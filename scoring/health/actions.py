"""Three concrete next actions from an opportunity's recent signals, most urgent first.

Candidates (priority): a fresh download or pricing read (100, follow up within 24 h), a
customer-initiated contact still unanswered (95), buyer silence ≥ 7 days (80), no
decision-maker engaged (70), single-threaded (60), close date overdue or pushed ≥ 2× (55),
the account pays late (its 风险信号 payment-delay part below 50) (50), proposal read < 60 %
(40), no meeting in 30 days (30); then steps that keep momentum (next step, close plan,
reference call) so there are always three.
Names are shown as the CRM sent them (王总)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from scoring.accounts import AccountHealth
from scoring.engagement.wording import when
from scoring.health.features import EngagedContact, OpportunityFeatures

__all__ = ["NextAction", "next_actions"]

_FRESH = timedelta(hours=48)


class NextAction(BaseModel):
    code: str
    text: str
    priority: int
    due_within_hours: int | None = None
    event_ids: list[str] = Field(default_factory=list)
    activity_ids: list[str] = Field(default_factory=list)


def _who(f: OpportunityFeatures, person: str) -> str:
    found = f.person(person)
    if found is None:
        return "Someone at the account"
    return f"{found.name} ({found.role})" if found.role else found.name


def _fresh_reads(f: OpportunityFeatures, now: datetime) -> list[NextAction]:
    found: list[NextAction] = []
    if f.last_download is not None and now - f.last_download[3] <= _FRESH:
        event_id, person, version_id, at = f.last_download
        title = next((d.title for d in f.docs if d.version_id == version_id), "") or "the document"
        found.append(
            NextAction(
                code="follow_up_download",
                text=f"{_who(f, person)} downloaded {title} {when(at, now)} — "
                "follow up within 24 h",
                priority=100,
                due_within_hours=24,
                event_ids=[event_id],
            )
        )
    pricing = [d for d in f.docs if d.pricing_at is not None and now - d.pricing_at <= _FRESH]
    if pricing:
        d = max(pricing, key=lambda x: x.pricing_at or now)
        minutes = max(round(d.pricing_ms / 60_000), 1)
        found.append(
            NextAction(
                code="follow_up_pricing",
                text=f"{_who(f, d.pricing_who)} spent {minutes} min on the pricing pages of "
                f"{d.title or 'the proposal'} {when(d.pricing_at or now, now)} — follow up "
                "within 24 h",
                priority=99,
                due_within_hours=24,
                event_ids=list(d.event_ids[:3]),
            )
        )
    return found


def _relationship(f: OpportunityFeatures, people: list[EngagedContact]) -> list[NextAction]:
    found: list[NextAction] = []
    if people and not any(p.is_decision_maker for p in people):
        champion = people[0].name
        found.append(
            NextAction(
                code="reach_decision_maker",
                text=f"No decision-maker engaged — ask {champion} to introduce the economic buyer",
                priority=70,
            )
        )
    if len(people) == 1:
        found.append(
            NextAction(
                code="multi_thread",
                text=f"Only one stakeholder engaged ({people[0].name}) — multi-thread: bring in "
                "finance, IT and the sponsor",
                priority=60,
            )
        )
    return found


def _silence(f: OpportunityFeatures, now: datetime) -> list[NextAction]:
    found: list[NextAction] = []
    contact = f.last_customer_contact
    if contact is not None and (f.last_seller_activity_at or contact[3]) <= contact[3]:
        activity_id, kind, subject, at = contact
        about = f" about “{subject}”" if subject else ""
        found.append(
            NextAction(
                code="reply_to_customer",
                text=f"The customer reached out by {kind}{about} {when(at, now)} and has no "
                "answer yet — reply today",
                priority=95,
                due_within_hours=8,
                activity_ids=[activity_id],
            )
        )
    last = f.last_buyer_at
    if last is not None and now - last >= timedelta(days=7):
        found.append(
            NextAction(
                code="re_engage",
                text=f"{f.account or 'The buyer'} has been silent since {when(last, now)} — "
                "re-engage with a new angle (case study, ROI summary)",
                priority=80,
                due_within_hours=48,
            )
        )
    return found


def _late_payer(account: AccountHealth | None) -> bool:
    """The account's finance says invoices are paid late (payment delay part below 50)."""
    if account is None:
        return False
    part = next((x for p in account.pillars for x in p.parts if x.code == "payment_delay"), None)
    return part is not None and part.score is not None and part.score < 50


def _hygiene(
    f: OpportunityFeatures, now: datetime, account: AccountHealth | None
) -> list[NextAction]:
    found: list[NextAction] = []
    overdue = f.expected_close_date is not None and f.expected_close_date < now.date()
    if overdue or f.pushes >= 2:
        why = "has passed" if overdue else f"was pushed {f.pushes}×"
        found.append(
            NextAction(
                code="confirm_timeline",
                text=f"The close date {why} — confirm the decision timeline with the buyer",
                priority=55,
                activity_ids=list(f.push_ids[:3]),
            )
        )
    if _late_payer(account):
        found.append(
            NextAction(
                code="resolve_payment",
                text="The account pays late — loop in finance before sending terms",
                priority=50,
            )
        )
    best = f.best_doc
    if best is not None and best.depth < 0.6:
        found.append(
            NextAction(
                code="walk_through_proposal",
                text=f"{best.title or 'The proposal'} is only {best.depth:.0%} read — offer a "
                "live walkthrough",
                priority=40,
            )
        )
    if f.meetings_30d == 0:
        found.append(
            NextAction(
                code="book_meeting",
                text="No meeting with the buyer in 30 days — book a call",
                priority=30,
            )
        )
    return found


def _keep_momentum(f: OpportunityFeatures, people: list[EngagedContact]) -> list[NextAction]:
    """Low-priority steps so a healthy deal still gets three concrete actions."""
    who = people[0].name if people else "the buyer"
    close = f" before {f.expected_close_date}" if f.expected_close_date else ""
    return [
        NextAction(
            code="agree_next_step",
            text=f"Agree the next step and its date with {who} to move past "
            f"{f.stage or 'this stage'}",
            priority=20,
        ),
        NextAction(
            code="mutual_close_plan",
            text=f"Share a mutual close plan{close} and confirm who signs",
            priority=15,
        ),
        NextAction(
            code="reference_customer",
            text=f"Offer {who} a reference call with a customer in the same industry",
            priority=10,
        ),
    ]


def next_actions(
    f: OpportunityFeatures,
    now: datetime,
    account: AccountHealth | None = None,
    *,
    limit: int = 3,
) -> list[NextAction]:
    people = sorted(
        (p for p in f.people if p.read_ms > 0 or p.meetings > 0),
        key=lambda p: (p.forwarded, -p.read_ms),
    )
    candidates = [
        *_fresh_reads(f, now),
        *_silence(f, now),
        *_relationship(f, people),
        *_hygiene(f, now, account),
        *_keep_momentum(f, people),
    ]
    return sorted(candidates, key=lambda a: -a.priority)[:limit]
