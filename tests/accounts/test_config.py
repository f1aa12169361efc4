"""Settings that would run the app unsafely stop the start with a clear error."""
import pytest

from plaju.config import ConfigError, load

STRONG = "k" * 32


@pytest.fixture()
def env(monkeypatch, tmp_path):
    for name in ("PLAJU_ENV", "PLAJU_SECRET_KEY", "PLAJU_SESSION_IDLE_MINUTES", "PLAJU_SESSION_MAX_HOURS",
                 "PLAJU_TRUSTED_PROXIES", "PLAJU_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)

    def load_with(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return load(str(tmp_path))
    return load_with


@pytest.mark.parametrize("value", ["Production", "prod", "staging", ""])
def test_an_unknown_environment_refuses_to_start(env, value):
    with pytest.raises(ConfigError, match="PLAJU_ENV"):
        env(PLAJU_ENV=value)


def test_production_needs_a_long_secret_key(env):
    with pytest.raises(ConfigError, match="at least 32"):
        env(PLAJU_ENV="production", PLAJU_SECRET_KEY="x")
    with pytest.raises(ConfigError, match="PLAJU_SECRET_KEY"):
        env(PLAJU_ENV="production")
    config = env(PLAJU_ENV="production", PLAJU_SECRET_KEY=STRONG, PLAJU_AUDIT_KEY=STRONG)
    assert config["SESSION_COOKIE_SECURE"] and config["ENV_NAME"] == "production"


def test_development_and_test_generate_their_own_key(env):
    assert len(env(PLAJU_ENV="development")["SECRET_KEY"]) >= 32
    assert env(PLAJU_ENV="test")["ENV_NAME"] == "test"


def test_session_limits_and_proxies_are_read_and_checked(env):
    config = env(PLAJU_SESSION_IDLE_MINUTES="15", PLAJU_SESSION_MAX_HOURS="8",
                 PLAJU_TRUSTED_PROXIES="10.0.0.1, ::1")
    assert (config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"]) == (15, 8)
    assert {str(a) for a in config["TRUSTED_PROXIES"]} == {"10.0.0.1", "::1"}
    for name, bad in (("PLAJU_SESSION_IDLE_MINUTES", "0"), ("PLAJU_SESSION_MAX_HOURS", "lama"),
                      ("PLAJU_TRUSTED_PROXIES", "proxy.local")):
        with pytest.raises(ConfigError, match=name):
            env(**{name: bad})
        env(**{name: {"PLAJU_TRUSTED_PROXIES": ""}.get(name, "1")})
