"""Command line: ``yamview`` opens the window; ``yamview classify FILE...`` prints scores."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import logging
import math
import os
import sys
import traceback
from typing import Sequence, TextIO

from yamview import __version__
from yamview.core.framing import MIN_HOP_SECONDS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SELF_TEST_HELP = ("check this install and exit: load the model, classify a test tone, play it "
                  "through the live pipeline, render the window offscreen; prints ok or the reason "
                  "it failed")
COMMANDS = {"classify", "analyze", "calibrate", "fetch", "export-model", "train"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 on usage errors: keep that, shorter text
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"yamview: {message}\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def _hop(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < MIN_HOP_SECONDS:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= {MIN_HOP_SECONDS}, got {text}")
    return value


def _overlap(text: str) -> float:
    value = float(text.rstrip("%"))
    value = value / 100 if value > 1 or text.endswith("%") else value
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError("overlap must be in [0, 100) %")
    return value


def _add_debug(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the command, `yamview --debug classify ...` keeps it.
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show tracebacks and debug logging")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="a .tflite audio classifier (default: YAMNet)")
    p.add_argument("--kernels", choices=["fast", "reference"], default="fast",
                   help="fast: XNNPACK (default); reference: builtin kernels, Google's exact values")
    p.add_argument("--threads", type=_positive_int, default=1, help="inference threads (1..cores)")
    p.add_argument("--jobs", type=_positive_int, metavar="N",
                   help="interpreters scoring in parallel, one thread each (default: one per core; "
                   "1: a single interpreter). Scores are the same for any N")
    p.add_argument("--no-calibration", action="store_true",
                   help="ignore a score calibration in the model's metadata: raw scores")
    _add_model_settings(p)


def _add_model_settings(p: argparse.ArgumentParser) -> None:
    """For models whose file does not say everything (no TFLite metadata, e.g. BirdNET)."""
    g = p.add_argument_group("models without metadata")
    g.add_argument("--rate", type=_positive_int, metavar="HZ",
                   help="the model's sample rate (when its metadata or sidecar does not state it)")
    g.add_argument("--labels-file", metavar="FILE", help="class names, one per line, in output order")
    g.add_argument("--activation", choices=["none", "sigmoid", "softmax"],
                   help="turn raw outputs into scores: sigmoid for logits (BirdNET), softmax, or none")


def _model_settings(args):
    from yamview.core.tflite.model_settings import ModelSettings

    return ModelSettings(getattr(args, "rate", None), getattr(args, "labels_file", None),
                         getattr(args, "activation", None))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="yamview",
        usage="yamview [--debug] [--self-test] [FILE [--labels TRUTH [--mapping CSV]]]\n"
        "       yamview COMMAND [options] ...",
        description="See what Google's YAMNet sound classifier hears. With no command the live "
        "window opens; with a FILE, the inspector opens that recording (--labels: its human "
        "labels, Audacity, Raven or CSV; --mapping: label,class rows).",
        epilog="yamview COMMAND --help shows a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"yamview {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--self-test", action="store_true", help=SELF_TEST_HELP)
    # prog: each command's usage line reads "yamview classify ...", not the usage above.
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND", prog="yamview")

    c = sub.add_parser("classify", help="print YAMNet's scores for audio files")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--top", type=_positive_int, default=5, help="classes to list (default 5)")
    hop = c.add_mutually_exclusive_group()
    hop.add_argument("--hop", type=_hop, metavar="S", help=f"hop between frames, seconds (>= {MIN_HOP_SECONDS:g})")
    hop.add_argument("--overlap", type=_overlap, metavar="P",
                     help="overlap of consecutive frames: 0, 25, 50 (default) or 75 %%, or any in [0, 100)")
    c.add_argument("--threshold", type=_fraction, default=0.0, help="hide scores below this")
    c.add_argument("--per-frame", action="store_true", help="also list each frame's top classes")
    c.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _add_model_options(c)
    c.add_argument("--head", metavar="NAME|INDEX",
                   help="of a model with several heads (e.g. one trained with `yamview train`), "
                   "show only this one (default: all)")
    _add_debug(c)

    _add_analyze_parser(sub)
    _add_calibrate_parser(sub)
    _add_train_parser(sub)

    m = sub.add_parser("export-model", help="write a copy of a model with TFLite metadata (rate, "
                       "class names, sigmoid) that MediaPipe and the TFLite Android example load")
    m.add_argument("--model", metavar="PATH", required=True, help="the .tflite model to describe")
    m.add_argument("-o", "--output", metavar="PATH", required=True, help="the new .tflite file")
    _add_model_settings(m)
    _add_debug(m)
    m.set_defaults(kernels="fast", threads=1, jobs=1, hop=None)  # loads the model like classify

    f = sub.add_parser("fetch", help="obtain the model and ontology (copy ../shared, else download)")
    f.add_argument("--dest", metavar="DIR", help="folder to put them in (default: models/ or user data)")
    _add_debug(f)
    return parser


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text}")
    return value


def _add_analyze_parser(sub) -> None:
    a = sub.add_parser("analyze", help="score a whole file: top classes, events, exports, "
                       "metrics against human labels (results are cached)")
    a.add_argument("files", nargs="+", metavar="FILE",
                   help="a recording; or several, or folders (searched for audio files): then each "
                   "file's scores and events are printed, analysed --jobs at a time")
    a.add_argument("--top", type=_positive_int, default=5, help="classes to list (default 5)")
    a.add_argument("--hop", type=_hop, metavar="S", help=f"hop between frames, seconds (>= {MIN_HOP_SECONDS:g}; "
                   "default half the window)")
    g = a.add_argument_group("human labels")
    g.add_argument("--labels", metavar="TRUTH", help="Audacity label track, Raven selection table or CSV")
    g.add_argument("--label-format", choices=["audacity", "raven", "csv"],
                   help="format of TRUTH (default: from its content)")
    g.add_argument("--label-column", metavar="NAME", default="Annotation",
                   help="Raven column holding the label text (default Annotation)")
    g.add_argument("--mapping", metavar="CSV", help="label,class rows mapping label text to model classes; "
                   "a class cell 'Dog | Bark' means any one of them is right (default: labels must be class names)")
    g.add_argument("--metrics", action="store_true",
                   help="print hits, misses, false alarms, precision, recall, F1 per class (needs --labels)")
    e = a.add_argument_group("events")
    e.add_argument("--threshold", type=_fraction, default=0.3, metavar="T",
                   help="score at or above which a class is present (default 0.3)")
    e.add_argument("--thresholds", metavar="CSV", help="per-class thresholds (class,threshold); "
                   "classes not listed use --threshold")
    e.add_argument("--smooth", type=_positive_int, default=1, metavar="K",
                   help="moving average over K frames before thresholding (default 1: none)")
    e.add_argument("--min-duration", type=_seconds, default=0.0, metavar="S", help="drop shorter events")
    e.add_argument("--merge-gap", type=_seconds, default=0.0, metavar="S",
                   help="merge events of one class closer than this")
    from yamview.core.export import FORMATS

    g.add_argument("--compare", metavar="MODEL2", help="also analyse with a second .tflite model and print "
                   "top-1 agreement, time per frame and per-class metric deltas (on this model's frames)")
    g.add_argument("--compare-hop", type=_hop, metavar="S", help="the --compare model's hop (default: "
                   "the same as --hop); its frames are read at the one nearest each frame of the first")
    x = a.add_argument_group("exports (a file is replaced only once complete; - is standard output)")
    for fmt in FORMATS:
        x.add_argument(f"--export-{fmt.key}", metavar="PATH", help=fmt.help)
    a.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache")
    _add_model_options(a)
    _add_debug(a)


def _objective(text: str):
    from yamview.core.calibrate import Objective

    try:
        return Objective.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_calibrate_parser(sub) -> None:
    c = sub.add_parser(
        "calibrate", help="fit per-class score calibration and thresholds on labelled recordings; "
        "write the model with the calibration in its metadata",
        description="Fit, per labelled class, a sigmoid on the logit of the model's score and a "
        "threshold for the objective, on recordings with human labels; print the held-out "
        "before/after table (folds by recording); with -o, write the model with the calibration "
        "in its metadata and its per-class thresholds as OUT.thresholds.csv beside it.")
    c.add_argument("paths", nargs="+", metavar="PATH",
                   help="a recording (with --labels) or a folder: each recording's labels sit beside "
                   "it with the same stem (rec.txt Audacity, rec.csv, rec.Table.1.selections.txt Raven)")
    c.add_argument("-o", "--output", metavar="OUT.tflite",
                   help="write the calibrated model here (and OUT.thresholds.csv beside it)")
    c.add_argument("--labels", metavar="FILE", help="labels of the one recording given as PATH")
    c.add_argument("--mapping", metavar="CSV", help="label,class rows mapping label text to model "
                   "classes (default: labels must be class names)")
    c.add_argument("--objective", type=_objective, default="f1", metavar="f1|precision=P|recall=R",
                   help="what each class's threshold is chosen for: best F1 (default), the most "
                   "recall at precision P, or the most precision at recall R")
    c.add_argument("--report", metavar="FILE.csv|FILE.html", help="the before/after figures per "
                   "class: CSV (curves in FILE.curves.csv) or HTML with PR curves and reliability diagrams")
    c.add_argument("--min-frames", type=_positive_int, default=None, metavar="N",
                   help="labelled frames a class needs to be fitted (default 10)")
    c.add_argument("--hop", type=float, metavar="S", help=f"hop between frames, seconds (>= {MIN_HOP_SECONDS:g}; "
                   "default half the window)")
    c.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache")
    _add_model_options(c)
    c.add_argument("--head", metavar="NAME|INDEX",
                   help="of a model with several heads: the one to calibrate (one at a time)")
    _add_debug(c)


def build_app_parser() -> argparse.ArgumentParser:
    """``yamview [FILE]``: the window; kept apart so a file name never reads as a command."""
    parser = _Parser(prog="yamview", description="Open the yamview window. "
                     "Commands: classify, analyze, calibrate, fetch (yamview COMMAND --help).")
    parser.add_argument("--version", action="version", version=f"yamview {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--self-test", action="store_true", help=SELF_TEST_HELP)
    parser.add_argument("file", nargs="?",
                        help="a recording to open in the inspector (whole-file timeline, labels, errors)")
    parser.add_argument("--labels", metavar="TRUTH", help="with FILE: its human labels (Audacity, Raven or CSV)")
    parser.add_argument("--mapping", metavar="CSV", help="with --labels: label,class rows mapping label text "
                        "to model classes")
    return parser


def _say(message: str) -> None:
    print(f"yamview: {message}", file=sys.stderr)


# -- classify -----------------------------------------------------------------------------------
class _ProgressBar:
    """A one-line progress bar on stderr, only when stderr is a terminal and the file is long."""

    def __init__(self, name: str, total: int | None, enabled: bool) -> None:
        self.name, self.total, self.enabled = name, total, enabled and bool(total)
        self._last = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        pct = min(100, int(100 * done / self.total))
        if pct != self._last:
            self._last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.name[-30:]:>30} [{bar:<25}] {pct:3d}%")
            sys.stderr.flush()

    def clear(self) -> None:
        """Wipe the bar (e.g. before other output); the next update draws it again."""
        if self.enabled and self._last >= 0:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()
        self._last = -1

    def close(self) -> None:
        self.clear()


def _checked_model(args):
    """Check --threads and --hop, load the model: the Model, or an exit code after one message."""
    from yamview.core.assets import AssetError
    from yamview.core.framing import Framing
    from yamview.core.model import ModelError, max_threads
    from yamview.core.pool import default_jobs, usable_cores

    if args.threads > max_threads():
        _say(f"--threads {args.threads} is more than this machine's {max_threads()} cores; "
             f"using {max_threads()} (more threads than cores is many times slower)")
        args.threads = max_threads()
    if args.jobs is None:
        args.jobs = default_jobs(args.threads)
    elif args.jobs * args.threads > usable_cores():
        jobs = max(1, usable_cores() // args.threads)
        _say(f"--jobs {args.jobs} x --threads {args.threads} is more than the {usable_cores()} "
             f"cores this process may use; using --jobs {jobs}")
        args.jobs = jobs
    try:
        model = _load_model(args)
    except (ModelError, AssetError) as exc:
        _say(f"cannot load model: {exc}")
        return EXIT_FAILED
    for w in model.warnings:
        _say(f"warning: {w}")
    # The hop limits depend on the model's window and rate: check once here, not per file.
    try:
        Framing.create(model.window, model.sample_rate, hop_seconds=args.hop,
                       overlap=getattr(args, "overlap", None))
    except ValueError as exc:
        given = "--overlap" if getattr(args, "overlap", None) is not None else "--hop"
        _say(f"{given}: {exc} (the model's window is {model.window_seconds:.3f} s)")
        return EXIT_USAGE
    return model


def _load_model(args):
    from yamview.core import assets
    from yamview.core.model import Model, ModelError

    from yamview.core.tflite.model_settings import ModelSettingsError

    path = assets.ensure("yamnet", explicit=args.model, progress=_download_progress())
    try:
        settings = _model_settings(args)
    except ModelSettingsError as exc:
        raise ModelError(str(exc)) from None
    return Model(path, kernels=args.kernels, threads=args.threads, settings=settings,
                 calibrate=not getattr(args, "no_calibration", False), head=getattr(args, "head", None))


def _download_progress():
    def show(done: int, total: int | None) -> None:
        if sys.stderr.isatty():
            total_txt = f"/{total / 1e6:.1f}" if total else ""
            sys.stderr.write(f"\rdownloading model {done / 1e6:.1f}{total_txt} MB")
            sys.stderr.flush()

    return show


def _classify(args) -> int:
    from yamview.core.audio import audio_files
    from yamview.core.pool import InterpreterPool, map_in_order

    model = _checked_model(args)
    if isinstance(model, int):
        return model
    args.calibrated = model.calibrated
    names = audio_files(args.files)
    writer = _Writer(args, sys.stdout)
    writer.scientific = {n: s for n, s in zip(model.classes, model.scientific_names) if s}
    many = len(names) > 1
    # Several files: up to --jobs of them at once, their frames sharing one pool of interpreters
    # (short files keep every core busy too). Output keeps the files' order.
    pool = InterpreterPool(model, args.jobs) if many and args.jobs > 1 else None
    bar = _ProgressBar(f"{len(names)} files", len(names), many and sys.stderr.isatty())
    failed = 0
    try:
        results = map_in_order(lambda name: _classify_file(args, name, model, pool, writer, not many),
                               names, args.jobs if many else 1)
        for done, (name, result, exc) in enumerate(results, 1):
            bar.clear()
            if exc is not None:  # one bad file must not stop the others
                failed += 1
                writer.error(name, _file_failure(name, exc, "classify", args.debug))
            else:
                analysis, per_frame = result
                for w in analysis.warnings:
                    if w not in model.warnings:
                        _say(f"warning: '{name}': {w}")
                writer.file(analysis, per_frame, model.heads)
            bar.update(done)
    finally:
        bar.clear()
        if pool is not None:
            pool.close()
    writer.close()
    return EXIT_FAILED if failed else EXIT_OK


def _classify_file(args, name, model, pool, writer, progress: bool):
    """One file's Analysis (running mean/max) and its per-frame top classes, if asked for."""
    from yamview.core.analysis import analyze
    from yamview.core.audio import open_audio

    source = open_audio(name)
    # Summaries need only running mean/max: memory stays flat for any file length.
    run = analyze(source, model, hop_seconds=args.hop, overlap=args.overlap, keep_scores=False,
                  jobs=args.jobs, pool=pool)
    bar = _ProgressBar(name, run.expected_frames, progress and sys.stderr.isatty() and source.duration() > 30)
    per_frame = []
    try:
        for frame in run:
            bar.update(frame.index + 1)
            if args.per_frame:  # keep only the top-N of each frame, not its 521 scores
                per_frame.append((frame.index, frame.start, frame.centre,
                                  [writer.top(part, list(h.classes)) for h, part in model.split(frame.scores)]))
    finally:
        bar.close()
    return run.result(), per_frame


