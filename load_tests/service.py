"""How the benchmarks reach dealsignal: its command line and `dealsignal serve` on a data dir
of their own (embedded mode: chDB + a private Redis). Nothing here imports the service's
code — `tests/test_layering.py` checks that load_tests/ only talks to it over HTTP and the CLI.

    from service import Service, cli_json
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["DEALSIGNAL", "Service", "cli", "cli_json", "dealsignal_env", "free_port"]

#: The installed command, beside the interpreter running the benchmark (.venv/bin).
DEALSIGNAL = str(Path(sys.executable).with_name("dealsignal"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dealsignal_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an embedded deployment on `data_dir`: no inherited DEALSIGNAL_*
    (a developer's server-mode URLs must not leak into a benchmark)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALSIGNAL_")}
    env.update(DEALSIGNAL_DATA_DIR=str(data_dir), DEALSIGNAL_SECRET_KEYS="bench-secret")
    env.update({f"DEALSIGNAL_{name.upper()}": value for name, value in extra.items()})
    return env


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    """Run `dealsignal ARGS` on `data_dir` and return what it printed (raises on failure)."""
    done = subprocess.run(
        [DEALSIGNAL, *args], env=dealsignal_env(data_dir), input=stdin,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"dealsignal {' '.join(args)}: {done.returncode}\n{done.stderr[-2000:]}")
    return done.stdout


def cli_json(data_dir: Path, *args: str, stdin: str | None = None) -> Any:
    """The JSON object the command printed last (commands with --json-style output)."""
    lines = [line for line in cli(data_dir, *args, stdin=stdin).splitlines() if line.strip()]
    return json.loads(lines[-1])


class Service:
    """`dealsignal serve` on `data_dir` (a fresh temporary one by default), up and answering
    /healthz; `key` is the admin key it bootstraps. `extra` become DEALSIGNAL_* variables
    (e.g. background="false" for the server-mode API shape)."""

    def __init__(self, data_dir: Path | None = None, *, keep: bool = False, **extra: str) -> None:
        self.data = data_dir or Path(tempfile.mkdtemp(prefix="ds-bench-"))
        self._remove = data_dir is None and not keep
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (self.data / "serve.log").open("w")
        self.process = subprocess.Popen(
            [DEALSIGNAL, "serve", "--port", str(self.port)],
            env=dealsignal_env(self.data, **extra), stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_up()
        self.key = (self.data / "admin_key").read_text().strip()

    def _wait_up(self) -> None:
        for _ in range(1200):
            if self.process.poll() is not None:
                raise RuntimeError(f"dealsignal serve exited; see {self.data / 'serve.log'}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("dealsignal serve did not answer /healthz within 120 s")

    def client(self, key: str | None = None, timeout: float = 600) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        if self._remove:
            shutil.rmtree(self.data, ignore_errors=True)
