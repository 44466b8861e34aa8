#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# ocigate-hook precreate under Podman (tests/hook/run.sh): runc is the
# runtime, the policy arrives only through the hooks.d precreate hook.

load ../e2e/helpers

teardown() {
	policy_restore
	podman_cleanup
}

# A Unix socket standing for a daemon's (the test policy denies
# $W/docker/run/docker.sock as it denies /var/run/docker.sock).
make_socket() {
	rm -f "$1"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"
}

@test "podman run --privileged: runs with the policy enforced by the precreate hook" {
	pm_probe e2e-hook-priv --privileged
	[ "$status" -eq 0 ] || fail "podman run --privileged failed: $stderr"
	assert_enforced "$output" - "$MEM_DEFAULT"
	[ "$(value CapEff)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	[ "$(audit_count precreate "$(pm_id e2e-hook-priv)")" -eq 1 ]
	audit_any precreate "$(pm_id e2e-hook-priv)" '.decisions | any(.rule == "privileged" or .rule == "capabilities")'
}

@test "the audit record names the container: id, hostname and args" {
	pm_probe e2e-hook-plain --hostname hook-probe-host
	[ "$status" -eq 0 ] || fail "podman run failed: $stderr"
	audit_any precreate "$(pm_id e2e-hook-plain)" \
		'.command == "precreate" and (.message | contains("hostname hook-probe-host")) and (.message | contains("\"sh\",\"-c\""))'
}

@test "podman run -v <a daemon socket>: refused, podman's error shows ocigate's message" {
	make_socket "$W/docker/run/docker.sock"
	pm_probe e2e-hook-sock -v "$W/docker/run/docker.sock:/s"
	echo "# podman: $stderr" >&3
	assert_refused
	[[ $stderr == *"$REFUSED: mounts: "*"$W/docker/run/docker.sock"* ]] || fail "$stderr"
	[ "$(audit_count refuse "$(pm_id e2e-hook-sock)")" -eq 1 ]
	audit_any refuse "$(pm_id e2e-hook-sock)" '.command == "precreate" and (.message | startswith("refused by policy: mounts"))'
}

@test "the hook runs at every start: a container created before the policy changed is judged when it starts" {
	make_socket "$W/docker/run/docker.sock"
	policy_set '.mode = "audit"'
	pm create "${PM_RUN[@]:1}" --name e2e-hook-later -v "$W/docker/run/docker.sock:/s" "$PM_BUSYBOX" true >/dev/null
	run --separate-stderr pm start -a e2e-hook-later
	[ "$status" -eq 0 ] || fail "audit mode refused: $stderr"
	audit_any precreate "$(pm_id e2e-hook-later)" '.mode == "audit" and (.decisions | any(.rule == "mounts" and .action == "audit"))'
	policy_restore
	run --separate-stderr pm start -a e2e-hook-later
	assert_refused
	[[ $stderr == *"$REFUSED: mounts: "*"$W/docker/run/docker.sock"* ]] || fail "$stderr"
}

@test "crun: refused, podman shows ocigate's message as crun quotes it" {
	command -v crun >/dev/null || skip "crun is not installed on this host (it is in tests/current's root)"
	make_socket "$W/docker/run/docker.sock"
	run --separate-stderr pm --runtime crun run --cgroup-parent "${E2E_CGROUP_PODMAN:?}" --name e2e-hook-crun \
		-v "$W/docker/run/docker.sock:/s" "$PM_BUSYBOX" true
	echo "# podman (crun): $stderr" >&3
	assert_refused
	[[ $stderr == *"crun: invalid namespace type: \`$REFUSED: mounts: "*"$W/docker/run/docker.sock"* ]] || fail "$stderr"
}

@test "user namespaces: the hook cannot set one up; if-possible runs without, said in the record" {
	pm_probe e2e-hook-userns
	[ "$status" -eq 0 ] || fail "podman run failed: $stderr"
	audit_any precreate "$(pm_id e2e-hook-userns)" \
		'.decisions | any(.rule == "user_namespace" and (.reason | startswith("NO USER NAMESPACE")) and (.reason | contains("precreate")))'
}

@test "user namespaces required: refused, podman shows why" {
	policy_set '.user_namespace.mode = "required"'
	pm_probe e2e-hook-userns-req
	assert_refused
	[[ $stderr == *"$REFUSED: user_namespace: a user namespace is required but cannot be set up: ocigate-hook precreate runs before the bundle exists"* ]] || fail "$stderr"
}

@test "a policy that does not load: every start refused, podman shows why" {
	echo '{"version": 1, "no_such_section": {}}' >"$W/policy.broken.json"
	chmod 600 "$W/policy.broken.json"
	cp -p "$POLICY" "$W/policy.orig.json"
	mv "$W/policy.broken.json" "$POLICY"
	pm_probe e2e-hook-nopolicy
	[ "$status" -ne 0 ] || fail "the container ran without a policy"
	[[ $stderr == *"ocigate: "*"$POLICY"*"every container start is refused until the policy is fixed"* ]] || fail "$stderr"
}

@test "the refused config never reaches a container: nothing ran, nothing is left" {
	make_socket "$W/docker/run/docker.sock"
	run --separate-stderr pm "${PM_RUN[@]}" --name e2e-hook-left -v "$W/docker/run/docker.sock:/s" "$PM_BUSYBOX" \
		sh -c 'touch /s-was-mounted; sleep 60'
	[ "$status" -ne 0 ]
	run pm ps -q --filter status=running
	[ -z "$output" ] || fail "running containers: $output"
	! find "$W/podman/root" -name s-was-mounted | grep -q .
}
