"""Documents, revisions and per-contact links of the synthetic deals, and the link-level
arrays the event generator expands into viewing behaviour.

A proposal goes out when a deal enters discovery (some deals that never get there still
receive one), a quotation when it enters proposal; revisions follow while the deal lives
(strong deals get more). Each contact receives a document with probability 0.8. A proposal
has a competitor comparison (tag `competitor_comparison`) on the page before its pricing page."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from scoring.synthetic.arrow import Columns
from scoring.synthetic.deals import Deal
from scoring.synthetic.people import SalesTeam

__all__ = ["COMPETITOR", "LinkPlan", "plan_documents"]

COMPETITOR = "competitor_comparison"

_HOUR = 3_600_000
_NEVER = np.iinfo(np.int64).max
MAX_REVISIONS = 4

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass
class LinkPlan:
    """Row-aligned link arrays (index = link serial) and document arrays (index = document
    serial); page words are flattened with `doc_word_offset`."""

    link_deal: list[int] = field(default_factory=list)
    link_doc: list[int] = field(default_factory=list)
    link_sent: list[int] = field(default_factory=list)
    link_dm: list[int] = field(default_factory=list)
    link_strings: dict[str, list[str]] = field(
        default_factory=lambda: {k: [] for k in ("tenant", "document", "link", "opp", "contact")}
    )
    doc_pages: list[int] = field(default_factory=list)
    doc_pricing: list[int] = field(default_factory=list)
    doc_competitor: list[int] = field(default_factory=list)  # page number, 0: none
    doc_word_offset: list[int] = field(default_factory=list)
    words: list[int] = field(default_factory=list)
    version_ms: list[list[int]] = field(default_factory=list)  # per doc, MAX_REVISIONS long
    version_ids: list[str] = field(default_factory=list)  # per doc, MAX_REVISIONS long

    def arrays(self) -> dict[str, npt.NDArray[np.int64]]:
        return {
            "link_deal": np.asarray(self.link_deal, np.int64),
            "link_doc": np.asarray(self.link_doc, np.int64),
            "link_sent": np.asarray(self.link_sent, np.int64),
            "link_dm": np.asarray(self.link_dm, np.int64),
            "doc_pages": np.asarray(self.doc_pages, np.int64),
            "doc_pricing": np.asarray(self.doc_pricing, np.int64),
            "doc_competitor": np.asarray(self.doc_competitor, np.int64),
            "doc_word_offset": np.asarray(self.doc_word_offset, np.int64),
            "words": np.asarray(self.words, np.int64),
            "version_ms": np.asarray(self.version_ms, np.int64).reshape(-1, MAX_REVISIONS),
        }


def _title(kind: str, deal: Deal, year: int) -> str:
    english = deal.currency == "USD"
    if kind == "proposal":
        return (
            f"{year} Partnership Proposal — {deal.account}"
            if english
            else f"《{year} 年度合作方案》— {deal.account}"
        )
    return f"Quotation — {deal.account}" if english else f"报价单 — {deal.account}"


def plan_documents(
    rnd: random.Random,
    deals: list[Deal],
    teams: list[SalesTeam],
    history_end: int,
    seed: int,
) -> tuple[Columns, Columns, Columns, LinkPlan]:
    documents, versions, links = (
        Columns("documents"),
        Columns("document_versions"),
        Columns("links"),
    )
    plan = LinkPlan()
    for deal in deals:
        reached = len(deal.stage_ms)
        sends: list[tuple[str, int]] = []
        if reached >= 3:
            sends.append(("proposal", deal.stage_ms[2] + int(rnd.uniform(1, 72) * _HOUR)))
        elif rnd.random() < 0.4:
            sends.append(
                (
                    "proposal",
                    deal.created_ms
                    + int(rnd.uniform(0.2, 0.5) * (deal.close_ms - deal.created_ms)),
                )
            )
        if reached >= 4 and rnd.random() < 0.6:
            sends.append(("quote", deal.stage_ms[3] + int(rnd.uniform(1, 48) * _HOUR)))
        for kind, sent in sends:
            if sent >= deal.end_ms - _HOUR:
                continue
            _document(
                rnd,
                plan,
                documents,
                versions,
                links,
                deal,
                teams[deal.tenant],
                kind,
                sent,
                history_end,
                seed,
            )
    return documents, versions, links, plan


def _document(
    rnd: random.Random,
    plan: LinkPlan,
    documents: Columns,
    versions: Columns,
    links: Columns,
    deal: Deal,
    team: SalesTeam,
    kind: str,
    sent: int,
    history_end: int,
    seed: int,
) -> None:
    serial = len(plan.doc_pages)
    doc_id = f"doc_syn{seed}_{serial:07d}"
    pages = rnd.randint(8, 16) if kind == "proposal" else rnd.randint(3, 5)
    pricing = pages - 1 if kind == "proposal" else 2
    words = [80 + int(rnd.random() * 220) for _ in range(pages)]
    tags: list[list[str]] = [[] for _ in range(pages)]
    tags[0].append("cover")
    tags[pricing - 1].append("pricing")
    competitor = pricing - 1 if kind == "proposal" else 0
    if kind == "proposal":
        tags[-1].append("terms")
        tags[competitor - 1].append(COMPETITOR)
    revisions = min(1 + _poisson_small(rnd, 0.3 + 0.9 * deal.quality), MAX_REVISIONS)
    later = sorted(rnd.uniform(sent, deal.close_ms) for _ in range(revisions - 1))
    times = [t for t in [sent, *map(int, later)] if t <= history_end]
    ids = [f"ver_syn{seed}_{serial:07d}_{r + 1}" for r in range(len(times))]
    created = sent - int(rnd.uniform(1, 24) * _HOUR)
    for r, (version_id, at) in enumerate(zip(ids, times, strict=True)):
        versions.add(
            tenant_id=deal.tenant_id,
            document_id=doc_id,
            version_id=version_id,
            revision=r + 1,
            filename=f"{kind}-v{r + 1}.pdf",
            sha256=hashlib.sha256(version_id.encode()).hexdigest(),
            size_bytes=40_000 + 9_000 * pages,
            pages=pages,
            page_words=[w + 9 * r for w in words],
            page_tags=tags,
            created_at=created if r == 0 else at - _HOUR,
            version=at * 1000,
        )
    documents.add(
        tenant_id=deal.tenant_id,
        document_id=doc_id,
        title=_title(kind, deal, datetime.fromtimestamp(sent / 1000, UTC).year + 1),
        opportunity_id=deal.opportunity_id,
        owner=team.reps[deal.rep].email,
        current_version_id=ids[-1],
        created_at=created,
        deleted=0,
        version=times[-1] * 1000,
    )
    plan.doc_pages.append(pages)
    plan.doc_pricing.append(pricing)
    plan.doc_competitor.append(competitor)
    plan.doc_word_offset.append(len(plan.words))
    plan.words.extend(words)
    plan.version_ms.append(times + [_NEVER] * (MAX_REVISIONS - len(times)))
    plan.version_ids.extend(ids + [""] * (MAX_REVISIONS - len(ids)))
    chosen = [i for i in range(len(deal.contacts)) if rnd.random() < 0.8] or [0]
    for i in chosen:
        person, link_id = deal.contacts[i], f"lnk_syn{seed}_{len(plan.link_deal):08d}"
        at = sent + int(rnd.random() * 120_000)
        links.add(
            tenant_id=deal.tenant_id,
            link_id=link_id,
            document_id=doc_id,
            opportunity_id=deal.opportunity_id,
            contact_id=deal.contact_ids[i],
            recipient_email=person.email,
            recipient_name=person.name,
            recipient_role=person.role,
            created_by=team.reps[deal.rep].email,
            created_at=at,
            expires_at=None,
            download_allowed=1,
            email_gate=0,
            passcode_hash="",
            locale="en" if deal.currency == "USD" else "zh_CN",
            watermark_template="",
            revoked_at=None,
            version=at * 1000,
        )
        plan.link_deal.append(deal.index)
        plan.link_doc.append(serial)
        plan.link_sent.append(at)
        plan.link_dm.append(int(person.is_decision_maker))
        for key, value in (
            ("tenant", deal.tenant_id),
            ("document", doc_id),
            ("link", link_id),
            ("opp", deal.opportunity_id),
            ("contact", deal.contact_ids[i]),
        ):
            plan.link_strings[key].append(value)


def _poisson_small(rnd: random.Random, lam: float) -> int:
    k, p, threshold = 0, rnd.random(), float(np.exp(-lam))
    while p > threshold:
        k += 1
        p *= rnd.random()
    return k
