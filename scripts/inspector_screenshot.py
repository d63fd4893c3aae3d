"""Regenerate docs/inspector.png: the inspector at 1600x1000, offscreen, on the test soundscape
(dog bark, rain, speech, rooster, baby cry from ../shared/corpus) with its human labels loaded.

    .venv/bin/python scripts/inspector_screenshot.py [--out docs/inspector.png]
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
sys.path.insert(0, str(ROOT / "tests"))  # soundscape.py builds the recording and its label track


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "inspector.png"))
    args = parser.parse_args()
    import soundscape

    from yamview.gui.app import make_app

    app = make_app()
    from PySide6.QtCore import QPointF

    from yamview.gui.inspector import InspectorWindow
    from yamview.gui.settings import Settings

    def wait(seconds: float, until=lambda: False) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            app.processEvents()
            time.sleep(0.005)

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["YAMVIEW_CACHE_DIR"] = str(Path(tmp) / "cache")
        scape = soundscape.build(ROOT.parent / "shared" / "corpus", Path(tmp))
        w = InspectorWindow(Settings(Path(tmp) / "shot.ini"), output_device="none")
        w.resize(1600, 1000)
        w.show()
        w.open_file(str(scape.wav))
        wait(120, lambda: w.session is not None and w.session.complete)
        if not (w.load_mapping(str(scape.mapping_csv)) and w.import_labels(str(scape.labels_txt))):
            print(w.message(), file=sys.stderr)
            return 1
        w.classes_panel.pin_name("Crowing, cock-a-doodle-doo")
        w.set_selection(10.2, 12.4)
        # Errors of the labelled classes; the cursor on the rooster's crow (the model misses the
        # first and last frames of that label, where the crow has not started or has ended).
        w.scope_combo.setCurrentIndex(w.scope_combo.findData("labelled"))
        w.set_cursor(17.2)
        wait(10, lambda: w.patch_view.patch is not None and w.patch_view.patch.frame == w.cursor_frame)
        wait(10, w.events_current)
        w.compare_with("kernels")  # A/B: the same model with the reference kernels
        wait(120, lambda: w.comparison is not None)
        y = float(w.spectrogram.scale.to_axis(1500))
        w.spectrogram.widget.scene().sigMouseMoved.emit(w.spectrogram.vb.mapViewToScene(QPointF(6.3, y)))
        wait(0.5)
        w.grab().save(args.out)
        print(f"{args.out}: cursor frame {w.cursor_frame}, {w.status_label.text()}")
        w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
