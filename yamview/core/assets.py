"""Find or fetch the files yamview needs but never ships in git: the model and the ontology.

Where a file is looked for, in order: an explicit path, an environment variable, ``models/`` in
the source tree (or the app bundle), the user data folder, then a download from the official
URL pinned in ``models/manifest.json``, verified by sha256 and written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import platformdirs

from yamview.core.files import UnreadableFile, read_regular, write_atomic
from yamview.core.limits import shorten

log = logging.getLogger(__name__)

APP_NAME = "yamview"
# Reads of a download: no single wait longer than this ...
READ_TIMEOUT = 30.0
# ... and the whole download at no less than this average rate (plus the read timeout), so a
# server trickling a byte every few seconds is dropped too.
MIN_BYTES_PER_SECOND = 20_000
_MANIFEST_FIELDS = {"file": str, "url": str, "sha256": str, "size": int}

# Progress callback: (bytes done, total bytes or None).
Progress = Callable[[int, "int | None"], None]


class AssetError(Exception):
    """An asset cannot be found or fetched; the message tells the user what to do."""


@dataclass(frozen=True)
class Asset:
    key: str
    file: str
    url: str
    sha256: str
    size: int
    license: str
    env_var: str


def resources_dir() -> Path:
    """The package's own data (manifest, icon, desktop entry, notices): ``yamview/resources``
    in a source tree or an installed wheel, ``resources/`` in the unpacked PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def source_models_dir() -> Path | None:
    """``models/`` of a source checkout (beside pyproject.toml) or of the unpacked PyInstaller
    bundle; None for an installed package, whose model lives in the user data folder."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "models"
    root = Path(__file__).resolve().parents[2]
    return root / "models" if (root / "pyproject.toml").is_file() else None


def manifest_path() -> Path:
    return resources_dir() / "manifest.json"


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models"


def shared_dir() -> Path | None:
    """The workplace's ``../shared`` folder beside the source tree, when there is one."""
    candidate = Path(__file__).resolve().parents[3] / "shared"
    return candidate if candidate.is_dir() else None


def _manifest() -> dict:
    """The package's manifest.json when it is whole and well-formed, else the built-in copy."""
    path = manifest_path()
    try:
        data = json.loads(read_regular(path, 1 << 20, "manifest").decode("utf-8"))
    except (UnreadableFile, ValueError) as exc:
        # The manifest is package data; keep a copy of the essentials so a damaged install
        # can still fetch the model.
        if not (isinstance(exc, UnreadableFile) and str(exc) == "no such file") and path not in _warned:
            _warned.add(path)
            log.warning("%s is unreadable (%s); using the built-in manifest", path, shorten(str(exc)))
        return _BUILTIN_MANIFEST
    problem = _manifest_problem(data)
    if problem:
        if path not in _warned:  # once per run, not once per asset looked up
            _warned.add(path)
            log.warning("%s is malformed (%s); using the built-in manifest", path, problem)
        return _BUILTIN_MANIFEST
    return data


_warned: set[Path] = set()


def _manifest_problem(data) -> str | None:
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    for key in _BUILTIN_MANIFEST:
        entry = data.get(key)
        if not isinstance(entry, dict):
            return f"no {key!r} entry"
        for name, kind in _MANIFEST_FIELDS.items():
            if not isinstance(entry.get(name), kind) or isinstance(entry.get(name), bool):
                return f"{key}.{name} is missing or not a {kind.__name__}"
        if entry["size"] <= 0 or len(entry["sha256"]) != 64 or "/" in entry["file"]:
            return f"{key} has an impossible size, sha256 or file name"
    return None


_BUILTIN_MANIFEST = {
    "yamnet": {
        "file": "yamnet.tflite",
        "url": "https://storage.googleapis.com/mediapipe-assets/yamnet_audio_classifier_with_metadata.tflite",
        "sha256": "10c95ea3eb9a7bb4cb8bddf6feb023250381008177ac162ce169694d05c317de",
        "size": 4126810,
        "license": "Apache-2.0 (Google)",
    },
    "ontology": {
        "file": "ontology.json",
        "url": "https://raw.githubusercontent.com/audioset/ontology/master/ontology.json",
        "sha256": "9c685f4403eecc3ca9be37fd7285cf212feaaea6ff7229d3e7ca89e0d1f2d15d",
        "size": 342780,
        "license": "CC BY-SA 4.0 (Google, AudioSet)",
    },
}

_ENV = {"yamnet": "YAMVIEW_MODEL", "ontology": "YAMVIEW_ONTOLOGY"}
_SHARED_SUBDIR = {"yamnet": "models", "ontology": "ontology"}


def asset(key: str) -> Asset:
    entry = _manifest()[key]
    return Asset(
        key=key,
        file=entry["file"],
        url=entry["url"],
        sha256=entry["sha256"],
        size=int(entry["size"]),
        license=entry.get("license", ""),
        env_var=_ENV[key],
    )


