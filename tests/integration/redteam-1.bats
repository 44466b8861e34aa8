#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Issue 17 (items 1, 2, 4, 5) and issue 20 (item 6), with real runc: hooks
# judged by the file that will run and its arguments, device entries by
# path, runtime-internal annotations, cgroup paths confined to the
# container's own.  Each attack is judged on the host or inside.

# shellcheck disable=SC2016,SC2154
load helpers

setup() {
	og_setup
	STATE=$(mktemp -d /tmp/ocigate-redteam-XXXXXX)
	chmod 711 "$STATE"
	: >"$T/pids"
}

teardown() {
	local p
	while read -r p; do kill "$p" 2>/dev/null; done <"$T/pids"
	og_teardown
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null 2>&1 || true
	awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | xargs -r umount -l 2>/dev/null
	awk -v s="$T/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | xargs -r umount -l 2>/dev/null
	rm -rf "$STATE"
	return 0
}

# start_detached ID BUNDLE: `ocigate run -d` (as update.bats does).
start_detached() {
	record_container "$ROOTDIR" "$1"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$2/log.json" --log-format json run -d --bundle "$2" "$1" \
		</dev/null >/dev/null 2>"$T/run.err"
	[ ! -s "$T/run.err" ] || { cat "$T/run.err" "$2/log.json" >&2; false; }
}

# --- hooks (17.1, 20.6) -------------------------------------------------------

# proc_exe_trick: container A runs its own program at /usr/sbin/dockerd;
# container B names A's /proc/<pid>/exe as a prestart hook.
proc_exe_trick() {
	# Container A runs its own program at /usr/sbin/dockerd (a copy of
	# busybox, started through a 'sleep' link so busybox sleeps).
	make_bundle default 'exec /usr/local/bin/sleep 120'
	A=$CID ABUNDLE=$BUNDLE
	mkdir -p "$ABUNDLE/rootfs/usr/sbin" "$ABUNDLE/rootfs/usr/local/bin"
	cp "$BUSYBOX" "$ABUNDLE/rootfs/usr/sbin/dockerd"
	ln -s /usr/sbin/dockerd "$ABUNDLE/rootfs/usr/local/bin/sleep"
	start_detached "$A" "$ABUNDLE"
	apid=$("$RUNC" --root "$ROOTDIR" state "$A" | jq -r .pid)
	for _ in $(seq 50); do
		[ "$(readlink "/proc/$apid/exe")" = /usr/sbin/dockerd ] && break
		sleep 0.1
	done
	[ "$(readlink "/proc/$apid/exe")" = /usr/sbin/dockerd ]
	# Container B: that process's exe as a hook, run as host root.
	make_bundle default 'true'
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": $p, "args": ["sh", "-c", ("id -u >" + $m)]}]}' \
		--arg p "/proc/$apid/exe" --arg m "$T/hook-ran-as"
	before=$(sha "$BUNDLE/config.json")
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	[ ! -e "$T/hook-ran-as" ] || fail "the container's program ran on the host as uid $(cat "$T/hook-ran-as")"
	assert_refused "$CID" "$before" - "^ocigate: refused by policy: hooks: hook /proc/$apid/exe: process $apid is not a root process of the host"
}

@test "redteam hooks: a prestart hook /proc/<pid>/exe of a container's own 'dockerd' is refused and never runs" {
	[ -x /usr/sbin/dockerd ] || skip "no /usr/sbin/dockerd on this host (the allowlisted path the trick imitates)"
	proc_exe_trick
}

@test "redteam hooks: the same with user namespaces on (container A's root is a pool uid)" {
	[ -x /usr/sbin/dockerd ] || skip "no /usr/sbin/dockerd on this host (the allowlisted path the trick imitates)"
	make_policy '.user_namespace.mode = "required"'
	proc_exe_trick
}

