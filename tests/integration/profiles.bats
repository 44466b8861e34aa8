#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Workload profiles (ocigate-policy(5) PROFILES): a profile selected by
# facts the engine alone chose (the bundle path and --root of a CRI call)
# tightens the policy for that container; the same annotations on any other
# call select nothing.  Real runc, the CRI's argv with temp dirs standing in
# for containerd's.

# shellcheck disable=SC2016,SC2154
load helpers

# profile_policy: $POLICY with cri paths under $T and a profile "payments"
# for CRI pods in namespaces payments and prod-*: pids 64.
profile_policy() {
	mkdir -p "$T/tasks"
	make_policy '.cri = {task_dir: $tasks, runc_root: $root}
		| .profiles = {payments: {select: {engine: "cri", pod_namespace: ["payments", "prod-*"]},
			policy: {version: 1, resources: {pids: {default: 64, max: 64}}}}}' \
		--arg tasks "$T/tasks" --arg root "$ROOTDIR"
}

# cri_annotations BUNDLE NAMESPACE: what the CRI puts on an app container.
cri_annotations() {
	edit_config "$1" '.annotations = {"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.sandbox-id": "0123456789abcdef", "io.kubernetes.cri.sandbox-uid": "uid-1",
		"io.kubernetes.cri.sandbox-namespace": $ns}' --arg ns "$2"
}

# cri_bundle: $BUNDLE moved to <task_dir>/<id>, where containerd's shim has it.
cri_bundle() {
	mv "$BUNDLE" "$T/tasks/$CID"
	BUNDLE="$T/tasks/$CID"
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$BUNDLE/rootfs"
}

@test "profiles: a CRI pod in a selected namespace gets the stricter profile" {
	profile_policy
	make_bundle default
	cri_bundle
	cri_annotations "$BUNDLE" payments
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 64 ] || { show_run; false; }
	jq -e 'select(.event == "create") | .profile == "payments"' "$AUDIT" >/dev/null || fail "no profile in the record"
}

@test "profiles: an update of a profiled container is judged by its profile, not the base" {
	profile_policy
	make_bundle default 'sleep 60'
	cri_bundle
	cri_annotations "$BUNDLE" payments
	run_detached
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$CID/pids.max")" = 64 ]
	# a pod resized in place: the base allows 32768, the profile 64
	run --separate-stderr timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json update --pids-limit 20000 "$CID"
	assert_status 0
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$CID/pids.max")" = 64 ] || { show_run; false; }
	jq -e 'select(.event == "update") | .profile == "payments"' "$AUDIT" >/dev/null || fail "no profile in the update record"
}

@test "profiles: an exec into a profiled container is judged by its profile, not the base" {
	mkdir -p "$T/tasks"
	make_policy '.cri = {task_dir: $tasks, runc_root: $root}
		| .profiles = {payments: {select: {engine: "cri", pod_namespace: ["payments"]},
			policy: {version: 1, capabilities: {allow: ["CAP_CHOWN"]}}}}' \
		--arg tasks "$T/tasks" --arg root "$ROOTDIR"
	make_bundle default 'sleep 60'
	cri_bundle
	cri_annotations "$BUNDLE" payments
	run_detached
	# CAP_KILL: in the base's allowlist, not in the profile's
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json exec --cap CAP_KILL "$CID" true
	assert_status 0
	tail -n1 "$AUDIT" | jq -e '.event == "exec" and .profile == "payments" and any(.decisions[];
		.rule == "capabilities" and .action == "mutate" and .path == "exec --cap" and .before == "\"CAP_KILL\"")' \
		>/dev/null || fail "audit: $(tail -n1 "$AUDIT")"
}

@test "profiles: a namespace pattern selects; another namespace gets the base" {
	profile_policy
	make_bundle default
	cri_bundle
	cri_annotations "$BUNDLE" prod-eu
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 64 ] || { show_run; false; }
	make_bundle default
	cri_bundle
	cri_annotations "$BUNDLE" default
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 1024 ] || { show_run; false; }
	[ "$(jq -s '[.[] | select(.event == "create" and .profile == null)] | length' "$AUDIT")" = 1 ] || fail "base not recorded"
}

@test "profiles: the same annotations outside the CRI's paths select nothing" {
	profile_policy
	make_bundle default
	cri_annotations "$BUNDLE" payments
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 1024 ] || { show_run; false; }
	# the right bundle path with another --root is no CRI call either
	make_bundle default
	cri_bundle
	cri_annotations "$BUNDLE" payments
	make_policy '.cri = {task_dir: $tasks, runc_root: "/run/containerd/runc/k8s.io"}
		| .profiles = {payments: {select: {engine: "cri", pod_namespace: "payments"},
			policy: {version: 1, resources: {pids: {default: 64, max: 64}}}}}' --arg tasks "$T/tasks"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 1024 ] || { show_run; false; }
	! grep -q '"profile"' "$AUDIT" || fail "a profile was chosen"
}

