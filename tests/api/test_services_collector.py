"""The API process's garbage collector: start-up objects frozen out of its reach and a
higher young-generation threshold while the services are open, both undone on close."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from api.app import create_app
from api.services import GC_YOUNG_THRESHOLD
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse


def test_the_collector_is_tuned_while_open_and_put_back_on_close(
    settings: Settings, clickhouse: ClickHouse
) -> None:
    before = gc.get_threshold()
    assert before[0] != GC_YOUNG_THRESHOLD
    with TestClient(create_app(settings, run_background=False)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
