"""Freeze RHI Desk into one folder that runs on a laptop without Python: dist/rhi-desk/rhi-desk(.exe).

    pip install '.[package]'
    python build/freeze.py            # writes dist/rhi-desk/ (about a minute or two)

The same script on Linux (the window is Qt's) and on Windows (the window is Microsoft Edge WebView2, no Qt in
the bundle, no console window). Inside the bundle: every rhi_desk module (several are imported by name),
the templates, the static files, the sync schema, and the GOV.UK Jinja and WTForms templates; never any
data. PyInstaller's own work folder goes to a temporary folder (not build/, which holds our scripts).
``python build/freeze.py --plan`` prints what would be collected, for both platforms.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "rhi-desk"

# (source in the repository or an installed package, folder inside the bundle): the same on every platform.
DATA = [
    ("templates", "rhi_desk/templates"),
    ("static", "rhi_desk/static"),
    ("docs/sync-payload.schema.json", "rhi_desk"),
]
PACKAGE_DATA = ["govuk_frontend_jinja", "govuk_frontend_wtf"]  # their templates, loaded by Jinja by name

# Never needed by the app: test tools, notebooks, other GUI toolkits.
EXCLUDES = [
    "tkinter", "_tkinter", "pandas", "numpy", "pytest", "_pytest", "playwright", "hypothesis", "time_machine",
    "csc_validator_be_903", "IPython", "matplotlib", "PIL", "lxml", "setuptools", "pip", "pkg_resources",
    "webview.platforms.gtk", "webview.platforms.cef", "webview.platforms.android", "webview.platforms.cocoa",
    "PySide2", "PySide6", "PyQt5", "gi",
]
QT_EXCLUDES = [  # parts of Qt that neither pywebview nor RHI Desk use
    "PyQt6.QtBluetooth", "PyQt6.QtDesigner", "PyQt6.QtHelp", "PyQt6.QtMultimedia", "PyQt6.QtMultimediaWidgets",
    "PyQt6.QtNfc", "PyQt6.QtQuick3D", "PyQt6.QtRemoteObjects", "PyQt6.QtSensors", "PyQt6.QtSerialPort",
    "PyQt6.QtSpatialAudio", "PyQt6.QtSql", "PyQt6.QtSvgWidgets", "PyQt6.QtTest", "PyQt6.QtTextToSpeech",
    "PyQt6.QtPdf", "PyQt6.QtPdfWidgets", "PyQt6.Qt3DCore", "PyQt6.Qt3DRender", "PyQt6.QtCharts",
    "PyQt6.QtDataVisualization", "PyQt6.QtWebEngineQuick", "PyQt6.QtQuickWidgets", "PyQt6.QtOpenGLWidgets",
]
KEEP_LOCALES = ("en-GB", "en-US", "en")  # Qt's translations and Chromium's locale files: English only


def plan(platform: str = sys.platform) -> dict:
    """What the bundle collects on ``platform`` ("linux" or "win32")."""
    windows = platform == "win32"
    hidden = ["rhi_desk", "webview", "webview.platforms.edgechromium" if windows else "webview.platforms.qt"]
    if windows:
        hidden += ["webview.platforms.winforms", "clr"]
    else:
        hidden += ["qtpy", "PyQt6.QtWebEngineWidgets", "PyQt6.QtWebEngineCore", "PyQt6.QtPrintSupport",
                   "PyQt6.QtWebChannel", "PyQt6.QtNetwork"]
    excludes = EXCLUDES + (["PyQt6", "qtpy", "webview.platforms.qt"] if windows else
                           QT_EXCLUDES + ["webview.platforms.winforms", "webview.platforms.edgechromium",
                                          "webview.platforms.mshtml", "clr", "pythonnet"])
    return {
        "name": NAME,
        "executable": NAME + (".exe" if windows else ""),
        "entry": "rhi_desk/__main__.py",
        "data": [list(pair) for pair in DATA],
        "package_data": PACKAGE_DATA,
        "submodules": ["rhi_desk"],  # every area's commands and pages, the migrations: imported by name
        "hidden_imports": hidden,
        "excludes": excludes,
        "console": not windows,  # Windows: a windowed app (no black console box); Linux: start it from a menu
    }


def pyinstaller_args(layout: dict, dist: Path, work: Path) -> list[str]:
    args = [str(ROOT / layout["entry"]), "--name", layout["name"], "--onedir", "--noconfirm", "--clean",
            "--distpath", str(dist), "--workpath", str(work), "--specpath", str(work),
            "--log-level", "WARN"]
    for source, target in layout["data"]:
        args += ["--add-data", f"{ROOT / source}{os.pathsep}{target}"]
    for package in layout["package_data"]:
        args += ["--collect-data", package]
    for package in layout["submodules"]:
        args += ["--collect-submodules", package]
    for module in layout["hidden_imports"]:
        args += ["--hidden-import", module]
    for module in layout["excludes"]:
        args += ["--exclude-module", module]
    args.append("--console" if layout["console"] else "--windowed")
    return args


def prune(bundle: Path) -> int:
    """Remove Qt's translations and Chromium's locale files except English; returns the bytes saved."""
    saved = 0
    for folder in bundle.rglob("translations"):
        for path in folder.rglob("*"):
            if path.is_file() and not any(path.stem.endswith(k) or path.stem == k for k in
                                          ("_en", "_en_GB", *KEEP_LOCALES)):
                saved += path.stat().st_size
                path.unlink()
    return saved


def prune_qt_libraries(bundle: Path) -> int:
    """Linux: remove Qt's QML modules (the window is widgets, not QML) and every Qt library that nothing
    left in the bundle links to (PyInstaller collects the QML modules' libraries: Quick 3D, physics...)."""
    import subprocess

    qt = next(bundle.rglob("Qt6"), None)
    if qt is None or sys.platform == "win32":
        return 0
    saved = 0
    qml = qt / "qml"
    if qml.is_dir():
        saved += size_of(qml)
        shutil.rmtree(qml)
    roots = [p for p in (qt.parent).glob("*.so")] + [p for p in (qt / "plugins").rglob("*.so")]
    roots += [p for p in (qt / "libexec").glob("*") if p.is_file()]
    needed: set[Path] = set()
    for root in roots:
        listing = subprocess.run(["ldd", str(root)], capture_output=True, text=True).stdout
        for line in listing.splitlines():
            if "=>" in line and "/" in line.split("=>", 1)[1]:
                needed.add(Path(line.split("=>", 1)[1].split("(")[0].strip()).resolve())
    for library in (qt / "lib").glob("*.so*"):
        if library.is_file() and library.resolve() not in needed:
            saved += library.stat().st_size
            library.unlink()
    return saved


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where dist/rhi-desk/ goes")
    parser.add_argument("--work", type=Path, help="PyInstaller's work folder (default: a temporary folder)")
    parser.add_argument("--plan", action="store_true", help="print what is collected on Linux and Windows")
    options = parser.parse_args(argv)
    if options.plan:
        print(json.dumps({"linux": plan("linux"), "win32": plan("win32")}, indent=2))
        return 0
    try:
        import PyInstaller.__main__
    except ImportError:
        print("PyInstaller is not installed: run pip install '.[package]' first.", file=sys.stderr)
        return 1
    layout = plan()
    dist = options.dist.resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rhi-desk-freeze-") as temporary:
        work = (options.work or Path(temporary)).resolve()
        PyInstaller.__main__.run(pyinstaller_args(layout, dist, work))
    bundle = dist / layout["name"]
    saved = prune(bundle) + prune_qt_libraries(bundle)
    executable = bundle / layout["executable"]
    if not executable.exists():
        print(f"The build did not make {executable}.", file=sys.stderr)
        return 1
    print(f"Made {executable} in {time.monotonic() - started:.0f} s: {size_of(bundle) / 1e6:.0f} MB "
          f"({saved / 1e6:.0f} MB of other languages and unused Qt parts left out).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
