#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# ocigatectl: the admin's dry run of a policy on a config, and policy
# validation.

# shellcheck disable=SC2016,SC2154
load helpers

@test "ocigatectl check: the sock fixture is refused (exit 1) with its decisions" {
	make_bundle sock
	local before
	before=$(sha "$BUNDLE/config.json")
	run --separate-stderr "$OCIGATECTL" check --verbose --policy "$POLICY" --output "$T/out.json" "$BUNDLE/config.json"
	assert_status 1
	[ "${lines[-1]}" = refused ]
	grep -Eq '^refuse +mounts +mounts\[[0-9]+\]\.source: bind mount of / exposes the sensitive host tree /$' <<<"$output"
	grep -Eq '^refuse +mounts +mounts\[[0-9]+\]\.source: bind mount of /proc exposes the sensitive host tree /proc$' <<<"$output"
	grep -Eq '^refuse +mounts +mounts\[[0-9]+\]\.source: bind source /var/run/docker.sock ' <<<"$output"
	grep -Eq '^mutate +no_new_privileges +process.noNewPrivileges' <<<"$output"
	# a dry run: the config is not touched, no output for a refused config
	[ "$(sha "$BUNDLE/config.json")" = "$before" ]
	[ ! -e "$T/out.json" ]
	# and nothing was audited
	[ "$(audit_lines)" -eq 0 ]
}

@test "ocigatectl check: an allowed config exits 0, --output writes the rewritten config" {
	make_bundle privileged
	local before
	before=$(sha "$BUNDLE/config.json")
	run --separate-stderr "$OCIGATECTL" check --verbose --policy "$POLICY" --output "$T/out.json" "$BUNDLE/config.json"
	assert_status 0
	[ "${lines[-1]}" = allowed ]
	grep -Eq '^mutate +capabilities +process.capabilities.bounding: capabilities not on the allowlist: .*"CAP_SYS_ADMIN"' <<<"$output"
	grep -Eq '^ +after: +true$' <<<"$output"
	[ "$(sha "$BUNDLE/config.json")" = "$before" ]
	jq -e --argjson allow "$(jq .capabilities.allow "$BATS_FILE_TMPDIR/default.json")" '
		.process.noNewPrivileges == true and .root.readonly == true
		and .linux.resources.pids.limit == 1024
		and ([.process.capabilities[][]] - $allow == [])
		and ([.mounts[].destination] | index("/tmp") != null)' "$T/out.json"
	# the rewrite is a fixed point: checking it again changes nothing
	run "$OCIGATECTL" check --verbose --policy "$POLICY" "$T/out.json"
	assert_status 0
	[ "${lines[-1]}" = allowed ]
	! grep -Eq '^(mutate|refuse)' <<<"$output" || { show_run; false; }
}

@test "ocigatectl check and ocigate agree on the rewritten config" {
	make_bundle capall
	run "$OCIGATECTL" check --policy "$POLICY" --output "$T/ctl.json" "$BUNDLE/config.json"
	assert_status 0
	run_ocigate "$CID" "$BUNDLE"
	assert_enforced_inside
	diff <(jq -S . "$T/ctl.json") <(jq -S . "$BUNDLE/config.json")
}

@test "ocigatectl check: a bad config is an error (exit 2)" {
	make_bundle default
	echo '{"process": {}, "process": {}}' >"$BUNDLE/config.json"
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 2
	[[ $stderr == "ocigatectl: "*'duplicate key "process"'* ]] || { show_run; false; }
}

@test "ocigatectl validate: the shipped default policy is valid (exit 0)" {
	run --separate-stderr "$OCIGATECTL" validate "$PROFILES/default.json"
	assert_status 0
	[[ $output == "$PROFILES/default.json: valid (sha256 "[0-9a-f]*")" ]] || { show_run; false; }
	# the digest is the file's sha256
	[[ $output == *"$(sha "$PROFILES/default.json")"* ]]
}

@test "ocigatectl validate: a bad policy exits 2 naming the file and the problem" {
	make_policy '.capabilities.alow = .capabilities.allow'
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 2
	[[ $stderr == "ocigatectl: policy $POLICY: "*alow* ]] || { show_run; false; }

	echo '{"version": 1' >"$T/truncated.json"
	run --separate-stderr "$OCIGATECTL" validate "$T/truncated.json"
	assert_status 2
	[[ $stderr == *"$T/truncated.json"* ]] || { show_run; false; }

	run --separate-stderr "$OCIGATECTL" validate "$T/missing.json"
	assert_status 2
	[[ $stderr == *"cannot open policy $T/missing.json"* ]] || { show_run; false; }
}

@test "ocigatectl validate: a misspelt capability exits 2 naming the file, the key and the name" {
	make_policy '.capabilities.allow += ["CAP_NET_BIND_SERIVCE"]'
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 2
	[ "$stderr" = "ocigatectl: policy $POLICY: capabilities.allow: unknown capability \"CAP_NET_BIND_SERIVCE\"" ] ||
		{ show_run; false; }
	# lower case would match no configuration (they are compared exactly)
	make_policy '.capabilities.allow += ["cap_chown"]'
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 2
	[[ $stderr == *'capabilities.allow: "cap_chown" is not a capability name (expected CAP_...)'* ]] || { show_run; false; }
	# every capability the running kernel has is a valid name, without a warning
	command -v capsh >/dev/null || skip "capsh (libcap2-bin) is not installed"
	local last names
	last=$(cat /proc/sys/kernel/cap_last_cap)
	names=$(capsh --decode="$(printf '%x' $(((1 << (last + 1)) - 1)))" | sed 's/.*=//' | tr 'a-z,' 'A-Z ')
	make_policy ".capabilities.allow = ($(printf '"%s"\n' $names | jq -cs .))"
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 0
	[ -z "$stderr" ] || { show_run; false; }
}
