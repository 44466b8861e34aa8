#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/run.sh SRCDIR BUILDDIR: the cost of ocigate against the bare runtime
# (`make bench`).  See bench/README.md for the method.
#
# Every case runs ocigate (with a no-op runtime behind it) and the no-op
# runtime alone, paired and alternating, under bench/driver; instruction
# counts come from callgrind, dumped just before ocigate execs the runtime.
# Prints a table and writes BUILDDIR/bench/results.json.
#
# Environment:
#   BENCH_RUNS=31       paired runs per main case (>= 20 recommended)
#   BENCH_SCALE_RUNS=9  paired runs per scaling point (5 for the largest)
#   BENCH_TMPFS=1       put the bundles on a private tmpfs, as engines do
#                       (/run/containerd, /run/docker); 0: on $TMPDIR
#   BENCH_CALLGRIND=1   0 skips the instruction counts
#   BENCH_CALLGRIND_SCALING=1  0: instructions of the main cases only
#                       (the 10 MB config alone takes ~20 s under callgrind)
#   BENCH_STRICT=0      1: exit 1 when a target is missed
#   BENCH_BUSY=1        0 skips create_busy (a create with every CPU busy)
#   DOCKER_HOST         when set, bench/docker.sh runs at the end
# shellcheck disable=SC2016 # jq programs are in single quotes on purpose
# shellcheck disable=SC2317 # cleanup runs from a trap
set -euo pipefail

SRC=${1:?usage: run.sh SRCDIR BUILDDIR}
BUILD=${2:?usage: run.sh SRCDIR BUILDDIR}
RUNS=${BENCH_RUNS:-31}
SCALE_RUNS=${BENCH_SCALE_RUNS:-9}
WARM=2
USE_TMPFS=${BENCH_TMPFS:-1}
USE_CALLGRIND=${BENCH_CALLGRIND:-1}
CG_SCALING=${BENCH_CALLGRIND_SCALING:-1}
STRICT=${BENCH_STRICT:-0}

OCIGATE="$BUILD/ocigate"
OUT="$BUILD/bench"
RAW="$OUT/raw"
RES="$OUT/results.json"
FIX="$SRC/tests/fixtures/engines/docker-20.10"
SPEC_MAX=$((32 * 1024 * 1024)) # OG_SPEC_MAX_SIZE, include/ocigate/spec.h

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { printf '%s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root: policy files must be owned by root, user-namespace staging mounts"
[ -x "$OCIGATE" ] || die "no $OCIGATE (run make first)"
for t in gcc jq findmnt; do
	command -v "$t" >/dev/null || die "needs $t"
done
if [ "$USE_CALLGRIND" = 1 ] && ! command -v valgrind >/dev/null; then
	say "bench: valgrind not found: instruction counts skipped"
	USE_CALLGRIND=0
fi
grep -q "OG_SPEC_MAX_SIZE (32u \* 1024 \* 1024)" "$SRC/include/ocigate/spec.h" ||
	say "bench: warning: OG_SPEC_MAX_SIZE changed in include/ocigate/spec.h; the over-limit case assumes 32 MiB"

mkdir -p "$OUT" "$RAW"
rm -f "$RAW"/*

# ---------------------------------------------------------------------------
# tools

DRIVER="$OUT/driver"
NOOP="$OUT/noop-runtime"
# static: a forked child starts with a copy of the driver's resident memory,
# which would otherwise show in the bare runtime's peak RSS
gcc -O2 -Wall -Wextra -static -o "$DRIVER" "$SRC/bench/driver.c"
gcc -O2 -static -o "$NOOP" "$SRC/bench/noop-runtime.c"
TARGET="$OUT/verify-target"
gcc -O2 -Wall -Wextra -static -o "$TARGET" "$SRC/bench/verify-target.c"

# ---------------------------------------------------------------------------
# work area: bundles, rootfs, bind sources, policies, state

W=$(mktemp -d "${TMPDIR:-/tmp}/ocigate-bench.XXXXXX")
DISK=""
MOUNTED=0
BUSY_PIDS=()
CG_DIRS=()
cleanup() {
	local rc=$?
	set +e
	[ "${#BUSY_PIDS[@]}" -gt 0 ] && kill "${BUSY_PIDS[@]}" 2>/dev/null
	if [ -d "$W/state" ]; then
		[ -x "$W/ocigatectl" ] && "$W/ocigatectl" gc --state-dir "$W/state" >/dev/null 2>&1
		findmnt -rn -o TARGET | grep -F "$W/" | sort -r | while read -r m; do umount -l "$m"; done
	fi
	for d in "${CG_DIRS[@]}"; do rmdir "$d"; done
	[ "$MOUNTED" = 1 ] && umount "$W"
	rm -rf --one-file-system "$W"
	[ -n "$DISK" ] && rm -rf --one-file-system "$DISK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$USE_TMPFS" = 1 ]; then
	if mount -t tmpfs -o size=1g,mode=0755 ocigate-bench "$W"; then
		MOUNTED=1
	else
		say "bench: cannot mount a tmpfs: bundles stay on $(findmnt -n -o FSTYPE -T "$W")"
	fi
fi
BUNDLE_FS=$(findmnt -n -o FSTYPE -T "$W")
LOG="$W/children.log"
# Measure a snapshot: the tree may be rebuilt while the bench runs (and a
# binary being linked is empty or partial for a moment).
for try in 1 2 3 4 5 6 7 8 9 10; do
	cp "$OCIGATE" "$W/ocigate"
	if [ "$(head -c 4 "$W/ocigate" | od -An -c | tr -d ' ')" = '177ELF' ] && cmp -s "$OCIGATE" "$W/ocigate" &&
		"$W/ocigate" --ocigate-runtime "$NOOP" --version >/dev/null 2>&1; then
		break
	fi
	[ "$try" = 10 ] && die "$OCIGATE does not run (being rebuilt?)"
	sleep 1
done
[ -x "$BUILD/ocigatectl" ] && cp "$BUILD/ocigatectl" "$W/ocigatectl"
HOOK=""
[ -x "$BUILD/ocigate-hook" ] && cp "$BUILD/ocigate-hook" "$W/ocigate-hook" && HOOK="$W/ocigate-hook"
OCIGATE="$W/ocigate"
# A dynamically linked ocigate (configure found no libmnl.a, see
# configure.ac) pays the dynamic loader on every call: about 0.6 M
# instructions, state and kill 690 K instead of 78 K.
if ! file -b "$OCIGATE" 2>/dev/null | grep -q 'static'; then
	say "bench: warning: $BUILD/ocigate is linked dynamically (no static libmnl? ./configure --with-libmnl-static=\$(.ci/libmnl-static.sh)): every call costs ~0.6 M instructions more than the static build"
fi
OCIGATE_SHA=$(sha256sum "$OCIGATE" | cut -c1-16)

# make_area DIR: rootfs, bind-mount sources, policies and the base config.
make_area() {
	local d=$1 f
	mkdir -p "$d/bundle" "$d/rootfs" "$d/files" "$d/root" "$d/state"
	for f in resolv.conf hostname hosts; do echo "# $f" >"$d/files/$f"; done
	cp "$SRC/policy/profiles/seccomp.json" "$d/seccomp.json"
	# the profile has // comments, jq does not take them; the mount cap
	# raised for the scaling series (10,000 mounts)
	# verify.hook: the snapshot of the ocigate-hook built (the rule adds no
	# hook it cannot run)
	grep -v '^[[:space:]]*//' "$SRC/policy/profiles/default.json" |
		jq --arg log "$d/audit.log" --arg hook "$W/ocigate-hook" \
			'.audit.log = $log | .mounts.scan.max_mounts = 20000 | .verify.hook = $hook' >"$d/policy.json"
	jq '.user_namespace.mode = "required"' "$d/policy.json" >"$d/policy-userns.json"
	jq '.user_namespace.mode = "off"' "$d/policy.json" >"$d/policy-nouserns.json"
	# without the verify hooks: what the verify rule costs a create
	jq 'del(.verify)' "$d/policy.json" >"$d/policy-noverify.json"
	jq 'del(.verify)' "$d/policy-nouserns.json" >"$d/policy-nouserns-noverify.json"
	chmod 0644 "$d"/policy*.json "$d/seccomp.json"
	# Docker's config.json: root.path an existing (empty) dir, the three
	# binds from /var/lib/docker/containers/<id>/ -> files here, no hooks,
	# no cgroupsPath (the bench's ids are not the fixture's: the cgroups
	# rule then judges runc's default place for each id).
	jq --arg rootfs "$d/rootfs" --arg files "$d/files" '
		del(.hooks) | del(.linux.cgroupsPath) | .root.path = $rootfs
		| .mounts |= map(if (.source | startswith("/")) then .source = $files + "/" + (.source | split("/") | last) else . end)
	' "$FIX/default.config.json" >"$d/config.json"
}
make_area "$W"
ID=bench0
# A policy with workload profiles (ocigate-policy(5) PROFILES): four, one
# per engine, and the bench's bundle where dockerd's would be (docker
# task_dir/<id> under the runc root), so that a create picks "web".
PROFILED='.docker = {task_dir: $moby, runc_root: $root} | .profiles = {
	payments: {select: {engine: "cri", pod_namespace: ["payments", "prod-*"]},
		policy: {version: 1, resources: {pids: {default: 64, max: 64}}, process: {run_as_non_root: true}}},
	builds: {select: {engine: "buildkit"}, policy: {version: 1, resources: {pids: {max: 4096}}}},
	pods: {select: {engine: "podman"}, policy: {version: 1, capabilities: {allow: ["CAP_CHOWN", "CAP_KILL"]}}},
	web: {select: {engine: "docker"}, policy: {version: 1, resources: {pids: {default: 512, max: 512}}}}}'
