#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# ocigatectl check's three outputs (grouped for people, --verbose, --json),
# its exit statuses, its output file and input handling; ocigatectl audit
# (filters, time ranges, summary, rotated files, follow mode); the example
# output that ocigatectl(8) shows.

# shellcheck disable=SC2016,SC2154
load helpers

setup() {
	og_setup
	NOOP="$T/noop"
	printf '#!/bin/sh\nexit 0\n' >"$NOOP"
	chmod 755 "$NOOP"
}

# create ID: `ocigate create` of $BUNDLE with a runtime that does nothing
# (records an audit line, starts nothing).
create() {
	# the container's cgroup must be named after it (the cgroups rule)
	edit_config "$BUNDLE" '.linux.cgroupsPath = $p' --arg p "/ocigate-test-$1"
	run --separate-stderr "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$NOOP" \
		--ocigate-state-dir "$T/st" --root "$T/root" --log "$T/log.json" create --bundle "$BUNDLE" "$1" </dev/null
}

# ---------------------------------------------------------------------------
# check

@test "check: one line per rule and kind of change, with counts and the first items" {
	make_bundle privileged
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0
	[ "${lines[-1]}" = allowed ]
	# the device nodes the policy removes, as --json lists them
	local n first
	n=$("$OCIGATECTL" check --json --policy "$POLICY" "$BUNDLE/config.json" |
		jq '[.decisions[] | select(.rule == "devices" and (.path | startswith("linux.devices[")) and .after == null)
			| .before | fromjson | .path] | unique | length')
	first=$("$OCIGATECTL" check --json --policy "$POLICY" "$BUNDLE/config.json" |
		jq -r '[.decisions[] | select(.rule == "devices" and (.path | startswith("linux.devices[")))][0].before | fromjson | .path')
	[ "$n" -gt 50 ]
	grep -Eq "^devices +removed +$n host device nodes \\($(re_quote "$first"), [^ ]+, [^ ]+, … \\+$((n - 3))\\)$" <<<"$output" ||
		{ show_run; fail "no grouped devices line for $n nodes"; }
	grep -Eq '^capabilities +removed +[0-9]+ capabilities \(CAP_[A-Z_]+, CAP_[A-Z_]+, CAP_[A-Z_]+, … \+[0-9]+\)$' <<<"$output" ||
		{ show_run; fail "no grouped capabilities line"; }
	grep -Eq '^rootfs +added +3 in mounts \(/tmp, /run, /var/tmp\)$' <<<"$output" || { show_run; fail "no tmpfs line"; }
	grep -Eq '^no_new_privileges +(set|changed) +process.noNewPrivileges: no_new_privileges is required$' <<<"$output" ||
		{ show_run; fail "no no_new_privileges line"; }
	# one screen, not one line per decision, and no before/after lines
	[ "${#lines[@]}" -lt 30 ] || { show_run; fail "${#lines[@]} lines"; }
	! grep -Eq '^ +(before|after):' <<<"$output" || { show_run; fail "before/after lines without --verbose"; }
	# not on a terminal: no colour
	! grep -q $'\033' <<<"$output" || { show_run; fail "colour without a terminal"; }
}

@test "check --verbose: every decision with its before and after values" {
	make_bundle privileged
	local n
	n=$("$OCIGATECTL" check --json --policy "$POLICY" "$BUNDLE/config.json" | jq '.decisions | length')
	run --separate-stderr "$OCIGATECTL" check --verbose --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0
	[ "$(grep -Ec '^(mutate|refuse|audit) ' <<<"$output")" -eq "$n" ] || { show_run; fail "not $n decision lines"; }
	grep -Eq '^mutate +devices +linux.devices\[[0-9]+\]: device /dev/kvm \(c 10:232\) is not in the default set or devices.allow$' <<<"$output"
	grep -Fxq '        before: {"path":"/dev/kvm","type":"c","major":10,"minor":232,"fileMode":384,"uid":0,"gid":0}' <<<"$output"
	grep -Eq '^mutate +rootfs +root.readonly: the root filesystem must be read-only$' <<<"$output"
	grep -Fxq '        after:  true' <<<"$output"
	[ "${lines[-1]}" = allowed ]
}

