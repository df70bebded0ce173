"""Benchmark: the actions due (Today's new section, ``rhi-desk due``) with a council's years of history.

Fills a fresh hub database as ``build/bench_pages.py`` does (``--rows`` episodes, default 1,000,000), then
times :func:`rhi_desk.actions.due.due` and one child's actions beside the baseline measured in the same run:
the Today list's own queries (:func:`rhi_desk.register.today.today`), which the actions section sits beside,
and the Today page through Flask with both.

    python build/bench_actions.py [--rows N] [--runs N]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import PASSWORD, fill, median_ms  # noqa: E402

from rhi_desk import accounts, create_app, installs  # noqa: E402
from rhi_desk.actions import due  # noqa: E402
from rhi_desk.db import connect  # noqa: E402
from rhi_desk.register import today  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="episodes to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per figure (median reported)")
    args = parser.parse_args(argv)
    folder = tempfile.TemporaryDirectory(prefix="rhi-bench-")
    path = Path(folder.name) / "bench.db"
    db = connect(path)
    installs.initialise(db, "hub", "Bench Council", "Missing team")
    accounts.create_user(db, "bench", PASSWORD, "missing_team", display_name="Bench User")
    counts = fill(db, args.rows)
    # bench_pages' children are born in 2000, so today's episodes would be an adult's (counted nowhere).
    db.execute("update children set date_of_birth = '2011-01-01'")
    actions = due.due(db)
    child_pk = actions[0].child_pk if actions else 1
    app = create_app({"DATABASE": str(path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/sign-in", data={"username": "bench", "password": PASSWORD}).status_code == 302

    def page():
        assert client.get("/today").status_code == 200

    due_ms = median_ms(lambda: due.due(db), args.runs)
    child_ms = median_ms(lambda: due.due(db, child_pk=child_pk), args.runs)
    today_ms = median_ms(lambda: today.today(db), args.runs)
    page_ms = median_ms(page, args.runs)
    print(f"{counts['episodes']:,} episodes; {len(actions)} actions due "
          f"({sum(a.overdue for a in actions)} overdue)")
    print(f"{'measure':58} {'median ms':>10}")
    print(f"{'actions due, everyone (actions.due)':58} {due_ms:10.1f}")
    print(f"{'actions due, one child (a child page, recording one)':58} {child_ms:10.1f}")
    print(f"{'baseline: the Today list queries (register.today)':58} {today_ms:10.1f}")
    print(f"{'Today page with both (signed in, through Flask)':58} {page_ms:10.1f}")
    db.conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
