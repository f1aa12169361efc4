"""What the HTTP benchmarks share: a database of their own, gunicorn servers on free local ports, clients
that sign in through the login form, timed phases and percentiles. Only 127.0.0.1 is ever spoken to."""
import contextvars
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
LOCAL = {"localhost", "127.0.0.1", "::1"}


def prepare_url(url: str | None, folder: Path) -> str:
    """SQLite in `folder` by default; a PostgreSQL database on localhost whose name starts with plaju_bench
    is dropped and created again."""
    if not url:
        return f"sqlite:///{folder / 'bench.sqlite'}"
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    if parsed.get_backend_name() == "sqlite":
        return url
    if parsed.host not in LOCAL:
        sys.exit(f"refusing {parsed.host!r}: the benchmarks only talk to localhost")
    if not (parsed.database or "").startswith("plaju_bench"):
        sys.exit("the PostgreSQL database name must start with plaju_bench (it is dropped and created again)")
    from plaju.database import recreate_postgres_database
    return recreate_postgres_database(url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn serving `target` on a free 127.0.0.1 port (2 sync workers unless told otherwise)."""

    def __init__(self, target: str, env: dict, log: Path, workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--chdir", str(ROOT), target],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_up(self, path: str) -> None:
        for _ in range(600):
            if self.process.poll() is not None:
                sys.exit(f"the server on {self.base} stopped (exit {self.process.returncode}); see {self.log.name}")
            try:
                urllib.request.urlopen(self.base + path, timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        sys.exit(f"{self.base}{path} did not answer")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        self.log.close()


class Client:
    """One browser: a cookie jar, the CSRF token the pages carry, HTMX headers when asked."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def login(self, username: str, password: str, landing: str = "/") -> "Client":
        html = self.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html)
        self.post("/login", {"username": username, "password": password, "csrf_token": token.group(1)},
                  htmx=False)
        page = self.get(landing)
        found = re.search(r'"X-CSRFToken": "([^"]+)"', page)
        if not found:
            sys.exit(f"signing in as {username} failed: {landing} carries no CSRF token")
        self.csrf = found.group(1)
        return self

    def get(self, path: str, htmx: bool = False) -> str:
        request = urllib.request.Request(self.base + path, headers=self._headers(htmx))
        with self.opener.open(request, timeout=120) as response:
            return response.read().decode()

    def post(self, path: str, data: dict, htmx: bool = True) -> tuple[int, str]:
        headers = self._headers(htmx)
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode(),
                                         headers=headers, method="POST")
        try:
            with self.opener.open(request, timeout=120) as response:  # a refusal answers htmx 200, status named
                return int(response.headers.get("X-Refused-Status", response.status)), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def _headers(self, htmx: bool) -> dict:
        # what htmx sends with a request it makes (hx-post, hx-get)
        return {"HX-Request": "true", "HX-Current-URL": self.base + "/"} if htmx else {}


def run_phase(clients: list, work, per_client: int) -> tuple[list[float], float, list[str]]:
    """Each client runs `work(client, i)` per_client times concurrently; returns the seconds of every call
    that succeeded, the phase's wall time and what went wrong in the others (an HTTP 503 "database is
    locked" is a result to report, not a reason to stop)."""
    samples, errors, lock = [], [], threading.Lock()

    def loop(client):
        mine, failed = [], []
        for i in range(per_client):
            t0 = time.perf_counter()
            try:
                work(client, i)
            except (urllib.error.HTTPError, AssertionError) as error:
                failed.append(str(error)[:200])
                continue
            mine.append(time.perf_counter() - t0)
        with lock:
            samples.extend(mine)
            errors.extend(failed)
    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, time.perf_counter() - start, errors


def percentile(samples, q: float) -> float:
    """Nearest rank (NaN when nothing succeeded)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


class Statements:
    """Count (and time) what one in-process request sends to the database, BEGIN and PRAGMA left out."""

    def __init__(self, engine):
        self.engine = engine
        self.last = []  # the statements of the last request counted, to show what differs

    def __call__(self, fn) -> tuple[int, float]:
        seen, texts = [], []

        def before(conn, cursor, statement, *args):
            conn.info["bench_t0"] = time.perf_counter()

        def after(conn, cursor, statement, *args):
            t0 = conn.info.pop("bench_t0", None)
            if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SET ")):
                seen.append(time.perf_counter() - t0)
                texts.append(" ".join(statement.split())[:110])
        event.listen(self.engine, "before_cursor_execute", before)
        event.listen(self.engine, "after_cursor_execute", after)
        try:
            # a context of its own, as each request has in production (no user cached from the last one)
            contextvars.Context().run(fn)
        finally:
            event.remove(self.engine, "before_cursor_execute", before)
            event.remove(self.engine, "after_cursor_execute", after)
        self.last = texts
        return len(seen), sum(seen)


def cpu_seconds(group: int) -> float:
    """User + system CPU of every live process in a process group (a gunicorn master and its workers),
    from /proc: unlike wall time, not inflated by other processes competing for the cores."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """User + system CPU of every live PostgreSQL process on this machine (the server's backends and its
    background processes), from /proc; 0 on SQLite, which runs inside the app's own processes."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError, IndexError):
            continue
        if name == "postgres":
            fields = fields.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def python_profile(fn, title: str, top: int = 18,
                   pattern: str = r"plaju/|templates/|jinja2/environment|sqlalchemy/orm/session") -> None:
    """Print where the Python time of `fn()` goes (cProfile, cumulative seconds, the app's own code)."""
    import cProfile
    import io
    import pstats
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(pattern, top)
    lines = [line for line in out.getvalue().splitlines() if re.match(r"\s*[\d/]+(\s+[\d.]+){4}\s", line)]
    print(f"  cProfile of {title} (cumulative seconds; the profiler itself slows it down):")
    for line in lines[:top]:
        parts = line.split(None, 5)
        where = parts[5].replace(str(ROOT) + "/", "")
        where = re.sub(r".*site-packages/", "", where)
        print(f"    {float(parts[3]):7.4f} s  {where[:120]}")
