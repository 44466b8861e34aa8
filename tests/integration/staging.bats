#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Staged mounts: every bind source is mounted from the object the mounts
# rule judged (a clone under <state>/stage/<key>), with user namespaces on
# or off; the stage is reachable only by host root and the container's own
# root; only the engine's own files and named volumes are idmapped; the
# stage holds the source's submounts when runc would bind them (rbind).

# shellcheck disable=SC2016,SC2154
load helpers

setup_file() {
	og_setup_file
	# renameat2(RENAME_EXCHANGE) in a loop: swaps a directory and a symlink
	# as fast as the kernel lets it (busybox has no such applet)
	cat >"$BATS_FILE_TMPDIR/exchange.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
int main (int argc, char **argv)
{
  if (argc != 3)
    return 2;
  for (;;)
    if (renameat2 (AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0)
      return 1;
}
EOF
	gcc -O2 -static -o "$BATS_FILE_TMPDIR/exchange" "$BATS_FILE_TMPDIR/exchange.c"
}

setup() {
	og_setup
	state_setup
	UNMOUNT=()
}

teardown() {
	local m
	og_teardown
	for m in "${UNMOUNT[@]}"; do umount -l "$m" 2>/dev/null; done
	state_teardown
	# after og_teardown: the racer is gone, no name swaps under rm
	[ -z "${SHARE:-}" ] || rm -rf "$SHARE"
	[ -z "${ENGINE_ROOT:-}" ] || rm -rf "$ENGINE_ROOT"
	return 0
}

# og_create ID BUNDLE OUT: a detached create (the container waits for
# start), its stdio in the file OUT.
og_create() {
	record_container "$ROOTDIR" "$1"
	"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNC" --ocigate-state-dir "$STATE" \
		--root "$ROOTDIR" --log "$2/log.json" --log-format json create --bundle "$2" "$1" </dev/null >"$3" 2>&1
}

# refuse_check_stage ID REGEX: og_userns run on $BUNDLE refuses, in full.
refuse_check_stage() {
	local before audit_before
	before=$(sha "$BUNDLE/config.json")
	audit_before=$(audit_lines)
	og_userns "$1" "$BUNDLE" run --bundle "$BUNDLE" "$1"
	assert_refused "$1" "$before" "$audit_before" "$2"
}

# stage_key ID: what anyone can compute from --root and the id.
stage_key() {
	printf '%s\0%s' "$ROOTDIR" "$1" | sha256sum | cut -c1-32
}

# host_root_of BUNDLE: the host uid of the container's root.
host_root_of() {
	jq -r '.linux.uidMappings[0].hostID' "$1/config.json"
}

# as_user UID CMD...: CMD as host uid/gid UID without supplementary groups.
as_user() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"
}

