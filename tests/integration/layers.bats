#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Policy layers (ocigate-policy(5) LAYERS): policy.d/*.json beside the
# policy may only tighten it; ocigatectl show --effective names the file of
# every key, the base's and each profile's; a real container gets the stricter values; the compiled-policy
# cache follows a new, changed or removed layer.

# shellcheck disable=SC2016,SC2154
load helpers

# layer NAME JSON: $T/policy.d/NAME
layer() {
	mkdir -p "$T/policy.d"
	printf '%s\n' "$2" >"$T/policy.d/$1"
}

@test "show --effective: the merged policy and the file each key came from" {
	layer 10-team.json '{"version": 1, "capabilities": {"allow": ["CAP_CHOWN"]}, "resources": {"pids": {"max": 512, "default": 512}}}'
	run --separate-stderr "$OCIGATECTL" show --effective --policy "$POLICY"
	assert_status 0
	jq -e --arg base "$POLICY" --arg team "$T/policy.d/10-team.json" '
		.policy.capabilities.allow == ["CAP_CHOWN"]
		and .policy.resources.pids.max == 512
		and .policy.resources.pids.default == 512
		and .policy.resources.memory.default == "1G"
		and .sources["capabilities.allow"] == $team
		and .sources["resources.pids.max"] == $team
		and .sources["resources.memory.default"] == $base
		and .sources["no_new_privileges.action"] == $base
		and (.sha256 | test("^[0-9a-f]{64}$"))' <<<"$output" >/dev/null || { show_run; false; }
	# the digest covers the layer: not the base's own
	[ "$(jq -r .sha256 <<<"$output")" != "$(sha "$POLICY")" ]
	# without layers: every key from the base, the base's digest
	rm -r "$T/policy.d"
	run --separate-stderr "$OCIGATECTL" show --effective --policy "$POLICY"
	assert_status 0
	jq -e --arg base "$POLICY" --arg sha "$(sha "$POLICY")" \
		'([.sources[]] | unique) == [$base] and .sha256 == $sha' <<<"$output" >/dev/null || { show_run; false; }
	diff <(jq -S .policy <<<"$output") <(jq -S . "$POLICY")
}

@test "show --effective: each profile, its selector, its merged policy and the file of each value" {
	layer 10-team.json '{"version": 1, "capabilities": {"allow": ["CAP_CHOWN", "CAP_KILL"]}}'
	make_policy '.profiles = {payments: {select: {engine: "cri", pod_namespace: ["payments", "prod-*"]},
			policy: {version: 1, resources: {pids: {default: 64, max: 64}}}},
		web: {select: {engine: "docker"}, policy: {version: 1, capabilities: {allow: ["CAP_CHOWN"]}}}}'
	run --separate-stderr "$OCIGATECTL" show --effective --policy "$POLICY"
	assert_status 0
	jq -e --arg base "$POLICY" --arg team "$T/policy.d/10-team.json" '
		(.profiles | keys_unsorted) == ["payments", "web"]
		and .profiles.payments.select == {engine: "cri", pod_namespace: ["payments", "prod-*"]}
		and .profiles.payments.policy.resources.pids == {default: 64, max: 64}
		and .profiles.payments.policy.capabilities.allow == ["CAP_CHOWN", "CAP_KILL"]
		and .profiles.payments.sources["resources.pids.max"] == "\($base) (profile payments)"
		and .profiles.payments.sources["capabilities.allow"] == $team
		and .profiles.payments.sources["resources.memory.default"] == $base
		and .profiles.web.select == {engine: "docker"}
		and .profiles.web.policy.capabilities.allow == ["CAP_CHOWN"]
		and .profiles.web.policy.resources.pids.max == 32768
		and .profiles.web.sources["capabilities.allow"] == "\($base) (profile web)"
		and .policy.resources.pids.max == 32768
		and (.policy | has("profiles") | not)
		and .sources["capabilities.allow"] == $team' <<<"$output" >/dev/null || { show_run; false; }
	# without profiles: an empty object
	make_policy
	run --separate-stderr "$OCIGATECTL" show --effective --policy "$POLICY"
	assert_status 0
	jq -e '.profiles == {}' <<<"$output" >/dev/null || { show_run; false; }
}

@test "show: usage without --effective (exit 2)" {
	run --separate-stderr "$OCIGATECTL" show --policy "$POLICY"
	assert_status 2
	[[ $stderr == "usage: ocigatectl show --effective"* ]] || { show_run; false; }
}

@test "a loosening layer: validate, check and ocigate fail naming both files and the key" {
	local want
	layer 10-team.json '{"version": 1, "capabilities": {"allow": ["CAP_CHOWN", "CAP_NET_RAW"]}}'
	want="policy $T/policy.d/10-team.json: capabilities.allow: adds \"CAP_NET_RAW\", which $POLICY does not allow (a later layer may only tighten; the base can list the key in \"overridable\")"
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 2
	[ "$stderr" = "ocigatectl: $want" ] || { show_run; false; }
	make_bundle default
	run --separate-stderr "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 2
	[ "$stderr" = "ocigatectl: $want" ] || { show_run; false; }
	# the wrapper fails closed: the runtime is never started
	run_ocigate "$CID" "$BUNDLE"
	[ "$status" -ne 0 ]
	grep -qF "$(json_escape "$want")" "$BUNDLE/log.json" || { show_run; false; }
	assert_runtime_not_started "$CID"
	# the base may open the key to layers
	make_policy '.overridable = ["capabilities.allow"]'
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 0
}