mkdir -p "$W/moby/$ID"
for f in policy policy-nouserns; do
	jq --arg moby "$W/moby" --arg root "$W/root" "$PROFILED" "$W/$f.json" >"$W/$f-profiled.json"
	chmod 0644 "$W/$f-profiled.json"
done
# ocigate caches a compiled policy only once the file is two seconds old
# (a host's policy is older than that): let the policies age before timing
sleep 2.1
cp "$FIX/exec.process.json" "$W/process.orig.json"
cp "$FIX/update.update.json" "$W/update.json"

OG=("$OCIGATE" --ocigate-policy "$W/policy.json" --ocigate-runtime "$NOOP" --ocigate-state-dir "$W/state" --root "$W/root")
OGU=("$OCIGATE" --ocigate-policy "$W/policy-userns.json" --ocigate-runtime "$NOOP" --ocigate-state-dir "$W/state" --root "$W/root")
# Instruction counts of creates: valgrind cannot run the user-namespace
# staging (it refuses clone(CLONE_VM) without CLONE_THREAD and does not know
# open_tree), so creates are counted with user namespaces off: the counts
# leave out the rootfs staging (a clone and about 25 syscalls; see
# bench/README.md); the binds are staged there by the fallback without
# open_tree (a bind of the judged descriptor).
OGN=("$OCIGATE" --ocigate-policy "$W/policy-nouserns.json" --ocigate-runtime "$NOOP" --ocigate-state-dir "$W/state" --root "$W/root")
OGP=("$OCIGATE" --ocigate-policy "$W/policy-profiled.json" --ocigate-runtime "$NOOP" --ocigate-state-dir "$W/state" --root "$W/root")
OGPN=("$OCIGATE" --ocigate-policy "$W/policy-nouserns-profiled.json" --ocigate-runtime "$NOOP" --ocigate-state-dir "$W/state" --root "$W/root")
BARE=("$NOOP" --root "$W/root")
CREATE=(create --bundle "$W/bundle" "$ID")
RESTORE=(-r "$W/config.json:$W/bundle/config.json")
CREATE_MOBY=(create --bundle "$W/moby/$ID" "$ID")
# between user-namespace creates: release the range and the staged mount
DELETE_CMD="'$OCIGATE' --ocigate-state-dir '$W/state' --ocigate-runtime '$NOOP' --root '$W/root' delete $ID"