wait_exited() {
	local i
	for i in $(seq 1 100); do
		"$RUNC" --root "$ROOTDIR" state "$1" 2>/dev/null | jq -e '.status == "stopped"' >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

@test "staging: the staged rootfs and binds are reachable neither by other host users nor by other containers' roots" {
	local vol="$T/private/volume" key a_root b_root path
	make_policy '.user_namespace.mode = "required" | .mounts.allow_sources += [$v]' --arg v "$vol"
	# as /var/lib/docker is on real hosts: only root may enter
	mkdir -p "$vol"
	chmod 700 "$T/private"
	echo "volume data" >"$vol/file"
	chmod 644 "$vol/file"
	make_bundle default 'cat /v/file; cat /etc/passwd'
	A=$BUNDLE A_ID=$CID
	add_mount "$A" "$(jq -nc --arg s "$vol" '{destination: "/v", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	og_create "$A_ID" "$A" "$T/a.out" || { cat "$T/a.out" "$A/log.json"; false; }
	make_bundle default 'sleep 30'
	B=$BUNDLE B_ID=$CID
	og_create "$B_ID" "$B" "$T/b.out" || { cat "$T/b.out" "$B/log.json"; false; }
	key=$(stage_key "$A_ID")
	a_root=$(host_root_of "$A")
	b_root=$(host_root_of "$B")
	[ "$a_root" != "$b_root" ]
	# the computed path is the one runc was given
	jq -e --arg r "$STATE/stage/$key/rootfs" '.root.path == $r' "$A/config.json"
	path=$(jq -r '.mounts[] | select(.destination == "/v") | .source' "$A/config.json")
	[[ $path == "$STATE/stage/$key/binds/"* ]]
	# host root reads both
	cat "$STATE/stage/$key/rootfs/etc/passwd" >/dev/null
	cat "$path/file" >/dev/null
	# an unrelated host user and another container's root read neither,
	# and cannot list the stage
	for u in 65534 "$b_root"; do
		run as_user "$u" cat "$STATE/stage/$key/rootfs/etc/passwd"
		[ "$status" -ne 0 ] || fail "uid $u read the staged rootfs: $output"
		[[ $output == *"Permission denied"* ]] || fail "uid $u: $output"
		run as_user "$u" cat "$path/file"
		[ "$status" -ne 0 ] || fail "uid $u read the staged bind source: $output"
		[[ $output == *"Permission denied"* ]] || fail "uid $u: $output"
		run as_user "$u" ls "$STATE/stage"
		[ "$status" -ne 0 ] || fail "uid $u listed the stages: $output"
		run as_user "$u" ls "$STATE/stage/$key"
		[ "$status" -ne 0 ] || fail "uid $u listed a stage: $output"
	done
	# what else is in the state dir is root's alone
	run stat -c '%a %u:%g %n' "$STATE/stage/$key" "$STATE/userns" "$STATE/lock"
	[ "${lines[0]}" = "710 0:$a_root $STATE/stage/$key" ] || fail "$output"
	[[ ${lines[1]} == "700 0:0 "* ]] || fail "$output"
	[[ ${lines[2]} == "600 0:0 "* ]] || fail "$output"
	# the container itself still reaches its rootfs and its bind
	"$RUNC" --root "$ROOTDIR" start "$A_ID"
	wait_exited "$A_ID"
	grep -qx "volume data" "$T/a.out" || fail "container A: $(cat "$T/a.out")"
	grep -q "^root:x:0:0:" "$T/a.out" || fail "container A: $(cat "$T/a.out")"
}

# race ROUNDS: creates whose bind source $SHARE/a/etc a container swaps
# (a directory <-> a symlink to /) all the time; counts what they saw.
start_racer() {
	make_bundle default '/bin/exchange /share/a /share/b'
	cp "$BATS_FILE_TMPDIR/exchange" "$BUNDLE/rootfs/bin/exchange"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$SHARE" '{destination: "/share", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	edit_config "$BUNDLE" '.process.args = ["/bin/exchange", "/share/a", "/share/b"]'
	record_container "$ROOTDIR" "$CID"
	"$RUNC" --root "$ROOTDIR" run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	RACER=$CID
}

# stop_racer: before the share is removed (no rm while names swap)
stop_racer() {
	"$RUNC" --root "$ROOTDIR" kill "$RACER" KILL 2>/dev/null || true
	wait_exited "$RACER"
}

race() {
	local rounds=$1 round id b
	start_racer
	make_bundle default 'if [ -e /v/innocent ]; then echo "saw: innocent"; elif [ -e /v/passwd ]; then echo "saw: host-etc"; else echo "saw: other"; fi'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$SHARE/a/etc" '{destination: "/v", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	cp "$BUNDLE/config.json" "$T/victim.json"
	b=$BUNDLE
	INNOCENT=0 HOSTETC=0 REFUSED=0 OTHER=0
	# (`round`, not `i`: a helper's loop clobbers a caller's $i)
	for round in $(seq 1 80); do
		cp "$T/victim.json" "$b/config.json"
		id="$CID-$round"
		og_userns "$id" "$b" run --bundle "$b" "$id"
		case "$output" in
		*"saw: innocent"*) INNOCENT=$((INNOCENT + 1)) ;;
		*"saw: host-etc"*) HOSTETC=$((HOSTETC + 1)) ;;
		*) if grep -q "refused by policy" "$b/log.json" 2>/dev/null; then REFUSED=$((REFUSED + 1)); else OTHER=$((OTHER + 1)); fi ;;
		esac
		rm -f "$b/log.json"
		# at least ROUNDS, more (up to 80) until both outcomes were seen
		if [ "$round" -ge "$rounds" ] && [ "$INNOCENT" -gt 0 ] && [ "$REFUSED" -gt 0 ]; then break; fi
	done
	"$RUNC" --root "$ROOTDIR" state "$RACER" | jq -e '.status == "running"' >/dev/null || fail "the racer stopped"
	echo "innocent $INNOCENT, host /etc $HOSTETC, refused $REFUSED, other $OTHER" >&3
}

