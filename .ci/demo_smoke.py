"""CI's demo smoke: start the demo as a newcomer does and sign in as every login.

Runs ``make run`` from this checkout on a free port with no database, broker
or Redis in the environment (so the embedded PostgreSQL and the filesystem
broker are used), waits for the login page, reads the demo logins that
``make run`` prints, and for each one signs in through the login form,
requests its home page and every link of the navigation bar, and fails on
any answer but 200. Then it stops the demo as Ctrl-C would and fails if
anything it started is still running.

Standard library only: it runs with any Python 3.11.
"""

# A command-line script: it prints, and opens only http URLs it builds itself.
# ruff: noqa: T201, S310

from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a newcomer's shell doesn't have: the demo must not depend on them.
SCRUBBED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "DJANGO_ENV",
    "DEBUG",
    "PORTAL_BASE_URL",
)


class _Links(html.parser.HTMLParser):
    """The hrefs inside <nav> elements, the CSRF token and the page's title."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.links: list[str] = []
        self.csrf = ""
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "nav":
            self.depth += 1
        elif tag == "a" and self.depth and values.get("href"):
            self.links.append(values["href"])
        elif tag == "input" and values.get("name") == "csrfmiddlewaretoken":
            self.csrf = values.get("value") or ""
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "nav" and self.depth:
            self.depth -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fail(message: str, log: Path | None = None) -> None:
    print(f"demo smoke: FAILED: {message}", file=sys.stderr)
    if log is not None and log.exists():
        tail = log.read_text(errors="replace").splitlines()[-60:]
        print("--- last lines of make run ---\n" + "\n".join(tail), file=sys.stderr)
    raise SystemExit(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


class Browser:
    """A cookie-keeping client that follows redirects itself (to see each status)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """Follow redirects; return (status, final path, body)."""
        url = urllib.parse.urljoin(self.base, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for _hop in range(10):
            request = urllib.request.Request(url, data=body, headers={"Referer": self.base})
            try:
                with self.opener.open(request, timeout=60) as response:
                    return (
                        response.status,
                        urllib.parse.urlsplit(url).path,
                        response.read().decode(),
                    )
            except urllib.error.HTTPError as error:
                if error.code in (301, 302, 303, 307, 308) and error.headers.get("Location"):
                    url = urllib.parse.urljoin(url, error.headers["Location"])
                    body = None
                    continue
                return (
                    error.code,
                    urllib.parse.urlsplit(url).path,
                    error.read().decode(errors="replace"),
                )
        raise RuntimeError(f"too many redirects from {path}")


def _logins(log: Path) -> tuple[str, list[str]]:
    text = log.read_text(errors="replace")
    match = re.search(r"Demo logins \(password for all: (\S+)\):\n((?:  \S+ +.+\n)+)", text)
    if not match:
        _fail("make run printed no demo logins", log)
    names = [line.split()[0] for line in match.group(2).splitlines() if line.strip()]
    return match.group(1), names


def _check_login(base: str, username: str, password: str, log: Path) -> int:
    browser = Browser(base)
    status, _path, page = browser.request("/login/")
    if status != 200:
        _fail(f"/login/ answered {status}", log)
    form = _Links()
    form.feed(page)
    status, home, page = browser.request(
        "/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": form.csrf},
    )
    if status != 200 or home.startswith("/login"):
        _fail(f"{username}: signing in ended on {home} with {status}", log)
    parsed = _Links()
    parsed.feed(page)
    checked = 1
    seen = {home}
    for href in parsed.links:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(base + home, href))
        if target.netloc != urllib.parse.urlsplit(base).netloc or target.scheme not in ("http",):
            continue
        path = target.path + (f"?{target.query}" if target.query else "")
        if path in seen or target.path.startswith("/logout"):
            continue
        seen.add(path)
        status, _final, _body = browser.request(path)
        if status != 200:
            _fail(f"{username}: navigation link {path} answered {status}", log)
        checked += 1
    # DEBUG is off: an unknown page is the portal's own 404, not Django's
    # technical page listing the URLconf.
    status, _final, body = browser.request("/no-such-page/")
    if status != 404 or "URLconf" in body or "Traceback" in body:
        _fail(f"{username}: an unknown page answered {status} without the portal's 404 page", log)
    print(f"demo smoke: {username:<10} home {home} and {checked - 1} navigation links: 200")
    return checked


def _leftovers() -> list[str]:
    """Processes of this checkout's demo that are still running."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        ours = cwd == str(ROOT) or str(ROOT / "var" / "postgres") in cmdline
        if ours and any(
            word in cmdline for word in ("runserver", "celery", "postgres", "run_demo")
        ):
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the demo")
    options = parser.parse_args()
    port = options.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    log = ROOT / "test-output" / "demo-smoke.log"
    log.parent.mkdir(exist_ok=True)
    started = time.monotonic()
    with log.open("w") as output:
        demo = subprocess.Popen(  # noqa: S603
            ["make", "--no-print-directory", "run", f"RUN_ARGS=--addrport 127.0.0.1:{port}"],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's job
        )
    try:
        while True:
            if demo.poll() is not None:
                _fail(f"make run exited with {demo.returncode} before serving", log)
            if time.monotonic() - started > options.timeout:
                _fail(f"the demo did not answer within {options.timeout:.0f} s", log)
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        print(f"demo smoke: the demo answered on {base} after {time.monotonic() - started:.0f} s")
        password, names = _logins(log)
        for username in names:
            _check_login(base, username, password, log)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's job
            try:
                demo.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.wait()
                _fail("make run did not stop within 90 s of Ctrl-C", log)
    time.sleep(1)
    left = _leftovers()
    if left:
        _fail("still running after Ctrl-C:\n  " + "\n  ".join(left), log)
    print("demo smoke: stopped cleanly; nothing left running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