printf '{}' >"$RES"
# put KEY JSON: results.json[KEY path] = JSON
put() {
	jq --argjson v "$2" "$1 = \$v" "$RES" >"$RES.tmp" && mv "$RES.tmp" "$RES"
}

# measure NAME RUNS DRIVER_OPTIONS... -- A... --vs B...
measure() {
	local name=$1 n=$2
	shift 2
	say "  $name ($n paired runs)"
	if ! "$DRIVER" -n "$n" -w "$WARM" -l "$LOG" -o "$RAW/$name.tsv" "$@" >"$RAW/$name.json"; then
		say "bench: $name failed; the children's last output:"
		tail -n 20 "$LOG" >&2
		exit 1
	fi
}

# callgrind NAME STDIN EXPECTED_STATUS CMD...: instructions of ocigate up to
# its execv of the runtime (--dump-before=execv writes that part to OUT.1;
# the exec'd runtime is not traced).  A call that never execs (a refusal)
# dumps to OUT itself.  Prints the count, or null when the call did not end
# as expected under valgrind (valgrind 3.19 does not know open_tree(2), so
# user-namespace staging fails under it).
callgrind() {
	local name=$1 in=$2 expect=$3 f rc=0
	shift 3
	rm -f "$RAW/cg.$name".*
	valgrind --tool=callgrind --dump-before=execv --callgrind-out-file="$RAW/cg.$name.%p" \
		"$@" <"$in" >>"$LOG" 2>"$RAW/cg.$name.stderr" || rc=$?
	if [ "$rc" != "$expect" ]; then
		say "  callgrind $name: exit status $rc under valgrind, not $expect: no count ($(grep -v '^[=-]' \
			"$RAW/cg.$name.stderr" | tail -n 1))"
		echo null
		return 0
	fi
	# the parent's part 1 if it exec'd, else its only dump
	f=$(find "$RAW" -maxdepth 1 -name "cg.$name.*.1" | head -n 1)
	if [ -z "$f" ]; then
		local pid
		pid=$(sed -n 's/^==\([0-9]*\)== Command:.*/\1/p' "$RAW/cg.$name.stderr" | head -n 1)
		f="$RAW/cg.$name.$pid"
	fi
	[ -s "$f" ] || die "callgrind $name: no profile (see $RAW/cg.$name.stderr)"
	cp "$f" "$RAW/callgrind.$name.out"
	sed -n 's/^summary: *//p' "$f" | head -n 1
}

# verify_cgroups: a cgroup holding the limits the verify arguments name
# (--memory, --pids, --cpu), v2 or v1; CG_ARGS the driver's -g options.
# Removed at exit.
verify_cgroups() {
	local mem pids cpu name="ocigate-bench-$$" d c
	mem=$(printf '%s\n' "${VERIFY_CR[@]}" | sed -n 's/^--memory=//p')
	pids=$(printf '%s\n' "${VERIFY_CR[@]}" | sed -n 's/^--pids=//p')
	cpu=$(printf '%s\n' "${VERIFY_CR[@]}" | sed -n 's/^--cpu=//p')
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		d=/sys/fs/cgroup/$name
		echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
		mkdir -p "$d" || return 0
		CG_DIRS+=("$d")
		[ -z "$mem" ] || echo "$mem" >"$d/memory.max" || say "bench: cannot set a cgroup limit"
		[ -z "$pids" ] || echo "$pids" >"$d/pids.max" || say "bench: cannot set a cgroup limit"
		[ -z "$cpu" ] || echo "${cpu%%:*} ${cpu#*:}" >"$d/cpu.max" || say "bench: cannot set a cgroup limit"
		CG_ARGS=(-g "$d/cgroup.procs")
		return 0
	fi
	for c in memory pids cpu; do
		d=/sys/fs/cgroup/$c/$name
		mkdir -p "$d" 2>/dev/null || continue
		CG_DIRS+=("$d")
		CG_ARGS+=(-g "$d/cgroup.procs")
	done
	[ -z "$mem" ] || echo "$mem" >"/sys/fs/cgroup/memory/$name/memory.limit_in_bytes" || say "bench: cannot set a cgroup limit"
	[ -z "$pids" ] || echo "$pids" >"/sys/fs/cgroup/pids/$name/pids.max" || say "bench: cannot set a cgroup limit"
	if [ -n "$cpu" ]; then
		echo "${cpu#*:}" >"/sys/fs/cgroup/cpu/$name/cpu.cfs_period_us" || say "bench: cannot set a cgroup limit"
		echo "${cpu%%:*}" >"/sys/fs/cgroup/cpu/$name/cpu.cfs_quota_us" || say "bench: cannot set a cgroup limit"
	fi
}

# callgrind_target NAME CMD...: callgrind's count of a verify stage, run
# by the driver with the container's process as its child (the hook checks
# that the process is its parent's child).  Null when the hook met a system
# call valgrind does not know (it then fails the call with ENOSYS, and the
# hook takes another path than it does natively).
callgrind_target() {
	local name=$1 f
	shift
	rm -f "$RAW/cg.$name".*
	if ! "$DRIVER" -n 1 -w 0 -l "$LOG" "${TGT[@]}" -- valgrind --tool=callgrind --log-file="$RAW/cg.$name.stderr" \
		--callgrind-out-file="$RAW/cg.$name.out" "$@" >/dev/null; then
		say "  callgrind $name: failed under valgrind: no count"
		echo null
		return 0
	fi
	if grep -q 'unhandled .*syscall' "$RAW/cg.$name.stderr"; then
		say "  callgrind $name: valgrind does not know $(grep -o 'unhandled .*syscall: [0-9]*' "$RAW/cg.$name.stderr" |
			sort -u | tr '\n' ' '): no count"
		echo null
		return 0
	fi
	f="$RAW/cg.$name.out"
	[ -s "$f" ] || die "callgrind $name: no profile (see $RAW/cg.$name.stderr)"
	cp "$f" "$RAW/callgrind.$name.out"
	sed -n 's/^summary: *//p' "$f" | head -n 1
}

START=$(date +%s)
NPROC=$(nproc)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "bench: $BUILD/ocigate (sha256 $OCIGATE_SHA...), bundles on $BUNDLE_FS, $RUNS paired runs, $NPROC CPUs, load $LOAD0"

