"""Writing checked import rows: new episodes and RHIs in batches, changes to those already held."""
from __future__ import annotations

from contextlib import nullcontext

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.register.import_format import (
    _YES_NO,
    RHI_ID_PREFIX,
    Preview,
    _Duplicate,
    _Plan,
)
from rhi_desk.register.migrations import NEXT_RHI_VERSION


class _Writer:
    """Pass the checked rows, a batch at a time, to the register: compare with what is held, and write."""

    # New episodes (and their RHIs) go first into a small staging table in memory, one batch at a time, and
    # from there into the register with one INSERT ... SELECT per table: binding each value once instead of
    # once per table, and letting SQLite insert the rows in a loop of its own (faster than executemany into
    # the register's tables, build/bench_import.py). The table holds one batch, so memory stays flat.
    # A value the row lacks is staged as '' (an RHI as 0) and made NULL by the INSERT ... SELECT: the sqlite3
    # module binds None through its adapter lookup, several times slower than a string (half the time of
    # staging a million rows; build/bench_import.py).
    STAGE = ("CREATE TEMP TABLE episode_import_new (id INTEGER PRIMARY KEY, episode_id TEXT, child INTEGER, "
             "episode_type TEXT, start TEXT, \"end\" TEXT, looked_after INTEGER, other_la INTEGER, placement TEXT, "
             "rhi INTEGER, interviewer_type TEXT, offered_at TEXT, outcome TEXT, completed_at TEXT)")
    INSERT_STAGED = "INSERT INTO temp.episode_import_new VALUES (" + ", ".join("?" * 14) + ")"
    INSERT_EPISODE = ('INSERT INTO episodes (id, episode_id, child, episode_type, start, "end", looked_after, '
                      "other_la, placement, created_at, updated_at, recorded_from) "
                      "SELECT id, episode_id, child, episode_type, start, nullif(\"end\", ''), looked_after, other_la, "
                      "nullif(placement, ''), {stamps} FROM temp.episode_import_new")
    INSERT_RHI = ("INSERT INTO return_home_interviews (id, rhi_id, child, interviewer_type, offered_at, outcome, "
                  "completed_at, origin, created_at, updated_at, recorded_from) "
                  f"SELECT rhi, '{RHI_ID_PREFIX}' || episode_id, "
                  "child, nullif(interviewer_type, ''), nullif(offered_at, ''), nullif(outcome, ''), "
                  "nullif(completed_at, ''), 'import', {stamps} FROM temp.episode_import_new "
                  "WHERE rhi > 0 ORDER BY rhi")
    INSERT_LINK = ("INSERT INTO rhi_episodes (rhi, episode, recorded_from) SELECT rhi, id, {stamp} "
                   "FROM temp.episode_import_new WHERE rhi > 0 ORDER BY rhi")
    # What the triggers a bulk load sets aside (episode_import.SET_BASED) would add for a batch of new
    # records, made by the writer while the next rows are checked, rather than after the load, when nothing
    # else runs: each RHI's open version (register migration 0073); and the dashboard's months to count again,
    # gathered as the batches pass (a few hundred at most) and written once at the end.
    # Each version numbered within its RHI (register migration 0074): a new RHI's open version is its first,
    # unless its id was an RHI's before, deleted with its versions kept (then one after that RHI's last).
    # A batch's are made from the staging table, as its RHIs are (INSERT_RHI, the same values): the RHIs
    # numbered from the batch's first also hold any a held episode gained in the same batch, whose versions
    # _update_episode has written already (HISTORY_ONE).
    HISTORY = ("INSERT INTO rhi_history (id, version, child, interviewer_type, offered_at, outcome, completed_at, "
               "recorded_from) SELECT rhi, {version}, child, nullif(interviewer_type, ''), nullif(offered_at, ''), "
               "nullif(outcome, ''), nullif(completed_at, ''), {stamp} FROM temp.episode_import_new "
               "WHERE rhi > 0 ORDER BY rhi")
    HISTORY_ONE = ("INSERT INTO rhi_history (id, version, child, interviewer_type, offered_at, outcome, completed_at, "
                   "assigned_to, recorded_from) SELECT id, "
                   + NEXT_RHI_VERSION.format(row="return_home_interviews.id") + ", child, interviewer_type, "
                   "offered_at, outcome, completed_at, assigned_to, recorded_from FROM return_home_interviews "
                   "WHERE id = ?")
    MONTHS = "INSERT OR IGNORE INTO report_months_changed (month) VALUES (?)"
    EPISODE_MONTH = ("INSERT OR IGNORE INTO report_months_changed (month) SELECT substr(start, 1, 7) FROM episodes "
                     "WHERE id = ? AND start IS NOT NULL")
    # The children of the records the import adds, marked for the data-quality list to check again (register
    # migration 0075), gathered as the batches pass and written once, after the last.
    QUALITY = ("data_quality_episode_insert", "data_quality_rhi_insert", "data_quality_link_insert")
    QUALITY_MARK = "INSERT OR IGNORE INTO data_quality_pending (child) VALUES (?)"
    QUALITY_FORGET = "DELETE FROM data_quality_issues WHERE child = ?"
    # The import writes no RHI with answers or an assignee, so the triggers on either have nothing to do.
    NO_CONTENT = ("intel_rhi_added", "intel_rhi_episode_added", "rhi_not_done_code_on_insert",
                  "rhi_assignee_on_insert")
    # The children the import adds are written once, after the last batch, with their status from their latest
    # episode and the file's name for them: written when first met, each was updated again at the end, and each
    # update of a child is a new version of it (two statements and two triggers a child).
    INSERT_CHILD = ("INSERT INTO children (id, child_id, date_of_birth, looked_after, other_la, placement, name, "
                    "created_at, updated_at, recorded_from) VALUES (?, ?, ?, ?, ?, nullif(?, ''), ?, {stamps})")

    def __init__(self, db, result: Preview, write: bool, by: str | None, plan: _Plan, loading=None):
        self.db, self.result, self.write, self.by, self.fresh = db, result, write, by, plan.fresh
        self.plan = plan
        self.stamp = now_iso()
        stamp = f"'{self.stamp}'"  # YYYY-MM-DD HH:MM:SS from the clock, never from the file
        # The new episodes and RHIs of one import share one stamp (created, updated and recorded from: the
        # current version, register migration 0071), written into the statements rather than bound for each
        # of a million rows.
        stamps = f"{stamp}, {stamp}, {stamp}"
        self.insert_episode = self.INSERT_EPISODE.format(stamps=stamps)
        self.insert_rhi = self.INSERT_RHI.format(stamps=stamps)
        self.insert_link = self.INSERT_LINK.format(stamp=stamp)
        self.insert_child = self.INSERT_CHILD.format(stamps=stamps)
        self.names = plan.names
        self.new_children: list[tuple] = []  # (id, child_id, date_of_birth) of each child added, written in finish
        self.max_episode = db.execute("SELECT coalesce(max(id), 0) FROM episodes").fetchone()[0]
        self.any_held = db.execute("SELECT 1 FROM episodes LIMIT 1").fetchone() is not None
        self.next_episode = self.max_episode + 1
        self.next_rhi = db.execute("SELECT coalesce(max(id), 0) FROM return_home_interviews").fetchone()[0] + 1
        # The RHIs this import adds have no versions yet unless an id is used again (see HISTORY).
        reused = db.execute("SELECT coalesce(max(id), 0) FROM rhi_history").fetchone()[0] >= self.next_rhi
        self.history = self.HISTORY.format(version=NEXT_RHI_VERSION.format(row="rhi") if reused else "1",
                                           stamp=stamp)
        self.next_child = db.execute("SELECT coalesce(max(id), 0) FROM children").fetchone()[0] + 1
        self.child_pks: dict[str, int] = {}
        self.corrected: list = []
        self.overlap = nullcontext  # the checking thread's turn while SQLite works (episode_import._Ahead)
        # In a bulk load (episode_import.BulkLoad), the set-aside triggers' effects this writer makes itself.
        self.own: set = set()
        self.months: set = set()
        self.marked: set = set()  # children to mark for the data-quality list (QUALITY), when set aside
        if write and loading is not None:
            self.own = {"rhi_history_insert", "report_months_episode_insert", "report_months_link_insert",
                        *self.QUALITY} & loading.set_aside
            loading.done.update(self.own, self.NO_CONTENT)
        self.new = self.changed = 0
        if write:
            db.execute("DROP TABLE IF EXISTS temp.episode_import_new")
            db.execute(self.STAGE)
        if not write:
            # Checking only: every id of the good rows, so a repeated one is known without reading the file
            # again (the file is read a second time, to name every repeated row, only when there is one).
            db.execute("DROP TABLE IF EXISTS temp.episode_import_seen")
            db.execute("CREATE TABLE temp.episode_import_seen (episode_id TEXT PRIMARY KEY) WITHOUT ROWID")
        if write and self.any_held:
            # Held episodes met so far: a second row for one of them is a repeated id.
            db.execute("DROP TABLE IF EXISTS temp.episode_import_held")
            db.execute("CREATE TABLE temp.episode_import_held (episode_id TEXT PRIMARY KEY) WITHOUT ROWID")

    def _children(self, batch: list[tuple]) -> None:
        """Look up (and, writing, add) the children of this batch not met before."""
        unknown = list({v[1]: v[2] for v in batch if v[1] not in self.child_pks}.items())
        if not unknown:
            return
        dobs = dict(unknown)
        held = _in_chunks(self.db, "SELECT child_id, id, date_of_birth FROM children WHERE child_id IN",
                          list(dobs))
        for child_id, pk, dob in held:
            self.child_pks[child_id] = pk
            if dob != dobs[child_id]:
                self.corrected.append((child_id, pk, dob, dobs[child_id]))
        added = 0
        for child_id, dob in unknown:
            if child_id not in self.child_pks:
                self.child_pks[child_id] = self.next_child
                self.fresh[child_id] = ("", 0, 0, None)
                if self.write:
                    self.new_children.append((self.next_child, child_id, dob))
                self.next_child += 1
                added += 1
        self.result.new_children += added

    def add(self, batch: list[tuple]) -> None:
        """Compare one batch of checked rows with the register and (writing) import it."""
        self._children(batch)
        child_pks, stamp, write, fresh = self.child_pks, self.stamp, self.write, self.fresh
        held = {}
        if self.any_held:
            held = {found[0]: found for found in _in_chunks(self.db, _LOOKUP, [v[0] for v in batch])}
            if write and held:
                # A repeated id fails this insert (the import then lists every repeated row).
                self.db.conn.executemany("INSERT INTO temp.episode_import_held VALUES (?)",
                                         [(v[0],) for v in batch if v[0] in held])
        if not write:
            self.note_ids(batch)
        staged = []
        next_episode, next_rhi, new = self.next_episode, self.next_rhi, 0
        yes_no = _YES_NO
        for values in batch:
            old = held.get(values[0]) if held else None
            if old is None:
                new += 1
                if not write:
                    continue
                # The hot path (every row of a first import), kept inline: see _normalise.
                episode_id, child_id, _, kind, start, end, la, ola, placement, offered, outcome, completed, by = values
                if len(start) != 16 or start[10] != " ":
                    start = start[:10] + " " + start[11:16]
                if end and (len(end) != 16 or end[10] != " "):
                    end = end[:10] + " " + end[11:16]
                la, ola = yes_no[la], yes_no[ola]
                child = child_pks[child_id]
                latest = fresh.get(child_id)
                if latest is not None and start >= latest[0]:
                    fresh[child_id] = (start, la, ola, placement or None)
                # '' for a value the row lacks, 0 for no RHI (made NULL on the way in: see STAGE)
                if offered or outcome or completed or by:
                    staged.append((next_episode, episode_id, child, kind, start, end, la, ola, placement, next_rhi,
                                   by, offered + " 00:00" if offered else "", outcome,
                                   completed + " 00:00" if completed else ""))
                    next_rhi += 1
                else:
                    staged.append((next_episode, episode_id, child, kind, start, end, la, ola, placement,
                                   0, "", "", "", ""))
                next_episode += 1
                continue
            values = _normalise(values)
            if write and old[1] > self.max_episode:
                raise _Duplicate(values[0])  # added earlier in this same import
            changes = _changes(old, values)
            if changes:
                self.changed += 1
                if write:
                    rhi_pk = None
                    if "rhi" in changes and old[9] is None:  # the held episode gains an RHI
                        rhi_pk, next_rhi = next_rhi, next_rhi + 1
                        if "data_quality_rhi_insert" in self.own:
                            self.marked.add(child_pks[values[1]])
                    _update_episode(self.db, old, values, changes, child_pks, self.by, stamp,
                                    self.result.file_name, rhi_pk, self.own)
        self.next_episode, self.next_rhi = next_episode, next_rhi
        self.new += new
        if staged:
            execute, own = self.db.conn.execute, self.own
            self.db.conn.executemany(self.INSERT_STAGED, staged)
            first_rhi = next((row[9] for row in staged if row[9]), None)
            if "report_months_episode_insert" in own:
                self.months.update({row[4][:7] for row in staged})
            if "data_quality_episode_insert" in own:
                self.marked.update({row[2] for row in staged})
            with self.overlap():  # one long step each: the next rows are checked meanwhile
                execute(self.insert_episode)
                if first_rhi:
                    execute(self.insert_rhi)
                    execute(self.insert_link)
                    if "rhi_history_insert" in own:
                        execute(self.history)
                execute("DELETE FROM temp.episode_import_new")

    def note_ids(self, batch: list[tuple]) -> None:
        """Checking only: add the episode ids of these good rows and of the bad rows met since to those seen,
        and note whether one was seen before (the file is then read again to name every repeated row)."""
        plan = self.plan
        bad = plan.bad_ids
        if plan.repeated_ids:
            bad.clear()  # known already: the bad rows' ids are dropped all the same, so that they never pile up
            return
        ids = [(v[0],) for v in batch]
        while bad:
            ids.append((bad.popleft(),))
        conn = self.db.conn
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO temp.episode_import_seen VALUES (?)", ids)
        plan.repeated_ids = conn.total_changes - before < len(ids)

    def finish(self) -> None:
        """Fill the counts and (writing) correct the dates of birth that changed."""
        result = self.result
        result.new_episodes = self.new
        result.changed_episodes = self.changed
        result.unchanged_episodes = result.rows - self.new - self.changed
        result.changed_children = len(self.corrected)
        if not self.write:
            return
        self.db.conn.executemany(self.MONTHS, [(month,) for month in sorted(self.months)])
        marked = [(pk,) for pk in sorted(self.marked)]
        self.db.conn.executemany(self.QUALITY_MARK, marked)
        self.db.conn.executemany(self.QUALITY_FORGET, marked)
        fresh, names = self.fresh, self.names
        self.db.conn.executemany(self.insert_child, [
            (pk, child_id, dob, *fresh[child_id][1:3], fresh[child_id][3] or "", names.get(child_id, ""))
            for pk, child_id, dob in self.new_children])
        for child_id, pk, old, new in self.corrected:
            self.db.execute("UPDATE children SET date_of_birth = ?, updated_at = ? WHERE id = ?",
                            [new, self.stamp, pk])
            audit.record(self.db, "child.import_update", username=self.by, object_type="child", object_id=child_id,
                         detail={"file": self.result.file_name, "changes": {"date_of_birth": [old, new]}})




