#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# seccomp, judged inside containers started by real runc: a profile the
# container brings is held to the reference profile's denials whatever its
# spelling; Docker's widening for a capability the policy dropped is taken
# back; setting S_ISUID/S_ISGID is refused with EPERM (user namespace on
# and off); a seccomp agent must be one the policy names.

# shellcheck disable=SC2016,SC2154,SC2030,SC2031,SC2153
load helpers

# Docker's own shapes: the default profile of 20.10 and of 28.5.
DOCKER28="$FIXTURES/engines/docker-28.5/volume-tmpfs.config.json"

# What Docker adds for --cap-add SYS_ADMIN (moby profiles/seccomp/default.json,
# includes.caps; the generated profile carries no key): these names allowed
# unconditionally, clone without its namespace mask.
SYS_ADMIN_SYSCALLS='["bpf","clone","clone3","fanotify_init","fsconfig","fsmount","fsopen","fspick","lookup_dcookie","mount","mount_setattr","move_mount","open_tree","perf_event_open","quotactl","quotactl_fd","setdomainname","sethostname","setns","syslog","umount","umount2","unshare"]'
# ... and for every capability (--cap-add ALL).
ALL_CAP_SYSCALLS='["open_by_handle_at","reboot","chroot","delete_module","init_module","finit_module","acct","kcmp","pidfd_getfd","process_madvise","process_vm_readv","process_vm_writev","ptrace","iopl","ioperm","settimeofday","stime","clock_settime","clock_settime64","vhangup","get_mempolicy","mbind","set_mempolicy","set_mempolicy_home_node"]'

# A nested user namespace (full capabilities in it) that mounts a tmpfs:
# the kernel attack surface the reference profile closes.  Run as uid 1000
# (mapping uid 0 into a new namespace needs CAP_SETFCAP, which the
# allowlist drops; mapping one's own uid needs nothing).
NESTED_PROBE='if unshare -Ur true 2>/dev/null; then echo "unshare: allowed"; else echo "unshare: denied"; fi
if unshare -Urm sh -c "mount -t tmpfs t /tmp && echo mounted" 2>/dev/null | grep -q mounted; then echo "nested mount: allowed"; else echo "nested mount: denied"; fi
echo "shell: ok"'

setup_file() {
	og_setup_file
	gcc -static -O2 -o "$BATS_FILE_TMPDIR/setid-probe" "$BATS_TEST_DIRNAME/setid-probe.c" ||
		fail "cannot build the setid probe (gcc, glibc's libc.a)"
}

setup() {
	og_setup
	# Bind sources and the userns state must be walkable by the container's
	# host uid (bats' temp dirs are 0700).
	# (the sources beside the state dir, not in it: a source in ocigate's
	# state dir is refused)
	TOP=$(mktemp -d /tmp/ocigate-seccomp-XXXXXX)
	chmod 711 "$TOP"
	STATE=$TOP/state
	mkdir -m 711 "$STATE"
}

teardown() {
	og_teardown
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null 2>&1 || true
	awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | xargs -r umount -l 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill "$AGENT_PID" 2>/dev/null
	rm -rf "$TOP"
	return 0
}

# og_run ID BUNDLE: `ocigate run` with a state dir (for the user namespace).
og_run() {
	local id=$1 bundle=$2
	record_container "$ROOTDIR" "$id"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$bundle/log.json" --log-format json run --bundle "$bundle" "$id"
}

# allow_all_by_name ACTION: the shipped profile's names, and the ones it
# leaves out with ACTION (a TRACE of every syscall would stop runc's own
# execve: ENOSYS without a tracer), default errno.
allow_all_by_name() {
	jq -c --arg a "$1" '{defaultAction: "SCMP_ACT_ERRNO",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: .syscalls[0].names, action: "SCMP_ACT_ALLOW"},
			{names: ["unshare", "mount", "umount2", "setns", "bpf", "keyctl", "ptrace", "open_by_handle_at",
				"clone", "clone3", "personality", "pivot_root"], action: $a}]}' \
		"$PROFILES/seccomp.json"
}

@test "seccomp: a profile that allows every syscall by name (default errno) gets no nested namespace or mount inside" {
	local action
	for action in SCMP_ACT_ALLOW SCMP_ACT_LOG SCMP_ACT_TRACE; do
		make_bundle default "$NESTED_PROBE"
		edit_config "$BUNDLE" '.linux.seccomp = $p | .process.user = {uid: 1000, gid: 1000}' \
			--argjson p "$(allow_all_by_name "$action")"
		og_run "$CID" "$BUNDLE"
		show_run
		[ "$status" -eq 0 ]
		[ "$(probe_value unshare)" = denied ]
		[ "$(probe_value "nested mount")" = denied ]
		[ "$(probe_value shell)" = ok ]
		tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "seccomp" and .before == "\"unshare\"")'
	done
}

