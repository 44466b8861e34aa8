#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# User namespaces: every container gets its own host id range from the
# policy pool and an idmapped rootfs, so image files still look root-owned
# inside.  Delete and `ocigatectl gc` give both back.

# shellcheck disable=SC2016,SC2154
load helpers

USERNS_PROBE='echo "uid_map: $(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"
echo "gid_map: $(cat /proc/self/gid_map | tr -s " " | sed "s/^ //")"
echo "busybox owner: $(stat -c %u:%g /bin/busybox)"
echo "id: $(id -u):$(id -g)"
grep -E "^(CapEff|NoNewPrivs):" /proc/self/status'

setup() {
	og_setup
	state_setup
	make_policy '.user_namespace.mode = "required"'
}

teardown() {
	og_teardown
	state_teardown
}

@test "userns: the container runs in a pool range with an idmapped rootfs" {
	make_bundle default "$USERNS_PROBE"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	show_run
	[ "$status" -eq 0 ]
	# container root is host uid 1000000 + k*65536, never host root
	[[ "$(probe_value uid_map)" =~ ^0\ ([0-9]+)\ 65536$ ]]
	host=${BASH_REMATCH[1]}
	[ "$host" -ge 1000000 ]
	[ $(((host - 1000000) % 65536)) -eq 0 ]
	[ "$(probe_value gid_map)" = "0 $host 65536" ]
	# image files (owned by host root) are root-owned inside
	[ "$(probe_value 'busybox owner')" = "0:0" ]
	[ "$(probe_value id)" = "0:0" ]
	[ "$(probe_value NoNewPrivs)" = 1 ]
	# the rewritten config says the same
	jq -e --argjson h "$host" '(.linux.namespaces | any(.type == "user"))
		and .linux.uidMappings == [{"containerID": 0, "hostID": $h, "size": 65536}]
		and (.root.path | startswith("'"$STATE"'/stage/"))' "$BUNDLE/config.json"
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "user_namespace" and .path == "root.path")'
}

@test "userns: an identity mapping from the engine is replaced by a pool range" {
	make_bundle default "$USERNS_PROBE"
	edit_config "$BUNDLE" '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 4294967295}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 4294967295}]'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	show_run
	[ "$status" -eq 0 ]
	[[ "$(probe_value uid_map)" =~ ^0\ ([0-9]+)\ 65536$ ]]
	[ "${BASH_REMATCH[1]}" -ge 1000000 ]
}

@test "userns: Docker's ping_group_range is clamped to the mapped groups" {
	make_bundle default 'cat /proc/sys/net/ipv4/ping_group_range'
	jq -e '.linux.sysctl["net.ipv4.ping_group_range"] == "0 2147483647"' "$BUNDLE/config.json"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	show_run
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^0[[:space:]]+65535$ ]]
}

@test "userns: parallel creates get pairwise disjoint ranges; delete frees them and unmounts" {
	local n=10 i ids=() starts
	for i in $(seq 1 $n); do
		make_bundle default 'sleep 30'
		ids+=("$CID:$BUNDLE")
	done
	for e in "${ids[@]}"; do
		(
			id=${e%%:*} b=${e#*:}
			rc=0
			"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNC" --ocigate-state-dir "$STATE" \
				--root "$ROOTDIR" --log "$b/log.json" create --bundle "$b" "$id" </dev/null >/dev/null 2>&1 || rc=$?
			echo "$id $rc" >>"$T/created"
		) &
		record_container "$ROOTDIR" "${e%%:*}"
	done
	wait
	[ "$(grep -c ' 0$' "$T/created")" -eq $n ]
	starts=$(for e in "${ids[@]}"; do jq '.linux.uidMappings[0].hostID' "${e#*:}/config.json"; done | sort -n)
	[ "$(echo "$starts" | uniq | wc -l)" -eq $n ]
	# disjoint: consecutive starts at least one range apart
	echo "$starts" | awk 'NR > 1 && $1 - prev < 65536 {exit 1} {prev = $1}'
	[ "$(staged_mounts)" -eq $n ]
	[ "$(ls "$STATE/userns" | wc -l)" -eq $n ]
	for e in "${ids[@]}"; do
		"$OCIGATE" --ocigate-state-dir "$STATE" --ocigate-runtime "$RUNC" --root "$ROOTDIR" delete --force "${e%%:*}"
	done
	[ "$(staged_mounts)" -eq 0 ]
	[ "$(ls "$STATE/userns" | wc -l)" -eq 0 ]
	[ "$(ls "$STATE/stage" | wc -l)" -eq 0 ]
}

@test "userns: a create killed after staging is cleaned up by ocigatectl gc" {
	make_bundle default 'true'
	# a runtime that dies like a SIGKILLed create: state never written
	printf '#!/bin/sh\nkill -9 $$\n' >"$T/dying-runtime"
	chmod 755 "$T/dying-runtime"
	run "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$T/dying-runtime" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 137 ]
	[ "$(staged_mounts)" -eq 1 ]
	[ "$(ls "$STATE/userns" | wc -l)" -eq 1 ]
	run "$OCIGATECTL" gc --state-dir "$STATE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"gc: 1 released"* ]]
	[ "$(staged_mounts)" -eq 0 ]
	[ "$(ls "$STATE/userns" | wc -l)" -eq 0 ]
}

