"""The production shape cannot run here (no Docker engine); keep it consistent with the
server-mode code path the other tests run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import typer
import yaml

from api.cli.commands import app as cli_app
from tracker.config import Settings

ROOT = Path(__file__).parents[1]


def _compose_env() -> dict[str, str]:
    return {**os.environ, "CLICKHOUSE_PASSWORD": "x", "DEALSIGNAL_SECRET_KEYS": "k"}


def test_compose_file_is_valid() -> None:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose (Debian package) is needed: make test installs it"
    result = subprocess.run(
        [binary, "config", "-q"],
        cwd=ROOT,
        env=_compose_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compose_wires_only_real_settings_and_commands() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    fields = {name.upper() for name in Settings.model_fields}
    commands = set(typer.main.get_command(cli_app).commands)  # type: ignore[attr-defined]
    assert {"clickhouse", "redis", "api"} <= set(compose["services"])
    for name in set(compose["services"]) - {"clickhouse", "redis"}:
        service = compose["services"][name]
        env = service["environment"]
        assert env["DEALSIGNAL_CLICKHOUSE_MODE"] == "server"
        for key in env:
            assert key.removeprefix("DEALSIGNAL_") in fields, key
        assert service["command"][1] in commands
    redis_cmd = compose["services"]["redis"]["command"]
    assert "--appendonly" in redis_cmd


def test_server_mode_without_secret_is_a_clear_startup_error(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEALSIGNAL_CLICKHOUSE_MODE": "server",
        "DEALSIGNAL_CLICKHOUSE_URL": "http://127.0.0.1:1",
        "DEALSIGNAL_DATA_DIR": str(tmp_path),
    }
    env.pop("DEALSIGNAL_SECRET_KEYS", None)
    result = subprocess.run(
        [str(ROOT / ".venv/bin/dealsignal"), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DEALSIGNAL_SECRET_KEYS is required in server mode" in result.stderr


def test_every_service_restarts_and_reports_health_and_no_obsolete_version() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    commands = set(typer.main.get_command(cli_app).commands)  # type: ignore[attr-defined]
    assert "version" not in compose
    for name, service in compose["services"].items():
        assert service.get("restart") == "unless-stopped", name
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD", name
        if test[1] == "dealsignal":
            assert test[2] in commands, name  # a real CLI command
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/readyz" in dockerfile


def test_health_command_fails_without_reachable_stores() -> None:
    """`dealsignal health` (the writer's and worker's healthcheck) says unhealthy, exit 1,
    when the stores it is pointed at do not answer."""
    env = {
        **os.environ,
        "DEALSIGNAL_CLICKHOUSE_MODE": "server",
        "DEALSIGNAL_CLICKHOUSE_URL": "http://127.0.0.1:1",
        "DEALSIGNAL_REDIS_URL": "redis://127.0.0.1:1/0",
        "DEALSIGNAL_SECRET_KEYS": "k",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dealsignal"), "health"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0 and "unhealthy" in result.stderr
