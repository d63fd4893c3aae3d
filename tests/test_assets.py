"""Finding and fetching the model: search order, copy from ../shared, HTTPS download, sha256."""

from __future__ import annotations

import http.server
import ssl
import threading
from dataclasses import replace

import pytest
import trustme

from yamview.core import assets


def test_manifest_matches_shared_model(model_path, shared):
    a = assets.asset("yamnet")
    assert a.url.startswith("https://") and a.size == 4126810
    assert assets.sha256_of(shared / "models" / "yamnet.tflite") == a.sha256
    assert assets.sha256_of(model_path) == a.sha256


def test_env_var_wins(monkeypatch, model_path, tmp_path):
    copy = tmp_path / "my.tflite"
    copy.write_bytes(model_path.read_bytes())
    monkeypatch.setenv("YAMVIEW_MODEL", str(copy))
    assert assets.ensure("yamnet") == copy


def test_explicit_missing_path_is_an_error(tmp_path):
    with pytest.raises(assets.AssetError, match="not found"):
        assets.ensure("yamnet", explicit=tmp_path / "nope.tflite")


def test_fetch_copies_from_shared(tmp_path):
    path = assets.fetch_into("yamnet", tmp_path)
    assert path == tmp_path / "yamnet.tflite"
    assert assets.sha256_of(path) == assets.asset("yamnet").sha256
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert not list(tmp_path.glob(".*"))  # no temporary left behind


