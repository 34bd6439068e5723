"""Credentials out of the logs. A tracked link's token is the buyer's credential (whoever
has it reads the document as them); a WeCom/Feishu robot URL carries its `key=`; mute links,
pixels and viewer pages carry signed tokens too. uvicorn's access log and httpx's request
log would write them in full, so a filter on those loggers (and ours) rewrites every
formatted argument: the token segment of `/l/`, `/v/`, `/o/`, `/s/`, `/n/mute/` paths and the
value of `key`, `token`, `sign`, `secret`, `access_token` query parameters become
`REDACTED`."""

from __future__ import annotations

import logging
import re
from typing import Final

__all__ = ["REDACTED", "RedactingFilter", "install_log_redaction", "redact"]

REDACTED: Final = "REDACTED"
# Loggers whose messages carry request lines or outbound URLs.
LOGGERS: Final = ("uvicorn.access", "uvicorn.error", "httpx", "httpcore", "dealsignal")

_TOKEN_PATH: Final = re.compile(r"(/(?:l|v|o|s|n/mute)/)[^/?#\s\"']+?(\.gif)?(?=[/?#\s\"']|$)")
_SECRET_QUERY: Final = re.compile(
    r"([?&](?:key|token|sign|secret|access_token)=)[^&#\s\"']*", re.IGNORECASE
)


def redact(text: str) -> str:
    text = _TOKEN_PATH.sub(lambda m: f"{m[1]}{REDACTED}{m[2] or ''}", text)
    return _SECRET_QUERY.sub(lambda m: f"{m[1]}{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and its non-numeric arguments (httpx passes its `URL`
    object, uvicorn the path with its query) before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg if isinstance(arg, int | float) else redact(str(arg)) for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                k: v if isinstance(v, int | float) else redact(str(v))
                for k, v in record.args.items()
            }
        return True


def install_log_redaction() -> None:
    """Idempotent. A logger's filter sees only records logged on that very logger, so the
    filter goes on the named loggers and on every handler they and the root have (records
    of child loggers such as `dealsignal.web` reach those handlers)."""
    for name in ("", *LOGGERS):
        logger = logging.getLogger(name)
        for holder in (logger, *logger.handlers):
            if not any(isinstance(f, RedactingFilter) for f in holder.filters):
                holder.addFilter(RedactingFilter())