@test "userns: gc leaves a running container alone" {
	make_bundle default 'sleep 30'
	"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNC" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	record_container "$ROOTDIR" "$CID"
	run "$OCIGATECTL" gc --state-dir "$STATE"
	[[ "$output" == *"gc: 0 released"* ]]
	[ "$(staged_mounts)" -eq 1 ]
	"$OCIGATE" --ocigate-state-dir "$STATE" --ocigate-runtime "$RUNC" --root "$ROOTDIR" delete --force "$CID"
	[ "$(staged_mounts)" -eq 0 ]
}

@test "userns: 1000 create/delete cycles leak no mount, record or range" {
	local noop="$T/noop-runtime" i
	printf '#!/bin/sh\nexit 0\n' >"$noop"
	chmod 755 "$noop"
	make_bundle default 'true'
	# ids c1..c1000 share the bundle: runc's default cgroup (the no-op
	# runtime makes none), not one that names another id
	jq 'del(.linux.cgroupsPath)' "$BUNDLE/config.json" >"$T/config.orig"
	for i in $(seq 1 1000); do
		cp "$T/config.orig" "$BUNDLE/config.json"
		"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$noop" --ocigate-state-dir "$STATE" \
			--root "$ROOTDIR" create --bundle "$BUNDLE" "c$i" </dev/null || fail "create $i failed"
		"$OCIGATE" --ocigate-runtime "$noop" --ocigate-state-dir "$STATE" --root "$ROOTDIR" delete "c$i" ||
			fail "delete $i failed"
	done
	[ "$(staged_mounts)" -eq 0 ]
	[ "$(ls "$STATE/userns" | wc -l)" -eq 0 ]
	[ "$(ls "$STATE/stage" | wc -l)" -eq 0 ]
	# every cycle got the first range again: nothing was left allocated
	jq -e '.linux.uidMappings[0].hostID == 1000000' "$BUNDLE/config.json"
}

@test "userns: a state dir the container's user cannot walk is refused with the reason" {
	local hidden="$T/private-state"
	mkdir -m 700 "$hidden"
	make_bundle default 'true'
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$hidden/s" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]
	last_log_line "$BUNDLE" | jq -e '.msg | contains("not searchable")'
	assert_runtime_not_started
	[ "$(awk -v s="$hidden/" 'index($5, s) == 1' /proc/self/mountinfo | wc -l)" -eq 0 ]
}

@test "userns: required, but the rootfs cannot be resolved: refused with the reason" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.root.path = "/nonexistent-rootfs"'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]
	last_log_line "$BUNDLE" | jq -e '.msg | startswith("ocigate: refused by policy:")'
	[ "$(staged_mounts)" -eq 0 ]
	[ "$(ls "$STATE/userns" 2>/dev/null | wc -l)" -eq 0 ]
}

@test "userns: a named volume (allow_sources) owned by root is writable by container root, files stay root-owned" {
	local vol="$T/volume"
	# only the engine's own files and named volumes are idmapped (see
	# staging.bats for any other host dir)
	make_policy '.user_namespace.mode = "required" | .mounts.allow_sources += [$v]' --arg v "$vol"
	mkdir -m 755 "$vol"
	echo host >"$vol/from-host"
	make_bundle default 'echo "owner: $(stat -c %u /data/from-host)"; echo written >/data/from-container && echo "write: ok"'
	add_mount "$BUNDLE" '{"destination": "/data", "type": "bind", "source": "'"$vol"'", "options": ["rbind", "rw"]}'
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value owner)" = 0 ]
	[ "$(probe_value write)" = ok ]
	# on the host the new file belongs to root, as without a user namespace
	[ "$(stat -c %u "$vol/from-container")" = 0 ]
	jq -e '.mounts | any(.destination == "/data" and (.source | startswith("'"$STATE"'/stage/")))' "$BUNDLE/config.json"
	# delete (here gc, the container exited) unmounts the staged bind
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null
	[ "$(staged_mounts)" -eq 0 ]
}

