#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Red team of the pod user namespaces (runtime/pod.c, pod_net.c, userns.c):
# ways a pod's container could share another pod's range or user
# namespace, or make ocigate move interfaces that are not the pod's, each
# with the message the engine sees.  Real runc; the CRI's argv with temp
# dirs standing in for containerd's (as pod-network.bats).

# shellcheck disable=SC2016,SC2154
load helpers
load pod-helpers

setup_file() { og_setup_file; }

setup() {
	pod_setup
	HOLDER=
	LINK=
}

teardown() {
	[ -z "${HOLDER:-}" ] || kill "$HOLDER" 2>/dev/null
	[ -z "${LINK:-}" ] || rm -f "$LINK"
	pod_teardown
}

# start_detached: `ocigate run -d` of $BUNDLE as $CID with $STATE; fails
# with the log when it did not start.
start_detached() {
	record_container "$ROOTDIR" "$CID"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run -d --bundle "$BUNDLE" "$CID" \
		</dev/null >/dev/null 2>"$T/run.err" || { cat "$T/run.err" "$BUNDLE/log.json"; return 1; }
}

# sandbox: a running pod sandbox on a fresh CNI-like namespace: $SB (id),
# $SB_PID, $SB_NET (its netns path).
sandbox() {
	pod_netns
	cri_bundle sandbox "" "/run/netns/$NET" 'sleep 300'
	start_detached
	SB=$CID
	SB_NET=/run/netns/$NET
	SB_PID=$("$RUNC" --root "$ROOTDIR" state "$SB" | jq .pid)
}

# refused_pod REGEX: ocigate refuses $BUNDLE as $CID with a message matching
# REGEX (the whole contract: assert_refused), and leaves nothing behind:
# no record, no staged mount, no pin of its own.
refused_pod() {
	local before audit_before mounts records
	before=$(sha "$BUNDLE/config.json")
	audit_before=$(audit_lines)
	mounts=$(staged_mounts)
	records=$(find "$STATE/userns" -type f 2>/dev/null | wc -l)
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_refused "$CID" "$before" "$audit_before" "$1"
	# (a `run` gives back what earlier foreground runs left: fewer is fine)
	[ "$(staged_mounts)" -le "$mounts" ] || fail "staged mounts left: $mounts -> $(staged_mounts)"
	[ "$(find "$STATE/userns" -type f | wc -l)" -le "$records" ] || fail "a user namespace record was left"
	! grep -rqsF "\"$CID\"" "$STATE/userns" || fail "the refused container's record was left"
}

# uid_map_of PID: the first line of its uid_map, spaces squeezed.
uid_map_of() {
	tr -s ' ' <"/proc/$1/uid_map" | sed 's/^ //' | head -n1
}

@test "pod red team: an app container shares its own sandbox's range" {
	sandbox
	cri_bundle container "$SB" "$SB_NET"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value uid_map | tr -s ' ' | sed 's/^ //')" = "$(uid_map_of "$SB_PID")" ] || { show_run; fail "not the sandbox's range"; }
}

@test "pod red team: an app container naming its sandbox cannot join another pod's pid namespace" {
	local a
	sandbox
	a=$SB
	sandbox
	# pod A's container (A's volumes and files), in pod B's pid and network
	# namespaces: B's user namespace and range until this was refused
	cri_bundle container "$a" "$SB_NET"
	edit_config "$BUNDLE" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
		--arg p "/proc/$SB_PID/ns/pid"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the pid namespace /proc/$SB_PID/ns/pid does not belong to the user namespace ocigate gave to container $a\$"
}

@test "pod red team: an app container in another pod's network namespace is refused, never run without a user namespace" {
	local a
	sandbox
	a=$SB
	sandbox
	# mode if-possible ran it as host root (NO USER NAMESPACE) in pod B's network
	make_policy '.cri = {task_dir: $tasks, runc_root: $root} | .namespaces.action = "audit" | .user_namespace.mode = "if-possible"' \
		--arg tasks "$T/tasks" --arg root "$ROOTDIR"
	cri_bundle container "$a" "$SB_NET"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the network namespace $SB_NET does not belong to the user namespace ocigate gave to container $a\$"
}

@test "pod red team: an app container joining its sandbox's pid namespace but another pod's network is refused" {
	local a a_pid
	sandbox
	a=$SB
	a_pid=$SB_PID
	sandbox
	cri_bundle container "$a" "$SB_NET"
	edit_config "$BUNDLE" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
		--arg p "/proc/$a_pid/ns/pid"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the pod's network namespace $SB_NET does not belong to the user namespace of the pod's sandbox $a\$"
}

