from __future__ import annotations

import time

from outbound.webhooks import signature_header, verify_signature
from outbound.webhooks.signing import sign

SECRET = "whsec_test-secret-0123456789"
BODY = '{"type":"document.viewed","data":{"recipient":{"name":"王总"}}}'.encode()


def test_round_trip_and_stripe_format() -> None:
    header = signature_header(SECRET, BODY, timestamp=1_700_000_000)
    t, v1 = header.split(",")
    assert t == "t=1700000000"
    assert v1 == "v1=" + sign(SECRET, 1_700_000_000, BODY)
    assert verify_signature(SECRET, header, BODY, now=1_700_000_100)


def test_tampered_body_wrong_secret_and_malformed_headers_fail() -> None:
    header = signature_header(SECRET, BODY)
    assert not verify_signature(SECRET, header, BODY + b" ")
    assert not verify_signature("whsec_other-secret-0000000", header, BODY)
    for bad in ["", "t=abc,v1=00", "v1=00", f"t={int(time.time())}"]:
        assert not verify_signature(SECRET, bad, BODY)


def test_old_timestamps_are_rejected_within_tolerance_accepted() -> None:
    header = signature_header(SECRET, BODY, timestamp=1_700_000_000)
    assert not verify_signature(SECRET, header, BODY, now=1_700_000_301)
    assert verify_signature(SECRET, header, BODY, tolerance=600, now=1_700_000_301)


def test_any_of_several_v1_signatures_may_match() -> None:
    t = int(time.time())
    header = f"t={t},v1={'0' * 64},v1={sign(SECRET, t, BODY)}"
    assert verify_signature(SECRET, header, BODY)