class _Writer:
    """Formats per-file summaries (and per-frame rows) as a table, CSV or JSON."""

    def __init__(self, args, out: TextIO) -> None:
        self.args, self.out = args, out
        self.json_items: list[dict] = []
        # BirdNET-style models: common name shown, scientific name added to JSON entries.
        self.scientific: dict[str, str] = {}
        self.csv = None
        if args.format == "csv":
            from yamview.core.files import CsvWriter

            self.csv = CsvWriter(out)
            self.csv.row(["file", "head", "kind", "frame", "start_s", "centre_s", "rank", "class", "score"])

    def top(self, scores, classes):
        from yamview.core.analysis import top_classes

        return top_classes(scores, classes, self.args.top, self.args.threshold)

    def file(self, a, frames, heads=None) -> None:
        """One file's summary; ``heads`` (the model's OutputHeads) split the scores per head,
        ``frames`` hold (index, start, centre, [top per head])."""
        fmt = self.args.format
        if heads is None:  # one head over all of the analysis' classes
            from yamview.core.model import OutputHead

            heads = (OutputHead("scores", tuple(a.classes), 0, 0),)
            frames = [(i, s, c, [top]) for i, s, c, top in frames]
        mean, peak = a.mean(), a.max()
        tops = [(h.name, self.top(mean[h.offset:h.offset + h.size], list(h.classes)),
                 self.top(peak[h.offset:h.offset + h.size], list(h.classes))) for h in heads]
        if fmt == "table":
            p = a.framing
            frames_word = "frame" if a.n_frames == 1 else "frames"
            calibrated = ", calibrated scores" if self.args.calibrated else ""
            print(f"{a.name}  ({a.duration:.2f} s, {a.n_frames} {frames_word}, hop {p.hop_seconds:.4g} s, "
                  f"{a.kernels} kernels{calibrated})", file=self.out)
            for head, by_mean, by_max in tops:
                if len(heads) > 1:
                    print(f"  head '{head}'", file=self.out)
                print(f"  {'rank':>4}  {'mean':>6}  {'class (by mean)':<34} {'max':>6}  class (by max)", file=self.out)
                for i in range(max(len(by_mean), len(by_max))):
                    m = by_mean[i] if i < len(by_mean) else ("", float("nan"))
                    x = by_max[i] if i < len(by_max) else ("", float("nan"))
                    ms = f"{m[1]:.3f}" if m[0] else ""
                    xs = f"{x[1]:.3f}" if x[0] else ""
                    print(f"  {i + 1:>4}  {ms:>6}  {m[0]:<34} {xs:>6}  {x[0]}", file=self.out)
            if frames:
                print(f"  {'frame':>5}  {'start':>7}  top classes", file=self.out)
                for index, start, _, per_head in frames:
                    # names contain commas; heads are separated by " || "
                    tops_txt = " || ".join(" | ".join(f"{n} {s:.3f}" for n, s in top) for top in per_head)
                    print(f"  {index:>5}  {start:7.3f}  {tops_txt}", file=self.out)
            print(file=self.out)
        elif fmt == "csv":
            for head, by_mean, by_max in tops:
                for kind, top in (("mean", by_mean), ("max", by_max)):
                    for rank, (n, s) in enumerate(top, 1):
                        self.csv.row([a.name, head, kind, "", "", "", rank, n, f"{s:.6f}"])
            for index, start, centre, per_head in frames:
                for (head, _, _), top in zip(tops, per_head):
                    for rank, (n, s) in enumerate(top, 1):
                        self.csv.row([a.name, head, "frame", index, f"{start:.4f}", f"{centre:.4f}",
                                           rank, n, f"{s:.6f}"])
        else:
            def listed(top):
                return [self._entry(n, s) for n, s in top]

            item = {
                "file": a.name,
                "duration_s": round(a.duration, 6),
                "frames": a.n_frames,
                "params": a.params(),
                # the first head's, as before heads existed; "heads" has every head
                "top_mean": listed(tops[0][1]),
                "top_max": listed(tops[0][2]),
                "heads": [{"head": head, "top_mean": listed(by_mean), "top_max": listed(by_max)}
                          for head, by_mean, by_max in tops],
                "warnings": a.warnings,
            }
            if frames:
                item["per_frame"] = [
                    {"frame": index, "start_s": round(start, 6), "centre_s": round(centre, 6),
                     "top": listed(per_head[0]),
                     "heads": {head: listed(top) for (head, _, _), top in zip(tops, per_head)}}
                    for index, start, centre, per_head in frames
                ]
            self.json_items.append(item)

    def _entry(self, name: str, score: float) -> dict:
        entry: dict = {"class": name, "score": round(score, 6)}
        if name in self.scientific:
            entry["scientific_name"] = self.scientific[name]
        return entry

    def error(self, name: str, reason: str) -> None:
        if self.args.format == "json":
            self.json_items.append({"file": name, "error": reason})
        elif self.args.format == "csv":
            self.csv.row([name, "", "error", "", "", "", "", reason, ""])

    def close(self) -> None:
        if self.args.format == "json":
            json.dump(self.json_items, self.out, indent=2)
            self.out.write("\n")
        self.out.flush()


