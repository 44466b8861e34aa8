#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Real Docker configs through ocigate and real runc: what the container
# actually gets once the default policy has been applied.

# shellcheck disable=SC2016,SC2154
load helpers

@test "privileged fixture runs under the default policy with its privileges removed" {
	make_bundle privileged
	run_ocigate "$CID" "$BUNDLE"
	assert_privileges_gone
	# The filter keeps the allowlisted capabilities (it is not "drop all").
	[ "$(probe_value CapBnd)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	[ "$(probe_value CapEff)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	# The rewritten config says what the container showed.
	jq -e '.process.noNewPrivileges == true and .root.readonly == true
		and .linux.resources.pids.limit == 1024
		and .linux.resources.memory.limit == 1073741824' "$BUNDLE/config.json"
	# One "create" audit line naming the container.
	[ "$(audit_lines)" -eq 1 ]
	jq -e --arg id "$CID" '.event == "create" and .id == $id and .mode == "enforce"
		and (.decisions | any(.rule == "capabilities"))
		and (.decisions | any(.rule == "no_new_privileges"))' "$AUDIT"
}

@test "capall fixture (--cap-add ALL) gets only the allowlisted capabilities" {
	# capall also asks for --device /dev/fuse (10:229).  It is kept in the
	# config: runc mknods device nodes itself, so the host node is not
	# needed (and the policy's devices rule may drop it anyway).
	make_bundle capall
	jq -e '.process.capabilities.bounding | length > 30' "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	assert_privileges_gone
	[ "$(probe_value CapBnd)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	[ "$(probe_value CapAmb)" = 0000000000000000 ]
}

@test "hostns fixture is refused: --ipc host binds the host's /dev/shm" {
	make_bundle hostns
	jq -e '.mounts | any(.source == "/dev/shm" and .type == "bind")' "$BUNDLE/config.json"
	refuse_check "$CID" '^ocigate: refused by policy: '
	# the /dev/shm bind is among the refusals (host namespaces may be too)
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "mounts" and .action == "refuse" and (.reason | contains("/dev/shm")))'
}

@test "hostns fixture with host namespaces allowed: refused by the mounts rule, naming /dev/shm" {
	# With the namespaces section in audit mode the /dev/shm bind is the
	# only refusal, so the message names it.
	make_policy 'if has("namespaces") then .namespaces.action = "audit" else . end'
	make_bundle hostns
	refuse_check "$CID" '^ocigate: refused by policy: mounts: bind mount of /dev/shm exposes the sensitive host tree /dev$'
}

@test "hostns fixture without the /dev/shm bind, host namespaces allowed: runs, policy enforced inside" {
	make_policy 'if has("namespaces") then .namespaces.action = "audit" else . end'
	make_bundle hostns
	edit_config "$BUNDLE" '.mounts |= map(select(.source != "/dev/shm"))'
	# host pid and network namespaces, as Docker asked
	jq -e '[.linux.namespaces[].type] | (index("pid") == null and index("network") == null)' "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	assert_enforced_inside
}

@test "noNewPrivileges false is rewritten: NoNewPrivs is 1 inside" {
	make_bundle default
	edit_config "$BUNDLE" '.process.noNewPrivileges = false'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value NoNewPrivs)" = 1 ]
	jq -e '.process.noNewPrivileges == true' "$BUNDLE/config.json"
	jq -e '.decisions | any(.rule == "no_new_privileges" and .before == "false" and .after == "true")' "$AUDIT"
}

@test "nothing is printed on success (stdout/stderr are the container's)" {
	make_bundle default
	edit_config "$BUNDLE" '.process.args = ["/bin/true"]'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ -z "$output" ] || fail "stdout: $output"
	[ -z "$stderr" ] || fail "stderr: $stderr"
	# no ocigate line in runc's log either
	if grep -q ocigate "$BUNDLE/log.json" 2>/dev/null; then fail "ocigate wrote to log.json"; fi
	# and runc did run
	grep -q " run --bundle $BUNDLE $CID\$" "$OG_SPY_LOG"
}

@test "the rewrite is atomic: mode kept, no temporary file left, other fields preserved" {
	# a site extension the policy allows (unknown members are refused by default)
	make_policy '.fields.allow = ["x_unknown_field"]'
	make_bundle default
	edit_config "$BUNDLE" '.annotations["org.example/unknown"] = "kept" | .x_unknown_field = "NUMBERS"'
	# (jq would normalise numbers: put their text in with sed)
	sed -i 's/"NUMBERS"/{"n": 1.50, "big": 123456789012345678901234567890}/' "$BUNDLE/config.json"
	chmod 0640 "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	jq -e '.process.noNewPrivileges == true' "$BUNDLE/config.json" # it was rewritten
	[ "$(stat -c %a "$BUNDLE/config.json")" = 640 ]
	# nothing but what was there (no temporary file)
	[ "$(ls -A "$BUNDLE" | sort | tr '\n' ' ')" = "config.json log.json rootfs " ] || { ls -la "$BUNDLE"; false; }
	jq -e '.annotations["org.example/unknown"] == "kept"' "$BUNDLE/config.json"
	# allowed unknown fields are preserved and numbers keep their original text
	grep -Eq '"n": *1\.50\b' "$BUNDLE/config.json"
	grep -Eq '"big": *123456789012345678901234567890\b' "$BUNDLE/config.json"
}

