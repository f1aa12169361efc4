"""Audit fixtures: document requests taken in at the counter, a checkpoint file of the test's own, an
attacker's hand on the database, and a chain written by the old, unkeyed version of the app."""
import re
from datetime import date

import pytest
from sqlalchemy import text

from plaju.audit.models import GENESIS, HASHED_FIELDS, chain_hash
from plaju.database import is_postgres
from plaju.documents.nik import make_nik
from plaju.documents.seed import seed_types
from plaju.documents.services import create_request


@pytest.fixture()
def checkpoint_file(app, tmp_path):
    old = app.config["AUDIT_CHECKPOINT_FILE"]
    path = tmp_path / "audit-checkpoints.log"
    app.config["AUDIT_CHECKPOINT_FILE"] = str(path)
    yield path
    app.config["AUDIT_CHECKPOINT_FILE"] = old


def tamper(db, sql: str, **params):
    """Change rows behind the app's back, as an attacker with database access would."""
    db.session.commit()  # the test's own transaction ends first: on SQLite it holds the write lock
    with db.engine.begin() as conn:
        if is_postgres():
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # past the trigger
        conn.execute(text(sql), params)


def row(seq: int, prev_hash: str, **values) -> dict:
    """A complete audit row whose hash is plain SHA-256, as the old app (or a forger) computes it."""
    values = {"actor_id": None, "actor_name": "Lama Uji", "acting_for_id": None, "action": f"old.event{seq}",
              "outcome": "ok", "subject_type": None, "subject_id": None, "from_state": None, "to_state": None,
              "comment": f"peristiwa lama {seq}", "changes": None, "request_id": None, "ip": None,
              "occurred_at": f"2026-01-01T00:00:{seq % 60:02d}.000000"} | values
    values["seq"] = seq
    payload = {name: values[name] for name in HASHED_FIELDS}
    return values | {"prev_hash": prev_hash, "hash": chain_hash(prev_hash, payload)}


def insert_rows(db, rows: list[dict]):
    columns = list(rows[0])
    tamper_sql = (f"INSERT INTO audit_event ({', '.join(columns)}) "
                  f"VALUES ({', '.join(':' + c for c in columns)})")
    db.session.commit()
    with db.engine.begin() as conn:
        for values in rows:
            conn.execute(text(tamper_sql), values)


def unkeyed_chain(db, count: int, start_seq: int = 1, prev_hash: str = GENESIS) -> list[dict]:
    """`count` plain SHA-256 rows chained correctly, as the app wrote them before keying."""
    rows = []
    for seq in range(start_seq, start_seq + count):
        rows.append(row(seq, prev_hash))
        prev_hash = rows[-1]["hash"]
    insert_rows(db, rows)
    return rows


_serial = iter(range(1, 9999))


@pytest.fixture()
def take_in(db, users):
    types = seed_types()

    def make(name="Siti Aminah", nik=None, type_code="ktp-baru"):
        doc_type = types[type_code]
        return create_request(actor=users["clerk"], nik=nik or make_nik(date(1990, 3, 12), False, next(_serial)),
                              name=name, phone="081234567890", kelurahan="Plaju Darat", doc_type=doc_type,
                              ticked={r.id for r in doc_type.requirements}, purpose="pendaftaran sekolah",
                              address="Jl. Sentosa No. 7 RT 003 RW 001", birth_place="Palembang")
    return make


def seqs(body: str) -> list[int]:
    return [int(s) for s in re.findall(r'data-seq="(\d+)"', body)]
