from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
