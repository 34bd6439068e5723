"""The re-weighting guardrails with known answers."""

from __future__ import annotations

import pytest

from scoring.health.guardrails import guard_weights

NOW = {"commercial": 20.0, "cooperation": 15.0, "relationship": 40.0, "risk": 25.0}


def test_the_brief_example_relationship_moves_from_20_towards_35() -> None:
    current = {"commercial": 30.0, "cooperation": 25.0, "relationship": 20.0, "risk": 25.0}
    fitted = {"commercial": 20.0, "cooperation": 15.0, "relationship": 50.0, "risk": 15.0}
    got = guard_weights(current, fitted)
    assert got["relationship"] == 35.0  # +15 points at most in a month
    assert sum(got.values()) == pytest.approx(100.0)
    assert all(abs(got[k] - current[k]) <= 15.0 for k in current)


def test_a_collapse_to_zero_is_held_at_the_monthly_bound() -> None:
    fitted = {"commercial": 50.0, "cooperation": 30.0, "relationship": 0.0, "risk": 20.0}
    got = guard_weights(NOW, fitted)
    assert got["relationship"] == 25.0  # 40 − 15, not 0
    # the fit shifted by one amount (−5) and clamped: commercial at its +15 bound
    assert got == {"commercial": 35.0, "cooperation": 25.0, "relationship": 25.0, "risk": 15.0}


def test_floor_ceiling_and_a_fit_that_wants_everything_in_one_pillar() -> None:
    got = guard_weights(NOW, {"commercial": 0.0, "cooperation": 0.0, "relationship": 100.0,
                              "risk": 0.0})  # fmt: skip
    assert got == {"commercial": 15.0, "cooperation": 15.0, "relationship": 55.0, "risk": 15.0}
    wide = guard_weights(NOW, {"commercial": 0.0, "cooperation": 0.0, "relationship": 100.0,
                               "risk": 0.0}, max_change=100.0)  # fmt: skip
    assert wide["relationship"] == 60.0 and min(wide.values()) >= 5.0  # ceiling and floor
    assert sum(wide.values()) == pytest.approx(100.0)


def test_a_fit_equal_to_the_current_weights_changes_nothing() -> None:
    assert guard_weights(NOW, NOW) == NOW
