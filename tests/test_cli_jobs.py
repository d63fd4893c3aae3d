"""`--jobs`: the CLI's interpreter pool gives the same output as one interpreter."""

from __future__ import annotations

import json

from yamview.cli import main
from yamview.core.pool import usable_cores

LONG_CLIP = ("librosa", "Karissa_Hobbs_-_Lets_Go_Fishin.hq.ogg")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_classify_with_jobs_prints_what_one_interpreter_prints(capsys, corpus_dir):
    clip = str(corpus_dir.joinpath(*LONG_CLIP))
    outputs = []
    for jobs in ("1", "2"):
        code, out, err = run(capsys, "classify", clip, "--per-frame", "--format", "json", "--top", "5",
                             "--hop", "0.25", "--jobs", jobs)
        assert code == 0, err
        outputs.append(json.loads(out))
    assert outputs[0][0]["frames"] > 500 and len(outputs[0][0]["per_frame"]) == outputs[0][0]["frames"]
    assert outputs[0] == outputs[1]


def test_analyze_with_jobs_exports_the_same_scores(capsys, corpus_dir, tmp_path):
    clip = str(corpus_dir.joinpath(*LONG_CLIP))
    texts = []
    for jobs in ("1", "2"):
        out_csv = tmp_path / f"scores-{jobs}.csv"
        code, _, err = run(capsys, "analyze", clip, "--no-cache", "--jobs", jobs, "--kernels", "reference",
                           "--export-csv", str(out_csv))
        assert code == 0, err
        texts.append(out_csv.read_text())
    assert texts[0].count("\n") > 200 and texts[0] == texts[1]


def test_more_jobs_than_cores_is_capped(capsys, audio_dir):
    too_many = str(usable_cores() + 1)
    code, out, err = run(capsys, "classify", str(audio_dir / "speech.wav"), "--jobs", too_many)
    assert code == 0 and "Speech" in out
    assert f"--jobs {too_many}" in err and f"using --jobs {usable_cores()}" in err


def some_clips(corpus_dir, audio_dir):
    """A long clip first and short ones after it: with --jobs they finish out of order."""
    esc = sorted((corpus_dir / "esc10").glob("*.ogg"))[:6]
    return [corpus_dir.joinpath(*LONG_CLIP), *esc, audio_dir / "speech.wav"]


def test_many_files_in_parallel_keep_order_and_output(capsys, corpus_dir, audio_dir, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    files = [str(p) for p in some_clips(corpus_dir, audio_dir)]
    files.insert(3, str(bad))
    outputs = []
    for jobs in ("1", "2"):
        code, out, err = run(capsys, "classify", *files, "--format", "json", "--per-frame", "--jobs", jobs)
        assert code == 1  # the broken file
        assert err.count("yamview: ") == 1 and f"cannot read '{bad}'" in err
        outputs.append(json.loads(out))
    assert [item["file"] for item in outputs[1]] == files
    assert "error" in outputs[1][3] and all("top_mean" in item for i, item in enumerate(outputs[1]) if i != 3)
    assert outputs[0] == outputs[1]


def test_classify_a_folder_lists_its_audio_files_sorted(capsys, corpus_dir, audio_dir, tmp_path):
    clips = some_clips(corpus_dir, audio_dir)[1:5]
    (tmp_path / "sub").mkdir()
    links = [tmp_path / "b.ogg", tmp_path / "a.ogg", tmp_path / "sub" / "c.ogg", tmp_path / "C.OGG"]
    for link, clip in zip(links, clips):
        link.symlink_to(clip)
    (tmp_path / "notes.txt").write_text("not audio")
    code, out, err = run(capsys, "classify", str(tmp_path), "--format", "csv", "--jobs", "2")
    assert code == 0, err
    named = list(dict.fromkeys(line.split(",")[0] for line in out.splitlines()[1:]))
    assert named == sorted(str(p) for p in links)
    code, out_files, _ = run(capsys, "classify", *sorted(str(p) for p in links), "--format", "csv", "--jobs", "1")
    assert out_files == out


def test_analyze_a_folder_prints_each_file_as_alone(capsys, corpus_dir, audio_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("YAMVIEW_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "clips"
    folder.mkdir()
    clips = some_clips(corpus_dir, audio_dir)[:4]
    for i, clip in enumerate(clips):
        (folder / f"{i}{clip.suffix}").symlink_to(clip)
    code, together, err = run(capsys, "analyze", str(folder), "--no-cache", "--jobs", "2", "--threshold", "0.2")
    assert code == 0, err
    alone = ""
    for i, clip in enumerate(clips):
        code, out, err = run(capsys, "analyze", str(folder / f"{i}{clip.suffix}"), "--no-cache", "--jobs", "1",
                             "--threshold", "0.2")
        assert code == 0, err
        alone += out
    assert together == alone and together.count("events (") == 4


def test_analyze_a_folder_refuses_single_file_options(capsys, audio_dir, tmp_path):
    for flag in (["--labels", str(tmp_path / "t.txt")], ["--export-csv", str(tmp_path / "x.csv")]):
        code, out, err = run(capsys, "analyze", str(audio_dir), *flag)
        assert code == 2 and "need" in err and "a single FILE" in err and out == ""
    assert not (tmp_path / "x.csv").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in ("classify", "analyze"):
        code, _, err = run(capsys, command, str(empty))
        assert code == 1 and f"cannot read '{empty}': a folder with no audio files" in err