@test "check --json: one document whose decisions are the audit log's objects" {
	make_bundle sock
	run --separate-stderr "$OCIGATECTL" check --json --policy "$POLICY" --id "$CID" "$BUNDLE/config.json"
	assert_status 1
	jq -e --arg p "$POLICY" --arg c "$BUNDLE/config.json" --arg sha "$(sha "$POLICY")" '
		.verdict == "refused" and .policy == $p and .config == $c and .policy_sha256 == $sha and .mode == "enforce"
		and (.decisions | length > 0)
		and all(.decisions[]; (keys == ["action", "after", "before", "path", "reason", "rule"])
			and (.action | IN("mutate", "refuse", "audit"))
			and ((.before, .after) | . == null or (type == "string" and (fromjson | true))))
		and any(.decisions[]; .action == "refuse" and .rule == "mounts")' <<<"$output" ||
		{ show_run; fail "not the documented document"; }
	# the same objects ocigate records for the same config and id
	local ctl=$output
	create "$CID"
	assert_status 1
	diff <(jq -S .decisions <<<"$ctl") <(tail -n1 "$AUDIT" | jq -S .decisions)
	# allowed
	make_bundle default
	run --separate-stderr "$OCIGATECTL" check --json --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0
	jq -e '.verdict == "allowed"' <<<"$output"
}

@test "check: exit status 0 allowed, 1 refused, 2 error" {
	make_bundle default
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0
	[ "${lines[-1]}" = allowed ]
	make_bundle sock
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 1
	[ "${lines[-1]}" = refused ]
	grep -Eq '^mounts +refused +mounts\[[0-9]+\]\.source: bind mount of / exposes the sensitive host tree /$' <<<"$output" ||
		{ show_run; fail "a refusal is not shown whole"; }
	# errors: no such config, an invalid policy, a usage error
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$T/missing.json"
	assert_status 2
	[[ $stderr == "ocigatectl: cannot open $T/missing.json: No such file or directory" ]] || { show_run; false; }
	make_policy '.capabilities.alow = 1'
	run --separate-stderr "$OCIGATECTL" check --json --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 2
	[ -z "$output" ]
	run --separate-stderr "$OCIGATECTL" check --no-such-flag "$BUNDLE/config.json"
	assert_status 2
	[[ $stderr == *"usage: ocigatectl check"* ]] || { show_run; false; }
}

@test "check: colour only on a terminal, and not with NO_COLOR" {
	make_bundle sock
	run script -qec "'$OCIGATECTL' check --policy '$POLICY' '$BUNDLE/config.json'" /dev/null
	grep -q $'\033\[1;31mrefused' <<<"$output" || { show_run; fail "no colour on a terminal"; }
	run script -qec "NO_COLOR=1 '$OCIGATECTL' check --policy '$POLICY' '$BUNDLE/config.json'" /dev/null
	! grep -q $'\033' <<<"$output" || { show_run; fail "colour with NO_COLOR"; }
	run script -qec "'$OCIGATECTL' check --json --policy '$POLICY' '$BUNDLE/config.json'" /dev/null
	! grep -q $'\033' <<<"$output" || { show_run; fail "colour in JSON"; }
}

@test "check --output: a symlink planted at the output is replaced, the file it points to is untouched" {
	make_bundle default
	mkdir -p "$T/untrusted"
	echo 'root-only secret' >"$T/victim"
	chmod 0600 "$T/victim"
	ln -s "$T/victim" "$T/untrusted/out.json"
	local before
	before=$(sha "$T/victim")
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" --output "$T/untrusted/out.json" "$BUNDLE/config.json"
	assert_status 0
	[ "$(sha "$T/victim")" = "$before" ] || fail "the symlink's target was overwritten"
	[ -f "$T/untrusted/out.json" ]
	[ ! -L "$T/untrusted/out.json" ]
	jq -e '.root.readonly == true' "$T/untrusted/out.json"
	# a dangling link is not followed either (no file created at its target)
	ln -s "$T/created-through-link" "$T/untrusted/out2.json"
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" --output "$T/untrusted/out2.json" "$BUNDLE/config.json"
	assert_status 0
	[ ! -e "$T/created-through-link" ]
	[ -f "$T/untrusted/out2.json" ]
	[ ! -L "$T/untrusted/out2.json" ]
	# no temporary file left behind
	[ "$(find "$T/untrusted" -name '.*' -type f | wc -l)" -eq 0 ]
	# a directory that cannot be written: an error, nothing else touched
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" --output "$T/nodir/out.json" "$BUNDLE/config.json"
	assert_status 2
	[[ $stderr == "ocigatectl: output $T/nodir/out.json: cannot open directory $T/nodir"* ]] || { show_run; false; }
}

