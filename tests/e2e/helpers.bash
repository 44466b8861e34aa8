# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Shared helpers of the end-to-end tests.  They run inside tests/e2e/run.sh,
# which started the private engines and exported where they are:
#
#   W            the work dir (policy.json, audit.log, engines' state)
#   DOCKER_CLI   docker.io's CLI; DOCKER_HOST / DOCKER_CONFIG point at the
#                private dockerd
#   CONTAINERD_ADDRESS / CONTAINERD_NAMESPACE / CONTAINERD_SNAPSHOTTER for ctr;
#                CONTAINERD_STATE its state dir (bundles of dockerd's containers)
#   E2E_PODMAN_FLAGS, CONTAINERS_CONF, CONTAINERS_STORAGE_CONF for podman
#   OCIGATE      the binary under test; $W/bin/ocigate-runc runs it with the
#                test policy (for ctr and podman)

# Variables here are used by the .bats files; $status/$output/$stderr come
# from bats' run.
# shellcheck disable=SC2034,SC2154
bats_require_minimum_version 1.5.0

: "${W:?run the e2e tests through tests/e2e/run.sh}"
: "${DOCKER_CLI:?run the e2e tests through tests/e2e/run.sh}"

POLICY=$W/policy.json
AUDIT=$W/audit.log
BUSYBOX=ocigate-e2e/busybox
NGINX=ocigate-e2e/nginx
CTR_BUSYBOX=docker.io/ocigate-e2e/busybox:latest
PM_BUSYBOX=localhost/ocigate-e2e/busybox

# The test policy's numbers (policy/profiles/default.json).
PIDS_DEFAULT=1024
PIDS_MAX=32768
MEM_DEFAULT=1073741824 # 1G
MEM_MAX=17179869184    # 16G
# Its capability allowlist as a mask: CHOWN 0, DAC_OVERRIDE 1, FOWNER 3,
# FSETID 4, KILL 5, SETGID 6, SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10,
# SYS_CHROOT 18 = 0x405fb.
ALLOWED_CAP_MASK=$(((1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 18)))

# What a container reports about itself.  With Docker and Podman the
# container sees its own cgroup at /sys/fs/cgroup/<controller>/.
# shellcheck disable=SC2016  # expanded by the container's shell
PROBE='grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):" /proc/self/status
echo "pids.max: $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo none)"
echo "memory.limit_in_bytes: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo none)"
if touch /x 2>/dev/null; then echo "rootfs: writable"; else echo "rootfs: read-only"; fi'

dk() { "$DOCKER_CLI" "$@"; }
ctrc() { ctr --address "$CONTAINERD_ADDRESS" --namespace "$CONTAINERD_NAMESPACE" "$@"; }
# shellcheck disable=SC2086  # a list of flags; $W has no spaces (mktemp)
pm() { podman $E2E_PODMAN_FLAGS "$@"; }
# ctr runs the runc shim with the wrapper as its runc binary, a runc state
# root and I/O fifos under $W (the defaults are in /run/containerd).
CTR_RUN=(run --runc-binary "$W/bin/ocigate-runc" --runc-root "$W/containerd/runc" --fifo-dir "$W/containerd/fifo")
CTR_EXEC=(tasks exec --fifo-dir "$W/containerd/fifo")
# Podman's cgroupfs parent defaults to /libpod_parent; keep ours apart.
PM_RUN=(run --cgroup-parent "${E2E_CGROUP_PODMAN:?}")

# ---------------------------------------------------------------------------
# assertions (bats' `run` leaves $status, $output, $stderr)

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# value KEY [TEXT]: the value of "KEY:" in TEXT (default $output).
value() {
	printf '%s\n' "${2-$output}" | sed -n "s/^$1:[[:space:]]*//p" | head -n1
}