# ---------------------------------------------------------------------------------------------
# Comparing with the records held

_LOOKUP = f"""
SELECT e.episode_id, e.id, c.child_id, e.episode_type, e.start, e."end", e.looked_after, e.other_la, e.placement,
       r.id, r.offered_at, r.outcome, r.completed_at, r.interviewer_type
FROM episodes e JOIN children c ON c.id = e.child
LEFT JOIN return_home_interviews r ON r.rhi_id = '{RHI_ID_PREFIX}' || e.episode_id
WHERE e.episode_id IN
"""
_CHUNK = 500


def _in_chunks(db, sql: str, keys: list) -> list:
    found = []
    for i in range(0, len(keys), _CHUNK):
        part = keys[i:i + _CHUNK]
        found.extend(db.execute(sql + " (" + ", ".join("?" * len(part)) + ")", part).fetchall())
    return found


def _normalise(v: tuple) -> tuple:
    """A checked row as it is stored (same positions as COLUMNS)."""
    start, end = v[4], v[5]
    return (v[0], v[1], v[2], v[3],
            start if len(start) == 16 and start[10] == " " else start[:10] + " " + start[11:16],
            (end if len(end) == 16 and end[10] == " " else end[:10] + " " + end[11:16]) if end else None,
            _YES_NO[v[6]], _YES_NO[v[7]], v[8] or None, v[9] or None, v[10] or None, v[11] or None, v[12] or None)