race_setup() {
	SHARE=$(mktemp -d /tmp/ocigate-share-XXXXXX)
	mkdir -p "$SHARE/a/etc"
	touch "$SHARE/a/etc/innocent"
	ln -s / "$SHARE/b"
}

@test "staging: a bind source swapped by a rename after the check never mounts the swapped target (user namespaces off)" {
	make_policy '.user_namespace.mode = "off"'
	race_setup
	race 24
	stop_racer
	rm -rf "$SHARE"
	[ "$HOSTETC" -eq 0 ] || fail "$HOSTETC creates mounted host /etc"
	# the race was live: some checks saw the swap, some creates ran
	[ "$INNOCENT" -gt 0 ] && [ "$REFUSED" -gt 0 ]
	# the last run's stage waits for gc (runc deleted it, not us)
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null
	[ "$(staged_mounts)" -eq 0 ] || fail "staged mounts left behind"
}

@test "staging: a bind source swapped by a rename after the check never mounts the swapped target (user namespaces on)" {
	make_policy '.user_namespace.mode = "required"'
	race_setup
	race 24
	stop_racer
	rm -rf "$SHARE"
	[ "$HOSTETC" -eq 0 ] || fail "$HOSTETC creates mounted host /etc"
	[ "$INNOCENT" -gt 0 ] && [ "$REFUSED" -gt 0 ]
	# the last run's stage waits for gc (runc deleted it, not us)
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null
	[ "$(staged_mounts)" -eq 0 ] || fail "staged mounts left behind"
}

@test "staging: an earlier mount over a component of a bind source does not redirect it (user namespaces off and on)" {
	mkdir -p "$T/evil"
	ln -s /etc "$T/evil/x"
	for mode in off required; do
		make_policy '.user_namespace.mode = $m' --arg m "$mode"
		make_bundle default 'if [ -e /y/passwd ]; then echo "y: host-etc"; else echo "y: $(ls /y)"; fi'
		mkdir -p "$BUNDLE/rootfs/mnt/x"
		touch "$BUNDLE/rootfs/mnt/x/image-file"
		add_mount "$BUNDLE" "$(jq -nc --arg s "$T/evil" '{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro"]}')"
		add_mount "$BUNDLE" "$(jq -nc --arg s "$BUNDLE/rootfs/mnt/x" '{destination: "/y", type: "bind", source: $s, options: ["rbind", "ro"]}')"
		og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
		assert_status 0
		[ "$(probe_value y)" = image-file ] || { show_run; fail "$mode: /y is not the checked directory"; }
	done
}

# submount_source: $T/src with a file hidden under a tmpfs on $T/src/sub.
submount_source() {
	mkdir -p "$T/src/sub"
	echo hidden >"$T/src/sub/hidden"
	mount -t tmpfs -o size=1m tmpfs "$T/src/sub"
	UNMOUNT+=("$T/src/sub")
	echo on-submount >"$T/src/sub/on-submount"
}

SUBMOUNT_PROBE='echo "sub: $(echo $(ls /s/sub))"; echo "owner: $(stat -c %u /s/sub/on-submount)"'

