#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Calls on a running container: exec is held to the process rules, update
# to the resource maxima.  The limits are read from the host's cgroup dirs.

# shellcheck disable=SC2016,SC2154
load helpers

# start_sleeper: a detached container started through ocigate.
start_sleeper() {
	make_bundle default 'sleep 60'
	record_container "$ROOTDIR" "$CID"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run -d --bundle "$BUNDLE" "$CID" \
		</dev/null >/dev/null 2>"$T/run.err"
	[ ! -s "$T/run.err" ] || { cat "$T/run.err"; false; }
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
	# refusing the exec is as good as dropping the capability
	if [ "$status" -ne 0 ]; then
		assert_status 1
		assert_log_error 'CAP_SYS_ADMIN'
		return 0
	fi
	[ "$(probe_value NoNewPrivs)" = 1 ] || { show_run; false; }
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
