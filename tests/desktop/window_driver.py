"""Drives the real RHI Desk window (Qt, under Xvfb) as a person would: run as a script by the window tests.

    python -m tests.desktop.window_driver DATABASE OUT_FOLDER

Signs in as the missing team, downloads the KPI table from the dashboard and a sync file from *Send and
receive* through the real *Save as* dialog (into OUT_FOLDER, under names of its own choosing), prints the
high-risk list with Ctrl+P and the panel report with its button through the real print dialog (to a
PDF), then closes the window. Each step prints a line the test reads.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


def wait_for(check, what: str, timeout: float = 30.0, interval: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def modal(control, kind: str):
    """The open modal dialog's class name (QFileDialog, QPrintDialog...) once one of ``kind`` is shown."""
    from qtpy.QtWidgets import QApplication

    def current():
        widget = QApplication.activeModalWidget()
        return type(widget).__name__ if widget is not None else None

    return wait_for(lambda: control.gui(current) == kind, f"the {kind}")


def save_as(control, target: Path) -> str:
    """Answer the Save as dialog: note the file name it offers, choose ``target``, press Save."""
    from qtpy.QtCore import QMetaObject
    from qtpy.QtWidgets import QApplication, QLineEdit

    modal(control, "QFileDialog")

    def answer():
        dialog = QApplication.activeModalWidget()
        offered = Path(dialog.selectedFiles()[0]).name
        dialog.setDirectory(str(target.parent))
        dialog.findChild(QLineEdit, "fileNameEdit").setText(target.name)  # typed into "File name"
        QMetaObject.invokeMethod(dialog, "accept")  # the Save button (accept() is protected in PyQt)
        return offered

    return control.gui(answer)


def print_to_pdf(control, target: Path) -> None:
    """Answer the print dialog: print to a PDF file at ``target``."""
    from qtpy.QtCore import QMetaObject
    from qtpy.QtWidgets import QApplication, QLineEdit

    modal(control, "QPrintDialog")

    def answer():
        dialog = QApplication.activeModalWidget()
        field = dialog.findChild(QLineEdit, "filename")
        field.setText(str(target))
        QMetaObject.invokeMethod(dialog, "accept")  # the Print button

    control.gui(answer)


def page_is(control, path: str) -> bool:
    return control.run_js("location.pathname + '|' + document.readyState") == f"{path}|complete"


def go(control, path: str) -> None:
    control.run_js(f"location.href = {path!r}")
    wait_for(lambda: page_is(control, path), path)


def drive(control) -> None:
    out = Path(sys.argv[2])
    wait_for(lambda: page_is(control, "/sign-in"), "the sign-in page")
    control.run_js("document.getElementById('username').value = 'missing';"
                   "document.getElementById('password').value = 'demo-password';"
                   "document.querySelector('form [type=submit]').click()")
    wait_for(lambda: control.run_js("location.pathname") not in ("/sign-in", None), "signing in")
    print("SIGNED-IN", flush=True)

    go(control, "/reports/")
    control.run_js("document.querySelector('a[href*=\"kpi.csv\"]').click()")
    kpi = out / "chosen kpi.csv"
    print(f"OFFERED: {save_as(control, kpi)}", flush=True)
    wait_for(lambda: kpi.exists() and kpi.stat().st_size > 0, "the KPI file")
    print(f"SAVED: {kpi}", flush=True)

    go(control, "/sync/")
    control.run_js("document.querySelector('form[action$=\"/sync/send\"] button,"
                   " form[action$=\"/sync/send\"] input[type=submit]').click()")
    wait_for(lambda: page_is(control, "/sync/made"), "the page saying what went into the file")
    control.run_js("document.getElementById('download-file').click()")
    sync_file = out / "for-safe-steps.rhisync"
    print(f"OFFERED: {save_as(control, sync_file)}", flush=True)
    wait_for(lambda: sync_file.exists() and sync_file.stat().st_size > 0, "the sync file")
    print(f"SAVED: {sync_file}", flush=True)

    go(control, "/reports/monthly")
    control.run_js("document.getElementById('print-report').click()")
    monthly = out / "monthly.pdf"
    print_to_pdf(control, monthly)
    wait_for(lambda: monthly.exists() and not control.printing(), "the panel report PDF", timeout=90)
    print(f"PRINTED: {monthly}", flush=True)
    go(control, "/reports/high-risk")
    from qtpy.QtCore import Qt
    from qtpy.QtTest import QTest

    def press_ctrl_p():
        from qtpy.QtWidgets import QApplication

        target = QApplication.focusWidget() or control.window.native.webview.focusProxy() or control.window.native
        QTest.keyClick(target, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)

    control.gui_soon(press_ctrl_p)  # the print dialog it opens waits for an answer
    high_risk = out / "high-risk.pdf"
    print_to_pdf(control, high_risk)
    wait_for(lambda: high_risk.exists() and not control.printing(), "the high-risk PDF", timeout=90)
    print(f"PRINTED: {high_risk}", flush=True)

    time.sleep(0.5)


def drive_closing(control) -> None:
    """Close the window while an import runs: it asks first; "Keep it open" keeps it, then close for real."""
    from qtpy.QtWidgets import QApplication

    from rhi_desk.web import activity, uploads

    wait_for(lambda: page_is(control, "/sign-in"), "the sign-in page")
    waiting = uploads.process_folder() / "0123abcd.csv"  # as the import page leaves a checked upload
    waiting.write_text("child_id,date_of_birth\nC1,2010-01-01\n")
    print(f"UPLOAD: {waiting}", flush=True)

    def answer(button_text):
        def click():
            box = QApplication.activeModalWidget()
            text = box.text()
            [button] = [b for b in box.buttons() if b.text() == button_text]
            button.click()
            return text
        return click

    with activity.busy("an episode import"):
        control.gui_soon(control.window.native.close)
        modal(control, "QMessageBox")
        print(f"ASKED: {control.gui(answer('Keep it open'))}", flush=True)
        time.sleep(0.5)
        print(f"STILL-OPEN: {control.run_js('location.pathname')}", flush=True)
        control.gui_soon(control.window.native.close)
        modal(control, "QMessageBox")
        control.gui(answer("Close RHI Desk"))
    print("CLOSED", flush=True)


def main() -> int:
    from rhi_desk import create_app
    from rhi_desk.desktop import window

    database = sys.argv[1]
    import os

    os.environ["RHI_DESK_DB"] = database
    driver = drive_closing if sys.argv[3:] == ["closing"] else drive
    return window.run_window(create_app(), database, driver=driver)


if __name__ == "__main__":
    sys.exit(main())