@test "pod red team: a container of a pod whose sandbox died is refused, never run without a user namespace" {
	sandbox
	make_policy '.cri = {task_dir: $tasks, runc_root: $root} | .namespaces.action = "audit" | .user_namespace.mode = "if-possible"' \
		--arg tasks "$T/tasks" --arg root "$ROOTDIR"
	kill -9 "$SB_PID"
	for _ in $(seq 50); do [ -e "/proc/$SB_PID" ] || break; sleep 0.1; done
	cri_bundle container "$SB" "$SB_NET"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the network namespace $SB_NET does not belong to the user namespace ocigate gave to container $SB\$"
}


# assert_cni_untouched: $NET still has its eth0 with its address and route.
assert_cni_untouched() {
	ip -n "$NET" -4 -o addr show eth0 | grep -q "10.251.$N.2/24" || fail "eth0 left $NET: $(ip -n "$NET" addr)"
	ip -n "$NET" route show default | grep -q "via 10.251.$N.1" || fail "the default route left $NET"
}

@test "pod red team: a sandbox on another process's /proc/<pid>/ns/net does not take its interfaces" {
	# a process in a network namespace of the host's user namespace: another
	# engine's container, a pod that ran without ocigate
	pod_netns
	ip netns exec "$NET" sleep 300 &
	HOLDER=$!
	for _ in $(seq 50); do [ "$(stat -L -c %i "/proc/$HOLDER/ns/net")" = "$(stat -L -c %i "/run/netns/$NET")" ] && break; sleep 0.1; done
	cri_bundle sandbox "" "/proc/$HOLDER/ns/net"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the pod's interfaces are not moved: /proc/$HOLDER/ns/net is not a network namespace mounted at that path \\(a symbolic link, a /proc/<pid>/ns/net link or another file\\): not the one CNI made for the pod\$"
	assert_cni_untouched
}

@test "pod red team: a sandbox on a network namespace a process is in does not take its interfaces" {
	pod_netns
	ip netns exec "$NET" sleep 300 &
	HOLDER=$!
	for _ in $(seq 50); do [ "$(stat -L -c %i "/proc/$HOLDER/ns/net")" = "$(stat -L -c %i "/run/netns/$NET")" ] && break; sleep 0.1; done
	cri_bundle sandbox "" "/run/netns/$NET"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the pod's interfaces are not moved: the network namespace /run/netns/$NET is in use by process [0-9]+: not one CNI has just made for the pod\$"
	assert_cni_untouched
}

@test "pod red team: a sandbox on a symbolic link to a network namespace does not take its interfaces" {
	# under /run/netns, which the shipped namespaces.allow_paths allow: the
	# interfaces moved while the link's target kept the emptied namespace
	pod_netns
	LINK=/run/netns/ogred-link-$$-$RANDOM
	ln -s "/run/netns/$NET" "$LINK"
	cri_bundle sandbox "" "$LINK"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the pod's interfaces are not moved: $LINK is not a network namespace mounted at that path"
	assert_cni_untouched
}

@test "pod red team: a FIFO, a plain file or the host's namespace bound under /run/netns is never moved from" {
	local f
	for f in fifo file host; do
		LINK=/run/netns/ogred-$f-$$-$RANDOM
		case $f in
		fifo) mkfifo "$LINK" ;;
		file) echo x >"$LINK" ;;
		host) touch "$LINK" && mount --bind /proc/self/ns/net "$LINK" ;;
		esac
		cri_bundle sandbox "" "$LINK"
		refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the pod's network namespace $LINK is not the pod's to move \\((cannot be opened: not a network namespace|it is [^)]*)\\)\$"
		[ "$f" != host ] || umount "$LINK"
		rm -f "$LINK"
	done
}

@test "pod red team: an onlink route moves with the pod's interface" {
	# a gateway outside the interface's prefix (CNIs that route through a
	# fixed link-local gateway); the route was lost and the create failed
	pod_netns
	ip -n "$NET" route del default
	ip -n "$NET" route add default via 10.252.0.1 dev eth0 onlink
	cri_bundle sandbox "" "/run/netns/$NET" 'ip route'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$output" == *"default via 10.252.0.1 dev eth0 onlink"* ]] || { show_run; fail "no onlink route inside"; }
}

