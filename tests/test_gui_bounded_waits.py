"""No blocking waits on the GUI thread: a model load that never finishes (a stalled download, a
FIFO given as the model) neither freezes the window nor hangs closing it."""

from __future__ import annotations

import os
import threading
import time

import pytest

pytestmark = pytest.mark.gui

from yamview.gui.app import make_app
from yamview.gui.main_window import MainWindow
from yamview.gui.settings import Settings


@pytest.fixture()
def window(qapp, qtbot, tmp_path):
    make_app()

    def make(model_path: str = ""):
        settings = Settings(tmp_path / "w.ini")
        settings.set("model/path", model_path)
        w = MainWindow(settings, output_device="none")
        qtbot.addWidget(w)
        w.show()
        return w

    return make


def test_closing_while_the_model_download_is_stalled_is_bounded(window, qtbot, monkeypatch):
    from yamview.gui import worker

    release = threading.Event()
    entered = threading.Event()
    real = worker.assets.ensure

    def stalled(key, explicit=None, progress=None, allow_download=True):  # a server that stopped sending
        if key != "yamnet":
            return real(key, explicit, progress, allow_download)
        entered.set()
        if progress:
            progress(1_000_000, 4_126_810)
        release.wait(600)
        raise worker.assets.AssetError("stalled")

    monkeypatch.setattr(worker.assets, "ensure", stalled)
    try:
        w = window("")
        qtbot.waitUntil(entered.is_set, timeout=10000)
        qtbot.waitUntil(lambda: "Downloading the model: 1.0 of 4.1 MB" in w.status_label.text(), timeout=10000)
        assert w.model_info is None
        t0 = time.monotonic()
        w.close()  # once: BlockingQueuedConnection waited for the worker stuck in the load
        assert time.monotonic() - t0 < 10.0
    finally:
        release.set()


def test_a_fifo_as_the_model_is_refused_at_once(window, qtbot, tmp_path):
    fifo = tmp_path / "model.tflite"
    os.mkfifo(fifo)
    w = window(str(fifo))
    qtbot.waitUntil(lambda: "FIFO" in w.message(), timeout=20000)
    assert "it is a FIFO (named pipe), not a regular file" in w.message()
    t0 = time.monotonic()
    w.close()
    assert time.monotonic() - t0 < 10.0
