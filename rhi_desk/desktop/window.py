"""The desktop window: RHI Desk served on 127.0.0.1 and shown in a pywebview window.

pywebview runs on the main thread; the web server on a background thread. On Linux the window is Qt's
(PyQt6 WebEngine); on Windows it is Microsoft Edge WebView2 (never the legacy engine). Closing the window
stops the app, which ends every session (sessions carry the app's start-up id), finishes what it was
writing, checkpoints the database and removes every uploaded file.

What a desktop program does and a web page in a frame does not, added here:
- one window per database (``instance.py``), a second launch brings the first forward and exits;
- downloads go through a *Save as* dialog offering the server's file name (Qt 6: pywebview's own Qt
  handler calls a Qt 5 method and aborts the app, so it is replaced; pywebview is pinned for that);
- printing (the page's Print button, or Ctrl+P) opens the print dialog, where "Print to file" makes a PDF;
- the size fits the screen and is remembered (``geometry.py``); closing during an import asks first.

This is the only module that imports ``webview``.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

from rhi_desk.desktop import geometry, instance, qt_libraries
from rhi_desk.reports import warm_up
from rhi_desk.web import activity, logs, uploads
from rhi_desk.web.server import free_port, start_server

log = logging.getLogger("rhi_desk.desktop")
PYWEBVIEW = "6.2.1"  # the Qt hooks below replace private pywebview methods: pinned in pyproject.toml
WEBVIEW2_CLIENT = r"{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"


class WindowError(Exception):
    """Why the window cannot open, as a sentence."""


def run_window(app, database: str | os.PathLike, driver=None) -> int:
    """Serve ``app`` on a free loopback port and block until the window is closed; returns the exit status.

    ``driver`` (tests only) is called on a thread with a :class:`Controller` once the first page loads."""
    database = Path(database)
    claim = instance.claim(database)
    if claim is None:
        instance.ask_first_copy_to_come_forward(database)
        tell(instance.already_open_message(database))
        return 0
    try:
        return _run(app, database, claim, driver)
    finally:
        claim.release()
        uploads.remove_own()


def _run(app, database: Path, claim, driver) -> int:
    gui = _choose_gui()
    webview = _import_webview(gui)
    uploads.clean_stale()
    smoke = os.environ.get("RHI_DESK_WINDOW_SMOKE")
    if smoke:
        # Used by the window tests: print every request the window makes, then close it once the page
        # has loaded (and, if asked, save a screenshot of the screen first).
        app.wsgi_app = _RequestPrinter(app.wsgi_app)
    # Exports (CSV, Excel, sync files) are downloads; pywebview blocks them unless allowed.
    webview.settings["ALLOW_DOWNLOADS"] = True
    webview.settings["ALLOW_FILE_URLS"] = False  # the window shows RHI Desk and nothing else
    if gui == "qt":
        _patch_qt()
    holder: dict = {}
    app.wsgi_app = instance.BringForward(app.wsgi_app, claim, lambda: _bring_forward(holder.get("window")))
    port = free_port()
    server = start_server(app, port)
    claim.announce(port)
    warm_up.start(app.config["DATABASE"])
    url = f"http://127.0.0.1:{port}/"
    try:
        screens = [(s.x, s.y, s.width, s.height) for s in webview.screens]
    except Exception:  # no screen list on this platform: fit a small laptop's
        screens = []
    place = geometry.initial(screens)
    window = webview.create_window("RHI Desk", url, width=place["width"], height=place["height"],
                                   x=place["x"], y=place["y"], min_size=geometry.MINIMUM,
                                   background_color="#FFFFFF")
    holder["window"] = window
    window.events.closing += lambda: _on_closing(window)
    if smoke or driver:
        started = threading.Event()

        def on_loaded():
            if started.is_set():
                return
            started.set()
            control = Controller(window, url)
            if driver:
                threading.Thread(target=_drive, args=(driver, control), daemon=True).start()
            else:
                _smoke(control, smoke)

        window.events.loaded += on_loaded
    try:
        webview.start(private_mode=True, gui=gui)
    finally:
        _finish(server, database)
    return 0


def _choose_gui() -> str | None:
    gui = os.environ.get("RHI_DESK_GUI")
    if gui:
        return gui
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return "edgechromium"
    if sys.platform == "darwin":  # pragma: no cover
        return None
    return "qt"


def _import_webview(gui):
    if gui == "qt" and sys.platform.startswith("linux"):
        missing = qt_libraries.missing()
        if missing:
            raise WindowError(qt_libraries.message(missing))
    if gui == "edgechromium" and not webview2_installed():  # pragma: no cover - Windows only
        raise WindowError("RHI Desk's window needs the Microsoft Edge WebView2 Runtime, which is not installed "
                          "on this computer. Ask IT to install it (Microsoft's 'Evergreen' WebView2 Runtime); "
                          "RHI Desk never uses the old Internet Explorer engine instead.")
    if gui:
        os.environ.setdefault("PYWEBVIEW_GUI", gui)  # so the screen list does not try other toolkits first
    try:
        import webview
        if gui == "qt":
            import qtpy.QtWebEngineWidgets  # noqa: F401  (fail here, with a sentence, not inside pywebview)
    except ImportError as exc:
        log.exception("The window's libraries could not be loaded")
        raise WindowError("RHI Desk's window cannot open: its web engine is not installed "
                          f"({exc.name or exc}). Reinstall RHI Desk, or use 'rhi-desk serve' and a web browser."
                          ) from None
    return webview


def webview2_installed() -> bool:  # pragma: no cover - Windows only
    """Whether Microsoft's Edge WebView2 Runtime is installed (per machine or for this user)."""
    import winreg

    keys = [(winreg.HKEY_LOCAL_MACHINE, rf"SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\{WEBVIEW2_CLIENT}"),
            (winreg.HKEY_LOCAL_MACHINE, rf"SOFTWARE\Microsoft\EdgeUpdate\Clients\{WEBVIEW2_CLIENT}"),
            (winreg.HKEY_CURRENT_USER, rf"Software\Microsoft\EdgeUpdate\Clients\{WEBVIEW2_CLIENT}")]
    for hive, key in keys:
        try:
            with winreg.OpenKey(hive, key) as opened:
                version, _ = winreg.QueryValueEx(opened, "pv")
                if version and version != "0.0.0.0":
                    return True
        except OSError:
            continue
    return False


