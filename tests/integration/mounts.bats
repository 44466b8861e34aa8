#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Bind mounts: daemon sockets (however spelled), directories holding them
# and sensitive host trees are refused; an innocent directory is mounted
# from its resolved path with the forced options.

# shellcheck disable=SC2016,SC2154
load helpers

setup() {
	og_setup
	# A fake daemon socket; the real /var/run/docker.sock does not exist on
	# this host, so the test policy lists this one as well.
	SOCK="$T/sockdir/daemon.sock"
	make_socket "$SOCK"
	SOCK=$(realpath "$SOCK")
	make_policy '.mounts.deny_sockets += [$s]' --arg s "$SOCK"
}

# bind_refused SOURCE REGEX [EXTRA_JSON]: a default container plus one bind
# of SOURCE (type bind, rbind unless EXTRA_JSON overrides) is refused.
bind_refused() {
	local src=$1 re=$2 extra=${3:-'{}'}
	make_bundle default
	add_mount "$BUNDLE" "$(jq -nc --arg s "$src" --argjson x "$extra" \
		'{destination: "/mnt/x", type: "bind", source: $s, options: ["rbind", "rprivate"]} + $x')"
	refuse_check "$CID" "^ocigate: refused by policy: mounts: $re"
}

@test "sock fixture is refused: log.json error, runc never ran, config.json unchanged, one refuse audit line" {
	make_policy # the plain default policy
	make_bundle sock
	jq -e '.mounts | any(.source == "/var/run/docker.sock") and any(.source == "/") and any(.source == "/proc")' \
		"$BUNDLE/config.json"
	refuse_check "$CID" '^ocigate: refused by policy: mounts: '
	# all three hostile binds are in the audit record
	tail -n1 "$AUDIT" | jq -e '[.decisions[] | select(.rule == "mounts" and .action == "refuse") | .before]
		| (index("\"/\"") != null and index("\"/proc\"") != null and index("\"/var/run/docker.sock\"") != null)'
	tail -n1 "$AUDIT" | jq -e '.message | startswith("refused by policy: mounts: ")'
}

@test "socket bind: direct path" {
	bind_refused "$SOCK" "bind mount of $(re_quote "$SOCK") is the daemon socket"
}

@test "socket bind: through a symlink" {
	ln -s "$SOCK" "$T/innocent-looking"
	bind_refused "$T/innocent-looking" "bind mount of $(re_quote "$SOCK") is the daemon socket"
}

@test "socket bind: through a symlinked directory" {
	ln -s "$T/sockdir" "$T/linkdir"
	bind_refused "$T/linkdir/daemon.sock" "bind mount of $(re_quote "$SOCK") is the daemon socket"
}

@test "socket bind: relative path, resolved against the bundle" {
	# bundle is $T/bundleN: ../sockdir/daemon.sock is the socket
	bind_refused "../sockdir/daemon.sock" "bind mount of $(re_quote "$SOCK") is the daemon socket"
}

@test "socket bind: the directory that contains it" {
	bind_refused "$T/sockdir" "bind mount of $(re_quote "$T/sockdir") contains the daemon socket $(re_quote "$SOCK")"
}

@test "socket bind: a directory further up that contains it" {
	mkdir -p "$T/up/a/b"
	make_socket "$T/up/a/b/other.sock"
	bind_refused "$T/up" "bind mount of $(re_quote "$T/up") contains the socket $(re_quote "$T/up/a/b/other.sock")"
}

@test "socket bind: dir/../sock spelling" {
	mkdir -p "$T/elsewhere"
	bind_refused "$T/elsewhere/../sockdir/daemon.sock" "bind mount of $(re_quote "$SOCK") is the daemon socket"
}

@test "socket bind: // and /./ spellings" {
	bind_refused "/${T}//sockdir/.//daemon.sock" "bind mount of $(re_quote "$SOCK") is the daemon socket"
}

@test "socket bind: type none with rbind" {
	bind_refused "$SOCK" "bind mount of $(re_quote "$SOCK") is the daemon socket" '{"type": "none", "options": ["rbind"]}'
}

