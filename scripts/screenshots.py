"""Regenerate the README screenshot of the main window playing a corpus clip, offscreen.

(The presenter and inspector screenshots: scripts/presenter_screenshots.py, inspector_screenshot.py.)

    .venv/bin/python scripts/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    from yamview.gui.app import make_app

    app = make_app()
    from yamview.gui.main_window import MainWindow
    from yamview.gui.settings import Settings

    def wait(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)

    shots = [
        ("screenshot-main.png", SHARED / "corpus/esc10/001_Dog_bark__1-100032-A.ogg", 3.3, 0.1, "mel"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, clip, seconds, hop, scale in shots:
            settings = Settings(Path(tmp) / f"{name}.ini")
            settings.set("classify/hop_seconds", hop)
            settings.set("spectrogram/scale", scale)
            w = MainWindow(settings, output_device="none")
            w.resize(1280, 800)
            w.show()
            while w.model_info is None:
                wait(0.05)
            if not w.open_file(str(clip)):
                print(w.message(), file=sys.stderr)
                return 1
            wait(seconds)
            path = Path(args.out) / name
            w.grab().save(str(path))
            print(f"{path}: {clip.name}, top {w.bars.shown()[:2]}")
            w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
