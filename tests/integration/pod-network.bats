#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# A pod's sandbox gets the pod's user namespace and a network namespace it
# owns, with the interfaces CNI configured moved in (runtime/pod_net.c).
# Real runc; the CRI's argv with temp dirs standing in for containerd's, and
# a network namespace made here the way CNI's bridge plugin leaves one (a
# veth end named eth0 with an address and a default route), mounted under
# /run/netns as containerd mounts CNI's.  tests/cri does the same through
# containerd itself.

# shellcheck disable=SC2016,SC2154
load helpers
load pod-helpers

setup_file() { og_setup_file; }

setup() { pod_setup; }

teardown() { pod_teardown; }

# sandbox NETNS_PATH: $BUNDLE as the CRI's sandbox of pod $CID joining the
# network namespace at NETNS_PATH, its probe showing the mapping, eth0's
# address, the routes and sysfs's interfaces.
sandbox() {
	cri_bundle sandbox "" "$1" 'echo "uid_map: $(cat /proc/self/uid_map)"; ip -4 -o addr show eth0; ip route
echo "sysfs: $(ls /sys/class/net | tr "\n" " ")"'
}

@test "pod network: the sandbox's interface moves into a network namespace the pod's user namespace owns" {
	pod_netns
	sandbox "/run/netns/$NET"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$(probe_value uid_map)" =~ ^0\ +[1-9][0-9]*\ +65536$ ]] || { show_run; fail "not mapped"; }
	[[ "$output" == *"inet 10.251.$N.2/24"* ]] || { show_run; fail "no address inside"; }
	[[ "$output" == *"default via 10.251.$N.1 dev eth0"* ]] || { show_run; fail "no default route inside"; }
	[[ "$(probe_value sysfs)" == *eth0* ]] || { show_run; fail "sysfs is not the pod's"; }
	# the pod's namespace now sits where CNI's was: the address, and a user
	# namespace that is not the host's owns it
	ip -n "$NET" -4 -o addr show eth0 | grep -q "10.251.$N.2/24" || fail "$(ip -n "$NET" addr)"
	jq -e 'select(.event == "create") | any(.decisions[]; .rule == "user_namespace"
		and (.reason | test("interfaces moved from /run/netns/")))' "$AUDIT" >/dev/null || fail "$(cat "$AUDIT")"
}

@test "pod network: the host's own network namespace is never moved from" {
	local before after
	# the host's default route and its interface (other tests may add and
	# remove veths meanwhile)
	before=$(ip route show default)
	[ -n "$before" ] || skip "the host has no default route to watch"
	sandbox /proc/1/ns/net
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 1
	grep -qF "ocigate: refused by policy: user_namespace: no user namespace can be set up: the pod's network namespace /proc/1/ns/net is not the pod's to move (" \
		"$BUNDLE/log.json" || { show_run; fail "not refused as the host's"; }
	after=$(ip route show default)
	[ "$before" = "$after" ] || fail "the host's default route changed: $before -> $after"
}

@test "pod network: in audit mode nothing moves" {
	pod_netns
	sandbox "/run/netns/$NET"
	make_policy '.cri = {task_dir: $tasks, runc_root: $root} | .mode = "audit" | .user_namespace.mode = "required"' \
		--arg tasks "$T/tasks" --arg root "$ROOTDIR"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$(probe_value uid_map)" =~ ^0\ +0\ +4294967295$ ]] ||
		{ show_run; fail "mapped in audit mode"; }
	ip -n "$NET" -4 -o addr show eth0 | grep -q "10.251.$N.2/24" || fail "eth0 left CNI's namespace"
}

@test "CRI user namespace: one that maps host root is refused, also with user namespaces off" {
	local pid
	unshare -U -r sleep 60 &
	pid=$!
	for _ in $(seq 50); do [ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break; sleep 0.05; done
	sandbox /proc/self/ns/net
	edit_config "$BUNDLE" '.linux.namespaces |= (map(select(.type != "network")) + [{type: "network"}, {type: "user", path: $u}])
		| .linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}] | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 1}]' \
		--arg u "/proc/$pid/ns/user"
	for mode in off if-possible; do
		make_policy '.cri = {task_dir: $tasks, runc_root: $root} | .user_namespace.mode = $m' \
			--arg tasks "$T/tasks" --arg root "$ROOTDIR" --arg m "$mode"
		og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
		assert_status 1
		grep -qF "ocigate: refused by policy: user_namespace: no user namespace can be set up: the user namespace /proc/$pid/ns/user maps container ids to host ids from 0: host ids below 65536 are host root's and the host's own users" \
			"$BUNDLE/log.json" || { show_run; kill "$pid"; fail "mode $mode: not refused"; }
		: >"$BUNDLE/log.json"
	done
	kill "$pid"
}