# -- analyze ------------------------------------------------------------------------------------
def _analyze(args) -> int:
    """Whole-file analysis; inputs (labels, mapping, thresholds) are all checked before any
    work, so a bad file changes nothing: no analysis, no cache entry, no export."""
    from yamview.core import events, export, metrics
    from yamview.core.audio import AudioError, audio_files, open_audio
    from yamview.core.export import FORMATS, Exportable
    from yamview.core.labels_io import LabelError, map_labels, read_labels, read_mapping

    exports = [(fmt, getattr(args, f"export_{fmt.key}")) for fmt in FORMATS]
    exports = [(fmt, path) for fmt, path in exports if path is not None]
    need_labels = (["--metrics"] if args.metrics else []) + [f"--export-{f.key}" for f, _ in exports if f.needs_labels]
    if need_labels and not args.labels:
        _say(f"{' and '.join(need_labels)} need{'s' * (len(need_labels) == 1)} --labels TRUTH")
        return EXIT_USAGE
    names = audio_files(args.files)
    problem = _export_problem(args, exports, names)
    if problem:
        _say(problem)
        return EXIT_USAGE
    if len(names) > 1:
        return _analyze_many(args, names, exports)
    args.file = names[0]
    model = _checked_model(args)
    if isinstance(model, int):
        return model
    try:
        source = open_audio(args.file)
    except AudioError as exc:
        _say(f"cannot read '{args.file}': {exc}")
        return EXIT_FAILED
    try:
        thresholds = _event_thresholds(args, model)
        if args.labels:
            mapping = read_mapping(args.mapping, model.classes) if args.mapping else None
            labels = read_labels(args.labels, args.label_format, args.label_column)
            label_classes = map_labels(labels, model.classes, mapping, source=args.labels)
    except (LabelError, metrics.ThresholdError) as exc:
        _say(str(exc))
        return EXIT_FAILED

    model_b = None
    if args.compare:
        from yamview.core.model import Model, ModelError

        try:
            model_b = Model(args.compare, kernels=args.kernels, threads=args.threads)
        except ModelError as exc:
            _say(f"cannot load --compare model: {exc}")
            return EXIT_FAILED
    analysis = _cached_analysis(args, source, model)
    if isinstance(analysis, int):
        return analysis
    # With an export on standard output, the report goes to stderr: stdout carries the export.
    report = sys.stderr if any(_is_stdout(path) for _, path in exports) else sys.stdout
    with contextlib.redirect_stdout(report):
        for w in analysis.warnings:
            _say(f"warning: '{args.file}': {w}")
        if args.labels:
            from yamview.core.labels_io import outside_warnings

            for w in outside_warnings(labels, analysis.duration, args.labels):
                _say(f"warning: {w}")

        found = events.events_from_analysis(analysis, thresholds, smoothing=args.smooth,
                                            min_duration=args.min_duration, merge_gap=args.merge_gap)
        scores_table = argparse.Namespace(format="table", top=args.top, threshold=0.0,
                                          calibrated=model.calibrated)
        _Writer(scores_table, sys.stdout).file(analysis, [], model.heads)
        _print_events(found, args)
        result = truth = groups = None
        if args.labels:
            frames = (analysis.starts, analysis.framing.window_seconds)
            truth = metrics.truth_matrix(labels, label_classes, *frames, len(analysis.classes), analysis.duration)
            groups = metrics.any_of_groups(labels, label_classes, *frames, analysis.duration)
            related = _relatives(analysis.classes)
            result = metrics.evaluate(analysis.scores, truth, thresholds, analysis.classes, groups, related)
            if args.metrics:
                _print_metrics(result, lenient=related is not None)
        if model_b is not None:
            other = _cached_analysis(args, source, model_b, hop=args.compare_hop)
            if isinstance(other, int):
                return other
            from yamview.core.compare import CompareError, compare

            try:
                _print_compare(compare(analysis, other, truth, thresholds, groups))
            except CompareError as exc:
                _say(f"cannot compare: {exc}")
                return EXIT_FAILED

    status = EXIT_OK
    settings = export.event_settings(analysis.classes, thresholds, args.threshold, args.smooth, args.min_duration,
                                     args.merge_gap, mapping if args.labels else None)
    data = Exportable(analysis, labels if args.labels else None, found, result, settings=settings,
                      scientific_names=model.scientific_names)
    for fmt, path in exports:
        try:
            fmt.write(path, data)
        except OSError as exc:
            _say(f"cannot write '{path}': {exc.strerror or exc}")
            status = EXIT_FAILED
        except ValueError as exc:  # e.g. a score JSON cannot represent
            _say(f"cannot write '{path}': {exc}")
            status = EXIT_FAILED
    return status


