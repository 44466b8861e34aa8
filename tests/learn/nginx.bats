#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# A seccomp profile learned from observation (ocigatectl seccomp learn):
# nginx runs through ocigate and real runc with the learning profile (the
# policy's seccomp.learn names its bundle), the SECCOMP records of its pid
# namespace become a profile, and with that profile nginx still serves
# HTTP 200 while a syscall it never made fails with EPERM inside.
#
#   OCIGATE=... OCIGATECTL=... PROFILES=policy/profiles bats tests/learn
#
# The root filesystem is the e2e suite's debootstrapped Debian with
# nginx-light (cached in $E2E_CACHE, built on first use, about a minute).

# shellcheck disable=SC2016,SC2154
bats_require_minimum_version 1.5.0

: "${OCIGATE:?set OCIGATE to the ocigate binary}"
: "${OCIGATECTL:?set OCIGATECTL to the ocigatectl binary}"
: "${PROFILES:?set PROFILES to policy/profiles}"
RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/bin/busybox}
E2E_CACHE=${E2E_CACHE:-/var/cache/ocigate-e2e}
CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_SETGID","CAP_SETUID","CAP_NET_BIND_SERVICE","CAP_KILL","CAP_SYS_CHROOT"]'

setup_file() {
	local D=$BATS_FILE_TMPDIR tar
	[ "$(id -u)" = 0 ] || skip "needs root"
	grep -qw log /proc/sys/kernel/seccomp/actions_logged ||
		skip "this kernel does not log SCMP_ACT_LOG (no \"log\" in /proc/sys/kernel/seccomp/actions_logged)"
	tar=$E2E_CACHE/nginx-bookworm-rootfs.tar
	if [ ! -s "$tar" ]; then
		W=$D/w
		mkdir -p "$W/logs" "$W/images"
		# shellcheck source=../e2e/lib.sh
		. "$BATS_TEST_DIRNAME/../e2e/lib.sh"
		tar=$(e2e_nginx_tar)
	fi
	mkdir "$D/rootfs"
	tar -C "$D/rootfs" -xf "$tar"
	# a static probe: no library of the image is needed to run it
	gcc -static -O2 -o "$D/rootfs/probe" "$BATS_TEST_DIRNAME/probe.c"
	# The default policy without user namespaces (their staging has its
	# own suite); nginx's state dirs are writable tmpfs like /run.
	grep -v '^[[:space:]]*//' "$PROFILES/default.json" |
		jq --arg dir "$PROFILES" --arg audit "$D/audit.log" '
			.seccomp.default_profile = $dir + "/" + .seccomp.default_profile
			| .user_namespace.mode = "off"
			| .audit.log = $audit
			| .rootfs.writable_tmpfs += ["/var/lib/nginx", "/var/log/nginx"]
		' >"$D/policy.json"
}

setup() {
	T=$BATS_TEST_TMPDIR
	ROOTDIR=$T/state
	: >"$T/containers"
}

teardown() {
	local id
	while read -r id; do
		"$RUNC" --root "$ROOTDIR" delete -f "$id" >/dev/null 2>&1 || true
	done <"$T/containers"
	[ -z "${LEARNER:-}" ] || kill "$LEARNER" 2>/dev/null || true
}

# nginx_bundle DIR: runc's default spec, running nginx on the shared root
# filesystem (read-only), in its own network namespace: loopback only.
nginx_bundle() {
	mkdir -p "$1"
	"$RUNC" spec --bundle "$1"
	jq --arg root "$BATS_FILE_TMPDIR/rootfs" --argjson caps "$CAPS" '
		.root = {path: $root, readonly: true}
		| .process.terminal = false
		| .process.args = ["/usr/sbin/nginx", "-g", "daemon off;"]
		| .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
	' "$1/config.json" >"$1/config.json.new"
	mv "$1/config.json.new" "$1/config.json"
}

# start ID BUNDLE POLICY: `ocigate run -d`, as an engine starts a container.
start() {
	echo "$1" >>"$T/containers"
	"$OCIGATE" --ocigate-policy "$3" --root "$ROOTDIR" run -d --bundle "$2" "$1" </dev/null >"$T/run.out" 2>&1 ||
		{ cat "$T/run.out"; return 1; }
}

# http ID: the status line nginx answers on the container's loopback.
http() {
	local pid i
	pid=$("$RUNC" --root "$ROOTDIR" state "$1" | jq -r .pid)
	for i in $(seq 50); do
		if nsenter -t "$pid" -n "$BUSYBOX" wget -S -O /dev/null http://127.0.0.1/ 2>"$T/wget.err"; then
			grep -m1 'HTTP/' "$T/wget.err" | sed 's/^ *//'
			return 0
		fi
		sleep 0.2
	done
	cat "$T/wget.err"
	return 1
}