# ---------------------------------------------------------------------------------------------
# Closing: ask first when busy, remember the size, finish writes, checkpoint, remove uploads.


def _on_closing(window) -> bool:
    """Runs as the window closes (on the GUI thread); returning False keeps it open."""
    busy = activity.running()
    if busy:
        question = (f"RHI Desk is busy with {' and '.join(busy)}. If you close it now, that is stopped and "
                    "nothing of it is kept (you can start it again later). Close RHI Desk anyway?")
        if not _ask(window, "Close RHI Desk?", question):
            return False
    place = _native_geometry(window)
    if place:
        geometry.save(*place)
    return True


def _native_geometry(window):
    native = getattr(window, "native", None)
    try:
        if hasattr(native, "geometry"):  # Qt: the page's size and the frame's position
            return native.width(), native.height(), native.x(), native.y()
        if hasattr(native, "Width"):  # pragma: no cover - Windows Forms
            return native.Width, native.Height, native.Left, native.Top
    except Exception:
        log.exception("Could not read the window's size")
    return None


def _ask(window, title: str, question: str) -> bool:
    native = getattr(window, "native", None)
    if hasattr(native, "geometry"):
        from qtpy.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Warning, title, question, parent=native)
        box.setObjectName("rhi-desk-confirm-close")
        close = box.addButton("Close RHI Desk", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Keep it open", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is close
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        return ctypes.windll.user32.MessageBoxW(None, question, title, 0x4 | 0x30 | 0x100) == 6  # Yes
    return True


def _finish(server, database: Path) -> None:
    """After the window has closed: let running requests end, then checkpoint the write-ahead log."""
    try:
        server.close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)
    except Exception:
        log.exception("Stopping the server")
    from rhi_desk.db import connect

    try:
        db = connect(database, migrate=False)
        try:
            mode = "PASSIVE" if activity.running() else "TRUNCATE"
            db.execute(f"PRAGMA wal_checkpoint({mode})")
        finally:
            db.conn.close()
    except Exception:
        log.exception("Checkpointing the database at close")
    for stream in (sys.stdout, sys.stderr):  # a windowed build has none
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


# ---------------------------------------------------------------------------------------------
# Messages when there is no window yet (or no console at all).