@test "check: a FIFO as the config is refused at once, not waited on" {
	mkfifo "$T/config.json"
	local start=$SECONDS
	run --separate-stderr timeout 10 "$OCIGATECTL" check --policy "$POLICY" "$T/config.json"
	assert_status 2
	[ $((SECONDS - start)) -lt 5 ]
	[ "$stderr" = "ocigatectl: $T/config.json is not a regular file" ] || { show_run; false; }
	# the same for audit --log
	run --separate-stderr timeout 10 "$OCIGATECTL" audit --log "$T/config.json"
	assert_status 2
	[ "$stderr" = "ocigatectl: audit log $T/config.json is not a regular file" ] || { show_run; false; }
}

# ---------------------------------------------------------------------------
# audit

# three real records: web-1 allowed, web-2 refused (binds / and the docker
# socket), db-1 allowed (privileged)
three_records() {
	make_bundle default
	create web-1
	assert_status 0
	make_bundle sock
	create web-2
	assert_status 1
	make_bundle privileged
	create db-1
	assert_status 0
	[ "$(audit_lines)" -eq 3 ]
}

@test "audit: one line per record; --id (a prefix), --event, --rule and --action select" {
	three_records
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT"
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || { show_run; false; }
	[[ ${lines[0]} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\ \ create\ \ web-1\ +[0-9]+\ changed ]] || { show_run; false; }
	[[ ${lines[1]} == *"  refuse  web-2  "*" "[1-9]*" refused"*": refused by policy: mounts: "*"(and "*" more)" ]] || { show_run; false; }

	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --id web
	[ "${#lines[@]}" -eq 2 ] && [[ ${lines[0]} == *" web-1 "* && ${lines[1]} == *" web-2 "* ]] || { show_run; false; }
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --id web-2 --event create
	assert_status 0
	[ -z "$output" ]
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --event refuse --json
	[ "$(jq -s 'map(.id)' <<<"$output" | jq -c .)" = '["web-2"]' ] || { show_run; false; }
	# --rule keeps the records with such a decision, and only those decisions
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --rule devices --json
	jq -s -e 'map(.id) == ["db-1"] and all(.[].decisions[]; .rule == "devices") and (.[0].decisions | length > 50)' <<<"$output" ||
		{ show_run; false; }
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --action refuse --json
	jq -s -e 'map(.id) == ["web-2"] and all(.[].decisions[]; .action == "refuse") and (.[0].decisions | length >= 2)' <<<"$output" ||
		{ show_run; false; }
	# --verbose: the decisions under their record
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --id web-2 --action refuse --verbose
	grep -Eq '^    refuse +mounts +mounts\[[0-9]+\]\.source: bind mount of / exposes the sensitive host tree /$' <<<"$output" ||
		{ show_run; false; }
	# --json is the records themselves
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --json
	diff <(jq -S -s . <<<"$output") <(jq -S -s . "$AUDIT")
	# bad values are usage errors
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --event started
	assert_status 2
	[[ $stderr == *"unknown --event"* ]] || { show_run; false; }
}

@test "audit --since/--until: RFC 3339 times, dates and ages" {
	local recent
	recent=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
	for t in 2026-01-01T00:00:00Z 2026-06-01T12:00:00Z "$recent"; do
		jq -nc --arg t "$t" '{time: $t, event: "create", command: "create", id: ("c-" + $t), decisions: []}'
	done >"$T/log"
	count() { run --separate-stderr "$OCIGATECTL" audit --log "$T/log" "$@"; assert_status 0; echo "${#lines[@]}"; }
	[ "$(count --since 2026-03-01)" -eq 2 ]
	[ "$(count --until 2026-03-01T00:00:00Z)" -eq 1 ]
	[ "$(count --since 2026-01-01T00:00:00Z --until 2026-06-01T12:00:00Z)" -eq 2 ]
	# an offset: 14:00+02:00 is 12:00Z
	[ "$(count --since 2026-06-01T14:00:01+02:00)" -eq 1 ]
	[ "$(count --since 2026-06-01T14:00:00+02:00)" -eq 2 ]
	[ "$(count --since 2h)" -eq 1 ]
	[ "$(count --since 30m)" -eq 0 ]
	[ "$(count --since 3650d)" -eq 3 ]
	run --separate-stderr "$OCIGATECTL" audit --log "$T/log" --since yesterday
	assert_status 2
	[[ $stderr == *"--since: not a time: yesterday"* ]] || { show_run; false; }
}