@test "redteam hooks: dockerd as a hook with arguments that are not Docker's network hook is refused" {
	[ -x /usr/sbin/dockerd ] || skip "no /usr/sbin/dockerd on this host"
	make_bundle default 'true'
	# netns-create is dockerd's re-exec entry point that bind-mounts a
	# network namespace as root at the path it is given.
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": "/usr/sbin/dockerd", "args": ["netns-create", $n]}]}' \
		--arg n "$T/netns"
	touch "$T/netns" # dockerd's parent process makes the file; it mounts over it
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$CID" "$BUNDLE"
	! grep -q " $T/netns " /proc/self/mountinfo || fail "dockerd netns-create ran as a hook: $T/netns is a mount"
	assert_refused "$CID" "$before" - '^ocigate: refused by policy: hooks: hook /usr/sbin/dockerd runs dockerd with arguments that are not Docker.s network hook: argv\[0\] of a dockerd hook must be libnetwork-setkey'
}

@test "redteam hooks: an allowlisted multi-call binary cannot be asked to be another program by argv[0]" {
	# the admin allowlists a busybox-based helper for what it does under its
	# own name; as "sh" it would run anything as host root
	mkdir -p "$T/hookbin"
	cp "$BUSYBOX" "$T/hookbin/true"
	make_policy '.hooks.allow = [$h]' --arg h "$T/hookbin/true"
	make_bundle default 'true'
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": $h, "args": ["sh", "-c", ("touch " + $m)]}]}' \
		--arg h "$T/hookbin/true" --arg m "$T/hook-ran"
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$CID" "$BUNDLE"
	[ ! -e "$T/hook-ran" ] || fail "the allowlisted busybox ran as sh on the host"
	assert_refused "$CID" "$before" - "^ocigate: refused by policy: hooks: hook $T/hookbin/true: argv\\[0\\] must be a name of the allowlisted program \\(true\\)"
	# under its own name it runs
	make_bundle default 'true'
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": $h, "args": ["true"]}]}' --arg h "$T/hookbin/true"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
}

@test "redteam hooks: a host daemon upgraded since it started still runs as /proc/<pid>/exe (kept as is)" {
	mkdir -p "$T/hookbin"
	cp "$BUSYBOX" "$T/hookbin/true"
	make_policy '.hooks.allow = [$h]' --arg h "$T/hookbin/true"
	# a host root process running the allowlisted file, which is then
	# replaced on disk: its exe link reads "<path> (deleted)"
	bash -c 'exec -a sleep "$0" 120' "$T/hookbin/true" &
	dpid=$!
	echo "$dpid" >>"$T/pids"
	for _ in $(seq 50); do [ "$(readlink "/proc/$dpid/exe")" = "$T/hookbin/true" ] && break; sleep 0.1; done
	rm "$T/hookbin/true"
	cp "$BUSYBOX" "$T/hookbin/true"
	[ "$(readlink "/proc/$dpid/exe")" = "$T/hookbin/true (deleted)" ]
	make_bundle default 'true'
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": $p, "args": ["true"]}]}' --arg p "/proc/$dpid/exe"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	jq -e --arg p "/proc/$dpid/exe" '.hooks.prestart[0].path == $p' "$BUNDLE/config.json"
}

@test "redteam hooks: LD_PRELOAD in an allowlisted hook's environment is refused" {
	[ -x /usr/sbin/dockerd ] || skip "no /usr/sbin/dockerd on this host"
	make_bundle default 'true'
	mkdir -p "$T/moby"
	mv "$BUNDLE" "$T/moby/$CID"
	BUNDLE="$T/moby/$CID"
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$BUNDLE/rootfs"
	make_socket "$T/exec/libnetwork/0123456789ab.sock"
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": "/usr/sbin/dockerd",
		"args": ["libnetwork-setkey", ("-exec-root=" + $e), $id, "0123456789ab"],
		"env": [("LD_PRELOAD=" + $e + "/evil.so")]}]}' --arg e "$T/exec" --arg id "$CID"
	refuse_check "$CID" '^ocigate: refused by policy: hooks: hook /usr/sbin/dockerd: environment entry LD_PRELOAD=.* is not allowed'
}

