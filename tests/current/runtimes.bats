#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The members today's runtimes act on, proven with those runtimes: runc
# 1.3.6 and crun 1.28 from Debian forky, inside the root of tests/current
# (run by tests/current/run.sh, entered with --cgroup2: crun refuses this
# host's hybrid cgroups, so crun runs with --cgroup-manager=disabled, one
# of its own global flags that ocigate passes on).  Each threat is first
# shown with the bare runtime (it honours the member), then refused
# through ocigate with the host left intact.

# shellcheck disable=SC2016,SC2154
load ../integration/helpers

CRUN=${CRUN:-/usr/bin/crun}

# crun_spy: the runtime ocigate execs for crun tests (records argv, execs crun).
crun_setup() {
	[ -x "$CRUN" ] || skip "no crun at $CRUN"
	cat >"$BATS_FILE_TMPDIR/crun-spy" <<SPY
#!/bin/sh
if [ -n "\$OG_SPY_LOG" ]; then printf '%s\n' "\$*" >>"\$OG_SPY_LOG"; fi
exec $CRUN "\$@"
SPY
	chmod 755 "$BATS_FILE_TMPDIR/crun-spy"
}

# run_crun ID BUNDLE: `ocigate --cgroup-manager=disabled run` with crun.
run_crun() {
	local id=$1 bundle=$2
	# without a cgroup manager crun sets none of the config's limits:
	# ocigate-hook (verify audit) records exactly that, nothing else
	VERIFY_RECORDS_EXPECTED='"reason":"the process is in the root cgroup \(no (memory limit|pids limit|cpu quota)\)[^;"]*(; the process is in the root cgroup \(no (memory limit|pids limit|cpu quota)\)[^;"]*)*"'
	record_container "$ROOTDIR" "$id"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$BATS_FILE_TMPDIR/crun-spy" \
		--cgroup-manager=disabled --root "$ROOTDIR" --log "$bundle/log.json" --log-format json \
		run --bundle "$bundle" "$id"
}

# bare_crun ID BUNDLE: crun alone, no ocigate.
bare_crun() {
	run timeout 30 "$CRUN" --cgroup-manager=disabled --root "$T/bare" run --bundle "$2" "$1" </dev/null
	"$CRUN" --root "$T/bare" delete -f "$1" >/dev/null 2>&1 || true
}

crun_teardown() {
	local id
	[ -f "$T/containers" ] || return 0
	while read -r _ id; do
		[ -n "$id" ] && "$CRUN" --cgroup-manager=disabled --root "$ROOTDIR" delete -f "$id" >/dev/null 2>&1
	done <"$T/containers"
	ip link del ogcur0 2>/dev/null || true
	return 0
}

setup_file() {
	og_setup_file
	crun_setup
}
teardown() {
	crun_teardown
	og_teardown
}

# crun has no cgroup files to show here: the probe without them.
CRUN_PROBE='grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status
if touch /x 2>/dev/null; then echo "rootfs: writable"; else echo "rootfs: read-only"; fi
echo "uid_map: $(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"'

@test "crun 1.28 through ocigate: no_new_privileges, the capability allowlist, a read-only root and a user namespace inside" {
	make_policy '.user_namespace.mode = "required"'
	make_bundle default "$CRUN_PROBE"
	run_crun "$CID" "$BUNDLE"
	show_run
	assert_status 0
	[ "$(probe_value NoNewPrivs)" = 1 ]
	[ "$(probe_value Seccomp)" = 2 ]
	local set v
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(probe_value "$set")
		(((0x$v & ~ALLOWED_CAP_MASK) == 0)) || fail "$set 0x$v outside the allowlist"
	done
	[ "$(probe_value rootfs)" = read-only ]
	[[ "$(probe_value uid_map)" == "0 1000000 65536" ]] || fail "uid_map: $(probe_value uid_map)"
	grep -q -- "--cgroup-manager=disabled" "$OG_SPY_LOG"
}

@test "crun 1.28: ocigate features and crun's own flags pass through unchanged" {
	cmp <("$OCIGATE" --ocigate-runtime "$CRUN" features) <("$CRUN" features)
	run "$OCIGATE" --ocigate-runtime "$CRUN" --version
	assert_status 0
	[[ $output == *"crun version 1.28"* ]]
}

