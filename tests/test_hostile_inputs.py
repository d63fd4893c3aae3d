"""Bad and hostile inputs -> one clear line each, through the real command line.

Each row: what the user runs (files are made in a temporary folder at run time), the exit code,
and the part of the one-line message it must print. Nothing may print a traceback, and no line
may echo kilobytes of the hostile input back. Runs without root; rows that need a non-root
user re-run themselves as ``nobody`` when the suite runs as root.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from tflite_builder import tiny_classifier

from yamview.cli import main
from yamview.core import assets, cache
from yamview.core.limits import MAX_MODEL_BYTES, MAX_TEXT_BYTES

MAX_LINE = 400  # no message line may be longer (a 50 MB label line must not be echoed)


def wav_with_rate(path: Path, rate: int, seconds: float = 1.0) -> Path:
    """A PCM16 WAV whose header claims ``rate`` (written by hand: libsndfile refuses to write it)."""
    n = max(1, int(16000 * seconds))
    data = (np.sin(np.arange(n) / 3) * 8000).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def labels_with(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def truncated_wav(tmp: Path, audio_dir: Path) -> Path:
    data = (audio_dir / "speech.wav").read_bytes()
    p = tmp / "cut.wav"
    p.write_bytes(data[: len(data) // 2])
    return p


def one_sample_48k(tmp: Path) -> Path:
    p = tmp / "one.wav"
    sf.write(p, np.full(1, 0.5, np.float32), 48000)
    return p


# (id, args builder (tmp, audio_dir) -> argv, exit code, message part)
CASES = [
    ("model is /dev/zero",
     lambda t, a: ["classify", "--model", "/dev/zero", a / "speech.wav"], 1,
     "cannot load model: cannot read model /dev/zero: it is a character device, not a regular file"),
    ("model is a FIFO (no hang)",
     lambda t, a: ["classify", "--model", fifo(t / "m.tflite"), a / "speech.wav"], 1,
     "it is a FIFO (named pipe), not a regular file"),
    ("model over the size limit",
     lambda t, a: ["classify", "--model", sparse(t / "big.tflite", MAX_MODEL_BYTES + 1), a / "speech.wav"], 1,
     "MiB limit for a model"),
    ("model is a folder",
     lambda t, a: ["classify", "--model", t, a / "speech.wav"], 1, "it is a folder"),
    ("labels are /dev/zero",
     lambda t, a: ["analyze", a / "speech.wav", "--no-cache", "--labels", "/dev/zero"], 1,
     "/dev/zero: it is a character device, not a regular file"),
    ("labels are a FIFO (no hang)",
     lambda t, a: ["analyze", a / "speech.wav", "--no-cache", "--labels", fifo(t / "l.txt")], 1,
     "it is a FIFO (named pipe), not a regular file"),
    ("labels over the size limit",
     lambda t, a: ["analyze", a / "speech.wav", "--no-cache", "--labels", sparse(t / "l.txt", MAX_TEXT_BYTES + 1)],
     1, "MiB limit for a text file"),
    ("a 1 MB label line is not echoed",
     lambda t, a: ["analyze", a / "speech.wav", "--no-cache", "--labels",
                   labels_with(t / "l.txt", "0\t1\tSpeech\n" + "9" * 1_000_000 + "\n")], 1,
     "line 2: the line has 1000000 characters, more than 65536"),
    ("a long bad time cell is shortened",
     lambda t, a: ["analyze", a / "speech.wav", "--no-cache", "--labels",
                   labels_with(t / "l.txt", "x" * 5000 + "\t1\tSpeech\n")], 1,
     "start time 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (5000 characters)'"),
    ("mapping is /dev/zero",
     lambda t, a: ["analyze", a / "speech.wav", "--no-cache", "--labels",
                   labels_with(t / "l.txt", "0\t1\tSpeech\n"), "--mapping", "/dev/zero"], 1,
     "it is a character device"),
    ("thresholds are a FIFO",
     lambda t, a: ["analyze", a / "speech.wav", "--no-cache", "--thresholds", fifo(t / "thr.csv")], 1,
     "it is a FIFO (named pipe)"),
    ("WAV header claims 1 Hz",
     lambda t, a: ["classify", wav_with_rate(t / "slow.wav", 1)], 1,
     "its header gives a sample rate of 1 Hz, outside 1000–768000 Hz"),
    ("WAV header claims 999 Hz",
     lambda t, a: ["analyze", wav_with_rate(t / "slow.wav", 999), "--no-cache"], 1,
     "sample rate of 999 Hz, outside"),
    ("WAV header claims 2 MHz",
     lambda t, a: ["classify", wav_with_rate(t / "fast.wav", 2_000_000)], 1,
     "sample rate of 2000000 Hz, outside"),
    ("audio is a FIFO (no hang)",
     lambda t, a: ["classify", fifo(t / "a.wav")], 1, "it is a FIFO (named pipe), not a regular file"),
    ("audio is a /proc file",
     lambda t, a: ["classify", "/proc/self/status"], 1, "it has no fixed size (a /proc or /sys file?)"),
    ("audio is a character device",
     lambda t, a: ["classify", "/dev/zero"], 1, "it is a character device, not a regular file"),
    ("audio resamples to nothing (classify)",
     lambda t, a: ["classify", one_sample_48k(t)], 1,
     "cannot classify '{tmp}/one.wav': too short: no audio samples at the model's 16000 Hz"),
    ("audio resamples to nothing (analyze)",
     lambda t, a: ["analyze", one_sample_48k(t), "--no-cache"], 1,
     "cannot analyze '{tmp}/one.wav': too short"),
    ("truncated WAV is analysed with a warning",
     lambda t, a: ["classify", truncated_wav(t, a)], 0,
     "the file is truncated: its header announces 136720 bytes of audio"),
    ("--overlap 99.99 %",
     lambda t, a: ["classify", "--overlap", "99.99", a / "speech.wav"], 2,
     "--overlap: hop must be at least 10 ms"),
    ("--hop 1e9 gives one frame, not one past the end",
     lambda t, a: ["classify", "--hop", "1e9", a / "speech.wav"], 0, None),
    ("model without labels warns once",
     lambda t, a: ["classify", "--model", _tiny(t), "--rate", "16000", a / "speech.wav"], 0,
     "warning: tiny.tflite has no label file; classes are numbered"),
    ("--labels-file is /dev/zero",
     lambda t, a: ["classify", "--model", _tiny(t), "--rate", "16000", "--labels-file", "/dev/zero",
                   a / "speech.wav"], 1, "/dev/zero: it is a character device, not a regular file"),
    ("--labels-file is a FIFO (no hang)",
     lambda t, a: ["classify", "--model", _tiny(t), "--rate", "16000", "--labels-file", fifo(t / "n.txt"),
                   a / "speech.wav"], 1, "it is a FIFO (named pipe), not a regular file"),
    ("model with a zip bomb appended is refused, bounded",
     lambda t, a: ["classify", "--model", _bombed(t), a / "speech.wav"], 1,
     "the model's packed file 'yamnet_label_list.txt.bak' is 536,870,912 bytes"),
    ("model with a zip appended keeps its own labels",
     lambda t, a: ["classify", "--model", _appended(t), a / "speech.wav"], 0, None),
    ("$YAMVIEW_MODEL names no file",
     lambda t, a: ["classify", a / "speech.wav"], 1,
     "cannot load model: $YAMVIEW_MODEL is set to /nonexistent/yamnet.tflite, which is not a file"),
]
CASES += [  # exports: what sits at the target path is never destroyed (inputs are copies here)
    ("--export-csv with an empty path",
     lambda t, a: ["analyze", _copy(t, a), "--no-cache", "--export-csv", ""], 2,
     "--export-csv needs a path (or - for standard output)"),
    ("export onto the input audio file",
     lambda t, a: ["analyze", _copy(t, a), "--no-cache", "--export-csv", t / "in.wav"], 2,
     "--export-csv {tmp}/in.wav is an input audio file; an export never overwrites an input"),
    ("export onto the --labels file",
     lambda t, a: ["analyze", _copy(t, a), "--no-cache", "--labels", labels_with(t / "l.txt", "0\t1\tSpeech\n"),
                   "--export-audacity", t / "l.txt"], 2, "is the --labels file; an export never overwrites"),
    ("export onto the model",
     lambda t, a: ["analyze", _copy(t, a), "--no-cache", "--model", _tiny(t), "--rate", "16000",
                   "--export-json", t / "tiny.tflite"], 2, "tiny.tflite is the model"),
    ("two exports to one file",
     lambda t, a: ["analyze", _copy(t, a), "--no-cache", "--export-csv", t / "o", "--export-json", t / "o"], 2,
     "is also the path of --export-csv"),
    ("two exports to standard output",
     lambda t, a: ["analyze", _copy(t, a), "--no-cache", "--export-csv", "-", "--export-json", "-"], 2,
     "only one export can go to standard output"),
    ("export into a folder",
     lambda t, a: ["analyze", _copy(t, a), "--no-cache", "--export-csv", t], 2, "is a folder; give a file name"),
]
ENV = {"$YAMVIEW_MODEL names no file": {"YAMVIEW_MODEL": "/nonexistent/yamnet.tflite"}}
ARGPARSE = [  # rejected by argparse itself (SystemExit 2)
    (["classify", "--hop", "inf", "x.wav"], "--hop: must be a finite number of seconds >= 0.01, got inf"),
    (["classify", "--hop", "nan", "x.wav"], "--hop: must be a finite number of seconds >= 0.01, got nan"),
    (["analyze", "x.wav", "--hop", "-1"], "--hop: must be a finite number of seconds >= 0.01, got -1"),
    (["classify", "--overlap", "100", "x.wav"], "overlap must be in [0, 100) %"),
]


def _copy(tmp: Path, audio_dir: Path) -> Path:
    p = tmp / "in.wav"
    if not p.exists():
        shutil.copy(audio_dir / "speech.wav", p)
    return p


def _tiny(tmp: Path) -> Path:
    p = tmp / "tiny.tflite"
    p.write_bytes(tiny_classifier(window=8000, classes=4))
    return p


def _appended(tmp: Path) -> Path:
    """YAMNet with a second archive appended, holding another (wrong) label list."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("other_labels.txt", "\n".join(f"bogus {i}" for i in range(521)))
    p = tmp / "appended.tflite"
    p.write_bytes(assets.ensure("yamnet", allow_download=False).read_bytes() + buf.getvalue())
    return p