# ---------------------------------------------------------------------------
# main cases: wall time, CPU time, peak RSS

say "timing:"
# The default policy stages an idmapped rootfs (user_namespace if-possible):
# every create case deletes after each run, as an engine would, so staged
# mounts do not pile up in the mount table and slow the later runs.
measure create "$RUNS" "${RESTORE[@]}" -c "$DELETE_CMD" -- "${OG[@]}" "${CREATE[@]}" --vs "${BARE[@]}" "${CREATE[@]}"
measure create_userns "$RUNS" "${RESTORE[@]}" -c "$DELETE_CMD" -- "${OGU[@]}" "${CREATE[@]}" --vs "${BARE[@]}" "${CREATE[@]}"
# the same create under the policy with profiles (its "web" profile chosen)
measure create_profiled "$RUNS" -r "$W/config.json:$W/moby/$ID/config.json" -c "$DELETE_CMD" -- \
	"${OGP[@]}" "${CREATE_MOBY[@]}" --vs "${BARE[@]}" "${CREATE_MOBY[@]}"
put .profiled_creates_selected "$(grep -c '"profile":"web"' "$W/audit.log" || true)"
measure exec "$RUNS" -r "$W/process.orig.json:$W/process.json" -- \
	"${OG[@]}" exec --process "$W/process.json" "$ID" --vs "${BARE[@]}" exec --process "$W/process.json" "$ID"
measure update "$RUNS" -i "$W/update.json" -- \
	"${OG[@]}" update --resources - "$ID" --vs "${BARE[@]}" update --resources - "$ID"
measure state "$RUNS" -- "${OG[@]}" state "$ID" --vs "${BARE[@]}" state "$ID"
measure kill "$RUNS" -- "${OG[@]}" kill "$ID" KILL --vs "${BARE[@]}" kill "$ID" KILL

# the same create with the bundle on a disk filesystem: the rewrite's
# fsync(file) + fsync(dir) then cost what the disk makes them cost
DISK=$(mktemp -d "${BENCH_DISK_DIR:-/var/tmp}/ocigate-bench-disk.XXXXXX")
make_area "$DISK"
sleep 2.1 # the policy ages, as above
DISK_FS=$(findmnt -n -o FSTYPE -T "$DISK")
measure create_disk "$(((RUNS + 1) / 2))" -r "$DISK/config.json:$DISK/bundle/config.json" \
	-c "'$OCIGATE' --ocigate-state-dir '$DISK/state' --ocigate-runtime '$NOOP' --root '$DISK/root' delete $ID" -- \
	"$OCIGATE" --ocigate-policy "$DISK/policy.json" --ocigate-runtime "$NOOP" --ocigate-state-dir "$DISK/state" \
	--root "$DISK/root" create --bundle "$DISK/bundle" "$ID" --vs "$NOOP" --root "$DISK/root" create --bundle "$DISK/bundle" "$ID"

# the same create on a busy host: one spinning process per CPU (nice 5,
# below the create, as a host's batch work would be); both arms run under
# the same load, so "added" shows what contention adds to ocigate's part
if [ "${BENCH_BUSY:-1}" = 1 ]; then
	for _ in $(seq "$(nproc)"); do
		nice -n 5 sh -c 'while :; do :; done' &
		BUSY_PIDS+=($!)
	done
	measure create_busy "$RUNS" "${RESTORE[@]}" -c "$DELETE_CMD" -- "${OG[@]}" "${CREATE[@]}" --vs "${BARE[@]}" "${CREATE[@]}"
	kill "${BUSY_PIDS[@]}" 2>/dev/null
	wait "${BUSY_PIDS[@]}" 2>/dev/null || true
	BUSY_PIDS=()
	BUSY_CASES=create_busy
else
	BUSY_CASES=
fi

# ---------------------------------------------------------------------------
# ocigate-hook: precreate (Podman's hook) and the verify stages the default
# policy adds to every container (verify mode audit), each against the
# no-op program with the same stdin

# the verify hooks' arguments, as the rule inserts them into a create's
# config (the policy's hook path aside: the snapshot runs)
HOOK_CASES=
if [ -n "$HOOK" ]; then
	cp "$W/config.json" "$W/bundle/config.json"
	"${OG[@]}" "${CREATE[@]}" </dev/null >>"$LOG" 2>&1 || die "create for the hook's arguments failed"
	mapfile -t VERIFY_CR < <(jq -r '.hooks.createRuntime[] | select(.args[0] == "ocigate-hook") | .args[1:][]' "$W/bundle/config.json")
	mapfile -t VERIFY_PS < <(jq -r '.hooks.poststart[] | select(.args[0] == "ocigate-hook") | .args[1:][]' "$W/bundle/config.json")
	sh -c "$DELETE_CMD"
	if [ "${#VERIFY_CR[@]}" = 0 ] || [ "${#VERIFY_PS[@]}" = 0 ]; then
		die "the default policy added no verify hooks"
	fi
	# the container's process: ids mapped as the config maps them, in a
	# cgroup with its limits, so every check passes (a mismatch would be
	# recorded in the audit log: the bench checks it stays empty of them)
	MAP=$(printf '%s\n' "${VERIFY_CR[@]}" | sed -n 's/^--uid-map=\([0-9]*\):\([0-9]*\):\([0-9]*\)$/\1 \2 \3/p' | head -n 1)
	CG_ARGS=()
	verify_cgroups
	mkdir -p "$W/vroot"
	TGT=(-p "$TARGET:$W/vroot" -m "${MAP:-0 1000000 65536}" "${CG_ARGS[@]}" -s "$W/state.json" -i "$W/state.json")
	: >"$W/audit.log"
	measure hook_precreate "$RUNS" -i "$W/config.json" -- "$HOOK" precreate --policy "$W/policy.json" \
		--state-dir "$W/state" --vs "$NOOP"
	measure hook_create_runtime "$RUNS" "${TGT[@]}" -- "$HOOK" "${VERIFY_CR[@]}" --vs "$NOOP"
	measure hook_poststart "$RUNS" "${TGT[@]}" -- "$HOOK" "${VERIFY_PS[@]}" --vs "$NOOP"
	# what the verify rule itself adds to ocigate's create (argv built,
	# two hooks written into the config)
	measure verify_rule "$RUNS" "${RESTORE[@]}" -c "$DELETE_CMD" -- "${OG[@]}" "${CREATE[@]}" --vs \
		"$OCIGATE" --ocigate-policy "$W/policy-noverify.json" --ocigate-runtime "$NOOP" \
		--ocigate-state-dir "$W/state" --root "$W/root" "${CREATE[@]}"
	VERIFY_MISMATCHES=$(grep -c '"event":"verify"' "$W/audit.log" || true)
	[ "$VERIFY_MISMATCHES" = 0 ] || say "bench: warning: $VERIFY_MISMATCHES verify records (mismatches): $(grep -m1 "\"event\":\"verify\"" "$W/audit.log" | cut -c1-400)"
	put .hook_verify_mismatches "$VERIFY_MISMATCHES"
	HOOK_CASES="hook_precreate hook_create_runtime hook_poststart verify_rule"