@test "profiles: a profile that loosens is refused at load, naming the profile and the key" {
	make_policy '.profiles = {wide: {select: {engine: "cri"},
		policy: {version: 1, resources: {pids: {max: 99999}}}}}'
	make_bundle default
	run_ocigate "$CID" "$BUNDLE"
	assert_status 1
	assert_log_error "policy $(re_quote "$POLICY") \\(profile wide\\): resources.pids.max: 99999 is larger than 32768"
	assert_runtime_not_started
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	[ "$status" -ne 0 ] && [ "$status" -ne 1 ] || { show_run; false; }
	[[ $stderr == *"(profile wide): resources.pids.max"* ]] || { show_run; false; }
}

@test "profiles: ocigatectl check --profile previews a profile by name" {
	profile_policy
	make_bundle default
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" --profile payments --json "$BUNDLE/config.json"
	jq -e '.profile == "payments" and .verdict == "allowed"' \
		<<<"$output" >/dev/null || { show_run; false; }
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" --profile payments --output "$T/out.json" "$BUNDLE/config.json"
	[[ $output == *"profile payments"* ]] || { show_run; false; }
	[ "$(jq .linux.resources.pids.limit "$T/out.json")" = 64 ] || { show_run; false; }
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" --profile nosuch "$BUNDLE/config.json"
	[[ $stderr == *"has no profile nosuch"* ]] || { show_run; false; }
}

# engine_policy: docker and podman paths under $T, the runc root $ROOTDIR
# for both (a call tells them apart by its bundle alone), and a profile for
# each: docker pids 48, podman pids 56.
engine_policy() {
	mkdir -p "$T/moby" "$T/storage/vfs-containers"
	make_policy '.docker = {task_dir: $moby, runc_root: $root} | .podman = {graph_root: $store, runc_root: $root}
		| .profiles = {web: {select: {engine: "docker"}, policy: {version: 1, resources: {pids: {default: 48, max: 48}}}},
			pods: {select: {engine: "podman"}, policy: {version: 1, resources: {pids: {default: 56, max: 56}}}}}' \
		--arg moby "$T/moby" --arg store "$T/storage" --arg root "$ROOTDIR"
}

# move_bundle DIR: $BUNDLE moved to DIR, where the engine has it.
move_bundle() {
	mkdir -p "$(dirname "$1")"
	mv "$BUNDLE" "$1"
	BUNDLE=$1
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$BUNDLE/rootfs"
}

@test "profiles: Docker's and Podman's paths select their own profile, anything else the base" {
	engine_policy
	make_bundle default
	move_bundle "$T/moby/$CID"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 48 ] || { show_run; false; }
	tail -n1 "$AUDIT" | jq -e '.event == "create" and .profile == "web"' >/dev/null || fail "$(tail -n1 "$AUDIT")"
	make_bundle default
	move_bundle "$T/storage/vfs-containers/$CID/userdata"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 56 ] || { show_run; false; }
	tail -n1 "$AUDIT" | jq -e '.event == "create" and .profile == "pods"' >/dev/null || fail "$(tail -n1 "$AUDIT")"
	# Podman's layout one level off, and an id that is not the bundle's: the base
	make_bundle default
	move_bundle "$T/storage/vfs-containers/$CID"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 1024 ] || { show_run; false; }
	tail -n1 "$AUDIT" | jq -e '.event == "create" and .profile == null' >/dev/null || fail "$(tail -n1 "$AUDIT")"
}

@test "profiles: an update of a Podman container is judged by its profile (no bundle on the command line)" {
	engine_policy
	make_bundle default 'sleep 60'
	move_bundle "$T/storage/vfs-containers/$CID/userdata"
	run_detached
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$CID/pids.max")" = 56 ]
	run --separate-stderr timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" update --pids-limit 20000 "$CID"
	assert_status 0
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$CID/pids.max")" = 56 ] || { show_run; false; }
	tail -n1 "$AUDIT" | jq -e '.event == "update" and .profile == "pods"' >/dev/null || fail "$(tail -n1 "$AUDIT")"
}

@test "profiles: a policy with profiles is cached compiled, and the cached one picks the same profile" {
	engine_policy
	sleep 2.1 # ocigate caches a policy only once its file is two seconds old
	mkdir -p "$T/st"
	chmod 711 "$T/st"
	for n in 1 2; do
		make_bundle default
		move_bundle "$T/moby/$CID"
		record_container "$ROOTDIR" "$CID"
		run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$T/st" \
			--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
		assert_status 0
		[ "$(probe_value pids.max)" = 48 ] || { show_run; false; }
		tail -n1 "$AUDIT" | jq -e '.profile == "web"' >/dev/null || fail "run $n: $(tail -n1 "$AUDIT")"
		# the first call stored the compiled policy, profiles and all
		[ "$(find "$T/st/policy-cache" -type f -name '*-ocigate' | wc -l)" = 1 ] || fail "no cache entry after run $n"
	done
	# the profiles' names are among its strings
	grep -qa 'pods' "$T/st/policy-cache/"*-ocigate || fail "the entry holds no profile"
}