def candidates(a: Asset) -> list[Path]:
    """Where ``a`` is looked for, in order (the environment variable first)."""
    found = []
    env = os.environ.get(a.env_var)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            # Falling back to another file without a word would hide a typo: refuse.
            raise AssetError(f"${a.env_var} is set to {shorten(env, 300)}, which is not a file; "
                             f"fix or unset {a.env_var}")
        found.append(path)
    models = source_models_dir()
    if models is not None:
        found.append(models / a.file)
    found.append(user_data_dir() / a.file)
    return found


def locate(key: str, explicit: str | os.PathLike | None = None) -> Path | None:
    """The first existing file for ``key`` (explicit path wins; it must exist), else None."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise AssetError(f"model file not found: {path}")
        return path
    return next((p for p in candidates(asset(key)) if p.is_file()), None)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)

    def copy(out) -> None:
        with open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)

    write_atomic(dest, copy, binary=True)


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to other https:// URLs (never downgrade to plain http)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.lower().startswith("https://"):
            raise urllib.error.URLError(f"refusing a redirect to a non-HTTPS URL ({shorten(newurl)})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(a: Asset, dest: Path, progress: Progress | None = None, timeout: float = READ_TIMEOUT,
             min_rate: float = MIN_BYTES_PER_SECOND) -> Path:
    """Fetch ``a`` over HTTPS into ``dest``; verify sha256; rename into place only when right.

    Bounded: never more than the manifest's size is written (a bigger Content-Length is
    refused before reading), no read waits longer than ``timeout``, and the whole transfer
    must finish within ``timeout + size / min_rate`` seconds. Redirects stay on HTTPS. The
    temporary file of a killed download is removed by the next write to the same folder.
    """
    if not a.url.startswith("https://"):
        raise AssetError(f"refusing to download {a.file} over a non-HTTPS URL: {a.url}")
    dest.parent.mkdir(parents=True, exist_ok=True)

    budget = timeout + a.size / min_rate
    opener = urllib.request.build_opener(_HttpsOnlyRedirects)

    def fetch(out) -> None:  # raising here leaves nothing behind: no partial model, ever
        h = hashlib.sha256()
        deadline = time.monotonic() + budget
        try:
            with opener.open(a.url, timeout=timeout) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                if total is not None and total > a.size:
                    raise AssetError(f"the server offers {total} bytes for {a.file}, expected "
                                     f"{a.size}; not downloaded")
                done = 0
                while chunk := resp.read1(min(1 << 16, a.size + 1 - done)):  # read1: what came
                    done += len(chunk)
                    if done > a.size:
                        raise AssetError(f"the server sent more than the {a.size} bytes of "
                                         f"{a.file}; stopped")
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the download took longer than {budget:.0f} s "
                                           "(the server is too slow)")
                    out.write(chunk)
                    h.update(chunk)
                    if progress:
                        progress(done, total)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise AssetError(
                f"cannot download {a.file} from {a.url}: {reason}.\n"
                f"Offline? Put the file at {user_data_dir() / a.file} "
                f"(or set {a.env_var} to its path) and start again."
            ) from None
        if h.hexdigest() != a.sha256:
            raise AssetError(
                f"downloaded {a.file} has sha256 {h.hexdigest()}, expected {a.sha256}; not used"
            )

    write_atomic(dest, fetch, binary=True)
    return dest


def ensure(
    key: str,
    explicit: str | os.PathLike | None = None,
    progress: Progress | None = None,
    allow_download: bool = True,
) -> Path:
    """A usable path for ``key``: found locally, copied from ../shared, or downloaded."""
    path = locate(key, explicit)
    if path is not None:
        return path
    a = asset(key)
    shared = shared_dir()
    models = source_models_dir()
    if shared is not None and models is not None and (shared / _SHARED_SUBDIR[key] / a.file).is_file():
        dest = models / a.file
        _atomic_copy(shared / _SHARED_SUBDIR[key] / a.file, dest)
        return dest
    if not allow_download:
        raise AssetError(
            f"{a.file} not found. Put it at {user_data_dir() / a.file} (or set {a.env_var}); "
            f"it comes from {a.url}"
        )
    return download(a, user_data_dir() / a.file, progress)


def local_copies(key: str) -> list[Path]:
    """Files that may hold ``key`` without a download, in the order they are tried: the
    places the app looks ($YAMVIEW_MODEL, models/, the user data folder), then ../shared."""
    a = asset(key)
    found = [p for p in candidates(a) if p.is_file()]
    shared = shared_dir()
    if shared is not None and (shared / _SHARED_SUBDIR[key] / a.file).is_file():
        found.append(shared / _SHARED_SUBDIR[key] / a.file)
    return found


def fetch_into(key: str, dest_dir: Path, progress: Progress | None = None) -> Path:
    """Set-up step: make ``dest_dir/<file>`` exist and verified: copied from a verified local
    copy (wherever the offline message says to put one, or ../shared), else downloaded."""
    a = asset(key)
    dest = dest_dir / a.file
    if dest.is_file() and sha256_of(dest) == a.sha256:
        return dest
    for src in local_copies(key):
        if src.resolve() != dest.resolve() and sha256_of(src) == a.sha256:
            _atomic_copy(src, dest)
            return dest
    return download(a, dest, progress)
