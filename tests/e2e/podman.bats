#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# ocigate under Podman 4.3 (conmon 2.1.6): the wrapper $W/bin/ocigate-runc
# is registered under the name "runc" in containers.conf, so Podman passes
# it --log and reads refusals from there (lib.sh, e2e_setup_podman).

load helpers

teardown() {
	policy_restore
	podman_cleanup
}

# Podman's own default pids limit (2048) is below the policy maximum and
# is kept; the memory limit is the policy default.
assert_pm_limits() {
	local pids
	pids=$(value pids.max "$1")
	if ! [[ $pids =~ ^[0-9]+$ ]] || [ "$pids" -gt "$PIDS_MAX" ]; then
		fail "pids.max is $pids, not a limit within $PIDS_MAX"
	fi
}

@test "podman run (no options): policy enforced inside" {
	pm_probe e2e-pm-plain
	[ "$status" -eq 0 ]
	assert_enforced "$output" - "$MEM_DEFAULT"
	assert_pm_limits "$output"
	[ "$(value CapEff)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	[ "$(audit_count create "$(pm_id e2e-pm-plain)")" -eq 1 ]
}

@test "podman run -v <private docker socket>: refused, podman shows why" {
	pm_probe e2e-pm-sock -v "$W/docker/run/docker.sock:/var/run/docker.sock"
	assert_refused
	[[ $stderr == *"Error: OCI runtime error: "*"$REFUSED: mounts: "*"$W/docker/run/docker.sock"* ]]
	[ "$(audit_count refuse "$(pm_id e2e-pm-sock)")" -eq 1 ]
}

@test "podman run -v /:/host: refused, podman shows why" {
	pm_probe e2e-pm-root -v /:/host
	assert_refused
	[[ $stderr == *"Error: OCI runtime error: "*"$REFUSED: mounts: bind mount of / "* ]]
}

@test "podman run --privileged: runs with the policy enforced" {
	pm_probe e2e-pm-priv --privileged
	# the shipped policy rewrites a privileged config (it does not refuse it)
	[ "$status" -eq 0 ] || fail "podman run --privileged was refused: $stderr"
	assert_enforced "$output" - "$MEM_DEFAULT"
	assert_pm_limits "$output"
	[ "$(audit_count create "$(pm_id e2e-pm-priv)")" -eq 1 ]
}

@test "podman exec --privileged: capabilities within the allowlist, NoNewPrivs 1" {
	run pm "${PM_RUN[@]}" -d --name e2e-pm-exec "$PM_BUSYBOX" sleep 300
	[ "$status" -eq 0 ]
	run --separate-stderr pm exec --privileged e2e-pm-exec sh -c "$PROBE"
	[ "$status" -eq 0 ]
	assert_enforced "$output" - -
	[ "$(value CapEff)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	[ "$(audit_count exec "$(pm_id e2e-pm-exec)")" -ge 1 ]
}

@test "podman run --rm echo: output untouched" {
	run --separate-stderr pm "${PM_RUN[@]}" --rm "$PM_BUSYBOX" echo hello-ocigate
	[ "$status" -eq 0 ]
	[ "$output" = hello-ocigate ]
}

@test "podman run: a user namespace from the pool, root-owned image files" {
	run --separate-stderr pm "${PM_RUN[@]}" --rm --network none "$PM_BUSYBOX" sh -c \
		'cat /proc/self/uid_map; echo "owner $(stat -c %u /bin/busybox)"'
	[ "$status" -eq 0 ]
	assert_pool_map "$(echo "$output" | head -n1)"
	[[ $output == *"owner 0"* ]]
}

@test "podman update --memory 100g --cpu-period 1000: clamped, memory+swap consistent, at most the policy's CPUs" {
	local id cg
	run pm "${PM_RUN[@]}" -d --name e2e-pm-upd "$PM_BUSYBOX" sleep 300
	[ "$status" -eq 0 ]
	id=$(pm_id e2e-pm-upd)
	run --separate-stderr pm update --memory 100g --cpu-period 1000 e2e-pm-upd
	[ "$status" -eq 0 ] || fail "podman update failed:" "$stderr"
	run pm exec e2e-pm-upd cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us \
		/sys/fs/cgroup/cpu/cpu.cfs_period_us
	[ "${lines[0]}" = "$MEM_MAX" ] || fail "memory.limit_in_bytes ${lines[0]}"
	[ "${lines[2]}" = 1000 ] || fail "cpu.cfs_period_us ${lines[2]}"
	[ "${lines[1]}" -gt 0 ] && [ $((lines[1] * 1000 / lines[2])) -le 8000 ] ||
		fail "cpu.cfs_quota_us=${lines[1]} cpu.cfs_period_us=${lines[2]}: above the policy's 8 CPUs"
	[ "$(audit_count update "$id")" -ge 1 ]
}

@test "podman update refused by the policy: podman shows ocigate's message" {
	run pm "${PM_RUN[@]}" -d --name e2e-pm-updno "$PM_BUSYBOX" sleep 300
	[ "$status" -eq 0 ]
	policy_set '.resources.action = "deny"'
	run --separate-stderr pm update --cpu-rt-runtime 900000 e2e-pm-updno
	assert_refused
	[[ $stderr == *"$REFUSED: resources: real-time CPU time escapes the CPU quota"* ]] || fail "podman said:" "$stderr"
}

@test "podman exec refused by the policy: podman shows ocigate's message" {
	run pm "${PM_RUN[@]}" -d --name e2e-pm-xno "$PM_BUSYBOX" sleep 300
	[ "$status" -eq 0 ]
	policy_set '.env.action = "deny"'
	run --separate-stderr pm exec --env AWS_SECRET_ACCESS_KEY=e2e-Zq e2e-pm-xno true
	assert_refused
	[[ $stderr == *"$REFUSED: env: environment variable AWS_SECRET_ACCESS_KEY looks like a credential"* ]] ||
		fail "podman said:" "$stderr"
}
