#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Bad input: every malformed, oversized or ambiguous config.json, every bad
# bundle and every bad policy is refused with a clear message in log.json,
# exit status 1, config.json untouched and runc never started.  Calls that
# do not start containers still reach runc when the policy is broken.

# shellcheck disable=SC2016,SC2154
load helpers

# bad_config_refused REGEX: $BUNDLE/config.json (already broken by the
# test) is refused as an error.
bad_config_refused() {
	refuse_check "$CID" "^ocigate: config\\.json of bundle $(re_quote "$BUNDLE"): $1" error
}

# put_text MARKER TEXT: replace the JSON string "MARKER" in config.json with
# TEXT, byte for byte (jq would re-encode it).
put_text() {
	local marker=$1 text=$2
	"$PYTHON" - "$BUNDLE/config.json" "$marker" "$text" <<'EOF'
import sys
path, marker, text = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
needle = ('"%s"' % marker).encode()
assert data.count(needle) == 1, "marker not found once"
data = data.replace(needle, text.encode("utf-8", "surrogateescape"))
open(path, "wb").write(data)
EOF
}

@test "malformed JSON" {
	make_bundle default
	head -c 500 "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
	bad_config_refused 'invalid json'
}

@test "trailing garbage after the document" {
	make_bundle default
	echo '{"x": 1}' >>"$BUNDLE/config.json"
	bad_config_refused 'invalid json'
}

@test "config.json of 40 MB (limit 32 MiB)" {
	make_bundle default
	# A valid document made huge with trailing whitespace: only its size is wrong.
	head -c 41943040 /dev/zero | tr '\0' ' ' >>"$BUNDLE/config.json"
	bad_config_refused '.*above the limit of 33554432'
}

@test "nesting deeper than 64 levels (an unknown field, which runc would ignore)" {
	make_bundle default
	local deep
	deep=$(printf '%.0s[' $(seq 100))1$(printf '%.0s]' $(seq 100))
	edit_config "$BUNDLE" '.x_deep = "DEEP"'
	put_text DEEP "$deep"
	bad_config_refused 'invalid json: nesting deeper than 64 levels'
}

@test "nesting well below the limit is fine" {
	# x_deep is no runtime-spec member: the fields rule would refuse it
	make_policy '.fields.allow = ["x_deep"]'
	make_bundle default
	local deep
	deep=$(printf '%.0s[' $(seq 40))1$(printf '%.0s]' $(seq 40))
	edit_config "$BUNDLE" '.x_deep = "DEEP"'
	put_text DEEP "$deep"
	run "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	[ "$status" -eq 0 ] || { show_run; false; }
}

@test "duplicate key: process twice (Go keeps the last one)" {
	make_bundle default
	edit_config "$BUNDLE" '. as $c | {process: ($c.process | .args = ["/bin/true"])} + {x_dup: "DUP"} + ($c | del(.process))'
	put_text DUP '0, "process": '"$(jq -c .process "$DOCKER_FIXTURES/privileged.config.json")"
	jq -e . "$BUNDLE/config.json" >/dev/null # jq itself accepts it (last wins)
	[ "$(grep -o '"process":' "$BUNDLE/config.json" | wc -l)" -eq 2 ]
	bad_config_refused 'invalid json: duplicate key "process"'
}

@test "duplicate key spelled with an escape: \\u0070rocess beside process" {
	make_bundle default
	edit_config "$BUNDLE" '{x_dup: "DUP"} + .'
	put_text DUP '0, "\u0070rocess": {"args": ["/bin/true"]}'
	bad_config_refused 'invalid json: duplicate key "process"'
}

@test "comments and a byte-order mark (Go's decoder rejects both)" {
	make_bundle default
	edit_config "$BUNDLE" '{x_c: "C"} + .'
	put_text C '0 /* a comment */'
	bad_config_refused 'invalid json.*comment'
	make_bundle default
	{ printf '\xef\xbb\xbf'; cat "$BUNDLE/config.json"; } >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
	bad_config_refused 'invalid json'
}

