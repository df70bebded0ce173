"""Benchmark: from launching RHI Desk to its sign-in page loaded in the window, installed and frozen.

    python build/bench_window.py [--runs 5] [--frozen dist/rhi-desk/rhi-desk]

Baseline, in the same run on the same virtual screen: a bare pywebview window showing a static page.
Target (issue 16): under 2.5 s for the installed and the frozen app. Needs Xvfb (or a real screen).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE = """
import sys, webview
window = webview.create_window("bare", html="<!DOCTYPE html><html><body><h1>Sign in</h1><p>A static page.</p></body></html>")
def loaded():
    print("WINDOW-PAGE-LOADED", flush=True)
    window.destroy()
window.events.loaded += loaded
webview.start(private_mode=True, gui="qt" if sys.platform.startswith("linux") else None)
"""


def time_to_loaded(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in process.stdout:
            if line.startswith("WINDOW-PAGE-LOADED"):
                return time.perf_counter() - started
        raise RuntimeError(f"{command[0]} exited before its page loaded")
    finally:
        process.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / "rhi-desk" / "rhi-desk")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rhi-bench-window-"))
    display = None
    env = dict(os.environ, HOME=str(folder), QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox", RHI_DESK_WINDOW_SMOKE="0.2",
               RHI_DESK_LOG_DIR=str(folder / "logs"), PYTHONPATH=str(ROOT))
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        if not shutil.which("Xvfb"):
            print("Needs a screen or Xvfb.", file=sys.stderr)
            return 1
        display = subprocess.Popen(["Xvfb", ":77", "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                                   stderr=subprocess.DEVNULL)
        env["DISPLAY"] = ":77"
        time.sleep(1.5)
    try:
        db = folder / "demo.db"
        subprocess.run([sys.executable, "-m", "rhi_desk", "--db", str(db), "demo"], env=env, check=True,
                       capture_output=True)
        contenders = {"bare pywebview window, static page (baseline)": [sys.executable, "-c", BARE],
                      "RHI Desk installed (python -m rhi_desk)": [sys.executable, "-m", "rhi_desk", "--db", str(db)]}
        if options.frozen.exists():
            contenders["RHI Desk frozen (dist/rhi-desk/rhi-desk)"] = [str(options.frozen), "--db", str(db)]
        else:
            print(f"(no frozen build at {options.frozen}: run python build/freeze.py to include it)")
        results = {name: [] for name in contenders}
        for _ in range(options.runs):  # interleaved, so a busy moment on the machine hits every contender
            for name, command in contenders.items():
                results[name].append(time_to_loaded(command, env))
        for name, times in results.items():
            print(f"{name:<50} median {statistics.median(times):.2f} s  (min {min(times):.2f}, "
                  f"max {max(times):.2f}, {len(times)} runs)")
        print("Target: under 2.5 s for the installed and the frozen app.")
    finally:
        if display:
            display.terminate()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
