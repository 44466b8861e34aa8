#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# verify: ocigate-hook checks, at createRuntime and poststart, that the
# runtime did what the rewritten config says.  A shim runtime between
# ocigate and runc undoes part of the rewrite (as a buggy runtime, or a
# wrapper that edits the config, would): in verify enforce the hook stops
# the container and its audit record names the mismatch; in verify audit
# the container runs and the record says so.  A normal container passes.

# shellcheck disable=SC2016,SC2154
load helpers

setup() {
	og_setup
	VERIFY_RECORDS_EXPECTED=.
	make_policy '.verify = {"mode": "enforce", "hook": $h}' --arg h "$OCIGATE_HOOK"
	# The shim: applies $OG_SHIM_FILTER (jq) to the config ocigate wrote,
	# then becomes the spy runtime (runc).
	SHIM="$T/shim"
	cat >"$SHIM" <<SH
#!/bin/sh
b=
prev=
for a; do
	case \$prev in --bundle|-b) b=\$a ;; esac
	case \$a in --bundle=*) b=\${a#--bundle=} ;; esac
	prev=\$a
done
if [ -n "\$b" ] && [ -n "\$OG_SHIM_FILTER" ] && [ -f "\$b/config.json" ]; then
	jq "\$OG_SHIM_FILTER" "\$b/config.json" >"\$b/config.json.shim" && mv "\$b/config.json.shim" "\$b/config.json"
fi
exec "$BATS_FILE_TMPDIR/runc-spy" "\$@"
SH
	chmod 755 "$SHIM"
	NSHOLDER=
	STATE=
}

teardown() {
	og_teardown
	[ -z "$NSHOLDER" ] || kill "$NSHOLDER" 2>/dev/null || true
	[ -z "${STATE:-}" ] || state_teardown
}

# start_with_shim FILTER: `ocigate run -d` of $BUNDLE through the shim;
# $status and $stderr as bats' run sets them (not run itself: it would
# wait for the detached container, which holds its stdout).
start_with_shim() {
	record_container "$ROOTDIR" "$CID"
	status=0
	OG_SHIM_FILTER="$1" timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" \
		--ocigate-runtime "$SHIM" --root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json \
		run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>"$T/run.err" || status=$?
	output=
	stderr=$(cat "$T/run.err")
}

# the container's state in runc, or "none"
container_status() {
	"$RUNC" --root "$ROOTDIR" state "$CID" 2>/dev/null | jq -r .status || echo none
}

# assert_verify_record STAGE RESULT REGEX: the audit log's verify record of
# this container names the mismatch.
assert_verify_record() {
	local rec
	rec=$(jq -c --arg id "$CID" 'select(.event == "verify" and .id == $id)' "$AUDIT" | tail -n1)
	[ -n "$rec" ] || { show_run; cat "$AUDIT"; fail "no verify record for $CID"; }
	jq -e --arg s "$1" --arg r "$2" --arg re "$3" '.stage == $s and .result == $r and (.reason | test($re))' \
		<<<"$rec" >/dev/null || { show_run; fail "verify record is not $1/$2/$3: $rec"; }
}

assert_stopped() {
	assert_status 1
	[ "$(container_status)" != running ] || fail "the container runs"
	[ "$(container_status)" != created ] || fail "the container was left created"
}

@test "verify: a normal container passes both stages, the hooks are in its config and no record is written" {
	make_bundle default 'sleep 30'
	run_detached
	[ "$(container_status)" = running ]
	jq -e --arg h "$OCIGATE_HOOK" '
		(.hooks.createRuntime | map(select(.path == $h and .args[0] == "ocigate-hook" and .args[1] == "createRuntime")) | length == 1)
		and (.hooks.poststart | map(select(.path == $h and .args[1] == "poststart")) | length == 1)
		and (.hooks.poststart[0].args | index("--nnp") and index("--readonly-root") and index("--seccomp"))
		and (.hooks.createRuntime[0].args | index("--new-ns=net") and index("--net-only-lo") and index("--memory=1073741824"))
	' "$BUNDLE/config.json" >/dev/null || { jq .hooks "$BUNDLE/config.json"; false; }
	! grep -q '"event":"verify"' "$AUDIT"
	# the decision is in the create record (what ocigatectl check shows too)
	jq -e 'select(.event == "create") | .decisions | map(select(.rule == "verify")) | length == 2' "$AUDIT" >/dev/null
}

@test "verify: the same in the foreground (runc run), the probe's view of the enforced container" {
	make_bundle default
	run_ocigate "$CID" "$BUNDLE"
	assert_enforced_inside
	! grep -q '"event":"verify"' "$AUDIT"
}

@test "verify: a capability re-added to the config by the runtime stops the container (poststart)" {
	make_bundle default 'sleep 30'
	start_with_shim '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	assert_stopped
	assert_verify_record poststart stopped 'CapBnd holds CAP_SYS_ADMIN, which the config does not grant'
	# runc's error (log.json, which the engine shows) carries the hook's reason
	grep -q 'error running .*hook.*CapBnd holds CAP_SYS_ADMIN' "$BUNDLE/log.json" || {
		show_run
		fail "runc's error does not show the hook's reason"
	}
	# and ocigatectl audit shows the record
	run "$OCIGATECTL" audit --log "$AUDIT" --event verify
	assert_status 0
	[[ "$output" =~ verify\ +$CID\ +poststart\ stopped:\ CapBnd\ holds\ CAP_SYS_ADMIN ]] || { show_run; false; }
}