@test "socket bind: no type at all, options bind" {
	make_bundle default
	add_mount "$BUNDLE" "$(jq -nc --arg s "$SOCK" '{destination: "/mnt/x", source: $s, options: ["bind"]}')"
	jq -e '.mounts[-1] | has("type") | not' "$BUNDLE/config.json"
	refuse_check "$CID" "^ocigate: refused by policy: mounts: bind mount of $(re_quote "$SOCK") is the daemon socket"
}

@test "socket bind: a socket on no list is refused too (deny_any_socket)" {
	make_socket "$T/other/unlisted.sock"
	bind_refused "$T/other/unlisted.sock" "bind mount of $(re_quote "$T/other/unlisted.sock") is a socket"
}

@test "innocent directory: allowed, source rewritten to the resolved path, nosuid,nodev added, visible inside" {
	mkdir -p "$T/data"
	echo "hello from the host" >"$T/data/hello.txt"
	ln -s data "$T/data-link"
	make_bundle default 'cat /data/hello.txt; grep " /data " /proc/self/mounts'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/elsewhere/../data-link/" \
		'{destination: "/data", type: "bind", source: $s, options: ["rbind", "ro", "suid"]}')"
	mkdir -p "$T/elsewhere"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "${lines[0]}" = "hello from the host" ] || { show_run; false; }
	# the mount inside is nosuid,nodev
	[[ ${lines[1]} == *nosuid* && ${lines[1]} == *nodev* ]] || { show_run; false; }
	# runc mounts the checked object, staged (see staging.bats), not the path
	jq -e '.mounts[] | select(.destination == "/data")
		| (.source | test("/stage/[0-9a-f]{32}/binds/[0-9]+$"))
		and (.options | index("nosuid") != null and index("nodev") != null and index("suid") == null)' \
		"$BUNDLE/config.json"
	jq -e --arg s "$(realpath "$T/data")" '.decisions | any(.rule == "mounts" and (.reason | contains("resolved"))
		and .after == ($s | tojson))' "$AUDIT"
}

@test "sensitive tree: /" {
	make_policy # plain default: our socket under / would be found first
	bind_refused / "bind mount of / exposes the sensitive host tree /"
}

@test "sensitive tree: /etc" {
	bind_refused /etc "bind mount of /etc exposes the sensitive host tree /etc"
}

@test "sensitive tree: a file in it (/etc/passwd)" {
	bind_refused /etc/passwd "bind mount of /etc/passwd exposes the sensitive host tree /etc"
}

@test "sensitive tree: /proc and /proc/1" {
	bind_refused /proc "bind mount of /proc exposes the sensitive host tree /proc"
	bind_refused /proc/1 "bind mount of /proc/1 exposes the sensitive host tree /proc"
}

@test "sensitive tree: /dev/shm" {
	bind_refused /dev/shm "bind mount of /dev/shm exposes the sensitive host tree /dev"
}

@test "sensitive tree: /etc through a symlink in the temp dir" {
	ln -s /etc "$T/etc-link"
	bind_refused "$T/etc-link" "bind mount of /etc exposes the sensitive host tree /etc"
	ln -s /etc/passwd "$T/passwd-link"
	bind_refused "$T/passwd-link/" "bind source"
	bind_refused "$T/passwd-link" "bind mount of /etc/passwd exposes the sensitive host tree /etc"
}

@test "sensitive tree: /var/lib/docker (engine state root)" {
	# Not created on this host if absent: then it is refused as unresolvable.
	if [ -e /var/lib/docker ]; then
		bind_refused /var/lib/docker "bind mount of /var/lib/docker exposes the sensitive host tree /var/lib/docker"
	else
		bind_refused /var/lib/docker "bind source /var/lib/docker cannot be resolved"
	fi
}

@test "sensitive tree: /var/log (exists on every host)" {
	bind_refused /var/log "bind mount of /var/log exposes the sensitive host tree /var/log"
}

