"""One settings object, nested per subsystem, read from the environment and validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tracker.config import Settings
from tracker.scoring_settings import ScoringSettings, deployment_only_paths, flat_override


def test_nested_groups_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALSIGNAL_NOTIFY__BRIEFING_HOUR", "8")
    monkeypatch.setenv("DEALSIGNAL_NOTIFY__DEFAULT_TIME_ZONE", "Asia/Hong_Kong")
    monkeypatch.setenv("DEALSIGNAL_SCORING__STALL__INACTIVITY_HOURS", "36")
    monkeypatch.setenv("DEALSIGNAL_SCORING__READING__READ_SECONDS", "3")
    settings = Settings()
    assert settings.notify.briefing_hour == 8
    assert settings.notify.default_time_zone == "Asia/Hong_Kong"
    assert settings.scoring.stall.inactivity_hours == 36.0
    assert settings.scoring.reading.read_seconds == 3.0


def test_a_misspelt_setting_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALSIGNAL_SCORING__STALL__INACTIVITY_HOUR", "36")
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValidationError):
        Settings(notifications={"briefing_hour": 8})  # type: ignore[call-arg]


def test_tenant_overrides_merge_into_groups_and_old_flat_documents_still_read() -> None:
    base = ScoringSettings()
    merged = base.merged({"health": {"weight_relationship": 35.0}})
    assert merged.health.weight_relationship == 35.0
    assert merged.health.weight_risk == base.health.weight_risk
    stored_flat = {"health_weight_relationship": 35.0, "stall_inactivity_hours": 24.0,
                   "credibility_haircut": 0.8, "no_such_thing": 1}  # fmt: skip
    assert flat_override(stored_flat) == {
        "health": {"weight_relationship": 35.0},
        "stall": {"inactivity_hours": 24.0},
        "forecast": {"credibility_haircut": 0.8},
    }
    # the retired 8-item evidence weights, flat or nested, are dropped, not refused at read
    retired = {"evidence_weights": {"stage_age": 1.0},
               "forecast": {"evidence_weights": {"stage_age": 1.0}, "window_days": 14}}  # fmt: skip
    assert flat_override(retired) == {"forecast": {"window_days": 14}}
    assert base.merged(flat_override(retired)).forecast.window_days == 14
    reserved = deployment_only_paths()
    assert {"warm", "reading", "forecast.simulations", "stall.interval_seconds"} <= reserved
    assert "health.weight_relationship" not in reserved