_EPISODE_FIELDS = (("child_id", 2, 1), ("episode_type", 3, 3), ("start", 4, 4), ("end", 5, 5),
                   ("looked_after", 6, 6), ("other_la", 7, 7), ("placement", 8, 8))
_RHI_FIELDS = (("rhi_offered_on", "offered_at", 10, 9), ("rhi_outcome", "outcome", 11, 10),
               ("rhi_completed_on", "completed_at", 12, 11), ("rhi_by", "interviewer_type", 13, 12))


def _changes(old: tuple, new: tuple) -> dict:
    """What differs between a held episode (a _LOOKUP row) and the file's row: {column: [old, new]}."""
    changes = {name: [old[o], new[n]] for name, o, n in _EPISODE_FIELDS if old[o] != new[n]}
    has_rhi = new[9] or new[10] or new[11] or new[12]
    if old[9] is None:
        if has_rhi:
            changes["rhi"] = [None, {name: new[n] for name, _, _, n in _RHI_FIELDS}]
    elif has_rhi:
        for name, column, o, n in _RHI_FIELDS:
            stored = old[o]
            if column.endswith("_at"):
                # The file holds the day only: a time recorded in the app on the same day is the same.
                if (stored or "")[:10] != (new[n] or ""):
                    changes[name] = [stored, new[n] and new[n] + " 00:00"]
            elif stored != new[n]:
                changes[name] = [stored, new[n]]
    elif any(old[o] is not None for _, _, o, _ in _RHI_FIELDS):
        changes["rhi"] = [{column: old[o] for _, column, o, _ in _RHI_FIELDS}, None]
    return changes