@test "sensitive tree: an admin-listed tree, a directory inside it and a symlink into it" {
	mkdir -p "$T/engine-root/containers/other"
	make_policy '.mounts.deny_trees += [$t]' --arg t "$T/engine-root"
	bind_refused "$T/engine-root" "bind mount of $(re_quote "$T/engine-root") exposes the sensitive host tree"
	bind_refused "$T/engine-root/containers/other" ".*exposes the sensitive host tree $(re_quote "$T/engine-root")"
	ln -s engine-root/containers "$T/c-link"
	bind_refused "$T/c-link/other" "bind mount of $(re_quote "$T/engine-root/containers/other") exposes the sensitive host tree $(re_quote "$T/engine-root")"
}

@test "sensitive tree: a parent of one (/var) is refused" {
	bind_refused /var "bind mount of /var exposes the sensitive host tree"
}

@test "bind source that does not exist is refused, not skipped" {
	bind_refused "$T/no/such/dir" "bind source $(re_quote "$T/no/such/dir") cannot be resolved"
}

@test "sensitive tree: /var/run (a symlink to /run here)" {
	bind_refused /var/run "bind mount of /(var/)?run (exposes the sensitive host tree|contains the)"
}

@test "socket scan: a socket below max_depth, or more than max_entries, is refused as unscannable" {
	mkdir -p "$T/deep/1/2/3/4"
	make_socket "$T/deep/1/2/3/4/s.sock"
	make_policy '.mounts.deny_sockets += [$s] | .mounts.scan.max_depth = 2' --arg s "$SOCK"
	bind_refused "$T/deep" "bind mount of $(re_quote "$T/deep") could not be fully scanned"

	mkdir -p "$T/many"
	touch "$T/many/f"{1..50}
	make_policy '.mounts.deny_sockets += [$s] | .mounts.scan.max_entries = 10' --arg s "$SOCK"
	bind_refused "$T/many" "bind mount of $(re_quote "$T/many") could not be fully scanned"
}

@test "deny_any_socket false: an unlisted socket may be bound, a hard link to the daemon socket may not" {
	make_policy '.mounts.deny_sockets += [$s] | .mounts.deny_any_socket = false' --arg s "$SOCK"
	make_socket "$T/ok/app.sock"
	make_bundle default
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/ok/app.sock" '{destination: "/app.sock", type: "bind", source: $s, options: ["rbind"]}')"
	run "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0

	# same inode as the daemon socket under another name
	mkdir -p "$T/innocent"
	ln "$SOCK" "$T/innocent/metrics"
	bind_refused "$T/innocent/metrics" "bind mount of $(re_quote "$T/innocent/metrics") is the daemon socket $(re_quote "$SOCK")"
	bind_refused "$T/innocent" "bind mount of $(re_quote "$T/innocent") contains the socket $(re_quote "$T/innocent/metrics")"
}

@test "a non-bind mount type that takes a host path is refused" {
	bind_refused "/dev/vda" "mount type ext4" '{"type": "ext4", "options": ["ro"]}'
	bind_refused "overlay" "mount type overlay" '{"type": "overlay", "options": ["lowerdir=/etc,upperdir=/tmp/u,workdir=/tmp/w"]}'
}

@test "a sibling whose name merely starts with a sensitive tree's name is not in it" {
	mkdir -p "$T/engine" "$T/engine-other"
	echo ok >"$T/engine-other/f"
	make_policy '.mounts.deny_trees += [$t]' --arg t "$T/engine"
	make_bundle default 'cat /data/f'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/engine-other" '{destination: "/data", type: "bind", source: $s, options: ["rbind", "ro"]}')"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$output" = ok ] || { show_run; false; }
}

