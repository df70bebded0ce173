"""The import is bounded by design: problems capped (page and command line alike), absurd headers refused at
once, no line ever held whole, and memory flat whatever the file holds."""
from __future__ import annotations

import gc
import io
import time
import tracemalloc
from datetime import datetime

import pytest
import time_machine
from records_helpers import row, table_counts, write_register

from rhi_desk.register import episode_import
from rhi_desk.register.episode_import import MAX_PROBLEMS, ImportRefused, import_episodes, validate_file

NOW = datetime(2018, 2, 1, 9, 0)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def bad_register(path, bad: int, good: int = 10, repeated: bool = False):
    rows = [row(f"G{i}", "C1", start=f"2017-05-{1 + i % 28:02d} 10:00") for i in range(good)]
    if repeated:
        rows[1]["episode_id"] = "G0"
    rows += [row(f"B{i}", "C1", start="yesterday", looked_after="maybe") for i in range(bad)]
    return write_register(path, rows)


def test_problems_stop_being_kept_at_the_cap_but_every_bad_row_is_counted(hub_db, tmp_path):
    path = bad_register(tmp_path / "bad.csv", bad=3_000)
    before = table_counts(hub_db)
    preview = validate_file(hub_db, path)
    assert len(preview.errors) == MAX_PROBLEMS == 1_000
    assert preview.errors.total == 6_000 and preview.bad_rows == 3_000
    assert [(e.row, e.column) for e in preview.errors[:2]] == [(12, "start"), (12, "looked_after")]
    sentence = episode_import.more_sentence(preview.errors)
    assert "first 1,000 problems" in sentence and "5,000 more" in sentence and "2,500 more rows" in sentence
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path)
    assert "3,000 rows cannot be understood" in str(refused.value)
    assert len(refused.value.errors) == 1_000
    assert table_counts(hub_db) == before


def test_the_command_line_prints_the_same_capped_list(hub_db, cli, tmp_path):
    result = cli("import-episodes", bad_register(tmp_path / "bad.csv", bad=3_000))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == MAX_PROBLEMS + 2, lines[-3:]  # the kept problems, how many more, and the refusal
    assert "5,000 more in 2,500 more rows" in lines[-2]
    assert "3,000 rows cannot be understood" in lines[-1]


def test_a_header_of_absurd_width_is_refused_at_once(hub_db, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("x" * 100_000) + "\n")
    started = time.perf_counter()
    errors = validate_file(hub_db, path).errors
    assert time.perf_counter() - started < 2
    assert len(errors) == 1 and errors[0].row == 1 and "far more than an episode file has" in errors[0].problem


def test_a_line_with_no_end_is_never_held_whole(hub_db, tmp_path):
    path = tmp_path / "one-line.csv"
    header = ",".join(episode_import.COLUMNS)
    path.write_text(header + "\n" + "x" * 5_000_000)  # 5 MB and no line break
    tracemalloc.start()
    errors = validate_file(hub_db, path).errors
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert errors and errors[0].row == 2
    assert peak < 3_000_000, peak


def _peak(hub_db, path) -> int:
    """The lower of two checks' peaks, each from a collected start: what is left for the cyclic collector, and
    how far the checking thread has run ahead when the writer takes a batch, moved one check's peak by up to
    300 KB either way (the order of the tests decided), more than the margin below."""
    peaks = []
    for _ in range(2):
        gc.collect()
        tracemalloc.start()
        preview = validate_file(hub_db, path)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert not preview.ok
    return min(peaks)


@pytest.mark.parametrize("repeated", [False, True])
def test_memory_stays_flat_however_many_bad_rows(hub_db, tmp_path, repeated):
    # With an episode id repeated near the top too: the check, knowing it, still takes each bad row's id.
    small = _peak(hub_db, bad_register(tmp_path / "small.csv", bad=2_000, repeated=repeated))
    large = _peak(hub_db, bad_register(tmp_path / "large.csv", bad=20_000, repeated=repeated))
    assert large < small * 1.3 + 200_000, (small, large)


def test_the_page_lists_the_first_problems_and_says_how_many_more(signed_in, hub_db, tmp_path, app):
    app.config["RECORDS_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    client = signed_in("missing_team")
    data = bad_register(tmp_path / "bad.csv", bad=1_500).read_bytes()
    page = client.post("/import", data={"register_file": (io.BytesIO(data), "bad.csv")},
                       content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert "1,500 rows cannot be understood" in text
    assert text.count('<tr class="govuk-table__row">') == MAX_PROBLEMS + 1  # the header row and the kept problems
    assert "3,000 problems found" in text and "2,000 more in 1,000 more rows" in text
