#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# runc-replacement mode: Docker reserves the runtime name "runc", so with
# ocigate only as default-runtime `docker run --runtime=runc` bypasses it.
# `ocigatectl install-as-runc` diverts the real runc to runc.real and puts
# ocigate in its place; ocigate then execs runc.real.  Uninstall restores
# the original binary.  This test changes /usr/sbin/runc for its duration
# and always restores it.

load helpers

setup() {
	runc_mode_setup
	# the test policy (audit log $AUDIT) at the compiled-in path
	install -m 600 "$POLICY" "$SYS_POLICY"
	RUNC_SHA=$(sha256sum <"$RUNC_PATH")
}

teardown() {
	docker_cleanup
	runc_mode_teardown
}

@test "runc-replacement mode: docker run --runtime=runc --privileged is enforced; uninstall restores runc" {
	# before: --runtime=runc is plain runc, nothing enforced (Docker's own
	# capability set, no no_new_privs; --privileged itself cannot run on
	# this host without ocigate: the sandbox lacks some capabilities)
	run --separate-stderr dk run --rm --runtime=runc --network none "$BUSYBOX" sh -c "$PROBE"
	[ "$status" -eq 0 ]
	[ "$(value NoNewPrivs)" = 0 ]
	[ "$(value CapEff)" != "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]

	install_as_runc
	[ -L "$RUNC_PATH" ]
	[ -x "$RUNC_PATH.real" ]
	dpkg-divert --list "$RUNC_PATH" | grep -q "$RUNC_PATH.real"

	run --separate-stderr dk run --name e2e-runcmode --runtime=runc --network none --privileged "$BUSYBOX" sh -c "$PROBE"
	[ "$status" -eq 0 ]
	assert_enforced "$output"
	[ "$(audit_count create "$(dk inspect -f '{{.Id}}' e2e-runcmode)")" -eq 1 ]
	# a hostile bind through the "runc" name is refused with the message
	run --separate-stderr dk run --rm --runtime=runc --network none -v /:/host "$BUSYBOX" true
	assert_refused

	run "$OCIGATECTL" uninstall-as-runc --runc "$RUNC_PATH" --ocigate "$OCIGATE"
	[ "$status" -eq 0 ]
	[ ! -L "$RUNC_PATH" ]
	[ ! -e "$RUNC_PATH.real" ]
	[ "$(sha256sum <"$RUNC_PATH")" = "$RUNC_SHA" ]
	! dpkg-divert --list "$RUNC_PATH" | grep -q real
	run --separate-stderr dk run --rm --runtime=runc --network none "$BUSYBOX" true
	[ "$status" -eq 0 ]
}
