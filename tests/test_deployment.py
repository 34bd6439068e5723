"""The production shape cannot run here (no Docker engine); keep it consistent with the
server-mode code path the other tests run."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import typer
import yaml

from api.cli.commands import app as cli_app
from tracker.config import Settings

ROOT = Path(__file__).parents[1]


def _compose_env() -> dict[str, str]:
    return {
        **os.environ,
        "CLICKHOUSE_PASSWORD": "x",
        "DEALSIGNAL_SECRET_KEYS": "k",
        "MINIO_PASSWORD": "m",
    }


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
    fields = {name.upper(): info for name, info in Settings.model_fields.items()}
    commands = set(typer.main.get_command(cli_app).commands)  # type: ignore[attr-defined]
    stores = {"clickhouse", "redis", "minio", "minio-bucket"}
    assert stores | {"api", "writer", "worker"} == set(compose["services"])
    for name in set(compose["services"]) - stores:
        service = compose["services"][name]
        env = service["environment"]
        assert env["DEALSIGNAL_CLICKHOUSE_MODE"] == "server"
        assert env["DEALSIGNAL_BLOBS__URL"].startswith("s3://")
        for key in env:
            top, _, nested = key.removeprefix("DEALSIGNAL_").partition("__")
            assert top in fields, key
            if nested:
                model = fields[top].annotation
                assert nested.lower() in model.model_fields, key  # type: ignore[union-attr]
        assert service["command"][1] in commands
        assert "volumes" not in service, f"{name} keeps state on its own disk"
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


def _manifests() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
    ]


def test_kubernetes_manifests_validate_and_keep_no_state() -> None:
    docs = _manifests()
    assert {d["kind"] for d in docs} >= {"ConfigMap", "Deployment", "StatefulSet", "Service"}
    for doc in docs:
        kubernetes_validate.validate(doc, "1.30", strict=True)
    broken = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    broken["spec"]["replica"] = broken["spec"].pop("replicas")  # a typo the schema must catch
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30", strict=True)

    fields = {name.upper(): info for name, info in Settings.model_fields.items()}
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod = doc["spec"]["template"]["spec"]
        assert all("emptyDir" in volume for volume in pod.get("volumes", [])), doc["metadata"]
        for container in pod["containers"]:
            names = [*config, *(e["name"] for e in container["env"])]
            for key in (n for n in names if n.startswith("DEALSIGNAL_")):
                top, _, nested = key.removeprefix("DEALSIGNAL_").partition("__")
                assert top in fields, key
                if nested:
                    model = fields[top].annotation
                    assert nested.lower() in model.model_fields, key  # type: ignore[union-attr]


def test_every_service_restarts_and_reports_health_and_no_obsolete_version() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    commands = set(typer.main.get_command(cli_app).commands)  # type: ignore[attr-defined]
    assert "version" not in compose
    for name, service in compose["services"].items():
        if service.get("restart") == "no":  # a one-shot set-up step (the bucket), not a service
            assert "depends_on" in service and "healthcheck" not in service, name
            continue
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


def test_the_image_installs_pinned_hashed_dependencies_that_match_pyproject() -> None:
    """requirements.lock (pip-compile --generate-hashes) pins every dependency of
    pyproject.toml at a version its range admits, each with hashes; the Dockerfile installs
    it with --require-hashes before the code."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lock = (ROOT / "requirements.lock").read_text()
    pinned: dict[str, str] = {}
    for block in lock.split("\n"):
        if block and not block[0].isspace() and not block.startswith("#") and "==" in block:
            name, version = block.split(" ")[0].split("==")
            pinned[canonicalize_name(name)] = version
    entries = [e for e in lock.split("\n\n") if "==" in e]
    assert entries and all("--hash=sha256:" in e for e in entries)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        wanted = Requirement(spec)
        name = canonicalize_name(wanted.name)
        assert name in pinned, f"{name} is not in requirements.lock: regenerate it"
        assert wanted.specifier.contains(pinned[name], prereleases=True), (name, pinned[name])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert dockerfile.index("requirements.lock") < dockerfile.index("COPY tracker")
