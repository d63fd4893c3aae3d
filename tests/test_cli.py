"""`yamview classify`: output formats, exit codes, and every bad input from the issue."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tflite_builder import image_like_model
from yamview.cli import COMMANDS, main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_top_by_mean_and_max(capsys, audio_dir):
    code, out, err = run(capsys, "classify", str(audio_dir / "speech.wav"), "--top", "3")
    assert code == 0, err
    lines = out.splitlines()
    assert "8 frames" in lines[0] and "hop 0.4875 s" in lines[0]
    rank, mean, name = lines[2].split()[:3]
    assert (rank, name) == ("1", "Speech") and float(mean) > 0.9
    assert len([l for l in lines if l.strip().startswith(("1 ", "2 ", "3 "))]) == 3


def test_json_per_frame_reference_kernels(capsys, audio_dir):
    code, out, _ = run(capsys, "classify", str(audio_dir / "speech.wav"), "--format", "json",
                       "--per-frame", "--kernels", "reference", "--hop", "0.975", "--top", "3")
    assert code == 0
    [item] = json.loads(out)
    assert item["params"]["kernels"] == "reference" and item["frames"] == 5
    first = item["per_frame"][0]
    assert first["start_s"] == 0 and first["top"][0] == {"class": "Speech", "score": 0.917969}
    assert first["top"][1] == {"class": "Inside, small room", "score": 0.058594}
    assert item["top_mean"][0]["class"] == "Speech"


def test_csv_overlap_and_threshold(capsys, audio_dir):
    code, out, _ = run(capsys, "classify", str(audio_dir / "meow_16k.wav"), "--format", "csv",
                       "--overlap", "75", "--threshold", "0.3", "--per-frame")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    frames = {r["frame"] for r in rows if r["kind"] == "frame"}
    assert len(frames) > 0 and all(float(r["score"]) >= 0.3 for r in rows)
    means = [r for r in rows if r["kind"] == "mean"]
    assert means[0]["class"] == "Cat"


def test_csv_defuses_formula_like_file_names(capsys, audio_dir, tmp_path, monkeypatch):
    """A file named like a spreadsheet formula reaches the CSV quoted, as in every CSV we write."""
    import shutil

    shutil.copy(audio_dir / "meow_16k.wav", tmp_path / "=cmd.wav")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "classify", "=cmd.wav", "--format", "csv", "--top", "1")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["file"] for r in rows} == {"'=cmd.wav"}


def test_usage_errors_exit_2(capsys, audio_dir):
    with pytest.raises(SystemExit) as e:
        main(["classify", str(audio_dir / "speech.wav"), "--top", "0"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["classify", "--hop", "0.1", "--overlap", "50", "x.wav"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["classify", str(audio_dir / "speech.wav"), "--hop", "0.001"])
    assert e.value.code == 2 and "--hop: must be a finite number of seconds >= 0.01" in capsys.readouterr().err


def _bad_inputs(tmp, audio_dir):
    """(file, expected message part) for each bad input the issue lists."""
    speech = (audio_dir / "speech.wav").read_bytes()
    (tmp / "folder.wav").mkdir()
    (tmp / "empty.wav").write_bytes(b"")
    sf.write(tmp / "zero.wav", np.zeros(0, np.float32), 16000)
    (tmp / "truncated.wav").write_bytes(speech[:30])
    corrupt = bytearray(speech)
    corrupt[22:24] = b"\x00\x00"  # channel count 0
    (tmp / "corrupt.wav").write_bytes(bytes(corrupt))
    (tmp / "text.wav").write_text("this is a text file renamed to .wav\n" * 50)
    (tmp / "image.xyz").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    return [
        ("missing.wav", "no such file"),
        ("folder.wav", "folder"),
        ("empty.wav", "empty"),
        ("zero.wav", "no audio samples"),
        ("truncated.wav", "No 'data' chunk"),
        ("corrupt.wav", "corrupt header"),
        ("text.wav", "not a supported audio format"),
        ("image.xyz", "not a supported audio format"),
    ]


def test_bad_files_get_one_line_and_the_others_still_run(capsys, tmp_path, audio_dir):
    bad = _bad_inputs(tmp_path, audio_dir)
    good = str(audio_dir / "two_heads.wav")
    args = ["classify", "--format", "json"]
    for name, _ in bad:
        args += [str(tmp_path / name), good]
    code, out, err = run(capsys, *args)
    assert code == 1
    items = json.loads(out)
    assert len(items) == 2 * len(bad)
    for (name, message), item, ok in zip(bad, items[0::2], items[1::2]):
        assert item["file"].endswith(name) and message in item["error"], (name, item)
        assert f"yamview: cannot read '{tmp_path / name}': " in err
        assert ok["top_mean"][0]["class"] == "Animal"  # the good file after it still ran
    assert "Traceback" not in err
    assert len([l for l in err.splitlines() if l.startswith("yamview: cannot read")]) == len(bad)


def test_repaired_inputs_warn_and_run(capsys, tmp_path):
    rate = 16000
    t = np.arange(3 * rate) / rate
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    nan = tone * 0.5
    nan[1000:1010] = np.nan
    nan[2000] = np.inf
    sf.write(tmp_path / "nan.wav", nan, rate, subtype="FLOAT")
    sf.write(tmp_path / "loud.wav", tone * 4, rate, subtype="FLOAT")  # float WAV beyond [-1, 1]
    sf.write(tmp_path / "short.wav", tone[:4000] * 0.5, rate)  # 0.25 s: one padded frame
    sf.write(tmp_path / "k8.wav", soxr_resample(tone * 0.5, rate, 8000), 8000)
    sf.write(tmp_path / "k96.wav", soxr_resample(tone * 0.5, rate, 96000), 96000)
    sf.write(tmp_path / "six.wav", np.repeat((tone * 0.5)[:, None], 6, axis=1), rate)
    files = ["nan.wav", "loud.wav", "short.wav", "k8.wav", "k96.wav", "six.wav"]
    code, out, err = run(capsys, "classify", "--format", "json", *[str(tmp_path / f) for f in files])
    assert code == 0, err
    items = {i["file"].rsplit("/", 1)[-1]: i for i in json.loads(out)}
    assert "11 NaN/Inf samples replaced by silence" in items["nan.wav"]["warnings"]
    assert any("clipped" in w for w in items["loud.wav"]["warnings"])
    assert f"warning: '{tmp_path / 'nan.wav'}': 11 NaN/Inf" in err
    assert items["short.wav"]["frames"] == 1
    for f in ("nan.wav", "k8.wav", "k96.wav", "six.wav"):
        assert items[f]["top_mean"][0]["class"] == "Sine wave", f


def soxr_resample(x, a, b):
    import soxr

    return soxr.resample(x.astype(np.float32), a, b)


@pytest.mark.parametrize(
    "content, message",
    [
        (lambda p: p.write_bytes(b"not a model at all" * 100), "not a TFLite model"),
        (lambda p: p.write_bytes(image_like_model()), "expects input shape [4, 2000]"),
        (lambda p: None, "model file not found"),
    ],
)
def test_bad_models(capsys, tmp_path, audio_dir, content, message):
    p = tmp_path / "m.tflite"
    content(p)
    code, out, err = run(capsys, "classify", "--model", str(p), str(audio_dir / "speech.wav"))
    assert code == 1
    assert message in err and err.startswith("yamview: cannot load model")
    assert "Traceback" not in err


def test_corrupt_model_file(capsys, tmp_path, model_path, audio_dir):
    p = tmp_path / "corrupt.tflite"
    p.write_bytes(model_path.read_bytes()[:100_000])
    code, _, err = run(capsys, "classify", "--model", str(p), str(audio_dir / "speech.wav"))
    assert code == 1 and "cannot load model" in err and "Traceback" not in err


def test_too_many_threads_is_capped(capsys, audio_dir):
    code, out, err = run(capsys, "classify", "--threads", "64", str(audio_dir / "two_heads.wav"))
    assert code == 0 and "more than this machine's" in err


def test_python_m_yamview_entry_point(audio_dir):
    p = subprocess.run([sys.executable, "-m", "yamview", "classify", str(audio_dir / "two_heads.wav"),
                        "--top", "2"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Animal" in p.stdout and p.stderr == ""


def test_progress_bar_only_on_a_terminal(corpus_dir):
    """A long file shows a progress bar on stderr when stderr is a terminal, and none otherwise."""
    import os
    import pty

    long_clip = str(corpus_dir / "librosa" / "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg")  # 133 s
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "yamview", "classify", long_clip, "--top", "1"],
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out, _ = p.communicate(timeout=60)
    os.close(master)
    tty_err = b"".join(chunks).decode(errors="replace")
    assert p.returncode == 0 and b"Music" in out
    assert "100%" in tty_err and "[" in tty_err and "#" in tty_err
    piped = subprocess.run([sys.executable, "-m", "yamview", "classify", long_clip, "--top", "1"],
                           capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and "%" not in piped.stderr


def test_typo_in_a_command_is_suggested(capsys):
    code, _, err = run(capsys, "clasify", "x.wav")
    assert code == 2 and "did you mean 'classify'?" in err


def test_no_display_is_said_plainly(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    code, _, err = run(capsys)
    assert code == 1 and "no display found" in err and "yamview classify" in err


def test_output_cut_short_by_a_pipe_is_quiet(corpus_dir):
    clip = str(corpus_dir / "librosa" / "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg")
    p = subprocess.run(f"'{sys.executable}' -m yamview classify '{clip}' --per-frame --format csv | head -2",
                       shell=True, capture_output=True, text=True, timeout=60)
    assert len(p.stdout.splitlines()) == 2
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_help_shows_its_own_usage_and_debug(capsys, command):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0
    assert out.startswith(f"usage: yamview {command} [-h]"), out.splitlines()[0]
    assert "COMMAND [options]" not in out
    assert "--debug  " in out or "--debug\n" in out  # listed with its help, not hidden


def test_top_level_help_lists_self_test(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and "--self-test" in out.split("options:")[1]
    assert "COMMAND --help" in out


def test_window_prints_no_info_on_stderr_without_debug(tmp_path):
    """The window logs INFO lines to its log file; the terminal only gets them with --debug."""
    script = """
