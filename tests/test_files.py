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
