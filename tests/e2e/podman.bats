#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# ocigate under Podman 4.3 (conmon 2.1.6): the wrapper $W/bin/ocigate-runc
# is registered under the name "runc" in containers.conf, so Podman passes
# it --log and reads refusals from there (lib.sh, e2e_setup_podman).

load helpers

teardown() {
	podman_cleanup
}

# pm_probe NAME [PODMAN RUN OPTIONS...]: run $PROBE in a busybox container
# named NAME (kept until teardown, so a refused one can be found by name).
pm_probe() {
	local name=$1
	shift
	run --separate-stderr pm "${PM_RUN[@]}" --name "$name" "$@" "$PM_BUSYBOX" sh -c "$PROBE"
}

pm_id() { pm inspect -f '{{.Id}}' "$1"; }

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
