#!/usr/bin/env bash
# The main job: check every shipped model at its default (upstream) settings, then every example
# deployment. Prints one verdict table per model; exits with the worst exit code seen
# (1 violated > 3 inconclusive > 0 holds; 2 on bad input).
set -uo pipefail
cd "$(dirname "$0")/.."
HACHECK=${HACHECK:-.venv/bin/hacheck}
worst=0
mkdir -p hacheck-out
rank() { case $1 in 0) echo 0;; 3) echo 1;; 1) echo 2;; *) echo 3;; esac; }
run() {
  echo "== hacheck check $*"
  name=$(basename "$1"); name=${name%.*}
  "$HACHECK" check "$@" --quiet --out hacheck-out --json "hacheck-out/$name.json" --html "hacheck-out/$name.html"
  rc=$?
  [ "$(rank $rc)" -gt "$(rank $worst)" ] && worst=$rc
  echo
}
for model in models/*.py; do
  [ "$(basename "$model")" = "__init__.py" ] && continue
  run "$model"
done
for deployment in examples/*.toml; do
  [ -e "$deployment" ] || continue
  run "$deployment"
done
"$HACHECK" report --index hacheck-out >/dev/null
echo "reports: hacheck-out/index.html (one HTML page per model and deployment); trace files (ITF, DOT, SVG) in hacheck-out/"
exit $worst
