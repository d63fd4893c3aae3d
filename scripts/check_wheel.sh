#!/usr/bin/env bash
# The pip install a user does: build the wheel, install it (not editable) into a fresh venv, give
# it the model the documented way (the user data folder, as offline users do), then run
# `yamview fetch`, `yamview --self-test` and `yamview classify` on a real clip, outside the
# checkout so nothing of the source tree can stand in for the installed package.
#   bash scripts/check_wheel.sh [WORKDIR]    (after bash scripts/dev.sh setup; CI runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${YAMVIEW_VENV:-.venv}
PY=${PYTHON:-python3}
if [[ $# -ge 1 ]]; then WORK=$1; else  # a temporary folder of our own (~600 MB): removed at exit
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/yamview-wheel.XXXXXX"); trap 'rm -rf "$WORK"' EXIT
fi
say() { printf 'check_wheel: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

[[ -f models/yamnet.tflite ]] || fail "models/yamnet.tflite missing: run bash scripts/dev.sh setup first"
CLIP=${YAMVIEW_CHECK_CLIP:-$ROOT/../shared/audio/speech.wav}
[[ -f $CLIP ]] || fail "no clip to classify at $CLIP (../shared/audio, or set YAMVIEW_CHECK_CLIP)"

say "building the wheel into $WORK/dist"
rm -rf "$WORK/dist" "$WORK/venv" "$WORK/home"
"$VENV/bin/python" -m pip wheel -q --no-deps -w "$WORK/dist" . >/dev/null
wheel=$(ls "$WORK"/dist/yamview-*.whl)
listing=$("$VENV/bin/python" -m zipfile -l "$wheel")
for data in resources/manifest.json resources/yamview.svg resources/yamview.desktop; do
  grep -q "yamview/$data" <<<"$listing" || fail "$data is not in $wheel"
done
if grep -qE '\.(tflite|wav|ogg|flac|mp3|npz) ' <<<"$listing"; then fail "$wheel carries a model or audio file"; fi

say "installing $(basename "$wheel") into a fresh venv"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q "$wheel"

# A user with nothing set up: fresh folders, no YAMVIEW_* variables, run from elsewhere.
home=$WORK/home
mkdir -p "$home"
export HOME=$home XDG_DATA_HOME=$home/.local/share XDG_CONFIG_HOME=$home/.config
export XDG_STATE_HOME=$home/.local/state XDG_CACHE_HOME=$home/.cache QT_QPA_PLATFORM=offscreen
unset YAMVIEW_MODEL YAMVIEW_ONTOLOGY PYTHONPATH
cd "$home"
yamview=$WORK/venv/bin/yamview
[[ "$(readlink -f "$("$WORK/venv/bin/python" -c 'import yamview; print(yamview.__file__)')")" == "$WORK"/venv/* ]] \
  || fail "the fresh venv imports yamview from outside itself"

# The documented offline path: the model (and ontology) into the user data folder.
models=$XDG_DATA_HOME/yamview/models
mkdir -p "$models"
cp "$ROOT/models/yamnet.tflite" "$models/"
[[ -f $ROOT/models/ontology.json ]] && cp "$ROOT/models/ontology.json" "$models/"
out=$("$yamview" fetch) || fail "yamview fetch: $out"
grep -qx "yamnet: $models/yamnet.tflite" <<<"$out" || fail "yamview fetch did not take the user data folder's model: $out"

out=$("$yamview" --self-test) || fail "yamview --self-test: $out"
say "$out"
out=$("$yamview" classify "$CLIP" --top 1 --format csv) || fail "yamview classify: $out"
[[ $CLIP != */speech.wav ]] || grep -q ",Speech," <<<"$out" || fail "speech.wav was not classified as Speech: $out"
say "classify $(basename "$CLIP"): $(tail -n 1 <<<"$out")"
say "ok"
