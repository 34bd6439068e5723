"""A bound on password hashes running at once. argon2id as configured costs 64 MiB and tens
of milliseconds of a core per check: 40 concurrent bad sign-ins once added ~900 MB. Checks
take a slot (at most `concurrent` run, in the thread pool); at most `waiting` more may queue;
any further request is refused at once with 429 `busy` rather than queued without bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from tracker.errors import RateLimited

__all__ = ["HashGate"]

T = TypeVar("T")


class HashGate:
    def __init__(self, concurrent: int, waiting: int) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrent))
        self._capacity = max(1, concurrent) + max(0, waiting)
        self._admitted = 0  # running + queued
        self.running = 0
        # Counters for tests and metrics: checks run, most running at once, refused.
        self.checks = 0
        self.peak = 0
        self.refused = 0

    async def run(self, check: Callable[..., T], *args: object) -> T:
        if self._admitted >= self._capacity:
            self.refused += 1
            raise RateLimited("too many sign-in checks at once; retry shortly", code="busy")
        self._admitted += 1
        try:
            async with self._slots:
                self.running += 1
                self.checks += 1
                self.peak = max(self.peak, self.running)
                try:
                    return await run_in_threadpool(check, *args)
                finally:
                    self.running -= 1
        finally:
            self._admitted -= 1
