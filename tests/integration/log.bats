#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# How a refusal reaches the engine: runc-format lines in --log (json or
# logrus text), or plain text on stderr when there is no --log.

# shellcheck disable=SC2016,SC2154
load helpers

hostile_bundle() {
	make_bundle default
	add_mount "$BUNDLE" '{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind", "ro"]}'
	record_container "$ROOTDIR" "$CID"
}

@test "--log-format json: one runc-format JSON line appended, earlier lines kept" {
	hostile_bundle
	local earlier='{"level":"warning","msg":"an earlier line","time":"2020-01-01T00:00:00Z"}'
	echo "$earlier" >"$BUNDLE/log.json"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	assert_status 1
	[ -z "$output" ] && [ -z "$stderr" ]
	[ "$(wc -l <"$BUNDLE/log.json")" -eq 2 ]
	[ "$(head -n1 "$BUNDLE/log.json")" = "$earlier" ]
	assert_log_error '^ocigate: refused by policy: mounts: bind mount of / exposes the sensitive host tree /$'
	# exactly the three keys runc writes
	last_log_line | jq -e 'keys == ["level", "msg", "time"]'
}

@test "--log-format text: a logrus-style level=error msg=\"ocigate: ...\" line" {
	hostile_bundle
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format text run --bundle "$BUNDLE" "$CID"
	assert_status 1
	[ -z "$output" ] && [ -z "$stderr" ]
	[ "$(wc -l <"$BUNDLE/log.json")" -eq 1 ]
	grep -Eq '^time="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?(Z|[+-][0-9:]{5})" level=error msg="ocigate: refused by policy: mounts: bind mount of / exposes the sensitive host tree /"$' \
		"$BUNDLE/log.json" || { cat "$BUNDLE/log.json"; false; }
	assert_runtime_not_started "$CID"
}

@test "--log-format=text (= form) is honoured too" {
	hostile_bundle
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log="$BUNDLE/log.json" --log-format=text run --bundle "$BUNDLE" "$CID"
	assert_status 1
	grep -q '^time=".*" level=error msg="ocigate: refused by policy: mounts: ' "$BUNDLE/log.json"
}

@test "no --log: the message goes to stderr, nothing to stdout" {
	hostile_bundle
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		run --bundle "$BUNDLE" "$CID"
	assert_status 1
	[ -z "$output" ]
	[ "$stderr" = "ocigate: refused by policy: mounts: bind mount of / exposes the sensitive host tree /" ] ||
		{ show_run; false; }
	[ ! -e "$BUNDLE/log.json" ]
	assert_runtime_not_started "$CID"
}

@test "quotes, backslashes and newlines in the message stay well-formed" {
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	local weird=$'/no/such "dir"\\with\nnewline'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$weird" '{destination: "/x", type: "bind", source: $s, options: ["rbind"]}')"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 1
	assert_log_error 'bind source'
	last_log_line | jq -e --arg s "$weird" '.msg | contains($s)'
	[ "$(wc -l <"$BUNDLE/log.json")" -eq 1 ]

	rm "$BUNDLE/log.json"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format text run --bundle "$BUNDLE" "$CID"
	assert_status 1
	[ "$(wc -l <"$BUNDLE/log.json")" -eq 1 ]
	# as logrus writes it (Go's %q): the newline as \n
	grep -qF 'bind source /no/such \"dir\"\\with\nnewline cannot be resolved' "$BUNDLE/log.json" ||
		{ cat "$BUNDLE/log.json"; false; }
}

@test "an unwritable --log falls back to stderr" {
	hostile_bundle
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/no/such/dir/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	assert_status 1
	[ -z "$output" ]
	[[ $stderr == "ocigate: refused by policy: mounts: "* ]] || { show_run; false; }
	assert_runtime_not_started "$CID"
}
