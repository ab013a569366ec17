"""``make run``: prepare the demo and run the web server, a worker and beat.

Migrates, installs the beat defaults, loads the demo data (all idempotent),
prints the demo logins, then starts ``runserver``, ``celery worker`` and
``celery beat`` side by side. Ctrl-C (or SIGTERM) stops all three.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the demo: migrate, seed, then the web server, a Celery worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("install_beat_schedule")
        call_command("seed_demo")
        python = sys.executable
        addrport = options["addrport"]
        env = _demo_environment(os.environ, addrport)
        commands = {
            "web": [python, "manage.py", "runserver", addrport, "--noreload"],
            "worker": [
                python, "-m", "celery", "-A", "pae_ops", "worker",
                "--loglevel=INFO", "--concurrency=1", "--pool=solo",
            ],
            "beat": [
                python, "-m", "celery", "-A", "pae_ops", "beat", "--loglevel=INFO",
                f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}",
            ],
        }  # fmt: skip
        self.stdout.write(
            self.style.SUCCESS(f"\nPAE Ops demo on http://{addrport}/ (Ctrl-C stops everything)\n")
        )
        if env["TWO_FACTOR_REQUIRED"].lower() in ("false", "0", "no", "off"):
            self.stdout.write(
                "Second factor: off in the demo (TWO_FACTOR_REQUIRED=false); "
                "production requires it for admins, directors, leaders and partner approvers.\n"
            )
        # Print the logins before the children's logs start interleaving.
        self.stdout.flush()
        sys.stdout.flush()
        processes = {
            name: subprocess.Popen(cmd, env=env)  # noqa: S603 (our own commands)
            for name, cmd in commands.items()
        }

        def stop(*_args):
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            failed = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"Stopped because {', '.join(failed)} exited.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the web server, worker and beat…")
        finally:
            stop()


def _demo_environment(environ, addrport: str) -> dict[str, str]:
    """The children's environment: the demo runs like the portal users get.

    ``DEBUG`` off (the portal's own error pages; whitenoise serves the static
    files), the second factor off (the demo logins have no phone), no
    persistent database connections (``runserver`` opens a thread per
    request, and kept connections would pile up), and links in emails built
    from the address the demo serves on. Values set by the caller win.
    """
    env = dict(environ)
    env.setdefault("DEBUG", "false")
    env.setdefault("DB_CONN_MAX_AGE", "0")
    # The demo logins sign in with their password only (nobody has their
    # phone); production refuses this setting (docs/security.md).
    env.setdefault("TWO_FACTOR_REQUIRED", "false")
    host = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
    if host.startswith("0.0.0.0:"):
        host = "127.0.0.1:" + host.split(":", 1)[1]
    env.setdefault("PORTAL_BASE_URL", f"http://{host}")
    return env
