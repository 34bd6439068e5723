"""The web app's ownership rules, applied to API keys. An admin key acts for the whole
tenant. Any other key acts as the person it was issued to (`ApiKey.owner`), or as nobody:
it may manage only that person's own robot channels, preferences and mutes, and resolve
only that person's to-dos, in their name — never a manager's channel or to-do, whatever
the request says (a reps key once made a personal channel owned by a manager, received the
manager's stall alert, deleted the manager's channel and resolved their to-dos as anyone).
"""

from __future__ import annotations

from tracker.api_keys import Principal
from tracker.errors import Forbidden
from tracker.types import Scope

__all__ = ["acts_for_everyone", "identity", "require_self"]


def acts_for_everyone(principal: Principal) -> bool:
    return principal.allows(Scope.ADMIN)


def identity(principal: Principal) -> str:
    """Who this key acts as: its person's email, or `api:<key id>` for a machine key."""
    return principal.owner or f"api:{principal.key_id}"


def require_self(principal: Principal, person: str) -> None:
    """Refuse unless the key is an admin's or acts as `person` (a normalised email)."""
    if acts_for_everyone(principal):
        return
    if not principal.owner:
        raise Forbidden(
            "this key acts for nobody in particular; issue it to a person (owner) or use "
            "an admin key",
            code="key_has_no_owner",
        )
    if person != principal.owner:
        raise Forbidden(
            "a key may only manage its own person's channels, settings and to-dos",
            code="not_your_own",
        )