@pytest.fixture()
def https_server(tmp_path, monkeypatch, request):
    """A real HTTPS server on 127.0.0.1 with a throwaway CA that urllib is told to trust."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    root = tmp_path / "www"
    root.mkdir()

    routes: dict = {}  # path -> function(handler): hostile servers for single tests

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def do_GET(self):
            if self.path in routes:
                try:
                    routes[self.path](self)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    pass
                return
            super().do_GET()

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    request.node.routes = routes
    yield f"https://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


def test_download_verifies_and_reports_progress(https_server, tmp_path, model_path):
    url, root = https_server
    (root / "yamnet.tflite").write_bytes(model_path.read_bytes())
    a = replace(assets.asset("yamnet"), url=f"{url}/yamnet.tflite")
    seen = []
    dest = assets.download(a, tmp_path / "dl" / "yamnet.tflite", progress=lambda d, t: seen.append((d, t)))
    assert assets.sha256_of(dest) == a.sha256
    assert seen[-1] == (a.size, a.size) and len(seen) > 10


def test_download_with_wrong_checksum_leaves_nothing(https_server, tmp_path):
    url, root = https_server
    (root / "yamnet.tflite").write_bytes(b"evil bytes" * 1000)
    a = replace(assets.asset("yamnet"), url=f"{url}/yamnet.tflite")
    dest = tmp_path / "dl" / "yamnet.tflite"
    with pytest.raises(assets.AssetError, match="sha256"):
        assets.download(a, dest)
    assert not dest.exists() and not list(dest.parent.iterdir())


def test_offline_download_says_where_to_put_the_file(tmp_path):
    a = replace(assets.asset("yamnet"), url="https://127.0.0.1:9/yamnet.tflite")  # nothing listens
    with pytest.raises(assets.AssetError) as e:
        assets.download(a, tmp_path / "yamnet.tflite", timeout=5)
    text = str(e.value)
    assert "cannot download yamnet.tflite" in text and "Offline?" in text
    assert str(assets.user_data_dir() / "yamnet.tflite") in text and "YAMVIEW_MODEL" in text


def test_plain_http_is_refused(tmp_path):
    a = replace(assets.asset("yamnet"), url="http://example.org/yamnet.tflite")
    with pytest.raises(assets.AssetError, match="non-HTTPS"):
        assets.download(a, tmp_path / "x.tflite")


def _route(request, path, fn):
    request.node.routes[path] = fn


def test_download_is_capped_at_the_manifest_size(https_server, tmp_path, request):
    url, root = https_server
    (root / "big.bin").write_bytes(b"x" * 50_000)

    def no_length(h):  # no Content-Length: the cap must hold while reading
        h.send_response(200)
        h.end_headers()
        for _ in range(100):
            h.wfile.write(b"y" * 10_000)

    _route(request, "/stream.bin", no_length)
    dest = tmp_path / "dl" / "yamnet.tflite"
    a = replace(assets.asset("yamnet"), url=f"{url}/big.bin", size=1000)
    with pytest.raises(assets.AssetError, match="offers 50000 bytes for yamnet.tflite, expected 1000"):
        assets.download(a, dest)
    a = replace(a, url=f"{url}/stream.bin")
    with pytest.raises(assets.AssetError, match="sent more than the 1000 bytes"):
        assets.download(a, dest)
    assert not list(dest.parent.iterdir())


def test_trickling_server_times_out(https_server, tmp_path, request):
    import time

    url, _ = https_server

    def trickle(h):  # a byte every 0.3 s: each read succeeds, the whole never ends
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b"z")
            h.wfile.flush()
            time.sleep(0.3)

    _route(request, "/slow.bin", trickle)
    a = replace(assets.asset("yamnet"), url=f"{url}/slow.bin", size=1000)
    t0 = time.monotonic()
    with pytest.raises(assets.AssetError, match="took longer than 2 s"):
        assets.download(a, tmp_path / "yamnet.tflite", timeout=1.5, min_rate=2000)
    assert time.monotonic() - t0 < 20


def test_redirect_to_plain_http_is_refused(https_server, tmp_path, request):
    url, root = https_server
    (root / "ok.bin").write_bytes(b"fine")

    def to_http(h):
        h.send_response(302)
        h.send_header("Location", "http://127.0.0.1:9/yamnet.tflite")
        h.end_headers()

    def to_https(h):
        h.send_response(302)
        h.send_header("Location", f"{url}/ok.bin")
        h.end_headers()

    _route(request, "/downgrade", to_http)
    _route(request, "/moved", to_https)
    a = replace(assets.asset("yamnet"), url=f"{url}/downgrade")
    with pytest.raises(assets.AssetError, match="refusing a redirect to a non-HTTPS URL"):
        assets.download(a, tmp_path / "yamnet.tflite")
    import hashlib

    a = replace(a, url=f"{url}/moved", size=4, sha256=hashlib.sha256(b"fine").hexdigest())
    assert assets.download(a, tmp_path / "yamnet.tflite").read_bytes() == b"fine"


def test_stale_temporaries_of_killed_downloads_are_removed(https_server, tmp_path, model_path):
    import os
    import time

    from yamview.core import files

    url, root = https_server
    (root / "yamnet.tflite").write_bytes(model_path.read_bytes())
    folder = tmp_path / "dl"
    folder.mkdir()
    old = time.time() - 2 * files.STALE_TEMP_SECONDS
    stale = [folder / ".yamnet.tflite.k1ll3d.tmp", folder / ".yamnet.tflite.0ld.part"]
    for p in stale:
        p.write_bytes(b"x" * 1000)
        os.utime(p, (old, old))
    running = folder / ".yamnet.tflite.n0w.tmp"  # another download in progress: kept
    running.write_bytes(b"x")
    a = replace(assets.asset("yamnet"), url=f"{url}/yamnet.tflite")
    assets.download(a, folder / "yamnet.tflite")
    assert sorted(p.name for p in folder.iterdir()) == [running.name, "yamnet.tflite"]


def test_env_var_naming_no_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("YAMVIEW_MODEL", str(tmp_path / "typo.tflite"))
    with pytest.raises(assets.AssetError, match=r"\$YAMVIEW_MODEL is set to .*typo.tflite, which is not a file"):
        assets.ensure("yamnet")


@pytest.fixture()
def offline_install(monkeypatch, tmp_path):
    """An installed package (no source models/ folder), no ../shared, no network: only what the
    offline message names can provide the model."""
    monkeypatch.setattr(assets, "source_models_dir", lambda: None)
    monkeypatch.setattr(assets, "shared_dir", lambda: None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("YAMVIEW_MODEL", raising=False)
    monkeypatch.delenv("YAMVIEW_ONTOLOGY", raising=False)

    def no_network(a, dest, *args, **kwargs):
        raise assets.AssetError(f"cannot download {a.file} (offline)")

    monkeypatch.setattr(assets, "download", no_network)
    return tmp_path


def test_offline_message_places_all_work_for_fetch_and_the_app(offline_install, model_path, capsys,
                                                               monkeypatch):
    from yamview.cli import main

    with pytest.raises(assets.AssetError) as e:
        assets.ensure("yamnet", allow_download=False)  # the download's message: test above
    user_copy = assets.user_data_dir() / "yamnet.tflite"
    assert str(user_copy) in str(e.value) and "YAMVIEW_MODEL" in str(e.value)
    # 1. The user data folder, as the message says: the app finds it, fetch reports it.
    user_copy.parent.mkdir(parents=True)
    user_copy.write_bytes(model_path.read_bytes())
    assert assets.ensure("yamnet", allow_download=False) == user_copy
    assert main(["fetch"]) == 0
    out, err = capsys.readouterr()
    assert f"yamnet: {user_copy}" in out and "ontology not fetched" in err  # optional: a warning
    # ... and `fetch --dest` (the bundle build, a source checkout's models/) copies it there.
    assert main(["fetch", "--dest", str(offline_install / "models")]) == 0
    assert assets.sha256_of(offline_install / "models" / "yamnet.tflite") == assets.asset("yamnet").sha256
    # 2. $YAMVIEW_MODEL, the other place the message names.
    user_copy.unlink()
    elsewhere = offline_install / "elsewhere" / "yamnet.tflite"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(model_path.read_bytes())
    monkeypatch.setenv("YAMVIEW_MODEL", str(elsewhere))
    assert assets.ensure("yamnet", allow_download=False) == elsewhere
    assert main(["fetch", "--dest", str(offline_install / "models2")]) == 0
    assert (offline_install / "models2" / "yamnet.tflite").read_bytes() == model_path.read_bytes()


def test_fetch_without_any_copy_fails_and_says_where_to_put_it(offline_install, capsys):
    from yamview.cli import main

    assert main(["fetch"]) == 1
    err = capsys.readouterr().err
    assert "cannot fetch yamnet" in err and "offline" in err


def test_a_damaged_copy_is_not_taken(offline_install, capsys):
    """A truncated file in the user data folder is neither copied nor reported as fetched."""
    from yamview.cli import main

    user_copy = assets.user_data_dir() / "yamnet.tflite"
    user_copy.parent.mkdir(parents=True)
    user_copy.write_bytes(b"truncated")
    assert main(["fetch", "--dest", str(offline_install / "models")]) == 1
    assert not (offline_install / "models" / "yamnet.tflite").exists()
