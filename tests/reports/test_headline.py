"""The dashboard's headline: the month's figures with the change on the previous month and the same month last year."""
from __future__ import annotations

from datetime import datetime

import time_machine
from kpi_records import add_child, add_episode, add_rhi

from rhi_desk.reports import headline


def test_headline_compares_with_the_previous_month_and_the_same_month_last_year(hub_db):
    children = [add_child(hub_db, f"C{n}") for n in range(5)]
    for n in range(2):  # November 2016: two children
        add_episode(hub_db, f"Y{n}", children[n], "2016-11-10 10:00", "2016-11-10 12:00")
    for n in range(4):  # October 2017: four
        add_episode(hub_db, f"O{n}", children[n], "2017-10-10 10:00", "2017-10-10 12:00")
    for n in range(5):  # November 2017: five, two offered
        e = add_episode(hub_db, f"N{n}", children[n], "2017-11-10 10:00", "2017-11-10 12:00")
        if n < 2:
            add_rhi(hub_db, f"R{n}", children[n], [e], offered_at="2017-11-10 13:00")
    with time_machine.travel(datetime(2017, 12, 1, 9, 0), tick=False):
        result = headline.headline(hub_db, "2017-11")
    tiles = {t["key"]: t for t in result["tiles"]}
    assert tiles["children_missing"]["text"] == "5"
    assert tiles["children_missing"]["previous"]["text"] == "+1"
    assert tiles["children_missing"]["year"]["text"] == "+3"
    assert tiles["offer_rate_children"]["text"] == "40.00%"
    assert tiles["offer_rate_children"]["previous"]["text"] == "+40.00 points"  # October: 0.00%
    assert tiles["offer_rate_children"]["year"]["text"] == "+40.00 points"
    assert result["overdue_now"]["value"] == 7  # October's four and November's three returns with no offer (Today's count)
    assert (result["previous_month"], result["year_ago"]) == ("2017-10", "2016-11")
