"""Live sources with real files, real time and a real (virtual) capture device; no mocks."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from yamview.core.audio import AudioError, AudioFile
from yamview.sources import DeviceError, FilePlayback, Microphone, devices

RATE = 16000


def wait_for(condition, timeout: float, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def in_thread(function, *args, **kwargs) -> threading.Thread:
    """Run ``function`` in a daemon thread; its return value ends up in ``thread.result``."""
    thread = threading.Thread(daemon=True)
    thread.result = None
    thread.run = lambda: setattr(thread, "result", function(*args, **kwargs))
    thread.start()
    return thread


def align(got: np.ndarray, ref: np.ndarray) -> tuple[int, float]:
    """(lag, correlation): got[lag + i] best matches ref[i]; Pearson r over the overlap."""
    n = 1 << int(np.ceil(np.log2(len(got) + len(ref))))
    xc = np.fft.irfft(np.fft.rfft(got, n) * np.conj(np.fft.rfft(ref, n)), n)
    lags = np.r_[np.arange(len(got)), np.arange(-len(ref) + 1, 0)]
    values = np.r_[xc[: len(got)], xc[n - len(ref) + 1 :]]
    lag = int(lags[np.argmax(values)])
    a, b = (got[lag:], ref) if lag >= 0 else (got, ref[-lag:])
    m = min(len(a), len(b))
    return lag, float(np.corrcoef(a[:m], b[:m])[0, 1])


def find(got: np.ndarray, piece: np.ndarray) -> tuple[int, float]:
    """(lag, r): where in ``got`` the short ``piece`` fits best, by Pearson r at every lag."""
    m = len(piece)
    if len(got) < m:
        return 0, 0.0
    p = (piece - piece.mean()) / (piece.std() * m)
    n = 1 << int(np.ceil(np.log2(len(got) + m)))
    dot = np.fft.irfft(np.fft.rfft(got, n) * np.conj(np.fft.rfft(p, n)), n)[: len(got) - m + 1]
    c1 = np.concatenate([[0.0], np.cumsum(got, dtype=np.float64)])
    c2 = np.concatenate([[0.0], np.cumsum(got.astype(np.float64) ** 2)])
    mean = (c1[m:] - c1[:-m]) / m
    std = np.sqrt(np.maximum((c2[m:] - c2[:-m]) / m - mean**2, 1e-12))
    r = dot / std  # piece is zero-mean, so got's local mean drops out of the dot product
    lag = int(np.argmax(r))
    return lag, float(r[lag])


def heard_in_order(got: np.ndarray, ref: np.ndarray, rate: int = RATE, seconds: float = 0.25) -> float:
    """Share of ``ref``'s audible stretches that ``got`` (a recording of ``ref`` played through a
    sound server) holds in the same order, each found at its own lag with r > 0.8.

    Measured per stretch because a loaded server may drop or repeat a block, which shifts
    everything after it (one lag for the whole clip then fits only part of it), and at 4 kHz
    because the device chain's resampling delays the audio by a fraction of a sample, which
    lowers r on sibilants at 16 kHz. Measured on clean runs: r 0.9-1.0 per stretch (the
    server's own resampler costs up to 0.1); a stretch of noise or of other audio reaches ~0.15.
    Wrong, silent, reversed or 10 % mis-paced audio scores 0, a 0.2 s dropout ~0.86.
    """
    import soxr

    got = soxr.resample(got, rate, 4000)
    ref = soxr.resample(ref, rate, 4000)
    n = int(seconds * 4000)
    found = []  # where in got each recognised stretch starts
    audible = 0
    for start in range(0, len(ref) - n + 1, n):
        piece = ref[start : start + n]
        if piece.std() < 0.01:  # a pause: nothing to recognise
            continue
        audible += 1
        at, r = find(got, piece)
        if r > 0.8:
            found.append(at)
    # In order: each stretch found after the one before it (a dropout only moves it closer).
    ordered = sum(1 for a, b in zip(found, found[1:]) if b > a)
    return (1 + ordered) / audible if found else 0.0


@pytest.fixture(scope="module")
def speech(audio_dir):
    path = audio_dir / "speech.wav"
    return path, AudioFile(path).read(RATE)


def test_clock_paced_playback_lands_in_the_ring_in_real_time(speech):
    path, ref = speech
    states, finished = [], []
    src = FilePlayback(path, RATE, output_device="none", on_state=states.append,
                       on_finished=lambda: finished.append(time.monotonic()))
    assert src.duration == pytest.approx(len(ref) / RATE, abs=1e-3)
    t0 = time.monotonic()
    src.start()
    assert src.running and src.output is None
    time.sleep(2.0)
    elapsed, streamed = time.monotonic() - t0, src.stream_time
    assert streamed == pytest.approx(elapsed, rel=0.15)
    assert src.position == pytest.approx(streamed, abs=0.1)
    assert wait_for(lambda: src.finished, src.duration + 2.0)
    assert time.monotonic() - t0 == pytest.approx(src.duration, rel=0.15)
    assert len(finished) == 1 and states == ["running", "finished"]
    assert not src.running and src.error is None
    # 16 kHz file into a 16 kHz ring: every sample, bit for bit, nothing lost, nothing added.
    assert src.ring.total == len(ref)
    np.testing.assert_array_equal(src.ring.latest(len(ref)), ref)
    assert src.position == pytest.approx(src.duration)
    assert src.level.peak_db < 0 and src.overflows == 0


def test_sources_carry_their_capabilities(audio_dir):
    """What the GUI asks instead of a source's type: a file seeks, pauses, loops and has a length
    and a position; a microphone has none of these (None, False, NotImplementedError)."""
    mic = Microphone(None, 16000)
    assert (mic.seekable, mic.pausable, mic.loopable) == (False, False, False)
    assert mic.duration is None and mic.position is None and mic.path is None
    assert not mic.paused and not mic.finished and not mic.loop
    for call in (mic.pause, mic.resume, lambda: mic.seek(1.0)):
        with pytest.raises(NotImplementedError, match="cannot"):
            call()
    speech = audio_dir / "speech.wav"
    src = FilePlayback(speech, 16000, output_device="none")
    assert (src.seekable, src.pausable, src.loopable) == (True, True, True)
    assert src.path == speech and src.duration == pytest.approx(AudioFile(speech).duration())
    src.seek(1.0)
    assert src.position == pytest.approx(1.0)


def test_44k_files_land_at_16k_mono(corpus_dir):
    # ESC-10 clips are 44.1 kHz mono; the librosa robin is 44.1 kHz stereo. Played together.
    paths = [sorted((corpus_dir / "esc10").glob("001_Dog_bark*.ogg"))[0],
             corpus_dir / "librosa" / "456440__inspectorj__bird-whistling-robin-single-13.hq.ogg"]
    sources = [FilePlayback(p, RATE, output_device="none") for p in paths]
    for src in sources:
        assert src.file.rate == 44100
        src.start()
    assert [s.channels for s in sources] == [1, 2]
    for src, path in zip(sources, paths):
        assert wait_for(lambda: src.finished, src.duration + 2.0), path.name
        ref = AudioFile(path).read(RATE)
        # Same downmix and soxr stream as the offline reader; soxr's output does not depend on
        # how the input is chunked (measured: identical), so the ring equals the offline read.
        assert src.ring.total == len(ref), path.name
        got = src.ring.latest(src.ring.total)
        lag, r = align(got, ref)
        assert lag == 0 and r > 0.99, (path.name, lag, r)
        np.testing.assert_allclose(got, ref, atol=1e-5)


def test_pause_resume_and_seek_without_stale_audio(speech):
    path, ref = speech
    states = []
    src = FilePlayback(path, RATE, output_device="none", on_state=states.append)
    src.start()
    time.sleep(0.5)
    src.pause()
    assert src.paused and states[-1] == "paused"
    time.sleep(0.1)  # the pump drains what was played before the pause
    frozen, where = src.stream_time, src.position
    time.sleep(0.5)
    assert src.stream_time == frozen and src.position == where and src.running
    src.resume()
    time.sleep(0.3)
    assert src.stream_time > frozen + 0.2

    src.seek(3.0)
    assert src.position == pytest.approx(3.0)
    assert wait_for(lambda: src.position > 3.1, 1.0)
    assert wait_for(lambda: src.finished, 3.0)
    # Everything after the seek point is the file from 3.0 s on: no queued pre-seek audio
    # played after it (the first part of the file would show up right before the end).
    tail = len(ref) - 3 * RATE
    np.testing.assert_array_equal(src.ring.latest(tail), ref[-tail:])
    assert src.stream_time < 0.8 + 1.5 + len(ref) / RATE - 3.0  # did not play the rest twice


def test_loop_wraps_and_turning_it_off_ends_the_current_lap(audio_dir):
    path = audio_dir / "two_heads.wav"  # 0.97 s, so the reader is always a lap ahead
    ref = AudioFile(path).read(RATE)
    finished = []
    src = FilePlayback(path, RATE, output_device="none", loop=True, on_finished=lambda: finished.append(1))
    src.start()
    assert wait_for(lambda: src.stream_time > 2.3, 4.0)
    assert src.running and not src.finished and src.position < src.duration
    laps = src.ring.latest(2 * len(ref))  # seamless: sample k equals sample k + one file length
    np.testing.assert_array_equal(laps[: len(ref)], laps[len(ref) :])
    src.loop = False
    played = src.stream_time
    assert wait_for(lambda: src.finished, src.duration + 1.0)
    assert finished == [1]
    assert src.stream_time - played <= src.duration + 0.05  # the queued next lap was dropped
    np.testing.assert_array_equal(src.ring.latest(len(ref) // 2), ref[-(len(ref) // 2) :])


def test_level_clipping_repairs_and_restart(tmp_path):
    import soundfile as sf

    square = np.where(np.arange(4800) % 40 < 20, 1.0, -1.0).astype(np.float32)  # 0.3 s, full scale
    square[100:110] = np.nan
    path = tmp_path / "square.wav"
    sf.write(path, square, RATE, subtype="FLOAT")
    states = []
    src = FilePlayback(path, RATE, output_device="none", on_state=states.append)
    src.start()
    assert wait_for(lambda: src.finished, 2.0)
    assert src.level.clipped == 4800 - 10
    assert src.level.peak_db == pytest.approx(0.0, abs=0.01)
    assert src.level.rms_db == pytest.approx(0.0, abs=0.01)
    assert src.report.nonfinite == 10 and np.isfinite(src.ring.latest(4800)).all()
    src.start()  # after the end: plays again from the start, the ring keeps counting
    assert src.position < 0.1
    assert wait_for(lambda: src.finished, 2.0)
    assert src.ring.total == 2 * 4800 and states == ["running", "finished"] * 2


def test_long_file_is_decoded_ahead_in_a_bounded_buffer(corpus_dir):
    path = corpus_dir / "librosa" / "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg"  # 133 s stereo
    src = FilePlayback(path, RATE, output_device="none")
    src.start()
    time.sleep(0.3)
    bound = int(src.ahead_seconds * src.file.rate) + src.decode_frames
    assert 0 < src._queued <= bound  # ~1 s queued, not 133 s
    src.stop()
    where = src.position
    assert 0.2 < where < 0.5 and not src.finished
    src.seek(120.0)
    src.start()  # continues from the position it was given
    assert wait_for(lambda: src.position > 120.05, 1.0)
    src.stop()


def test_bad_files_give_audio_errors_with_reasons(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        FilePlayback(tmp_path / "missing.wav", RATE)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio" * 10)
    with pytest.raises(AudioError, match="not a supported audio format"):
        FilePlayback(junk, RATE)


def test_device_queries_never_raise():
    assert isinstance(devices.list_input_devices(), list)
    assert isinstance(devices.list_output_devices(), list)
    assert devices.find_input_device("no such device 7f3a") is None
    default = devices.default_input_device()
    assert default is None or default.max_channels > 0


def test_without_portaudio_files_still_play(audio_dir):
    # A machine without libportaudio: sounddevice cannot load. Simulated in a fresh process
    # (this one has PortAudio loaded already) by making its import fail.
    script = f"""
import sys; sys.modules["sounddevice"] = None
from yamview.sources import DeviceError, FilePlayback, Microphone, devices
assert devices.list_input_devices() == [] and devices.default_input_device() is None
assert devices.list_output_devices() == [] and devices.find_input_device("pulse") is None
try:
    Microphone(None, 16000).start()
except DeviceError as exc:
    assert "audio system unavailable" in str(exc), exc
else:
    raise SystemExit("no DeviceError")
src = FilePlayback({str(audio_dir / "two_heads.wav")!r}, 16000)
src.start()
assert src.output is None  # clock-paced
src.stop()
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_missing_microphone_is_a_clear_device_error():
    mic = Microphone("no such device 7f3a", RATE)
    with pytest.raises(DeviceError) as info:
        mic.start()
    message = str(info.value)
    assert "no input device found" in message or "'no such device 7f3a' not found" in message
    assert not mic.running


def test_microphone_hears_what_pulseaudio_plays(pulse, speech, model):
    path, ref = speech
    errors = []
    mic = Microphone("pulse", RATE, on_error=errors.append)
    mic.start()
    try:
        assert mic.device.name == "pulse" and mic.native_rate > 0
        assert wait_for(lambda: mic.stream_time > 0.2, 2.0), "no audio from the null sink"
        begin, t0, s0 = mic.ring.total, time.monotonic(), mic.stream_time
        player = pulse.play(path)
        peak = -120.0
        frame = None
        while player.poll() is None:
            time.sleep(0.05)
            peak = max(peak, mic.level.peak_db)
            if frame is None and time.monotonic() - t0 > 2.5:  # mid-sentence
                frame = mic.ring.latest(model.window).copy()
        assert player.returncode == 0, player.stderr.read()
        # The server's buffers still hold the tail: wait until the monitor delivered more.
        s1 = mic.stream_time
        assert wait_for(lambda: mic.stream_time > s1 + 0.5, 10.0)
        # Paced by the device: as much audio as wall time (a loaded machine delays both).
        assert (mic.stream_time - s0) == pytest.approx(time.monotonic() - t0, rel=0.15)
        captured = mic.ring.window(mic.ring.total, mic.ring.total - begin).copy()
    finally:
        mic.stop()
    assert errors == [] and mic.error is None
    heard = heard_in_order(captured, ref)
    assert heard >= 0.75, f"captured audio does not match speech.wav ({heard:.0%} of it heard in order)"
    assert peak > -30
    top = model.classes[int(np.argmax(model.classify(frame)))]
    assert top == "Speech"


def test_playback_through_an_output_device(pulse, speech):
    # Played through PulseAudio's null sink and recorded from its monitor at the same time:
    # the OutputStream path paces itself, and what it captured is what the device heard.
    path, ref = speech
    mic = Microphone("pulse", RATE)
    mic.start()
    src = FilePlayback(path, RATE, output_device="pulse")
    try:
        assert wait_for(lambda: mic.stream_time > 0.1, 2.0)
        begin, t0 = mic.ring.total, time.monotonic()
        src.start()
        assert src.output is not None and src.output.name == "pulse"
        assert wait_for(lambda: src.finished, src.duration + 10.0)
        # Paced by the device, not faster (a loaded machine may make it finish a little late).
        assert src.duration * 0.95 < time.monotonic() - t0 < src.duration + 5.0
        s1 = mic.stream_time  # the server's buffers still hold the tail
        assert wait_for(lambda: mic.stream_time > s1 + 0.5, 10.0)
        recorded = mic.ring.window(mic.ring.total, mic.ring.total - begin).copy()
    finally:
        src.stop()
        mic.stop()
    assert src.error is None and src.ring.total == len(ref)
    np.testing.assert_array_equal(src.ring.latest(len(ref)), ref)
    heard = heard_in_order(recorded, ref)
    assert heard >= 0.75, f"the device did not play speech.wav ({heard:.0%} of it heard in order)"


def test_microphone_reports_a_dead_sound_server(pulse):
    errors, states = [], []
    mic = Microphone("pulse", RATE, on_error=errors.append, on_state=states.append)
    mic.start()
    assert wait_for(lambda: mic.stream_time > 0.1, 2.0)
    pulse.signal_server(signal.SIGKILL)
    # Measured: PortAudio ends the stream within ms of the server dying (finished_callback).
    assert wait_for(lambda: errors, 3.0), "no error reported"
    assert wait_for(lambda: states[-1] == "error", 1.0)
    assert not mic.running and mic.error == errors[0]
    assert "stopped" in mic.error and "pulse" in mic.error
    # Re-reading the device list while the dead stream is being released must wait for that
    # release, not run into it (terminating PortAudio mid-close deadlocked here).
    assert devices.rescan(timeout=30), "rescan still waiting for the dead stream's release"
    assert mic.stop(timeout=10)


def test_microphone_reports_a_frozen_device(pulse):
    # A frozen server (SIGSTOP) never errors: the stream just stops delivering. The pump's
    # watchdog turns that silence into an error after stall_timeout.
    errors = []
    mic = Microphone("pulse", RATE, on_error=errors.append)
    mic.start()
    try:
        assert wait_for(lambda: mic.stream_time > 0.1, 2.0)
        pulse.signal_server(signal.SIGSTOP)
        assert wait_for(lambda: errors, mic.stall_timeout + 2.0), "stall not detected"
        assert errors[0] == "input device stopped delivering audio"
        assert not mic.running  # reported at once, although the frozen stream cannot close yet
        # Releasing the frozen stream blocks until the server wakes. A rescan meanwhile (it
        # terminates PortAudio) must wait for that release instead of running into it ...
        waiting = in_thread(devices.rescan)
        time.sleep(0.5)
        assert waiting.is_alive(), "rescan went ahead while a stream was still being released"
        # ... and one with a timeout gives up (the GUI's refresh never blocks on this).
        quick = in_thread(devices.rescan, timeout=0)
        quick.join(5)
        assert not quick.is_alive() and quick.result is False
    finally:
        pulse.signal_server(signal.SIGCONT)
        assert mic.stop(timeout=10), "stream not released after the server woke up"
    waiting.join(10)
    assert not waiting.is_alive() and waiting.result is True


def test_rescan_closes_streams_left_open_and_their_sources_report_it(pulse):
    # PortAudio's terminate frees every open stream; rescan() closes them first, in order, so
    # the source sees its stream end (an error it reports) and its own later close is harmless.
    errors = []
    mic = Microphone("pulse", RATE, on_error=errors.append)
    mic.start()
    assert wait_for(lambda: mic.stream_time > 0.1, 2.0)
    assert devices.rescan(timeout=30)
    assert wait_for(lambda: errors, 3.0), "the source did not notice its stream was closed"
    assert "stopped" in errors[0] and not mic.running
    assert mic.stop(timeout=10)
    assert devices.find_input_device("pulse") is not None  # re-initialised, still listed


def test_a_pump_stall_is_counted_as_lost_audio_not_blamed_on_the_clock(audio_dir):
    """A 3.5 s stall of the pump (a busy machine) silently lost ~1.5 s of audio and was reported
    as "playback clock stalled": now the loss is counted and the source keeps running."""
    errors = []
    src = FilePlayback(audio_dir / "meow_16k.wav", RATE, output_device="none", capture_seconds=1.0,
                       on_error=errors.append)
    real = src._pump_once
    stalled = []

    def slow_once():
        if not stalled and src.stream_time > 0.3:
            stalled.append(True)
            time.sleep(3.5)  # the pump thread is held up; the clock keeps producing
        real()

    src._pump_once = slow_once
    src.start()
    try:
        assert wait_for(lambda: stalled and src.stream_time > 4.0, 20.0), "playback did not go on"
        assert errors == [] and src.running
        assert src.pump_stalls == 1 and src.longest_pump_stall > 3.0
        assert src.overflows > 0
        assert 1.5 < src.dropped_seconds < 3.5  # the FIFO held the first ~1 s of the stall
        text = src.losses()
        assert text.startswith(f"lost {src.dropped_seconds:.1f} s of audio ({src.overflows} blocks")
        assert "processing stalled for up to 3." in text
    finally:
        src.stop(timeout=10)


def test_no_losses_no_message(audio_dir):
    src = FilePlayback(audio_dir / "two_heads.wav", RATE, output_device="none")
    src.start()
    try:
        assert wait_for(lambda: src.stream_time > 0.5, 10.0)
        assert src.overflows == 0 and src.losses() == ""
    finally:
        src.stop(timeout=10)