def tell(sentence: str, title: str = "RHI Desk") -> None:
    """Say ``sentence`` where the person will see it: the console, or a dialog in a windowed build."""
    if sys.stderr is not None and not getattr(sys, "_rhi_desk_no_console", False):
        print(sentence, file=sys.stderr, flush=True)
        return
    show_message(sentence, title)


def show_message(sentence: str, title: str = "RHI Desk") -> None:
    """A plain dialog with ``sentence`` (for start-up failures in a build without a console)."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        ctypes.windll.user32.MessageBoxW(None, sentence, title, 0x10)
        return
    try:
        if qt_libraries.missing():
            raise ImportError
        from qtpy.QtWidgets import QApplication, QMessageBox

        qt_app = QApplication.instance() or QApplication([])  # noqa: F841 (kept alive for the dialog)
        QMessageBox.critical(None, title, sentence)
    except Exception:
        if sys.stderr is not None:
            print(sentence, file=sys.stderr, flush=True)


def failure_sentence(exc: BaseException) -> str:
    """The sentence for a start-up failure, with where the details are."""
    where = logs.log_file()
    text = str(exc) if isinstance(exc, WindowError) else f"RHI Desk could not start: {exc}"
    return f"{text} The details are in {where}."


# ---------------------------------------------------------------------------------------------
# Qt: the Save as dialog for downloads, printing, bringing the window forward, calls on the GUI thread.

_qt: dict = {}


def _patch_qt() -> None:
    if _qt:
        return
    from qtpy.QtCore import QObject, Signal
    from webview.platforms import qt as webview_qt

    class GuiCall(QObject):
        call = Signal(object)

    caller = GuiCall()
    caller.call.connect(lambda job: job())
    _qt["call"] = caller
    browser_view = webview_qt.BrowserView
    original_init = browser_view.__init__

    def init(self, window):
        original_init(self, window)
        _add_printing(self)

    browser_view.__init__ = init
    browser_view.on_download_requested = _save_download


def on_gui_thread(job, timeout: float = 30):
    """Run ``job()`` on the Qt GUI thread and return its result (from any other thread)."""
    done = threading.Event()
    result: dict = {}

    def run():
        try:
            result["value"] = job()
        except BaseException as exc:  # handed back to the caller's thread
            result["error"] = exc
        finally:
            done.set()

    _qt["call"].call.emit(run)
    if not done.wait(timeout):
        raise TimeoutError("the window did not answer")
    if "error" in result:
        raise result["error"]
    return result.get("value")


_save_folder: dict = {}


def _save_download(view, download) -> None:
    """Qt 6's download request: a Save as dialog offering the server's file name, then save there."""
    from qtpy.QtWidgets import QFileDialog

    name = download.suggestedFileName() or download.downloadFileName() or "download"
    folder = _save_folder.get("last") or _downloads_folder()
    suffix = Path(name).suffix
    kinds = (f"{suffix[1:].upper()} file (*{suffix});;All files (*)" if suffix else "All files (*)")
    path, _ = QFileDialog.getSaveFileName(view, "Save as", str(Path(folder) / name), kinds)
    if not path:
        download.cancel()
        return
    chosen = Path(path)
    if suffix and not chosen.suffix:
        chosen = chosen.with_suffix(suffix)
    _save_folder["last"] = str(chosen.parent)
    download.setDownloadDirectory(str(chosen.parent))
    download.setDownloadFileName(chosen.name)
    download.isFinishedChanged.connect(lambda: log.info("Saved %s (%s)", chosen, download.state().name))
    download.accept()


def _downloads_folder() -> str:
    import platformdirs

    folder = Path(platformdirs.user_downloads_dir())
    return str(folder if folder.is_dir() else Path.home())


def _add_printing(view) -> None:
    """The page's Print button (``window.print()``) and Ctrl+P open the print dialog."""
    from qtpy.QtCore import QEvent, QObject
    from qtpy.QtGui import QKeySequence
    from qtpy.QtWidgets import QApplication

    view.webview.page().printRequested.connect(lambda: print_page(view))

    class CtrlP(QObject):  # sees the key before the web page does, wherever the focus is in the window
        def eventFilter(self, watched, event):
            if (event.type() == QEvent.Type.KeyPress and event.matches(QKeySequence.StandardKey.Print)
                    and _inside(watched, view)):
                print_page(view)
                return True
            return False

    view._rhi_ctrl_p = CtrlP(view)
    QApplication.instance().installEventFilter(view._rhi_ctrl_p)