# caps_within HEX: no capability outside the allowlist.
caps_within() {
	local v=$((16#$1))
	[ $((v & ~ALLOWED_CAP_MASK)) -eq 0 ] || fail "capabilities 0x$1 exceed the allowlist 0x$(printf '%x' "$ALLOWED_CAP_MASK")"
}

# assert_enforced TEXT [PIDS [MEMORY]]: TEXT is $PROBE's output.  The
# capability sets stay within the allowlist, no_new_privs is on, the root
# filesystem is read-only, and (unless "-") the limits are as given.
assert_enforced() {
	local text=$1 pids=${2:-$PIDS_DEFAULT} mem=${3:-$MEM_DEFAULT} c
	printf '%s\n' "$text" | grep -q '^CapEff:' || fail "no probe output:" "$text"
	[ "$(value NoNewPrivs "$text")" = 1 ] || fail "NoNewPrivs is not 1:" "$text"
	for c in CapPrm CapEff CapBnd CapInh CapAmb; do
		caps_within "$(value "$c" "$text")" || fail "$text"
	done
	[ "$(value rootfs "$text")" = read-only ] || fail "root filesystem is writable:" "$text"
	if [ "$pids" != - ]; then
		[ "$(value pids.max "$text")" = "$pids" ] || fail "pids.max is not $pids:" "$text"
	fi
	if [ "$mem" != - ]; then
		[ "$(value memory.limit_in_bytes "$text")" = "$mem" ] || fail "memory limit is not $mem:" "$text"
	fi
}

# The process-level part of the same, for a process seen from the host.
assert_enforced_pid() {
	local pid=$1 text c
	text=$(grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' "/proc/$pid/status") || fail "no process $pid"
	[ "$(value NoNewPrivs "$text")" = 1 ] || fail "pid $pid: NoNewPrivs is not 1:" "$text"
	for c in CapPrm CapEff CapBnd CapInh CapAmb; do
		caps_within "$(value "$c" "$text")" || fail "pid $pid: $text"
	done
}

# cgroup_file PID CONTROLLER FILE: the value of a cgroup v1 file of PID's
# cgroup, read on the host.
cgroup_file() {
	local path
	path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	[ -n "$path" ] || fail "pid $1 has no $2 cgroup"
	cat "/sys/fs/cgroup/$2$path/$3"
}

# The message an engine shows for a refusal by ocigate.
REFUSED='ocigate: refused by policy'

assert_refused() {
	local text=${1-$stderr}
	[ "$status" -ne 0 ] || fail "expected a refusal, the container ran (status 0):" "$output"
	printf '%s\n' "$text" | grep -qF "$REFUSED" || fail "the engine did not show the ocigate refusal:" "$text"
}

# audit_count EVENT ID: audit lines of that event for that container id.
audit_count() {
	jq -r --arg e "$1" --arg id "$2" 'select(.event == $e and .id == $id) | .id' "$AUDIT" | wc -l
}

# audit_any EVENT ID FILTER: some audit line of that event for that id
# satisfies the jq FILTER (e.g. '.decisions | any(.rule == "mounts")').
audit_any() {
	jq -e -s --arg e "$1" --arg id "$2" "map(select(.event == \$e and .id == \$id)) | any($3)" "$AUDIT" >/dev/null ||
		fail "no \"$1\" audit line for $2 with $3"
}

# ---------------------------------------------------------------------------
# the test policy can be changed for one test; teardown restores it

policy_set() {
	[ -f "$W/policy.orig.json" ] || cp -p "$POLICY" "$W/policy.orig.json"
	jq "$1" "$W/policy.orig.json" >"$W/policy.new.json"
	chmod 600 "$W/policy.new.json"
	mv "$W/policy.new.json" "$POLICY"
}

policy_restore() {
	if [ -f "$W/policy.orig.json" ]; then
		mv "$W/policy.orig.json" "$POLICY"
	fi
	return 0
}

# ---------------------------------------------------------------------------
# containers the tests start

# pm_probe NAME [PODMAN RUN OPTIONS...]: run $PROBE in a busybox container
# named NAME (kept until teardown, so a refused one can be found by name).
pm_probe() {
	local name=$1
	shift
	run --separate-stderr pm "${PM_RUN[@]}" --name "$name" "$@" "$PM_BUSYBOX" sh -c "$PROBE"
}

pm_id() { pm inspect -f '{{.Id}}' "$1"; }

# docker_nginx: nginx in a docker container $C, its master $NGINX_PID, once
# it serves HTTP 200.  The policy's read-only root has tmpfs on /run, /tmp
# and /var/tmp only; nginx also writes /var/lib/nginx (its temp dirs) and
# /var/log/nginx, so the user gives it those:
#     docker run --tmpfs /var/lib/nginx --tmpfs /var/log/nginx ...
# No network (--network none): curl runs in the container's network
# namespace and talks to nginx over the container's own loopback.
docker_nginx() {
	local code i
	C=$(dk run -d --network none --tmpfs /var/lib/nginx --tmpfs /var/log/nginx "$NGINX")
	NGINX_PID=$(dk inspect -f '{{.State.Pid}}' "$C")
	[ "$NGINX_PID" -gt 0 ] || fail "nginx has no pid"
	for ((i = 0; i < 50; i++)); do
		code=$(nsenter -t "$NGINX_PID" -n curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1/) || true
		[ "$code" = 200 ] && return 0
		sleep 0.2
	done
	fail "nginx answered ${code:-nothing}, not 200"
}

# ---------------------------------------------------------------------------
# cleanup between tests

docker_cleanup() {
	local ids
	ids=$(dk ps -aq)
	# shellcheck disable=SC2086  # a list of ids
	[ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1
	return 0
}

podman_cleanup() {
	pm rm -af -t 0 >/dev/null 2>&1
	return 0
}

ctr_cleanup() {
	local id
	for id in $(ctrc tasks ls -q 2>/dev/null); do
		ctrc tasks kill -s KILL "$id" >/dev/null 2>&1
		ctrc tasks rm -f "$id" >/dev/null 2>&1
	done
	for id in $(ctrc containers ls -q 2>/dev/null); do
		ctrc containers rm "$id" >/dev/null 2>&1
	done
	return 0
}

# ---------------------------------------------------------------------------
# user namespaces (the default policy: "if-possible", pool from 1000000)

USERNS_POOL_START=1000000
USERNS_RANGE=65536
# the state dir of this ocigate build (staged rootfs mounts, id records)
USERNS_STATE=$("$OCIGATECTL" --version | sed -n 's/^state: //p')

# assert_pool_map "UID_MAP LINE": container root maps into the pool
assert_pool_map() {
	local line host
	line=$(echo "$1" | tr -s ' ' | sed 's/^ //')
	[[ $line =~ ^0\ ([0-9]+)\ $USERNS_RANGE$ ]] || fail "uid_map is not a pool range: $1"
	host=${BASH_REMATCH[1]}
	[ "$host" -ge "$USERNS_POOL_START" ] || fail "host id $host is below the pool"
	[ $(((host - USERNS_POOL_START) % USERNS_RANGE)) -eq 0 ] || fail "host id $host is not a range start"
}

staged_mounts() {
	awk -v s="$USERNS_STATE/" 'index($5, s) == 1' /proc/self/mountinfo | wc -l
}

# ---------------------------------------------------------------------------
# runc-replacement mode (runc-mode.bats, build.bats): `ocigatectl
# install-as-runc` puts ocigate in place of /usr/sbin/runc for a test, and
# ocigate then reads the policy at its compiled-in path.  runc_mode_setup
# saves what is at that path; runc_mode_teardown always puts runc and it
# back.

RUNC_PATH=/usr/sbin/runc

# compiled KEY: what `ocigatectl --version` says this build's KEY is.
compiled() { "$OCIGATECTL" --version | sed -n "s/^$1: //p"; }

# Sets SYS_POLICY (the compiled-in policy path, left empty for the test to
# write) and SYS_DIR, with the test's seccomp profile beside it.
runc_mode_setup() {
	local f
	SYS_POLICY=$(compiled policy)
	[ "$(compiled runtime)" = "$RUNC_PATH" ] || skip "this build execs $(compiled runtime), not $RUNC_PATH"
	SYS_DIR=$(dirname "$SYS_POLICY")
	mkdir -p "$SYS_DIR"
	for f in policy.json seccomp.json; do
		[ -e "$SYS_DIR/$f" ] && mv "$SYS_DIR/$f" "$SYS_DIR/$f.e2e-saved"
	done
	install -m 644 "$W/seccomp.json" "$SYS_DIR/seccomp.json"
}

runc_mode_teardown() {
	local f
	# skipped before anything was saved: what is there is the host's
	[ -n "${SYS_DIR:-}" ] || return 0
	if [ -e "$RUNC_PATH.real" ]; then
		"$OCIGATECTL" uninstall-as-runc --runc "$RUNC_PATH" --ocigate "$OCIGATE" >/dev/null 2>&1 || true
	fi
	rm -f "$SYS_POLICY" "$SYS_DIR/seccomp.json"
	for f in policy.json seccomp.json; do
		[ -e "$SYS_DIR/$f.e2e-saved" ] && mv "$SYS_DIR/$f.e2e-saved" "$SYS_DIR/$f"
	done
	return 0
}

# ocigate in place of runc (bats' run: $status, $output).
install_as_runc() {
	run "$OCIGATECTL" install-as-runc --runc "$RUNC_PATH" --ocigate "$OCIGATE"
	[ "$status" -eq 0 ] || fail "install-as-runc failed: $output"
}