import sys
from PySide6.QtCore import QTimer
from yamview.gui import app
make = app.make_app
def make_app(*a, **k):  # close the window after a few seconds, as a user would
    qapp = make(*a, **k)
    QTimer.singleShot(4000, qapp.quit)
    return qapp
app.make_app = make_app
from yamview.cli import main
sys.exit(main(sys.argv[1:]))
"""
    home = tmp_path / "home"
    ini = home / "config" / "yamview" / "yamview.ini"
    ini.parent.mkdir(parents=True)

    def window(*args):
        # Unreadable settings: the window says so in its banner, which logs the text at INFO.
        ini.write_bytes(b"[classify]\nmax_results=\xff\xfe\x00\n[[[\n")
        return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                              text=True, timeout=120)

    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
           "QT_QPA_PLATFORM": "offscreen"}
    quiet, loud = window(), window("--debug")
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr + loud.stderr
    assert "INFO" not in quiet.stderr and "DEBUG" not in quiet.stderr, quiet.stderr
    assert "defaults restored" in quiet.stderr  # warnings still reach the terminal
    assert any("INFO: banner" in line and "defaults restored" in line  # --debug shows it
               for line in loud.stderr.splitlines()), loud.stderr
    logs = list((home / "state").rglob("yamview.log"))
    assert logs and " INFO " in logs[0].read_text()


def test_file_with_labels_and_mapping_opens_the_inspector_with_them(monkeypatch, capsys, audio_dir, tmp_path):
    import yamview.gui.app as app

    calls = []
    monkeypatch.setattr(app, "run_app", lambda file, debug=False, labels=None, mapping=None:
                        calls.append((file, labels, mapping)) or 0)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    wav = str(audio_dir / "speech.wav")
    assert main([wav, "--labels", "t.txt", "--mapping", "m.csv"]) == 0
    assert calls == [(wav, "t.txt", "m.csv")]
    with pytest.raises(SystemExit) as exc:
        main([wav, "--mapping", "m.csv"])
    assert exc.value.code == 2 and "--mapping needs --labels" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--labels", "t.txt"])
    assert exc.value.code == 2 and "need a FILE" in capsys.readouterr().err
