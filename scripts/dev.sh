#!/usr/bin/env bash
# yamview's one entry point for people and CI. Idempotent: run it as often as you like.
#   bash scripts/dev.sh run [ARGS]   set up (system packages, venv, model) and start the app
#   bash scripts/dev.sh test [ARGS]  set up and run the whole test suite (ARGS go to pytest)
#   bash scripts/dev.sh lint         ruff on everything, mypy on yamview/core and yamview/sources
#   bash scripts/dev.sh setup        set up only
#   bash scripts/dev.sh system       install the system packages only (scripts/apt-packages.txt)
#   bash scripts/dev.sh bundle [ARGS] set up, build the double-click app (dist/) and self-test it
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${YAMVIEW_VENV:-.venv}
PY=${PYTHON:-python3}

say() { printf 'yamview setup: %s\n' "$*" >&2; }

APT_WAIT=${YAMVIEW_APT_WAIT:-600}  # seconds to wait while another apt/dpkg holds its lock
APT_POLL=${YAMVIEW_APT_POLL:-5}

# apt_get ARGS...: $sudo apt-get ARGS (sudo: system_packages' local), waiting up to APT_WAIT s
# while another package manager (an unattended upgrade, a second set-up) holds apt's lock.
apt_get() {
  local start=$SECONDS err rc holder waiting=""
  err=$(mktemp)
  while :; do
    rc=0
    # LC_ALL=C: the lock messages below are matched in English
    $sudo env LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get "$@" 2>"$err" || rc=$?
    if [[ $rc -eq 0 ]]; then rm -f "$err"; return 0; fi
    if ! grep -qE 'Could not get lock|Unable to (acquire|lock)' "$err"; then
      cat "$err" >&2; rm -f "$err"; return "$rc"
    fi
    holder=$(grep -oE 'held by process [0-9]+( \([^)]*\))?' "$err" | head -n 1 || true)
    if (( SECONDS - start >= APT_WAIT )); then
      rm -f "$err"
      say "another package manager still holds apt's lock after ${APT_WAIT} s${holder:+ ($holder)}: run this again once it has finished (YAMVIEW_APT_WAIT=SECONDS waits longer)"
      exit 1
    fi
    [[ -n $waiting ]] || say "another package manager is running${holder:+ ($holder)}: waiting for it, at most ${APT_WAIT} s"
    waiting=1
    sleep "$APT_POLL"
  done
}

system_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { say "not a Debian-like system: install PortAudio, libsndfile, Qt's xcb/EGL libraries and fonts yourself"; return 0; }
  local missing=()
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done < scripts/apt-packages.txt
  if ! "$PY" -c 'import ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"
    elif [[ -t 0 ]] && command -v sudo >/dev/null 2>&1; then sudo="sudo"
    else say "please install: sudo apt-get install ${missing[*]}"; return 0; fi
  fi
  say "installing system packages: ${missing[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_env() {
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { say "Python >= 3.10 needed ($("$PY" --version))"; exit 1; }
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$VENV/.yamview-installed"
  if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    say "installing Python packages into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[test]"
    touch "$stamp"
  fi
  # The model and ontology: copied from ../shared when present, else downloaded and checked.
  "$VENV/bin/yamview" fetch >/dev/null
}

# The app bundle's build tools (PyInstaller, Pillow: the "build" extra), on top of the dev install.
bundle_env() {
  "$VENV/bin/python" -c 'import PyInstaller, PIL' >/dev/null 2>&1 && return 0
  say "installing the build tools (PyInstaller, Pillow) into $VENV"
  "$VENV/bin/python" -m pip install -q -e ".[build]"
}

cmd=${1:-run}; shift || true
case "$cmd" in
  setup) system_packages; python_env ;;
  system) system_packages ;;
  run)   system_packages; python_env; exec "$VENV/bin/yamview" "$@" ;;
  test)  system_packages; python_env; exec "$VENV/bin/python" -m pytest "$@" ;;
  lint)  python_env; "$VENV/bin/ruff" check .; exec "$VENV/bin/mypy" ;;  # config: pyproject.toml
  bundle) system_packages; python_env; bundle_env; exec "$VENV/bin/python" packaging/build.py "$@" ;;
  *) say "usage: bash scripts/dev.sh run|test|lint|setup|system|bundle"; exit 2 ;;
esac
