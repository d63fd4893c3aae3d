"""Regenerate docs/presenter-dark.png and docs/presenter-light.png: the presenter view at
1920x1080, offscreen, while a corpus clip plays through the real pipeline.

    .venv/bin/python scripts/presenter_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

def settled(board) -> bool:
    """No bar mid-glide or mid-fade: the picture a viewer sees most of the time."""
    return all(r.h == 1.0 and r.y == round(r.y) for r in board.rows)


SHOTS = [
    # name, clip, settings, ready(window) -> bool, give up after seconds
    ("presenter-dark.png", SHARED / "corpus/esc10/001_Dog_bark__1-100032-A.ogg",
     {"presenter/theme": "dark", "presenter/focus": [("Bark", 0.4), ("Clapping", 0.3), ("Finger snapping", 0.3)]},
     lambda w: (r := w.talk.board.row("Bark")) is not None and r.over and r.value > 0.5 and settled(w.talk.board),
     12.0),
    ("presenter-light.png", SHARED / "corpus/librosa/sorohanro_-_solo-trumpet-06.hq.ogg",
     {"presenter/theme": "light", "presenter/rollup": True, "presenter/rollup_depth": 3,
      "presenter/focus": [("Trumpet", 0.5), ("Clapping", 0.3)]},
     lambda w: w.source.position > 2.5 and (r := w.talk.board.row("Trumpet")) is not None and r.over
     and settled(w.talk.board), 12.0),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    from yamview.gui.app import make_app

    app = make_app()
    from yamview.gui.main_window import MainWindow
    from yamview.gui.settings import Settings

    def wait(seconds: float, until=None) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until()):
            app.processEvents()
            time.sleep(0.004)

    with tempfile.TemporaryDirectory() as tmp:
        for name, clip, values, ready, limit in SHOTS:
            settings = Settings(Path(tmp) / f"{name}.ini")
            settings.set("classify/hop_seconds", 0.1)
            for key, value in values.items():
                if key == "presenter/focus":
                    value = json.dumps([{"label": lab, "threshold": thr} for lab, thr in value])
                settings.set(key, value)
            w = MainWindow(settings, output_device="none")
            w.resize(1280, 800)
            w.show()
            wait(30, lambda: w.model_info is not None and w.talk.board is not None)
            w.talk.show_presenter(full_screen=False, size=(1920, 1080))
            if not w.open_file(str(clip)):
                print(w.message(), file=sys.stderr)
                return 1
            wait(1.0)
            wait(limit, lambda: ready(w))
            wait(0.05)
            p = w.talk.presenter
            path = Path(args.out) / name
            p.grab().save(str(path))
            rows = [(r.name, round(r.value, 2)) for r in w.talk.board.rows if r.alpha > 0.99]
            print(f"{path}: {clip.name} at {w.source.position:.1f} s: {rows}")
            w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
