#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The user-namespace range records and "no silent downgrade": a duplicate
# create touches nothing of the existing container, records are keyed by
# the runtime root as runc resolves it and cannot be forged, a full pool or
# a joined pid namespace never quietly turns user namespaces off.

# shellcheck disable=SC2016,SC2154
load helpers

USERNS_PROBE='echo "uid_map: $(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"
echo "id: $(id -u)"
echo "pid1: $(cat /proc/1/cmdline | tr "\0" " ")"'

setup() {
	og_setup
	state_setup
	make_policy '.user_namespace.mode = "required"'
}

teardown() {
	og_teardown
	state_teardown
}

# create_detached ID BUNDLE [ROOT]: `ocigate create`, stdio not bats' pipes
# (the created container holds them open).
create_detached() {
	local id=$1 bundle=$2 root=${3-$ROOTDIR}
	record_container "$root" "$id"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$root" --log "$bundle/log.json" --log-format json create --bundle "$bundle" "$id" \
		</dev/null >/dev/null 2>"$T/create.err" || {
		cat "$T/create.err" "$bundle/log.json" 2>/dev/null
		return 1
	}
}

# refuse_userns ID REGEX: `run` of $BUNDLE through og_userns is refused,
# with the full contract of a refusal (see assert_refused).
refuse_userns() {
	local id=$1 re=$2 before audit_before
	before=$(sha "$BUNDLE/config.json")
	audit_before=$(audit_lines)
	og_userns "$id" "$BUNDLE" run --bundle "$BUNDLE" "$id"
	assert_refused "$id" "$before" "$audit_before" "$re"
}

records() {
	find "$STATE/userns" -type f 2>/dev/null | wc -l
}

host_start() {
	jq -r '.linux.uidMappings[0].hostID' "$1/config.json"
}

