"""`RedisPipe` on real Redis servers: replies reach their callers in order, error replies
raise the client's exceptions, a lost or abandoned connection fails what was in flight and
the next call connects again, scripts are loaded again, AUTH and SELECT as the URL says."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import NoScriptError, ResponseError

from tracker.errors import RedisUnavailable
from tracker.stores import RedisPipe, find_redis_binary


def pipe_of(client: aioredis.Redis) -> RedisPipe:
    pipe = RedisPipe.for_client(client)
    assert pipe is not None
    return pipe


async def test_replies_reach_their_callers_in_order(redis_client: aioredis.Redis) -> None:
    pipe = pipe_of(redis_client)
    counts = await asyncio.gather(*(pipe.call("INCR", "ds:test:n") for _ in range(300)))
    assert counts == list(range(1, 301))  # sent in this order, answered in this order
    assert await redis_client.get("ds:test:n") == b"300"
    await pipe.close()


async def test_an_error_reply_raises_for_its_caller_only(redis_client: aioredis.Redis) -> None:
    pipe = pipe_of(redis_client)
    answers = await asyncio.gather(
        pipe.call("SET", "ds:test:k", "值"),
        pipe.call("HSET", "ds:test:k", "field", "1"),  # WRONGTYPE: the key is a string
        pipe.call("GET", "ds:test:k"),
        return_exceptions=True,
    )
    assert answers[0] == b"OK"
    assert isinstance(answers[1], ResponseError) and "WRONGTYPE" in str(answers[1])
    assert answers[2] == "值".encode()
    await pipe.close()


async def test_a_script_redis_lost_is_loaded_again(redis_client: aioredis.Redis) -> None:
    pipe = pipe_of(redis_client)
    script = redis_client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert await pipe.run_script(script, ["ds:test:s"], [2]) == 2
    await redis_client.script_flush()  # as after a restart without persistence
    with pytest.raises(NoScriptError):
        await pipe.call("EVALSHA", "0" * 40, 0)
    assert await pipe.run_script(script, ["ds:test:s"], [3]) == 5
    await pipe.close()


async def test_a_lost_connection_fails_calls_in_flight_then_connects_again(
    redis_client: aioredis.Redis,
) -> None:
    pipe = pipe_of(redis_client)
    assert await pipe.call("PING") == b"PONG"
    blocked = asyncio.ensure_future(pipe.call("BLPOP", "ds:test:empty", 30))
    await asyncio.sleep(0.05)
    assert await redis_client.client_kill_filter(_type="normal", skipme=True) >= 1
    with pytest.raises(RedisUnavailable, match="connection lost"):
        await asyncio.wait_for(blocked, timeout=10)
    assert await pipe.call("PING") == b"PONG"
    await pipe.close()


async def test_a_call_its_caller_gave_up_on_drops_the_connection(
    redis_client: aioredis.Redis,
) -> None:
    pipe = pipe_of(redis_client)
    await redis_client.set("ds:test:k", "mine")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pipe.call("BLPOP", "ds:test:late", 30), timeout=0.1)
    await redis_client.rpush("ds:test:late", "too late")
    # The next call gets its own reply, not the abandoned BLPOP's.
    assert await pipe.call("GET", "ds:test:k") == b"mine"
    await pipe.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def guarded_redis() -> Iterator[int]:
    """A redis-server on TCP with a password and an ACL user (nothing written to disk)."""
    port = _free_port()
    server = subprocess.Popen(
        [
            *(str(find_redis_binary()), "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--requirepass", "门钥-secret"),
            *("--user", "dealsignal", "on", ">user-pass", "~*", "+@all"),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.parametrize("credentials", [":门钥-secret", "dealsignal:user-pass"])
async def test_auth_and_database_as_the_url_says(guarded_redis: int, credentials: str) -> None:
    user, password = credentials.split(":")
    url = f"redis://{user}:{quote(password)}@127.0.0.1:{guarded_redis}/3"
    client = aioredis.Redis.from_url(url)
    pipe = pipe_of(client)
    assert await pipe.call("SET", "ds:test:db", credentials) == b"OK"
    assert await client.get("ds:test:db") == credentials.encode()  # database 3
    other = aioredis.Redis.from_url(url.removesuffix("/3") + "/0")
    assert await other.get("ds:test:db") is None
    await pipe.close()
    await client.aclose()
    await other.aclose()


async def test_a_wrong_password_is_refused(guarded_redis: int) -> None:
    client = aioredis.Redis.from_url(f"redis://:wrong@127.0.0.1:{guarded_redis}/0")
    pipe = pipe_of(client)
    with pytest.raises(ResponseError, match=r"WRONGPASS|invalid"):
        await pipe.call("PING")
    await client.aclose()


async def test_no_pipe_for_tls_or_sentinel_clients() -> None:
    tls = aioredis.Redis.from_url("rediss://127.0.0.1:6380/0")
    sentinel = Sentinel([("127.0.0.1", 26379)]).master_for("mymaster")  # type: ignore[no-untyped-call]
    assert RedisPipe.for_client(tls) is None
    assert RedisPipe.for_client(sentinel) is None
    assert RedisPipe.for_client(aioredis.Redis.from_url("redis://127.0.0.1:1/0")) is not None
    await tls.aclose()
    await sentinel.aclose()
