"""What row-level security costs the writer: `python bench/writer_roles.py [--records N]`.

PostgreSQL refuses COPY into a table whose row-level security applies to the session, and
migration 0006 FORCEs it, so every role but a superuser (or a BYPASSRLS role) stores its
batches through the BatchWriter's stage (COPY into a temporary table, then INSERT … ON
CONFLICT). Same realistic calls (bench/capture_overhead.py's), same batches, into an
emptied llm_calls each round, on the embedded server, calls/s median of the rounds:

superuser       the embedded store's owner: COPY (the baseline)
owner           a non-superuser role that ran `llmlog init` on its own database (as on a
                managed PostgreSQL, where no one is superuser): FORCEd RLS, the stage
writer         `llmlog access setup`'s llmlog_writer: the stage
tenant writer  `llmlog access grant-tenant T --write`: the stage and its tenant's policy
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capture_overhead import BATCH, realistic_exchange
from stores import stores

TENANT = "t7"


def as_user(url: str, credentials: str) -> str:
    """The embedded store's URL (``postgresql://postgres@/…``) for another login."""
    return url.replace("://postgres@", f"://{credentials}@", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import psycopg

    from llmlog import settings
    from llmlog.capture.build import build
    from llmlog.store import access, admin
    from llmlog.store.batch import BatchWriter

    records = [build(realistic_exchange(i), settings.current()) for i in range(args.records)]
    for record in records:
        record["tenant_id"] = TENANT
    with stores(None, pg15=False) as (store,):
        superuser = store.url
        with psycopg.connect(superuser, autocommit=True) as conn:
            conn.execute("CREATE ROLE bench_owner LOGIN CREATEDB PASSWORD 'bench'")
            conn.execute("GRANT pg_checkpoint TO bench_owner")
            setup = access.setup(conn, superuser, {access.WRITER: "w", access.READER: "r"})
            tenant = access.grant_tenant(conn, superuser, TENANT, write=True, password="t")
        assert {row["role"] for row in setup} >= {access.WRITER}
        owner = as_user(superuser, "bench_owner:bench").replace("/llmlog?", "/owned?")
        admin.init(owner)
        sessions = {
            "superuser (COPY, baseline)": (superuser, superuser),
            "non-superuser owner (stage)": (owner, owner),
            "llmlog_writer (stage)": (as_user(superuser, "llmlog_writer:w"), superuser),
            "tenant writer (stage + policy)": (
                as_user(superuser, f"{tenant['role']}:t"),
                superuser,
            ),
        }
        rates: dict[str, list[float]] = {name: [] for name in sessions}
        for _ in range(args.rounds):
            for name, (url, emptier) in sessions.items():
                with psycopg.connect(emptier, autocommit=True) as conn:
                    conn.execute("TRUNCATE llm_calls")
                    conn.execute("CHECKPOINT")
                with psycopg.connect(url, autocommit=True) as conn:
                    writer = BatchWriter(conn)
                    writer.write(records[:1])  # partitions made, the stage chosen
                    conn.execute("SELECT 1")
                    started = time.perf_counter()
                    for i in range(1, len(records), BATCH):
                        writer.write(records[i : i + BATCH])
                    rates[name].append((len(records) - 1) / (time.perf_counter() - started))
                    stored = conn.execute("SELECT count(*) FROM llm_calls").fetchone()
                    assert stored and stored[0] == len(records), (name, stored)
    base = rates["superuser (COPY, baseline)"]
    print(f"writer into {store.label}: {args.records} realistic calls, {BATCH} per batch, "
          f"{args.rounds} rounds; calls/s (median), x the superuser's COPY")  # fmt: skip
    for name, values in rates.items():
        ratio = statistics.median(v / b for v, b in zip(values, base, strict=True))
        print(f"  {name:<34}{statistics.median(values):>9,.0f}{ratio:>7.2f}")


if __name__ == "__main__":
    main()
