"""ClickHouse driver errors → `tracker.errors`, in one place for both backends.

transport failure (no answer, connection lost, HTTP 5xx without an engine code),
or an engine error that is about load, not the query (timeouts, memory, too many
queries, a read-only replica, Keeper)           → ClickHouseUnavailable (503, retry)
any other engine error (syntax, unknown table or column, bad parameter, type)
                                                → ClickHouseQueryError (500: a bug;
                                                  logged with the engine's text, a
                                                  client sees only the code; a writer
                                                  batch is dead-lettered, not retried)
"""

from __future__ import annotations

import re
from typing import Final

from tracker.errors import ClickHouseQueryError, ClickHouseUnavailable, DealsignalError

__all__ = ["TRANSIENT_CODES", "engine_code", "translate_chdb_error", "translate_server_error"]

# ClickHouse error codes that say "not now" rather than "never": retrying may succeed.
TRANSIENT_CODES: Final = frozenset(
    {
        3,  # UNEXPECTED_END_OF_FILE
        159,  # TIMEOUT_EXCEEDED
        164,  # READONLY
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        252,  # TOO_MANY_PARTS
        319,  # UNKNOWN_STATUS_OF_INSERT
        425,  # SYSTEM_ERROR
        999,  # KEEPER_EXCEPTION
    }
)
_CODE = re.compile(r"Code: (\d+)\.")


def engine_code(text: str) -> int | None:
    """The engine's error code in an exception text (`Code: 62. DB::Exception: …`)."""
    found = _CODE.search(text)
    return int(found.group(1)) if found else None


def _by_code(code: int | None, text: str) -> DealsignalError:
    if code is not None and code not in TRANSIENT_CODES:
        return ClickHouseQueryError(f"ClickHouse refused the query: {text}", engine_code=code)
    return ClickHouseUnavailable(f"ClickHouse unavailable: {text}")


def translate_chdb_error(exc: Exception) -> DealsignalError:
    """chDB runs in-process: no transport, so an error with an engine code is about the query
    unless the code says otherwise; one without a code is the engine itself failing."""
    text = str(exc)
    return _by_code(engine_code(text), text)


def translate_server_error(exc: Exception) -> DealsignalError:
    from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

    text = str(exc)
    if isinstance(exc, OperationalError) or not isinstance(exc, DatabaseError):
        return ClickHouseUnavailable(f"ClickHouse unreachable: {text}")
    code = exc.code if isinstance(exc.code, int) else engine_code(text)
    return _by_code(code, text)
