"""Build the double-click app: icons, PyInstaller bundle, its self-test, then an archive.

    .venv/bin/python packaging/build.py          (or: bash scripts/dev.sh bundle)

Needs the ``build`` extra (``pip install -e ".[build]"``: PyInstaller, Pillow) and the model in
models/ (``yamview fetch``; done here when missing). Produces, on Linux:

    build/icons/                          PNGs 16..512, yamview.ico, yamview.icns (from the SVG)
    dist/yamview/yamview                  the app (onedir: the executable plus _internal/)
    dist/yamview-<version>-linux-x86_64.tar.gz

Windows gives dist/yamview/yamview.exe and a .zip; macOS dist/yamview.app and a .zip. The bundle's
``--self-test`` runs before the archive is made: a bundle that does not start is never archived.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))

from yamview import __version__  # noqa: E402

APP = "yamview"


def say(message: str) -> None:
    print(f"build: {message}", flush=True)


def system_name() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")


def arch_name() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)


def executable(dist: Path) -> Path:
    if sys.platform == "darwin":
        return dist / f"{APP}.app" / "Contents" / "MacOS" / APP
    return dist / APP / (f"{APP}.exe" if sys.platform == "win32" else APP)


def ensure_models() -> None:
    if not (ROOT / "models" / "yamnet.tflite").is_file():
        say("models/yamnet.tflite missing: fetching it (copy from ../shared, else download)")
        subprocess.run([sys.executable, "-m", "yamview", "fetch", "--dest", str(ROOT / "models")],
                       check=True, cwd=ROOT)


def make_icons(out: Path) -> None:
    from make_icons import make_icons as render

    render(out)


def run_pyinstaller(dist: Path, work: Path, clean: bool) -> None:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(ROOT / "packaging" / "yamview.spec")]
    if clean:
        cmd.insert(3, "--clean")
    subprocess.run(cmd, check=True, cwd=ROOT)


def tidy_bundle(dist: Path) -> None:
    """Linux: remove links to libraries the spec pruned; strip debug info from libpython."""
    if not sys.platform.startswith("linux"):
        return
    internal = dist / APP / "_internal"
    for path in internal.rglob("*"):
        if path.is_symlink() and not path.exists():
            path.unlink()
    strip = shutil.which("strip")
    if strip:
        for lib in internal.glob("libpython3*.so*"):
            if lib.is_file() and not lib.is_symlink():
                subprocess.run([strip, "--strip-debug", str(lib)], check=True)


def self_test(dist: Path) -> None:
    exe = executable(dist)
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    for var in ("YAMVIEW_MODEL", "YAMVIEW_ONTOLOGY"):  # the bundle must use its own model
        env.pop(var, None)
    result = subprocess.run([str(exe), "--self-test"], env=env, capture_output=True, text=True, timeout=120)
    out = (result.stdout + result.stderr).strip()
    print(out, flush=True)
    if result.returncode != 0:
        raise SystemExit(f"build: the bundle's self-test failed (exit {result.returncode})")


def archive(dist: Path) -> Path:
    base = dist / f"{APP}-{__version__}-{system_name()}-{arch_name()}"
    if system_name() == "linux":
        path = base.with_name(base.name + ".tar.gz")
        with tarfile.open(path, "w:gz", compresslevel=6) as tar:
            tar.add(dist / APP, arcname=APP)
        return path
    path = base.with_name(base.name + ".zip")
    path.unlink(missing_ok=True)
    if sys.platform == "darwin" and shutil.which("ditto"):  # keeps the .app's symlinks and signature
        subprocess.run(["ditto", "-c", "-k", "--keepParent", str(dist / f"{APP}.app"), str(path)], check=True)
    else:
        shutil.make_archive(str(base), "zip", root_dir=dist, base_dir=APP)
    return path


def tree_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default dist/)")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument("--no-self-test", action="store_true", help="skip the bundle's self-test")
    parser.add_argument("--no-archive", action="store_true", help="only the dist/ folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    dist = args.dist.resolve()
    try:
        import PIL  # noqa: F401
        import PyInstaller  # noqa: F401
    except ImportError as exc:
        say(f"{exc.name} missing: pip install -e \".[build]\"")
        return 1
    ensure_models()
    say("icons from yamview/resources/yamview.svg")
    make_icons(ROOT / "build" / "icons")
    say("PyInstaller")
    run_pyinstaller(dist, ROOT / "build" / "pyinstaller", args.clean)
    tidy_bundle(dist)
    bundle = dist / (f"{APP}.app" if sys.platform == "darwin" else APP)
    say(f"bundle {bundle} ({tree_size(bundle) / 1e6:.0f} MB)")
    if not args.no_self_test:
        self_test(dist)
    if not args.no_archive:
        path = archive(dist)
        say(f"archive {path} ({path.stat().st_size / 1e6:.0f} MB)")
    say(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