@test "engine state: this container's own files are allowed ({id}), another container's are not" {
	mkdir -p "$T/engine/containers"
	make_policy '.mounts.deny_trees += [$t] | .mounts.allow_sources += [$t + "/containers/{id}/*"]' --arg t "$T/engine"

	make_bundle default 'cat /etc/hostname'
	mkdir -p "$T/engine/containers/$CID"
	echo "my-hostname" >"$T/engine/containers/$CID/hostname"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/engine/containers/$CID/hostname" \
		'{destination: "/etc/hostname", type: "bind", source: $s, options: ["rbind", "rprivate"]}')"
	# the id comes before the flags here (runc reorders them)
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run "$CID" --bundle "$BUNDLE"
	assert_status 0
	[ "$output" = my-hostname ] || { show_run; false; }
	local mine=$CID

	# another container's file, and the state dir itself, are refused
	mkdir -p "$T/engine/containers/other-container"
	echo "theirs" >"$T/engine/containers/other-container/hostname"
	bind_refused "$T/engine/containers/other-container/hostname" "bind mount of .* exposes the sensitive host tree $(re_quote "$T/engine")"
	bind_refused "$T/engine/containers/$mine/hostname" "bind mount of .* exposes the sensitive host tree $(re_quote "$T/engine")"
	# this container's whole state dir is not one of its files
	make_bundle default
	mkdir -p "$T/engine/containers/$CID"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/engine/containers/$CID" \
		'{destination: "/state", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "bind mount of .* exposes the sensitive host tree $(re_quote "$T/engine")"
}

@test "root.path: relative is resolved against the bundle; the host root, via a symlink too, is refused" {
	make_policy # plain default: our socket under / would be found first
	make_bundle default 'echo hi'
	edit_config "$BUNDLE" '.root.path = "rootfs"'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$output" = hi ]
	jq -e --arg r "$BUNDLE/rootfs" '.root.path == $r and .root.readonly == true' "$BUNDLE/config.json"

	make_bundle default
	edit_config "$BUNDLE" '.root.path = "/"'
	refuse_check "$CID" '^ocigate: refused by policy: mounts: root filesystem / exposes the sensitive host tree /$'

	ln -s / "$T/rootlink"
	make_bundle default
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$T/rootlink"
	refuse_check "$CID" '^ocigate: refused by policy: mounts: root filesystem / exposes the sensitive host tree /$'
}

@test "root.path: a directory holding the daemon socket is refused" {
	make_bundle default
	# $SOCK is $T/sockdir/daemon.sock: make the rootfs $T itself
	cp -a "$BUNDLE/rootfs/." "$T/"
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$T"
	refuse_check "$CID" "^ocigate: refused by policy: mounts: root filesystem $(re_quote "$T") contains the daemon socket $(re_quote "$SOCK")"
}

@test "root.path: a rootfs holding a hard link to the daemon socket is refused (scanned only when the socket has links)" {
	make_bundle default
	# the rootfs lives on the socket's filesystem ($T): no link yet, allowed
	run "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0
	ln "$SOCK" "$BUNDLE/rootfs/tmp/innocent"
	refuse_check "$CID" "^ocigate: refused by policy: mounts: root filesystem $(re_quote "$BUNDLE/rootfs") contains the daemon socket $(re_quote "$BUNDLE/rootfs/tmp/innocent") \\(a link to it\\)"
	# a link elsewhere makes the socket's rootfs neighbours be scanned, and
	# one too large to scan is refused with the reason
	rm "$BUNDLE/rootfs/tmp/innocent"
	ln "$SOCK" "$T/elsewhere"
	make_policy '.mounts.deny_sockets += [$s] | .mounts.scan.max_entries = 5' --arg s "$SOCK"
	refuse_check "$CID" "root filesystem $(re_quote "$BUNDLE/rootfs") is on the filesystem of a daemon socket and could not be fully scanned"
}

@test "an allowlisted bind source is scanned for a hard link to the daemon socket when the socket has one" {
	mkdir -p "$T/vols/v1/_data"
	echo data >"$T/vols/v1/_data/f"
	make_policy '.mounts.deny_sockets += [$s] | .mounts.allow_sources += [$v]' --arg s "$SOCK" --arg v "$T/vols/*/_data"
	make_bundle default
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/vols/v1/_data" '{destination: "/data", type: "bind", source: $s, options: ["rbind"]}')"
	run "$OCIGATECTL" check --policy "$POLICY" "$BUNDLE/config.json"
	assert_status 0
	ln "$SOCK" "$T/vols/v1/_data/metrics"
	refuse_check "$CID" "bind mount of $(re_quote "$T/vols/v1/_data") contains the daemon socket $(re_quote "$T/vols/v1/_data/metrics") \\(a link to it\\)"
}