@test "redteam hooks: Docker's own libnetwork-setkey hook still runs (docker-20.10 config, dockerd on the host)" {
	[ -x /usr/sbin/dockerd ] || skip "no /usr/sbin/dockerd on this host"
	make_bundle default 'echo started'
	# containerd's shim gives runc <state>/<namespace>/<id> as the bundle
	mkdir -p "$T/moby"
	mv "$BUNDLE" "$T/moby/$CID"
	BUNDLE="$T/moby/$CID"
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$BUNDLE/rootfs"
	# a fake dockerd external-key listener: answers "success" and keeps
	# what the hook sent (the container id and its network namespace)
	mkdir -p "$T/exec/libnetwork"
	"$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); data = c.recv(65536); c.sendall(b"success"); c.close()
open(sys.argv[2], "wb").write(data)' "$T/exec/libnetwork/0123456789ab.sock" "$T/setkey.json" &
	echo $! >>"$T/pids"
	for _ in $(seq 50); do [ -S "$T/exec/libnetwork/0123456789ab.sock" ] && break; sleep 0.1; done
	# the shape dockerd 20.10 writes (daemon/oci_linux.go), at its own path
	edit_config "$BUNDLE" '.hooks = {"prestart": [{"path": "/usr/sbin/dockerd",
		"args": ["libnetwork-setkey", ("-exec-root=" + $e), $id, "0123456789ab"]}]}' \
		--arg e "$T/exec" --arg id "$CID"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$output" = started ]
	for _ in $(seq 50); do [ -s "$T/setkey.json" ] && break; sleep 0.1; done
	jq -e --arg id "$CID" '.ContainerID == $id and (.Key | test("^/proc/[0-9]+/ns/net$"))' "$T/setkey.json"
}

# --- devices (17.2) -----------------------------------------------------------

@test "redteam devices: a 'device' at /etc/hostname is removed: the host's file is not inside, the image's is intact" {
	make_policy '.user_namespace.mode = "required"'
	make_bundle default 'echo "hostname: $(cat /etc/hostname)"'
	echo image-hostname >"$BUNDLE/rootfs/etc/hostname"
	[ "$(cat /etc/hostname)" != image-hostname ]
	edit_config "$BUNDLE" '.linux.devices = [{"path": "/etc/hostname", "type": "c", "major": 1, "minor": 3,
		"fileMode": 438, "uid": 0, "gid": 0}]'
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value hostname)" = image-hostname ] || fail "/etc/hostname inside is '$(probe_value hostname)'"
	[ "$(cat "$BUNDLE/rootfs/etc/hostname")" = image-hostname ] ||
		fail "the image's /etc/hostname is now '$(cat "$BUNDLE/rootfs/etc/hostname")'"
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "devices" and .path == "linux.devices[0]"
		and (.reason | contains("device path /etc/hostname is not where the host has c 1:3")))'
}

@test "redteam devices: deny mode refuses a default-set number at a path the host has something else at" {
	make_policy '.devices.action = "deny"'
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.devices = [{"path": "/dev/shm/x", "type": "c", "major": 1, "minor": 3}]'
	refuse_check "$CID" '^ocigate: refused by policy: devices: device path /dev/shm/x is not where the host has c 1:3'
}

# --- annotations (17.4) -------------------------------------------------------

@test "redteam annotations: \"bundle\" is refused (an inline runc exec would read another config.json)" {
	make_bundle default 'true'
	mkdir -p "$T/evil"
	edit_config "$BUNDLE" '.annotations = {"bundle": $b}' --arg b "$T/evil"
	refuse_check "$CID" '^ocigate: refused by policy: annotations: annotation key "bundle" is read by the runtime itself'
}

