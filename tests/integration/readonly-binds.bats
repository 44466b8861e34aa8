#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# mounts.readonly_binds: every bind mount becomes read-only (a write inside
# fails with EROFS) except the sources the policy lists; "audit" leaves the
# bind writable and records which one would have become read-only; "deny"
# refuses a writable bind with the message.

# shellcheck disable=SC2016,SC2154
load helpers

# What the container does: write into both binds, say how it went.
WRITE_PROBE='for d in /mnt/ro /mnt/rw /mnt/own; do
if { echo written >"$d/new.txt"; } 2>/tmp/err; then echo "$d: written"; else echo "$d: $(cat /tmp/err)"; fi
done
grep " /mnt/ro " /proc/self/mounts'

setup() {
	og_setup
	mkdir -p "$T/vol-ro" "$T/vol-rw" "$T/engine"
	VOL_RO=$(realpath "$T/vol-ro")
	VOL_RW=$(realpath "$T/vol-rw")
}

# readonly_binds_bundle ACTION: a default container with three binds:
# /mnt/ro (not listed), /mnt/rw (listed by path) and /mnt/own (the
# engine's file dir of this container, listed with {id}).
readonly_binds_bundle() {
	local action=$1
	make_bundle default "$WRITE_PROBE"
	mkdir -p "$T/engine/$CID"
	make_policy '.mounts.readonly_binds = {action: $a, except: [$rw, ($e + "/{id}")]}' \
		--arg a "$action" --arg rw "$VOL_RW" --arg e "$(realpath "$T/engine")"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$VOL_RO" '{destination: "/mnt/ro", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$VOL_RW" '{destination: "/mnt/rw", type: "bind", source: $s, options: ["rbind"]}')"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/engine/$CID" '{destination: "/mnt/own", type: "bind", source: $s, options: ["rbind"]}')"
}

@test "readonly_binds enforce: an unlisted bind is read-only inside (EROFS), listed ones stay writable" {
	readonly_binds_bundle enforce
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[[ ${lines[0]} == "/mnt/ro: "*"Read-only file system" ]] || { show_run; fail "the unlisted bind was writable"; }
	[ "${lines[1]}" = "/mnt/rw: written" ] || { show_run; false; }
	[ "${lines[2]}" = "/mnt/own: written" ] || { show_run; false; }
	[[ ${lines[3]} == *" ro,"* ]] || { show_run; fail "/mnt/ro is not mounted ro"; }
	[ ! -e "$VOL_RO/new.txt" ]
	[ "$(cat "$VOL_RW/new.txt")" = written ]
	[ "$(cat "$T/engine/$CID/new.txt")" = written ]
	# recorded as a change of that bind's options ("rw" gone, "ro" added)
	tail -n1 "$AUDIT" | jq -e --arg s "$VOL_RO" '[.decisions[] | select(.rule == "mounts" and .action == "mutate"
		and (.reason | contains("bind mount of " + $s + " made read-only")))] | length == 1
		and (.[0].after | fromjson | index("ro") != null and index("rw") == null)'
	tail -n1 "$AUDIT" | jq -e '[.decisions[] | select(.reason | contains("readonly_binds"))] | length == 1'
}

@test "readonly_binds audit: the bind stays writable, the audit line says it would become read-only" {
	readonly_binds_bundle audit
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "${lines[0]}" = "/mnt/ro: written" ] || { show_run; false; }
	[ "$(cat "$VOL_RO/new.txt")" = written ]
	tail -n1 "$AUDIT" | jq -e --arg s "$VOL_RO" '[.decisions[] | select(.rule == "mounts" and .action == "audit"
		and (.reason | contains("bind mount of " + $s + " made read-only")))] | length == 1'
	# only that one: the listed binds are not recorded
	tail -n1 "$AUDIT" | jq -e '[.decisions[] | select(.reason | contains("readonly_binds"))] | length == 1'
}

@test "readonly_binds deny: a writable unlisted bind is refused with the message ocigate-policy(5) shows" {
	local msg
	# the page's example, for /srv/data
	msg=$(sed -n '/^\.\\" example readonly-binds-deny$/,/^\.\\" end$/p' "$BATS_TEST_DIRNAME/../../doc/ocigate-policy.5" |
		sed '1d;$d' | tr '\n' ' ' | sed "s| *\$||")
	[[ $msg == "ocigate: refused by policy: mounts: bind mount of /srv/data is writable;"* ]] || fail "no example: $msg"
	readonly_binds_bundle deny
	refuse_check "$CID" "^$(re_quote "${msg//\/srv\/data/$VOL_RO}")\$"
}
