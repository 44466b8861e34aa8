# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# jq filters are single-quoted on purpose; status/output/stderr/lines come
# from bats' run.
# shellcheck disable=SC2016,SC2119,SC2120,SC2154
#
# Shared helpers for the ocigate integration tests: real runc on a
# busybox-static rootfs, driven through ocigate exactly as an engine would.
#
# Environment (set by `make check-integration`):
#   OCIGATE OCIGATECTL OCIGATE_HOOK PROFILES FIXTURES
#
# Every test gets its own temp dir (BATS_TEST_TMPDIR), its own --root state
# dir, its own bundles (each with its own copy of the rootfs and its own
# config.json), a unique container id and a unique cgroup path.  teardown
# force-deletes whatever the test started and removes its cgroups.

bats_require_minimum_version 1.5.0

: "${OCIGATE:?set OCIGATE to the ocigate binary}"
: "${OCIGATECTL:?set OCIGATECTL to the ocigatectl binary}"
: "${PROFILES:?set PROFILES to policy/profiles}"
: "${FIXTURES:?set FIXTURES to tests/fixtures}"
: "${OCIGATE_HOOK:?set OCIGATE_HOOK to the ocigate-hook binary}"

RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/bin/busybox}
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
DOCKER_FIXTURES="$FIXTURES/engines/docker-20.10"

# The default policy's capability allowlist as a mask:
# CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7,
# SETPCAP 8, NET_BIND_SERVICE 10, SYS_CHROOT 18.
ALLOWED_CAP_MASK=$(((1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 18)))

# What the container prints by default: its privileges, its cgroup limits,
# whether it can write its root filesystem and /tmp, its /sys mount options
# and the device nodes it has.
DEFAULT_PROBE='grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status
echo "pids.max: $(cat /sys/fs/cgroup/pids/pids.max)"
echo "memory.limit_in_bytes: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
if touch /x 2>/dev/null; then echo "rootfs: writable"; else echo "rootfs: read-only"; fi
if touch /tmp/probe 2>/dev/null; then echo "tmp: writable"; else echo "tmp: read-only"; fi
echo "sysfs: $(grep " /sys sysfs " /proc/self/mounts | cut -d" " -f4)"
echo "devices: $(ls /dev | tr "\n" " ")"'

# ---------------------------------------------------------------------------
# per-file and per-test setup