@test "redteam annotations: an inline exec cannot take its process from another bundle named by \"bundle\"" {
	make_bundle default 'sleep 120'
	# the attacker's bundle: the same config with every capability and no
	# no_new_privs; nobody judges it
	mkdir -p "$T/evil"
	jq '.process.capabilities = {"bounding": $all, "effective": $all, "permitted": $all}
		| .process.noNewPrivileges = false' --argjson all '["CAP_SYS_ADMIN","CAP_SYS_MODULE","CAP_SYS_PTRACE","CAP_NET_ADMIN"]' \
		"$BUNDLE/config.json" >"$T/evil/config.json"
	edit_config "$BUNDLE" '.annotations = {"bundle": $b}' --arg b "$T/evil"
	before=$(sha "$BUNDLE/config.json")
	record_container "$ROOTDIR" "$CID"
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 || true
	if "$RUNC" --root "$ROOTDIR" state "$CID" >/dev/null 2>&1; then
		# it runs: an inline exec (as docker exec does without --process)
		run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
			exec "$CID" sh -c 'grep CapEff /proc/self/status'
		cap=$(printf '%s\n' "$output" | sed -n 's/^CapEff:[[:space:]]*//p')
		fail "the container was created; an inline exec got CapEff $cap (from $T/evil/config.json)"
	fi
	assert_log_error '^ocigate: refused by policy: annotations: annotation key "bundle" is read by the runtime itself'
	[ "$(sha "$BUNDLE/config.json")" = "$before" ]
}

@test "redteam annotations: a key \"bundle=<dir>\" (the label runc splits at '=') is refused" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.annotations = {("bundle=" + $b): ""}' --arg b "$T/evil"
	refuse_check "$CID" '^ocigate: refused by policy: annotations: annotation key "bundle=.*" is read by the runtime itself'
}

@test "redteam annotations: systemd unit properties that would set limits are removed, Podman's own are kept" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.annotations = {"org.systemd.property.TasksMax": "uint64 1000000",
		"org.systemd.property.KillSignal": "15", "io.podman.annotations.init": "FALSE"}'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	jq -e '.annotations == {"org.systemd.property.KillSignal": "15", "io.podman.annotations.init": "FALSE"}' \
		"$BUNDLE/config.json"
}

# --- cgroupsPath (17.5) -------------------------------------------------------

@test "redteam cgroups: cgroupsPath of another container is refused; the victim's pids.max is unchanged" {
	make_bundle default 'sleep 120'
	V=$CID
	start_detached "$V" "$BUNDLE"
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$V/pids.max")" = 1024 ]
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.cgroupsPath = $p | .linux.resources.pids.limit = 7' --arg p "/ocigate-test-$V"
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$CID" "$BUNDLE"
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$V/pids.max")" = 1024 ] ||
		fail "the victim's pids.max is now $(cat "/sys/fs/cgroup/pids/ocigate-test-$V/pids.max")"
	assert_refused "$CID" "$before" - "^ocigate: refused by policy: cgroups: cgroupsPath \"/ocigate-test-$V\" does not name this container"
	"$RUNC" --root "$ROOTDIR" state "$V" | jq -e '.status == "running"'
}

@test "redteam cgroups: the same id under another --root cannot take over the victim's populated cgroup" {
	make_bundle default 'sleep 120'
	V=$CID
	start_detached "$V" "$BUNDLE"
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.cgroupsPath = $p | .linux.resources.pids.limit = 7' --arg p "/ocigate-test-$V"
	ROOTDIR="$T/state2"
	export OG_SPY_LOG="$T/runtime2.calls"
	before=$(sha "$BUNDLE/config.json")
	run_ocigate "$V" "$BUNDLE"
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$V/pids.max")" = 1024 ] ||
		fail "the victim's pids.max is now $(cat "/sys/fs/cgroup/pids/ocigate-test-$V/pids.max")"
	assert_refused "$V" "$before" - "^ocigate: refused by policy: cgroups: cgroupsPath \"/ocigate-test-$V\" is an existing cgroup with processes"
}

@test "redteam cgroups: '..', the root and a host service's cgroup are refused" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.cgroupsPath = $p' --arg p "/ocigate-test-$CID/../../init.scope"
	refuse_check "$CID" 'cgroups: cgroupsPath ".*" has an empty, "." or ".." component or names the root'
	edit_config "$BUNDLE" '.linux.cgroupsPath = "/"'
	refuse_check "$CID" 'cgroups: cgroupsPath "/" has an empty, "." or ".." component or names the root'
	edit_config "$BUNDLE" '.linux.cgroupsPath = "system.slice:ssh:service"'
	refuse_check "$CID" 'cgroups: cgroupsPath "system.slice:ssh:service" does not name this container'
}
