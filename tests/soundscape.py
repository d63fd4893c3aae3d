"""A test soundscape: real corpus clips of known classes, concatenated, with its own label track.

The label track is written here as plain text (not with yamview's writer), so tests that read it
check the reader against an independent source.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from yamview.core.audio import AudioFile

RATE = 16000
# (clip under corpus/, human label text, YAMNet classes the label maps to). Clips the model gets
# right, so the soundscape's hits are meaningful; "speech" maps by its exact class name.
CLIPS = [
    ("esc10/001_Dog_bark__2-114280-A.ogg", "dog bark", ["Dog", "Bark"]),
    ("esc10/002_Rain__1-17367-A.ogg", "rain", ["Rain", "Rain on surface"]),
    ("../audio/speech.wav", "Speech", ["Speech"]),
    ("esc10/009_Rooster__4-164021-A.ogg", "rooster", ["Chicken, rooster", "Crowing, cock-a-doodle-doo"]),
    ("esc10/004_Baby_cry__3-151080-A.ogg", "baby cry", ["Baby cry, infant cry", "Crying, sobbing"]),
]


@dataclass
class Soundscape:
    wav: Path
    labels_txt: Path  # Audacity label track
    mapping_csv: Path  # label,class
    segments: list[tuple[float, float, str]]  # (start s, end s, label text)
    mapping: dict[str, list[str]]  # label text -> class names
    lenient: list[set[str]]  # per segment: target + parent classes from corpus/labels.csv


def build(corpus_dir: Path, dest: Path) -> Soundscape:
    truth = {row["file"]: row for row in csv.DictReader(open(corpus_dir / "labels.csv", encoding="utf-8"))}
    parts, segments, lenient = [], [], []
    t = 0
    for clip, text, _ in CLIPS:
        x = AudioFile(corpus_dir / clip).read(RATE)
        # Rounded as the label file writes them, so hand counts see the same edges as the reader.
        segments.append((round(t / RATE, 6), round((t + len(x)) / RATE, 6), text))
        row = truth[clip]
        lenient.append(set(row["yamnet_target_classes"].split(";")) | set(row["yamnet_parent_classes"].split(";")))
        parts.append(x)
        t += len(x)
    dest.mkdir(parents=True, exist_ok=True)
    wav = dest / "soundscape.wav"
    sf.write(wav, np.concatenate(parts), RATE, subtype="FLOAT")
    labels_txt = dest / "soundscape_labels.txt"
    # Audacity's own layout, with one frequency row (which readers must skip).
    lines = []
    for a, b, text in segments:
        lines.append(f"{a:.6f}\t{b:.6f}\t{text}")
        if text == "rain":
            lines.append("\\\t200.000000\t8000.000000")
    labels_txt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = {text: classes for _, text, classes in CLIPS if text != "Speech"}
    mapping_csv = dest / "mapping.csv"
    with open(mapping_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "class"])
        for text, classes in mapping.items():
            for c in classes:
                w.writerow([text, c])
    mapping["Speech"] = ["Speech"]
    return Soundscape(wav, labels_txt, mapping_csv, segments, mapping, lenient)


# ESC-10's classes (corpus/esc10: five clips each) -> the YAMNet classes their label maps to.
ESC10 = {
    "Dog_bark": ("dog bark", ["Dog", "Bark"]),
    "Rain": ("rain", ["Rain"]),
    "Sea_waves": ("sea waves", ["Waves, surf", "Ocean"]),
    "Baby_cry": ("baby cry", ["Baby cry, infant cry"]),
    "Clock_tick": ("clock tick", ["Tick", "Tick-tock"]),
    "Person_sneeze": ("sneeze", ["Sneeze"]),
    "Helicopter": ("helicopter", ["Helicopter"]),
    "Chainsaw": ("chainsaw", ["Chainsaw"]),
    "Rooster": ("rooster", ["Chicken, rooster", "Crowing, cock-a-doodle-doo"]),
    "Fire_crackling": ("fire crackling", ["Fire", "Crackle"]),
}
LABEL_FORMATS = ("audacity", "csv", "raven")


def build_labelled_set(corpus_dir: Path, dest: Path, recordings: int = 5, seed: int = 0,
                       gap: float = 1.0) -> tuple[list[Path], Path]:
    """``recordings`` soundscapes (at most 5: ESC-10 has five clips per class), each holding a
    different clip of every ESC-10 class in its own shuffled order, separated by ``gap`` s of
    quiet noise; labels beside each (``rec0.txt`` Audacity, ``rec1.csv``, ``rec2.Table.1.
    selections.txt`` Raven, then again). Returns (wav paths, mapping CSV)."""
    rng = np.random.default_rng(seed)
    clips: dict[str, list[Path]] = {}
    for p in sorted((corpus_dir / "esc10").glob("*.ogg")):
        name = p.name.split("__")[0].split("_", 1)[1]
        clips.setdefault(name, []).append(p)
    dest.mkdir(parents=True, exist_ok=True)
    wavs = []
    for r in range(recordings):
        order = rng.permutation(sorted(ESC10))
        parts, rows = [], []
        t = 0
        for name in order:
            quiet = (rng.standard_normal(int(gap * RATE)) * 0.003).astype(np.float32)
            x = AudioFile(clips[name][r]).read(RATE)
            parts += [quiet, x]
            t += len(quiet)
            rows.append((t / RATE, (t + len(x)) / RATE, ESC10[name][0]))
            t += len(x)
        wav = dest / f"rec{r}.wav"
        sf.write(wav, np.concatenate(parts), RATE, subtype="FLOAT")
        wavs.append(wav)
        fmt = LABEL_FORMATS[r % len(LABEL_FORMATS)]
        if fmt == "audacity":
            text = "".join(f"{a:.6f}\t{b:.6f}\t{lab}\n" for a, b, lab in rows)
            (dest / f"rec{r}.txt").write_text(text, encoding="utf-8")
        elif fmt == "csv":
            text = "start,end,label\n" + "".join(f"{a:.6f},{b:.6f},{lab}\n" for a, b, lab in rows)
            (dest / f"rec{r}.csv").write_text(text, encoding="utf-8")
        else:
            head = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\n"
            body = "".join(f"{i + 1}\tSpectrogram 1\t1\t{a:.6f}\t{b:.6f}\t0\t8000\t{lab}\n"
                           for i, (a, b, lab) in enumerate(rows))
            (dest / f"rec{r}.Table.1.selections.txt").write_text(head + body, encoding="utf-8")
    mapping = dest.parent / f"{dest.name}_mapping.csv"
    with open(mapping, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "class"])
        for text, classes in ESC10.values():
            for c in classes:
                w.writerow([text, c])
    return wavs, mapping
