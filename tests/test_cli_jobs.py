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
