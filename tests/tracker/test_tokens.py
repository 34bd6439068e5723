from __future__ import annotations

import time

import pytest

from tracker.errors import Gone, NotFound
from tracker.tokens import LinkClaims, TokenPurpose, TokenSigner, ViewerSessionClaims

CLAIMS = ViewerSessionClaims("ten_1", "lnk_1", "doc_1", "ver_1", "opp", "c-1", "vwr_1", 12)


def test_link_tokens_round_trip_and_rotate() -> None:
    old = TokenSigner(["old-secret"])
    token = old.link_token(LinkClaims("ten_1", "lnk_1"))
    rotated = TokenSigner(["new-secret", "old-secret"])
    assert rotated.read_link_token(token) == LinkClaims("ten_1", "lnk_1")
    with pytest.raises(NotFound):
        TokenSigner(["new-secret"]).read_link_token(token)


def test_purposes_do_not_mix_and_tampering_is_not_found() -> None:
    signer = TokenSigner(["k"])
    pixel = signer.link_token(LinkClaims("t", "l"), TokenPurpose.PIXEL)
    with pytest.raises(NotFound):
        signer.read_link_token(pixel)
    good = signer.link_token(LinkClaims("t", "l"))
    with pytest.raises(NotFound):
        signer.read_link_token(good[:-2] + ("xy" if not good.endswith("xy") else "zz"))


def test_viewer_sessions_are_remembered_but_still_expire() -> None:
    signer = TokenSigner(["k"], viewer_session_max_age=1)
    token = signer.viewer_session_token(CLAIMS)
    assert signer.read_viewer_session(token) == CLAIMS
    assert signer.read_viewer_session(token) == CLAIMS  # served from the verified cache
    time.sleep(2.1)
    with pytest.raises(Gone):
        signer.read_viewer_session(token)
    with pytest.raises(NotFound):
        signer.read_viewer_session(token[:-3] + "AAA")
