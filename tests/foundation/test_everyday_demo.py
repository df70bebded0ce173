"""The demo's closing summary states the totals it made and the accounts to sign in with."""
from __future__ import annotations

import re


def test_the_demo_ends_with_its_totals_and_accounts(cli, db_path):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    from rhi_desk.db import connect

    db = connect(db_path)
    children, episodes, interviews = (db.execute(f"select count(*) from {t}").fetchone()[0]
                                      for t in ("children", "episodes", "return_home_interviews"))
    db.conn.close()
    assert f"In all: {children:,} children, {episodes:,} episodes and {interviews:,} interview records" \
        in result.output
    for line in ("missing    Missing team    Mo Missing-Team", "worker     Social worker   Sam Social-Worker",
                 "provider   RHI provider    Pat Provider, Safe Steps"):
        assert line in result.output, result.output
    assert "password 'demo-password'" in result.output
    assert re.search(r"Start it with: rhi-desk --db .* serve", result.output)
