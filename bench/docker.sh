#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/docker.sh SRCDIR BUILDDIR: end to end, `docker run --rm busybox true`
# with ocigate in front of runc against runc alone, paired and alternating
# (bench/driver), on a PRIVATE dockerd named by DOCKER_HOST.  Optional:
# without DOCKER_HOST it says so and exits 0.
#
# The daemon needs two runtimes (daemon.json "runtimes"): one that is
# ocigate in front of runc, with a policy that accepts the daemon's own
# binds (its data-root's containers/<id>/ files), and plain runc, e.g.
#
#   "runtimes": {
#     "ocigate": { "path": "/usr/local/sbin/ocigate",
#                  "runtimeArgs": ["--ocigate-policy=/etc/ocigate/policy.json",
#                                  "--ocigate-runtime=/usr/sbin/runc"] },
#     "plain-runc": { "path": "/usr/sbin/runc" }
#   }
#
# Environment:
#   DOCKER_HOST                 the private daemon (required)
#   OCIGATE_DOCKER_RUNTIME      its ocigate runtime name (default ocigate)
#   RUNC_DOCKER_RUNTIME         its plain runc runtime name (default runc)
#   DOCKER_BENCH_IMAGE          image (default busybox, pulled if absent)
#   DOCKER_BENCH_RUNS           paired runs (default 50)
#   DOCKER_BENCH_ALLOW_DEFAULT  1 lets DOCKER_HOST be the host's default socket
#
# Writes BUILDDIR/bench/docker.json (and .docker of results.json if present).
set -euo pipefail

SRC=${1:?usage: docker.sh SRCDIR BUILDDIR}
BUILD=${2:?usage: docker.sh SRCDIR BUILDDIR}
OG_RT=${OCIGATE_DOCKER_RUNTIME:-ocigate}
RUNC_RT=${RUNC_DOCKER_RUNTIME:-runc}
IMAGE=${DOCKER_BENCH_IMAGE:-busybox}
RUNS=${DOCKER_BENCH_RUNS:-50}
OUT="$BUILD/bench"

die() {
	echo "docker.sh: $*" >&2
	exit 1
}

if [ -z "${DOCKER_HOST:-}" ]; then
	echo "docker.sh: skipped: set DOCKER_HOST to a private dockerd that has the runtimes" \
		"'$OG_RT' (ocigate in front of runc) and '$RUNC_RT' (see the top of bench/docker.sh)"
	exit 0
fi
case "$DOCKER_HOST" in
unix:///var/run/docker.sock | unix:///run/docker.sock)
	[ "${DOCKER_BENCH_ALLOW_DEFAULT:-0}" = 1 ] ||
		die "DOCKER_HOST is the host's default daemon; use a private one (or DOCKER_BENCH_ALLOW_DEFAULT=1)"
	;;
esac
command -v docker >/dev/null || die "no docker CLI"
command -v jq >/dev/null || die "needs jq"

runtimes=$(docker info --format '{{json .Runtimes}}') || die "cannot reach the daemon at $DOCKER_HOST"
for rt in "$OG_RT" "$RUNC_RT"; do
	jq -e --arg rt "$rt" 'has($rt)' <<<"$runtimes" >/dev/null ||
		die "the daemon has no runtime '$rt' (it has: $(jq -r 'keys | join(", ")' <<<"$runtimes"))"
done
docker image inspect "$IMAGE" >/dev/null 2>&1 || docker pull -q "$IMAGE" >/dev/null || die "cannot pull $IMAGE"

mkdir -p "$OUT/raw"
DRIVER="$OUT/driver"
if [ ! -x "$DRIVER" ]; then
	gcc -O2 -static -o "$DRIVER" "$SRC/bench/driver.c" || die "cannot build the driver"
fi
# one of each first: a runtime that refuses shows here, not after 50 runs
docker run --rm --runtime="$OG_RT" "$IMAGE" true || die "docker run --runtime=$OG_RT $IMAGE true failed"
docker run --rm --runtime="$RUNC_RT" "$IMAGE" true || die "docker run --runtime=$RUNC_RT $IMAGE true failed"

LOG=$(mktemp "${TMPDIR:-/tmp}/ocigate-bench-docker.XXXXXX")
trap 'rm -f "$LOG"' EXIT
echo "docker.sh: $RUNS paired runs of docker run --rm $IMAGE true, --runtime=$OG_RT vs --runtime=$RUNC_RT" >&2
if ! "$DRIVER" -n "$RUNS" -w 3 -l "$LOG" -o "$OUT/raw/docker.tsv" -- \
	docker run --rm --runtime="$OG_RT" "$IMAGE" true --vs docker run --rm --runtime="$RUNC_RT" "$IMAGE" true \
	>"$OUT/docker.json.tmp"; then
	tail -n 20 "$LOG" >&2
	die "a docker run failed"
fi
jq --arg og "$OG_RT" --arg runc "$RUNC_RT" --arg image "$IMAGE" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	'. + {ocigate_runtime: $og, runc_runtime: $runc, image: $image, load_end: $load}' \
	"$OUT/docker.json.tmp" >"$OUT/docker.json"
rm -f "$OUT/docker.json.tmp"
if [ -f "$OUT/results.json" ]; then
	jq --slurpfile d "$OUT/docker.json" '.docker = $d[0]' "$OUT/results.json" >"$OUT/results.json.tmp" &&
		mv "$OUT/results.json.tmp" "$OUT/results.json"
fi
jq -r '
	def ms: if . == null then "-" else (. / 1000 | round) / 1000 | tostring end;
	"docker run --rm \(.image) true, \(.n) paired runs (wall ms):",
	"  through ocigate (\(.ocigate_runtime)): median \(.a.median_ns | ms) [\(.a.min_ns | ms)-\(.a.max_ns | ms)]",
	"  runc alone (\(.runc_runtime)):        median \(.b.median_ns | ms) [\(.b.min_ns | ms)-\(.b.max_ns | ms)]",
	"  added per container: \(.paired_diff_median_ns | ms) ms (median of the paired differences)"' "$OUT/docker.json"
echo "results: $OUT/docker.json"