def _inside(widget, view) -> bool:
    try:
        while widget is not None:
            if widget is view:
                return True
            widget = widget.parent()
    except (AttributeError, TypeError):
        return False
    return False


def print_page(view) -> None:
    """Show the print dialog for the page in ``view``; print (or write the PDF) if the user says so."""
    from qtpy.QtPrintSupport import QPrintDialog, QPrinter
    from qtpy.QtWidgets import QDialog

    if getattr(view, "_rhi_printer", None) is not None:
        return  # still printing the last one: Qt cannot print twice at once
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setResolution(300)  # sharp on paper; 1200 makes a panel report's PDF 30 MB
    dialog = QPrintDialog(printer, view)
    dialog.setWindowTitle("Print")
    dialog.setObjectName("rhi-desk-print")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    view._rhi_printer = printer  # kept alive until the page has printed

    def finished(ok):
        log.info("Printed %s", "ok" if ok else "with an error")
        view.webview.printFinished.disconnect(finished)
        view._rhi_printer = None

    view.webview.printFinished.connect(finished)
    view.webview.print(printer)


def _bring_forward(window) -> None:
    if window is None:
        return
    native = getattr(window, "native", None)
    if "call" in _qt and native is not None:
        def up():
            native.showNormal()
            native.raise_()
            native.activateWindow()

        _qt["call"].call.emit(up)
    else:  # pragma: no cover - other platforms
        window.restore()
        window.show()


# ---------------------------------------------------------------------------------------------
# Tests: the smoke run and the driver.


class Controller:
    """What a test driver can do with the real window (Qt): run script in the page, call the GUI thread."""

    def __init__(self, window, url: str):
        self.window = window
        self.url = url

    def gui(self, job, timeout: float = 30):
        return on_gui_thread(job, timeout)

    def gui_soon(self, job) -> None:
        """Start ``job()`` on the GUI thread without waiting (for a job that opens a modal dialog)."""
        _qt["call"].call.emit(job)

    def run_js(self, script: str, timeout: float = 30):
        """Run ``script`` in the page (as the embedder: the page's CSP does not apply) and return its value."""
        done = threading.Event()
        result: dict = {}

        def callback(value):
            result["value"] = value
            done.set()

        self.gui(lambda: self.window.native.webview.page().runJavaScript(script, 0, callback))
        if not done.wait(timeout):
            raise TimeoutError(script)
        return result.get("value")

    def printing(self) -> bool:
        """Whether the window is still printing (or writing its PDF)."""
        return self.gui(lambda: getattr(self.window.native, "_rhi_printer", None) is not None)

    def screenshot(self, path: str) -> None:
        from qtpy.QtWidgets import QApplication

        self.gui(lambda: QApplication.primaryScreen().grabWindow(0).save(path, "PNG"))

    def close(self) -> None:
        self.window.destroy()


def _drive(driver, control: Controller) -> None:
    try:
        driver(control)
    except BaseException:
        log.exception("The window driver failed")
        print("WINDOW-DRIVER-FAILED", flush=True)
        import traceback

        traceback.print_exc()
    finally:
        try:
            control.close()
        except Exception:  # the driver closed it already
            pass


def _smoke(control: Controller, smoke: str) -> None:
    print("WINDOW-PAGE-LOADED", flush=True)  # the benchmark's finish line (build/bench_window.py)

    def close_soon():
        time.sleep(float(smoke) if smoke.replace(".", "").isdigit() else 2.0)
        shot = os.environ.get("RHI_DESK_WINDOW_SCREENSHOT")
        if shot and "call" in _qt:
            control.screenshot(shot)
        print("WINDOW-LOADED", flush=True)
        control.close()

    threading.Thread(target=close_soon, daemon=True).start()


class _RequestPrinter:
    """WSGI middleware for the window smoke test: prints method, path and status of each request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def recording_start_response(status, headers, exc_info=None):
            print(f"WINDOW-REQUEST: {environ['REQUEST_METHOD']} {environ.get('PATH_INFO')} "
                  f"{status.split()[0]} host={environ.get('HTTP_HOST')}", flush=True)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, recording_start_response)
