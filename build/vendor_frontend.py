#!/usr/bin/env python3
"""Refresh the vendored front-end files in static/vendor/ from the npm registry.

    python build/vendor_frontend.py            # the versions pinned below
    python build/vendor_frontend.py --check    # exit 1 if static/vendor/ differs from a fresh build

It installs the pinned npm packages into a temporary folder (needs Node.js and npm), compiles
GOV.UK Frontend's Sass with Arial instead of the GOV.UK Transport font (a council is not GOV.UK),
and copies the results into folders that carry the version in their name. To upgrade, change a
version here, run the script, update the paths in templates/base.html and commit everything.
govuk-frontend must stay in step with the pinned govuk-frontend-jinja (4.1.0 ↔ 6.3.0).
"""
from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GOVUK_FRONTEND = "6.3.0"
CHART_JS = "4.5.1"
CYTOSCAPE = "3.35.0"  # the intelligence network picture
AXE_CORE = "4.14.1"  # the accessibility tests inject it; kept in tests/vendor/, never served
SASS = "1.108.2"

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
TESTS_VENDOR = ROOT / "tests" / "vendor"

COUNCIL_SCSS = """
@use "node_modules/govuk-frontend/dist/govuk" with (
  $govuk-font-family: (arial, sans-serif),
  $govuk-include-default-font-face: false
);
"""


def build(into: Path) -> None:
    """Install the pinned packages and lay out static/vendor/ under ``into``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "package.json").write_text('{"private": true}')
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund",
             f"govuk-frontend@{GOVUK_FRONTEND}", f"chart.js@{CHART_JS}", f"cytoscape@{CYTOSCAPE}",
             f"axe-core@{AXE_CORE}", f"sass@{SASS}"],
            cwd=work, check=True,
        )
        (work / "council.scss").write_text(COUNCIL_SCSS)
        govuk = into / f"govuk-frontend-{GOVUK_FRONTEND}"
        govuk.mkdir(parents=True)
        subprocess.run(
            ["npx", "sass", "--no-source-map", "--style=compressed", "--quiet-deps",
             "council.scss", str(govuk / "govuk-frontend.min.css")],
            cwd=work, check=True,
        )
        dist = work / "node_modules" / "govuk-frontend" / "dist" / "govuk"
        shutil.copy(dist / "govuk-frontend.min.js", govuk / "govuk-frontend.min.js")
        shutil.copytree(dist / "assets" / "images", govuk / "assets" / "images")
        shutil.copy(dist / "assets" / "manifest.json", govuk / "assets" / "manifest.json")
        shutil.copy(work / "node_modules" / "govuk-frontend" / "package.json", govuk / "package.json")
        chart = into / f"chart.js-{CHART_JS}"
        chart.mkdir()
        shutil.copy(work / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js", chart / "chart.umd.min.js")
        shutil.copy(work / "node_modules" / "chart.js" / "LICENSE.md", chart / "LICENSE.md")
        cyto = into / f"cytoscape-{CYTOSCAPE}"
        cyto.mkdir()
        shutil.copy(work / "node_modules" / "cytoscape" / "dist" / "cytoscape.min.js", cyto / "cytoscape.min.js")
        shutil.copy(work / "node_modules" / "cytoscape" / "LICENSE", cyto / "LICENSE")
        axe = into.parent / "tests-vendor" / f"axe-core-{AXE_CORE}"
        axe.mkdir(parents=True)
        shutil.copy(work / "node_modules" / "axe-core" / "axe.min.js", axe / "axe.min.js")
        shutil.copy(work / "node_modules" / "axe-core" / "LICENSE", axe / "LICENSE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with static/vendor/ instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "vendor"
        build(fresh)
        if args.check:
            diff = filecmp.dircmp(fresh, VENDOR)
            if diff.left_only or diff.right_only or diff.diff_files:
                print("static/vendor/ differs from a fresh build; run build/vendor_frontend.py")
                return 1
            print("static/vendor/ is up to date")
            return 0
        for target, source in ((VENDOR, fresh), (TESTS_VENDOR, Path(tmp) / "tests-vendor")):
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
    print(f"Vendored GOV.UK Frontend {GOVUK_FRONTEND}, Chart.js {CHART_JS}, axe-core {AXE_CORE} into {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
