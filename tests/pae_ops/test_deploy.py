"""The production shape: settings, the compose file, and its commands run for real."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="ops.example.com",
    )
    env.update(overrides)
    return env


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"DEBUG": "true"}, "DEBUG"),
    ],
)
def test_production_refuses_to_start_without_real_secrets(overrides, needle):
    env = _production_env(**overrides)
    if overrides.get("SECRET_KEY") == "":
        env.pop("SECRET_KEY")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert needle in result.stderr


def test_production_turns_on_secure_cookies_hsts_and_csp():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " 'default-src' in s.CONTENT_SECURITY_POLICY['DIRECTIVES'], s.DEBUG)"
    )
    result = _manage("shell", "-v0", "-c", code, env=_production_env())
    assert result.stdout.split() == ["True", "True", "True", "True", "False"], result.stderr


# docker-compose.yml --------------------------------------------------------


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_is_valid_against_the_compose_spec():
    result = subprocess.run(
        [
            str(VENV_BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_services_and_dependencies():
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on undefined {dependency}"
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["redis"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "migrate" in services["web"]["command"]
    assert "gunicorn" in services["web"]["command"]
    assert services["beat"]["deploy"]["replicas"] == 1


# The commands the compose services run, exercised for real ----------------


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_login_page(test_database_url, unused_tcp_port):
    import time
    import urllib.request

    env = {**os.environ, "DATABASE_URL": test_database_url, "DEBUG": "false"}
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "pae_ops.wsgi:application",
            "--bind",
            f"127.0.0.1:{unused_tcp_port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{unused_tcp_port}/login/", timeout=5
                ) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert "csrfmiddlewaretoken" in body
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Pinned builds ---------------------------------------------------------------


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            package, version = line.split("==", 1)
            pins[package.strip().lower().replace("_", "-")] = version.split()[0]
    return pins


def _declared(extra: str | None = None) -> set[str]:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower() for spec in specs}


def test_the_lock_files_pin_every_declared_dependency():
    """The image (lock.txt) and CI (lock-dev.txt) install exact versions; the
    ranges stay in pyproject.toml for development (make lock re-pins)."""
    runtime, dev = _pins("lock.txt"), _pins("lock-dev.txt")
    assert _declared() <= set(runtime)
    assert _declared() | _declared("dev") <= set(dev)
    shared = set(runtime) & set(dev)
    assert {name: runtime[name] for name in shared} == {name: dev[name] for name in shared}


def test_the_image_and_make_test_install_from_the_lock_files():
    assert "-r requirements/lock.txt" in (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements/lock-dev.txt" in makefile
    assert "--no-deps -e ." in makefile