def _update_episode(db, old: tuple, new: tuple, changes: dict, child_pks: dict, by, stamp, file_name,
                    new_rhi_pk: int | None = None, own: set = frozenset()) -> None:
    """Apply one changed row to a held episode and its imported RHI, and audit old → new (``own``: the
    effects of set-aside triggers to make here, _Writer.own)."""
    pk, child = old[1], child_pks[new[1]]
    if any(name in changes for name, _, _ in _EPISODE_FIELDS):
        db.execute('UPDATE episodes SET child = ?, episode_type = ?, start = ?, "end" = ?, looked_after = ?, '
                   'other_la = ?, placement = ?, updated_at = ? WHERE id = ?',
                   [child, new[3], new[4], new[5], new[6], new[7], new[8], stamp, pk])
        if "episode_type" in changes:
            db.execute("INSERT INTO episode_type_changes (episode, from_type, to_type, changed_at, changed_by) "
                       "VALUES (?, ?, ?, ?, ?)", [pk, old[3], new[3], stamp, by or "import"])
    rhi_pk = old[9]
    if "rhi" in changes and rhi_pk is None:
        rhi_pk = new_rhi_pk  # given by the writer, which numbers this import's new RHIs
        # Stamped here (recorded from the import's time): a bulk import sets aside the triggers that would.
        db.execute("INSERT INTO return_home_interviews (id, rhi_id, child, interviewer_type, offered_at, outcome, "
                   "completed_at, origin, created_at, updated_at, recorded_from) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, 'import', ?, ?, ?)",
                   [rhi_pk, RHI_ID_PREFIX + new[0], child, new[12], new[9] and new[9] + " 00:00", new[10],
                    new[11] and new[11] + " 00:00", stamp, stamp, stamp])
        db.execute("INSERT OR IGNORE INTO rhi_episodes (rhi, episode, recorded_from) VALUES (?, ?, ?)",
                   [rhi_pk, pk, stamp])
        if "rhi_history_insert" in own:
            db.execute(_Writer.HISTORY_ONE, [rhi_pk])
        if "report_months_link_insert" in own:
            db.execute(_Writer.EPISODE_MONTH, [pk])
    elif "rhi" in changes:
        db.execute("UPDATE return_home_interviews SET offered_at = NULL, outcome = NULL, completed_at = NULL, "
                   "interviewer_type = NULL, updated_at = ? WHERE id = ?", [stamp, rhi_pk])
    else:
        sets = {column: changes[name][1] for name, column, _, _ in _RHI_FIELDS if name in changes}
        if sets or "child_id" in changes:
            sets["child"] = child
            sets["updated_at"] = stamp
            db.execute("UPDATE return_home_interviews SET " + ", ".join(f"{c} = ?" for c in sets)
                       + " WHERE id = ?", [*sets.values(), rhi_pk])
    audit.record(db, "episode.import_update", username=by, object_type="episode", object_id=new[0],
                 detail={"file": file_name, "changes": changes})