@test "userns: under run_as_non_root a root container and a root exec are allowed, root being mapped away" {
	make_policy '.user_namespace.mode = "required" | .process.run_as_non_root = true'
	make_bundle default 'sleep 60'
	record_container "$ROOTDIR" "$CID"
	# detached, stdio not bats' pipes (as update.bats starts its sleeper)
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run -d --bundle "$BUNDLE" "$CID" \
		</dev/null >/dev/null 2>"$T/run.err"
	[ ! -s "$T/run.err" ] || { cat "$T/run.err"; false; }
	og_userns "$CID" "$BUNDLE" exec --user 0 "$CID" sh -c 'id -u; cat /proc/self/uid_map'
	assert_status 0
	[ "$(echo "$output" | head -n1)" = 0 ] || { show_run; false; }
	[[ "$(echo "$output" | tail -n1)" =~ ^\ *0\ +([0-9]+)\ +65536$ ]] && [ "${BASH_REMATCH[1]}" -ge 1000000 ] || {
		show_run
		false
	}
	og_userns "$CID" "$BUNDLE" delete -f "$CID"
	assert_status 0
}

# children_runtime: $T/runtime-children, a runtime that appends the
# children it was started with to $T/children.log ("children:" and their
# pids), then execs runc.  Its pid is ocigate's: any child ocigate left
# would be listed (read is a builtin: no child of its own).
children_runtime() {
	cat >"$T/runtime-children" <<EOF2
#!/bin/sh
c=
read -r c </proc/\$\$/task/\$\$/children || true
echo "children:\$c" >>"$T/children.log"
exec $RUNC "\$@"
EOF2
	chmod 755 "$T/runtime-children"
}

@test "userns: the runtime inherits no child process (the user-namespace holder is reaped before the exec)" {
	children_runtime
	make_bundle default true
	: >"$T/children.log"
	cp "$BUNDLE/config.json" "$T/config.orig.json"
	for i in 1 2 3 4 5; do
		# each id its own cgroup
		sed "s|\"/ocigate-test-$CID\"|\"/ocigate-test-$CID-$i\"|" "$T/config.orig.json" >"$BUNDLE/config.json"
		record_container "$ROOTDIR" "$CID-$i"
		# stdio not bats' pipes: the created container holds them open
		timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$T/runtime-children" \
			--ocigate-state-dir "$STATE" --root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json \
			create --bundle "$BUNDLE" "$CID-$i" </dev/null >/dev/null 2>"$T/create.err"
		[ ! -s "$T/create.err" ] || { cat "$T/create.err"; false; }
		jq -e '.linux.uidMappings[0].hostID >= 1000000' "$BUNDLE/config.json" >/dev/null
		og_userns "$CID-$i" "$BUNDLE" delete -f "$CID-$i"
		cp "$T/config.orig.json" "$BUNDLE/config.json"
	done
	[ "$(grep -c '^children:$' "$T/children.log")" = 5 ] || { cat "$T/children.log"; false; }
}

@test "userns: without CAP_SYS_NICE (the holder cannot be made real-time) the create is the same, and no child is inherited" {
	children_runtime
	make_bundle default true
	: >"$T/children.log"
	record_container "$ROOTDIR" "$CID"
	timeout 30 setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice -- "$OCIGATE" --ocigate-policy "$POLICY" \
		--ocigate-runtime "$T/runtime-children" --ocigate-state-dir "$STATE" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>"$T/create.err"
	[ ! -s "$T/create.err" ] || { cat "$T/create.err"; false; }
	jq -e '.linux.uidMappings[0].hostID >= 1000000' "$BUNDLE/config.json" >/dev/null
	[ "$(cat "$T/children.log")" = "children:" ] || { cat "$T/children.log"; false; }
	# and setpriv did take the capability away
	local eff
	eff=$(setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice -- awk '/^CapEff/ { print $2 }' /proc/self/status)
	[ $(((0x$eff >> 23) & 1)) -eq 0 ] || fail "CAP_SYS_NICE (bit 23) still effective: $eff"
	og_userns "$CID" "$BUNDLE" delete -f "$CID"
}
