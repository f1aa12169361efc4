"""PLAJU_AUDIT_KEY: required in production, generated into instance/ (owner-only) in development."""
import os
import stat

import pytest

from plaju import config


def test_production_refuses_to_start_without_an_audit_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAJU_ENV", "production")
    monkeypatch.setenv("PLAJU_SECRET_KEY", "s" * 64)
    monkeypatch.delenv("PLAJU_AUDIT_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="PLAJU_AUDIT_KEY"):
        config.load(str(tmp_path))
    assert not (tmp_path / "audit_key").exists()  # never generated in production


def test_a_short_audit_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAJU_AUDIT_KEY", "too-short")
    with pytest.raises(config.ConfigError, match="at least 32"):
        config.load(str(tmp_path))


def test_the_given_key_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAJU_AUDIT_KEY", "k" * 40)
    assert config.load(str(tmp_path))["AUDIT_KEY"] == "k" * 40


def test_development_generates_an_owner_only_key_once(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAJU_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PLAJU_ENV", raising=False)
    first = config.load(str(tmp_path))
    path = tmp_path / "audit_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first["AUDIT_KEY"]) == 64 and first["AUDIT_KEY"] != first["SECRET_KEY"]
    assert config.load(str(tmp_path))["AUDIT_KEY"] == first["AUDIT_KEY"]
    assert first["AUDIT_CHECKPOINT_FILE"] == str(tmp_path / "audit-checkpoints.log")
    assert first["AUDIT_CHECKPOINT_MAX_AGE_HOURS"] == 26
