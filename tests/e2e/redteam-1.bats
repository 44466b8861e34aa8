#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Issue 20 item 6 with a real engine: a Podman hooks dir makes dockerd run
# as a prestart hook with arguments of the container creator's choosing
# (dockerd's netns-create re-exec entry point bind-mounts a network
# namespace as root at the path it is given).  Docker's own network hook
# keeps running: docker.bats' nginx test needs it.

load helpers

teardown() {
	podman_cleanup
	awk -v s="$BATS_TEST_TMPDIR/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | xargs -r umount -l 2>/dev/null
	return 0
}

@test "podman --hooks-dir: dockerd netns-create as a prestart hook is refused and never runs" {
	[ -x /usr/sbin/dockerd ] || skip "no /usr/sbin/dockerd on this host (the allowlisted hook)"
	local d="$BATS_TEST_TMPDIR/hooks" target="$BATS_TEST_TMPDIR/netns"
	mkdir -p "$d"
	touch "$target"
	jq -n --arg t "$target" '{"version": "1.0.0",
		"hook": {"path": "/usr/sbin/dockerd", "args": ["netns-create", $t]},
		"when": {"always": true}, "stages": ["prestart"]}' >"$d/netns.json"
	run --separate-stderr pm --hooks-dir "$d" "${PM_RUN[@]}" --name e2e-pm-hook "$PM_BUSYBOX" true
	! grep -q " $target " /proc/self/mountinfo || fail "dockerd netns-create ran as a hook: $target is a mount"
	assert_refused
	[[ $stderr == *"$REFUSED: hooks: hook /usr/sbin/dockerd runs dockerd with arguments that are not Docker's network hook"* ]] ||
		fail "not the hooks refusal:" "$stderr"
}