@test "case-folded key: Process instead of process" {
	make_bundle default
	edit_config "$BUNDLE" 'with_entries(if .key == "process" then .key = "Process" else . end)'
	bad_config_refused 'key "Process" is not the exact spelling of the runtime-spec field "process"'
}

@test "case-folded key: noNewPrivilege\\u017f (LONG S) set to false, beside no real field" {
	make_bundle default
	edit_config "$BUNDLE" 'del(.process.noNewPrivileges) | .process.x_marker = "NNP"'
	# as a JSON escape, exactly as an attacker would write it
	put_text NNP '0, "noNewPrivilege\u017f": false'
	grep -qF '"noNewPrivilege\u017f": false' "$BUNDLE/config.json"
	bad_config_refused 'key "noNewPrivilegeſ" is not the exact spelling of the runtime-spec field "noNewPrivileges"'
}

@test "case-folded key: hoo\\u212As (KELVIN SIGN) as raw UTF-8" {
	make_bundle default
	edit_config "$BUNDLE" '.["hooKs"] = {"prestart": [{"path": "/bin/sh"}]}'
	grep -q 'hooKs' "$BUNDLE/config.json"
	bad_config_refused 'key "hooKs" is not the exact spelling of the runtime-spec field "hooks"'
}

@test "two keys that fold together: noNewPrivileges true, then noNewPrivilege\u017f false (Go: last wins)" {
	make_bundle default
	edit_config "$BUNDLE" '.process.noNewPrivileges = true | .process.x_marker = "NNP"'
	put_text NNP '0, "noNewPrivilege\u017f": false'
	bad_config_refused '.*"noNewPrivilegeſ"'
}

@test "invalid UTF-8 byte in a string" {
	make_bundle default
	edit_config "$BUNDLE" '.process.env += ["BAD"]'
	put_text BAD "\"X=$(printf '\xff')\""
	grep -q "$(printf '\xff')" "$BUNDLE/config.json"
	bad_config_refused 'invalid json.*UTF-?8'
}

@test "unpaired surrogate escape \\ud800" {
	make_bundle default
	edit_config "$BUNDLE" '.process.env += ["SUR"]'
	put_text SUR '"X=\ud800"'
	bad_config_refused 'invalid json: unpaired surrogate escape \\ud800'
	# a lone low half, and a high half followed by a non-surrogate
	make_bundle default
	edit_config "$BUNDLE" '.process.env += ["SUR"]'
	put_text SUR '"X=\udc00"'
	bad_config_refused 'invalid json: unpaired surrogate escape \\udc00'
	make_bundle default
	edit_config "$BUNDLE" '.process.env += ["SUR"]'
	put_text SUR '"X=\ud800\u0041"'
	bad_config_refused 'invalid json: unpaired surrogate escape \\ud800'
}

@test "config.json is a symlink: refused, its target unchanged" {
	make_bundle default
	mv "$BUNDLE/config.json" "$T/target.json"
	ln -s "$T/target.json" "$BUNDLE/config.json"
	local before
	before=$(sha "$T/target.json")
	bad_config_refused '.*symlink'
	[ "$(sha "$T/target.json")" = "$before" ]
	[ -L "$BUNDLE/config.json" ]
}

@test "config.json is a FIFO (would block a naive reader)" {
	make_bundle default
	rm "$BUNDLE/config.json"
	mkfifo "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 1
	assert_log_error "config\\.json of bundle $(re_quote "$BUNDLE"): .*not a regular file"
	assert_runtime_not_started "$CID"
	[ -p "$BUNDLE/config.json" ]
}

@test "config.json missing from the bundle" {
	make_bundle default
	rm "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 1
	assert_log_error "config\\.json of bundle $(re_quote "$BUNDLE"): cannot open"
	assert_runtime_not_started "$CID"
}

@test "bundle directory missing" {
	make_bundle default
	local gone="$T/no-such-bundle"
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run --bundle "$gone" "$CID"
	assert_status 1
	assert_log_error "$(re_quote "$gone").*No such file or directory"
	assert_runtime_not_started "$CID"
}

