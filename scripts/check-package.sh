#!/usr/bin/env bash
# Packaging job (called by .ci/run): what a new user gets from `pip install hacheck`.
#  1. build the wheel and the sdist (python -m build; the 'package' extra of pyproject.toml);
#  2. Python 3.11: install the wheel in a fresh virtualenv in a temporary folder outside the
#     checkout, and from that folder: check a shipped model by name, a copy of examples/star.toml
#     and the lemmas, each compared with the same command run on the checkout (exit code and
#     verdict lines), and a two-line pytest test through the plugin's entry point;
#  3. Python 3.12: install the sdist (so the sdist builds) with its test extra in a second fresh
#     virtualenv, run the sdist's own tests (-m 'not slow') from the unpacked sdist, and check a
#     shipped model by name there too.
# Python 3.12 comes from pyenv (/root/.pyenv/versions/3.12.*; Debian 12 has no python3.12 package);
# set PYTHON312=... to use another one. Exits non-zero on the first difference.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
# an interpreter of version $1: $PYTHON3xx, pyenv's own install, or one on PATH (a pyenv shim on PATH
# may exist without working, when that version is not pyenv's global one: each is tried)
find_python() {
  local want=$1 var=PYTHON${1/./} c
  for c in ${!var:-} $(ls -d /root/.pyenv/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V -r) \
           $(command -v python"$want" || true); do
    if "$c" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
      echo "$c"; return
    fi
  done
}
PY311=$(find_python 3.11)
PY312=$(find_python 3.12)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hacheck-package.XXXXXX")
case "$WORK" in "$ROOT"/*) echo "check-package: $WORK is inside the checkout" >&2; exit 2;; esac
trap 'rm -rf "$WORK"' EXIT
export HACHECK_CACHE_DIR=off PIP_DISABLE_PIP_VERSION_CHECK=1
step() { echo "== check-package: $*"; }
fail() { echo "check-package: FAILED: $*" >&2; exit 1; }

# verdict lines without timings and speeds, for comparing two runs of one command
norm() { sed -E -e '/explicit: |^checking |files: |^[ -]+$/d' -e 's/[0-9][0-9,]*(\.[0-9]+)? s\b/T s/g' \
  -e 's/[0-9,]+ states\/s/R states\/s/g' -e 's/ +/ /g' "$1"; }

# run NAME EXPECTED_CODE_OR_'-' CMD...: run in the current folder, keep stdout in $WORK/NAME.out
run() {
  local name=$1 want=$2; shift 2
  set +e; "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"; local rc=$?; set -e
  echo "$rc" > "$WORK/$name.rc"
  if [ "$want" != - ] && [ "$rc" != "$want" ]; then
    cat "$WORK/$name.out" "$WORK/$name.err"; fail "$* exited $rc, expected $want"
  fi
  echo "   $* -> exit $rc"
}
# same NAME: the installed run and the checkout's run ($NAME.ref) agree on exit code and verdicts
same() {
  [ "$(cat "$WORK/$1.rc")" = "$(cat "$WORK/$1.ref.rc")" ] \
    || fail "$1: exit $(cat "$WORK/$1.rc") installed, $(cat "$WORK/$1.ref.rc") from the checkout"
  diff <(norm "$WORK/$1.ref.out") <(norm "$WORK/$1.out") > "$WORK/$1.diff" \
    || { cat "$WORK/$1.diff"; fail "$1: the installed package and the checkout print different verdicts"; }
  echo "   same exit code ($(cat "$WORK/$1.rc")) and verdicts as the checkout"
}

step "build the wheel and the sdist"
"$PY" -m pip install -q 'build>=1.2'
"$PY" -m build -q --outdir "$WORK/dist" . > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "python -m build"; }
WHEEL=$(ls "$WORK"/dist/hacheck-*.whl); SDIST=$(ls "$WORK"/dist/hacheck-*.tar.gz)
ls -l "$WORK/dist"
VERSION=$(cd "$ROOT" && "$PY" -c 'import hacheck; print(hacheck.__version__)')
case "$(basename "$WHEEL")" in "hacheck-$VERSION-"*) ;; *) fail "wheel $(basename "$WHEEL") is not version $VERSION";; esac
unzip -l "$WHEEL" > "$WORK/wheel.list"  # a file, not a pipe: with pipefail, grep -q quitting early kills unzip (SIGPIPE)
grep -q ' hacheck/models/gluster_arbiter.py$' "$WORK/wheel.list" || fail "the wheel has no hacheck/models"
grep -q ' hacheck/properties/rules.py$' "$WORK/wheel.list" || fail "the wheel has no hacheck/properties"
! grep -Eq ' (models|properties)/' "$WORK/wheel.list" || fail "the wheel has a top-level models/ or properties/"

step "Python 3.11 ($PY311): the wheel in a fresh virtualenv in $WORK/user"
[ -n "$PY311" ] || fail "python3.11 not found"
mkdir -p "$WORK/user" "$WORK/ref"
"$PY311" -m venv "$WORK/venv311"
"$WORK/venv311/bin/pip" install -q "$WHEEL" pytest
HC="$WORK/venv311/bin/hacheck"
SITE=$("$WORK/venv311/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
[ ! -e "$SITE/models" ] && [ ! -e "$SITE/properties" ] || fail "top-level models/properties in site-packages"
cp "$ROOT/examples/star.toml" "$WORK/user/"; cp "$ROOT/examples/star.toml" "$WORK/ref/"
cd "$WORK/user"
run version 0 "$HC" --version
grep -qx "hacheck $VERSION" "$WORK/version.out" || fail "hacheck --version says $(cat "$WORK/version.out"), not $VERSION"
run models 0 "$HC" models
[ "$(wc -l < "$WORK/models.out")" = "$(ls "$ROOT"/models/[!_]*.py | wc -l)" ] || fail "hacheck models: not one line per shipped model"
# a two-way replica without quorum: the split-brain the issue asks to see (exit 1 by design)
run split 1 "$HC" check gluster_arbiter --param replica=2 --param arbiter=false --param quorum_type=none
grep -Eq '^  no_split_brain +invariant +violated' "$WORK/split.out" || fail "no split-brain in $WORK/split.out"
grep -q 'Counterexample for no_split_brain' "$WORK/split.out" || fail "no counterexample printed"
run gluster - "$HC" check gluster_arbiter -q
run star - "$HC" check star.toml -q
run lemma - "$HC" lemma
(cd "$WORK/ref" && export PYTHONPATH="$ROOT" \
  && run gluster.ref - "$PY" -m hacheck.cli check gluster_arbiter -q \
  && run star.ref - "$PY" -m hacheck.cli check star.toml -q \
  && run lemma.ref - "$PY" -m hacheck.cli lemma)
for name in gluster star lemma; do same $name; done
printf 'def test_split_brain(hacheck_check):\n    hacheck_check("gluster_arbiter", ["no_split_brain"], params={"replica": 2, "arbiter": False, "quorum_type": "none"})\n' > test_plugin.py
run plugin 1 "$WORK/venv311/bin/python" -m pytest -q -p no:cacheprovider test_plugin.py
grep -q 'Counterexample for no_split_brain' "$WORK/plugin.out" || { cat "$WORK/plugin.out"; fail "pytest did not print the counterexample"; }
grep -q 'FAILED test_plugin.py::test_split_brain' "$WORK/plugin.out" || fail "the plugin test did not fail"
grep -E 'no_split_brain violated|Counterexample for|^FAILED' "$WORK/plugin.out" | sed 's/^/   | /'
# a user's own model importing a shipped rule (docs/language.md)
cp "$ROOT/docs/tutorial/quorum_rule.py" .
run own-auto 0 "$HC" check quorum_rule.py -q
run own-half 1 "$HC" check quorum_rule.py --param quorum_type=half -q

step "Python 3.12 (${PY312:-none}): the sdist with its tests in a fresh virtualenv"
[ -n "$PY312" ] || fail "python3.12 not found (pyenv's /root/.pyenv/versions/3.12.*, or set PYTHON312)"
"$PY312" -m venv "$WORK/venv312"
"$WORK/venv312/bin/pip" install -q "hacheck[test] @ file://$SDIST"
mkdir -p "$WORK/sdist" && tar -xzf "$SDIST" -C "$WORK/sdist"
cd "$WORK/sdist"/hacheck-*/
run sdist-version 0 "$WORK/venv312/bin/hacheck" --version
run split312 1 "$WORK/venv312/bin/hacheck" check gluster_arbiter --param replica=2 --param arbiter=false \
  --param quorum_type=none --property no_split_brain --out "$WORK/out312"
run sdist-tests 0 "$WORK/venv312/bin/python" -m pytest -q -x -n auto -m 'not slow' -p no:cacheprovider
tail -1 "$WORK/sdist-tests.out"
step "ok"
