#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# seccomp under a real dockerd 20.10 with ocigate as its default runtime:
# what `docker run --cap-add`, `--security-opt seccomp=FILE` and a volume
# give a user, compared with plain runc (`--runtime runc`).

# shellcheck disable=SC2154  # bats sets status, output, stderr
load helpers

setup() {
	C=
	VOL=
}

teardown() {
	policy_restore
	docker_cleanup
	[ -z "$VOL" ] || dk volume rm -f "$VOL" >/dev/null 2>&1
	return 0
}

# A nested user namespace (every capability in it) that mounts a tmpfs.
# shellcheck disable=SC2016  # expanded by the container's shell
NESTED='if unshare -Urm sh -c "mount -t tmpfs t /tmp && echo mounted" 2>/dev/null | grep -q mounted; then echo "nested: allowed"; else echo "nested: denied"; fi'

@test "docker run --cap-add SYS_ADMIN --user 1000:1000 busybox unshare -Ur true: fails under ocigate (runs under plain runc)" {
	# the attack works without ocigate: Docker widened its profile
	run dk run --rm --network none --runtime runc --cap-add SYS_ADMIN --user 1000:1000 "$BUSYBOX" unshare -Ur true
	[ "$status" -eq 0 ] || skip "plain runc refuses it too on this host (no unprivileged user namespaces)"
	run --separate-stderr dk run --name e2e-sysadmin --network none --cap-add SYS_ADMIN --user 1000:1000 \
		"$BUSYBOX" unshare -Ur true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"unshare"* ]]
	C=$(dk inspect -f '{{.Id}}' e2e-sysadmin)
	# the profile was rewritten (which entries name the syscall differs
	# between Docker 20.10's profile and 28.5's; EPERM inside is the proof)
	audit_any create "$C" '.decisions | any(.rule == "seccomp" and .action == "mutate")'
	audit_any create "$C" '.decisions | any(.rule == "capabilities")'
	run dk run --rm --network none --cap-add SYS_ADMIN --user 1000:1000 "$BUSYBOX" sh -c "$NESTED"
	[ "$output" = "nested: denied" ]
}

@test "docker run --cap-add ALL (no --privileged) --user 1000:1000: no nested namespace or mount" {
	run dk run --rm --network none --runtime runc --cap-add ALL --user 1000:1000 "$BUSYBOX" sh -c "$NESTED"
	[ "$output" = "nested: allowed" ] || skip "no unprivileged user namespaces on this host (plain runc cannot nest one either)"
	run dk run --rm --network none --cap-add ALL --user 1000:1000 "$BUSYBOX" sh -c "$NESTED"
	[ "$status" -eq 0 ]
	[ "$output" = "nested: denied" ]
}

@test "docker run --security-opt seccomp=FILE allowing every syscall by name: no nested namespace or mount" {
	local prof="$W/allow-all-by-name.json"
	jq '{defaultAction: "SCMP_ACT_ERRNO", syscalls: [{names: [.linux.seccomp.syscalls[]
			| select(.action == "SCMP_ACT_ALLOW" and .args == null) | .names[]], action: "SCMP_ACT_ALLOW"},
		{names: ["unshare", "mount", "umount2", "setns", "bpf", "keyctl", "ptrace", "open_by_handle_at", "clone", "clone3"],
		 action: "SCMP_ACT_ALLOW"}]}' "$BATS_TEST_DIRNAME/../fixtures/engines/docker-20.10/default.config.json" >"$prof"
	run dk run --rm --network none --runtime runc --user 1000:1000 --security-opt "seccomp=$prof" "$BUSYBOX" sh -c "$NESTED"
	[ "$output" = "nested: allowed" ] || fail "plain runc: $output"
	run dk run --rm --network none --user 1000:1000 --security-opt "seccomp=$prof" "$BUSYBOX" sh -c "$NESTED"
	[ "$status" -eq 0 ]
	[ "$output" = "nested: denied" ]
}

@test "docker run -v VOLUME: chmod 4755 / 2755 fail with EPERM inside, the volume on the host has no setuid file" {
	local mp
	VOL=e2e-setid-$$
	dk volume create "$VOL" >/dev/null
	mp=$(dk volume inspect -f '{{.Mountpoint}}' "$VOL")
	run --separate-stderr dk run --rm --network none -v "$VOL:/v" "$BUSYBOX" sh -c \
		'cp /bin/busybox /v/x; chmod 4755 /v/x; echo "suid: $?"; chmod 2755 /v/x; echo "sgid: $?"; chmod 755 /v/x; echo "plain: $?"'
	[ "$status" -eq 0 ]
	[ "$(value suid)" = 1 ]
	[ "$(value sgid)" = 1 ]
	[ "$(value plain)" = 0 ]
	[[ "$stderr" == *"Operation not permitted"* ]]
	[ -f "$mp/x" ]
	[ -z "$(find "$mp" -perm /6000)" ]
}