# ERRNO with errno 0 (runc keeps the low 16 bits of errnoRet: 65536 is 0)
# makes the kernel skip the call and report success: not a way in by
# itself (unshare "succeeds" without a new namespace), but not the
# reference's denial either, and fatal to code that checks it dropped
# privileges; judged as letting the call through.
@test "seccomp: an errno rule with errnoRet 65536 and an errno-0 default are judged as allowing (decision and refusal)" {
	make_bundle default "$NESTED_PROBE"
	edit_config "$BUNDLE" '.process.user = {uid: 1000, gid: 1000}
		| .linux.seccomp = ($p | .syscalls += [{names: ["unshare", "mount"], action: "SCMP_ACT_ERRNO", errnoRet: 65536}])' \
		--argjson p "$(allow_all_by_name SCMP_ACT_ALLOW | jq -c '.syscalls[1].names -= ["unshare", "mount"]')"
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value unshare)" = denied ]
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "seccomp" and .before == "\"unshare\"")'
	# a default that "fails" with errno 0 lets everything through
	make_bundle default "$NESTED_PROBE"
	edit_config "$BUNDLE" '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 0, syscalls: [{names: ["getpid"], action: "SCMP_ACT_KILL"}]}'
	refuse_check "$CID" '^ocigate: refused by policy: seccomp: a seccomp profile that lets every syscall through by default'
}

@test "seccomp: an empty seccomp object (runc runs no filter) gets the default profile" {
	make_bundle default "$NESTED_PROBE"
	edit_config "$BUNDLE" '.linux.seccomp = {} | .process.user = {uid: 1000, gid: 1000}'
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value unshare)" = denied ]
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "seccomp" and .path == "linux.seccomp" and .action == "mutate")'
}

@test "seccomp: under seccomp.action deny, a profile beyond the reference is refused with the syscall named" {
	make_policy '.seccomp.action = "deny"'
	make_bundle default "$NESTED_PROBE"
	edit_config "$BUNDLE" '.linux.seccomp = $p' --argjson p "$(allow_all_by_name SCMP_ACT_ALLOW)"
	refuse_check "$CID" '^ocigate: refused by policy: seccomp: the profile lets [a-z_0-9]+ through where the reference profile .*seccomp.json (denies it|allows it only with these rules)'
}

# assert_not_let_through NAME...: no rule of the profile runc was given
# (the rewritten $BUNDLE/config.json) lets NAME through unfiltered.
assert_not_let_through() {
	local n
	for n in "$@"; do
		jq -e --arg n "$n" '.linux.seccomp.syscalls | any(
			(.action | IN("SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP") | not)
			and (.names | index($n)) and ((.args // []) | length == 0)) | not' "$BUNDLE/config.json" >/dev/null ||
			fail "$n is still let through"
	done
}

# docker_cap_profile FIXTURE CAPS_JSON EXTRA_SYSCALLS_JSON: the bundle of
# `docker run --cap-add ... --user 1000:1000`: the capabilities added to
# every set and Docker's widened profile (for SYS_ADMIN: clone unconditional,
# clone3 allowed).
docker_cap_profile() {
	local fixture=$1 caps=$2 extra=$3
	make_bundle "$fixture" "$NESTED_PROBE"
	edit_config "$BUNDLE" '
		.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities |= with_entries(.value = ((.value // []) + $caps | unique))
		| .linux.seccomp.syscalls |= (if ($extra | index("clone")) then
				map(select((.names == ["clone"] and .args != null) or .names == ["clone3"] | not)) else . end
			+ [{names: $extra, action: "SCMP_ACT_ALLOW"}])' --argjson caps "$caps" --argjson extra "$extra"
}

@test "seccomp: docker --cap-add SYS_ADMIN --user 1000:1000 (20.10 and 28.5 profiles): capability dropped, unshare denied inside" {
	local fixture
	for fixture in default "$DOCKER28"; do
		docker_cap_profile "$fixture" '["CAP_SYS_ADMIN"]' "$SYS_ADMIN_SYSCALLS"
		og_run "$CID" "$BUNDLE"
		show_run
		[ "$status" -eq 0 ]
		[ "$(probe_value unshare)" = denied ]
		[ "$(probe_value "nested mount")" = denied ]
		assert_not_let_through unshare mount setns clone3
	done
}

@test "seccomp: docker --cap-add ALL without --privileged: every capability's widening taken back" {
	docker_cap_profile "$DOCKER28" "$(jq -nc '["CAP_SYS_ADMIN","CAP_SYS_PTRACE","CAP_SYS_MODULE","CAP_SYS_TIME","CAP_DAC_READ_SEARCH","CAP_SYS_BOOT","CAP_BPF","CAP_PERFMON","CAP_SYSLOG","CAP_SYS_RAWIO","CAP_SYS_NICE"]')" \
		"$(jq -nc --argjson a "$SYS_ADMIN_SYSCALLS" --argjson b "$ALL_CAP_SYSCALLS" '$a + $b')"
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value unshare)" = denied ]
	# nothing a dropped capability unlocked is left in the profile runc got
	assert_not_let_through unshare mount setns bpf ptrace init_module open_by_handle_at clock_settime reboot
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "seccomp" and (.reason | test("lets [0-9]+ more syscalls through")))' 
}

@test "seccomp: a capability the policy keeps keeps Docker's widening for it (SYS_PTRACE allowed: ptrace stays)" {
	make_policy '.capabilities.allow += ["CAP_SYS_PTRACE"]'
	docker_cap_profile "$DOCKER28" '["CAP_SYS_PTRACE"]' '["kcmp","pidfd_getfd","process_madvise","process_vm_readv","process_vm_writev","ptrace"]'
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value shell)" = ok ]
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "seccomp" and .before == "\"ptrace\"") | not'
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "seccomp" and .before == "\"unshare\"") | not'
}