@test "staging: an rbind source keeps its submounts (a named volume, user namespaces on); only the volume is idmapped" {
	submount_source
	echo top >"$T/src/top"
	make_policy '.user_namespace.mode = "required" | .mounts.allow_sources += [$v]' --arg v "$T/src"
	make_bundle default "$SUBMOUNT_PROBE"'
echo "top owner: $(stat -c %u /s/top)"'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/src" '{destination: "/s", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	# the tree that was checked: the submount, not what it hides
	[ "$(probe_value sub)" = "on-submount" ] || { show_run; fail "submount missing or hidden file shown"; }
	[ "$(probe_value 'top owner')" = 0 ] || { show_run; fail "the volume is not idmapped"; }
	# a mount below the volume is another filesystem: the host's owners
	[ "$(probe_value owner)" = 65534 ] || { show_run; fail "the submount is idmapped"; }
}

@test "staging: an rbind source keeps its submounts (any host dir, user namespaces on and off)" {
	submount_source
	for mode in required off; do
		make_policy '.user_namespace.mode = $m' --arg m "$mode"
		make_bundle default "$SUBMOUNT_PROBE"
		add_mount "$BUNDLE" "$(jq -nc --arg s "$T/src" '{destination: "/s", type: "bind", source: $s, options: ["rbind", "ro"]}')"
		og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
		assert_status 0
		[ "$(probe_value sub)" = "on-submount" ] || { show_run; fail "$mode: submount missing or hidden file shown"; }
	done
}

@test "staging: a non-recursive bind stays non-recursive (runc's bind: the directory under the submount)" {
	submount_source
	make_policy '.user_namespace.mode = "required"'
	make_bundle default "$SUBMOUNT_PROBE"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/src" '{destination: "/s", type: "bind", source: $s, options: ["bind", "ro"]}')"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value sub)" = "hidden" ] || { show_run; fail "a bind without rbind brought the submount"; }
}

@test "staging: container root cannot write host-root files of a bind that is not the engine's (user namespaces on)" {
	local dir="$T/sbin"
	make_policy '.user_namespace.mode = "required"'
	mkdir -m 755 "$dir"
	printf '#!/bin/sh\necho genuine\n' >"$dir/tool"
	chmod 755 "$dir/tool"
	echo secret >"$dir/root-only"
	chmod 600 "$dir/root-only"
	make_bundle default 'echo "owner: $(stat -c %u /s/tool)"
if echo evil >>/s/tool; then echo "append: yes"; else echo "append: no"; fi
if cat /s/root-only >/dev/null 2>&1; then echo "read: yes"; else echo "read: no"; fi
if touch /s/new 2>/dev/null; then echo "create: yes"; else echo "create: no"; fi'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$dir" '{destination: "/s", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value append)" = no ] || { show_run; fail "container root wrote a host-root file"; }
	[ "$(probe_value read)" = no ] || { show_run; fail "container root read a root-only host file"; }
	[ "$(probe_value create)" = no ] || { show_run; fail "container root created a file in a host-root dir"; }
	[ "$(probe_value owner)" = 65534 ] || { show_run; fail "host root's files should belong to nobody inside"; }
	[ "$(cat "$dir/tool")" = $'#!/bin/sh\necho genuine' ]
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "mounts" and (.reason | contains("without the id mapping")))'
}

@test "staging: user namespaces off, delete releases the staged binds; gc releases what a foreground run left" {
	make_policy '.user_namespace.mode = "off"'
	mkdir -p "$T/data"
	make_bundle default 'sleep 30'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/data" '{destination: "/d", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	og_create "$CID" "$BUNDLE" "$T/out" || { cat "$T/out" "$BUNDLE/log.json"; false; }
	[ "$(staged_mounts)" -eq 1 ]
	# root stays root: no staged range makes an exec think it is mapped away
	[ ! -e "$STATE/userns/$(stage_key "$CID")" ]
	"$OCIGATE" --ocigate-state-dir "$STATE" --ocigate-runtime "$RUNC" --root "$ROOTDIR" delete --force "$CID"
	[ "$(staged_mounts)" -eq 0 ]
	[ ! -e "$STATE/stage/$(stage_key "$CID")" ]
	make_bundle default 'true'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/data" '{destination: "/d", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(staged_mounts)" -eq 1 ] # runc deleted it itself, without us
	run "$OCIGATECTL" gc --state-dir "$STATE"
	[[ $output == *"gc: 1 released"* ]] || fail "$output"
	[ "$(staged_mounts)" -eq 0 ]
	[ -z "$(ls "$STATE/stage")" ]
}

