"""Links: computed status, and CRM contacts matched by email for links made without a
contact id (at creation, and afterwards for links made before the contact existed)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tracker.clock import utcnow
from tracker.crm import Contact, Opportunity, upsert_opportunities
from tracker.links import (
    LinkOptions,
    Recipient,
    contact_of,
    create_links,
    match_contacts,
    revoke_link,
)
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant

DM = Contact("c-wang", "王伟", "Wang.Wei@Buyer.example.com", "CTO", True)


def _opportunity(contacts: tuple[Contact, ...]) -> Opportunity:
    return Opportunity(
        opportunity_id="opp-1",
        account="Buyer",
        amount=Decimal("1000"),
        currency="CNY",
        stage="proposal",
        probability=50,
        forecast_category="pipeline",
        owner="rep@seller.example.com",
        updated_at=utcnow(),
        contacts=contacts,
    )


def test_match_contacts_by_email_ignoring_case_and_keeps_given_ids() -> None:
    typed = [
        Recipient("wang.wei@buyer.example.com"),
        Recipient("WANG.WEI@buyer.example.com", contact_id="c-other"),
        Recipient("stranger@buyer.example.com", "Stranger"),
    ]
    matched = match_contacts(typed, [DM])
    assert matched[0] == Recipient("wang.wei@buyer.example.com", "王伟", "CTO", "c-wang")
    assert matched[1].contact_id == "c-other"  # an explicit id is never overridden
    assert matched[2] == typed[2]


def test_links_created_without_contact_id_get_the_crm_contact(clickhouse: ClickHouse) -> None:
    tenant = create_tenant(clickhouse, "Seller").tenant_id
    before = create_links(
        clickhouse,
        tenant,
        "doc_1",
        [Recipient("wang.wei@buyer.example.com")],
        LinkOptions(),
        opportunity_id="opp-1",
    )
    assert before[0].contact_id == ""  # the CRM had not pushed the deal yet
    assert contact_of(clickhouse, before[0]) == ""
    upsert_opportunities(clickhouse, tenant, [_opportunity((DM,))])
    assert contact_of(clickhouse, before[0]) == "c-wang"  # later events reach the contact
    (after,) = create_links(
        clickhouse,
        tenant,
        "doc_1",
        [Recipient("wang.wei@BUYER.example.com")],
        LinkOptions(),
        opportunity_id="opp-1",
    )
    assert (after.contact_id, after.recipient_name) == ("c-wang", "王伟")
    other = create_tenant(clickhouse, "Other").tenant_id
    (foreign,) = create_links(
        clickhouse, other, "doc_2", [Recipient(DM.email)], LinkOptions(), opportunity_id="opp-1"
    )
    assert foreign.contact_id == ""  # another tenant's opportunity of the same id is not read


def test_status_is_computed(clickhouse: ClickHouse) -> None:
    tenant = create_tenant(clickhouse, "Seller").tenant_id
    now = utcnow()
    (plain, gated, late) = [
        create_links(clickhouse, tenant, "doc_1", [Recipient(f"{n}@b.example.com")], options)[0]
        for n, options in (
            ("plain", LinkOptions(expires_at=now + timedelta(days=1))),
            ("gated", LinkOptions(passcode="1234")),
            ("late", LinkOptions(expires_at=now - timedelta(seconds=1), email_gate=True)),
        )
    ]
    assert plain.status(now) == "active"
    assert plain.status(now + timedelta(days=2)) == "expired"
    assert gated.status(now) == "gated"
    assert late.status(now) == "expired"
    assert revoke_link(clickhouse, tenant, plain.link_id).status(now) == "revoked"
