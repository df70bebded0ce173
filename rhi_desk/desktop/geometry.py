"""The window's size and place: the first time, fitted to the screen it opens on (down to 1280x720);
after that, where the user left it, as long as that still fits a screen."""
from __future__ import annotations

import json
import os
from pathlib import Path

PREFERRED = (1280, 860)
MINIMUM = (800, 560)
MARGIN = (40, 80)  # room for the taskbar and the title bar


def settings_file() -> Path:
    folder = os.environ.get("RHI_DESK_CONFIG_DIR")
    if not folder:
        import platformdirs

        folder = platformdirs.user_config_dir("rhi-desk", "rhi-desk")
    return Path(folder) / "window.json"


def first_size(screen_width: int, screen_height: int) -> tuple[int, int]:
    """The opening size on a screen of this size: the preferred size, shrunk to fit with a margin."""
    width = max(MINIMUM[0], min(PREFERRED[0], screen_width - MARGIN[0]))
    height = max(MINIMUM[1], min(PREFERRED[1], screen_height - MARGIN[1]))
    return width, height


def initial(screens: list[tuple[int, int, int, int]]) -> dict:
    """width, height and (when remembered) x, y for the window; ``screens`` are (x, y, width, height)."""
    main = screens[0] if screens else (0, 0, 1280, 720)
    saved = load()
    if saved:
        for sx, sy, sw, sh in screens:
            if (sx <= saved["x"] and sy <= saved["y"] and saved["x"] + saved["width"] <= sx + sw
                    and saved["y"] + saved["height"] <= sy + sh):
                return saved
    width, height = first_size(main[2], main[3])
    return {"width": width, "height": height,
            "x": main[0] + max(0, (main[2] - width) // 2), "y": main[1] + max(0, (main[3] - height) // 3)}


def load() -> dict | None:
    try:
        data = json.loads(settings_file().read_text(encoding="utf-8"))
        saved = {key: int(data[key]) for key in ("width", "height", "x", "y")}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if saved["width"] < MINIMUM[0] or saved["height"] < MINIMUM[1]:
        return None
    return saved


def save(width: int, height: int, x: int, y: int) -> None:
    path = settings_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"width": width, "height": height, "x": x, "y": y}), encoding="utf-8")
    except OSError:
        pass  # not remembering the size is no reason to fail a close
