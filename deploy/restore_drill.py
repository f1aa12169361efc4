#!/usr/bin/env python3
"""Restore drill: back up a PostgreSQL database, restore it into a scratch database, prove the copy.

    python deploy/restore_drill.py --source postgresql://plaju_owner@db/plaju \\
        --scratch postgresql://plaju_owner@db/plaju_restore_drill [--dump /var/backups/plaju/x.dump]

1. `pg_dump --format=custom` of the source (the same command as the nightly backup, docs/operations.md);
2. drops and creates the scratch database and `pg_restore --exit-on-error` into it;
3. checks the copy: the same tables with the same row counts, the same migration revision, the same
   audit head (seq and hash), the audit log's append-only triggers present and refusing an UPDATE;
4. runs `flask --app plaju audit verify` against the copy when PLAJU_AUDIT_KEY (or the instance
   folder's key) is at hand: exit 1 (a broken chain or missing events) fails the drill, exit 2 (no
   checkpoint to compare with) is reported;
5. drops the scratch database (keep it with --keep) and prints the timings.

Exit status 0 when the copy is complete, 1 otherwise (the first difference is named). The source is
only read; the scratch database must have another name. Needs pg_dump and pg_restore of a version at
least the server's, and the `psycopg` package.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    return make_conninfo(**{**conninfo_to_dict(url), "dbname": name})


def _facts(url: str) -> dict:
    """What must be equal in the source and the copy."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        counts = {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
                  for t in tables}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchall() \
            if "alembic_version" in tables else []
        head = conn.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone() \
            if "audit_event" in tables else None
        triggers = sorted(row[0] for row in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal")) \
            if "audit_event" in tables else []
    return {"counts": counts, "revision": sorted(r[0] for r in revision), "audit_head": head,
            "triggers": triggers}


def _append_only(url: str) -> bool:
    """An UPDATE of the audit log must be refused in the copy (rolled back either way)."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute("UPDATE audit_event SET comment = comment WHERE seq = "
                         "(SELECT max(seq) FROM audit_event)")
        except psycopg.Error:
            return True
        finally:
            conn.rollback()
    with psycopg.connect(url) as conn:  # an empty log has nothing to refuse: the trigger must still exist
        return conn.execute("SELECT count(*) FROM audit_event").fetchone()[0] == 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="database to back up (read only)")
    parser.add_argument("--scratch", required=True, help="database to restore into (dropped and created)")
    parser.add_argument("--dump", help="dump file to write (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    source, scratch = _plain(args.source), _plain(args.scratch)
    source_name = psycopg.conninfo.conninfo_to_dict(source)["dbname"]
    scratch_name = psycopg.conninfo.conninfo_to_dict(scratch)["dbname"]
    if not scratch_name or scratch_name == source_name:
        print("restore drill: the scratch database must be another database than the source", file=sys.stderr)
        return 1
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(args.dump) if args.dump else Path(tmp) / "plaju.dump"
        started = time.monotonic()
        subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), "--dbname", source], check=True)
        timings["pg_dump"] = time.monotonic() - started
        with psycopg.connect(_with_database(scratch, "postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch_name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch_name)))
        started = time.monotonic()
        restore = subprocess.run(["pg_restore", "--exit-on-error", "--no-owner", "--dbname", scratch, str(dump)],
                                 capture_output=True, text=True)
        timings["pg_restore"] = time.monotonic() - started
        size = dump.stat().st_size
    problems = []
    if restore.returncode != 0:
        problems.append(f"pg_restore failed: {restore.stderr.strip()[-500:]}")
    else:
        want, got = _facts(source), _facts(scratch)
        for table, count in want["counts"].items():
            if got["counts"].get(table) != count:
                problems.append(f"table {table}: {count} rows in the source, {got['counts'].get(table)} in the copy")
        for key in ("revision", "audit_head", "triggers"):
            if want[key] != got[key]:
                problems.append(f"{key}: {want[key]} in the source, {got[key]} in the copy")
        if not want["triggers"]:
            problems.append("the source has no append-only triggers on audit_event")
        elif not _append_only(scratch):
            problems.append("the copy's audit_event accepted an UPDATE")
        rows = sum(want["counts"].values())
        print(f"restore drill: {len(want['counts'])} tables, {rows} rows, revision {','.join(want['revision'])}, "
              f"audit head {want['audit_head'][0] if want['audit_head'] else '-'}; dump {size / 1e6:.1f} MB, "
              f"pg_dump {timings['pg_dump']:.1f} s, pg_restore {timings['pg_restore']:.1f} s")
        if not problems:
            env = {**os.environ, "PLAJU_DATABASE_URL": scratch}
            verify = subprocess.run([sys.executable, "-m", "flask", "--app", "plaju", "audit", "verify"],
                                    cwd=ROOT, env=env, capture_output=True, text=True)
            message = (verify.stdout + verify.stderr).strip().splitlines()
            if verify.returncode == 1:
                problems.append("audit verify on the copy: " + " ".join(message[-3:]))
            else:
                print(f"restore drill: audit verify on the copy exited {verify.returncode}: "
                      f"{message[0] if message else ''}")
    if not args.keep:
        with psycopg.connect(_with_database(scratch, "postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch_name)))
    for problem in problems:
        print(f"restore drill FAILED: {problem}", file=sys.stderr)
    if not problems:
        print("restore drill: OK, the copy is complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
