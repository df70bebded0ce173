"""A first import's memory is the same whatever the size of the file (issue 18: "peak memory flat").

`rhi-desk import-episodes` runs in its own process on a real register CSV into a fresh hub, once with
100,000 rows and once with 500,000 (the benchmark's generator: the same 25,000 children in both, so only
the rows grow), and reports its peak resident memory. The import keeps every index up row by row in a
fixed page cache; building the indexes after the load instead sorted each one in memory, about 60 MB
more for every million rows (30 MB more here, against at most a few MB now).
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MEASURED = """
import json, resource, sys
from rhi_desk.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}),
      file=sys.stderr)
"""


def _generator():
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "build" / "bench_import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def _peak_mb(tmp_path: Path, rows: int) -> float:
    register = tmp_path / f"register-{rows}.csv"
    _generator()(register, rows)
    db = tmp_path / f"hub-{rows}.db"
    subprocess.run([sys.executable, "-c", "from rhi_desk.cli import main; main()", "--db", str(db), "init",
                    "--role", "hub", "--la", "Croydon", "--name", "Missing team"], check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", MEASURED, "--db", str(db), "import-episodes", str(register)],
                          capture_output=True, text=True)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stdout[-2000:] + done.stderr[-2000:]
    assert f"{rows:,}" in done.stdout or str(rows) in done.stdout, done.stdout[-2000:]
    return report["peak_mb"]


def test_a_first_imports_memory_does_not_grow_with_the_file(tmp_path):
    small = _peak_mb(tmp_path, 100_000)
    large = _peak_mb(tmp_path, 500_000)
    assert large - small < 15, (small, large)