def _event_thresholds(args, model):
    """Per-class thresholds: --thresholds CSV, else a calibrated model's own (saved beside it),
    else --threshold for all (raises metrics.ThresholdError)."""
    from yamview.core import events, metrics

    thresholds = events.thresholds_for(args.threshold, model.n_classes)
    if args.thresholds:
        thresholds = metrics.load_thresholds(args.thresholds, model.classes, default=args.threshold)
    elif model.calibrated:
        from yamview.core.calibrate import thresholds_beside, thresholds_path

        beside = thresholds_beside(model, default=args.threshold)
        if beside is not None:
            thresholds, args.thresholds = beside, str(thresholds_path(model.path))
    return thresholds
def _export_problem(args, exports, names) -> str | None:
    """Why the --export-* paths cannot be used (checked before any work), or None."""
    from yamview.core.files import OutputRefused, check_outputs

    for fmt, path in exports:
        if not path:
            return f"--export-{fmt.key} needs a path (or - for standard output)"
    if sum(_is_stdout(path) for _, path in exports) > 1:
        return "only one export can go to standard output"
    inputs = [("an input audio file", name) for name in names]
    inputs += [("the --labels file", args.labels),
              ("the --mapping file", args.mapping), ("the --thresholds file", args.thresholds),
              ("the model", args.model), ("the --compare model", args.compare),
              ("the --labels-file", getattr(args, "labels_file", None))]
    try:
        check_outputs([(f"--export-{fmt.key}", path) for fmt, path in exports],
                      [(what, path) for what, path in inputs if path])
    except OutputRefused as exc:
        return exc.strerror
    return None


