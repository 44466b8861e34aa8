#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Build and run ocigate's libFuzzer harnesses.
#
#   tests/fuzz/run.sh SRCDIR BUILDDIR [SECONDS]
#
# Compiles each harness with clang-14 (-fsanitize=fuzzer,address,undefined,
# UBSan fatal) directly against the library sources, seeds a working corpus
# in BUILDDIR/corpus/<harness>/ from tests/fuzz/corpus/<harness>/, the engine
# fixtures and the shipped policies, replays the known reproducers in
# tests/fuzz/crashes/, then fuzzes each harness for SECONDS (default 30).
# Prints the executions per harness; exits non-zero on any crash, leak,
# sanitizer report or invariant violation (artifacts in BUILDDIR/artifacts/).
#
# Environment: CC (default clang-14), FUZZ_HARNESSES (default: all),
# FUZZ_JOBS_ARGS (extra libFuzzer arguments), OCIGATE_FUZZ_SKIP_KNOWN (1 by
# default: while fuzzing, the harnesses skip inputs that hit a bug whose
# reproducer is in tests/fuzz/crashes/ -- those are replayed, and fail the
# run, before fuzzing starts; set 0 to fuzz without the filters).
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 SRCDIR BUILDDIR [SECONDS]" >&2
    exit 2
fi
SRCDIR=$(cd "$1" && pwd)
mkdir -p "$2"
BUILDDIR=$(cd "$2" && pwd)
SECONDS_PER=${3:-30}
CC=${CC:-clang-14}
FUZZDIR=$SRCDIR/tests/fuzz
HARNESSES=${FUZZ_HARNESSES:-fuzz_json fuzz_spec fuzz_policy fuzz_layers fuzz_cli}

command -v "$CC" >/dev/null 2>&1 || {
    echo "$0: $CC not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 2
}
YAJL=$(pkg-config --cflags --libs yajl) || {
    echo "$0: yajl not found by pkg-config (apt-get install libyajl-dev)" >&2
    exit 2
}
# Libraries the rules may use (the same pkg-config modules as configure.ac);
# each one is added when installed.
for m in libseccomp libcap libmnl nettle; do
    if pkg-config --exists "$m" 2>/dev/null; then
        YAJL="$YAJL $(pkg-config --cflags --libs "$m")"
    fi
done

# ---- build ------------------------------------------------------------------

"$FUZZDIR/gen-config.sh" "$SRCDIR" "$BUILDDIR"

CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
INCLUDES="-I$SRCDIR/include -I$SRCDIR/runtime -I$SRCDIR/policy -I$FUZZDIR -I$BUILDDIR"
LIB_SRCS=$(ls "$SRCDIR"/lib/*.c "$SRCDIR"/policy/*.c)

for h in $HARNESSES; do
    extra=
    [ "$h" = fuzz_cli ] && extra="$SRCDIR/runtime/cli.c"
    [ "$h" = fuzz_json ] && extra="$FUZZDIR/yajl_ref.c"
    echo "== build $h"
    # shellcheck disable=SC2086
    $CC $CFLAGS $INCLUDES -DFUZZ_POLICY_PATH="\"$SRCDIR/policy/profiles/default.json\"" \
        -o "$BUILDDIR/$h" "$FUZZDIR/$h.c" $LIB_SRCS $extra $YAJL
done

# ---- seed corpora -------------------------------------------------------------

FIXTURES=$(find "$SRCDIR/tests/fixtures/engines" -name '*.json' -type f 2>/dev/null | sort)
PROFILES=$(ls "$SRCDIR"/policy/profiles/*.json 2>/dev/null || true)

seed() { # harness files...
    dir=$BUILDDIR/corpus/$1
    shift
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] || continue
        # Name seeds by content so reruns do not pile up copies.
        sum=$(sha1sum <"$f" | cut -c1-16)
        cp "$f" "$dir/seed-$sum"
    done
}

for h in $HARNESSES; do
    mkdir -p "$BUILDDIR/corpus/$h"
    # shellcheck disable=SC2046
    [ -d "$FUZZDIR/corpus/$h" ] && seed "$h" $(find "$FUZZDIR/corpus/$h" -type f | sort)
done
case " $HARNESSES " in *" fuzz_json "*)
    # shellcheck disable=SC2086
    seed fuzz_json $FIXTURES $PROFILES ;;
esac
case " $HARNESSES " in *" fuzz_policy "*)
    # shellcheck disable=SC2086
    seed fuzz_policy $PROFILES ;;
esac
case " $HARNESSES " in *" fuzz_spec "*)
    # shellcheck disable=SC2086
    seed fuzz_spec $FIXTURES
    # The fixtures' rootfs, bind sources and hooks are host paths of the
    # machine they were captured on: also seed variants that the rules can
    # accept in the fuzz bundle (root "rootfs", binds of "rootfs", no hooks),
    # so the invariants on accepted configs get exercised from the start.
    if command -v jq >/dev/null 2>&1; then
        tmp=$BUILDDIR/seed-tmp
        rm -rf "$tmp"
        mkdir -p "$tmp"
        for f in $FIXTURES; do
            case $f in *.config.json) ;; *) continue ;; esac
            b=$(basename "$f" .json)
            jq -c '.root.path = "rootfs" | del(.hooks)
                   | .mounts |= ((. // []) | map(if ((.type == "bind") or ((.options // []) | index("bind") or index("rbind")))
                                                   then .source = "rootfs" else . end))' "$f" >"$tmp/$b.local.json" 2>/dev/null || true
            jq -c '.root.path = "rootfs" | del(.hooks)
                   | .mounts |= ((. // []) | map(select((.type == "bind" or ((.options // []) | index("bind") or index("rbind"))) | not)))' \
                "$f" >"$tmp/$b.nobind.json" 2>/dev/null || true
        done
        # shellcheck disable=SC2046
        seed fuzz_spec $(find "$tmp" -type f -size +0 | sort)
        rm -rf "$tmp"
    else
        echo "note: jq not found; fuzz_spec is seeded with the raw fixtures only"
    fi ;;
esac

# ---- replay known reproducers ------------------------------------------------

status=0
mkdir -p "$BUILDDIR/artifacts" "$BUILDDIR/bundle/rootfs"
# The bundle dir of fuzz_spec / fuzz_policy (see fuzz_bundle.h).
OCIGATE_FUZZ_BUNDLE=$BUILDDIR/bundle
export OCIGATE_FUZZ_BUNDLE
for h in $HARNESSES; do
    set -- "$FUZZDIR"/crashes/"$h"-*
    [ -e "$1" ] || continue
    echo "== replay $h: $# known reproducer(s) in tests/fuzz/crashes/"
    for r in "$@"; do
        if env -u OCIGATE_FUZZ_SKIP_KNOWN "$BUILDDIR/$h" -runs=1 "$r" >"$BUILDDIR/artifacts/replay-$(basename "$r").log" 2>&1; then
            echo "   fixed:   $(basename "$r")"
        else
            echo "   FAILS:   $(basename "$r")  (log: $BUILDDIR/artifacts/replay-$(basename "$r").log)"
            status=1
        fi
    done
done

# ---- fuzz --------------------------------------------------------------------

summary=
for h in $HARNESSES; do
    dict=
    case $h in
        fuzz_json | fuzz_spec | fuzz_policy) dict="-dict=$FUZZDIR/spec.dict" ;;
        fuzz_cli) dict="-dict=$FUZZDIR/cli.dict" ;;
    esac
    log=$BUILDDIR/$h.log
    echo "== fuzz $h for ${SECONDS_PER}s (log: $log)"
    rc=0
    # Inputs that hit a bug already in tests/fuzz/crashes/ (replayed above)
    # are skipped by the harnesses, so fuzzing keeps looking for new ones.
    # shellcheck disable=SC2086
    OCIGATE_FUZZ_SKIP_KNOWN=${OCIGATE_FUZZ_SKIP_KNOWN:-1} "$BUILDDIR/$h" -max_total_time="$SECONDS_PER" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="$BUILDDIR/artifacts/$h-" $dict ${FUZZ_JOBS_ARGS:-} \
        "$BUILDDIR/corpus/$h" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/p')
    if [ "$rc" -ne 0 ]; then
        status=1
        summary="$summary
$h: FAILED (exit $rc) after ${execs:-?} executions; see $log"
        grep -E 'ERROR: |runtime error|invariant violated|fuzz_[a-z]+: |Test unit written|SUMMARY' "$log" | head -n 8 | sed 's/^/    /'
    else
        summary="$summary
$h: ${execs:-?} executions in ${SECONDS_PER}s ($cov, corpus $(find "$BUILDDIR/corpus/$h" -type f | wc -l) files)"
    fi
done

echo "== summary$summary"
if [ "$status" -ne 0 ]; then
    echo "fuzzing found problems (reproducers: $BUILDDIR/artifacts/)" >&2
fi
exit "$status"
