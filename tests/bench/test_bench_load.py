"""The HTTP load benchmark runs end to end at a small size, and the SQL statements of each measured request
(the to-do list, the home page, the navigation count, a search, an approval POST) are the same at 1,000
and at 10,000 requests: `--strict` fails the run when they grow with the data."""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_benchmark_runs_and_statements_do_not_grow_with_the_data(tmp_path):
    command = [sys.executable, "bench/bench_load.py", "--n", "10000", "--requests", "16", "--phases", "2",
               "--clients", "4", "--high-clients", "0", "--strict"]
    pg = os.environ.get("PLAJU_TEST_DATABASE_URL")
    if pg:  # a database of its own beside the tests' (the benchmark drops and creates it)
        command += ["--database-url", make_url(pg).set(database="plaju_bench_ci").render_as_string(False)]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "statements grow" not in run.stdout
    for measure in ("to-do list /inbox/", "home page", "search with no match", "one-POST approval",
                    "full UI cycle"):
        assert measure in run.stdout, run.stdout[-2000:]
    assert "CPU per request" in run.stdout and "nan" not in run.stdout.split("CPU per request")[1], run.stdout[-2000:]
