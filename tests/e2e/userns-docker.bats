#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# User namespaces under a real dockerd, where a docker user can make them
# go away: `--pid container:X` and a full pool.  Never silently off.

load helpers

setup() {
	C=
}

teardown() {
	policy_restore
	docker_cleanup
}

@test "docker run --pid container:X: the container shares X's user namespace and range" {
	local a map_a
	a=$(dk run -d --network none "$BUSYBOX" sleep 300)
	map_a=$(dk exec "$a" cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')
	assert_pool_map "$map_a"
	run --separate-stderr dk run --rm --network none --pid "container:$a" "$BUSYBOX" \
		sh -c 'cat /proc/self/uid_map; cat /proc/1/cmdline | tr "\0" " "; echo; id -u'
	[ "$status" -eq 0 ] || fail "status $status: $stderr"
	[ "$(echo "$output" | sed -n 1p | tr -s ' ' | sed 's/^ //')" = "$map_a" ] || fail "not $a's range: $output"
	[[ "$(echo "$output" | sed -n 2p)" == "sleep 300"* ]] || fail "not in $a's pid namespace: $output"
	[ "$(echo "$output" | sed -n 3p)" = 0 ]
}

@test "docker run --pid container:X, X without one of ocigate's user namespaces: refused, docker shows why" {
	local a
	policy_set '.user_namespace.mode = "off"'
	a=$(dk run -d --network none "$BUSYBOX" sleep 300)
	policy_restore
	run --separate-stderr dk run --name e2e-pidns --network none --pid "container:$a" "$BUSYBOX" cat /proc/self/uid_map
	[ "$status" -ne 0 ] || fail "ran: $output"
	[[ $stderr == *"belongs to the host's user namespace"* ]] || fail "stderr: $stderr"
	[ "$(audit_count refuse "$(dk inspect -f '{{.Id}}' e2e-pidns)")" -eq 1 ]
}

@test "docker run with the pool exhausted: refused with the reason, never without a user namespace" {
	# a one-range pool of its own: ranges other files' containers hold (or
	# Podman's late cleanups have not yet given back) are elsewhere
	policy_set '.user_namespace.pool_start = 500000000 | .user_namespace.pool_size = 65536'
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	run --separate-stderr dk run --name e2e-full --network none "$BUSYBOX" cat /proc/self/uid_map
	[ "$status" -ne 0 ] || fail "ran: $output"
	[[ $stderr == *"the user namespace pool is exhausted"* ]] || fail "stderr: $stderr"
}