def _is_stdout(path: str) -> bool:
    """``-``, or a path naming this process's standard output (e.g. /dev/stdout)."""
    if path == "-":
        return True
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no such path, or a stdout without a file
        return False


def _cached_analysis(args, source, model, hop=None):
    """The file's analysis by ``model`` through the cache; an exit code after one message."""
    from yamview.core.audio import AudioError

    try:
        return _analysis_of(args, source, args.file, model, hop=hop)
    except (AudioError, MemoryError) as exc:
        _file_failure(args.file, exc, "analyze")
        return EXIT_FAILED


def _file_failure(name: str, exc: BaseException, verb: str, debug: bool = False) -> str:
    """Say in one line why file ``name`` failed; the reason (for an error entry in the output)."""
    from yamview.core.audio import AudioError, TooShort

    reason = "out of memory" if isinstance(exc, MemoryError) else str(exc)
    if isinstance(exc, AudioError) and not isinstance(exc, TooShort):
        verb = "read"
    elif debug and not isinstance(exc, (MemoryError, TooShort)):
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    _say(f"cannot {verb} '{name}': {reason}")
    return reason


def _analysis_of(args, source, name, model, pool=None, progress=True, hop=None):
    """``source`` analysed by ``model`` through the cache (raises AudioError)."""
    from yamview.core.cache import CachedAnalysis

    job = CachedAnalysis(source, model, hop or args.hop, use_cache=not args.no_cache, name=name,
                         jobs=args.jobs, pool=pool)
    if job.cached is not None:
        return job.cached
    run = job.run()
    bar = _ProgressBar(name, run.expected_frames, progress and sys.stderr.isatty() and source.duration() > 30)
    try:
        for frame in run:
            bar.update(frame.index + 1)
    finally:
        bar.close()
    analysis = run.result()
    try:
        job.store(analysis)
    except OSError as exc:  # a cache is a shortcut: failing to fill it is not an error
        _say(f"warning: cannot write the results cache: {exc}")
    return analysis