def _refresh_child_status(db, plan: _Plan, by, file_name) -> None:
    """Set each imported child's looked-after status, placement and OLA flag from their latest episode."""
    stamp = now_iso()
    # (The children this import added were written with the status of their latest episode: _Writer.finish.)
    latest = """
        SELECT c.id, c.child_id, c.looked_after, c.other_la, c.placement, e.looked_after, e.other_la, e.placement
        FROM children c JOIN episodes e ON e.id = (SELECT id FROM episodes WHERE child = c.id
                                                   ORDER BY start DESC, id DESC LIMIT 1)
        WHERE c.child_id IN"""
    held = [child_id for child_id in plan.children if child_id not in plan.fresh]
    updates = []
    for pk, child_id, *old, la, ola, placement in _in_chunks(db, latest, held):
        new = [la, ola, placement]
        if old == new:
            continue
        updates.append((la, ola, placement, stamp, pk))
        audit.record(db, "child.import_update", username=by, object_type="child", object_id=child_id,
                     detail={"file": file_name, "changes": {
                         name: [o, n] for name, o, n in zip(("looked_after", "other_la", "placement"), old, new)
                         if o != n}})
    db.conn.executemany("UPDATE children SET looked_after = ?, other_la = ?, placement = ?, updated_at = ? "
                        "WHERE id = ?", updates)


def _name_children(db, plan: _Plan, by, file_name) -> None:
    """Give each child the file's ``child_name`` where the register holds no name for them yet.

    A name already in the register is kept: it may have been corrected by hand since the export.
    """
    if not plan.names:
        return
    for child_id, name in plan.names.items():
        if child_id in plan.fresh:
            continue  # added by this import, with this name (_Writer.finish)
        changed = db.execute("UPDATE children SET name = ? WHERE child_id = ? AND coalesce(name, '') = ''",
                             [name, child_id]).rowcount
        if changed and child_id not in plan.fresh:
            audit.record(db, "child.import_update", username=by, object_type="child", object_id=child_id,
                         detail={"file": file_name, "changes": {"name": [None, "from the file"]}})