fi

for c in create create_userns create_profiled exec update state kill create_disk $BUSY_CASES $HOOK_CASES; do
	put ".cases.$c" "$(cat "$RAW/$c.json")"
done
put .cases.create_disk.filesystem "\"$DISK_FS\""

# ---------------------------------------------------------------------------
# instructions (callgrind), after the timing runs: caches are warm as on a
# host that starts containers all day

declare -A IR=()
if [ "$USE_CALLGRIND" = 1 ]; then
	say "instructions (callgrind):"
	cp "$W/config.json" "$W/bundle/config.json"
	# warm the compiled policy cache for this policy file, as the timing
	# runs warmed it for the others
	"${OGN[@]}" "${CREATE[@]}" </dev/null >>"$LOG" 2>&1 && sh -c "$DELETE_CMD"
	cp "$W/config.json" "$W/bundle/config.json"
	IR[create]=$(callgrind create /dev/null 0 "${OGN[@]}" "${CREATE[@]}")
	cp "$W/config.json" "$W/bundle/config.json"
	IR[create_userns]=$(callgrind create_userns /dev/null 0 "${OGU[@]}" "${CREATE[@]}")
	sh -c "$DELETE_CMD"
	# the policy with profiles: warmed as above, then the median of three
	# counts (they differ by a few hundred instructions: the clock, the ids)
	cp "$W/config.json" "$W/moby/$ID/config.json"
	"${OGPN[@]}" "${CREATE_MOBY[@]}" </dev/null >>"$LOG" 2>&1 && sh -c "$DELETE_CMD"
	PROFILED_IR=()
	for _ in 1 2 3; do
		cp "$W/config.json" "$W/moby/$ID/config.json"
		PROFILED_IR+=("$(callgrind create_profiled /dev/null 0 "${OGPN[@]}" "${CREATE_MOBY[@]}")")
		sh -c "$DELETE_CMD"
	done
	put .instructions_create_profiled_runs "$(printf '%s\n' "${PROFILED_IR[@]}" | jq -s .)"
	IR[create_profiled]=$(printf '%s\n' "${PROFILED_IR[@]}" | sort -n | sed -n 2p)
	cp "$W/process.orig.json" "$W/process.json"
	IR[exec]=$(callgrind exec /dev/null 0 "${OG[@]}" exec --process "$W/process.json" "$ID")
	IR[update]=$(callgrind update "$W/update.json" 0 "${OG[@]}" update --resources - "$ID")
	IR[state]=$(callgrind state /dev/null 0 "${OG[@]}" state "$ID")
	IR[kill]=$(callgrind kill /dev/null 0 "${OG[@]}" kill "$ID" KILL)
	IR[noop]=$(callgrind noop /dev/null 0 "${BARE[@]}" "${CREATE[@]}")
	if [ -n "$HOOK_CASES" ]; then
		# ocigate and ocigate-hook keep their compiled policy under the same
		# name and take only their own build's image: after ocigate's
		# calls above, the hook's first call misses (~0.55 M more) and
		# stores its own; warm it, as on a host that runs only the hook
		"$HOOK" precreate --policy "$W/policy.json" --state-dir "$W/state" <"$W/config.json" >>"$LOG" 2>&1
		IR[hook_precreate]=$(callgrind hook_precreate "$W/config.json" 0 "$HOOK" precreate --policy "$W/policy.json" \
			--state-dir "$W/state")
		IR[hook_create_runtime]=$(callgrind_target hook_create_runtime "$HOOK" "${VERIFY_CR[@]}")
		IR[hook_poststart]=$(callgrind_target hook_poststart "$HOOK" "${VERIFY_PS[@]}")
		# the verify rule's part of a create (user namespaces off, as above)
		cp "$W/config.json" "$W/bundle/config.json"
		"$OCIGATE" --ocigate-policy "$W/policy-nouserns-noverify.json" --ocigate-runtime "$NOOP" \
			--ocigate-state-dir "$W/state" --root "$W/root" "${CREATE[@]}" </dev/null >>"$LOG" 2>&1 && sh -c "$DELETE_CMD"
		cp "$W/config.json" "$W/bundle/config.json"
		IR[create_noverify]=$(callgrind create_noverify /dev/null 0 "$OCIGATE" --ocigate-policy \
			"$W/policy-nouserns-noverify.json" --ocigate-runtime "$NOOP" --ocigate-state-dir "$W/state" \
			--root "$W/root" "${CREATE[@]}")
		sh -c "$DELETE_CMD"
	fi
	for k in "${!IR[@]}"; do put ".instructions.$k" "${IR[$k]}"; done
	# where a create spends them (the listings, self and inclusive, stay
	# in the build dir's bench/)
	if [ "${IR[create]}" != null ]; then
		cp "$RAW/callgrind.create.out" "$OUT/callgrind-create.out"
		callgrind_annotate --auto=no "$RAW/callgrind.create.out" 2>/dev/null >"$OUT/callgrind-create.txt" || true
		callgrind_annotate --auto=no --inclusive=yes "$RAW/callgrind.create.out" 2>/dev/null \
			>"$OUT/callgrind-create-inclusive.txt" || true
		# Top 10 by self cost, one row per function: callgrind_annotate
		# splits a function by the file of inlined code and by recursion
		# level ('2); those rows are partitions of its cost, summed here.
		put .top_functions_create "$(awk '/file:function/ { go = 1; next } go && /^ *[0-9,]+ / { print }' \
			"$OUT/callgrind-create.txt" | sed -E 's/^ *([0-9,]+) +\( *[0-9.]+%\) +(.*)$/\1\t\2/' |
			jq -R -s --argjson total "${IR[create]}" 'split("\n") | map(select(length > 0) | split("\t")
				| (.[1] | sub(" \\[.*\\]$"; "")) as $name
				| {ir: (.[0] | gsub(","; "") | tonumber), file: ($name | sub(":[^:]*$"; "")),
				   function: ($name | sub("^.*:"; "") | sub("\u0027[0-9]+$"; ""))})
				| group_by(.function)
				| map({function: .[0].function, file: (max_by(.ir).file), ir: (map(.ir) | add)})
				| sort_by(-.ir) | .[:10] | map(. + {percent: (.ir * 1000 / $total | round / 10)})')"
	fi
