"""Redis driver errors → `tracker.errors`, in one place (httpx-style: the transport's
exceptions are translated at the boundary and nowhere else).

    ConnectionError, TimeoutError, BusyLoadingError, OSError  → RedisUnavailable (503, retry)
    any other RedisError (ResponseError: a script error, WRONGTYPE, …) → RedisCommandError
                                                        (500, logged, a bug: not retried)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import BusyLoadingError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tracker.errors import DealsignalError, RedisCommandError, RedisUnavailable

__all__ = ["redis_errors", "translate_redis_error"]

_TRANSIENT = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, OSError)


def translate_redis_error(exc: BaseException, what: str) -> DealsignalError:
    if isinstance(exc, _TRANSIENT):
        return RedisUnavailable(f"Redis unavailable during {what}: {exc}")
    return RedisCommandError(f"Redis refused {what}: {exc}")


@contextmanager
def redis_errors(what: str) -> Iterator[None]:
    """Translate driver errors (and dropped connections) raised inside the block."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise translate_redis_error(exc, what) from exc
