#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Differential test: ocigate's reading of engine documents against runc's
# (Go's encoding/json into specs-go, tests/fuzz/oracle/oracle.go).
#
#   tests/fuzz/differential.sh SRCDIR BUILDDIR [MUTANTS] [SEED]
#
# Inputs: every engine fixture (tests/fixtures/engines/**/*.json), the known
# differentials (tests/fuzz/crashes/differential-*.json), the
# oracle's generated tricky inputs (key case variants of every specs-go
# json tag, U+212A / U+017F literal and \u-escaped, duplicates, invalid
# UTF-8, lone surrogates, integer spellings, deep nesting, trailing data,
# ...) and MUTANTS random mutants of all of those (default 3000, SEED 1;
# 0 disables the mutation round).  The fixed inputs go through files; the
# mutants are made in memory and streamed through spec_dump's stream mode
# (tens of thousands a second), so millions are a matter of minutes.
#
# For each input accepted by og_spec_parse (tests/fuzz/spec_dump), runc's
# decoder must read the original and ocigate's canonical output to the same
# value, and everything it reads must be in ocigate's tree under the exact
# key spelling.  Exits 1 when a differential is found; the offending inputs
# are copied to BUILDDIR/differentials/.
#
# Needs clang-14 or gcc, yajl, and offline Go: apt-get install golang-go
# golang-github-opencontainers-specs-dev.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 SRCDIR BUILDDIR [MUTANTS] [SEED]" >&2
    exit 2
fi
SRCDIR=$(cd "$1" && pwd)
mkdir -p "$2"
BUILDDIR=$(cd "$2" && pwd)
MUTANTS=${3:-3000}
SEED=${4:-1}
FUZZDIR=$SRCDIR/tests/fuzz
start=$(date +%s)

# ---- build the two readers ----------------------------------------------------

if [ -z "${CC:-}" ]; then
    if command -v clang-14 >/dev/null 2>&1; then CC=clang-14; else CC=cc; fi
fi
LIBS=$(pkg-config --cflags --libs yajl)
for m in libseccomp libcap libmnl nettle; do
    if pkg-config --exists "$m" 2>/dev/null; then LIBS="$LIBS $(pkg-config --cflags --libs "$m")"; fi
done
"$FUZZDIR/gen-config.sh" "$SRCDIR" "$BUILDDIR"
echo "== build spec_dump ($CC)"
# shellcheck disable=SC2046,SC2086
$CC -std=gnu11 -g -O1 -I"$SRCDIR/include" -I"$BUILDDIR" -o "$BUILDDIR/spec_dump" "$FUZZDIR/spec_dump.c" \
    $(ls "$SRCDIR"/lib/*.c "$SRCDIR"/policy/*.c) $LIBS

command -v go >/dev/null 2>&1 || {
    echo "$0: go not found (apt-get install golang-go golang-github-opencontainers-specs-dev)" >&2
    exit 2
}
[ -d /usr/share/gocode/src/github.com/opencontainers/runtime-spec/specs-go ] || {
    echo "$0: specs-go not found (apt-get install golang-github-opencontainers-specs-dev)" >&2
    exit 2
}
echo "== build oracle ($(go version | cut -d' ' -f3))"
gotmp=$BUILDDIR/gopath
mkdir -p "$gotmp"
(cd "$FUZZDIR/oracle" &&
    GO111MODULE=off GOPATH="$gotmp:/usr/share/gocode" GOPROXY=off GOFLAGS='' GOCACHE="$gotmp/cache" \
        go build -o "$BUILDDIR/oracle" oracle.go)

# ---- inputs -------------------------------------------------------------------

IN=$BUILDDIR/diff-inputs
rm -rf "$IN" "$BUILDDIR/diff-canon" "$BUILDDIR/differentials"
mkdir -p "$IN"
nfix=0
for f in $(find "$SRCDIR/tests/fixtures/engines" -name '*.json' -type f | sort); do
    # Keep the .process.json / .update.json suffix: it tells the oracle
    # which type runc decodes the document into.
    cp "$f" "$IN/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"
    nfix=$((nfix + 1))
done
nknown=0
for f in "$FUZZDIR"/crashes/differential-*.json; do
    [ -f "$f" ] || continue
    cp "$f" "$IN/known-$(basename "$f")"
    nknown=$((nknown + 1))
done
"$BUILDDIR/oracle" -gen "$IN"
ngen=$(find "$IN" -name 'gen-*' -type f | wc -l)
echo "== inputs: $nfix fixtures, $nknown known differentials (tests/fuzz/crashes), $ngen generated"

# ---- compare ------------------------------------------------------------------

"$BUILDDIR/spec_dump" "$IN" "$BUILDDIR/diff-canon"
rc=0
"$BUILDDIR/oracle" -compare "$IN" -canon "$BUILDDIR/diff-canon" ${DIFF_VERBOSE:+-v} >"$BUILDDIR/differential.log" || rc=$?
ndiff=$(grep -c '^DIFFERENTIAL ' "$BUILDDIR/differential.log" || true)
if [ "$ndiff" -gt 0 ]; then
    mkdir -p "$BUILDDIR/differentials"
    grep '^DIFFERENTIAL ' "$BUILDDIR/differential.log" | sed 's/^DIFFERENTIAL \([^:]*\):.*/\1/' | while read -r n; do
        cp "$IN/$n" "$BUILDDIR/differentials/"
    done
    grep -A2 '^DIFFERENTIAL ' "$BUILDDIR/differential.log" | head -n "${DIFF_SHOW:-60}"
    [ "$(grep -c . "$BUILDDIR/differential.log")" -gt "${DIFF_SHOW:-60}" ] && echo "... (full list: $BUILDDIR/differential.log)"
fi
grep -v "^DIFFERENTIAL \|^    [^ ]" "$BUILDDIR/differential.log" || true

# ---- mutants, streamed ----------------------------------------------------------

if [ "$MUTANTS" -gt 0 ]; then
    echo "== $MUTANTS mutants of those inputs (seed $SEED)"
    mkdir -p "$BUILDDIR/differentials"
    mrc=0
    "$BUILDDIR/oracle" -stream "$MUTANTS" -seed "$SEED" -from "$IN" -dump "$BUILDDIR/spec_dump" \
        -diffs "$BUILDDIR/differentials" ${DIFF_VERBOSE:+-v} >"$BUILDDIR/differential-mutants.log" || mrc=$?
    grep -A2 '^DIFFERENTIAL ' "$BUILDDIR/differential-mutants.log" | head -n "${DIFF_SHOW:-60}"
    grep -v "^DIFFERENTIAL \|^    [^ ]" "$BUILDDIR/differential-mutants.log" || true
    [ "$mrc" -le "$rc" ] || rc=$mrc
    rmdir "$BUILDDIR/differentials" 2>/dev/null || true
fi
echo "== differential run took $(($(date +%s) - start))s"
[ "$rc" -le 1 ] || echo "$0: the oracle failed (exit $rc)" >&2
exit "$rc"