@test "pod red team: a move that fails half-way puts the interfaces back where CNI left them" {
	# a route whose source is an address of lo, which does not move: it
	# cannot be made in the pod's namespace once eth0 has moved there
	pod_netns
	ip -n "$NET" addr add 10.253.0.1/32 dev lo
	ip -n "$NET" route add 10.254.0.0/16 dev eth0 src 10.253.0.1
	cri_bundle sandbox "" "/run/netns/$NET"
	before=$(sha "$BUNDLE/config.json")
	mounts=$(staged_mounts)
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 1
	assert_log_error "^ocigate: the pod's network: cannot give the pod's interface eth0 its route again: "
	assert_runtime_not_started "$CID"
	[ "$(sha "$BUNDLE/config.json")" = "$before" ] || fail "config.json was modified"
	[ "$(staged_mounts)" = "$mounts" ] || fail "staged mounts left: $mounts -> $(staged_mounts)"
	[ -z "$(find "$STATE/userns" -type f)" ] || fail "a user namespace record was left"
	# eth0, its address, its routes: in CNI's namespace again, at its path
	assert_cni_untouched
	ip -n "$NET" route show 10.254.0.0/16 | grep -q "src 10.253.0.1" || fail "the route left $NET: $(ip -n "$NET" route)"
}

@test "pod red team: a create that fails after the move gives CNI's namespace its interfaces and its path back" {
	local ino
	pod_netns
	cri_bundle sandbox "" "/run/netns/$NET"
	ino=$(stat -c %i "/run/netns/$NET")
	mounts=$(staged_mounts)
	# the rewritten config.json cannot replace the engine's (a mount point)
	mount --bind "$BUNDLE/config.json" "$BUNDLE/config.json"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	umount "$BUNDLE/config.json"
	assert_status 1
	assert_log_error "^ocigate: cannot replace $BUNDLE/config.json: Device or resource busy\$"
	assert_runtime_not_started "$CID"
	[ "$(stat -c %i "/run/netns/$NET")" = "$ino" ] || fail "CNI's namespace is no longer at its path"
	assert_cni_untouched
	[ "$(staged_mounts)" = "$mounts" ] || fail "staged mounts left: $mounts -> $(staged_mounts)"
	[ -z "$(find "$STATE/userns" -type f)" ] || fail "a user namespace record was left"
}

@test "pod red team: an app container joins the network namespace judged, not what its path names when runc runs" {
	local other=ogred-other-$$-$RANDOM
	sandbox
	NETS+=("$other")
	ip netns add "$other"
	# a runtime that finds another namespace at the path (a recycled pid in
	# /proc/<pid>/ns/net, as containerd 2.1 gives app containers): runc 1.2
	# and later join it as host root before the user namespace
	cat >"$T/swap" <<SWAP
#!/bin/sh
umount -l "$SB_NET" && mount --bind "/run/netns/$other" "$SB_NET"
exec "$RUNTIME" "\$@"
SWAP
	chmod 755 "$T/swap"
	cri_bundle container "$SB" "$SB_NET"
	RUNTIME="$T/swap" og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$output" == *"inet 10.251.$N.2/24"* ]] || { show_run; fail "not in the pod's network namespace"; }
	jq -e 'select(.event == "create" and .id == $id) | any(.decisions[]; .rule == "user_namespace"
		and (.reason | test("^the network namespace judged at .*, pinned")))' --arg id "$CID" "$AUDIT" >/dev/null ||
		fail "$(tail -n1 "$AUDIT")"
}

@test "pod red team: a sandbox joining another pod's pid namespace does not get that pod's range" {
	# it got pod B's range in a user namespace of its own: two user
	# namespaces with one range (runc then failed to join the pid namespace)
	sandbox
	pod_netns
	cri_bundle sandbox "" "/run/netns/$NET"
	edit_config "$BUNDLE" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
		--arg p "/proc/$SB_PID/ns/pid"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: a pod's sandbox joins no other container's pid namespace \\(/proc/$SB_PID/ns/pid\\)\$"
	assert_cni_untouched
}

@test "pod red team: a bind whose source mount is ro,nosuid,nodev,noexec stays so under \"rw\",\"suid\",\"dev\",\"exec\"" {
	# with a user namespace the options get the source's flags (runc could
	# not clear them); nothing the source has is ever dropped
	local src=$T/locked
	mkdir -p "$src"
	mount --bind "$src" "$src"
	mount -o remount,bind,ro,nosuid,nodev,noexec "$src"
	make_bundle default 'if touch /mnt/l/x 2>/tmp/e; then echo "write: ok"; else echo "write: $(cat /tmp/e)"; fi
grep " /mnt/l " /proc/self/mounts'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$src" '{destination: "/mnt/l", type: "bind", source: $s, options: ["rbind", "rw", "suid", "dev", "exec"]}')"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	umount "$src"
	assert_status 0
	[[ "$(probe_value write)" == *"Read-only file system"* ]] || { show_run; fail "the read-only source was writable"; }
	for o in ro nosuid nodev noexec; do
		[[ "$output" == *" /mnt/l "*[\ ,]"$o"[,\ ]* ]] || { show_run; fail "/mnt/l lost $o"; }
	done
	# nosuid and nodev the mounts rule forces anyway; ro and noexec are kept
	tail -n1 "$AUDIT" | jq -e '[.decisions[] | select(.rule == "mounts" and (.reason | test("which a user namespace cannot undo")))
		| .reason | .[1:3]] | sort == ["no", "ro"]' >/dev/null || fail "$(tail -n1 "$AUDIT")"
}

