from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.pdfs import proposal, with_javascript

ROOT = Path(__file__).parents[2]


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEALSIGNAL_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "api.cli.commands", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_keys_create_list_revoke_on_the_embedded_store(tmp_path: Path) -> None:
    created = _cli(
        tmp_path, "keys", "create", "--tenant", "王总的公司", "--scope", "crm", "--name", "CRM"
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("ds_key_") and "." in key
    key_id = key.removeprefix("ds_").split(".")[0]

    listed = _cli(tmp_path, "keys", "list", "--tenant", "王总的公司")
    assert f"{key_id}\tcrm\tactive\tCRM" in listed.stdout

    revoked = _cli(tmp_path, "keys", "revoke", key_id, "--tenant", "王总的公司")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in _cli(tmp_path, "keys", "list", "--tenant", "王总的公司").stdout


def test_unknown_tenant_is_a_clear_error(tmp_path: Path) -> None:
    result = _cli(tmp_path, "keys", "list", "--tenant", "nobody")
    assert result.returncode == 2
    assert "no tenant named 'nobody'" in result.stderr


def _json_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_synthetic_deals_then_scoring_runs_over_the_whole_tenant(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    (loaded,) = _json_lines(
        _cli(tmp_path, "synthetic", "deals", "--opportunities", "40", "--ids-out", str(ids))
    )
    assert loaded["rows"]["opportunities"] == 40 and loaded["rows"]["events"] > 0
    assert len(ids.read_text().split()) == 40
    name = loaded["tenants"][0]["name"]

    (live,) = _json_lines(_cli(tmp_path, "scoring", "assess", "--tenant", name))
    assert live["opportunities"] == 40 and sum(live["bands"].values()) == 40
    assert live["engine"]["select_queries"] > 0 and live["engine"]["rows_read"] > 0

    past = loaded["window_end"].replace("T00:00:00", "T00:00:01")
    (earlier,) = _json_lines(
        _cli(tmp_path, "scoring", "assess", "--tenant", name, "--as-of", past, "--no-engagement")
    )
    assert earlier["with_engagement"] is False and earlier["opportunities"] == 40

    whole, batched = _json_lines(_cli(tmp_path, "scoring", "engagement", "--tenant", name))
    assert whole["opportunities"] == batched["opportunities"] > 0
    assert sum(whole["bands"].values()) == whole["opportunities"]

    raw_whole, _ = _json_lines(
        _cli(tmp_path, "scoring", "engagement", "--tenant", name, "--source", "raw")
    )
    assert raw_whole["source"] == "raw" and raw_whole["bands"] == whole["bands"]
    rollup, raw = _json_lines(
        _cli(tmp_path, "scoring", "details", "--tenant", name, "--sample", "8")
    )
    assert (rollup["source"], raw["source"]) == ("rollup", "raw")
    assert rollup["details"] == raw["details"] == 8 and rollup["differing_from_raw"] == 0
    wrong = _cli(tmp_path, "scoring", "assess", "--tenant", name, "--source", "cache")
    assert wrong.returncode == 2 and "expected rollup or raw" in wrong.stderr

    missing = _cli(tmp_path, "scoring", "assess", "--tenant", "nobody")
    assert missing.returncode == 2 and "no tenant named 'nobody'" in missing.stderr


def test_pdf_inspect_reports_the_upload_verdict(tmp_path: Path) -> None:
    good, bad = tmp_path / "proposal.pdf", tmp_path / "cut.pdf"
    good.write_bytes(with_javascript(proposal(pages=3, title="报价单")))
    bad.write_bytes(proposal(pages=2)[:-200])
    (report,) = _json_lines(_cli(tmp_path, "pdf", "inspect", str(good), "--repeat", "2"))
    assert report["accepted"] and report["pages"] == 3 and report["words"] > 0
    assert report["rewritten"] and report["active_content_removed"]
    assert len(report["seconds"]) == 2

    refused = _cli(tmp_path, "pdf", "inspect", str(bad))
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["accepted"] is False
    assert json.loads(refused.stdout)["code"] == "truncated_pdf"


def test_bots_check_names_the_list_that_flagged_each_agent(tmp_path: Path) -> None:
    agents = tmp_path / "agents.txt"
    agents.write_text(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\n"
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36\n"
        "Mozilla/5.0 (Linux; Android 13; V2203A) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/107.0 Mobile Safari/537.36 XWEB/1 MicroMessenger/8.0.47.2560(0x28002F35)\n"
    )
    (report,) = _json_lines(_cli(tmp_path, "bots", "check", str(agents), "--timing-rounds", "1"))
    crawler, person, wechat = report["agents"]
    assert crawler["verdict"] == "bot_user_agent" and crawler["crawlerdetect"]
    assert person["verdict"] == "none" and not person["isbot"]
    assert wechat["verdict"] == "none" and wechat["in_app"]
    assert set(crawler["us"]) == {"crawlerdetect", "isbot", "verdict"}
    assert "isbot first call" in report["startup_ms"]


def test_the_command_line_starts_without_loading_the_engines() -> None:
    probe = (
        "import sys; from api.cli import app; "
        "print(sorted(m for m in ('sklearn', 'chdb', 'pypdf', 'uvicorn', 'fastapi') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
