"""The acceptance test: data consistent with the seed report's table gives exactly its figures.

The expected figures are read from a copy of the seed's table (DOMAIN.md), the spec; the episode
data are generated from them by tests/seed_data.py, imported with ``rhi-desk import-episodes`` and
counted with ``rhi-desk kpi``.
"""
from __future__ import annotations

import csv
import io
import json

import pytest
from seed_data import (
    build_register_rows,
    lac_episode_counts,
    parse_seed_table,
    percent,
    write_register_csv,
)

SEED_TABLE = """
| | Apr-17 | May-17 | Jun-17 | Jul-17 | Aug-17 | Sep-17 | Oct-17 | Nov-17 |
|---|---|---|---|---|---|---|---|---|
| children missing | 79 | 85 | 111 | 106 | 74 | 87 | 104 | 98 |
| children offered | 26 | 31 | 65 | 64 | 47 | 62 | 77 | 73 |
| children RHI done | 14 | 21 | 42 | 35 | 30 | 50 | 65 | 60 |
| episodes | 149 | 177 | 218 | 238 | 151 | 189 | 213 | 187 |
| episodes RHI done | 18 | 22 | 52 | 44 | 41 | 75 | 90 | 87 |
| offer rate children | 32.91% | 36.47% | 58.56% | 60.38% | 63.51% | 71.26% | 74.04% | 74.49% |
| done % episodes | 12.08% | 12.43% | 23.85% | 18.49% | 27.15% | 39.68% | 42.25% | 46.52% |
| done % episodes, LAC | 10.66% | 8.70% | 22.35% | 12.87% | 27.41% | 38.51% | 38.04% | 50.00% |
"""
SEED = parse_seed_table(SEED_TABLE)
MONTHS = sorted(SEED)
HEADER = ("month,children_missing,children_offered,children_rhi_done,episodes,episodes_rhi_done,"
          "offer_rate_children,rhi_done_rate_episodes,lac_rhi_done_rate_episodes")


@pytest.fixture
def seed_register(tmp_path, hub_db, cli):
    """The generated register, imported into the hub database through the command line."""
    rows = build_register_rows(SEED)
    path = write_register_csv(tmp_path / "register.csv", rows)
    result = cli("import-episodes", path)
    assert result.exit_code == 0, result.output
    return rows


def test_generated_data_is_not_the_answer_table():
    # The generator gets the figures; the LAC counts are searched, and reproduce the printed rate.
    for month, figures in SEED.items():
        n, d = lac_episode_counts(int(figures["episodes"]), int(figures["episodes_rhi_done"]),
                                  figures["lac_rhi_done_rate_episodes"])
        assert percent(d, n) == figures["lac_rhi_done_rate_episodes"]
        assert d <= int(figures["episodes_rhi_done"]) and n <= int(figures["episodes"])


def test_kpi_csv_reproduces_every_cell_of_the_seed_table(seed_register, cli):
    result = cli("kpi", "--from", "2017-04", "--to", "2017-11", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == HEADER
    printed = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["month"] for row in printed] == MONTHS
    for row in printed:
        expected = SEED[row["month"]]
        for key, value in expected.items():
            assert row[key] == value.rstrip("%"), f"{row['month']} {key}: {row[key]} != {value}"


def test_kpi_table_is_the_seed_layout(seed_register, cli):
    result = cli("kpi", "--from", "2017-04", "--to", "2017-11")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Apr-17", "May-17", "Jun-17", "Jul-17", "Aug-17", "Sep-17", "Oct-17", "Nov-17"]
    offer = next(line for line in lines if line.startswith("RHI % offer rate for children"))
    assert offer.split()[-8:] == [SEED[m]["offer_rate_children"] for m in MONTHS]
    lac = next(line for line in lines if line.startswith("RHIs done % episodes \u2013 all LAC"))
    assert lac.split()[-8:] == [SEED[m]["lac_rhi_done_rate_episodes"] for m in MONTHS]
    children = next(line for line in lines if line.startswith("No of children who went missing"))
    assert children.split()[-8:] == [SEED[m]["children_missing"] for m in MONTHS]


def test_kpi_json_and_an_empty_month(seed_register, cli):
    result = cli("kpi", "--from", "2017-11", "--to", "2018-01", "--format", "json")
    assert result.exit_code == 0, result.output
    months = json.loads(result.output)
    assert [m["month"] for m in months] == ["2017-11", "2017-12", "2018-01"]
    assert months[0]["offer_rate_children"] == float(SEED["2017-11"]["offer_rate_children"].rstrip("%"))
    # January 2018 has no episodes: zero counts and no rate at all.
    assert months[2]["episodes"] == 0 and months[2]["offer_rate_children"] is None


def test_noise_is_in_the_register_but_not_counted(seed_register, cli):
    # The generated file does hold OLA, away and out-of-range episodes; the seed figures above
    # prove they were left out. Make sure the noise is really there (else the proof is empty).
    kinds = {(r["episode_type"], r["other_la"]) for r in seed_register}
    assert ("away", "N") in kinds and ("missing", "Y") in kinds
    assert any(r["start"] < "2017-04" for r in seed_register) and any(r["start"] >= "2017-12" for r in seed_register)
    result = cli("kpi", "--from", "2017-12", "--to", "2017-12", "--format", "csv")
    december = list(csv.DictReader(io.StringIO(result.output)))[0]
    assert int(december["episodes"]) == sum(
        1 for r in seed_register if r["start"].startswith("2017-12") and r["episode_type"] == "missing"
        and r["other_la"] == "N")


def test_kpi_refuses_a_bad_month_in_a_sentence(hub_db, cli):
    from click.testing import CliRunner

    from rhi_desk.cli import cli as group

    result = CliRunner().invoke(group, ["--db", str(hub_db.conn.execute("pragma database_list").fetchone()[2]),
                                        "kpi", "--from", "2017-13", "--to", "2017-11"])
    assert result.exit_code != 0
    assert "Enter the first month as a year and month, for example 2017-04" in result.output
    assert "Traceback" not in result.output