@test "staging: a source that cannot be staged is refused with the reason" {
	make_policy '.user_namespace.mode = "off"'
	mkdir -p "$T/unbindable"
	mount -t tmpfs -o size=1m tmpfs "$T/unbindable"
	UNMOUNT+=("$T/unbindable")
	mount --make-unbindable "$T/unbindable"
	make_bundle default 'true'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/unbindable" '{destination: "/u", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	before=$(sha "$BUNDLE/config.json")
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_refused "$CID" "$before" - "bind source .*/unbindable cannot be staged: open_tree"
	[ "$(staged_mounts)" -eq 0 ]
}

@test "staging: rbind with ro, nosuid, nodev: the submounts are read-only too (runc sets the options on the top mount only)" {
	submount_source
	for mode in required off; do
		make_policy '.user_namespace.mode = $m' --arg m "$mode"
		make_bundle default 'if touch /s/sub/new 2>/dev/null; then echo "submount: writable"; else echo "submount: read-only"; fi
echo "flags: $(grep " /s/sub " /proc/self/mounts | cut -d" " -f4)"'
		add_mount "$BUNDLE" "$(jq -nc --arg s "$T/src" '{destination: "/s", type: "bind", source: $s, options: ["rbind", "ro"]}')"
		og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
		assert_status 0
		[ "$(probe_value submount)" = read-only ] || { show_run; fail "$mode: the submount of a read-only bind is writable"; }
		[[ ",$(probe_value flags)," == *,nosuid,* && ",$(probe_value flags)," == *,nodev,* ]] ||
			{ show_run; fail "$mode: the submount is not nosuid,nodev"; }
	done
	[ ! -e "$T/src/sub/new" ]
}

@test "staging: an allowed volume that is a mount of another host dir is not idmapped (user namespaces on)" {
	local vol="$T/volumes/v/_data" dir="$T/hostdir"
	mkdir -p "$vol" "$dir"
	echo "root's" >"$dir/file"
	chmod 644 "$dir/file"
	# what `docker volume create -o type=none -o o=bind -o device=DIR` makes
	mount --bind "$dir" "$vol"
	UNMOUNT+=("$vol")
	make_policy '.user_namespace.mode = "required" | .mounts.allow_sources += [$v]' --arg v "$T/volumes/*/_data"
	make_bundle default 'if echo evil >>/v/file; then echo "write: yes"; else echo "write: no"; fi'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$vol" '{destination: "/v", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value write)" = no ] || { show_run; fail "container root wrote a host-root file through a volume mount"; }
	[ "$(cat "$dir/file")" = "root's" ]
}

@test "staging: a bind source or root filesystem in ocigate's state directory is refused (other containers' stages)" {
	local key
	make_policy '.user_namespace.mode = "required"'
	make_bundle default 'sleep 30'
	og_create "$CID" "$BUNDLE" "$T/a.out" || { cat "$T/a.out" "$BUNDLE/log.json"; false; }
	key=$(stage_key "$CID")
	[ -d "$STATE/stage/$key/rootfs/bin" ]
	make_bundle default 'ls /x'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$STATE/stage/$key/rootfs" '{destination: "/x", type: "bind", source: $s, options: ["rbind", "rw"]}')"
	refuse_check_stage "$CID" "bind source .*/stage/$key/rootfs lies in ocigate's state directory"
	# (with user namespaces on, the stage itself cannot be idmapped twice)
	make_policy '.user_namespace.mode = "off"'
	make_bundle default 'true'
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$STATE/stage/$key/rootfs"
	refuse_check_stage "$CID" "root filesystem .*/stage/$key/rootfs lies in ocigate's state directory"
}

