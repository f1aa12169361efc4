"""Page latency as each role sees it, against the app served by a real server on 127.0.0.1.

    .venv/bin/python bench/bench_pages.py [--rounds 30]

Starts `flask --app plaju demo` on a fresh SQLite file in a temporary folder, signs in as each role
and requests its pages in interleaved rounds. Prints the median and 95th percentile per page and the
ratio of the median to `/healthz` (one trivial query) measured in the same rounds: the ratios are what
to compare between runs; absolute times drift with the machine's load.
"""
import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import free_port as _free_port  # noqa: E402

PASSWORD = "bench-password-123"
PAGES = {
    # the overdue tab is a flag, not a state (an unknown state silently shows the default queue)
    "petugas": ["/", "/inbox/", "/documents/", "/documents/new", "/documents/?flag=overdue",
                "/documents/?state=all&q=PLJ-0000-0000"],
    "kasi": ["/", "/inbox/", "/documents/", "/training/approvals"],
    "camat": ["/", "/inbox/", "/training/approvals", "/training/plans/", "/letters/", "/audit/"],
    "kepegawaian": ["/", "/training/courses/", "/people/", "/audit/"],
    "asn1": ["/", "/training/me", "/training/courses/"],
}


def _session(base: str, username: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrf_token": token.group(1)}).encode()
    opener.open(base + "/login", data=data).read()
    return opener


def _time(opener, url) -> float:
    start = time.perf_counter()
    with opener.open(url) as response:
        response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="plaju-bench-pages-"))
    port = _free_port()
    env = {**os.environ, "PLAJU_INSTANCE_PATH": str(tmp), "PLAJU_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
           "PLAJU_DEMO_PASSWORD": PASSWORD, "PLAJU_MAIL_SERVER": ""}
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "plaju", "demo", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        sessions = {user: _session(base, user) for user in PAGES}
        samples = {(user, path): [] for user, paths in PAGES.items() for path in paths}
        baseline = []
        for _round in range(args.rounds + 2):
            for (user, path), times in samples.items():
                elapsed = _time(sessions[user], base + path)
                if _round >= 2:  # two warm-up rounds
                    times.append(elapsed)
            elapsed = _time(sessions["asn1"], base + "/healthz")
            if _round >= 2:
                baseline.append(elapsed)
        floor = statistics.median(baseline)
        print(f"{args.rounds} rounds, SQLite demo data; baseline /healthz median {floor * 1000:.1f} ms")
        print(f"{'user':<12} {'page':<38} {'median ms':>9} {'p95 ms':>7} {'x healthz':>9}")
        for (user, path), times in samples.items():
            times.sort()
            median = statistics.median(times)
            p95 = times[int(0.95 * (len(times) - 1))]
            print(f"{user:<12} {path:<38} {median * 1000:9.1f} {p95 * 1000:7.1f} {median / floor:9.1f}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


if __name__ == "__main__":
    main()
