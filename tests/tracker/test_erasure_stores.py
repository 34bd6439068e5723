"""A person's erasure on both ClickHouse backends (embedded chDB, and clickhouse-connect over
HTTP through the harness): afterwards no String column of any table names them, the
forwardee's and the other recipient's reading stay, and every rollup (the analytics dailies
and the engagement rollup) holds exactly what the remaining events give."""

from __future__ import annotations

from decimal import Decimal

from ingest import erase_person_events
from tests.person_records import insert_reading, table_mentions
from tracker.clock import utcnow
from tracker.crm import Contact, Opportunity, upsert_opportunities
from tracker.documents import NewVersion, create_document
from tracker.links import LinkOptions, Recipient, create_links
from tracker.privacy import (
    ERASED_NAME,
    EVENT_ROLLUPS,
    find_person,
    pseudonymise,
    rollup_selects,
)
from tracker.stores.clickhouse import ClickHouse

TENANT = "ten_erasure_stores"
EMAIL, NAME = "zhao@buyer.example", "赵总监"
OTHER_EMAIL, OTHER_NAME = "qian@buyer.example", "钱经理"


def _reading(store: ClickHouse, document_id: str, link_id: str, n: int, forwarded: int) -> None:
    insert_reading(
        store, TENANT, document_id=document_id, version_id="ver_1", link_id=link_id,
        opportunity_id="opp-e", n=n, forwarded=forwarded,
    )  # fmt: skip


def _rollup_totals(store: ClickHouse) -> dict[str, set[tuple[str, int]]]:
    """rollup → {(link, rows)}: what each rollup holds per link."""
    return {
        rollup: {
            (str(r["link_id"]), int(r["n"]))
            for r in store.query(
                f"SELECT link_id, count() AS n FROM {store.database}.{rollup} FINAL "
                "WHERE tenant_id = {t:String} GROUP BY link_id",
                {"t": TENANT},
            )
        }
        for rollup in EVENT_ROLLUPS
    }


def test_erasure_leaves_no_mention_on_either_backend(store: ClickHouse) -> None:
    contacts = (
        Contact("c-zhao", NAME, EMAIL, "CFO", True),
        Contact("c-qian", OTHER_NAME, OTHER_EMAIL),
    )
    upsert_opportunities(store, TENANT, [Opportunity(
        "opp-e", "招商局集团", Decimal(500000), "CNY", "proposal", 40, "pipeline",
        "rep@seller.example", utcnow(), contacts=contacts)])  # fmt: skip
    document, _version = create_document(
        store, TENANT, title="方案书", opportunity_id="opp-e",
        first_version=NewVersion("p.pdf", "0" * 64, 1000, (120, 80)),
    )  # fmt: skip
    mine, theirs = create_links(
        store, TENANT, document.document_id,
        [Recipient(EMAIL, NAME), Recipient(OTHER_EMAIL, OTHER_NAME)], LinkOptions(),
        opportunity_id="opp-e",
    )  # fmt: skip
    _reading(store, document.document_id, mine.link_id, 5, forwarded=0)
    _reading(store, document.document_id, mine.link_id, 3, forwarded=1)  # a forwardee's
    _reading(store, document.document_id, theirs.link_id, 4, forwarded=0)
    assert table_mentions(store, EMAIL) and table_mentions(store, NAME)  # the scan can see

    person = find_person(store, TENANT, EMAIL.upper())
    assert person.link_ids == (mine.link_id,) and person.names == (NAME,)
    assert erase_person_events(store, TENANT, person.link_ids) == 5
    pseudonymise(store, TENANT, person)

    assert table_mentions(store, EMAIL) == [] and table_mentions(store, NAME) == []
    assert table_mentions(store, OTHER_EMAIL) and table_mentions(store, OTHER_NAME)
    left = store.query(
        f"SELECT link_id, forwarded, count() AS n FROM {store.database}.events "
        "WHERE tenant_id = {t:String} GROUP BY link_id, forwarded",
        {"t": TENANT},
    )
    assert {(r["link_id"], r["forwarded"], r["n"]) for r in left} == {
        (mine.link_id, 1, 3), (theirs.link_id, 0, 4)}  # fmt: skip
    rebuilt = _rollup_totals(store)
    # The rollups after the rebuild are what the views make of the remaining events alone.
    selects = rollup_selects(store)
    for rollup in EVENT_ROLLUPS:
        store.command(f"TRUNCATE TABLE {store.database}.{rollup}")
        store.command(f"INSERT INTO {store.database}.{rollup} {selects[rollup]}")
    assert _rollup_totals(store) == rebuilt
    assert all(rebuilt[r] for r in EVENT_ROLLUPS)
    assert find_person(store, TENANT, OTHER_EMAIL).names == (OTHER_NAME,)
    again = find_person(store, TENANT, EMAIL)
    assert not again.found
    names = store.query(
        f"SELECT recipient_name FROM {store.database}.links FINAL WHERE link_id = {{l:String}}",
        {"l": mine.link_id},
    )
    assert names == [{"recipient_name": ERASED_NAME}]
