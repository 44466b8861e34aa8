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

RUNC_PATH=/usr/sbin/runc

compiled() { "$OCIGATECTL" --version | sed -n "s/^$1: //p"; }

setup() {
	SYS_POLICY=$(compiled policy)
	[ "$(compiled runtime)" = "$RUNC_PATH" ] || skip "this build execs $(compiled runtime), not $RUNC_PATH"
	SYS_DIR=$(dirname "$SYS_POLICY")
	mkdir -p "$SYS_DIR"
	for f in policy.json seccomp.json; do
		[ -e "$SYS_DIR/$f" ] && mv "$SYS_DIR/$f" "$SYS_DIR/$f.e2e-saved"
	done
	# the test policy (audit log $AUDIT) at the compiled-in path, with the
	# seccomp profile it names beside it
	install -m 600 "$POLICY" "$SYS_POLICY"
	install -m 644 "$W/seccomp.json" "$SYS_DIR/seccomp.json"
	RUNC_SHA=$(sha256sum <"$RUNC_PATH")
}

teardown() {
	docker_cleanup
	if [ -e "$RUNC_PATH.real" ]; then
		"$OCIGATECTL" uninstall-as-runc --runc "$RUNC_PATH" --ocigate "$OCIGATE" >/dev/null 2>&1 || true
	fi
	rm -f "$SYS_POLICY" "$SYS_DIR/seccomp.json"
	for f in policy.json seccomp.json; do
		[ -e "$SYS_DIR/$f.e2e-saved" ] && mv "$SYS_DIR/$f.e2e-saved" "$SYS_DIR/$f"
	done
	return 0
}

@test "runc-replacement mode: docker run --runtime=runc --privileged is enforced; uninstall restores runc" {
	# before: --runtime=runc is plain runc, nothing enforced (Docker's own
	# capability set, no no_new_privs; --privileged itself cannot run on
	# this host without ocigate: the sandbox lacks some capabilities)
	run --separate-stderr dk run --rm --runtime=runc --network none "$BUSYBOX" sh -c "$PROBE"
	[ "$status" -eq 0 ]
	[ "$(value NoNewPrivs)" = 0 ]
	[ "$(value CapEff)" != "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]

	run "$OCIGATECTL" install-as-runc --runc "$RUNC_PATH" --ocigate "$OCIGATE"
	[ "$status" -eq 0 ]
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