@test "audit --summary: what the policy did per rule and per container" {
	three_records
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --summary
	assert_status 0
	[[ ${lines[0]} =~ ^3\ records\ from\ .*:\ create\ 2,\ refuse\ 1$ ]] || { show_run; false; }
	local devices
	devices=$(jq -s '[.[].decisions[] | select(.rule == "devices" and .action == "mutate")] | length' "$AUDIT")
	grep -Eq "^devices +$devices +0 +0 +1$" <<<"$output" || { show_run; fail "no devices row with $devices"; }
	grep -Eq '^mounts +[0-9]+ +[1-9][0-9]* +0 +[0-9]+$' <<<"$output" || { show_run; false; }
	grep -Eq '^web-2 +0 +0 +0 +1 +0 ' <<<"$output" || { show_run; false; }
	grep -Eq '^db-1 +1 +0 +0 +0 +0 ' <<<"$output" || { show_run; false; }
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --summary --json
	jq -e --argjson d "$devices" '.records == 3 and .events.create == 2 and .events.refuse == 1
		and (.rules[] | select(.rule == "devices") | .actions.mutate == $d and .containers == 1)
		and (.containers | map(.id) == ["web-1", "web-2", "db-1"])
		and (.containers[1].actions.refuse >= 2)' <<<"$output" || { show_run; false; }
	# a summary of a selection: refusals in the last day
	run --separate-stderr "$OCIGATECTL" audit --log "$AUDIT" --summary --json --since 1d --action refuse
	jq -e '.records == 1 and (.rules | map(.rule) == ["mounts"]) and (.containers | map(.id) == ["web-2"])' <<<"$output" ||
		{ show_run; false; }
}

@test "audit --rotated: audit.log.2.gz, audit.log.1 and audit.log, oldest first; a torn line is counted" {
	for i in 1 2 3 4; do
		jq -nc --arg id "r$i" '{time: "2026-01-01T00:00:00Z", event: "create", command: "create", id: $id, decisions: []}'
	done >"$T/all"
	sed -n 1p "$T/all" | gzip >"$T/audit.log.2.gz"
	sed -n 2p "$T/all" >"$T/audit.log.1"
	sed -n '3,4p' "$T/all" >"$T/audit.log"
	printf '{"time":"2026-01-01T00:00:00Z","ev' >>"$T/audit.log"
	run --separate-stderr "$OCIGATECTL" audit --log "$T/audit.log" --json
	assert_status 0
	[ "$(jq -s -c 'map(.id)' <<<"$output")" = '["r3","r4"]' ] || { show_run; false; }
	[ "$stderr" = "ocigatectl: audit: 1 unreadable line skipped (a torn record or not JSON)" ] || { show_run; false; }
	run --separate-stderr "$OCIGATECTL" audit --log "$T/audit.log" --rotated --json
	assert_status 0
	[ "$(jq -s -c 'map(.id)' <<<"$output")" = '["r1","r2","r3","r4"]' ] || { show_run; false; }
	# a broken compressed file is an error, named
	echo 'not gzip' >"$T/audit.log.3.gz"
	run --separate-stderr "$OCIGATECTL" audit --log "$T/audit.log" --rotated
	assert_status 2
	[[ $stderr == *"could not decompress $T/audit.log.3.gz"* ]] || { show_run; false; }
}

