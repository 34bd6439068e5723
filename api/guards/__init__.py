"""Guards against guessing and against being worn out: budgets of tries per target and per
source address (Redis), a bound on concurrent password hashes, and the client address as
the configured reverse proxies report it."""

from api.guards.attempts import Budget, address_tag, budgets_spent, forgive, spend
from api.guards.client_address import behind_proxies, client_address
from api.guards.hash_gate import HashGate

__all__ = [
    "Budget",
    "HashGate",
    "address_tag",
    "behind_proxies",
    "budgets_spent",
    "client_address",
    "forgive",
    "spend",
]