fi

if [ -n "$HOOK_CASES" ]; then
	put .instructions.verify_rule "$(jq '.instructions | if .create and .create_noverify then .create - .create_noverify else null end' "$RES")"
	put .verify_total "$(jq '[.cases.verify_rule, .cases.hook_create_runtime, .cases.hook_poststart] as $c
		| .instructions as $i
		| {wall_ns: ($c | map(.paired_diff_median_ns) | add), cpu_ns: ($c | map(.cpu_paired_diff_median_ns) | add),
		   instructions: (if $i.verify_rule and $i.hook_create_runtime and $i.hook_poststart
		                  then $i.verify_rule + $i.hook_create_runtime + $i.hook_poststart else null end)}' "$RES")"
fi

# ---------------------------------------------------------------------------
# scaling: config size, env entries, mounts; over-limit refusal

say "scaling:"
SC="$W/scale"
mkdir -p "$SC"
BASE_BYTES=$(stat -c %s "$W/config.json")

# gen NAME JQ_FILTER N: $SC/NAME.json = base config with the filter applied
gen() {
	jq --argjson n "$3" "$2" "$W/config.json" >"$SC/$1.json"
}
# point SERIES NAME UNITS RUNS: time one config through create (and count
# its instructions)
point() {
	local series=$1 name=$2 units=$3 n=$4 bytes ir=null
	bytes=$(stat -c %s "$SC/$name.json")
	measure "scale_$name" "$n" -r "$SC/$name.json:$W/bundle/config.json" -c "$DELETE_CMD" -- \
		"${OG[@]}" "${CREATE[@]}" --vs "${BARE[@]}" "${CREATE[@]}"
	if [ "$CG_SCALING" = 1 ] && [ "$USE_CALLGRIND" = 1 ]; then
		cp "$SC/$name.json" "$W/bundle/config.json"
		ir=$(callgrind "scale_$name" /dev/null 0 "${OGN[@]}" "${CREATE[@]}")
		# as after every timed run: the create staged its binds, and
		# mounts left behind would be in the next points' mount table
		sh -c "$DELETE_CMD"
	fi
	jq --slurpfile r "$RAW/scale_$name.json" --arg s "$series" --arg name "$name" --argjson units "$units" \
		--argjson bytes "$bytes" --argjson ir "$ir" \
		'.scaling[$s] = ((.scaling[$s] // []) + [{name: $name, units: $units, bytes: $bytes, instructions: $ir} + $r[0]])' \
		"$RES" >"$RES.tmp" && mv "$RES.tmp" "$RES"
}

# config size: process.env grows by ~100-byte entries
ENV_ENTRY='("=" + ("v" * 84))'
gen size_1m ".process.env += [range(0; \$n) | \"BENCH_VAR_\(.)\" + $ENV_ENTRY]" 10000
gen size_10m ".process.env += [range(0; \$n) | \"BENCH_VAR_\(.)\" + $ENV_ENTRY]" 100000
cp "$W/config.json" "$SC/size_16k.json"
point config_size size_16k "$BASE_BYTES" "$SCALE_RUNS"
point config_size size_1m "$(stat -c %s "$SC/size_1m.json")" "$SCALE_RUNS"
point config_size size_10m "$(stat -c %s "$SC/size_10m.json")" 5

# env entries (short ones): 10 -> 100 000
for n in 10 1000 10000 100000; do
	gen "env_$n" '.process.env = (.process.env[0:1] + [range(1; $n) | "E\(.)=\(.)"])' "$n"
done
point env env_10 10 "$SCALE_RUNS"
point env env_1000 1000 "$SCALE_RUNS"
point env env_10000 10000 "$SCALE_RUNS"
point env env_100000 100000 5

# mounts: tmpfs mounts 10 -> 10 000 (the base config has 10 mounts)
for n in 100 1000 10000; do
	gen "mounts_$n" '.mounts += [range(10; $n) | {destination: "/mnt/t\(.)", type: "tmpfs", source: "tmpfs",
		options: ["nosuid", "nodev", "size=64k"]}]' "$n"
done
cp "$W/config.json" "$SC/mounts_10.json"
point mounts mounts_10 10 "$SCALE_RUNS"
point mounts mounts_100 100 "$SCALE_RUNS"
point mounts mounts_1000 1000 "$SCALE_RUNS"
point mounts mounts_10000 10000 5

# bind mounts of files (each source resolved and checked): 3 -> 300
mkdir -p "$W/binds"
for i in $(seq 0 299); do : >"$W/binds/f$i"; done
for n in 100 300; do
	jq --argjson n "$n" --arg dir "$W/binds" '.mounts += [range(3; $n) | {destination: "/mnt/b\(.)", type: "bind",
		source: "\($dir)/f\(.)", options: ["rbind", "rprivate"]}]' "$W/config.json" >"$SC/binds_$n.json"
done
cp "$W/config.json" "$SC/binds_3.json"
point binds binds_3 3 "$SCALE_RUNS"
point binds binds_100 100 "$SCALE_RUNS"
point binds binds_300 300 "$SCALE_RUNS"

