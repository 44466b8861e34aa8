#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The command line read as runc 1.1.5 reads it (issue 19, items 1, 2, 7 and
# restore): exec --user numbers as runc casts them, the container id where
# urfave/cli puts it (after "--" too), ids runc refuses refused before
# anything is done for them, audit records and log lines that a strict
# reader accepts whatever bytes came in, and restore refused unless the
# policy allows it.

# shellcheck disable=SC2016,SC2154
load helpers

setup() {
	og_setup
	# a user namespace's root must walk to the staged rootfs (bats' temp
	# dirs are 0700)
	STATE=$(mktemp -d /tmp/ocigate-argv-XXXXXX)
	chmod 711 "$STATE"
}

teardown() {
	og_teardown
	# ranges and staged mounts of containers deleted behind ocigate's back
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null 2>&1 || true
	awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | xargs -r umount -l 2>/dev/null
	rm -rf "$STATE"
	return 0
}

# restricted_policy [JQ_FILTER]: the shipped restricted profile (uid 0 is
# refused without a user namespace), its audit log in $AUDIT.
restricted_policy() {
	grep -v '^[[:space:]]*//' "$PROFILES/restricted.json" |
		jq --arg dir "$PROFILES" --arg audit "$AUDIT" '
			.audit.log = $audit
			| if (.seccomp.default_profile? // "/") | startswith("/") then .
			else .seccomp.default_profile = $dir + "/" + .seccomp.default_profile end
			| '"${1:-.}" >"$POLICY"
	jq -e '.process.run_as_non_root == true' "$POLICY" >/dev/null
}

# start_sleeper [JQ_FILTER]: a detached container (uid 1000) started
# through ocigate; sets BUNDLE and CID.
start_sleeper() {
	make_bundle default 'sleep 60'
	edit_config "$BUNDLE" ".process.user.uid = 1000 | .process.user.gid = 1000 | ${1:-.}"
	run_detached --ocigate-state-dir "$STATE"
}

# og_exec ARGS...: `ocigate exec ARGS` with its log in $T/log.json.
og_exec() {
	rm -f "$T/log.json"
	run --separate-stderr timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--ocigate-state-dir "$STATE" --root "$ROOTDIR" --log "$T/log.json" --log-format json exec "$@" </dev/null
}

# strict_json FILE: every line of FILE is valid UTF-8 and a JSON object.
strict_json() {
	"$PYTHON" -c '
import json, sys
with open(sys.argv[1], "rb") as f:
    for n, raw in enumerate(f, 1):
        line = raw.decode("utf-8", errors="strict")
        if not isinstance(json.loads(line), dict):
            sys.exit("line %d is not an object" % n)
' "$1"
}

@test "exec --user: a uid that wraps to 0 in runc's uint32 cast is refused, not run as root" {
	restricted_policy
	start_sleeper
	og_exec --user 1000 "$CID" id -u
	assert_status 0
	[ "$output" = 1000 ] || { show_run; false; }
	og_exec --user 0 "$CID" id -u
	assert_status 1
	for u in 4294967296 --user=-4294967296:0 4294967296:0 --user=4294967296 -u=8589934592 +4294967296; do
		if [[ $u == -*=* ]]; then og_exec "$u" "$CID" id -u; else og_exec --user "$u" "$CID" id -u; fi
		[ "$output" != 0 ] || { show_run; fail "--user $u ran as uid 0 inside"; }
		assert_status 1
		assert_log_error "exec --user: uid .* is out of range: runc casts it to 32 bits and would use uid 0" "$T"
	done
	# the gid and additional gids are cast the same way
	og_exec --user 1000:4294967296 "$CID" id -g
	[ "$output" != 0 ] || { show_run; fail "ran with gid 0"; }
	assert_log_error "exec --user: gid 4294967296 is out of range" "$T"
	og_exec --user 1000 -g 4294967296 "$CID" id -G
	[[ " $output " != *" 0 "* ]] || { show_run; fail "ran with supplementary group 0"; }
	assert_log_error "exec --additional-gids: gid 4294967296 is out of range" "$T"
	# a spelling Go reads like ocigate is fine
	og_exec --user +01000 "$CID" id -u
	assert_status 0
	[ "$output" = 1000 ]
}

@test "exec -- ID cmd ... X: the exec is judged and audited for ID (runc's first argument), not X" {
	restricted_policy
	# the decoy runs in a user namespace ocigate staged: root there is not
	# host root; the victim has none
	restricted_policy '.user_namespace.mode = "required"'
	start_sleeper
	local decoy=$CID
	restricted_policy
	start_sleeper
	local victim=$CID
	og_exec --user 0 "$decoy" id -u
	assert_status 0
	[ "$output" = 0 ]
	og_exec --user 0 -- "$victim" sh -c 'id -u' "$decoy"
	[[ $output != 0* ]] || { show_run; fail "root exec ran in $victim (judged as $decoy)"; }
	assert_status 1
	assert_log_error "run as root" "$T"
	tail -n1 "$AUDIT" | jq -e --arg id "$victim" '.event == "refuse" and .id == $id' >/dev/null ||
		fail "audit record does not name $victim: $(tail -n1 "$AUDIT")"
	# an allowed exec after -- is recorded under the container it ran in
	og_exec -- "$victim" sh -c 'echo "$HOSTNAME"; id -u' "$decoy"
	assert_status 0
	[ "$(tail -n1 <<<"$output")" = 1000 ]
	tail -n1 "$AUDIT" | jq -e --arg id "$victim" '.event == "exec" and .id == $id' >/dev/null ||
		fail "audit record does not name $victim: $(tail -n1 "$AUDIT")"
}

@test "the container id where urfave/cli puts it: flags after the id, --, and readings runc builds disagree on" {
	make_bundle default 'true'
	local id=$CID
	record_container "$ROOTDIR" "$id"
	# flags after the id move in front of it (run reorders)
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/log.json" --log-format json run "$id" --bundle "$BUNDLE"
	assert_status 0
	tail -n1 "$AUDIT" | jq -e --arg id "$id" '.event == "create" and .id == $id' >/dev/null
	# "create ID --bundle -": urfave/cli 1.22.1 (upstream runc 1.1.5) takes
	# ID as the bundle and "-" as the id, 1.22.9 (Debian's) the reverse
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/log.json" --log-format json create "$id-2" --bundle -
	assert_status 1
	assert_log_error "ambiguous command line: runc would read $id-2 as the value of --bundle" "$T"
	[ ! -s "$OG_SPY_LOG" ] || grep -qv -- "$id-2" "$OG_SPY_LOG"
	# a command line runc stops at is refused, with runc's words
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/log.json" --log-format json create --bundle "$BUNDLE" "$id-3" extra
	assert_status 1
	assert_log_error 'create: runc: "create" requires exactly 1 argument\(s\)' "$T"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/log.json" --log-format json exec --preserve-fds 0x10 "$id" true
	assert_status 1
	assert_log_error "runc reads --preserve-fds 0x10 as 16" "$T"
}

@test "ids runc refuses are refused before anything is allocated; a .-leading id runc accepts still runs" {
	make_policy '.user_namespace.mode = "if-possible"'
	make_bundle default 'true'
	local bad
	for bad in $'x\n1' 'a/b' '..' '.' 'a b' $'\xff' "$(printf 'a%.0s' {1..256})" 'x:y'; do
		run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
			--root "$ROOTDIR" --log "$T/log.json" --log-format json create --bundle "$BUNDLE" -- "$bad"
		assert_status 1
		assert_log_error '^ocigate: invalid container id "[^"]*": runc accepts only letters, digits and the characters \+ , - \. _' "$T"
		tail -n1 "$AUDIT" | jq -e '.event == "error"' >/dev/null
	done
	[ ! -s "$OG_SPY_LOG" ] || { cat "$OG_SPY_LOG"; fail "the runtime was started"; }
	# nothing allocated, nothing staged
	# the host-wide caches (compiled policy, kernel audit status) are not a container's
	[ -z "$(find "$STATE" -mindepth 1 -not -path '*/policy-cache*' -not -name kaudit-status 2>/dev/null)" ] ||
		{ find "$STATE"; fail "state left behind for a refused id"; }
	strict_json "$AUDIT"
	# runc's own rules: "+", "-" and "..." are fine, and so is ".a" (","
	# too for runc 1.1.5, not for 1.3.6: this suite runs on both)
	CID=".a+b-c-$$"
	edit_config "$BUNDLE" '.linux.cgroupsPath = $p' --arg p "/ocigate-test-$CID"
	make_policy
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	tail -n1 "$AUDIT" | jq -e --arg id "$CID" '.event == "create" and .id == $id' >/dev/null
}

@test "audit records and log lines stay valid UTF-8 JSON: a bundle path, --cap and --env with byte 0xff" {
	start_sleeper
	og_exec --cap $'CAP_\xff' --env $'\xffX=1' --env $'A=\xfe' "$CID" true
	assert_status 0
	tail -n1 "$AUDIT" | jq -e '.event == "exec"' >/dev/null
	og_exec --env $'AWS_SECRET_ACCESS_KEY\xff=x' --cap $'CAP_SYS_ADMIN\xff' "$CID" true
	# a bundle whose path is not UTF-8: its record (the config cannot be
	# written back with a path runc would read as U+FFFD) names it readably
	make_bundle default 'true'
	mv "$BUNDLE" "$T/bundle"$'\xff'
	BUNDLE="$T/bundle"$'\xff'
	edit_config "$BUNDLE" '.root.path = "rootfs"'
	run_ocigate "$CID-b" "$BUNDLE"
	tail -n1 "$AUDIT" | jq -e --arg b "$T/bundle"$'\xef\xbf\xbd' '.id == "'"$CID-b"'" and .bundle == $b' >/dev/null
	strict_json "$AUDIT"
	[ "$(wc -l <"$AUDIT")" -ge 4 ]
	# the runc-format log: a refusal whose message carries the odd bytes
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/log.json" --log-format json create --bundle "$T/no"$'\xff\x01' "$CID-x"
	assert_status 1
	strict_json "$T/log.json"
	strict_json "$AUDIT"
	assert_log_error "config.json of bundle .*/no"$'\xef\xbf\xbd\x01' "$T"
}

@test "--log-format text: the message quoted as logrus (Go's %q) quotes it, one line whatever the bytes" {
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/log.txt" --log-format text create --bundle "$T/a"$'\t\x1b[31m\n"\\\xff\u202e' x1
	assert_status 1
	[ "$(wc -l <"$T/log.txt")" = 1 ] || { cat -A "$T/log.txt"; false; }
	! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$T/log.txt" || { cat -A "$T/log.txt"; fail "raw control bytes"; }
	local want
	want="msg=\"ocigate: config.json of bundle $T/a\\t\\x1b[31m\\n\\\"\\\\\\xff\\u202e: "
	grep -qF -- "$want" "$T/log.txt" || { cat -A "$T/log.txt"; fail "expected $want"; }
	grep -Eq '^time="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" level=error msg="ocigate: .*"$' "$T/log.txt"
}

@test "restore: refused by default (the image decides the credentials); allowed by the policy key, its own flags judged" {
	make_bundle default 'true'
	local before audit_before
	before=$(sha "$BUNDLE/config.json")
	audit_before=$(audit_lines)
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json restore --image-path "$T/img" --bundle "$BUNDLE" "$CID"
	assert_refused "$CID" "$before" "$audit_before" \
		'^ocigate: refused by policy: restore: restore is not allowed: the checkpoint image, which ocigate cannot judge, decides'
	# the shipped profiles all say so explicitly
	for p in default baseline restricted; do
		grep -v '^[[:space:]]*//' "$PROFILES/$p.json" | jq -e '.restore.allow == false' >/dev/null
	done

	make_policy '.restore.allow = true'
	local flags
	for flags in "--manage-cgroups-mode full" "--manage-cgroups-mode=strict" "--empty-ns ipc" "--ext-unix-sk" \
		"--ext-unix-sk=true" "--lsm-profile bogus:x" "--lsm-mount-context system_u:object_r:x:s0"; do
		# shellcheck disable=SC2086
		run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
			--log "$BUNDLE/log.json" --log-format json restore $flags --image-path "$T/img" --bundle "$BUNDLE" "$CID"
		assert_status 1
		assert_log_error '^ocigate: refused by policy: restore: ' "$BUNDLE"
		assert_runtime_not_started "$CID"
	done
	# allowed: judged like create, then handed to runc (which has no CRIU
	# image to restore here: the call reaches it, with the judged config)
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json restore --empty-ns network --ext-unix-sk=false \
		--manage-cgroups-mode soft --image-path "$T/img" --bundle "$BUNDLE" "$CID"
	grep -q -- "restore --empty-ns network --ext-unix-sk=false --manage-cgroups-mode soft" "$OG_SPY_LOG" ||
		{ show_run; fail "runc was not called"; }
	tail -n1 "$AUDIT" | jq -e --arg id "$CID" '.event == "create" and .command == "restore" and .id == $id' >/dev/null
	jq -e '.process.capabilities.bounding | index("CAP_SYS_ADMIN") | not' "$BUNDLE/config.json" >/dev/null
}
