"""Three concrete next actions from an opportunity's recent signals, most urgent first. Each
names a person (`who`), a document or piece of content (`doc` / `content`) and a deadline
(`due_within_hours`) — the brief's "客户CTO昨日下载AI模块白皮书，建议24小时内发送行业AI落地案例".

Candidates (priority): a fresh download or pricing read (100, follow up within 24 h), a
person reading a warning tag's pages intensively (`scoring.health.tag_interest`: answer
their questions on it within 24 h) (97), a customer-initiated contact still unanswered
(95), buyer silence ≥ 7 days (80), no decision-maker engaged (70), single-threaded (60),
close date overdue or pushed ≥ 2× (55), the account pays late (its 风险信号 payment-delay
part below 50) (50), proposal read < 60 % (40), no meeting in 30 days (30); then steps
that keep momentum (next step, close plan, reference call) so there are always three.

An action is a message code (`act.<code>` in the readers' catalogs, `outbound.notify`) with
parameters: names and titles as the CRM sent them (王总, 《AI 模块白皮书》), moments as ISO
text, content as a `content.*` code. `text` is the English rendering for API clients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from pydantic import BaseModel, Field

from scoring.accounts import AccountHealth
from scoring.engagement.wording import when
from scoring.health.features import EngagedContact, OpportunityFeatures
from scoring.health.risk_signals import RiskSignal
from scoring.trusted import trusted

__all__ = ["CONTENT_ENGLISH", "NextAction", "next_actions"]

_FRESH = timedelta(hours=48)

#: What an action asks the rep to send or use, by content code (English for `text`).
CONTENT_ENGLISH = {
    "case_study": "the industry case study",
    "roi": "the ROI estimate and pricing notes",
    "exec_summary": "a one-page executive summary",
    "close_plan": "a mutual close plan",
    "terms": "the commercial terms",
    "walkthrough": "a live walkthrough",
    "reference_call": "a reference call with a customer in the same industry",
    "agenda": "a meeting agenda",
    "reply": "a written answer",
    "objection_call": "a call that answers their questions point by point",
}

Params = dict[str, str | int | float]


class NextAction(BaseModel):
    code: str
    text: str
    priority: int
    due_within_hours: int | None = None
    params: Params = Field(default_factory=dict)
    event_ids: list[str] = Field(default_factory=list)
    activity_ids: list[str] = Field(default_factory=list)


def _who(f: OpportunityFeatures, person: str) -> str:
    found = f.person(person)
    if found is None:
        return ""
    return f"{found.name} ({found.role})" if found.role else found.name


class _Candidate(NamedTuple):
    """An action before the ranking: only the first `limit` become `NextAction`s."""

    code: str
    text: str
    priority: int
    hours: int
    params: Params
    event_ids: list[str]
    activity_ids: list[str]

    def action(self) -> NextAction:
        # trusted: codes, wording and ids are built here, the params from typed features
        return trusted(
            NextAction,
            code=self.code,
            text=self.text,
            priority=self.priority,
            due_within_hours=self.hours,
            params={**self.params, "hours": self.hours},
            event_ids=self.event_ids,
            activity_ids=self.activity_ids,
        )


def _action(
    code: str, text: str, priority: int, hours: int, params: Params, **ids: list[str]
) -> _Candidate:
    return _Candidate(
        code, text, priority, hours, params, ids.get("event_ids", []), ids.get("activity_ids", [])
    )


def _fresh_reads(f: OpportunityFeatures, now: datetime) -> list[_Candidate]:
    found: list[_Candidate] = []
    if f.last_download is not None and now - f.last_download[3] <= _FRESH:
        event_id, person, version_id, at = f.last_download
        title = next((d.title for d in f.docs if d.version_id == version_id), "")
        who = _who(f, person)
        found.append(
            _action(
                "follow_up_download",
                f"{who or 'Someone at the account'} downloaded {title or 'the document'} "
                f"{when(at, now)} — send {CONTENT_ENGLISH['case_study']} within 24 h",
                100,
                24,
                {"who": who, "doc": title, "at": at.isoformat(), "content": "case_study"},
                event_ids=[event_id],
            )
        )
    pricing = [d for d in f.docs if d.pricing_at is not None and now - d.pricing_at <= _FRESH]
    if pricing:
        d = max(pricing, key=lambda x: x.pricing_at or now)
        minutes = max(round(d.pricing_ms / 60_000), 1)
        at = d.pricing_at or now
        who = _who(f, d.pricing_who)
        found.append(
            _action(
                "follow_up_pricing",
                f"{who or 'Someone at the account'} spent {minutes} min on the pricing pages "
                f"of {d.title or 'the proposal'} {when(at, now)} — send "
                f"{CONTENT_ENGLISH['roi']} within 24 h",
                99,
                24,
                {
                    "who": who,
                    "doc": d.title,
                    "at": at.isoformat(),
                    "minutes": minutes,
                    "content": "roi",
                },
                event_ids=list(d.event_ids[:3]),
            )
        )
    return found


def _tag_interest(signals: Sequence[RiskSignal]) -> list[_Candidate]:
    """A person reading a warning tag's pages intensively (the competitor comparison): talk
    to them about it before they decide without us."""
    found: list[_Candidate] = []
    for s in signals:
        if s.code != "page_interest":
            continue
        p = s.params
        found.append(
            _action(
                "answer_tag_interest",
                f"{p['who']} read the {p['topic']} pages {p['count']} times in {p['days']} days "
                f"— offer them {CONTENT_ENGLISH['objection_call']} within 24 h",
                97,
                24,
                {k: p[k] for k in ("who", "tag", "topic", "count", "days")}
                | {"content": "objection_call"},
                event_ids=list(s.event_ids[:3]),
            )
        )
    return found


def _relationship(f: OpportunityFeatures, people: list[EngagedContact]) -> list[_Candidate]:
    found: list[_Candidate] = []
    if people and not any(p.is_decision_maker for p in people):
        champion = people[0].name
        found.append(
            _action(
                "reach_decision_maker",
                f"No decision-maker engaged — ask {champion} to introduce the economic buyer "
                f"and send them {CONTENT_ENGLISH['exec_summary']} within 72 h",
                70,
                72,
                {"who": champion, "content": "exec_summary"},
            )
        )
    if len(people) == 1:
        found.append(
            _action(
                "multi_thread",
                f"Only one stakeholder engaged ({people[0].name}) — ask them to share "
                f"{CONTENT_ENGLISH['exec_summary']} with finance, IT and the sponsor within 72 h",
                60,
                72,
                {"who": people[0].name, "content": "exec_summary"},
            )
        )
    return found


def _silence(
    f: OpportunityFeatures, people: list[EngagedContact], now: datetime
) -> list[_Candidate]:
    found: list[_Candidate] = []
    who = people[0].name if people else ""
    contact = f.last_customer_contact
    if contact is not None and (f.last_seller_activity_at or contact[3]) <= contact[3]:
        activity_id, kind, subject, at = contact
        about = f" about “{subject}”" if subject else ""
        found.append(
            _action(
                "reply_to_customer",
                f"The customer reached out by {kind}{about} {when(at, now)} and has no "
                f"answer yet — send {who or 'them'} {CONTENT_ENGLISH['reply']} within 8 h",
                95,
                8,
                {
                    "who": who,
                    "kind": kind,
                    "subject": subject,
                    "at": at.isoformat(),
                    "content": "reply",
                },
                activity_ids=[activity_id],
            )
        )
    last = f.last_buyer_at
    if last is not None and now - last >= timedelta(days=7):
        found.append(
            _action(
                "re_engage",
                f"{who or f.account or 'The buyer'} has been silent since {when(last, now)} — "
                f"send {CONTENT_ENGLISH['case_study']} within 48 h",
                80,
                48,
                {"who": who, "at": last.isoformat(), "content": "case_study"},
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
    f: OpportunityFeatures,
    people: list[EngagedContact],
    now: datetime,
    account: AccountHealth | None,
) -> list[_Candidate]:
    found: list[_Candidate] = []
    who = people[0].name if people else ""
    overdue = f.expected_close_date is not None and f.expected_close_date < now.date()
    if overdue or f.pushes >= 2:
        why = "has passed" if overdue else f"was pushed {f.pushes}×"
        found.append(
            _action(
                "confirm_timeline",
                f"The close date {why} — confirm the decision timeline with {who or 'the buyer'} "
                f"using {CONTENT_ENGLISH['close_plan']} within 48 h",
                55,
                48,
                {
                    "who": who,
                    "pushes": f.pushes,
                    "overdue": int(overdue),
                    "content": "close_plan",
                },
                activity_ids=list(f.push_ids[:3]),
            )
        )
    if _late_payer(account):
        found.append(
            _action(
                "resolve_payment",
                "The account pays late — loop in finance before sending "
                f"{CONTENT_ENGLISH['terms']} to {who or 'the buyer'}, within 72 h",
                50,
                72,
                {"who": who, "content": "terms"},
            )
        )
    best = f.best_doc
    if best is not None and best.depth < 0.6:
        found.append(
            _action(
                "walk_through_proposal",
                f"{best.title or 'The proposal'} is only {best.depth:.0%} read — offer "
                f"{who or 'the buyer'} {CONTENT_ENGLISH['walkthrough']} within 72 h",
                40,
                72,
                {
                    "who": who,
                    "doc": best.title,
                    "depth": round(best.depth * 100),
                    "content": "walkthrough",
                },
            )
        )
    if f.meetings_30d == 0:
        found.append(
            _action(
                "book_meeting",
                f"No meeting with the buyer in 30 days — book a call with {who or 'the buyer'} "
                f"and send {CONTENT_ENGLISH['agenda']} within 72 h",
                30,
                72,
                {"who": who, "content": "agenda"},
            )
        )
    return found


def _keep_momentum(f: OpportunityFeatures, people: list[EngagedContact]) -> list[_Candidate]:
    """Low-priority steps so a healthy deal still gets three concrete actions. Their
    priorities (20, 15, 10) stay below every other action's: `next_actions` builds them only
    when the others are fewer than asked for."""
    who = people[0].name if people else ""
    doc = f.best_doc.title if f.best_doc else ""
    close = f.expected_close_date.isoformat() if f.expected_close_date else ""
    return [
        _action(
            "agree_next_step",
            f"Agree the next step and its date with {who or 'the buyer'} to move past "
            f"{f.stage or 'this stage'}, building on {doc or 'the proposal'}, within 5 days",
            20,
            120,
            {"who": who, "doc": doc, "stage": f.stage},
        ),
        _action(
            "mutual_close_plan",
            f"Send {who or 'the buyer'} {CONTENT_ENGLISH['close_plan']}"
            f"{f' before {close}' if close else ''} and confirm who signs, within 7 days",
            15,
            168,
            {"who": who, "date": close, "content": "close_plan"},
        ),
        _action(
            "reference_customer",
            f"Offer {who or 'the buyer'} {CONTENT_ENGLISH['reference_call']} within 7 days",
            10,
            168,
            {"who": who, "content": "reference_call"},
        ),
    ]


def next_actions(
    f: OpportunityFeatures,
    now: datetime,
    account: AccountHealth | None = None,
    *,
    limit: int = 3,
    signals: Sequence[RiskSignal] = (),
) -> list[NextAction]:
    people = sorted(
        (p for p in f.people if p.read_ms > 0 or p.meetings > 0),
        key=lambda p: (p.forwarded, not p.is_decision_maker, -p.read_ms),
    )
    candidates = [
        *_fresh_reads(f, now),
        *_tag_interest(signals),
        *_silence(f, people, now),
        *_relationship(f, people),
        *_hygiene(f, people, now, account),
    ]
    if len(candidates) < limit:  # the momentum steps rank below every other action
        candidates.extend(_keep_momentum(f, people))
    return [c.action() for c in sorted(candidates, key=lambda a: -a.priority)[:limit]]