@test "audit -f: follows appended records, across a rotation and a truncation" {
	rec() { jq -nc --arg id "$1" '{time: "2026-01-01T00:00:00Z", event: "create", command: "create", id: $id, decisions: []}'; }
	rec f1 >"$T/audit.log"
	timeout 6 "$OCIGATECTL" audit -f --log "$T/audit.log" --json >"$T/out" 2>"$T/err" &
	local pid=$!
	sleep 0.7
	# a record written in two pieces is read once it is whole
	rec f2 | head -c 20 >>"$T/audit.log"
	sleep 0.5
	rec f2 | tail -c +21 >>"$T/audit.log"
	sleep 0.5
	# logrotate's default: rename, then a new file
	mv "$T/audit.log" "$T/audit.log.1"
	rec f3 >>"$T/audit.log.1"
	sleep 0.5
	rec f4 >"$T/audit.log"
	sleep 0.7
	# copytruncate
	: >"$T/audit.log"
	sleep 0.5
	rec f5 >>"$T/audit.log"
	sleep 0.7
	local status=0
	wait "$pid" || status=$?
	[ "$status" -eq 124 ] || fail "audit -f ended by itself (status $status): $(cat "$T/err")"
	[ "$(jq -s -c 'map(.id)' "$T/out")" = '["f1","f2","f3","f4","f5"]' ] || fail "followed: $(cat "$T/out") $(cat "$T/err")"
	[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
	# --follow with --summary makes no sense: a usage error
	run --separate-stderr "$OCIGATECTL" audit -f --summary --log "$T/audit.log"
	assert_status 2
}

@test "audit: the log is the policy's audit.log unless --log says otherwise" {
	make_bundle default
	create pol-1
	assert_status 0
	run --separate-stderr "$OCIGATECTL" audit --policy "$POLICY"
	assert_status 0
	[[ ${lines[0]} == *"  create  pol-1  "* ]] || { show_run; false; }
	make_policy 'del(.audit.log)'
	run --separate-stderr "$OCIGATECTL" audit --policy "$POLICY"
	assert_status 2
	[[ $stderr == "ocigatectl: policy $POLICY writes no audit log (no audit.log key): use --log FILE" ]] || { show_run; false; }
	run --separate-stderr "$OCIGATECTL" audit --log "$T/none.log"
	assert_status 2
	[[ $stderr == "ocigatectl: cannot open audit log $T/none.log: No such file or directory" ]] || { show_run; false; }
}

# ---------------------------------------------------------------------------
# the man page's examples

# man_example NAME [PAGE]: the lines between `.\" example NAME` and
# `.\" end` in PAGE (default ocigatectl.8), with roff's \-, \(dq and \e
# unescaped.
man_example() {
	sed -n "/^\\.\\\\\" example $1\$/,/^\\.\\\\\" end\$/p" "$BATS_TEST_DIRNAME/../../doc/${2:-ocigatectl.8}" |
		sed '1d;$d' | sed -e 's/\\-/-/g' -e 's/\\(dq/"/g' -e 's/\\e/\\/g'
}

@test "ocigatectl(8): the example output of check is what check prints" {
	local line n=0
	# the fixture as saved (its Docker state is not on this host), the
	# default profile with AppArmor absent (as here)
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$DOCKER_FIXTURES/privileged.config.json"
	assert_status 1
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		grep -Fxq -- "$line" <<<"$output" || { show_run; fail "the man page shows a line check does not print: $line"; }
		n=$((n + 1))
	done < <(man_example check)
	[ "$n" -ge 8 ]
}

@test "ocigatectl(8): the example output of audit is what audit prints" {
	local line n=0
	man_example audit-log >"$T/audit.log"
	[ -s "$T/audit.log" ]
	run --separate-stderr "$OCIGATECTL" audit --log "$T/audit.log" --id 4f1c
	assert_status 0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		grep -Fxq -- "$line" <<<"$output" || { show_run; fail "the man page shows a line audit does not print: $line"; }
		n=$((n + 1))
	done < <(man_example audit)
	[ "$n" -ge 2 ]
	run --separate-stderr "$OCIGATECTL" audit --log "$T/audit.log" --summary
	assert_status 0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		grep -Fxq -- "$line" <<<"$output" || { show_run; fail "the man page shows a line audit --summary does not print: $line"; }
		n=$((n + 1))
	done < <(man_example audit-summary)
}

@test "check and audit: control characters from a config or a log never reach the terminal raw" {
	make_bundle default
	# a device node whose path carries an OSC sequence (sets the terminal's
	# title, and worse on some terminals) and an id with an escape
	edit_config "$BUNDLE" '.linux.devices += [{"path": "/dev/x\u001b]0;pwned\u0007", "type": "c", "major": 1, "minor": 11}]'
	local esc=$'\033' bel=$'\007'
	for flags in "" --verbose; do
		run --separate-stderr "$OCIGATECTL" check $flags --policy "$POLICY" "$BUNDLE/config.json"
		assert_status 0
		[[ $output != *"$esc"* && $output != *"$bel"* ]] || { show_run; fail "check $flags printed a raw escape"; }
		[[ $output == *'/dev/x\x1b]0;pwned\x07'* ]] || { show_run; fail "check $flags does not show the escaped path"; }
	done
	# --json keeps the bytes, JSON-escaped
	"$OCIGATECTL" check --json --policy "$POLICY" "$BUNDLE/config.json" | grep -Fq '\u001b]0;pwned\u0007'
	jq -nc '{time: "2026-01-01T00:00:00Z", event: "refuse", command: "create", id: "a\u001b[2Jb",
		message: "refused by policy: x\u009b31m", decisions: [{rule: "mounts", action: "refuse", path: "mounts[0].source",
		before: "\"/x\u001b\"", after: null, reason: "r\u001bs"}]}' >"$T/log"
	for flags in "" --verbose --summary; do
		run --separate-stderr "$OCIGATECTL" audit $flags --log "$T/log"
		assert_status 0
		[[ $output != *"$esc"* && $output != *$'\302\233'* ]] || { show_run; fail "audit $flags printed a raw escape"; }
		[[ $output == *'a\x1b[2Jb'* ]] || { show_run; fail "audit $flags does not show the escaped id"; }
	done
	[[ $output == *'a\x1b[2Jb'* ]]
}