@test "crun 1.28 honours linux.netDevices (bare crun takes the host's interface); through ocigate it is refused and the host keeps it" {
	ip link add ogcur0 type veth peer name ogcur1
	make_bundle default 'ip link show stolen0 >/dev/null 2>&1 && echo "stolen0: present" || echo "stolen0: absent"; busybox ip link show stolen0 >/dev/null 2>&1 && echo "bb: present"; true'
	edit_config "$BUNDLE" '.linux.netDevices = {"ogcur0": {"name": "stolen0"}} | .process.args = ["/bin/busybox", "ip", "link", "show", "stolen0"]'
	# the threat: crun alone moves it in, and the host loses it
	bare_crun "bare-$CID" "$BUNDLE"
	echo "bare crun: $status $output"
	[[ $output == *stolen0* ]] || fail "crun did not move the interface in: $output"
	! ip link show ogcur0 >/dev/null 2>&1 || fail "the host still has ogcur0 after bare crun"
	# (the namespace is gone with the container: the veth pair went with it)
	ip link del ogcur1 2>/dev/null || true
	ip link add ogcur0 type veth peer name ogcur1
	# through ocigate
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.netDevices = {"ogcur0": {"name": "stolen0"}}'
	before=$(sha "$BUNDLE/config.json")
	audit_before=$(audit_lines)
	run_crun "$CID" "$BUNDLE"
	assert_refused "$CID" "$before" "$audit_before" 'fields: moves the host.s network interface "ogcur0" into the container'
	ip link show ogcur0 >/dev/null
}

@test "runc 1.3.6 honours process.scheduler (bare runc runs SCHED_RR); through ocigate real-time is refused" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.process.scheduler = {"policy": "SCHED_RR", "priority": 1} | .process.args = ["/bin/sh", "-c", "grep ^policy /proc/self/sched"]'
	run timeout 30 "$RUNC" --root "$T/bare" run --bundle "$BUNDLE" "bare-$CID" </dev/null
	"$RUNC" --root "$T/bare" delete -f "bare-$CID" >/dev/null 2>&1 || true
	echo "bare runc: $status $output"
	[[ $output =~ policy[[:space:]]+:[[:space:]]+2 ]] || fail "runc did not apply SCHED_RR: $output"
	make_bundle default 'true'
	edit_config "$BUNDLE" '.process.scheduler = {"policy": "SCHED_RR", "priority": 1}'
	refuse_check "$CID" 'fields: a real-time or deadline policy, or a negative nice, takes CPU from the host.s tasks'
}

@test "runc 1.3.6 honours mounts[].uidMappings (bare runc: host root's file owned by container root); through ocigate refused" {
	mkdir -p "$T/vol"
	echo secret >"$T/vol/file"
	make_bundle default 'true'
	edit_config "$BUNDLE" '.mounts += [{"destination": "/v", "type": "bind", "source": $src, "options": ["rbind"], "uidMappings": [{"containerID": 0, "hostID": 3000000, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 3000000, "size": 65536}]}] | .linux.namespaces += [{"type": "user"}] | del(.linux.sysctl) | .linux.uidMappings = [{"containerID": 0, "hostID": 3000000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 3000000, "size": 65536}] | .process.args = ["/bin/sh", "-c", "stat -c \"owner: %u\" /v/file"]' --arg src "$T/vol"
	# container root (host uid 3000000) must reach the bare bundle: a
	# world-searchable copy of it
	local open
	open=$(mktemp -d /var/tmp/ocigate-current.XXXXXX)
	chmod 755 "$open"
	cp -a "$BUNDLE" "$open/b"
	mkdir "$open/b/rootfs/v"
	edit_config "$open/b" '.root.path = $r' --arg r "$open/b/rootfs"
	run timeout 30 "$RUNC" --root "$T/bare" run --bundle "$open/b" "bare-$CID" </dev/null
	"$RUNC" --root "$T/bare" delete -f "bare-$CID" >/dev/null 2>&1 || true
	rm -rf "$open"
	echo "bare runc: $status $output"
	[ "$(probe_value owner)" = 0 ] || fail "runc did not make the idmapped mount: $output"
	make_bundle default 'true'
	edit_config "$BUNDLE" '.mounts += [{"destination": "/v", "type": "bind", "source": $src, "options": ["rbind"], "uidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}]}]' --arg src "$T/vol"
	refuse_check "$CID" 'fields: an idmapped mount made by the runtime'
}

@test "runc 1.3.6: an invented member is refused before the runtime starts" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.futureLever = {"on": true}'
	refuse_check "$CID" 'fields: linux\.futureLever is not a member'
}

@test "crun 1.28: no setuid or setgid file from the container on a bind source (chmod 4755 and 2755 EPERM, plain chmod works)" {
	mkdir -p "$T/vol"
	chmod 0777 "$T/vol"
	make_bundle default 'cp /bin/busybox /v/x; if chmod 4755 /v/x 2>/dev/null; then echo "suid: allowed"; else echo "suid: denied"; fi; if chmod 2755 /v/x 2>/dev/null; then echo "sgid: allowed"; else echo "sgid: denied"; fi; echo "plain: $(chmod 0755 /v/x && echo ok)"'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/vol" '{destination: "/v", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	run_crun "$CID" "$BUNDLE"
	show_run
	assert_status 0
	[ "$(probe_value suid)" = denied ]
	[ "$(probe_value sgid)" = denied ]
	[ "$(probe_value plain)" = ok ]
	[ -f "$T/vol/x" ]
	[ -z "$(find "$T/vol/x" -perm /6000)" ] || fail "the host file has a setuid/setgid bit: $(stat -c %A "$T/vol/x")"
}
