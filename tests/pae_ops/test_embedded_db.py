"""The embedded PostgreSQL server of ``make run`` (and of ``make test`` without a server).

Each test starts its own server on a data directory of its own, through the
same command line the Makefile uses, and checks that nothing is left
running afterwards. No Django database: these are processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pae_ops.embedded_db import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[2]
SITE_PACKAGES = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
QUERY = (
    "import os, psycopg; url = os.environ['DATABASE_URL']; "
    "row = psycopg.connect(url.replace('postgres://', 'postgresql://'))"
    ".execute('SELECT current_database(), current_setting(%s)', ['listen_addresses']).fetchone(); "
    "print('served', *row)"
)


@pytest.fixture
def tmp_path():
    """A directory outside pytest's temporary tree.

    As root the server runs as its own system user, who must be able to
    reach the data directory; pytest keeps its tree's root at mode 0700 and
    resets it whenever a worker starts, which can cut that user off mid-run.
    """
    path = Path(tempfile.mkdtemp(prefix="pae-embedded-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _postgres_processes(data_dir: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "postgres" in cmdline and str(data_dir) in cmdline:
            found.append(cmdline)
    return found


def _launch(data_dir: Path, *command: str, python: str = sys.executable, user: str | None = None):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "PGPORT")}
    env["PYTHONPATH"] = f"{ROOT}:{SITE_PACKAGES}"
    line = [python, "-m", "pae_ops.embedded_db", "exec", "--data-dir", str(data_dir), "--"]
    line += list(command) or [python, "-c", QUERY]
    if user:
        line = ["runuser", "-u", user, "--", "env", f"PYTHONPATH={env['PYTHONPATH']}", *line]
    return subprocess.run(line, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_embedded_server_starts_serves_and_stops(tmp_path):
    data_dir = tmp_path / "pg"

    result = _launch(data_dir)

    assert result.returncode == 0, result.stderr
    assert "served pae_ops 127.0.0.1" in result.stdout  # TCP on loopback only
    assert "Embedded PostgreSQL stopped." in result.stderr
    assert _postgres_processes(data_dir) == []
    # A second run reuses the data directory (no second initdb).
    initialised = (data_dir / "PG_VERSION").stat().st_mtime_ns
    again = _launch(data_dir)
    assert again.returncode == 0, again.stderr
    assert (data_dir / "PG_VERSION").stat().st_mtime_ns == initialised
    assert _postgres_processes(data_dir) == []


def test_embedded_server_runs_for_a_normal_user(tmp_path):
    """As root the server runs as its own system user; as a normal user, as that user."""
    if os.geteuid() != 0:
        result = _launch(tmp_path / "pg")  # the suite already runs as a normal user
        assert result.returncode == 0, result.stderr
        assert "served pae_ops" in result.stdout
        assert _postgres_processes(tmp_path) == []
        return
    python = shutil.which("python3", path="/usr/bin")
    assert python, "a system python3 is needed to run the launcher as another user"
    home = tmp_path / "nobody"
    home.mkdir()
    shutil.chown(home, user="nobody")
    result = _launch(home / "pg", python, "-c", QUERY, python=python, user="nobody")
    assert result.returncode == 0, result.stderr
    assert "served pae_ops" in result.stdout
    assert (home / "pg").owner() == "nobody"
    assert _postgres_processes(home) == []


def test_a_killed_launcher_leaves_nothing_that_blocks_the_next_run(tmp_path):
    data_dir = tmp_path / "pg"
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    sleeper = ["--", sys.executable, "-c", "import time; time.sleep(120)"]
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pae_ops.embedded_db",
            "exec",
            "--data-dir",
            str(data_dir),
            *sleeper,
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Embedded PostgreSQL on" in launcher.stderr.readline()

        launcher.send_signal(signal.SIGKILL)  # a crash: nothing gets to clean up
        launcher.wait(timeout=10)
        assert _postgres_processes(data_dir)  # the detached server survived

        result = _launch(data_dir)  # the next run finds it and reuses it
        assert result.returncode == 0, result.stderr
        assert "already running" in result.stderr
        assert _postgres_processes(data_dir) == []
    finally:
        EmbeddedPostgres(data_dir=data_dir).stop()
        subprocess.run(["pkill", "-f", "time.sleep(120)"], check=False)  # the orphaned child


def test_a_stale_pid_file_does_not_block_the_start(tmp_path):
    data_dir = tmp_path / "pg"
    first = _launch(data_dir)
    assert first.returncode == 0, first.stderr
    # A server that died without cleaning up: its pid is now some other program's.
    (data_dir / "postmaster.pid").write_text(f"{os.getpid()}\n{data_dir}\n0\n5432\n\n\n\nready\n")

    started = time.monotonic()
    result = _launch(data_dir)

    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    assert _postgres_processes(data_dir) == []