# stop ID: what an engine does on `docker stop`: TERM, wait for the exit.
stop() {
	local i
	"$RUNC" --root "$ROOTDIR" kill "$1" TERM
	for i in $(seq 50); do
		[ "$("$RUNC" --root "$ROOTDIR" state "$1" | jq -r .status)" = stopped ] && return 0
		sleep 0.1
	done
	return 1
}

@test "nginx learns a profile, then serves HTTP 200 under it; chroot and unshare fail with EPERM" {
	local D=$BATS_FILE_TMPDIR learn_policy out
	# 1. learning: the policy names the bundle
	learn_policy=$T/learn-policy.json
	jq --arg b "$T/learn-*" '.seccomp.learn = [$b]' "$D/policy.json" >"$learn_policy"
	nginx_bundle "$T/learn-1"
	"$OCIGATECTL" seccomp learn --id learn1 --root "$ROOTDIR" --timeout 60 --output "$T/learned.json" \
		2>"$T/learn.err" &
	LEARNER=$!
	for _ in $(seq 50); do grep -q 'learning from' "$T/learn.err" && break; sleep 0.1; done
	cat "$T/learn.err"
	start learn1 "$T/learn-1" "$learn_policy"
	# the learning profile is in the config runc got, and in the audit record
	jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_LOG" and (.linux.seccomp.syscalls | all(.action == "SCMP_ACT_ERRNO"))' \
		"$T/learn-1/config.json"
	tail -n1 "$D/audit.log" | jq -e '.event == "create" and (.decisions | any(.rule == "seccomp_learn" and .action == "mutate"))'
	run http learn1
	[ "$status" -eq 0 ] && [[ $output == *" 200 OK" ]] || { echo "$output"; false; }
	http learn1 >/dev/null
	stop learn1
	wait "$LEARNER"
	LEARNER=
	cat "$T/learn.err"
	grep -q 'syscalls allowed, from [1-9][0-9]* SECCOMP records' "$T/learn.err"
	cat "$T/learned.json"
	jq -e '.defaultAction == "SCMP_ACT_ERRNO" and .defaultErrnoRet == 1
		and .architectures == ["SCMP_ARCH_X86_64"]
		and (.syscalls | length == 1) and .syscalls[0].action == "SCMP_ACT_ALLOW"
		and (.syscalls[0].names | index("accept4") and index("epoll_wait") and index("sendfile") or index("writev"))
		and (.syscalls[0].names | (index("chroot") or index("unshare")) | not)' "$T/learned.json"

	# 2. the learned profile, as an engine passes a profile file
	#    (docker run --security-opt seccomp=learned.json), under the policy
	nginx_bundle "$T/web"
	jq --slurpfile p "$T/learned.json" '.linux.seccomp = $p[0]' "$T/web/config.json" >"$T/web/c.new"
	mv "$T/web/c.new" "$T/web/config.json"
	start web1 "$T/web" "$D/policy.json"
	jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$T/web/config.json"
	run http web1
	[ "$status" -eq 0 ] && [[ $output == *" 200 OK" ]] || { echo "$output"; false; }
	run --separate-stderr "$OCIGATE" --ocigate-policy "$D/policy.json" --root "$ROOTDIR" exec web1 /probe
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "chroot: Operation not permitted
unshare: Operation not permitted" ]
	stop web1
}

@test "learn refuses a process of its own pid namespace; without CAP_AUDIT_READ it reads /dev/kmsg" {
	run --separate-stderr "$OCIGATECTL" seccomp learn --pid $$ --timeout 5
	[ "$status" -eq 2 ]
	[ "$stderr" = "ocigatectl: learning from audit multicast
ocigatectl: the container's process $$ shares this pid namespace: its records cannot be told apart from the host's (learn needs a container with its own pid namespace)" ] ||
		{ echo "$stderr"; false; }
	command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
	run --separate-stderr setpriv --bounding-set -audit_read --inh-caps -audit_read \
		"$OCIGATECTL" seccomp learn --pid $$ --timeout 5
	[ "$status" -eq 2 ]
	[[ $stderr == "ocigatectl: cannot join the kernel audit multicast group (needs CAP_AUDIT_READ): Operation not permitted; reading /dev/kmsg instead (needs kernel audit on, no auditd)
ocigatectl: learning from /dev/kmsg
ocigatectl: the container's process $$ shares this pid namespace"* ]] || { echo "$stderr"; false; }
}