@test "staging: the engine's own files of the container (a file bind, allow_sources with {id}) stay root's inside" {
	for mode in required off; do
		make_bundle default 'echo "hostname: $(cat /etc/hostname) $(stat -c %u /etc/hostname)"'
		mkdir -p "$T/engine/containers/$CID"
		echo "engine-made" >"$T/engine/containers/$CID/hostname"
		make_policy '.user_namespace.mode = $m | .mounts.allow_sources += [$p]' --arg m "$mode" \
			--arg p "$T/engine/containers/{id}/*"
		add_mount "$BUNDLE" "$(jq -nc --arg s "$T/engine/containers/$CID/hostname" \
			'{destination: "/etc/hostname", type: "bind", source: $s, options: ["rbind", "rprivate"]}')"
		og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
		assert_status 0
		[ "$(probe_value hostname)" = "engine-made 0" ] || { show_run; fail "$mode: $(probe_value hostname)"; }
		jq -e '.mounts[] | select(.destination == "/etc/hostname") | .source | test("/stage/[0-9a-f]{32}/binds/[0-9]+$")' \
			"$BUNDLE/config.json"
	done
}

@test "staging: a root filesystem swapped by a rename after the check is never staged (user namespaces on)" {
	local round id b rounds=24 innocent=0 host=0 refused=0 other=0
	make_policy '.user_namespace.mode = "required"'
	SHARE=$(mktemp -d /tmp/ocigate-share-XXXXXX)
	# the rootfs is $SHARE/a; swapped, $SHARE/a is a symlink to the host's /
	cp -a "$BATS_FILE_TMPDIR/rootfs" "$SHARE/a"
	touch "$SHARE/a/innocent"
	ln -s / "$SHARE/b"
	start_racer
	make_bundle default 'if [ -e /innocent ]; then echo "saw: innocent"; elif [ -e /etc/os-release ]; then echo "saw: host-root"; else echo "saw: other"; fi'
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$SHARE/a"
	cp "$BUNDLE/config.json" "$T/victim.json"
	b=$BUNDLE
	# (`round`, not `i`: a helper's loop clobbers a caller's $i)
	for round in $(seq 1 80); do
		cp "$T/victim.json" "$b/config.json"
		id="$CID-$round"
		og_userns "$id" "$b" run --bundle "$b" "$id"
		case "$output" in
		*"saw: innocent"*) innocent=$((innocent + 1)) ;;
		*"saw: host-root"*) host=$((host + 1)) ;;
		*) if grep -q "refused by policy\|changed while it was checked" "$b/log.json" 2>/dev/null; then
			refused=$((refused + 1))
		else other=$((other + 1)); fi ;;
		esac
		rm -f "$b/log.json"
		if [ "$round" -ge "$rounds" ] && [ "$innocent" -gt 0 ] && [ "$refused" -gt 0 ]; then break; fi
	done
	"$RUNC" --root "$ROOTDIR" state "$RACER" | jq -e '.status == "running"' >/dev/null || fail "the racer stopped"
	echo "innocent $innocent, host / $host, refused $refused, other $other" >&3
	stop_racer
	rm -rf "$SHARE"
	[ "$host" -eq 0 ] || fail "$host creates ran on the host's / as their root filesystem"
	[ "$innocent" -gt 0 ] && [ "$refused" -gt 0 ]
	"$OCIGATECTL" gc --state-dir "$STATE" >/dev/null
	[ "$(staged_mounts)" -eq 0 ] || fail "staged mounts left behind"
}

@test "staging: 200 create/delete cycles with binds leak no mount and no stage (user namespaces off and on)" {
	local noop="$T/noop-runtime" n mode
	printf '#!/bin/sh\nexit 0\n' >"$noop"
	chmod 755 "$noop"
	mkdir -p "$T/data"
	echo x >"$T/data/f"
	make_bundle default 'true'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/data" '{destination: "/d", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/data/f" '{destination: "/f", type: "bind", source: $s, options: ["bind", "ro"]}')"
	# ids c1, c2...: no cgroup path named after make_bundle's id (the no-op runtime makes none)
	edit_config "$BUNDLE" 'del(.linux.cgroupsPath)'
	cp "$BUNDLE/config.json" "$T/config.orig"
	for mode in off required; do
		make_policy '.user_namespace.mode = $m' --arg m "$mode"
		for n in $(seq 1 100); do
			cp "$T/config.orig" "$BUNDLE/config.json"
			"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$noop" --ocigate-state-dir "$STATE" \
				--root "$ROOTDIR" create --bundle "$BUNDLE" "c$n" </dev/null || fail "$mode: create $n failed"
			[ "$n" -gt 1 ] || [ "$(staged_mounts)" -ge 2 ] || fail "$mode: nothing staged"
			"$OCIGATE" --ocigate-runtime "$noop" --ocigate-state-dir "$STATE" --root "$ROOTDIR" delete "c$n" ||
				fail "$mode: delete $n failed"
		done
		[ "$(staged_mounts)" -eq 0 ] || fail "$mode: $(staged_mounts) staged mounts left"
		[ -z "$(ls "$STATE/stage")" ] || fail "$mode: stage dirs left: $(ls "$STATE/stage")"
	done
}

