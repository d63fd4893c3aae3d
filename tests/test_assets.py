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
def https_server(tmp_path, monkeypatch):
    """A real HTTPS server on 127.0.0.1 with a throwaway CA that urllib is told to trust."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
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