# above OG_SPEC_MAX_SIZE: a valid config of 33 MiB is refused before it is
# read; nothing is rewritten, so nothing to restore
jq -c --argjson n 340 '.process.env += [range(0; $n) | "BIG_\(.)=" + ("v" * 102400)]' "$W/config.json" >"$SC/over.json"
OVER_BYTES=$(stat -c %s "$SC/over.json")
[ "$OVER_BYTES" -gt "$SPEC_MAX" ] || die "over-limit config is only $OVER_BYTES bytes"
cp "$SC/over.json" "$W/bundle/config.json"
measure over_limit "$RUNS" -x 1 -- "${OG[@]}" "${CREATE[@]}" --vs "${BARE[@]}" "${CREATE[@]}"
cmp -s "$SC/over.json" "$W/bundle/config.json" || die "the over-limit config.json was modified"
OVER_MSG=$(grep -o 'above the limit[^"]*' "$W/audit.log" | tail -n 1 || true)
put .over_limit "$(jq --argjson bytes "$OVER_BYTES" --arg msg "$OVER_MSG" '. + {bytes: $bytes, message: $msg}' "$RAW/over_limit.json")"
if [ "$USE_CALLGRIND" = 1 ]; then
	put .instructions.over_limit "$(callgrind over_limit /dev/null 1 "${OG[@]}" "${CREATE[@]}")"
fi
rm -f "$W/bundle/config.json"

# linearity: per series, the cost per unit added of each step; the last
# step against the one before is 1 when the cost is linear and grows with
# the size when it is superlinear.  Wall time (noisy), CPU time (steadier
# on a busy machine) and instructions (exact).
put .linearity "$(jq '.scaling | with_entries(.value |= (
	(map(.units)) as $u | length as $k
	| def steps($t): [range(1; $k) | {from: $u[. - 1], to: $u[.],
	                                   per_unit: (($t[.] - $t[. - 1]) / ($u[.] - $u[. - 1]))}];
	  def ratio($s): if ($s | length) >= 2 and $s[-2].per_unit > 0 then $s[-1].per_unit / $s[-2].per_unit else null end;
	  steps(map(.paired_diff_median_ns)) as $wall | steps(map(.cpu_paired_diff_median_ns)) as $cpu
	| (if all(.[]; .instructions != null) then steps(map(.instructions)) else null end) as $ir
	| {wall_ns_steps: $wall, wall_last_over_previous: ratio($wall),
	   cpu_ns_steps: $cpu, cpu_last_over_previous: ratio($cpu),
	   instruction_steps: $ir, instructions_last_over_previous: (if $ir then ratio($ir) else null end)}))' "$RES")"

# ---------------------------------------------------------------------------
# targets

LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
# every user-namespace create was deleted: no staged mount may be left
USERNS_LEFT=$(findmnt -rn -o TARGET | grep -cF "$W/state/" || true)
[ "$USERNS_LEFT" = 0 ] || say "bench: warning: $USERNS_LEFT staged mounts left under $W/state"
BINARY=$( (file -b "$OCIGATE" 2>/dev/null || echo unknown) | cut -d, -f1-2,5)
put .machine "$(jq -n --arg kernel "$(uname -r)" --argjson nproc "$NPROC" --arg load_start "$LOAD0" \
	--arg load_end "$LOAD1" --arg fs "$BUNDLE_FS" --arg date "$(date -u +%FT%TZ)" \
	--arg binary "$BINARY" --arg sha "$OCIGATE_SHA" --argjson runs "$RUNS" \
	--argjson userns_mounts_left "$USERNS_LEFT" --argjson seconds "$(($(date +%s) - START))" \
	'{date: $date, kernel: $kernel, nproc: $nproc, load_start: $load_start, load_end: $load_end,
	  bundle_filesystem: $fs, ocigate_binary: $binary, ocigate_sha256_prefix: $sha, runs: $runs,
	  userns_mounts_left: $userns_mounts_left, seconds: $seconds}')"
put .targets "$(jq '[
	{target: "added wall time per create (median of paired differences)", limit: 500000, unit: "ns",
	 measured: .cases.create.paired_diff_median_ns},
	{target: "instructions per create", limit: 1500000, unit: "instructions", measured: .instructions.create},
	{target: "instructions per pass-through call (max of state, kill)", limit: 100000, unit: "instructions",
	 measured: (if .instructions.state then ([.instructions.state, .instructions.kill] | max) else null end)},
	{target: "peak RSS above the bare runtime (create, median ru_maxrss)", limit: 1024, unit: "KiB",
	 measured: (.cases.create.a.rss_kb_median - .cases.create.b.rss_kb_median)},
	{target: "linear scaling in instructions (last step per unit / previous, worst series)", limit: 1.5,
	 unit: "ratio", measured: ([.linearity[].instructions_last_over_previous | select(. != null)] | max)},
	{target: "linear scaling in CPU time (same ratio; wall time is in the table)", limit: 2, unit: "ratio",
	 measured: ([.linearity[].cpu_last_over_previous | select(. != null)] | max)},
	{target: "over-limit config refused at once (added wall time)", limit: 1000000, unit: "ns",
	 measured: .over_limit.paired_diff_median_ns}
	] | map(. + {met: (if .measured == null then null else .measured <= .limit end)})' "$RES")"
put .machine.seconds "$(($(date +%s) - START))"

# ---------------------------------------------------------------------------
# report

