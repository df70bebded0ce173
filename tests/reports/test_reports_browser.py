"""The dashboard in a real browser: charts drawn under the strict CSP, no console errors, no axe findings."""
from __future__ import annotations

import pytest
from conftest import assert_no_axe_violations, browser_sign_in
from kpi_records import add_child, add_episode, add_rhi


@pytest.mark.browser
def test_dashboard_draws_its_charts_and_passes_axe(live_server, hub_db, page):
    for n in range(6):
        child = add_child(hub_db, f"C{n}", "2004-03-0{}".format(n + 1), name=f"Child {n}")
        for month in ("2017-04", "2017-05", "2017-06"):
            episode = add_episode(hub_db, f"E{n}-{month}", child, f"{month}-1{n} 10:00", f"{month}-1{n} 20:00",
                                  looked_after=n % 2 == 0, placement="in_borough")
            if n % 3:
                add_rhi(hub_db, f"R{n}-{month}", child, [episode], offered_at=f"{month}-1{n} 21:00",
                        outcome="completed" if n % 3 == 2 else "declined", completed_at=f"{month}-1{n} 22:00"
                        if n % 3 == 2 else None, outcome_reason=None if n % 3 == 2 else "Did not want to",
                        interviewer_type="provider", assigned_to="Safe Steps")
    errors, violations = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Record every CSP violation from the first byte of each page (Chromium also logs them as console errors).
    page.add_init_script("""window.__csp = []; document.addEventListener('securitypolicyviolation',
                            e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));""")
    browser_sign_in(page, live_server, "manager")
    page.goto(live_server + "/reports/?from_month=2017-04&to_month=2017-06")
    panels = page.locator(".rhi-chart-panel")
    page.wait_for_function("n => window.Chart && Object.keys(Chart.instances).length === n", arg=panels.count())
    assert panels.count() == 8
    assert page.locator("canvas#chart-counts").count() == 1 and page.locator("canvas#chart-rates").count() == 1
    # The bar chart holds the same counts the table shows.
    assert page.evaluate("() => Chart.getChart('chart-counts').data.datasets[1].data") == [6, 6, 6]
    width = page.evaluate("() => document.getElementById('chart-counts').width")
    assert width > 100
    # Who interviews: the providers' interviews are drawn; its table is one click away, closed until asked.
    assert page.evaluate("() => Chart.getChart('chart-interviewers').data.labels") == ["A spot-purchased RHI provider"]
    who = page.locator(".rhi-chart-panel", has=page.locator("#chart-interviewers"))
    assert not who.locator("table").is_visible()
    who.locator("summary").click()
    assert who.locator("table").is_visible() and "12" in who.locator("table").inner_text()
    # Why not done: the declined interviews (no reason coded), with the sentence saying so.
    why = page.locator("#chart-why-not-done-text").inner_text()
    assert "12 missing episodes had no RHI done" in why and "Declined" in why
    violations = page.evaluate("() => window.__csp")
    assert not errors, errors
    assert not violations, violations
    assert_no_axe_violations(page)

    # Keyboard: the first figure of the table opens the list of children behind it.
    page.click("table.rhi-report-table tbody tr:first-child td:first-of-type a")
    page.wait_for_url("**/reports/drill?**")
    assert page.locator("#drill-table tbody tr").count() == 6
    assert_no_axe_violations(page)