def _analyze_many(args, names, exports) -> int:
    """Several files (or folders): each file's scores and events, in order, --jobs files at a time
    sharing one pool of interpreters. Labels, metrics, comparison and exports need one FILE."""
    from yamview.core import events, metrics
    from yamview.core.audio import open_audio
    from yamview.core.pool import InterpreterPool, map_in_order

    single = [flag for flag, used in (("--labels", args.labels), ("--compare", args.compare),
                                      ("--metrics", args.metrics)) if used]
    single += [f"--export-{fmt.key}" for fmt, _ in exports]
    if single:
        _say(f"{', '.join(single)} need{'s' * (len(single) == 1)} a single FILE")
        return EXIT_USAGE
    model = _checked_model(args)
    if isinstance(model, int):
        return model
    try:
        thresholds = _event_thresholds(args, model)
    except metrics.ThresholdError as exc:
        _say(str(exc))
        return EXIT_FAILED

    pool = InterpreterPool(model, args.jobs) if args.jobs > 1 else None
    scores_table = argparse.Namespace(format="table", top=args.top, threshold=0.0,
                                      calibrated=model.calibrated)
    failed = 0
    try:
        results = map_in_order(lambda name: _analysis_of(args, open_audio(name), name, model, pool, False),
                               names, args.jobs)
        for name, analysis, exc in results:
            if exc is not None:
                failed += 1
                _file_failure(name, exc, "analyze", args.debug)
                continue
            for w in analysis.warnings:
                _say(f"warning: '{name}': {w}")
            found = events.events_from_analysis(analysis, thresholds, smoothing=args.smooth,
                                                min_duration=args.min_duration, merge_gap=args.merge_gap)
            _Writer(scores_table, sys.stdout).file(analysis, [], model.heads)
            _print_events(found, args)
    finally:
        if pool is not None:
            pool.close()
    return EXIT_FAILED if failed else EXIT_OK


def _relatives(classes):
    """The ontology's ancestor/descendant relation over the model's classes, or None without it."""
    from yamview.core import metrics
    from yamview.core.ontology import load_default

    onto = load_default(report=lambda message: _say(f"note: {message}; no lenient counts"))
    return metrics.relatives(onto.for_classes(classes), len(classes)) if onto is not None else None


def _print_events(found, args) -> None:
    print(f"events ({len(found)}; threshold {args.threshold:g}{' + per-class CSV' if args.thresholds else ''}, "
          f"smoothing {args.smooth}, min duration {args.min_duration:g} s, merge gap {args.merge_gap:g} s)")
    if found:
        print(f"  {'start':>9}  {'end':>9}  {'peak':>5}  class")
    for ev in found:
        print(f"  {ev.start:9.3f}  {ev.end:9.3f}  {ev.peak:5.3f}  {ev.class_name}")
    print()


def _pct(v) -> str:
    return "    -" if v != v else f"{v:5.3f}"


def _print_metrics(m, lenient: bool = False) -> None:
    pct = _pct
    print("metrics per class (frame counts; a frame is labelled when a label covers half of its cell, "
          "the time nearer its centre than any other frame's, or half the label)")
    extra = f"  {'len.':>5}  {'l.rec':>5}  {'expl.':>5}  {'l.prec':>6}" if lenient else ""
    print(f"  {'thr':>5}  {'hits':>5}  {'miss':>5}  {'f.a.':>5}  {'prec':>5}  {'rec':>5}  {'F1':>5}{extra}  class")

    def more(r) -> str:
        if not lenient:
            return ""
        return (f"  {r['lenient_hits']:5d}  {pct(r['lenient_recall'])}  {r['explained']:5d}  "
                f"{pct(r['lenient_precision']):>6}")

    for r in m.rows(m.order()):
        print(f"  {r['threshold']:5.3f}  {r['hits']:5d}  {r['misses']:5d}  {r['false_alarms']:5d}  "
              f"{pct(r['precision'])}  {pct(r['recall'])}  {pct(r['f1'])}{more(r)}  {r['class']}")
    labelled = m.labelled()
    for name, t in ((f"labelled classes ({len(labelled)}), micro-average", m.micro(labelled)),
                    ("all classes, micro-average", m.micro())):
        r = {**t, "lenient_recall": t["lenient_recall"], "lenient_precision": t["lenient_precision"]}
        print(f"  {'':>5}  {t['hits']:5d}  {t['misses']:5d}  {t['false_alarms']:5d}  "
              f"{pct(t['precision'])}  {pct(t['recall'])}  {pct(t['f1'])}{more(r)}  ({name})")
    mac = m.macro(labelled)
    print(f"  {'':>5}  {'':>5}  {'':>5}  {'':>5}  {pct(mac['precision'])}  {pct(mac['recall'])}  "
          f"{pct(mac['f1'])}  (labelled classes, macro-average)")
    if lenient:
        print("  len. = misses where an ancestor or descendant of the labelled class fired (AudioSet "
              "ontology); expl. = false alarms of a relative of a labelled class")
    print()


