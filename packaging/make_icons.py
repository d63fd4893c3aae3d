"""Render the app icon from yamview/resources/yamview.svg: PNGs (16..512), yamview.ico, yamview.icns.

Generated files go to build/icons/ and are never committed:
    build/icons/png/yamview-<N>.png     N in PNG_SIZES (for Linux desktops and the bundle)
    build/icons/yamview.ico             Windows (16..256)
    build/icons/yamview.icns            macOS (16..1024)
Uses Qt's SVG renderer (PySide6) and Pillow (the ``build`` extra).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "yamview" / "resources" / "yamview.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render_png(renderer, size: int, path: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    if not image.convertToFormat(QImage.Format.Format_ARGB32).save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")


def make_icons(out_dir: Path, svg: Path = SVG) -> dict[str, Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (keeps Qt alive)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    png_dir = out_dir / "png"
    png_dir.mkdir(parents=True, exist_ok=True)
    pngs = {}
    for size in sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES)):
        path = png_dir / f"yamview-{size}.png"
        render_png(renderer, size, path)
        pngs[size] = path
    for size in set(pngs) - set(PNG_SIZES):  # 1024 is for the .icns only
        pngs[size].rename(out_dir / pngs[size].name)
        pngs[size] = out_dir / pngs[size].name

    # Every size rendered from the vector source, not scaled down from the largest one.
    images = {size: Image.open(path).convert("RGBA") for size, path in pngs.items()}
    ico = out_dir / "yamview.ico"
    largest = images[max(ICO_SIZES)]
    largest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                 append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)])
    icns = out_dir / "yamview.icns"
    images[max(ICNS_SIZES)].save(icns, format="ICNS",
                                 append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)])
    return {"png": png_dir, "ico": ico, "icns": icns}


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    for kind, path in make_icons(out).items():
        print(f"{kind}: {path}")