jq -r '
	def lpad($n): tostring | if length < $n then (" " * ($n - length)) + . else . end;
	def pad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
	def ms: if . == null then "-" else (. / 1000 | round) as $us
		| (if $us < 0 then "-" else "" end) + (($us | fabs) / 1000 | floor | tostring) + "."
		  + (($us | fabs) % 1000 | tostring | if length < 3 then ("0" * (3 - length)) + . else . end) end;
	def kir: if . == null then "-" elif . >= 10000000 then ((. / 1e6 | round | tostring) + " M")
		else ((. / 1000 | round | tostring) + " K") end;
	def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
	def fn: sub("^\\?\\?\\?:"; "");
	"",
	"ocigate vs the bare runtime: \(.machine.runs) paired runs, bundles on \(.machine.bundle_filesystem), \(.machine.nproc) CPUs, load \(.machine.load_start) -> \(.machine.load_end)",
	"wall ms: median [min-max] of the wrapper; added = median of the paired differences (wrapper - bare);",
	"min-min = fastest wrapper run - fastest bare run (least disturbed by other work);",
	"CPU = user+sys of the child; RSS = ru_maxrss (KiB) and minor page faults, wrapper/bare;",
	"instructions = ocigate up to its execv of the runtime (callgrind)",
	"",
	("case" | pad(20)) + ("wrapper ms" | lpad(24)) + ("bare ms" | lpad(9)) + ("added ms" | lpad(10)) + ("min-min" | lpad(9))
		+ ("added CPU" | lpad(11))
		+ ("RSS w/b" | lpad(11)) + ("faults w/b" | lpad(12)) + ("instructions" | lpad(14)),
	(. as $r | ["create", "create_userns", "create_profiled", "create_disk", "create_busy", "exec", "update", "state", "kill",
		"hook_precreate", "hook_create_runtime", "hook_poststart", "verify_rule"][] as $c
	 | $r.cases[$c] as $x | select($x != null)
	 | ($c + (if $c == "create_disk" then " (" + $x.filesystem + ")" else "" end) | pad(20))
		+ (($x.a.median_ns | ms) + " [" + ($x.a.min_ns | ms) + "-" + ($x.a.max_ns | ms) + "]" | lpad(24))
		+ ($x.b.median_ns | ms | lpad(9)) + ($x.paired_diff_median_ns | ms | lpad(10))
		+ ($x.a.min_ns - $x.b.min_ns | ms | lpad(9))
		+ ($x.cpu_paired_diff_median_ns | ms | lpad(11))
		+ (($x.a.rss_kb_median | tostring) + "/" + ($x.b.rss_kb_median | tostring) | lpad(11))
		+ (($x.a.minflt_median | tostring) + "/" + ($x.b.minflt_median | tostring) | lpad(12))
		+ ($r.instructions[$c] | kir | lpad(14))),
	(if .instructions.noop then "(the no-op runtime alone: \(.instructions.noop | kir) instructions)" else empty end),
	(if .cases.verify_rule then
		"(hook_*: ocigate-hook vs the no-op program, same stdin; verify_rule: create with the default policy vs without its verify section;",
		" instructions of verify_rule: create minus create without verify, user namespaces off)",
		"verify audit (the default) per container, verify_rule + createRuntime + poststart: added \(.verify_total.wall_ns | ms) ms wall, \(.verify_total.cpu_ns | ms) ms CPU, \(.verify_total.instructions | kir) instructions"
	else empty end),
	(if .instructions and .instructions.create_userns == null then
		"(create_userns: no instruction count, the staging failed under valgrind: see bench/raw/cg.create_userns.stderr)"
	else empty end),
	"",
	"scaling (create, default policy; \(.scaling.config_size[0].n) paired runs, 5 for the largest point):",
	("series" | pad(12)) + ("point" | pad(14)) + ("bytes" | lpad(10)) + ("wrapper ms" | lpad(12)) + ("added ms" | lpad(10))
		+ ("added CPU" | lpad(11))
		+ ("RSS KiB" | lpad(9)) + ("instructions" | lpad(14)),
	(.scaling | to_entries[] | .key as $s | .value[]
	 | ($s | pad(12)) + (.name | pad(14)) + (.bytes | lpad(10)) + (.a.median_ns | ms | lpad(12))
		+ (.paired_diff_median_ns | ms | lpad(10)) + (.cpu_paired_diff_median_ns | ms | lpad(11)) + (.a.rss_kb_median | lpad(9)) + (.instructions | kir | lpad(14))),
	"",
	"linearity: cost per unit (byte, entry, mount) added by each step; last/previous ~1 = linear",
	(.linearity | to_entries[] | .value as $v
	 | "  \(.key | pad(12)) wall ns/unit: " + ([$v.wall_ns_steps[] | .per_unit | round | tostring] | join(" -> "))
		+ "  (\($v.wall_last_over_previous | r2))"
		+ "   CPU ns/unit: " + ([$v.cpu_ns_steps[] | .per_unit | round | tostring] | join(" -> "))
		+ "  (\($v.cpu_last_over_previous | r2))"
		+ (if $v.instruction_steps then "   instr/unit: " + ([$v.instruction_steps[] | .per_unit | round | tostring] | join(" -> "))
		   + "  (\($v.instructions_last_over_previous | r2))" else "" end)),
	"",
	"above the 32 MiB limit (\(.over_limit.bytes) bytes): refused in \(.over_limit.a.median_ns | ms) ms (added \(.over_limit.paired_diff_median_ns | ms) ms, \(.instructions.over_limit | kir) instructions)",
	"",
	"targets:",
	(.targets[] | "  " + (if .met == null then "n/a   " elif .met then "MET   " else "MISSED" end) + "  " + .target + ": "
		+ (if .unit == "ns" then (.measured | ms) + " ms (limit " + (.limit | ms) + " ms)"
		   elif .unit == "instructions" then (.measured | kir) + " (limit " + (.limit | kir) + ")"
		   elif .unit == "ratio" then (.measured | r2) + " (limit " + (.limit | tostring) + ")"
		   else (.measured | tostring) + " " + .unit + " (limit " + (.limit | tostring) + ")" end)),
	(if .top_functions_create then
		"",
		"top 10 functions of a create by instructions (self; bench/callgrind-create.txt has them all):",
		(.top_functions_create[] | "  " + (.ir | tostring | lpad(8)) + (.percent | tostring | lpad(6)) + "%  " + .function
			+ (if .file == "???" then "" else " (" + .file + ")" end))
	else empty end)
' "$RES"
echo
echo "results: $RES"

if [ -n "${DOCKER_HOST:-}" ]; then
	"$SRC/bench/docker.sh" "$SRC" "$BUILD" || say "bench: docker.sh failed"
fi

if [ "$STRICT" = 1 ] && jq -e '[.targets[] | select(.met == false)] | length > 0' "$RES" >/dev/null; then
	exit 1
fi
exit 0