@test "pod red team: a full pool still lets a pod's containers join it, and refuses the next pod" {
	make_policy '.cri = {task_dir: $tasks, runc_root: $root} | .namespaces.action = "audit" | .user_namespace.mode = "required"
		| .user_namespace.pool_size = .user_namespace.range_size' --arg tasks "$T/tasks" --arg root "$ROOTDIR"
	sandbox
	cri_bundle container "$SB" "$SB_NET"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value uid_map | tr -s ' ' | sed 's/^ //')" = "$(uid_map_of "$SB_PID")" ] || { show_run; fail "not the sandbox's range"; }
	pod_netns
	cri_bundle sandbox "" "/run/netns/$NET"
	refused_pod "^ocigate: refused by policy: user_namespace: a user namespace is required but cannot be set up: the user namespace pool is exhausted: all 1 ranges of 65536 host ids from 1000000 belong to existing containers\$"
	assert_cni_untouched
}

@test "pod red team: after the sandbox's delete its record is gone and a late container of the pod is refused" {
	sandbox
	# if-possible ran it without a user namespace before
	make_policy '.cri = {task_dir: $tasks, runc_root: $root} | .namespaces.action = "audit" | .user_namespace.mode = "if-possible"' \
		--arg tasks "$T/tasks" --arg root "$ROOTDIR"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" delete -f "$SB"
	! grep -rqsF "\"$SB\"" "$STATE/userns" || fail "the deleted sandbox's record is still there"
	# containerd removes its network namespace path only later
	cri_bundle container "$SB" "$SB_NET"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the network namespace $SB_NET does not belong to the user namespace ocigate gave to container $SB\$"
}

@test "pod red team: an app container sharing its sandbox's pid namespace (shareProcessNamespace) runs in it, pinned" {
	sandbox
	cri_bundle container "$SB" "$SB_NET" 'echo "uid_map: $(cat /proc/self/uid_map)"; echo "pid1: $(cat /proc/1/cmdline | tr "\0" " ")"'
	edit_config "$BUNDLE" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
		--arg p "/proc/$SB_PID/ns/pid"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value uid_map | tr -s ' ' | sed 's/^ //')" = "$(uid_map_of "$SB_PID")" ] || { show_run; fail "not the sandbox's range"; }
	[[ "$(probe_value pid1)" == "sleep 300"* ]] || { show_run; fail "not in the sandbox's pid namespace"; }
	jq -e 'select(.event == "create" and .id == $id) | any(.decisions[]; .rule == "user_namespace"
		and (.reason | test("^the pid namespace judged at /proc/[0-9]+/ns/pid, pinned")))' --arg id "$CID" "$AUDIT" >/dev/null ||
		fail "$(tail -n1 "$AUDIT")"
}

@test "pod red team: a sandbox on another pod's network namespace (moved there already) is refused" {
	# runc failed later (1.1.5: setns, 1.3.6: the sysfs mount, after
	# joining it as host root)
	sandbox
	cri_bundle sandbox "" "$SB_NET"
	refused_pod "^ocigate: refused by policy: user_namespace: no user namespace can be set up: the pod's network namespace $SB_NET belongs to another user namespace \\(another pod's\\): not one CNI has just made for the pod\$"
	ip -n "$NET" -4 -o addr show eth0 | grep -q "10.251.$N.2/24" || fail "eth0 left the first pod's namespace"
}

@test "pod red team: the kernel's per-namespace tunnel devices (tunl0 with ipip loaded) stay, the pod's interface moves" {
	local probe=ogred-probe-$$ fb
	ip netns add "$probe"
	fb=$(ip -n "$probe" -o link show | awk -F': ' '$2 != "lo" {sub(/@.*/, "", $2); print $2; exit}')
	ip netns del "$probe"
	# not loaded here to keep the host as other tests expect it
	[ -n "$fb" ] || skip "no fallback tunnel device in a new network namespace (ipip, sit, ip_gre not loaded)"
	# every namespace has one; the kernel never moves it (netns-local):
	# the sandbox's create failed on it
	pod_netns
	cri_bundle sandbox "" "/run/netns/$NET"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$output" == *"inet 10.251.$N.2/24"* ]] || { show_run; fail "eth0 did not move"; }
	ip -n "$NET" link show "$fb" >/dev/null || fail "the pod's namespace has no $fb of its own"
}