@test "records: a duplicate create refused by the policy leaves the existing container's range and staging alone" {
	make_bundle default 'sleep 60'
	local a=$CID ab=$BUNDLE start_a rec_before
	create_detached "$a" "$ab"
	start_a=$(host_start "$ab")
	[ "$(staged_mounts)" -eq 1 ]
	rec_before=$(cat "$STATE"/userns/*)
	# the same id again, with a config the policy refuses
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.namespaces += [{"type": "user", "path": "/proc/1/ns/user"}]'
	og_userns "$a" "$BUNDLE" create --bundle "$BUNDLE" "$a"
	assert_status 1
	cp "$AUDIT" "$T/audit.dup"
	# the existing container's record and staged rootfs are untouched
	[ "$(records)" -eq 1 ]
	[ "$(cat "$STATE"/userns/*)" = "$rec_before" ] || fail "the record changed: $(cat "$STATE"/userns/*)"
	[ "$(staged_mounts)" -eq 1 ] || fail "staged mounts: $(staged_mounts)"
	"$RUNC" --root "$ROOTDIR" start "$a"
	"$RUNC" --root "$ROOTDIR" exec "$a" cat /bin/busybox >/dev/null || fail "the container lost its root filesystem"
	# the next container gets another range
	make_bundle default "$USERNS_PROBE"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$(probe_value uid_map)" =~ ^0\ ([0-9]+)\ 65536$ ]] || { show_run; fail "no pool range"; }
	[ "${BASH_REMATCH[1]}" != "$start_a" ] || fail "the next container shares $a's host ids $start_a"
	# refused for what it is, before anything was allocated
	tail -n1 "$T/audit.dup" | jq -e --arg m "container $a already exists under runtime root $ROOTDIR" \
		'.event == "refuse" and (.decisions | any(.rule == "user_namespace" and (.reason | contains($m))))'
}

@test "records: a duplicate create runc refuses leaves no record that makes a root exec into the original look mapped away" {
	# the original: no user namespace (the policy had them off), not root
	make_policy '.user_namespace.mode = "off" | .process.run_as_non_root = true'
	make_bundle default 'sleep 60'
	edit_config "$BUNDLE" '.process.user = {"uid": 1000, "gid": 1000}'
	local a=$CID
	create_detached "$a" "$BUNDLE"
	"$RUNC" --root "$ROOTDIR" start "$a"
	# user namespaces on; the same id again
	make_policy '.user_namespace.mode = "required" | .process.run_as_non_root = true'
	make_bundle default 'true'
	og_userns "$a" "$BUNDLE" create --bundle "$BUNDLE" "$a"
	local dup_status=$status
	cp "$BUNDLE/log.json" "$T/dup.log.json"
	# a root exec into the original is judged as what it is: host root
	: >"$OG_SPY_LOG"
	og_userns "$a" "$BUNDLE" exec --user 0 "$a" sh -c 'id -u; cat /proc/self/uid_map'
	assert_status 1
	assert_log_error "root"
	[ ! -s "$OG_SPY_LOG" ] || fail "the runtime ran the exec: $(cat "$OG_SPY_LOG"), output: $output"
	# the duplicate itself was refused before anything was recorded
	[ "$dup_status" -eq 1 ]
	tail -n1 "$T/dup.log.json" | jq -e '.msg | startswith("ocigate: ") and contains("already exists")'
	[ "$(records)" -eq 0 ]
}

@test "records: a relative --root names the directory runc uses: gc from elsewhere keeps the running container's range" {
	make_bundle default 'sleep 60'
	mkdir -p "$T/cwd"
	local a=$CID
	(cd "$T/cwd" && create_detached "$a" "$BUNDLE" state-rel)
	record_container "$T/cwd/state-rel" "$a"
	[ -f "$T/cwd/state-rel/$a/state.json" ]
	[ "$(staged_mounts)" -eq 1 ]
	run "$OCIGATECTL" gc --state-dir "$STATE"
	[[ "$output" == *"gc: 0 released"* ]] || { show_run; fail "gc released the running container's range"; }
	[ "$(staged_mounts)" -eq 1 ]
	[ "$(records)" -eq 1 ]
	# the record names the absolute root
	jq -e --arg r "$T/cwd/state-rel" '.root == $r' "$STATE"/userns/*
	# delete through the same relative root, from the same directory, releases it
	(cd "$T/cwd" && "$OCIGATE" --ocigate-state-dir "$STATE" --ocigate-runtime "$RUNC" --root state-rel delete -f "$a")
	[ "$(staged_mounts)" -eq 0 ]
	[ "$(records)" -eq 0 ]
}

@test "records: an empty --root is refused before anything is allocated (runc 1.1 reads the bundle, 1.3 the working directory)" {
	make_bundle default 'sleep 60'
	local a=$CID
	run --separate-stderr bash -c 'cd "$1" && timeout 30 "$2" --ocigate-policy "$3" --ocigate-runtime "$4" --ocigate-state-dir "$5" \
		--root "" --log "$6/log.json" --log-format json create --bundle "$6" "$7" </dev/null' _ \
		"$T" "$OCIGATE" "$POLICY" "$RUNTIME" "$STATE" "$BUNDLE" "$a"
	[ "$status" -eq 1 ]
	last_log_line "$BUNDLE" | jq -e '.msg | contains("an empty --root is read differently by runc 1.1")'
	[ ! -e "$BUNDLE/$a" ] && [ ! -e "$T/$a" ]
	[ "$(records)" -eq 0 ]
	[ "$(staged_mounts)" -eq 0 ]
}

@test "records: a newline in the id forges no record and leaks no range" {
	make_policy '.user_namespace.mode = "if-possible" | .user_namespace.pool_size = 131072'
	make_bundle default 'true'
	og_userns $'x\n1' "$BUNDLE" create --bundle "$BUNDLE" $'x\n1'
	cp "$BUNDLE/log.json" "$T/x.log.json"
	make_bundle default 'true'
	og_userns $'y\n1' "$BUNDLE" create --bundle "$BUNDLE" $'y\n1'
	[ "$status" -ne 0 ]
	# the pool is whole: an ordinary container still gets a range
	make_bundle default 'sleep 60'
	create_detached "$CID" "$BUNDLE"
	[ "$(host_start "$BUNDLE")" -ge 1000000 ] || fail "no pool range: $(jq -c .linux.uidMappings "$BUNDLE/config.json")"
	[ "$(records)" -eq 1 ]
	[ "$(staged_mounts)" -eq 1 ]
	# refused before anything was recorded (runc would refuse the id too)
	tail -n1 "$T/x.log.json" | jq -e '.msg | startswith("ocigate: ") and contains("container id")'
}

@test "records: a newline in the runtime root cannot forge the record's fields either" {
	local root="$T/r"$'\n'"x"$'\n'"1" failing="$T/failing-runtime"
	# a runtime that refuses the create, as runc refuses a bad one: the record stays for gc
	printf '#!/bin/sh\nexit 1\n' >"$failing"
	chmod 755 "$failing"
	make_bundle default 'true'
	run "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$failing" --ocigate-state-dir "$STATE" \
		--root "$root" create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]
	[ "$(records)" -eq 1 ]
	cp "$STATE"/userns/* "$T/record"
	run "$OCIGATECTL" gc --state-dir "$STATE"
	[[ "$output" == *"gc: 1 released"* ]] || { show_run; fail "the record was not released"; }
	jq -e --arg r "$root" --arg id "$CID" '.root == $r and .id == $id and .pid != 1' "$T/record"
	[ "$(records)" -eq 0 ]
	[ "$(staged_mounts)" -eq 0 ]
}

@test "records: an exhausted pool refuses the next container (if-possible), it never runs without a user namespace" {
	make_policy '.user_namespace.mode = "if-possible" | .user_namespace.pool_size = 65536'
	make_bundle default 'sleep 60'
	create_detached "$CID" "$BUNDLE"
	make_bundle default "$USERNS_PROBE"
	refuse_userns "$CID" "the user namespace pool is exhausted: all 1 ranges of 65536 host ids from 1000000 belong to existing containers"
	[ "$(records)" -eq 1 ]
	[ "$(staged_mounts)" -eq 1 ]
}

@test "records: a full pool of ranges whose containers are gone is reclaimed by the next create" {
	local failing="$T/failing-runtime"
	printf '#!/bin/sh\nexit 1\n' >"$failing"
	chmod 755 "$failing"
	make_policy '.user_namespace.mode = "if-possible" | .user_namespace.pool_size = 131072'
	make_bundle default 'true'
	cp "$BUNDLE/config.json" "$T/config.orig"
	for i in 1 2; do
		cp "$T/config.orig" "$BUNDLE/config.json"
		edit_config "$BUNDLE" '.linux.cgroupsPath = $p' --arg p "/ocigate-test-gone-$CID-$i"
		"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$failing" --ocigate-state-dir "$STATE" \
			--root "$ROOTDIR" create --bundle "$BUNDLE" "gone-$CID-$i" </dev/null && fail "the failing runtime succeeded"
	done
	[ "$(records)" -eq 2 ]
	# create, not run: a foreground run does a gc of its own first
	make_bundle default 'true'
	create_detached "$CID" "$BUNDLE"
	[ "$(host_start "$BUNDLE")" -ge 1000000 ] || fail "no pool range: $(jq -c .linux.uidMappings "$BUNDLE/config.json")"
	[ "$(records)" -eq 1 ]
}

@test "records: allow_without \"pool-exhausted\" runs without a user namespace, and says so loudly" {
	make_policy '.user_namespace.mode = "if-possible" | .user_namespace.pool_size = 65536
		| .user_namespace.allow_without = ["pool-exhausted"]'
	make_bundle default 'sleep 60'
	create_detached "$CID" "$BUNDLE"
	make_bundle default "$USERNS_PROBE"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$(probe_value uid_map)" =~ ^0\ 0\ 4294967295$ ]] || { show_run; fail "expected no user namespace"; }
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "user_namespace" and (.reason | startswith("NO USER NAMESPACE"))
		and (.reason | contains("allow_without \"pool-exhausted\"")))'
}

@test "records: allow_without needs mode if-possible and known entries" {
	make_policy '.user_namespace.allow_without = ["pool-exhausted"]'
	make_bundle default 'true'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 1
	assert_log_error 'user_namespace.allow_without: needs mode "if-possible"'
	make_policy '.user_namespace.mode = "if-possible" | .user_namespace.allow_without = ["everything"]'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 1
	assert_log_error 'user_namespace.allow_without: entries must be'
}

# pid_of ID [ROOT]: the container's init pid on the host.
pid_of() {
	"$RUNC" --root "${2:-$ROOTDIR}" state "$1" | jq -r .pid
}

@test "records: a container joining the pid namespace of one of ours shares its user namespace and range" {
	make_policy '.user_namespace.mode = "if-possible"'
	make_bundle default 'sleep 60'
	local a=$CID ab=$BUNDLE start_a pid
	create_detached "$a" "$ab"
	"$RUNC" --root "$ROOTDIR" start "$a"
	start_a=$(host_start "$ab")
	pid=$(pid_of "$a")
	make_bundle default "$USERNS_PROBE"
	edit_config "$BUNDLE" '(.linux.namespaces[] | select(.type == "pid")) += {"path": $p}' --arg p "/proc/$pid/ns/pid"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value uid_map)" = "0 $start_a 65536" ] || { show_run; fail "not $a's range"; }
	[ "$(probe_value id)" = 0 ]
	[[ "$(probe_value pid1)" == *"sleep 60"* ]] || { show_run; fail "not in $a's pid namespace"; }
	tail -n1 "$AUDIT" | jq -e --arg a "$a" '.decisions | any(.rule == "user_namespace"
		and (.reason | startswith("user namespace shared with container " + $a)))'
	jq -e '.linux.namespaces | any(.type == "user" and (.path | startswith("'"$STATE"'/stage/")))' "$BUNDLE/config.json"
	# while the sharer's record lives, deleting the owner frees no range
	# that is still in use
	local b=$CID bb=$BUNDLE
	make_bundle default 'sleep 60'
	edit_config "$BUNDLE" '(.linux.namespaces[] | select(.type == "pid")) += {"path": $p}' --arg p "/proc/$pid/ns/pid"
	create_detached "$CID" "$BUNDLE"
	[ "$(host_start "$BUNDLE")" = "$start_a" ]
	"$OCIGATE" --ocigate-state-dir "$STATE" --ocigate-runtime "$RUNC" --root "$ROOTDIR" delete -f "$a"
	make_bundle default "$USERNS_PROBE"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[[ "$(probe_value uid_map)" =~ ^0\ ([0-9]+)\ 65536$ ]] && [ "${BASH_REMATCH[1]}" != "$start_a" ] ||
		{ show_run; fail "a new container got the range still used by the pid-namespace sharer"; }
	: "$b" "$bb"
}

@test "records: joining the pid namespace of a container without one of our user namespaces is refused (if-possible)" {
	make_policy '.user_namespace.mode = "off"'
	make_bundle default 'sleep 60'
	local a=$CID pid
	create_detached "$a" "$BUNDLE"
	"$RUNC" --root "$ROOTDIR" start "$a"
	pid=$(pid_of "$a")
	make_policy '.user_namespace.mode = "if-possible"'
	make_bundle default "$USERNS_PROBE"
	edit_config "$BUNDLE" '(.linux.namespaces[] | select(.type == "pid")) += {"path": $p}' --arg p "/proc/$pid/ns/pid"
	refuse_userns "$CID" "belongs to the host's user namespace"
	[ "$(records)" -eq 0 ]
	[ "$(staged_mounts)" -eq 0 ]
	# unless the policy says so in so many words, and the record says it loudly
	make_policy '.user_namespace.mode = "if-possible" | .user_namespace.allow_without = ["shared-pid-namespace"]'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value uid_map)" = "0 0 4294967295" ] || { show_run; false; }
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "user_namespace" and (.reason | startswith("NO USER NAMESPACE"))
		and (.reason | contains("shared-pid-namespace")))'
}

@test "records: a pid namespace path that is not a pid namespace is refused, not run without a user namespace" {
	make_policy '.user_namespace.mode = "if-possible"'
	make_bundle default "$USERNS_PROBE"
	edit_config "$BUNDLE" '(.linux.namespaces[] | select(.type == "pid")) += {"path": "/proc/self/ns/net"}'
	refuse_userns "$CID" "is not a pid namespace"
}

@test "records: an id starting with a dot gets a user namespace like any other" {
	make_policy '.user_namespace.mode = "if-possible"'
	make_bundle default "$USERNS_PROBE"
	edit_config "$BUNDLE" '.linux.cgroupsPath = $p' --arg p "/ocigate-test-.dot-$CID"
	og_userns ".dot-$CID" "$BUNDLE" run --bundle "$BUNDLE" ".dot-$CID"
	assert_status 0
	[[ "$(probe_value uid_map)" =~ ^0\ 10[0-9]{5}\ 65536$ ]] || { show_run; fail "no pool range"; }
}

@test "records: a second create of an id whose first create is still running is refused and touches nothing" {
	local slow="$T/slow-runtime" pid rec_before
	# a create that takes its time (a slow hook, a busy host): the record's
	# creator is alive, runc has no state yet
	printf '#!/bin/sh\nsleep 20\n' >"$slow"
	chmod 755 "$slow"
	make_bundle default 'true'
	"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$slow" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		[ "$(records)" -eq 1 ] && [ "$(staged_mounts)" -eq 1 ] && break
		sleep 0.1
	done
	[ "$(staged_mounts)" -eq 1 ] || fail "the first create did not stage"
	rec_before=$(cat "$STATE"/userns/*)
	local a=$CID
	make_bundle default 'true'
	refuse_userns "$a" "already has a user namespace range under runtime root"
	[ "$(cat "$STATE"/userns/*)" = "$rec_before" ] || fail "the record changed"
	[ "$(staged_mounts)" -eq 1 ] || fail "the first create's staging was touched"
	# nor does gc take it while that create runs
	run "$OCIGATECTL" gc --state-dir "$STATE"
	[[ "$output" == *"gc: 0 released"* ]] || { show_run; fail "gc released a running create's range"; }
	kill "$pid" 2>/dev/null
	pkill -P "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
