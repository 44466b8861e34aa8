#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Calls on a running container: exec is held to the process rules, update
# to the resource maxima.  The limits are read from the host's cgroup dirs.

# shellcheck disable=SC2016,SC2154
load helpers

# start_sleeper [JQ_FILTER]: a detached container started through ocigate
# (its config edited by the filter first).
start_sleeper() {
	make_bundle default 'sleep 60'
	[ $# -eq 0 ] || edit_config "$BUNDLE" "$1"
	run_detached
	CG_PIDS="/sys/fs/cgroup/pids/ocigate-test-$CID"
	CG_MEM="/sys/fs/cgroup/memory/ocigate-test-$CID"
	[ "$(cat "$CG_PIDS/pids.max")" = 1024 ]
}

# ocigate_update ARGS... (stdin from $UPDATE_STDIN, default /dev/null)
ocigate_update() {
	run --separate-stderr timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json update "$@" <"${UPDATE_STDIN:-/dev/null}"
}

@test "update --resources - : Docker's update JSON within the maxima is applied as sent" {
	start_sleeper
	UPDATE_STDIN="$DOCKER_FIXTURES/update.update.json"
	jq -e '.pids.limit == 50 and .memory.limit == 67108864' "$UPDATE_STDIN"
	ocigate_update --resources - "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" = 50 ]
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 67108864 ]
}

@test "update --resources - : limits above the maxima are clamped, -1 does not lift them" {
	start_sleeper
	echo '{"pids": {"limit": 100000}, "memory": {"limit": 68719476736, "swap": 68719476736}}' >"$T/up.json"
	UPDATE_STDIN="$T/up.json"
	ocigate_update --resources - "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" = 32768 ]
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 17179869184 ]

	echo '{"pids": {"limit": -1}}' >"$T/up.json"
	ocigate_update --resources - "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" != max ]
	[ "$(cat "$CG_PIDS/pids.max")" -le 32768 ]
}

@test "update --resources FILE: clamped, and the file itself left as it was" {
	start_sleeper
	echo '{"pids": {"limit": 100000}}' >"$T/up.json"
	local before
	before=$(sha "$T/up.json")
	ocigate_update --resources "$T/up.json" "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" = 32768 ]
	[ "$(sha "$T/up.json")" = "$before" ]
	# short and = forms
	ocigate_update --pids-limit 10 "$CID"
	ocigate_update -r "$T/up.json" "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" = 32768 ]
	ocigate_update --pids-limit 10 "$CID"
	ocigate_update --resources="$T/up.json" "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" = 32768 ]
}

@test "update --pids-limit (inline flag) is clamped too" {
	start_sleeper
	ocigate_update --pids-limit 100000 "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" = 32768 ]
	ocigate_update --pids-limit 200 "$CID"
	assert_status 0
	[ "$(cat "$CG_PIDS/pids.max")" = 200 ]
}

@test "update --memory 64g (inline, docker units) is clamped to the maximum" {
	start_sleeper
	ocigate_update --memory 64g --memory-swap -1 "$CID"
	assert_status 0
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 17179869184 ] || { cat "$CG_MEM/memory.limit_in_bytes"; false; }
	ocigate_update --memory 128m --memory-swap 128m "$CID"
	assert_status 0
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 134217728 ]
}

@test "exec --cap CAP_SYS_ADMIN (inline flag) does not add the capability" {
	start_sleeper
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json \
		exec --cap CAP_SYS_ADMIN "$CID" grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status
	# capabilities.action "enforce": the flag is dropped, the exec runs
	assert_status 0
	[ "$(probe_value NoNewPrivs)" = 1 ] || { show_run; false; }
	tail -n1 "$AUDIT" | jq -e '.event == "exec" and any(.decisions[]; .rule == "capabilities" and .action == "mutate"
		and .path == "exec --cap" and .before == "\"CAP_SYS_ADMIN\"")' >/dev/null || fail "audit: $(tail -n1 "$AUDIT")"
	local set v
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(probe_value "$set")
		[ -n "$v" ] && (((0x$v & ~ALLOWED_CAP_MASK) == 0)) || { show_run; fail "exec'd process has $set=$v"; }
	done
}