def _print_compare(c) -> None:
    from yamview.core.compare import Comparison

    pct = _pct
    a, b = c.a, c.b
    print(f"compare A = {a.model_name} ({a.kernels}) with B = {b.model_name} ({b.kernels}) "
          f"on {a.n_frames} frames, {len(c.classes)} shared classes")
    if c.aligned:
        print(f"  B scored other frames ({b.n_frames} of {b.framing.window_seconds:.3f} s every "
              f"{b.framing.hop_seconds:.4g} s): read at the one nearest each of A's")
    print(f"  top-1 agreement {c.top1_agreement:.3f}; frames that disagree {int(c.disagreement.sum())} "
          f"(top class {int(c.top_differs.sum())}, labelled hit/miss {int(c.labelled_differs.sum())})")
    print(f"  time per frame A {Comparison.ms_per_frame(a):.3f} ms, B {Comparison.ms_per_frame(b):.3f} ms")
    rows = c.rows()
    if rows:
        print(f"  {'lab.':>5}  {'P A':>5}  {'P B':>5}  {'dP':>6}  {'R A':>5}  {'R B':>5}  {'dR':>6}  "
              f"{'F1 A':>5}  {'F1 B':>5}  {'dF1':>6}  class")

        def d(v):
            return "     -" if v != v else f"{v:+6.3f}"

        for r in rows:
            print(f"  {r['labelled']:5d}  {pct(r['precision_a'])}  {pct(r['precision_b'])}  {d(r['d_precision'])}  "
                  f"{pct(r['recall_a'])}  {pct(r['recall_b'])}  {d(r['d_recall'])}  "
                  f"{pct(r['f1_a'])}  {pct(r['f1_b'])}  {d(r['d_f1'])}  {r['class']}")
    print()


# -- calibrate ----------------------------------------------------------------------------------
def _calibrate(args) -> int:
    """Labelled set → fit → held-out table → (with -o) calibrated model + thresholds CSV.

    Outputs are checked before any analysis and written only after everything succeeded, each
    atomically: a bad input writes nothing."""
    from pathlib import Path

    from yamview.core import calibrate
    from yamview.core.calibrate import report as calibration_report
    from yamview.core.labels_io import LabelError, read_mapping

    if args.report and Path(args.report).suffix.lower() not in calibration_report.REPORT_SUFFIXES:
        _say(f"--report {args.report}: a report is FILE.csv or FILE.html")
        return EXIT_USAGE
    if args.output and Path(args.output).suffix.lower() != ".tflite":
        _say(f"-o {args.output}: the calibrated model needs the .tflite suffix")
        return EXIT_USAGE
    for out in (args.output, args.report):
        if out and not Path(out).resolve().parent.is_dir():
            _say(f"cannot write '{out}': the folder {Path(out).resolve().parent} does not exist")
            return EXIT_FAILED
    if args.labels is not None and (len(args.paths) != 1 or Path(args.paths[0]).is_dir()):
        _say("--labels goes with exactly one recording; for several, put each recording's labels "
             "beside it (rec.wav + rec.txt)")
        return EXIT_USAGE
    model = _checked_model(args)
    if isinstance(model, int):
        return model

    def progress(done: int, total: int, name: str) -> None:
        if sys.stderr.isatty():
            line = f"analysing {done + 1}/{total}: {name[-50:]}" if done < total else ""
            sys.stderr.write("\r" + " " * 72 + "\r" + line)
            sys.stderr.flush()

    try:
        mapping = read_mapping(args.mapping, model.classes) if args.mapping else None
        kwargs = {"min_frames": args.min_frames} if args.min_frames else {}
        run = calibrate.calibrate(args.paths, model, args.labels, mapping, args.objective,
                                  hop_seconds=args.hop, use_cache=not args.no_cache, jobs=args.jobs,
                                  progress=progress, **kwargs)
    except (LabelError, calibrate.DatasetError, calibrate.FitError) as exc:
        _say(str(exc))
        return EXIT_FAILED
    for note in run.notes:
        _say(note)
    result = run.result
    print(calibration_report.format_table(result))
    status = EXIT_OK
    if args.report:
        try:
            written = calibration_report.write_report(args.report, result)
            print(f"report: {', '.join(str(p) for p in written)}")
        except OSError as exc:
            _say(f"cannot write '{args.report}': {exc.strerror or exc}")
            status = EXIT_FAILED
    if args.output:
        try:
            out, thresholds = calibrate.write_calibrated_model(
                args.output, model, result.fit.calibration, result.fit.thresholds)
        except calibrate.ExportError as exc:
            _say(str(exc))
            return EXIT_FAILED
        except OSError as exc:
            _say(f"cannot write '{args.output}': {exc.strerror or exc}")
            return EXIT_FAILED
        print(f"calibrated model: {out} ({len(result.fit.fitted)} classes calibrated in its "
              f"metadata); per-class thresholds: {thresholds}")
    return status


# -- train --------------------------------------------------------------------------------------
def _add_train_parser(sub) -> None:
    t = sub.add_parser("train", help="teach new sounds: train a head on YAMNet's embeddings from a "
                       "folder with one subfolder of audio files per class; write a two-head .tflite",
                       description="DIR holds one subfolder per class (its name is the class name), "
                       "audio files inside. A 'background' class with everyday sounds of the place "
                       "is recommended. Prints cross-validated figures (folds never split a "
                       "recording) and writes YAMNet plus the trained head as one .tflite file.")
    t.add_argument("dir", metavar="DIR")
    t.add_argument("-o", "--output", metavar="MODEL.tflite", required=True,
                   help="where to write the trained model (written atomically)")
    t.add_argument("--hop", type=float, metavar="S", help=f"hop between frames, seconds (>= {MIN_HOP_SECONDS:g}; "
                   "default half the window)")
    t.add_argument("--folds", type=_positive_int, default=5, metavar="K",
                   help="cross-validation folds (default 5; at most the recordings of the largest class)")
    t.add_argument("--head-name", default="custom", metavar="NAME",
                   help="name of the new head in the model (default: custom)")
    t.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache")
    _add_model_options(t)
    _add_debug(t)


