"""Signed tokens (itsdangerous) carrying compact ids only.

One salt per purpose, so a pixel token is never accepted as a link token. Secrets rotate:
the first secret signs, all of them verify. The beacon hot path verifies a viewer-session
token and never touches ClickHouse."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from tracker.errors import Gone, NotFound
from tracker.types import Tracking

_SESSION_CACHE_SIZE = 50_000

__all__ = ["LinkClaims", "TokenPurpose", "TokenSigner", "ViewerSessionClaims"]


class TokenPurpose(StrEnum):
    LINK = "link"
    PIXEL = "pixel"
    VIEWER_SESSION = "viewer-session"
    GATE = "gate"  # proves this viewer passed a link's email gate / passcode, until it expires


@dataclass(frozen=True)
class LinkClaims:
    tenant_id: str
    link_id: str


@dataclass(frozen=True)
class ViewerSessionClaims:
    """Everything the beacon route needs to enrich an event without a database read."""

    tenant_id: str
    link_id: str
    document_id: str
    version_id: str
    opportunity_id: str
    contact_id: str
    viewer_id: str
    pages: int
    tracking: Tracking = Tracking.ALL

    def to_list(self) -> list[Any]:
        return [
            self.tenant_id,
            self.link_id,
            self.document_id,
            self.version_id,
            self.opportunity_id,
            self.contact_id,
            self.viewer_id,
            self.pages,
            self.tracking.value,
        ]


class TokenSigner:
    def __init__(self, secrets: list[str], *, viewer_session_max_age: int = 12 * 3600) -> None:
        if not secrets:
            raise ValueError("at least one secret is required")
        self._secrets = secrets
        self._viewer_max_age = viewer_session_max_age
        self._sessions: dict[str, tuple[ViewerSessionClaims, float]] = {}

    def _plain(self, purpose: TokenPurpose) -> URLSafeSerializer:
        return URLSafeSerializer(self._secrets[::-1], salt=purpose.value)

    def _timed(self, purpose: TokenPurpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secrets[::-1], salt=purpose.value)

    # itsdangerous signs with the *last* key in the list and verifies with all of them.

    def link_token(self, claims: LinkClaims, purpose: TokenPurpose = TokenPurpose.LINK) -> str:
        return str(self._plain(purpose).dumps([claims.tenant_id, claims.link_id]))

    def read_link_token(self, token: str, purpose: TokenPurpose = TokenPurpose.LINK) -> LinkClaims:
        try:
            payload = self._plain(purpose).loads(token)
        except BadSignature as exc:
            raise NotFound("unknown link", code="link_not_found") from exc
        if not (isinstance(payload, list) and len(payload) == 2):
            raise NotFound("unknown link", code="link_not_found")
        return LinkClaims(str(payload[0]), str(payload[1]))

    def gate_token(self, claims: LinkClaims, viewer_id: str) -> str:
        """Timed, and bound to one viewer id: a copied cookie does not open the link for
        another browser, and it stops working after `max_age` (see `read_gate_token`)."""
        payload = [claims.tenant_id, claims.link_id, viewer_id]
        return str(self._timed(TokenPurpose.GATE).dumps(payload))

    def read_gate_token(self, token: str, max_age: int) -> tuple[LinkClaims, str]:
        try:
            payload = self._timed(TokenPurpose.GATE).loads(token, max_age=max_age)
        except BadSignature as exc:  # SignatureExpired included
            raise NotFound("gate not passed", code="gate_not_passed") from exc
        if not (isinstance(payload, list) and len(payload) == 3):
            raise NotFound("gate not passed", code="gate_not_passed")
        return LinkClaims(str(payload[0]), str(payload[1])), str(payload[2])

    def viewer_session_token(self, claims: ViewerSessionClaims) -> str:
        return str(self._timed(TokenPurpose.VIEWER_SESSION).dumps(claims.to_list()))

    def read_viewer_session(self, token: str) -> ViewerSessionClaims:
        """Every heartbeat of a viewer carries the same token, so verified tokens are
        remembered (forged ones are not); expiry is still checked on every call."""
        claims, issued_at = self._verified_session(token)
        if time.time() - issued_at > self._viewer_max_age:
            raise Gone("viewer session expired; reload the page", code="session_expired")
        return claims

    def _verified_session(self, token: str) -> tuple[ViewerSessionClaims, float]:
        cached = self._sessions.get(token)
        if cached is not None:
            return cached
        try:
            payload, issued = self._timed(TokenPurpose.VIEWER_SESSION).loads(
                token, max_age=self._viewer_max_age, return_timestamp=True
            )
        except SignatureExpired as exc:
            raise Gone("viewer session expired; reload the page", code="session_expired") from exc
        except BadSignature as exc:
            raise NotFound("unknown viewer session", code="session_not_found") from exc
        claims = self._session_claims(payload)
        if len(self._sessions) >= _SESSION_CACHE_SIZE:
            self._sessions.pop(next(iter(self._sessions)))  # oldest first: dicts keep order
        self._sessions[token] = (claims, issued.timestamp())
        return claims, issued.timestamp()

    @staticmethod
    def _session_claims(payload: object) -> ViewerSessionClaims:
        # 8 items: a token signed before sessions carried what they may record (all of it)
        if not (isinstance(payload, list) and len(payload) in (8, 9)):
            raise NotFound("unknown viewer session", code="session_not_found")
        tenant, link, document, version, opportunity, contact, viewer, pages = payload[:8]
        try:
            tracking = Tracking(payload[8]) if len(payload) == 9 else Tracking.ALL
        except ValueError as exc:
            raise NotFound("unknown viewer session", code="session_not_found") from exc
        return ViewerSessionClaims(
            str(tenant),
            str(link),
            str(document),
            str(version),
            str(opportunity),
            str(contact),
            str(viewer),
            int(pages),
            tracking,
        )