@test "staging: an engine's own user namespace (ours off): its root reaches the stage; a state dir it cannot walk is refused with the reason" {
	local key
	make_policy '.user_namespace.mode = "off"'
	mkdir -p "$T/data"
	echo "through the stage" >"$T/data/f"
	chmod 755 "$T/data"
	chmod 644 "$T/data/f"
	make_bundle default 'cat /d/f; echo "uid_map: $(cat /proc/self/uid_map | tr -s " " | sed "s/^ //")"'
	edit_config "$BUNDLE" '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 3000000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 3000000, "size": 65536}]
		| del(.linux.sysctl["net.ipv4.ping_group_range"])'
	# the engine's rootfs must be reachable by its mapped root, as without
	# us (bats' temp dirs are 0700); the bind source need not be: it is
	# reached through the stage
	ENGINE_ROOT=$(mktemp -d /tmp/ocigate-engine-XXXXXX)
	chmod 711 "$ENGINE_ROOT"
	cp -a "$BUNDLE/rootfs" "$ENGINE_ROOT/rootfs"
	mkdir "$ENGINE_ROOT/rootfs/d"
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$ENGINE_ROOT/rootfs"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/data" '{destination: "/d", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	cp "$BUNDLE/config.json" "$T/config.orig"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "${lines[0]}" = "through the stage" ] || { show_run; fail "the engine-mapped root did not read its bind"; }
	[ "$(probe_value uid_map)" = "0 3000000 65536" ]
	key=$(stage_key "$CID")
	[ "$(stat -c '%a %u:%g' "$STATE/stage/$key")" = "710 0:3000000" ]
	# a state dir the mapped root cannot walk: refused, saying why
	chmod 700 "$STATE"
	cp "$T/config.orig" "$BUNDLE/config.json"
	CID="$CID-2"
	edit_config "$BUNDLE" '.linux.cgroupsPath = $p' --arg p "/ocigate-test-$CID"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 1
	assert_log_error "cannot stage the bind sources: $(re_quote "$STATE") is not searchable by the container's user \\(mode 700\\)"
	chmod 711 "$STATE"
	rm -rf "$ENGINE_ROOT"
}

@test "staging: the root filesystem keeps its submounts, shown but not idmapped (user namespaces on)" {
	make_policy '.user_namespace.mode = "required"'
	make_bundle default 'echo "image owner: $(stat -c %u /bin/busybox)"; echo "sub: $(echo $(ls /mnt/sub)) $(stat -c %u /mnt/sub/on-submount)"'
	mkdir -p "$BUNDLE/rootfs/mnt/sub"
	echo hidden >"$BUNDLE/rootfs/mnt/sub/hidden"
	mount -t tmpfs -o size=1m tmpfs "$BUNDLE/rootfs/mnt/sub"
	UNMOUNT+=("$BUNDLE/rootfs/mnt/sub")
	echo on-submount >"$BUNDLE/rootfs/mnt/sub/on-submount"
	og_userns "$CID" "$BUNDLE" run --bundle "$BUNDLE" "$CID"
	assert_status 0
	[ "$(probe_value 'image owner')" = 0 ] || { show_run; fail "the image is not idmapped"; }
	# runc binds the rootfs recursively: the submount is there, with the
	# host's owners
	[ "$(probe_value sub)" = "on-submount 65534" ] || { show_run; fail "rootfs submount: $(probe_value sub)"; }
}