@test "bundle is a file, not a directory" {
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE/config.json" "$CID"
	assert_status 1
	assert_log_error "$(re_quote "$BUNDLE/config.json").*Not a directory"
	assert_runtime_not_started "$CID"
}

@test "bundle directory unreadable (ocigate without CAP_DAC_OVERRIDE)" {
	command -v setpriv >/dev/null || skip "no setpriv"
	make_bundle default
	local before
	before=$(sha "$BUNDLE/config.json")
	chmod 000 "$BUNDLE"
	record_container "$ROOTDIR" "$CID"
	run --separate-stderr setpriv --bounding-set -dac_override,-dac_read_search -- \
		"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$T/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	chmod 755 "$BUNDLE"
	assert_status 1
	assert_log_error "config\\.json of bundle $(re_quote "$BUNDLE"): .*Permission denied" "$T"
	assert_runtime_not_started "$CID"
	[ "$(sha "$BUNDLE/config.json")" = "$before" ]
}

@test "policy file missing: every start refused, message names the file" {
	make_bundle default
	local before
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$CID" "$BUNDLE" "$T/no-such-policy.json"
	# The policy never loaded, so it names no audit log: "-".
	assert_refused "$CID" "$before" - "cannot open policy $(re_quote "$T/no-such-policy.json").*refused until the policy is fixed"
}

@test "policy invalid (unknown key): every start refused, message names the file" {
	make_policy '.mounts.deny_socket = ["/typo"]'
	make_bundle default
	local before
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$CID" "$BUNDLE"
	assert_refused "$CID" "$before" - "policy $(re_quote "$POLICY"): .*deny_socket"
}

@test "policy invalid (a section missing): refused, message names the file" {
	make_policy 'del(.hooks)'
	make_bundle default
	local before
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$CID" "$BUNDLE"
	assert_refused "$CID" "$before" - "policy $(re_quote "$POLICY"): .*hooks"
}

@test "policy missing: delete/state/kill still pass through to runc (runc's own errors)" {
	local broken="$T/no-such-policy.json" call
	for call in "delete nosuch-$CID" "delete --force nosuch-$CID" "state nosuch-$CID" "kill nosuch-$CID 9"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$RUNC" --root "$ROOTDIR" $call
		local want_status=$status want_out=$output want_err
		want_err=$(sed 's/^time="[^"]*" //' <<<"$stderr")
		# shellcheck disable=SC2086
		run_ocigate_raw --ocigate-policy "$broken" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" $call
		echo "call: $call"
		[ "$status" -eq "$want_status" ] || { show_run; fail "exit $status, runc gave $want_status"; }
		[ "$output" = "$want_out" ]
		[[ $stderr != *ocigate* ]] || { show_run; fail "ocigate spoke"; }
		[ "$(sed 's/^time="[^"]*" //' <<<"$stderr")" = "$want_err" ] || { show_run; fail "stderr differs from runc's: $want_err"; }
		grep -qxF -- "--root $ROOTDIR $call" "$OG_SPY_LOG"
	done
	run_ocigate_raw --ocigate-policy "$broken" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" delete "nosuch-$CID"
	assert_status 1
	[[ $stderr == *'level=error msg="container does not exist"'* ]] || { show_run; false; }
}

@test "policy missing: --version is runc's, byte for byte" {
	run --separate-stderr "$RUNC" --version
	local want=$output
	[ "$status" -eq 0 ]
	run_ocigate_raw --ocigate-policy "$T/no-such-policy.json" --ocigate-runtime "$RUNTIME" --version
	assert_status 0
	[ "$output" = "$want" ]
	[ -z "$stderr" ]
	# and byte for byte, trailing newline included
	cmp <("$RUNC" --version) <("$OCIGATE" --ocigate-policy "$T/no-such-policy.json" --ocigate-runtime "$RUNC" --version)
}

@test "the runtime may not be ocigate itself" {
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	ln -s "$OCIGATE" "$T/runc"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$T/runc" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json state "$CID"
	assert_status 1
	assert_log_error 'ocigate itself'
}