# setid_run MODE FIXTURE: the probe on a writable bind of $SRC at /v.
setid_run() {
	local mode=$1 fixture=$2
	make_policy '.user_namespace.mode = $m' --arg m "$mode"
	make_bundle "$fixture" '/bin/setid-probe /v'
	cp "$BATS_FILE_TMPDIR/setid-probe" "$BUNDLE/rootfs/bin/setid-probe"
	SRC="$TOP/src$NBUNDLE"
	mkdir -m 0777 "$SRC"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$SRC" '{destination: "/v", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
}

assert_no_setid_files() {
	local c
	for c in open-0644 chmod-0755; do
		[ "$(probe_value "$c")" = ok ] || fail "$c: $(probe_value "$c")"
	done
	for c in chmod-4755 chmod-2755 fchmod-4755 fchmodat-6755 chmod-high-4755 open-creat-4755 openat-creat-2755 \
		creat-4755 mknod-4755 mknodat-2755 chmod-i386-4755; do
		[ "$(probe_value "$c")" = EPERM ] || fail "$c: $(probe_value "$c")"
	done
	# fchmodat2 is EPERM where the runtime's libseccomp knows it, else the
	# default action; openat2 and io_uring answer ENOSYS
	[ "$(probe_value fchmodat2-4755)" != ok ]
	[ "$(probe_value openat2)" = ENOSYS ]
	[ "$(probe_value io_uring_setup)" != ok ]
	# and on the host: no file with S_ISUID or S_ISGID
	[ -z "$(find "$SRC" -perm /6000)" ] || fail "setid files on the host: $(find "$SRC" -perm /6000 -ls)"
	[ "$(stat -c %a "$SRC/plain")" = 755 ]
}

@test "seccomp: chmod 4755/2755, open(O_CREAT, 04755), mknod... on a bind source fail with EPERM (no user namespace), host file stays plain" {
	local fixture
	for fixture in default capall "$DOCKER28"; do
		setid_run off "$fixture"
		assert_no_setid_files
	done
}

@test "seccomp: the same with ocigate's user namespace on (container root maps to host root on the idmapped bind)" {
	local fixture
	for fixture in default capall; do
		setid_run required "$fixture"
		assert_no_setid_files
	done
}

@test "seccomp: busybox chmod 4755 on a bind source: Operation not permitted inside" {
	make_bundle default 'cp /bin/busybox /v/x; chmod 4755 /v/x; echo "chmod: $?"; chmod 2755 /v/x; echo "chmod2: $?"; chmod 755 /v/x; echo "plain: $?"'
	SRC="$TOP/src"
	mkdir -m 0777 "$SRC"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$SRC" '{destination: "/v", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"chmod: /v/x: Operation not permitted"* ]]
	[ "$(probe_value chmod)" = 1 ]
	[ "$(probe_value chmod2)" = 1 ]
	[ "$(probe_value plain)" = 0 ]
	[ "$(stat -c %a "$SRC/x")" = 755 ]
}

