# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2016
#
# Pods without containerd for tests/integration (pod-network.bats,
# pod-redteam.bats): the CRI's argv with temp dirs standing in for
# containerd's, network namespaces made the way CNI's bridge plugin leaves
# one.  Loaded after helpers.

# pod_setup: the test policy with "cri" paths under $T, namespaces audited
# (a joined namespace is judged by the pod rules here), user namespaces
# required; pod_teardown removes what pod_netns made.
pod_setup() {
	og_setup
	state_setup
	mkdir -p "$T/tasks"
	make_policy '.cri = {task_dir: $tasks, runc_root: $root} | .namespaces.action = "audit" | .user_namespace.mode = "required"' \
		--arg tasks "$T/tasks" --arg root "$ROOTDIR"
	NETS=()
	HOSTIFS=()
}

pod_teardown() {
	local n
	og_teardown
	state_teardown
	for n in "${NETS[@]}"; do ip netns del "$n" 2>/dev/null; done
	for n in "${HOSTIFS[@]}"; do ip link del "$n" 2>/dev/null; done
	true
}

# pod_netns: $NET, a namespace as CNI's bridge plugin leaves one: eth0
# 10.251.$N.2/24 (its peer on the host 10.251.$N.1), a default route.
pod_netns() {
	local hostif=ogr$RANDOM
	N=$((RANDOM % 200 + 20))
	NET=ogred-$$-$RANDOM
	NETS+=("$NET")
	HOSTIFS+=("$hostif")
	ip netns add "$NET"
	ip link add "$hostif" type veth peer name "$hostif-c"
	ip link set "$hostif-c" netns "$NET"
	ip -n "$NET" link set "$hostif-c" name eth0
	ip -n "$NET" addr add "10.251.$N.2/24" dev eth0
	ip -n "$NET" link set eth0 up
	ip -n "$NET" link set lo up
	ip -n "$NET" route add default via "10.251.$N.1"
	ip addr add "10.251.$N.1/24" dev "$hostif"
	ip link set "$hostif" up
}

# cri_bundle TYPE SANDBOX NETNS_PATH [PROBE]: $BUNDLE (and $CID) as the
# CRI's container of type TYPE (sandbox or container) of sandbox SANDBOX
# ("" for a sandbox: its own id), in <task_dir>/<id>, joining the network
# namespace at NETNS_PATH.
cri_bundle() {
	local type=$1 sandbox=$2 net=$3 probe=${4:-'echo "uid_map: $(cat /proc/self/uid_map)"; ip -4 -o addr show eth0'}
	make_bundle default "$probe"
	mv "$BUNDLE" "$T/tasks/$CID"
	BUNDLE="$T/tasks/$CID"
	[ -n "$sandbox" ] || sandbox=$CID
	edit_config "$BUNDLE" '.root.path = $r
		| .annotations = {"io.kubernetes.cri.container-type": $type, "io.kubernetes.cri.sandbox-id": $sb,
			"io.kubernetes.cri.sandbox-uid": ("uid-" + $sb), "io.kubernetes.cri.sandbox-namespace": "default"}
		| .linux.namespaces |= map(if .type == "network" then .path = $net else . end)' \
		--arg r "$BUNDLE/rootfs" --arg type "$type" --arg sb "$sandbox" --arg net "$net"
}