def _bombed(tmp: Path) -> Path:
    """YAMNet with a second zip appended whose label file inflates to 512 MiB."""
    from yamview.core import assets as a

    buf = io.BytesIO()
    block = b"A" * (1 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("yamnet_label_list.txt.bak", "w", force_zip64=True) as f:
        for _ in range(512):
            f.write(block)
    p = tmp / "bombed.tflite"
    p.write_bytes(a.ensure("yamnet", allow_download=False).read_bytes() + buf.getvalue())
    return p


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_one_clear_line(case, tmp_path, audio_dir, capsys, monkeypatch):
    name, build, code, message = case
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    for key, value in ENV.get(name, {}).items():
        monkeypatch.setenv(key, value)
    argv = [str(x) for x in build(tmp_path, audio_dir)]
    got = main(argv)
    out, err = capsys.readouterr()
    assert got == code, (name, err)
    assert "Traceback" not in err
    assert all(len(line) < MAX_LINE for line in err.splitlines()), err[:2000]
    if message is not None:
        expected = message.format(tmp=tmp_path)
        assert expected in err, err
        assert err.count(expected) == 1, "said once, not twice"
        assert len([l for l in err.splitlines() if expected in l]) == 1
    if name.startswith("--hop 1e9"):
        assert "1 frame, hop 1e+09 s" in out
    if name.startswith("export onto"):
        assert (tmp_path / "in.wav").read_bytes() == (audio_dir / "speech.wav").read_bytes()
    if name.startswith("model with a zip appended"):
        assert "Speech" in out and "warning" not in err  # YAMNet's own labels, from its own archive


@pytest.mark.parametrize("argv, message", ARGPARSE, ids=[" ".join(a) for a, _ in ARGPARSE])
def test_nonsense_numbers_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_malformed_manifest_falls_back_with_one_warning(tmp_path, monkeypatch, model_path, audio_dir, capsys,
                                                       caplog):
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"yamnet": [1, 2, 3]}')
    monkeypatch.setattr(assets, "manifest_path", lambda: manifest)
    monkeypatch.setenv("YAMVIEW_MODEL", str(model_path))
    assert assets.asset("yamnet").size == 4126810  # the built-in copy
    code = main(["classify", str(audio_dir / "two_heads.wav")])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    said = [r.getMessage() for r in caplog.records if "manifest" in r.getMessage()]
    assert len(said) == 1 and "manifest.json is malformed (no 'yamnet' entry); using the built-in" in said[0]