# Build the shared pieces once per .bats file: a busybox rootfs, the default
# policy without comments (jq cannot read them) and a spy runtime.
og_setup_file() {
	local rootfs="$BATS_FILE_TMPDIR/rootfs" a d
	[ "$(id -u)" = 0 ] || skip "integration tests need root"
	[ -x "$RUNC" ] || skip "no runc at $RUNC"
	[ -x "$BUSYBOX" ] || skip "no busybox at $BUSYBOX"

	mkdir -p "$rootfs/bin"
	for d in proc sys dev tmp etc run var/tmp; do
		mkdir -p "$rootfs/$d"
	done
	# as in any image: runc gives a tmpfs the mode of the directory below it
	chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
	cp "$BUSYBOX" "$rootfs/bin/busybox"
	for a in sh cat ls touch grep echo id mount head wc stat find test true sleep sed; do
		ln -s busybox "$rootfs/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
	echo 'root:x:0:' >"$rootfs/etc/group"

	# The test policies live in temp dirs: files the profile names relative
	# to itself (the seccomp profile) are made absolute.
	grep -v '^[[:space:]]*//' "$PROFILES/default.json" |
		jq --arg dir "$PROFILES" '
			if (.seccomp.default_profile? // "/") | startswith("/") then .
			else .seccomp.default_profile = $dir + "/" + .seccomp.default_profile end
		' >"$BATS_FILE_TMPDIR/default.json"
	# User namespaces have their own suite (userns.bats); elsewhere the
	# rewritten paths are easier to assert without the staging.
	# The default policy's verify (audit) runs the ocigate-hook just built in
	# every container: og_teardown fails a test whose container it found
	# not to be what the config said (a false positive, or a real bug).
	jq --arg h "$OCIGATE_HOOK" '.user_namespace.mode = "off" | .verify.hook = $h' "$BATS_FILE_TMPDIR/default.json" \
		>"$BATS_FILE_TMPDIR/default.json.new"
	mv "$BATS_FILE_TMPDIR/default.json.new" "$BATS_FILE_TMPDIR/default.json"
	jq '.audit.log = "@AUDIT@"' "$BATS_FILE_TMPDIR/default.json" >"$BATS_FILE_TMPDIR/policy.template.json"
	grep -q '"@AUDIT@"' "$BATS_FILE_TMPDIR/policy.template.json"

	# The runtime ocigate execs in these tests: records its argv (one call
	# per line, to $OG_SPY_LOG) and becomes runc.  An absent or empty log
	# proves the runtime was never started.
	cat >"$BATS_FILE_TMPDIR/runc-spy" <<EOF
#!/bin/sh
if [ -n "\$OG_SPY_LOG" ]; then printf '%s\n' "\$*" >>"\$OG_SPY_LOG"; fi
exec $RUNC "\$@"
EOF
	chmod 755 "$BATS_FILE_TMPDIR/runc-spy"
}

og_setup() {
	T="$BATS_TEST_TMPDIR"
	ROOTDIR="$T/state"
	RUNTIME="$BATS_FILE_TMPDIR/runc-spy"
	export OG_SPY_LOG="$T/runtime.calls"
	AUDIT="$T/audit.log"
	POLICY="$T/policy.json"
	NBUNDLE=0
	: >"$T/containers"
	make_policy
}

og_teardown() {
	local root id c
	[ -n "${T:-}" ] && [ -f "$T/containers" ] || return 0
	while read -r root id; do
		[ -n "$id" ] || continue
		"$RUNC" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
		for c in /sys/fs/cgroup/*/"ocigate-test-$id" /sys/fs/cgroup/unified/"ocigate-test-$id"; do
			[ -d "$c" ] && rmdir "$c" 2>/dev/null
		done
	done <"$T/containers"
	# A verify record is a container the runtime did not set up as its
	# config said; VERIFY_RECORDS_EXPECTED (an ERE) names the records a
	# test expects (verify.bats: any).
	if [ -f "${AUDIT:-}" ] && grep '"event":"verify"' "$AUDIT" |
		grep -vE "${VERIFY_RECORDS_EXPECTED:-^\$}" >"$T/verify.unexpected"; then
		echo "ocigate-hook found a mismatch:" >&2
		cat "$T/verify.unexpected" >&2
		return 1
	fi
	return 0
}

setup_file() { og_setup_file; }
setup() { og_setup; }
teardown() { og_teardown; }

# ---------------------------------------------------------------------------
# policies

# make_policy [JQ_FILTER [jq args...]]: $POLICY = default.json with its audit
# log moved to $AUDIT and the filter applied.
make_policy() {
	if [ $# -eq 0 ]; then
		# the common case, without starting jq
		sed "s|\"@AUDIT@\"|\"$AUDIT\"|" "$BATS_FILE_TMPDIR/policy.template.json" >"$POLICY"
		return
	fi
	local filter=$1
	shift
	jq --arg audit "$AUDIT" "$@" ".audit.log = \$audit | ($filter)" \
		"$BATS_FILE_TMPDIR/default.json" >"$POLICY"
}

# ---------------------------------------------------------------------------
# bundles

# new_id: a container id unique to this run and test.
new_id() {
	echo "og$$-${BATS_SUITE_TEST_NUMBER:-0}-$RANDOM$RANDOM"
}

# make_bundle FIXTURE [PROBE]: sets BUNDLE and CID.
# FIXTURE is a Docker fixture name (privileged, capall, hostns, sock,
# default, hardened) or a path to a config.json.  The config is adapted
# for a local runc run:
#  - root.path -> a private copy of the busybox rootfs;
#  - process.terminal false, process.args = sh -c PROBE;
#  - mounts from /var/lib/docker dropped (that docker state does not exist
#    here); user-added binds (docker.sock, / -> /host, /proc -> /hostproc,
#    /dev/shm ...) kept;
#  - namespaces joined by a path that does not exist here are dropped
#    (hostns joins Docker's /run/docker/netns/default, i.e. the host's
#    network namespace: dropping the entry keeps it host-networked);
#  - linux.sysctl dropped when there is no network namespace (runc refuses
#    net.* sysctls in the host's network namespace);
#  - linux.cgroupsPath -> /ocigate-test-<id>; hooks and the AppArmor
#    profile dropped (no dockerd, no AppArmor on this host).
make_bundle() {
	local fixture=$1 probe=${2:-$DEFAULT_PROBE} src p missing
	case $fixture in
	*/*) src=$fixture ;;
	*) src="$DOCKER_FIXTURES/$fixture.config.json" ;;
	esac
	NBUNDLE=$((NBUNDLE + 1))
	BUNDLE="$T/bundle$NBUNDLE"
	CID=$(new_id)
	mkdir -p "$BUNDLE"
	cp -a "$BATS_FILE_TMPDIR/rootfs" "$BUNDLE/rootfs"
	# The per-fixture part of the adaptation is done once per .bats file.
	local cached
	cached="$BATS_FILE_TMPDIR/fixture-$(echo "$src" | sha256sum | cut -c1-16).json"
	if [ ! -f "$cached" ]; then
		missing=()
		for p in $(jq -r '.linux.namespaces[]? | .path // empty' "$src"); do
			[ -e "$p" ] || missing+=("$p")
		done
		jq --argjson missing "$(jq -nc '$ARGS.positional' --args "${missing[@]}")" '
			.root.path = "@ROOT@"
			| .process.args = ["/bin/sh", "-c", "@PROBE@"]
			| .linux.cgroupsPath = "@CID@"
			| .process.terminal = false
			| .mounts |= map(select(((.source // "") | startswith("/var/lib/docker/")) | not))
			| .linux.namespaces |= map(select(.path as $p | $missing | any(. == $p) | not))
			| if (.linux.namespaces | any(.type == "network")) then . else del(.linux.sysctl) end
			| del(.hooks)
			| del(.process.apparmorProfile)
		' "$src" >"$cached.tmp"
		mv "$cached.tmp" "$cached"
	fi
	# root.path, args and cgroupsPath are placeholders in the cached copy
	# (sed is much cheaper than another jq here)
	local r=${BUNDLE//\\/\\\\} pr
	pr=$(json_escape "$probe")
	pr=${pr//\\/\\\\}
	pr=${pr//&/\\&}
	pr=${pr//|/\\|}
	sed -e "s|\"@ROOT@\"|\"$r/rootfs\"|" -e "s|\"@CID@\"|\"/ocigate-test-$CID\"|" \
		-e "s|\"@PROBE@\"|\"$pr\"|" "$cached" >"$BUNDLE/config.json"
}

# json_escape STRING: STRING as the inside of a JSON string literal.
json_escape() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\t'/\\t}
	s=${s//$'\r'/\\r}
	printf '%s' "$s"
}

# edit_config BUNDLE JQ_FILTER [jq args...]
edit_config() {
	local b=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$b/config.json" >"$b/config.json.new"
	mv "$b/config.json.new" "$b/config.json"
}

# add_mount BUNDLE JSON_OBJECT: append one mount to the bundle's config.
add_mount() {
	edit_config "$1" '.mounts += [$m]' --argjson m "$2"
}

# ---------------------------------------------------------------------------
# running ocigate

# record_container ROOT ID: teardown deletes it and its cgroups.
record_container() {
	echo "$1 $2" >>"$T/containers"
}

# run_ocigate_raw ARGS...: ocigate with exactly these arguments, stdin from
# /dev/null, a 60 s timeout; results in bats' $status, $output, $stderr.
run_ocigate_raw() {
	run --separate-stderr timeout -k 5 60 "$OCIGATE" "$@" </dev/null
}

# run_ocigate ID BUNDLE [POLICY]: `ocigate ... run --bundle BUNDLE ID` in the
# foreground (stdout is the container's), as containerd-shim calls it.
run_ocigate() {
	local id=$1 bundle=$2 policy=${3:-$POLICY}
	record_container "$ROOTDIR" "$id"
	run_ocigate_raw --ocigate-policy "$policy" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" --log "$bundle/log.json" --log-format json \
		run --bundle "$bundle" "$id"
}

# run_detached [OCIGATE_OPTION...]: `ocigate run -d` of $BUNDLE as $CID, as
# containerd-shim starts a container (the options, e.g. --ocigate-state-dir
# DIR, go before runc's own); fails with runc's words if it did not start.
run_detached() {
	record_container "$ROOTDIR" "$CID"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" "$@" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run -d --bundle "$BUNDLE" "$CID" \
		</dev/null >/dev/null 2>"$T/run.err"
	[ ! -s "$T/run.err" ] || { cat "$T/run.err"; false; }
}

# state_setup: $STATE, a private ocigate state dir for user namespaces and
# staging that the containers' mapped roots can walk to (bats' own temp
# dirs are 0700).  state_teardown: what a failed test left in it (staged
# mounts, records), then the dir.
state_setup() {
	STATE=$(mktemp -d /tmp/ocigate-state-XXXXXX)
	chmod 711 "$STATE"
}

state_teardown() {
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null 2>&1 || true
	awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | xargs -r umount -l 2>/dev/null
	rm -rf "$STATE"
	return 0
}

# og_userns ID BUNDLE ARGS...: ocigate with the test's policy, $STATE and
# runc root, its log in BUNDLE/log.json.
og_userns() {
	local id=$1 bundle=$2
	shift 2
	record_container "$ROOTDIR" "$id"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$bundle/log.json" --log-format json "$@"
}

# staged_mounts: how many mounts ocigate has under $STATE.
staged_mounts() {
	awk -v s="$STATE/" 'index($5, s) == 1' /proc/self/mountinfo | wc -l
}

# ---------------------------------------------------------------------------
# assertions

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# debug output shown by bats when a test fails
show_run() {
	echo "status: $status"
	echo "stdout: $output"
	echo "stderr: ${stderr:-}"
	if [ -n "${BUNDLE:-}" ] && [ -f "$BUNDLE/log.json" ]; then
		echo "log.json:"
		cat "$BUNDLE/log.json"
	fi
}

sha() {
	sha256sum <"$1" | cut -d' ' -f1
}

audit_lines() {
	if [ -f "$AUDIT" ]; then wc -l <"$AUDIT"; else echo 0; fi
}

# probe_value KEY: the value the probe printed for "KEY:".
probe_value() {
	printf '%s\n' "$output" | sed -n "s/^$1:[[:space:]]*//p" | head -n1
}

assert_status() {
	[ "$status" -eq "$1" ] || {
		show_run
		fail "expected exit status $1, got $status"
	}
}

# assert_privileges_gone: on top of assert_enforced_inside, for the
# privileged fixtures: a seccomp filter, read-only /sys, no host devices.
assert_privileges_gone() {
	local d
	assert_enforced_inside
	[ "$(probe_value Seccomp)" = 2 ] || { show_run; fail "no seccomp filter inside"; }
	[[ "$(probe_value sysfs)," == ro,* ]] || { show_run; fail "/sys is not read-only"; }
	for d in kmsg mem kvm vda loop0 autofs btrfs-control cpu_dma_latency userfaultfd; do
		[[ " $(probe_value devices) " != *" $d "* ]] || { show_run; fail "/dev/$d is in the container"; }
	done
	[[ " $(probe_value devices) " == *" null "* ]] || { show_run; fail "no /dev/null in the container"; }
}

# assert_enforced_inside: the probe's output shows the default policy at work.
assert_enforced_inside() {
	local set v
	assert_status 0
	[ "$(probe_value NoNewPrivs)" = 1 ] || { show_run; fail "NoNewPrivs is not 1 inside"; }
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(probe_value "$set")
		[ -n "$v" ] || { show_run; fail "no $set line from the probe"; }
		(((0x$v & ~ALLOWED_CAP_MASK) == 0)) || {
			show_run
			fail "$set 0x$v has capabilities outside the allowlist mask $(printf '0x%x' "$ALLOWED_CAP_MASK")"
		}
	done
	[ "$(probe_value rootfs)" = read-only ] || { show_run; fail "the rootfs is writable"; }
	[ "$(probe_value tmp)" = writable ] || { show_run; fail "/tmp is not writable"; }
	[ "$(probe_value pids.max)" = 1024 ] || { show_run; fail "pids.max is not the policy default 1024"; }
	[ "$(probe_value memory.limit_in_bytes)" = 1073741824 ] || { show_run; fail "memory limit is not the policy default 1G"; }
}

# last_log_line [BUNDLE]: the last line of BUNDLE/log.json.
last_log_line() {
	tail -n1 "${1:-$BUNDLE}/log.json"
}

# assert_log_error REGEX [BUNDLE]: log.json's last line is a runc-format
# error from ocigate whose msg matches the (extended) regex.
assert_log_error() {
	local re=$1 b=${2:-$BUNDLE} line msg
	[ -s "$b/log.json" ] || { show_run; fail "no $b/log.json"; }
	line=$(tail -n1 "$b/log.json")
	msg=$(jq -r 'if type == "object" and .level == "error"
			and (.time | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"))
			and (.msg | type == "string")
		then .msg else error("not a runc-format error line") end' <<<"$line") || {
		show_run
		fail "last log.json line is not a runc-format error line: $line"
	}
	[[ $msg == "ocigate: "* ]] || { show_run; fail "msg does not start with 'ocigate: ': $msg"; }
	[[ $msg =~ $re ]] || { show_run; fail "msg does not match /$re/: $msg"; }
}

# assert_runtime_not_started ID: no runtime call for ID (the spy saw none)
# and runc has no state for it.
assert_runtime_not_started() {
	local id=$1
	if [ -s "$OG_SPY_LOG" ] && grep -qw -- "$id" "$OG_SPY_LOG"; then
		show_run
		fail "the runtime was started for $id: $(cat "$OG_SPY_LOG")"
	fi
	[ ! -e "$ROOTDIR/$id" ] || fail "runc state exists for $id"
	if "$RUNC" --root "$ROOTDIR" state "$id" >/dev/null 2>&1; then
		fail "runc knows container $id"
	fi
}

# assert_refused ID SHA_BEFORE AUDIT_LINES_BEFORE REGEX [EVENT]: the full
# contract of a refusal.  AUDIT_LINES_BEFORE "-" skips the audit check.
assert_refused() {
	local id=$1 before=$2 audit_before=$3 re=$4 event=${5:-refuse} n
	assert_status 1
	[ -z "$output" ] || { show_run; fail "ocigate printed on stdout"; }
	[ -z "$stderr" ] || { show_run; fail "ocigate printed on stderr although --log was given"; }
	assert_log_error "$re"
	assert_runtime_not_started "$id"
	[ "$(sha "$BUNDLE/config.json")" = "$before" ] || fail "config.json was modified"
	[ "$audit_before" != - ] || return 0
	n=$(audit_lines)
	[ "$n" -eq $((audit_before + 1)) ] || fail "expected one new audit line, have $audit_before -> $n"
	tail -n1 "$AUDIT" | jq -e --arg e "$event" --arg id "$id" '.event == $e and .id == $id' >/dev/null ||
		fail "last audit line is not a '$event' event for $id: $(tail -n1 "$AUDIT")"
}

# refuse_check ID REGEX [EVENT]: run ocigate on $BUNDLE and assert a refusal.
refuse_check() {
	local id=$1 re=$2 event=${3:-refuse} before audit_before
	before=$(sha "$BUNDLE/config.json")
	audit_before=$(audit_lines)
	run_ocigate "$id" "$BUNDLE"
	assert_refused "$id" "$before" "$audit_before" "$re" "$event"
}

# make_socket PATH: a listening-style unix socket node (a fake daemon).
make_socket() {
	mkdir -p "$(dirname "$1")"
	"$PYTHON" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$1"
	[ -S "$1" ]
}

# regex-quote a literal string
re_quote() {
	printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'
}