@test "a memory limit of 0 in a layer is refused: runc takes 0 for no limit, not for tighter than 1G" {
	local want
	layer 10-team.json '{"version": 1, "resources": {"memory": {"default": 0, "max": 0}}}'
	want="policy $T/policy.d/10-team.json: resources.memory: a limit of 0 is no limit to runc (it sets no memory limit for 0): give a size above 0"
	run --separate-stderr "$OCIGATECTL" validate "$POLICY"
	assert_status 2
	[ "$stderr" = "ocigatectl: $want" ] || { show_run; false; }
	make_bundle default
	run_ocigate "$CID" "$BUNDLE"
	[ "$status" -ne 0 ]
	grep -qF "$(json_escape "$want")" "$BUNDLE/log.json" || { show_run; false; }
	assert_runtime_not_started "$CID"
}

@test "a tightening layer: ocigatectl check shows the stricter result" {
	make_bundle capall
	run "$OCIGATECTL" check --policy "$POLICY" --output "$T/base.json" "$BUNDLE/config.json"
	assert_status 0
	layer 10-team.json '{"version": 1, "capabilities": {"allow": ["CAP_CHOWN"]},
		"resources": {"pids": {"default": 256, "max": 256}}}'
	run "$OCIGATECTL" check --policy "$POLICY" --output "$T/layered.json" "$BUNDLE/config.json"
	assert_status 0
	jq -e '([.process.capabilities[][]] | length) > 1 and .linux.resources.pids.limit == 1024' "$T/base.json"
	jq -e '([.process.capabilities[][]] | unique) == ["CAP_CHOWN"] and .linux.resources.pids.limit == 256' \
		"$T/layered.json" || { cat "$T/layered.json"; false; }
	# privileged is refused once a layer says deny
	layer 20-sec.json '{"version": 1, "privileged": {"action": "deny"}}'
	make_bundle privileged
	run --separate-stderr "$OCIGATECTL" check --verbose --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 1
	grep -Eq '^refuse +privileged ' <<<"$output" || { show_run; false; }
}

@test "a tightening layer in a real container: the stricter pids limit and capabilities inside" {
	layer 10-team.json '{"version": 1, "capabilities": {"allow": ["CAP_CHOWN"]},
		"resources": {"pids": {"default": 256, "max": 256}}}'
	make_bundle default
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value pids.max)" = 256 ] || { show_run; false; }
	# CAP_CHOWN is bit 0: nothing else in the bounding set
	[ "$(probe_value CapBnd)" = 0000000000000001 ] || { show_run; false; }
	# the audit record's digest is the layered policy's
	jq -e --arg sha "$("$OCIGATECTL" show --effective --policy "$POLICY" | jq -r .sha256)" \
		'select(.event == "create") | .policy_sha256 == $sha' "$AUDIT" >/dev/null || fail "another digest"
}

@test "policy cache: a new, changed or removed layer is read at the next call" {
	local state="$T/ogstate" entry sum
	make_bundle default
	jq 'del(.linux.cgroupsPath)' "$BUNDLE/config.json" >"$T/config.orig"
	create() {
		cp "$T/config.orig" "$BUNDLE/config.json"
		OG_SPY_LOG=/dev/null "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime /bin/true \
			--ocigate-state-dir "$state" --root "$ROOTDIR" create --bundle "$BUNDLE" "$1" </dev/null ||
			fail "create $1 failed"
	}
	layer 10-team.json '{"version": 1, "resources": {"pids": {"default": 512}}}'
	sleep 2.1
	create c1
	entry=$(ls "$state/policy-cache/"*)
	grep -aqF "layer " "$entry" || fail "the entry has no layer line"
	[ "$(jq .linux.resources.pids.limit "$BUNDLE/config.json")" = 512 ]
	# a new layer
	layer 20-more.json '{"version": 1, "resources": {"pids": {"default": 300}}}'
	create c2
	[ "$(jq .linux.resources.pids.limit "$BUNDLE/config.json")" = 300 ] || fail "the new layer was not read"
	# a changed one (same size, new mtime)
	layer 20-more.json '{"version": 1, "resources": {"pids": {"default": 301}}}'
	create c3
	[ "$(jq .linux.resources.pids.limit "$BUNDLE/config.json")" = 301 ] || fail "the changed layer was not read"
	# a removed one
	rm "$T/policy.d/20-more.json"
	create c4
	[ "$(jq .linux.resources.pids.limit "$BUNDLE/config.json")" = 512 ] || fail "the removed layer still counts"
	# and a cached hit still has the layer's effect
	sleep 2.1
	create c5
	sum=$(sha "$entry")
	create c6
	[ "$(sha "$entry")" = "$sum" ] || fail "not a hit: the entry was rewritten"
	[ "$(jq .linux.resources.pids.limit "$BUNDLE/config.json")" = 512 ]
}

@test "explain: each decision with the action that made it and the layer of every key the area used" {
	local team="$T/policy.d/10-team.json"
	layer 10-team.json '{"version": 1, "capabilities": {"allow": ["CAP_CHOWN"]}}'
	make_bundle capall
	run --separate-stderr "$OCIGATECTL" explain --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0
	[ "${lines[-1]}" = allowed ]
	grep -Fxq "        policy: capabilities.action \"enforce\" from $POLICY; capabilities.allow from $team" <<<"$output" ||
		{ show_run; false; }
	grep -Fxq "        policy: no_new_privileges.action \"enforce\" from $POLICY" <<<"$output" || { show_run; false; }
	# a layer that raises an action is named for it
	layer 20-deny.json '{"version": 1, "capabilities": {"action": "deny"}}'
	run --separate-stderr "$OCIGATECTL" explain --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 1
	grep -Fq "policy: capabilities.action \"deny\" from $T/policy.d/20-deny.json; capabilities.allow from $team" \
		<<<"$output" || { show_run; false; }
	# explain takes no --json
	run --separate-stderr "$OCIGATECTL" explain --json --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 2
}