@test "argv: run ID --bundle B (flags after the id) reads B" {
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run "$CID" --bundle "$BUNDLE"
	assert_status 0
	[ "$(probe_value NoNewPrivs)" = 1 ]
	jq -e '.process.noNewPrivileges == true' "$BUNDLE/config.json"
}

@test "argv: --ocigate-policy=P and --bundle=B" {
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy="$POLICY" --ocigate-runtime="$RUNTIME" --root "$ROOTDIR" \
		--log="$BUNDLE/log.json" --log-format=json run --bundle="$BUNDLE" "$CID"
	assert_enforced_inside
}

@test "argv: -b B" {
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run -b "$BUNDLE" "$CID"
	assert_enforced_inside
}

# The bundle runc will use is hostile; the current directory holds an
# innocent config.  If ocigate read the wrong bundle it would let runc
# start the hostile one.
hostile_bundle_in() {
	make_socket "$T/sockdir/daemon.sock"
	make_policy '.mounts.deny_sockets += [$s]' --arg s "$T/sockdir/daemon.sock"
	make_bundle default
	GOOD=$BUNDLE
	make_bundle default
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/sockdir/daemon.sock" '{destination: "/daemon.sock", type: "bind", source: $s, options: ["rbind"]}')"
	BEFORE=$(sha "$BUNDLE/config.json")
	AUDIT_BEFORE=$(audit_lines)
	record_container "$ROOTDIR" "$CID"
	cd "$GOOD" || return
}

@test "argv: each spelling of the bundle flag is read (hostile bundle, innocent cwd)" {
	hostile_bundle_in
	local form
	for form in "--bundle $BUNDLE" "--bundle=$BUNDLE" "-b $BUNDLE" "-b=$BUNDLE" "-bundle $BUNDLE"; do
		AUDIT_BEFORE=$(audit_lines)
		# shellcheck disable=SC2086
		run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
			--log "$BUNDLE/log.json" --log-format json run $form "$CID"
		echo "form: $form"
		assert_refused "$CID" "$BEFORE" "$AUDIT_BEFORE" 'refused by policy: mounts: .*daemon socket'
		# the same, with the flag after the id
		AUDIT_BEFORE=$(audit_lines)
		# shellcheck disable=SC2086
		run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
			--log "$BUNDLE/log.json" --log-format json run "$CID" $form
		echo "form: $CID $form"
		assert_refused "$CID" "$BEFORE" "$AUDIT_BEFORE" 'refused by policy: mounts: .*daemon socket'
	done
	# the innocent bundle in cwd was not touched either
	jq -e '.process.noNewPrivileges != true' "$GOOD/config.json"
}

@test "argv: a repeated --bundle is refused" {
	hostile_bundle_in
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run --bundle "$GOOD" --bundle "$BUNDLE" "$CID"
	# The command line is read before the policy, so this error is audited
	# in the compiled-in default audit log, not the test policy's: "-"
	# skips the audit check.
	assert_refused "$CID" "$BEFORE" - 'bundle.*more than once'
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run -b "$GOOD" "$CID" --bundle="$BUNDLE"
	assert_refused "$CID" "$BEFORE" - 'bundle.*more than once'
	jq -e '.process.noNewPrivileges != true' "$GOOD/config.json"
}

@test "create through ocigate, then state/start/kill/delete pass through even with a broken policy" {
	make_bundle default 'sleep 30'
	record_container "$ROOTDIR" "$CID"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json create --bundle "$BUNDLE" "$CID" \
		</dev/null >/dev/null 2>"$T/create.err"
	[ ! -s "$T/create.err" ]
	jq -e '.process.noNewPrivileges == true' "$BUNDLE/config.json"
	# host view of the cgroup limits ocigate set
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$CID/pids.max")" = 1024 ]
	[ "$(cat "/sys/fs/cgroup/memory/ocigate-test-$CID/memory.limit_in_bytes")" = 1073741824 ]

	local broken="$T/missing-policy.json"
	run_ocigate_raw --ocigate-policy "$broken" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" state "$CID"
	assert_status 0
	echo "$output" | jq -e --arg id "$CID" '.id == $id and .status == "created"'

	run_ocigate_raw --ocigate-policy "$broken" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" start "$CID"
	assert_status 0
	run_ocigate_raw --ocigate-policy "$broken" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" kill "$CID" KILL
	assert_status 0
	run_ocigate_raw --ocigate-policy "$broken" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" delete --force "$CID"
	assert_status 0
	run "$RUNC" --root "$ROOTDIR" state "$CID"
	[ "$status" -ne 0 ]
	# runc got exactly the argv the engine gave, minus ocigate's options
	grep -qx -- "--root $ROOTDIR kill $CID KILL" "$OG_SPY_LOG"
	grep -qx -- "--root $ROOTDIR delete --force $CID" "$OG_SPY_LOG"
}