def _train(args) -> int:
    """Check the set, embed (cached), cross-validate, train on everything, export atomically.
    A data problem exits 1 with one message and writes nothing."""
    from pathlib import Path

    from yamview.core import training

    out = Path(args.output)
    if out.suffix.lower() != ".tflite":
        _say(f"the output must be a .tflite file (got '{args.output}')")
        return EXIT_USAGE
    if out.is_dir() or not out.parent.is_dir():
        _say(f"cannot write '{args.output}': {'it is a folder' if out.is_dir() else 'no such folder'}")
        return EXIT_FAILED
    model = _checked_model(args)
    if isinstance(model, int):
        return model
    try:
        training.check_base_model(model)  # before any work, not at the export
        tset = training.load_training_set(args.dir, model.window_seconds, model.classes)
        for w in tset.warnings:
            _say(f"warning: {w}")
        counts = tset.counts()
        print(f"training set {tset.root}: {len(tset.classes)} classes, {len(tset.recordings)} recordings")
        for c in tset.classes:
            print(f"  {counts[c]:4d}  {c}")
        bar = _ProgressBar("embedding", 1, sys.stderr.isatty())

        def progress(done: int, total: int, name: str) -> None:
            bar.total = max(total, 1)
            bar.update(done)

        emb = training.embed_training_set(tset, model, args.hop, progress, use_cache=not args.no_cache)
        bar.close()
        print(f"{len(emb.y)} frames (hop {emb.hop_seconds:.4g} s; {emb.from_cache} of "
              f"{len(emb.recordings)} recordings from the cache)")
        evaluation = training.cross_validate(emb, args.folds)
        for w in evaluation.warnings:
            _say(f"note: {w}")
        print(evaluation.report())
        head = training.train_head(emb)
        print(f"head trained on {head.frames} frames in {head.train_seconds:.2f} s")
        training.export_model(model, head, out, name=args.head_name)
    except training.DatasetError as exc:
        _say(str(exc))
        return EXIT_FAILED
    except OSError as exc:
        _say(f"cannot write '{args.output}': {exc.strerror or exc}")
        return EXIT_FAILED
    print(f"wrote {out} (heads: {', '.join(h.name for h in model.all_heads)}, {args.head_name}); "
          f"try: yamview classify FILE --model {out}")
    return EXIT_OK


# -- fetch --------------------------------------------------------------------------------------
def _fetch(args) -> int:
    from pathlib import Path

    from yamview.core import assets

    # A source checkout (or bundle) keeps its model in models/; an installed package in the
    # user data folder, where the app looks for it.
    dest = Path(args.dest) if args.dest else assets.source_models_dir() or assets.user_data_dir()
    status = EXIT_OK
    for key in ("yamnet", "ontology"):
        try:
            path = assets.fetch_into(key, dest, progress=_download_progress())
            print(f"{key}: {path}")
        except (assets.AssetError, OSError) as exc:
            if key == "yamnet":
                _say(f"cannot fetch {key}: {exc}")
                status = EXIT_FAILED
            else:  # optional: the app runs without it (no class descriptions, no roll-up)
                _say(f"warning: {key} not fetched; class descriptions and roll-up stay off "
                     f"until it is there: {exc}")
    return status


# -- entry point --------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    words = [a for a in argv if not a.startswith("-")]
    if words and words[0] not in COMMANDS and not os.path.exists(words[0]):
        close = difflib.get_close_matches(words[0], sorted(COMMANDS), n=1, cutoff=0.75)
        if close:
            _say(f"'{words[0]}' is neither a file nor a command; did you mean '{close[0]}'?")
            return EXIT_USAGE
    if words and words[0] in COMMANDS or "-h" in argv[:1] or "--help" in argv[:1]:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command and args.self_test:
            parser.error("--self-test takes no COMMAND")
    else:
        parser = build_app_parser()
        args = parser.parse_args(argv)
        args.command = None
        if (args.labels or args.mapping) and not args.file:
            parser.error("--labels and --mapping need a FILE to inspect")
        if args.mapping and not args.labels:
            parser.error("--mapping needs --labels TRUTH")
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="yamview: %(levelname)s: %(message)s")
    # The terminal gets warnings (everything with --debug) even when the window's log file
    # lowers the root level to INFO.
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # basicConfig's, not a host's (pytest's)
            handler.setLevel(logging.DEBUG if args.debug else logging.WARNING)
    try:
        if args.command == "classify":
            return _classify(args)
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "fetch":
            return _fetch(args)
        if args.command == "train":
            return _train(args)
        if args.command == "export-model":
            return _export_model(args)
        if args.self_test:
            from yamview.selftest import run_self_test

            return run_self_test()
        problem = _no_display()
        if problem:
            _say(problem)
            return EXIT_FAILED
        from yamview.gui.app import run_app

        return run_app(args.file, debug=args.debug, labels=args.labels, mapping=args.mapping)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:
        # `yamview classify ... | head`: the reader left. Say nothing, and stop Python from
        # complaining about the unflushable stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _export_model(args) -> int:
    """A bare model (BirdNET, ...) with the metadata yamview resolved for it, written atomically."""
    from pathlib import Path

    from yamview.core.files import write_bytes
    from yamview.core.model import ModelError
    from yamview.core.model_export import with_metadata

    if Path(args.output).resolve() == Path(args.model).resolve():
        _say("the output would overwrite the model itself: choose another -o path")
        return EXIT_USAGE
    model = _checked_model(args)
    if isinstance(model, int):
        return model
    try:
        data = with_metadata(model)
        write_bytes(args.output, data)
    except ModelError as exc:
        _say(str(exc))
        return EXIT_FAILED
    except OSError as exc:
        _say(f"cannot write '{args.output}': {exc.strerror or exc}")
        return EXIT_FAILED
    print(f"{args.output}: {model.name}, {model.sample_rate} Hz, {model.n_classes} classes"
          f"{', sigmoid as score calibration' if model.activation == 'sigmoid' else ''}")
    return EXIT_OK


def _no_display() -> str | None:
    """On Linux without X11/Wayland, Qt's own error blames a missing xcb library: say the truth."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). yamview's window "
            "needs a desktop session; on a server use `yamview classify` / `yamview analyze`, or "
            "QT_QPA_PLATFORM=offscreen for `yamview --self-test`.")
