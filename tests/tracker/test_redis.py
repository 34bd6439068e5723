from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracker.config import Settings
from tracker.errors import RedisUnavailable
from tracker.stores.redis_client import open_redis
from tracker.stores.redis_server import PrivateRedisServer


async def test_private_server_starts_persists_with_aof_and_stops(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_keys=["k"], redis_url=None)
    handle = await open_redis(settings)
    assert handle.server is not None and handle.server.running
    await handle.client.xadd("ds:test", {"王": "总"})
    await handle.client.set("kept", "yes")
    server = handle.server
    await handle.close()
    assert not server.running
    assert (tmp_path / "redis" / "appendonlydir").is_dir()

    again = await open_redis(settings)
    try:
        assert await again.client.get("kept") == b"yes"
        entries = await again.client.xrange("ds:test")
        assert entries[0][1] == {"王".encode(): "总".encode()}
    finally:
        await again.close()


async def test_redis_url_uses_the_given_server() -> None:
    settings = Settings(secret_keys=["k"], redis_url="redis://127.0.0.1:6379/9")
    handle = await open_redis(settings)
    try:
        assert handle.server is None
        assert await handle.client.ping()
    finally:
        await handle.close()


async def test_unreachable_redis_fails_loudly() -> None:
    settings = Settings(secret_keys=["k"], redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(RedisUnavailable, match="cannot reach Redis"):
        await open_redis(settings)


def test_a_second_private_server_on_the_same_dir_is_refused(tmp_path: Path) -> None:
    first = PrivateRedisServer(tmp_path)
    first.start()
    try:
        second = PrivateRedisServer(tmp_path)
        with pytest.raises(RedisUnavailable):
            second.start(timeout=3)
    finally:
        first.stop()


def test_private_server_dies_with_a_killed_owner(tmp_path: Path) -> None:
    """SIGKILL of the service must not leave an orphan redis-server on the data dir."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tracker.stores.redis_server import PrivateRedisServer\n"
        "server = PrivateRedisServer(Path(sys.argv[1]))\n"
        "server.start()\n"
        "print(server._process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    redis_pid = int(owner.stdout.readline())
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{redis_pid}").exists():
        status = Path(f"/proc/{redis_pid}/status").read_text(errors="replace")
        if "State:\tZ" in status:  # exited, waiting to be reaped by init
            break
        time.sleep(0.1)
    alive = Path(f"/proc/{redis_pid}/status")
    assert not alive.exists() or "State:\tZ" in alive.read_text(errors="replace")
