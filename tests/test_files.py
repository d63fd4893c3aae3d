"""The one write path (atomic), CSV cells (formula escaping, also on stdout), text reading."""

from __future__ import annotations

import io

import pytest

from yamview.core import files


def only(folder):
    return sorted(p.name for p in folder.iterdir())


def test_formula_cells_escaped_numbers_not(tmp_path):
    cells = ["=SUM(A1)", "+cmd", "-rm", "@x", "-0.5", "+1e-3", "-", "Speech", "a=b", "'=already"]
    assert [files.escape_cell(c) for c in cells] == [
        "'=SUM(A1)", "'+cmd", "'-rm", "'@x", "-0.5", "+1e-3", "'-", "Speech", "a=b", "'=already"]
    assert all(files.unescape_cell(files.escape_cell(c)) == c for c in cells[:8])
    files.write_csv(tmp_path / "x.csv", ["=h", "n"], [["@evil", -2.5], ["ok", "-1"]])
    assert (tmp_path / "x.csv").read_text() == "'=h,n\n'@evil,-2.5\nok,-1\n"


def test_writes_are_atomic(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old")

    def full_disk(fd):  # the data went into the temp file, then the flush to disk fails
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        files.write_text(target, "new text")
    assert target.read_text() == "old" and only(tmp_path) == ["out.json"]  # old file kept, no temp
    monkeypatch.undo()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        def write(f):
            f.write("partial")
            raise Boom

        files.write_atomic(tmp_path / "new.txt", write)
    assert only(tmp_path) == ["out.json"]
    with pytest.raises(FileNotFoundError):
        files.write_text(tmp_path / "no" / "dir.txt", "x")
    files.write_text(target, "new")
    assert target.read_text() == "new" and only(tmp_path) == ["out.json"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_csv_writer_escapes_on_any_stream():
    out = io.StringIO()
    w = files.CsvWriter(out)
    w.row(["-rm.wav", "a,b", -1.5])
    assert out.getvalue() == "'-rm.wav,\"a,b\",-1.5\n"


def test_read_text_errors_name_the_file(tmp_path):
    class Oops(Exception):
        pass

    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfhello\n")
    assert files.read_text(tmp_path / "bom.txt") == "hello\n"
    (tmp_path / "latin.txt").write_bytes(b"ok\nna\xefve\n")
    with pytest.raises(Oops, match=r"latin.txt, line 2: not UTF-8 text \(byte 0xef\)"):
        files.read_text(tmp_path / "latin.txt", Oops)
    (tmp_path / "blank.txt").write_text(" \n")
    with pytest.raises(files.TextFileError, match="blank.txt: nothing here"):
        files.read_text(tmp_path / "blank.txt", empty="nothing here")
    assert files.read_text(tmp_path / "blank.txt", empty=None) == " \n"
    with pytest.raises(files.TextFileError, match="no such file"):
        files.read_text(tmp_path / "missing.txt")


# -- what sits at the target is never destroyed ----------------------------------------------------
def test_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "private.csv"
    target.write_text("old")
    target.chmod(0o600)
    files.write_text(target, "new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o600
    files.write_text(tmp_path / "fresh.csv", "x")
    assert (tmp_path / "fresh.csv").stat().st_mode & 0o777 == files.SHARED_MODE


def test_symlink_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "data" / "real.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    files.write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert only(tmp_path) == ["data", "link.csv"] and only(real.parent) == ["real.csv"]
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "data" / "later.csv")
    files.write_text(dangling, "made")
    assert dangling.is_symlink() and (real.parent / "later.csv").read_text() == "made"


def test_fifo_is_written_as_a_stream(tmp_path):
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    opened = threading.Event()

    def reader():
        with open(fifo, "rb") as f:
            opened.set()
            got.append(f.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    import time

    deadline = time.monotonic() + 30
    while True:  # the reader's open() returns once a writer opens: retry until it is waiting
        try:
            files.write_text(fifo, "through the pipe\n")
            break
        except OSError as exc:
            assert "nothing is reading" in exc.strerror and time.monotonic() < deadline
            time.sleep(0.05)
    t.join(30)
    assert got == [b"through the pipe\n"]
    assert fifo.is_fifo() and only(tmp_path) == ["pipe"]


def test_fifo_without_reader_is_an_error_not_a_hang(tmp_path):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="nothing is reading the FIFO"):
        files.write_text(fifo, "x")
    assert fifo.is_fifo()


def test_character_device_stays_a_device():
    """Once, as root, an export turned /dev/null into a regular file."""
    import os
    import stat

    files.write_text("/dev/null", "discarded\n")
    files.write_bytes("/dev/null", b"\0" * 10)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dash_is_standard_output(capfd):
    files.write_text("-", "line on stdout\n")
    files.write_csv("-", ["a", "=b"], [[1, 2]])
    files.write_bytes("-", b"raw\n")
    out = capfd.readouterr().out
    assert out == "line on stdout\na,'=b\n1,2\nraw\n"


@pytest.mark.parametrize("bad, message", [("", "an empty path"), (".", "is a folder")])
def test_empty_path_and_folder_are_refused(tmp_path, bad, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(files.OutputRefused, match=message):
        files.write_text(bad, "x")
    assert only(tmp_path) == []


def test_stale_temporaries_are_cleaned_fresh_ones_kept(tmp_path):
    import os
    import time

    old = time.time() - 2 * files.STALE_TEMP_SECONDS
    for name in (".out.csv.dead1.tmp", ".out.csv.dead2.part", ".other.csv.dead3.tmp"):
        (tmp_path / name).write_text("killed")
        os.utime(tmp_path / name, (old, old))
    (tmp_path / ".out.csv.live.tmp").write_text("another writer, now")
    files.write_text(tmp_path / "out.csv", "x")
    assert only(tmp_path) == [".other.csv.dead3.tmp", ".out.csv.live.tmp", "out.csv"]


def test_outputs_equal_to_inputs_are_refused(tmp_path):
    wav = tmp_path / "in.wav"
    wav.write_bytes(b"RIFF")
    link = tmp_path / "alias.wav"
    link.symlink_to(wav)
    labels = tmp_path / "truth.txt"
    labels.write_text("0\t1\tSpeech\n")
    inputs = [("the audio file", wav), ("the --labels file", labels)]
    with pytest.raises(files.OutputRefused, match="is the audio file; an export never overwrites an input"):
        files.check_outputs([("--export-csv", link)], inputs)
    with pytest.raises(files.OutputRefused, match="--export-raven .*truth.txt is the --labels file"):
        files.check_outputs([("--export-raven", labels)], inputs)
    with pytest.raises(files.OutputRefused, match="is also the path of --export-csv"):
        files.check_outputs([("--export-csv", tmp_path / "x.csv"), ("--export-json", tmp_path / "x.csv")], inputs)
    files.check_outputs([("--export-csv", "-"), ("--export-json", "/dev/null"), ("--export-raven", tmp_path / "new.txt")],
                        inputs)
