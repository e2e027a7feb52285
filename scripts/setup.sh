#!/usr/bin/env bash
# Set up hacheck on a fresh Debian machine: graphviz's `dot` from Debian, then a virtualenv in
# .venv with hacheck and its test dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# From Debian: graphviz's dot (trace pictures), chromium and its driver (the HTML report's browser
# tests), spin and gcc (the Promela export is cross-checked by SPIN).
missing=""
command -v spin >/dev/null 2>&1 || missing="$missing spin"
command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,cluster,storm]'
