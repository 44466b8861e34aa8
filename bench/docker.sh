#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/docker.sh SRCDIR BUILDDIR: end to end, `docker run --rm busybox true`
# with ocigate in front of runc against runc alone, paired and alternating
# (bench/driver), on a PRIVATE dockerd named by DOCKER_HOST.  Optional:
# without DOCKER_HOST it says so and exits 0.
#
# The daemon needs two runtimes (daemon.json "runtimes"): ocigate in front
# of runc, registered as contrib/docker/daemon.json does (no runtimeArgs:
# dockerd would run it through a generated shell script; ocigate reads its
# built-in policy path, whose policy must accept the daemon's own binds),
# and plain runc, which dockerd always has:
#
#   "runtimes": { "ocigate": { "path": "/usr/local/sbin/ocigate" } }
#
# A second pair, when the daemon has both, splits the added time: ocigate
# with a policy in audit mode (it reads, judges and records everything but
# changes nothing, so runc gets the engine's own config) against runc, both
# with runtimeArgs (so both pay dockerd's script alike).  What that pair
# adds is the wrapper's own cost; the rest of the first pair's is what runc
# spends applying the hardened config (user namespace, mounts, seccomp...):
#
#   "ocigate-audit": { "path": "/usr/local/sbin/ocigate",
#                      "runtimeArgs": ["--ocigate-policy=/etc/ocigate/policy-audit.json"] },
#   "runc-args":     { "path": "/usr/sbin/runc", "runtimeArgs": ["--systemd-cgroup=false"] }
#
# Environment:
#   DOCKER_HOST                 the private daemon (required)
#   OCIGATE_DOCKER_RUNTIME      its ocigate runtime name (default ocigate)
#   RUNC_DOCKER_RUNTIME         its plain runc runtime name (default runc)
#   AUDIT_DOCKER_RUNTIMES       the second pair, "OCIGATE:RUNC" (default
#                               ocigate-audit:runc-args; run when both exist)
#   DOCKER_BENCH_IMAGE          image (default busybox, pulled if absent)
#   DOCKER_BENCH_RUNS           paired runs (default 50)
#   DOCKER_BENCH_ALLOW_DEFAULT  1 lets DOCKER_HOST be the host's default socket
#
# Writes BUILDDIR/bench/docker.json (and .docker of results.json if present);
# the second pair goes to .audit_pair of docker.json.
set -euo pipefail

SRC=${1:?usage: docker.sh SRCDIR BUILDDIR}
BUILD=${2:?usage: docker.sh SRCDIR BUILDDIR}
OG_RT=${OCIGATE_DOCKER_RUNTIME:-ocigate}
RUNC_RT=${RUNC_DOCKER_RUNTIME:-runc}
AUDIT_PAIR=${AUDIT_DOCKER_RUNTIMES:-ocigate-audit:runc-args}
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
has_runtime() {
	jq -e --arg rt "$1" 'has($rt)' <<<"$runtimes" >/dev/null
}
for rt in "$OG_RT" "$RUNC_RT"; do
	has_runtime "$rt" || die "the daemon has no runtime '$rt' (it has: $(jq -r 'keys | join(", ")' <<<"$runtimes"))"
done
docker image inspect "$IMAGE" >/dev/null 2>&1 || docker pull -q "$IMAGE" >/dev/null || die "cannot pull $IMAGE"

mkdir -p "$OUT/raw"
DRIVER="$OUT/driver"
if [ ! -x "$DRIVER" ]; then
	gcc -O2 -static -o "$DRIVER" "$SRC/bench/driver.c" || die "cannot build the driver"
fi
LOG=$(mktemp "${TMPDIR:-/tmp}/ocigate-bench-docker.XXXXXX")
trap 'rm -f "$LOG"' EXIT

# pair OCIGATE_RT RUNC_RT NAME: RUNS paired runs; the driver's JSON to
# $OUT/NAME.json with the runtime names added
pair() {
	local og=$1 runc=$2 name=$3
	# one of each first: a runtime that refuses shows here, not after 50 runs
	docker run --rm --runtime="$og" "$IMAGE" true || die "docker run --runtime=$og $IMAGE true failed"
	docker run --rm --runtime="$runc" "$IMAGE" true || die "docker run --runtime=$runc $IMAGE true failed"
	echo "docker.sh: $RUNS paired runs of docker run --rm $IMAGE true, --runtime=$og vs --runtime=$runc" >&2
	if ! "$DRIVER" -n "$RUNS" -w 3 -l "$LOG" -o "$OUT/raw/$name.tsv" -- \
		docker run --rm --runtime="$og" "$IMAGE" true --vs docker run --rm --runtime="$runc" "$IMAGE" true \
		>"$OUT/$name.json.tmp"; then
		tail -n 20 "$LOG" >&2
		die "a docker run failed"
	fi
	jq --arg og "$og" --arg runc "$runc" --arg image "$IMAGE" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
		'. + {ocigate_runtime: $og, runc_runtime: $runc, image: $image, load_end: $load}' \
		"$OUT/$name.json.tmp" >"$OUT/$name.json"
	rm -f "$OUT/$name.json.tmp"
}

show() {
	jq -r --arg title "$2" '
		def ms: if . == null then "-" else (. / 1000 | round) / 1000 | tostring end;
		"\($title): docker run --rm \(.image) true, \(.n) paired runs (wall ms):",
		"  through ocigate (\(.ocigate_runtime)): median \(.a.median_ns | ms) [\(.a.min_ns | ms)-\(.a.max_ns | ms)]",
		"  runc (\(.runc_runtime)):        median \(.b.median_ns | ms) [\(.b.min_ns | ms)-\(.b.max_ns | ms)]",
		"  added per container: \(.paired_diff_median_ns | ms) ms (median of the paired differences),"
		+ " \(.paired_diff_median_ns * 1000 / .b.median_ns | round / 10) % of runc"' "$1"
}

pair "$OG_RT" "$RUNC_RT" docker
show "$OUT/docker.json" "ocigate as registered"
audit_og=${AUDIT_PAIR%%:*} audit_runc=${AUDIT_PAIR#*:}
if has_runtime "$audit_og" && has_runtime "$audit_runc"; then
	pair "$audit_og" "$audit_runc" docker-audit
	show "$OUT/docker-audit.json" "the wrapper alone (policy in audit mode, both with runtimeArgs)"
	jq --slurpfile a "$OUT/docker-audit.json" '.audit_pair = $a[0]' "$OUT/docker.json" >"$OUT/docker.json.tmp" &&
		mv "$OUT/docker.json.tmp" "$OUT/docker.json"
	rm -f "$OUT/docker-audit.json"
else
	echo "docker.sh: no runtimes '$audit_og' and '$audit_runc': the wrapper-alone pair is skipped" >&2
fi
if [ -f "$OUT/results.json" ]; then
	jq --slurpfile d "$OUT/docker.json" '.docker = $d[0]' "$OUT/results.json" >"$OUT/results.json.tmp" &&
		mv "$OUT/results.json.tmp" "$OUT/results.json"
fi
echo "results: $OUT/docker.json"