def test_unreadable_file_says_permission_denied(tmp_path, audio_dir):
    """libsndfile says "System error."; we say why. As root every file is readable, so the check
    runs in a forked child that drops to the ``nobody`` user first."""
    from yamview.core.audio import AudioError, AudioFile

    target = tmp_path / "secret.wav"
    shutil.copy(audio_dir / "speech.wav", target)
    target.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(AudioError, match="^permission denied$"):
            AudioFile(target)
        return
    tmp_path.chmod(0o755)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                AudioFile(target)
                message = "opened"
            except AudioError as exc:
                message = str(exc)
            os.write(write, message.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as f:
        assert f.read() == "permission denied"


def test_export_to_standard_output(tmp_path, audio_dir, capsys, monkeypatch):
    """`--export-csv -`: the CSV alone on stdout (the report moves to stderr)."""
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    assert main(["analyze", str(audio_dir / "speech.wav"), "--export-csv", "-"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    import re

    frames = int(re.search(r"\(4\.27 s, (\d+) frames", err).group(1))
    assert lines[0].startswith("start_s,centre_s,Speech,") and len(lines) == 1 + frames
    assert "events (" in err and "rank" in err


def test_export_to_dev_stdout_through_a_pipe(tmp_path, audio_dir):
    """/dev/stdout is a pipe here: written as a stream, never replaced by a file."""
    import json
    import subprocess

    env = {**os.environ, cache.ENV_VAR: str(tmp_path / "cache")}
    r = subprocess.run([sys.executable, "-m", "yamview", "analyze", str(audio_dir / "speech.wav"),
                        "--export-json", "/dev/stdout"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads(r.stdout)
    assert doc["format"] == "yamview-analysis" and f"{len(doc['frames'])} frames" in r.stderr


def test_out_of_memory_is_one_line_in_analyze_as_in_classify(tmp_path, audio_dir, capsys, monkeypatch):
    from yamview.core import analysis

    def no_memory(self):
        raise MemoryError()

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(analysis.AnalysisRun, "result", no_memory)
    for command in ("analyze", "classify"):
        code = main([command, str(audio_dir / "two_heads.wav"), "--no-cache"] if command == "analyze"
                     else [command, str(audio_dir / "two_heads.wav")])
        err = capsys.readouterr().err
        assert code == 1 and "Traceback" not in err
        assert f"cannot {command} '{audio_dir / 'two_heads.wav'}': out of memory" in err


def test_an_export_the_format_cannot_hold_is_one_line(tmp_path, audio_dir, capsys, monkeypatch):
    """NaN scores (from a broken model or an old cache) once ended --export-json in a traceback."""
    from yamview.core import export

    def refuses(path, *a, **k):
        raise ValueError("Out of range float values are not JSON compliant")

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(export, "write_json", refuses)
    out = tmp_path / "x.json"
    code = main(["analyze", str(audio_dir / "two_heads.wav"), "--export-json", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and not out.exists()
    assert f"cannot write '{out}': Out of range float values are not JSON compliant" in err


def test_a_model_that_outputs_nan_is_repaired_and_said(tmp_path, audio_dir, model_path, capsys, monkeypatch):
    from yamview.core.model import Model

    real = Model.classify

    def nan_scores(self, frame):
        scores = real(self, frame)
        scores[:3] = np.nan
        return scores

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(Model, "classify", nan_scores)
    out = tmp_path / "x.json"
    code = main(["analyze", str(audio_dir / "two_heads.wav"), "--no-cache", "--export-json", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert "the model returned 3 NaN/Inf scores, set to 0" in err
    import json

    assert json.loads(out.read_text())["frames"][0]["scores"][:3] == [0.0, 0.0, 0.0]