@test "ocigatectl(8): the example message of validate is what validate prints" {
	mkdir -p "$T/cwd"
	jq '.mounts.deny_socket = .mounts.deny_sockets' "$POLICY" >"$T/cwd/p.json"
	chmod 0644 "$T/cwd/p.json"
	cd "$T/cwd"
	run --separate-stderr "$OCIGATECTL" validate p.json
	assert_status 2
	[ "$stderr" = "$(man_example validate)" ] || { show_run; fail "man page: $(man_example validate)"; }
}

@test "ocigate(8): the example audit decision of an update is what ocigate records" {
	make_bundle default 'sleep 60'
	record_container "$ROOTDIR" "$CID"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null
	echo '{"pids":{"limit":-1}}' >"$T/res.json"
	run --separate-stderr timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" update --resources - "$CID" <"$T/res.json"
	assert_status 0
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$CID/pids.max")" = 32768 ]
	local want
	want=$(man_example update-decision ocigate.8 | tr '\n' ' ' | sed 's/ "/"/g; s/by  an/by an/; s/ *$//')
	jq -e . <<<"$want" >/dev/null || fail "the man page's example is not JSON: $want"
	tail -n1 "$AUDIT" | jq -e --argjson want "$want" '.event == "update" and any(.decisions[]; . == $want)' >/dev/null ||
		fail "no such decision: $want in $(tail -n1 "$AUDIT")"
}

@test "ocigate-policy(5): the example messages are what the loader prints" {
	# the page's messages name /etc/ocigate: here the files are in $T
	msg() { man_example "$1" ocigate-policy.5 | tr '\n' ' ' | sed "s| *\$||; s|/etc/ocigate/|$T/|"; }
	make_policy 'del(.hooks)'
	run --separate-stderr "$OCIGATECTL" validate "$T/policy.json"
	assert_status 2
	[ "$stderr" = "ocigatectl: $(msg missing-section)" ] || { show_run; fail "man page: $(msg missing-section)"; }
	make_policy '.namespaces.require = ["net"]'
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 2
	[ "$stderr" = "ocigatectl: $(msg namespace-type)" ] || { show_run; fail "man page: $(msg namespace-type)"; }
	# a typo in the seccomp profile, found when a config without a filter is checked
	jq '.syscalls[0].names += ["raed"]' "$PROFILES/seccomp.json" >"$T/seccomp.json"
	make_policy '.seccomp.default_profile = $s' --arg s "$T/seccomp.json"
	make_bundle default
	edit_config "$BUNDLE" 'del(.linux.seccomp)'
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 2
	[ "$stderr" = "ocigatectl: $(msg seccomp-syscall)" ] || { show_run; fail "man page: $(msg seccomp-syscall)"; }
}
