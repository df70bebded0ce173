"""Benchmark: the import's writes alone, as pure SQL, with and without the register's secondary indexes.

    python build/bench_import_writes.py --csv register-1000000.csv [--drop INDEX ...] [--skip PART ...]
                                        [--rebuild] [--page-size BYTES] [--pragma NAME=VALUE ...]

What the import's writing costs once every row is checked: the file's rows are first put, untimed, in an
in-memory table as the import stages them; then, timed, they go 5,000 at a time through the import's own
statements (``import_writer._Writer``: staging, the episodes, the RHIs, the links, the RHIs' open versions)
into a fresh encrypted hub, with every trigger a bulk load sets aside set aside, and committed. ``--drop``
drops indexes first (for example every secondary index, to see the floor the schema sets); ``--skip`` leaves
out a part (ep, rhi, link, hist); ``--rebuild`` drops every secondary index of the written tables and
builds each after the load, timed one by one; ``--page-size`` makes the fresh hub with SQLCipher pages of
that size instead of the register's (rhi_desk.db.CIPHER_PRAGMAS; a new file only). The baseline to compare
with is ``build/bench_import.py``'s, in the same session: a bare executemany of the same file into one
table. (Issue 18: this floor is why 3x is out of reach with the register's schema; docs/exports.md.)
"""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rhi_desk import installs  # noqa: E402
from rhi_desk import db as database  # noqa: E402
from rhi_desk.register.episode_import import SET_BASED, STAMP_TRIGGERS  # noqa: E402
from rhi_desk.register.import_writer import _Writer  # noqa: E402

BATCH = 5_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", required=True, help="an episode register CSV (build/bench_import.py makes one)")
    parser.add_argument("--drop", nargs="*", default=[], help="indexes to drop before the writes")
    parser.add_argument("--skip", nargs="*", default=[], choices=["ep", "rhi", "link", "hist"])
    parser.add_argument("--rebuild", action="store_true",
                        help="drop every secondary index of the written tables first and build them after")
    parser.add_argument("--pragma", nargs="*", default=[], help="pragmas to set first, as name=value")
    parser.add_argument("--page-size", type=int, help="make the hub with SQLCipher pages of this many bytes")
    args = parser.parse_args()
    if args.page_size:
        database.CIPHER_PRAGMAS = (*database.CIPHER_PRAGMAS, f"cipher_page_size = {args.page_size}")
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
        db = database.connect(Path(tmp) / "hub.db")
        installs.initialise(db, "hub", "Benchmark", "Missing team")
        c = db.conn
        c.execute("PRAGMA cache_size = -65536")  # as the import (episode_import.IMPORT_CACHE_KIB)
        c.execute("PRAGMA foreign_keys = OFF")
        for pragma in args.pragma:
            c.execute(f"PRAGMA {pragma}")
        c.execute("PRAGMA ignore_check_constraints = ON")
        for name in (*STAMP_TRIGGERS, *SET_BASED):
            c.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        rows, children = _staged(Path(args.csv))
        c.execute(_Writer.STAGE.replace("episode_import_new", "all_rows"))
        c.executemany("INSERT INTO temp.all_rows VALUES (" + ", ".join("?" * 14) + ")", rows)
        c.executemany("INSERT INTO children (id, child_id, created_at, updated_at, recorded_from) "
                      "VALUES (?, ?, 'x', 'x', 'x')", [(pk, child_id) for child_id, pk in children.items()])
        del rows
        for index in args.drop:
            c.execute(f"DROP INDEX {index}")
        rebuilt = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
                            "tbl_name IN ('episodes', 'return_home_interviews', 'rhi_episodes', 'rhi_history')"
                            ).fetchall() if args.rebuild else []
        for index, _ in rebuilt:
            c.execute(f'DROP INDEX "{index}"')
        c.execute(_Writer.STAGE)
        stamp = "'2026-12-06 03:00:00'"
        statements = {"ep": _Writer.INSERT_EPISODE.format(stamps=f"{stamp}, {stamp}, {stamp}"),
                      "rhi": _Writer.INSERT_RHI.format(stamps=f"{stamp}, {stamp}, {stamp}"),
                      "link": _Writer.INSERT_LINK.format(stamp=stamp),
                      "hist": _Writer.HISTORY.format(version="1", stamp=stamp)}
        spent = dict.fromkeys(["stage", *statements, "rebuild", "commit"], 0.0)
        count = c.execute("SELECT max(id) FROM temp.all_rows").fetchone()[0]
        c.execute("BEGIN")
        began = time.perf_counter()
        for low in range(0, count, BATCH):
            t = time.perf_counter()
            c.execute("INSERT INTO temp.episode_import_new SELECT * FROM temp.all_rows WHERE id > ? AND id <= ?",
                      [low, low + BATCH])
            spent["stage"] += time.perf_counter() - t
            for part, sql in statements.items():
                if part not in args.skip:
                    t = time.perf_counter()
                    c.execute(sql)
                    spent[part] += time.perf_counter() - t
            c.execute("DELETE FROM temp.episode_import_new")
        t = time.perf_counter()
        for index, sql in rebuilt:
            u = time.perf_counter()
            c.execute(sql)
            print(f"  {index} {time.perf_counter() - u:.2f} s")
        spent["rebuild"] = time.perf_counter() - t
        t = time.perf_counter()
        c.execute("COMMIT")
        spent["commit"] = time.perf_counter() - t
        total = time.perf_counter() - began
        print(f"{count:,} rows, dropped: {' '.join(args.drop) or 'none'}; skipped: {' '.join(args.skip) or 'none'}; "
              f"rebuilt after the load: {len(rebuilt)} indexes; "
              f"pages: {f'{args.page_size} bytes' if args.page_size else 'the register’s size'}; "
              f"pragmas: {' '.join(args.pragma) or 'none'}")
        print("  " + "  ".join(f"{part} {seconds:.2f} s" for part, seconds in spent.items())
              + f"  total {total:.2f} s")
        c.close()


def _staged(path: Path) -> tuple[list[tuple], dict[str, int]]:
    """The file's rows as the import stages them (import_writer._Writer.add), and the children's row ids."""
    children: dict[str, int] = {}
    rows, rhi = [], 0
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for n, (episode, child, _, kind, start, end, la, ola, placement, offered, outcome, completed, by) \
                in enumerate(reader, start=1):
            pk = children.setdefault(child, len(children) + 1)
            if offered or outcome or completed or by:
                rhi += 1
                rows.append((n, episode, pk, kind, start, end, la == "Y", ola == "Y", placement, rhi, by,
                             offered + " 00:00" if offered else "", outcome, completed + " 00:00" if completed else ""))
            else:
                rows.append((n, episode, pk, kind, start, end, la == "Y", ola == "Y", placement, 0, "", "", "", ""))
    return rows, children


if __name__ == "__main__":
    main()
