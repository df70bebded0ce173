"""Before Qt starts on Linux: which system libraries its window needs and are missing.

Without them Qt aborts with "could not load the Qt platform plugin" and a core dump; RHI Desk says
instead which Debian/Ubuntu packages to install (or to use ``rhi-desk serve`` and a web browser).
"""
from __future__ import annotations

import ctypes

# The shared library Qt's xcb platform plugin and its web engine load, and the Debian package with it.
NEEDED = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libnss3.so": "libnss3",
    "libxkbfile.so.1": "libxkbfile1",
    "libXcomposite.so.1": "libxcomposite1",
    "libXdamage.so.1": "libxdamage1",
    "libXrandr.so.2": "libxrandr2",
    "libXtst.so.6": "libxtst6",
}


def missing(needed: dict[str, str] = NEEDED) -> list[str]:
    """The Debian packages whose libraries cannot be loaded."""
    packages = []
    for library, package in needed.items():
        try:
            ctypes.CDLL(library)
        except OSError:
            packages.append(package)
    return packages


def message(packages: list[str]) -> str:
    return ("RHI Desk's window cannot open: this computer lacks system libraries it needs. "
            f"Ask IT to install them (on Debian or Ubuntu: sudo apt-get install {' '.join(packages)}), "
            "or use 'rhi-desk serve' and a web browser meanwhile.")
