#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Many containers at once through dockerd: every create goes through its
# own ocigate process (policy load, config rewrite, audit append), and
# docker rm -f tears them all down through ocigate's pass-through calls.

load helpers

N=20

teardown() {
	docker_cleanup
}

@test "20 containers started in parallel: all running and enforced, one audit create each, nothing left after rm -f" {
	local i jobs=() ids=() inits=() id pid runtime_dirs mounts_before
	mounts_before=$(staged_mounts)
	for ((i = 1; i <= N; i++)); do
		dk run -d --network none --name "e2e-par-$i" "$BUSYBOX" sleep 60 \
			>"$BATS_TEST_TMPDIR/id.$i" 2>"$BATS_TEST_TMPDIR/err.$i" &
		jobs+=($!)
	done
	for ((i = 1; i <= N; i++)); do
		wait "${jobs[i - 1]}" || fail "docker run e2e-par-$i failed: $(cat "$BATS_TEST_TMPDIR/err.$i")"
		ids+=("$(cat "$BATS_TEST_TMPDIR/id.$i")")
	done
	[ "$(dk ps -q --filter name=e2e-par- | wc -l)" -eq "$N" ]

	for id in "${ids[@]}"; do
		[ "$(dk inspect -f '{{.State.Status}}' "$id")" = running ] || fail "$id is not running"
		pid=$(dk inspect -f '{{.State.Pid}}' "$id")
		inits+=("$pid")
		# what the kernel applied to the container's first process
		assert_enforced_pid "$pid"
		[ "$(cgroup_file "$pid" pids pids.max)" = "$PIDS_DEFAULT" ] || fail "$id: pids.max"
		[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" = "$MEM_DEFAULT" ] || fail "$id: memory limit"
		# and the config runc was given says the same
		[ "$(jq -r .process.noNewPrivileges "$CONTAINERD_STATE/io.containerd.runtime.v2.task/$E2E_MOBY_NS/$id/config.json")" = true ] ||
			fail "$id: config.json has no noNewPrivileges"
		# exactly one create record for each container
		[ "$(audit_count create "$id")" -eq 1 ] || fail "$id: $(audit_count create "$id") audit create lines"
	done
	# 20 pairwise disjoint id ranges from the pool
	local starts
	starts=$(for pid in "${inits[@]}"; do awk 'NR == 1 {print $2}' "/proc/$pid/uid_map"; done | sort -n)
	[ "$(echo "$starts" | uniq | wc -l)" -eq "$N" ] || fail "ranges shared: $starts"
	echo "$starts" | awk -v r="$USERNS_RANGE" -v p="$USERNS_POOL_START" '$1 < p || (NR > 1 && $1 - prev < r) {exit 1} {prev = $1}' ||
		fail "ranges overlap or leave the pool: $starts"
	[ "$(staged_mounts)" -ge $((mounts_before + N)) ]
	# one container checked from inside too
	run dk exec "${ids[0]}" grep NoNewPrivs /proc/self/status
	[[ $output == *"NoNewPrivs:"*1 ]]

	dk rm -f "${ids[@]}" >/dev/null
	[ -z "$(dk ps -aq)" ]
	# no runc state, no bundles, no processes, no mounts left
	runtime_dirs=$(find "$W/docker/exec" -maxdepth 1 -name 'runtime-*')
	[ -n "$runtime_dirs" ]
	# shellcheck disable=SC2086  # a list of dirs
	[ -z "$(find $runtime_dirs -mindepth 2 -maxdepth 2)" ] || fail "runc state left: $(find $runtime_dirs -mindepth 2)"
	for id in "${ids[@]}"; do
		[ ! -e "$CONTAINERD_STATE/io.containerd.runtime.v2.task/$E2E_MOBY_NS/$id" ] || fail "bundle of $id left"
		! grep -q "$id" /proc/self/mountinfo || fail "mount of $id left"
	done
	for pid in "${inits[@]}"; do
		! kill -0 "$pid" 2>/dev/null || fail "process $pid still there"
	done
	# the staged mounts are gone and no id range is still held for them
	[ "$(staged_mounts)" -eq "$mounts_before" ] || fail "staged mounts left: $(staged_mounts) (before: $mounts_before)"
	for id in "${ids[@]}"; do
		! grep -qsx "$id" "$USERNS_STATE"/userns/* || fail "id range of $id still held"
	done
}