@test "hardened fixture keeps its own, stricter limits and capabilities" {
	make_bundle hardened
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value NoNewPrivs)" = 1 ]
	# --cap-drop ALL --cap-add NET_BIND_SERVICE: only bit 10 in the bounding set
	[ "$(probe_value CapBnd)" = 0000000000000400 ] || { show_run; false; }
	[ "$(probe_value CapEff)" = 0000000000000000 ] || { show_run; false; }
	# --pids-limit 100 --memory 256m are below the policy maxima: kept
	[ "$(probe_value pids.max)" = 100 ] || { show_run; false; }
	[ "$(probe_value memory.limit_in_bytes)" = 268435456 ] || { show_run; false; }
	[ "$(probe_value rootfs)" = read-only ]
	[ "$(probe_value tmp)" = writable ]
	jq -e '.linux.resources.cpu.quota == 50000 and .process.user.uid == 1000' "$BUNDLE/config.json"
}

@test "limits above the policy maxima are clamped, unlimited ones get the default" {
	make_bundle default
	# 64G memory (max 16G), 100000 pids (max 32768), 16 CPUs (max 8)
	edit_config "$BUNDLE" '.linux.resources.memory.limit = 68719476736
		| .linux.resources.pids.limit = 100000
		| .linux.resources.cpu.quota = 1600000 | .linux.resources.cpu.period = 100000'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 32768 ] || { show_run; false; }
	[ "$(probe_value memory.limit_in_bytes)" = 17179869184 ] || { show_run; false; }
	jq -e '.linux.resources.cpu.quota == 800000' "$BUNDLE/config.json"

	make_bundle default
	edit_config "$BUNDLE" '.linux.resources.memory.limit = -1 | .linux.resources.pids.limit = 0'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 1024 ] || { show_run; false; }
	[ "$(probe_value memory.limit_in_bytes)" = 1073741824 ] || { show_run; false; }
}

@test "inherited fds reach the container (--preserve-fds)" {
	make_bundle default 'cat <&3'
	echo "through fd 3" >"$T/fd3"
	record_container "$ROOTDIR" "$CID"
	run --separate-stderr timeout 60 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json \
		run --preserve-fds 1 --bundle "$BUNDLE" "$CID" 3<"$T/fd3" </dev/null
	assert_status 0
	[ "$output" = "through fd 3" ] || { show_run; false; }
}

@test "a hook that is not allowlisted is refused and never runs on the host" {
	make_bundle default
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", ("touch " + $f)]}]}' \
		--arg f "$T/hook-ran"
	refuse_check "$CID" '^ocigate: refused by policy: hooks: hook /bin/sh .*not on the hook allowlist'
	[ ! -e "$T/hook-ran" ]
}

@test "an allowlisted hook is rewritten to its resolved target and runs" {
	local sh
	sh=$(realpath /bin/sh)
	make_policy '.hooks.allow = [$sh]' --arg sh "$sh"
	ln -s /bin/sh "$T/sh-link"
	make_bundle default '/bin/true'
	edit_config "$BUNDLE" '.hooks = {"createRuntime": [{"path": $p, "args": ["sh", "-c", ("echo ran >" + $f)]}]}' \
		--arg p "$T/sh-link" --arg f "$T/hook-ran"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	jq -e --arg sh "$sh" '.hooks.createRuntime[0].path == $sh' "$BUNDLE/config.json"
	[ "$(cat "$T/hook-ran")" = ran ]
}

@test "a missing or null capabilities object does not give the container root's full set" {
	# runc keeps every capability of root when process.capabilities is absent/null
	make_bundle default
	edit_config "$BUNDLE" 'del(.process.capabilities)'
	run_ocigate "$CID" "$BUNDLE"
	assert_enforced_inside

	make_bundle default
	edit_config "$BUNDLE" '.process.capabilities = null'
	run_ocigate "$CID" "$BUNDLE"
	assert_enforced_inside
}

@test "null where Go reads false/unlimited: noNewPrivileges, root.readonly, resources" {
	make_bundle capall
	edit_config "$BUNDLE" '.process.noNewPrivileges = null | .root.readonly = null
		| .linux.resources.pids = null | .linux.resources.memory = {"limit": null}'
	run_ocigate "$CID" "$BUNDLE"
	assert_enforced_inside

	# (linux.resources = null as a whole is not tried: with the privileged
	# fixture runc alone then denies /dev/null and cannot start anything)
	make_bundle capall
	edit_config "$BUNDLE" '.linux.resources.memory = null | .linux.resources.pids = {"limit": null}'
	run_ocigate "$CID" "$BUNDLE"
	assert_enforced_inside
}

@test "an audit log that cannot be written refuses the start (fail closed)" {
	make_policy '.audit.log = $a' --arg a "$T/audit-is-a-dir"
	mkdir "$T/audit-is-a-dir"
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 1
	assert_log_error "audit log $(re_quote "$T/audit-is-a-dir")"
	assert_runtime_not_started "$CID"
}

@test "a runtime that cannot be executed is reported, not silently skipped" {
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$T/no-such-runc" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	assert_status 1
	assert_log_error "cannot execute the runtime $(re_quote "$T/no-such-runc")"
}
