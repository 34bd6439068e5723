"""People and organisations of the synthetic data: tenants' sales teams (reps with
managers), buyer accounts and their contacts (roles, decision-maker flags, Chinese or
English names). Scalar draws from one `random.Random`, so the same seed gives the same
people."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from scoring.synthetic.names import (
    CITIES,
    ENGLISH_ACCOUNTS,
    ENGLISH_FAMILY,
    ENGLISH_GIVEN,
    FAMILY,
    GIVEN,
    INDUSTRIES,
    ROLES,
    TRADE_NAMES,
)

__all__ = ["Account", "Person", "SalesTeam", "make_account", "make_contacts", "make_team"]

_DM_ROLES = [r for r in ROLES if r[1]]


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    role: str = ""
    is_decision_maker: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    domain: str
    english: bool


@dataclass
class SalesTeam:
    """One tenant's sales organisation: reps and their managers (emails unique across
    tenants, as the users table requires), and each rep's forecasting optimism in points."""

    tenant_id: str
    name: str
    managers: list[Person] = field(default_factory=list)
    reps: list[Person] = field(default_factory=list)
    rep_manager: list[int] = field(default_factory=list)
    rep_bias: list[int] = field(default_factory=list)


def _chinese_name(rnd: random.Random) -> tuple[str, str, str]:
    family, family_py = rnd.choice(FAMILY)
    given, given_py = rnd.choice(GIVEN)
    return family + given, given_py, family_py


def _person(rnd: random.Random, domain: str, serial: int, english: bool) -> tuple[str, str]:
    if english:
        given, family = rnd.choice(ENGLISH_GIVEN), rnd.choice(ENGLISH_FAMILY)
        return f"{given} {family}", f"{given.lower()}.{family.lower()}{serial}@{domain}"
    name, given_py, family_py = _chinese_name(rnd)
    return name, f"{given_py}.{family_py}{serial}@{domain}"


def make_team(rnd: random.Random, tenant_id: str, index: int, reps: int) -> SalesTeam:
    slug = f"t{index}-{tenant_id[-6:].lower()}"
    team = SalesTeam(tenant_id=tenant_id, name=f"合成销售 {index + 1} 部 (synthetic {index + 1})")
    domain = f"{slug}.sales.example.cn"
    managers = max(1, reps // 5)
    for m in range(managers):
        name, email = _person(rnd, domain, m, english=False)
        team.managers.append(Person(name, email, "manager"))
    for r in range(reps):
        name, email = _person(rnd, domain, 100 + r, english=rnd.random() < 0.1)
        team.reps.append(Person(name, email, "rep"))
        team.rep_manager.append(r % managers)
        team.rep_bias.append(round(rnd.gauss(0, 8)))
    return team


def make_account(rnd: random.Random, serial: int, english: bool) -> Account:
    if english:
        name, slug = rnd.choice(ENGLISH_ACCOUNTS)
        return Account(f"{name} #{serial}", f"{slug}{serial}.example.com", True)
    city, city_py = rnd.choice(CITIES)
    trade, trade_py = rnd.choice(TRADE_NAMES)
    industry, industry_py = rnd.choice(INDUSTRIES)
    return Account(
        f"{city}{trade}{industry}有限公司",
        f"{city_py}-{trade_py}-{industry_py}{serial}.example.cn",
        False,
    )


def make_contacts(rnd: random.Random, account: Account, count: int) -> list[Person]:
    """`count` contacts; the first is a decision-maker most of the time."""
    roles = [role for role, _, _ in ROLES]
    weights = [w for _, _, w in ROLES]
    is_dm = {role: dm for role, dm, _ in ROLES}
    people = []
    for serial in range(count):
        if serial == 0 and rnd.random() < 0.85:
            role = rnd.choice(_DM_ROLES)[0]
        else:
            role = rnd.choices(roles, weights)[0]
        english = account.english or rnd.random() < 0.08
        name, email = _person(rnd, account.domain, serial, english)
        people.append(Person(name, email, role, is_dm[role]))
    return people
