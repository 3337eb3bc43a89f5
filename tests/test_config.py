"""Settings: a bad value stops the app at start with one line naming the variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentapi import ConfigError, create_app

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")

BAD_SETTINGS = [
    ("DATABASE_URL", "postgres://x"),
    ("DATABASE_URL", "mysql://localhost"),
    ("DATABASE_URL", "mysql://localhost:99999/db"),
    ("DATABASE_URL", "mysql://localhost/db?sslmode=on"),
    ("DATABASE_URL", "mysql://localhost/db;drop"),
    ("WRITE_DATABASE_URL", "sqlite:///x.db"),
    ("DATABASE_TLS", "maybe"),
    ("DATABASE_CONNECT_TIMEOUT", "abc"),
    ("DATABASE_CONNECT_TIMEOUT", "0"),
    ("STATEMENT_TIMEOUT", "-1"),
    ("STATEMENT_TIMEOUT", "nan"),
    ("URL_PREFIX", "api/v1"),
    ("URL_PREFIX", "/api v1"),
    ("RATE_LIMIT", "lots"),
    ("RATE_LIMIT", "60 per fortnight"),
    ("RATELIMIT_STORAGE_URI", "ftp://somewhere"),
    ("AUTH_FAILURE_LIMIT", "many"),
    ("TRUSTED_PROXIES", "-1"),
    ("TRUSTED_PROXIES", "one"),
    ("LAST_USED_INTERVAL", "often"),
    ("LOG_LEVEL", "LOUD"),
    ("CURSOR_SECRET", "CHANGE-ME"),
    ("CURSOR_SECRET", "0123456789abcdef"),
]


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AGENTAPI_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_bad_setting_raises_a_one_line_config_error_naming_it(clean_env, name, value):
    clean_env.setenv(f"AGENTAPI_{name}", value)
    with pytest.raises(ConfigError) as caught:
        create_app()
    message = str(caught.value)
    assert f"AGENTAPI_{name}" in message
    assert "\n" not in message


def test_defaults_are_valid(clean_env):
    app = create_app()
    assert app.config["AGENTAPI"]["RATE_LIMIT"] == "60 per minute"
    assert app.config["AGENTAPI"]["URL_PREFIX"] == "/api/agent/v1"


def test_settings_come_from_the_environment(clean_env):
    clean_env.setenv("AGENTAPI_URL_PREFIX", "/agent/")
    clean_env.setenv("AGENTAPI_RATE_LIMIT", "5 per second")
    clean_env.setenv("AGENTAPI_LOG_LEVEL", "warning")
    settings = create_app().config["AGENTAPI"]
    assert settings["URL_PREFIX"] == "/agent"
    assert settings["RATE_LIMIT"] == "5 per second"
    assert settings["LOG_LEVEL"] == "WARNING"


def test_the_url_prefix_moves_every_route(clean_env):
    clean_env.setenv("AGENTAPI_URL_PREFIX", "/agent")
    client = create_app().test_client()
    assert client.get("/agent/schema").status_code == 200
    assert client.get("/api/agent/v1/schema").status_code == 404


def test_an_unknown_override_is_a_config_error(clean_env):
    with pytest.raises(ConfigError, match="NOT_A_SETTING"):
        create_app({"NOT_A_SETTING": "1"})


def test_a_unix_socket_url_is_accepted(clean_env):
    clean_env.setenv(
        "AGENTAPI_DATABASE_URL", "mysql://app:s%40cret@localhost/shop?unix_socket=/run/m.sock"
    )
    target = create_app().config["AGENTAPI"]["DATABASE"]
    assert target.unix_socket == "/run/m.sock"
    assert target.password == "s@cret"
    assert target.database == "shop"


def _start(args, env_overrides, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTAPI_")}
    env.update(env_overrides)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)


BAD_STARTS = [
    {"AGENTAPI_RATE_LIMIT": "lots"},
    {"AGENTAPI_CURSOR_SECRET": "CHANGE-ME"},
    {"AGENTAPI_DATABASE_URL": "postgres://x"},
]


@pytest.mark.parametrize("env", BAD_STARTS, ids=lambda e: next(iter(e)))
def test_importing_wsgi_with_a_bad_setting_exits_with_one_line(tmp_path, env):
    result = _start([sys.executable, "-c", "import wsgi"], env, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert next(iter(env)) in lines[0]


@pytest.mark.parametrize("env", BAD_STARTS, ids=lambda e: next(iter(e)))
def test_gunicorn_check_config_with_a_bad_setting_exits_with_one_line(tmp_path, env):
    result = _start([str(GUNICORN), "--check-config", "wsgi:app"], env, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert next(iter(env)) in lines[0]


def test_gunicorn_check_config_passes_with_good_settings(tmp_path):
    result = _start(
        [str(GUNICORN), "--check-config", "wsgi:app"],
        {"AGENTAPI_DATABASE_URL": "mysql://nobody@127.0.0.1:1/none"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr


def _named_settings(text: str) -> set[str]:
    """The AGENTAPI_* names a text mentions."""
    return set(re.findall(r"AGENTAPI_([A-Z_]+[A-Z])", text))


def test_every_setting_is_in_the_readme_table_and_the_environment_example_and_no_other():
    from agentapi.config import GUNICORN_SETTINGS, SETTINGS

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `AGENTAPI_"))
    example = (root / "deploy" / "agentapi.env.example").read_text(encoding="utf-8")
    known = {setting.name for setting in SETTINGS}
    assert _named_settings(table) == known
    assert _named_settings(example) - set(GUNICORN_SETTINGS) == known
    tests_only = {"TEST_DATABASE_URL", "FUZZ_SEED"}  # read by the test suite, not the service
    assert _named_settings(readme) - tests_only <= known | set(GUNICORN_SETTINGS)