@test "exec --process is held to the same process rules (docker exec --privileged)" {
	start_sleeper
	jq '.args = ["/bin/grep", "-E", "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):", "/proc/self/status"] | .cwd = "/"' \
		"$DOCKER_FIXTURES/exec-privileged.process.json" >"$T/process.json"
	jq -e '.capabilities.bounding | index("CAP_SYS_ADMIN") != null' "$T/process.json"
	# as containerd-shim calls it: cwd is the bundle
	cd "$BUNDLE"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json exec --process "$T/process.json" "$CID"
	assert_status 0
	[ "$(probe_value NoNewPrivs)" = 1 ] || { show_run; fail "exec'd process without no_new_privs"; }
	local set v
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(probe_value "$set")
		[ -n "$v" ] && (((0x$v & ~ALLOWED_CAP_MASK) == 0)) || { show_run; fail "exec'd process has $set=$v"; }
	done
}

@test "exec: -p FILE and --process=FILE are read as well" {
	start_sleeper
	local form
	for form in "-p" "--process=" "-process" "--p="; do
		jq '.args = ["/bin/grep", "-E", "^(CapBnd|NoNewPrivs):", "/proc/self/status"] | .cwd = "/"' \
			"$DOCKER_FIXTURES/exec-privileged.process.json" >"$T/process.json"
		if [[ $form == *= ]]; then
			run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
				exec "$form$T/process.json" "$CID"
		else
			run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
				exec "$form" "$T/process.json" "$CID"
		fi
		echo "form: $form"
		assert_status 0
		[ "$(probe_value NoNewPrivs)" = 1 ] || { show_run; false; }
		(((0x$(probe_value CapBnd) & ~ALLOWED_CAP_MASK) == 0)) || { show_run; false; }
	done
}

# exec_ocigate ARGS...: `ocigate exec ARGS` on the sleeper, log in the bundle.
exec_ocigate() {
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json exec "$@"
}

@test "exec --user 0 under run_as_non_root: refused without a user namespace (inline and --process); uid 1000 runs" {
	make_policy '.process.run_as_non_root = true'
	start_sleeper '.process.user.uid = 1000 | .process.user.gid = 1000'
	exec_ocigate --user 0 "$CID" id -u
	assert_status 1
	assert_log_error 'process: .*run as root \(uid 0\) without a user namespace'
	exec_ocigate -u 0:0 "$CID" id -u
	assert_status 1
	exec_ocigate --user 1000 "$CID" id -u
	assert_status 0
	[ "$output" = 1000 ] || { show_run; false; }
	# without --user the container's own (judged) user runs
	exec_ocigate "$CID" id -u
	assert_status 0
	[ "$output" = 1000 ] || { show_run; false; }
	jq '.args = ["/bin/id", "-u"] | .cwd = "/" | .user = {"uid": 0, "gid": 0}' "$DOCKER_FIXTURES/exec.process.json" >"$T/process.json"
	exec_ocigate --process "$T/process.json" "$CID"
	assert_status 1
	assert_log_error 'run as root \(uid 0\) without a user namespace'
	[ "$(tail -n1 "$AUDIT" | jq -r .event)" = refuse ]
}

@test "exec --user 0 under run_as_non_root: allowed when the container's user namespace maps root away (runc's state)" {
	make_policy '.process.run_as_non_root = true'
	# the mapped root (host uid 100000) must reach the rootfs, as engines
	# that map users arrange
	local d=$T
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	# a user namespace from the engine, not from ocigate: root is host uid
	# 100000 (Docker's ping_group_range would not fit its group mapping)
	start_sleeper 'del(.linux.sysctl["net.ipv4.ping_group_range"]) | .linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	jq -e '.config.namespaces | any(.type == "NEWUSER")' "$ROOTDIR/$CID/state.json"
	exec_ocigate --user 0 "$CID" id -u
	assert_status 0
	[ "$output" = 0 ] || { show_run; false; }
	# an identity mapping is still host root
	start_sleeper 'del(.linux.sysctl["net.ipv4.ping_group_range"]) | .linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .process.user.uid = 1000'
	exec_ocigate --user 0 "$CID" id -u
	assert_status 1
	assert_log_error 'run as root'
}

@test "exec --env with a credential name is refused when the env rule denies" {
	make_policy '.env.action = "deny"'
	start_sleeper
	# a value that no digest or id in the log can contain by chance ("abc"
	# is hex: a policy sha256 held it now and then)
	exec_ocigate --env AWS_SECRET_ACCESS_KEY=s3cret-Value-Zq "$CID" true
	assert_status 1
	assert_log_error 'env: environment variable AWS_SECRET_ACCESS_KEY looks like a credential'
	! grep -q s3cret-Value-Zq "$AUDIT" || fail "the value reached the audit log"
	exec_ocigate -e HARMLESS=1 "$CID" sh -c 'echo $HARMLESS'
	assert_status 0
	[ "$output" = 1 ] || { show_run; false; }
}
