#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Workload profiles selected by engine (ocigate-policy(5) PROFILES) with
# the real engines: the policy's docker and podman areas name this run's
# private dockerd (its containerd namespace under the private containerd's
# state, its exec-root's runtime-runc), Podman (its graph root, the runc
# root of its --runtime-flag) and ctr (the ctr tests' containerd namespace,
# the runc shim's root under ctr's --runc-root); a profile for one engine
# applies to that engine's containers only, seen inside (pids.max) and in
# the audit record's "profile".

# shellcheck disable=SC2154
load helpers

PODMAN_PIDS=2048 # Podman's own default pids limit (podman.bats)

setup() {
	MOBY_TASKS=$CONTAINERD_STATE/io.containerd.runtime.v2.task/$E2E_MOBY_NS
	MOBY_RUNC=$W/docker/exec/runtime-runc/$E2E_MOBY_NS
	CTR_TASKS=$CONTAINERD_STATE/io.containerd.runtime.v2.task/$E2E_NS
	CTR_RUNC=$W/containerd/runc/$E2E_NS
}

teardown() {
	policy_restore
	docker_cleanup
	podman_cleanup
	ctr_cleanup
	return 0
}

# engine_profile ENGINE PIDS: the engines' paths of this run and one
# profile "only-ENGINE" for ENGINE: pids default and max PIDS.
engine_profile() {
	policy_set ".docker = {task_dir: \"$MOBY_TASKS\", runc_root: \"$MOBY_RUNC\"}
		| .podman = {graph_root: \"$W/podman/root\", runc_root: \"$W/podman/runc\"}
		| .containerd = {task_dir: \"$CTR_TASKS\", runc_root: \"$CTR_RUNC\"}
		| .profiles = {\"only-$1\": {select: {engine: \"$1\"},
			policy: {version: 1, resources: {pids: {default: $2, max: $2}}}}}"
}

# profile_of ID: the "profile" of the create record of container ID.
profile_of() {
	jq -r --arg id "$1" 'select(.event == "create" and .id == $id) | .profile // "(base)"' "$AUDIT"
}

# run_both: a container of each engine, their probe output in $DOCKER_OUT
# and $PODMAN_OUT, their ids in $DOCKER_ID and $PODMAN_ID.
run_both() {
	run --separate-stderr dk run --name e2e-prof --network none "$BUSYBOX" sh -c "$PROBE"
	[ "$status" -eq 0 ] || fail "docker run: $output" "$stderr"
	DOCKER_OUT=$output
	DOCKER_ID=$(dk inspect -f '{{.Id}}' e2e-prof)
	run --separate-stderr pm "${PM_RUN[@]}" --name e2e-prof --network none "$PM_BUSYBOX" sh -c "$PROBE"
	[ "$status" -eq 0 ] || fail "podman run: $output" "$stderr"
	PODMAN_OUT=$output
	PODMAN_ID=$(pm inspect -f '{{.Id}}' e2e-prof)
}

@test "profiles: a profile selected for docker applies to docker run, not to podman" {
	engine_profile docker 48
	run_both
	assert_enforced "$DOCKER_OUT" 48 -
	[ "$(profile_of "$DOCKER_ID")" = only-docker ] || fail "docker: $(profile_of "$DOCKER_ID")"
	# Podman's own default pids limit, within the base's maximum
	assert_enforced "$PODMAN_OUT" "$PODMAN_PIDS" -
	[ "$(profile_of "$PODMAN_ID")" = "(base)" ] || fail "podman: $(profile_of "$PODMAN_ID")"
}

@test "profiles: a profile selected for podman applies to podman run, not to docker" {
	engine_profile podman 56
	run_both
	assert_enforced "$PODMAN_OUT" 56 -
	[ "$(profile_of "$PODMAN_ID")" = only-podman ] || fail "podman: $(profile_of "$PODMAN_ID")"
	assert_enforced "$DOCKER_OUT" "$PIDS_DEFAULT" -
	[ "$(profile_of "$DOCKER_ID")" = "(base)" ] || fail "docker: $(profile_of "$DOCKER_ID")"
}

@test "profiles: a profile selected for containerd applies to ctr run, not to docker or podman" {
	local pid
	engine_profile containerd 40
	run --separate-stderr ctrc "${CTR_RUN[@]}" -d "$CTR_BUSYBOX" e2e-prof-ctr sleep 300
	[ "$status" -eq 0 ] || fail "ctr run: $output" "$stderr"
	pid=$(ctrc tasks ls | awk '$1 == "e2e-prof-ctr" { print $2 }')
	[ -n "$pid" ] || fail "no task e2e-prof-ctr"
	[ "$(cgroup_file "$pid" pids pids.max)" = 40 ] || fail "pids.max $(cgroup_file "$pid" pids pids.max)"
	[ "$(profile_of e2e-prof-ctr)" = only-containerd ] || fail "ctr: $(profile_of e2e-prof-ctr)"
	run_both
	assert_enforced "$DOCKER_OUT" "$PIDS_DEFAULT" -
	[ "$(profile_of "$DOCKER_ID")" = "(base)" ] || fail "docker: $(profile_of "$DOCKER_ID")"
	assert_enforced "$PODMAN_OUT" "$PODMAN_PIDS" -
	[ "$(profile_of "$PODMAN_ID")" = "(base)" ] || fail "podman: $(profile_of "$PODMAN_ID")"
}

# The CRI's annotation keys set by a docker user (Docker 24+ has
# `docker run --annotation`): a dockerd call is no CRI call, so they fill no
# {pod_uid} (the pod's volume stays under the denied /var/lib/kubelet) and
# select no pod_namespace profile.
@test "profiles: the CRI's annotations through docker run --annotation open no pod's volume and select nothing" {
	local uid vol
	dk run --help 2>/dev/null | grep -q -- '--annotation' ||
		skip "this Docker ($(dk version -f '{{.Client.Version}}' 2>/dev/null)) has no docker run --annotation"
	uid=$(cat /proc/sys/kernel/random/uuid)
	vol=/var/lib/kubelet/pods/$uid/volumes/kubernetes.io~empty-dir/data
	mkdir -p "$vol"
	policy_set '.profiles = {payments: {select: {engine: "cri", pod_namespace: ["payments"]},
		policy: {version: 1, resources: {pids: {default: 64, max: 64}}}}}'
	local forged=(--annotation io.kubernetes.cri.container-type=container
		--annotation io.kubernetes.cri.sandbox-id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
		--annotation "io.kubernetes.cri.sandbox-uid=$uid" --annotation io.kubernetes.cri.sandbox-namespace=payments)
	run --separate-stderr dk run --rm --network none "${forged[@]}" -v "$vol:/steal" "$BUSYBOX" ls /steal
	rm -rf "/var/lib/kubelet/pods/$uid"
	rmdir /var/lib/kubelet/pods /var/lib/kubelet 2>/dev/null || true
	[ "$status" -ne 0 ] || fail "docker's container bound the pod's volume: $output"
	[[ "$stderr" == *"ocigate: refused by policy: mounts: bind mount of $vol exposes the sensitive host tree /var/lib/kubelet"* ]] ||
		fail "not refused as a kubelet volume: $stderr"
	run --separate-stderr dk run --name e2e-prof --network none "${forged[@]}" "$BUSYBOX" sh -c "$PROBE"
	[ "$status" -eq 0 ] || fail "docker run: $output" "$stderr"
	assert_enforced "$output" "$PIDS_DEFAULT" -
	[ "$(profile_of "$(dk inspect -f '{{.Id}}' e2e-prof)")" = "(base)" ] || fail "a forged pod namespace selected a profile"
}
