"""People who sign in to the web app: reps, managers and admins of a tenant.

The email is the sign-in name, stored lower-case and unique across tenants (so signing in
needs no tenant picker); it is also what `documents.owner` and the CRM's
`opportunities.owner` hold. Passwords are argon2id hashes (argon2-cffi, the library's
current parameters; a hash made with older parameters is upgraded at the next sign-in).

Visibility: a rep sees their own work, a manager theirs and their team's (users whose
`manager_email` is the manager, followed down the reporting tree), an admin the whole tenant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

import pyarrow as pa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.clock import TS, utcnow
from tracker.errors import BadRequest, Conflict, NotFound
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.entities import EntityTable

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Role",
    "User",
    "create_user",
    "find_user_by_email",
    "get_user",
    "list_users",
    "normalise_email",
    "set_password",
    "verify_sign_in",
    "visible_owners",
]

MIN_PASSWORD_LENGTH: Final = 10
_EMAIL: Final = re.compile(r"^[^@\s,]{1,64}@[^@\s,]{1,190}\.[^@\s,]{2,}$")
_HASHER: Final = PasswordHasher()
# Verified against when the email is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH: Final = _HASHER.hash("dealsignal-no-such-user")


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    tenant_id: str
    email: str
    name: str
    role: Role
    manager_email: str
    created_at: datetime
    disabled: bool = False
    password_hash: str = field(default="", repr=False)


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned):
        raise BadRequest("not a valid email address", code="invalid_email")
    return cleaned


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(
            f"passwords need at least {MIN_PASSWORD_LENGTH} characters", code="weak_password"
        )


USERS: Final = EntityTable("users", User, {"created_at": TS, "disabled": pa.uint8()})


def find_user_by_email(ch: ClickHouse, email: str) -> User | None:
    """Across tenants (emails are unique): only for signing in and creating users."""
    found = USERS.select(
        ch, None, equals={"email": email.strip().lower()}, order_by="created_at", limit=1
    )
    return found[0] if found else None


def create_user(
    ch: ClickHouse,
    tenant_id: str,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    manager_email: str = "",
) -> User:
    """A new person in the tenant. Raises Conflict if the email is taken (in any tenant)."""
    address = normalise_email(email)
    manager = normalise_email(manager_email) if manager_email.strip() else ""
    _check_password(password)
    if find_user_by_email(ch, address) is not None:
        raise Conflict("a user with this email already exists", code="user_exists")
    user = User(
        tenant_id=tenant_id,
        email=address,
        name=name.strip()[:200] or address,
        role=Role(role),
        manager_email=manager,
        created_at=utcnow(),
        password_hash=_HASHER.hash(password),
    )
    USERS.write(ch, [user])
    return user


def get_user(ch: ClickHouse, tenant_id: str, email: str) -> User:
    found = USERS.find(ch, tenant_id, email=email.strip().lower())
    if found is None:
        raise NotFound("unknown user", code="user_not_found")
    return found


def list_users(ch: ClickHouse, tenant_id: str) -> list[User]:
    return USERS.select(ch, tenant_id, order_by="name, email")


def set_password(ch: ClickHouse, tenant_id: str, email: str, password: str) -> User:
    _check_password(password)
    updated = replace(get_user(ch, tenant_id, email), password_hash=_HASHER.hash(password))
    USERS.write(ch, [updated])
    return updated


def verify_sign_in(ch: ClickHouse, email: str, password: str) -> User | None:
    """The user if the password matches and the account is active; None otherwise (the
    same work is done for an unknown email, so timing does not reveal accounts)."""
    user = find_user_by_email(ch, email)
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user = replace(user, password_hash=_HASHER.hash(password))
        USERS.write(ch, [user])
    return user


def visible_owners(ch: ClickHouse, user: User) -> frozenset[str] | None:
    """The owner emails whose documents and deals `user` may see; None = the whole tenant."""
    if user.role is Role.ADMIN:
        return None
    owners = {user.email}
    if user.role is Role.MANAGER:
        reports: dict[str, list[str]] = {}
        for member in list_users(ch, user.tenant_id):
            reports.setdefault(member.manager_email, []).append(member.email)
        frontier = [user.email]
        while frontier:
            for report in reports.get(frontier.pop(), []):
                if report not in owners:
                    owners.add(report)
                    frontier.append(report)
    return frozenset(owners)
