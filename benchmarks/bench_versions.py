"""Two checkouts of yamview side by side: the same ``yamview classify`` runs, interleaved.

For before/after figures measured in one run on one machine (these machines differ too much
for figures from different runs to compare). Each checkout runs from its own source tree with
this interpreter and its packages; the editable install of the current tree is bypassed.

    git worktree add --detach /tmp/before <commit>
    .venv/bin/python benchmarks/bench_versions.py /tmp/before . FILE [--rounds 3]
        [--case "--jobs 1" --case "--jobs 2 --hop 0.975" ...]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Runs ``python -m yamview`` from the tree given first, whatever tree is installed (editable).
_FROM_TREE = (
    "import runpy, sys\n"
    "root = sys.argv.pop(1)\n"
    "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
    "sys.path.insert(0, root)\n"
    "import yamview\n"
    "assert yamview.__file__.startswith(root), yamview.__file__\n"
    "runpy.run_module('yamview', run_name='__main__', alter_sys=True)\n"
)


def run_once(tree: Path, argv: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _FROM_TREE, str(tree), *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"{tree}: {' '.join(argv)} failed:\n{proc.stderr[-800:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("before", type=Path, help="source tree of the 'before' checkout")
    p.add_argument("after", type=Path, help="source tree of the 'after' checkout")
    p.add_argument("file", type=Path, help="the audio file to classify")
    p.add_argument("--case", action="append", default=None,
                   help="extra classify options, one case each (default: --jobs 1, --jobs 2)")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    cases = args.case or ["--jobs 1", "--jobs 2"]
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    walls: dict[tuple[str, str], list[float]] = {(t, c): [] for t in trees for c in cases}
    cpus: dict[tuple[str, str], list[float]] = {(t, c): [] for t in trees for c in cases}
    keys = list(walls)
    print(f"file: {args.file}; before = {trees['before']}, after = {trees['after']}; "
          f"{args.rounds} interleaved rounds, order rotated", flush=True)
    for r in range(args.rounds):
        for tree, case in keys[r % len(keys):] + keys[: r % len(keys)]:
            wall, cpu = run_once(trees[tree], ["classify", str(args.file), *case.split()])
            walls[tree, case].append(wall)
            cpus[tree, case].append(cpu)
            print(f"  round {r + 1}: {tree:<6} {case:<28} {wall:6.2f} s  CPU {cpu:5.2f} s = "
                  f"{cpu / wall:.2f} cores", flush=True)
    print("\n== medians; after / before as speed (before wall / after wall), per round in brackets")
    for case in cases:
        b, a = walls["before", case], walls["after", case]
        per_round = [x / y for x, y in zip(b, a)]
        print(f"  {case:<28} before {statistics.median(b):6.2f} s  after {statistics.median(a):6.2f} s  "
              f"speed {statistics.median(per_round):.2f}x  [{', '.join(f'{x:.2f}' for x in per_round)}]  "
              f"CPU {statistics.median(cpus['before', case]):5.2f} -> {statistics.median(cpus['after', case]):5.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