@test "seccomp: seccomp.allow_setid_files lets a workload that must make setuid files do it" {
	make_policy '.seccomp.allow_setid_files = true'
	make_bundle default '/bin/setid-probe /v'
	cp "$BATS_FILE_TMPDIR/setid-probe" "$BUNDLE/rootfs/bin/setid-probe"
	SRC="$TOP/src"
	mkdir -m 0777 "$SRC"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$SRC" '{destination: "/v", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value chmod-4755)" = ok ]
	[ -n "$(find "$SRC" -perm -4000)" ]
}

@test "seccomp: file capabilities stay out of reach: writing security.capability (setcap) needs CAP_SETFCAP, which the allowlist drops" {
	local mode
	for mode in off required; do
		setid_run "$mode" capall
		[ "$(probe_value setfcap)" = EPERM ]
		run ! "$PYTHON" -c 'import os, sys; os.getxattr(sys.argv[1], "security.capability")' "$SRC/plain"
	done
	# and the capability is not in any set of the container
	make_bundle capall 'grep ^CapBnd: /proc/self/status'
	og_run "$CID" "$BUNDLE"
	[ "$status" -eq 0 ]
	[ $((0x$(probe_value CapBnd) >> 31 & 1)) -eq 0 ]
}

# agent_listen SOCKET LOG: a seccomp agent on the host that records every
# connection it gets.
agent_listen() {
	local sock=$1 log=$2
	: >"$log"
	"$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept()
    c.recvmsg(65536, 4096)
    with open(sys.argv[2], "a") as f: f.write("connection\n")
    c.close()
' "$sock" "$log" &
	AGENT_PID=$!
	for _ in $(seq 50); do [ -S "$sock" ] && return 0; sleep 0.1; done
	fail "the agent did not start"
}

notify_profile() {
	jq -c --arg l "$1" '.linux.seccomp + {listenerPath: $l, listenerMetadata: "x"}
		| .syscalls += [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]' "$DOCKER_FIXTURES/default.config.json"
}

@test "seccomp: a seccomp agent (SCMP_ACT_NOTIFY + listenerPath) not on the policy's list is refused; no connection reaches it" {
	agent_listen "$STATE/agent.sock" "$STATE/agent.log"
	make_bundle default 'mkdir /tmp/x; echo "ran: yes"'
	edit_config "$BUNDLE" '.linux.seccomp = $p' --argjson p "$(notify_profile "$STATE/agent.sock")"
	refuse_check "$CID" "^ocigate: refused by policy: seccomp: the seccomp agent socket $(re_quote "$STATE/agent.sock") is not on the policy's seccomp.allow_listeners"
	sleep 0.5
	[ ! -s "$STATE/agent.log" ]
	# a NOTIFY rule without any listener, and listenerMetadata alone: refused too
	make_bundle default
	edit_config "$BUNDLE" '.linux.seccomp = ($p | del(.listenerPath))' --argjson p "$(notify_profile x)"
	refuse_check "$CID" '^ocigate: refused by policy: seccomp: a seccomp agent .* needs a listenerPath'
}

@test "seccomp: an agent socket on seccomp.allow_listeners (reached through a symlink) is accepted and gets the fd" {
	agent_listen "$STATE/agent.sock" "$STATE/agent.log"
	ln -s "$STATE/agent.sock" "$STATE/link.sock"
	make_policy '.seccomp.allow_listeners = [$s]' --arg s "$STATE/agent.sock"
	make_bundle default 'echo "ran: yes"'
	edit_config "$BUNDLE" '.linux.seccomp = $p' --argjson p "$(notify_profile "$STATE/link.sock")"
	og_run "$CID" "$BUNDLE"
	show_run
	[ "$(probe_value ran)" = yes ]
	[ -s "$STATE/agent.log" ]
	tail -n1 "$AUDIT" | jq -e --arg s "$STATE/agent.sock" '.decisions | any(.path == "linux.seccomp.listenerPath" and .after == ($s | tojson))'
}

@test "seccomp: ordinary images still run under the rewritten profiles (Docker 20.10 and 28.5, Podman 4.3): a shell, threads" {
	local fixture
	for fixture in default "$DOCKER28" "$FIXTURES/engines/podman-4.3/create-2.config.json"; do
		make_bundle "$fixture" 'echo "shell: ok"; sleep 0 & wait; echo "fork: $?"; mkdir -p /tmp/d && chmod 0700 /tmp/d && echo "chmod: ok"'
		# Podman's own binds (userdata, shm) do not exist on this host
		edit_config "$BUNDLE" '.mounts |= map(select(.type != "bind"))'
		og_run "$CID" "$BUNDLE"
		show_run
		[ "$status" -eq 0 ]
		[ "$(probe_value shell)" = ok ]
		[ "$(probe_value fork)" = 0 ]
		[ "$(probe_value chmod)" = ok ]
	done
}
