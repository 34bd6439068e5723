"""`DEALSIGNAL_REDIS_URL=redis+sentinel://…`: the client asks a real Sentinel (redis-server
--sentinel) for the master and talks to it; the event stream works through it; a bad URL is
a clear configuration error."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tracker.config import Settings
from tracker.errors import ConfigurationError
from tracker.stores import find_redis_binary, open_redis
from tracker.stores.redis_client import redis_from_url


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ping(port: int) -> None:
    for _ in range(100):
        try:
            if redis.Redis(port=port, socket_timeout=0.5).ping():
                return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"nothing answers on {port}")


@pytest.fixture
def sentinel_group(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """A master with a password and one Sentinel watching it as `dsmaster`."""
    binary = str(find_redis_binary())
    master, watcher = _port(), _port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {watcher}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor dsmaster 127.0.0.1 {master} 1\n"
        "sentinel auth-pass dsmaster s3cret-pw\n"
    )
    processes = [
        subprocess.Popen([binary, "--port", str(master), "--bind", "127.0.0.1", "--save", "",
                          "--requirepass", "s3cret-pw", "--dir", str(tmp_path)],
                         stdout=subprocess.DEVNULL),
        subprocess.Popen([binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL),
    ]  # fmt: skip
    try:
        _wait_ping(watcher)
        yield master, watcher
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


async def test_the_client_follows_the_sentinel_groups_master(
    tmp_path: Path, sentinel_group: tuple[int, int]
) -> None:
    master, watcher = sentinel_group
    url = f"redis+sentinel://:s3cret-pw@127.0.0.1:{watcher}/dsmaster/2"
    handle = await open_redis(Settings(data_dir=tmp_path, redis_url=url))
    try:
        await handle.client.xadd("ds:events", {"e": "报价单"})
        assert await handle.client.xlen("ds:events") == 1
    finally:
        await handle.close()
    direct = redis.Redis(port=master, password="s3cret-pw", db=2)
    assert direct.xlen("ds:events") == 1  # it was the master, database 2
    direct.close()


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://127.0.0.1:26379",  # no service name
        "redis+sentinel://127.0.0.1:26379/svc/x",  # db not a number
        "redis+sentinel://127.0.0.1:port/svc",  # port not a number
    ],
)
def test_a_malformed_sentinel_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        redis_from_url(url)