@test "verify: noNewPrivileges cleared by the runtime stops the container" {
	make_bundle default 'sleep 30'
	start_with_shim '.process.noNewPrivileges = false'
	assert_stopped
	assert_verify_record poststart stopped 'NoNewPrivs is not 1'
}

@test "verify: a root filesystem made writable by the runtime stops the container" {
	make_bundle default 'sleep 30'
	start_with_shim '.root.readonly = false'
	assert_stopped
	assert_verify_record poststart stopped 'the root filesystem is mounted rw'
}

@test "verify: a seccomp filter dropped by the runtime stops the container" {
	make_bundle default 'sleep 30'
	start_with_shim 'del(.linux.seccomp)'
	assert_stopped
	assert_verify_record poststart stopped 'Seccomp is not 2'
}

@test "verify: an interface from another namespace in the container's network stops it (createRuntime)" {
	# a network namespace of our own, held by a sleeping process (not under
	# /run/netns, which other users of `ip netns` remount), with a veth
	# pair (this kernel has no dummy driver); never a host interface
	unshare -n sleep 60 </dev/null >/dev/null 2>&1 3>&- &
	NSHOLDER=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(stat -L -c %i "/proc/$NSHOLDER/ns/net")" != "$(stat -L -c %i /proc/self/ns/net)" ] && break
		sleep 0.1
	done
	nsenter -t "$NSHOLDER" -n ip link add ogv0 type veth peer name ogv1
	make_bundle default 'sleep 30'
	# the runtime puts the container in that namespace
	export OG_NS=/proc/$NSHOLDER/ns/net
	start_with_shim '.linux.namespaces |= map(if .type == "network" then .path = $ENV.OG_NS else . end)'
	assert_stopped
	assert_verify_record createRuntime stopped 'interface ogv[01] is in the container.s new network namespace'
	nsenter -t "$NSHOLDER" -n ip link show ogv0 >/dev/null
}

@test "verify: the host's network namespace instead of a new one stops the container" {
	make_bundle default 'sleep 30'
	start_with_shim '.linux.namespaces |= map(select(.type != "network")) | del(.linux.sysctl)'
	assert_stopped
	assert_verify_record createRuntime stopped 'the net namespace is the host.s'
}

@test "verify: a memory limit dropped by the runtime stops the container" {
	make_bundle default 'sleep 30'
	start_with_shim 'del(.linux.resources.memory)'
	assert_stopped
	assert_verify_record createRuntime stopped 'memory/ocigate-test-[^/]+/memory.limit_in_bytes is unlimited, the config sets 1073741824'
}

@test "verify audit: the mismatch is recorded and the container runs" {
	make_policy '.verify = {"mode": "audit", "hook": $h}' --arg h "$OCIGATE_HOOK"
	make_bundle default 'sleep 30'
	start_with_shim '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"]) | .root.readonly = false'
	assert_status 0
	[ "$(container_status)" = running ] || { show_run; fail "the container does not run"; }
	assert_verify_record poststart 'allowed (verify audit)' 'CapBnd holds CAP_SYS_ADMIN.*; .*the root filesystem is mounted rw'
}

@test "verify enforce: a hook that cannot be run refuses the container before runc starts" {
	make_policy '.verify = {"mode": "enforce", "hook": $h}' --arg h "$T/no-such-hook"
	make_bundle default
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$CID" "$BUNDLE"
	assert_refused "$CID" "$before" 0 "refused by policy: verify: ocigate-hook $T/no-such-hook cannot be run"
}

@test "verify: a socket bind-mounted by the runtime stops the container" {
	make_bundle default 'sleep 30'
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/og.sock"
	export OG_SOCK=$T/og.sock
	start_with_shim '.mounts += [{"destination": "/run/og.sock", "type": "bind", "source": $ENV.OG_SOCK, "options": ["bind"]}]'
	assert_stopped
	assert_verify_record poststart stopped 'a socket is mounted at /run/og.sock'
}

@test "verify: with a user namespace, the allocated range passes and a host root mapping added by the runtime stops the container" {
	state_setup
	make_policy '.verify = {"mode": "enforce", "hook": $h} | .user_namespace.mode = "required"' --arg h "$OCIGATE_HOOK"
	make_bundle default 'cat /proc/self/uid_map'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	jq -e '.hooks.createRuntime[-1].args | map(select(startswith("--uid-map=0:"))) | length == 1' "$BUNDLE/config.json" >/dev/null
	! grep -q '"event":"verify"' "$AUDIT"
	make_bundle default 'cat /proc/self/uid_map'
	RUNTIME=$SHIM
	export OG_SHIM_FILTER='.linux.uidMappings += [{"containerID": 65536, "hostID": 0, "size": 1}]'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	unset OG_SHIM_FILTER
	assert_status 1
	assert_verify_record createRuntime stopped 'uid_map maps 65536 0 1, which the config does not'
}
