#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Red-team findings against the mount rules (issues 17 and 20), each
# replayed through ocigate with real runc: a second procfs, remounts and
# mounts over /proc, /sys and the cgroup tree (destinations resolved in the
# rootfs), leaking propagation, options that undo the forced ones, the scan
# budget, allowed sources that are mounts of host trees (a local-driver
# volume), system trees and a rootfs under a denied tree.  Each was
# accepted by ocigate 1634f71; the effect is judged inside the container or
# on the host.

# shellcheck disable=SC2016,SC2154
load helpers

setup() {
	og_setup
	: >"$T/made-mounts"
}

teardown() {
	og_teardown
	# the mounts a test made on the host, innermost first
	if [ -f "$T/made-mounts" ]; then
		tac "$T/made-mounts" | while read -r m; do umount -l "$m" 2>/dev/null; done
	fi
	[ -z "${ROOT_COPY:-}" ] || rm -rf "$ROOT_COPY"
}

# host_mount ARGS... TARGET: mount(8) on the host, undone by teardown.
host_mount() {
	mount "$@" || return 1
	echo "${!#}" >>"$T/made-mounts"
}

# with_mount JSON: a default bundle plus one mount.
with_mount() {
	make_bundle default "${2:-true}"
	add_mount "$BUNDLE" "$1"
}

# --------------------------------------------------------------------------
# 17.7: a second procfs / sysfs / cgroup escapes the masked and read-only paths

@test "17.7 a second procfs at /mnt is refused (its /proc/sys would be writable: host core_pattern)" {
	local before
	before=$(cat /proc/sys/kernel/core_pattern)
	# writes the value already there: harmless, but shows the write was possible
	with_mount '{"destination": "/mnt", "type": "proc", "source": "proc"}' \
		'p=$(cat /mnt/sys/kernel/core_pattern); if echo "$p" >/mnt/sys/kernel/core_pattern; then echo "core_pattern: writable"; fi'
	refuse_check "$CID" "a proc filesystem may only be mounted at /proc \(not /mnt\)"
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
}

@test "17.7 sysfs, cgroup and cgroup2 away from /sys and /sys/fs/cgroup are refused" {
	with_mount '{"destination": "/mnt", "type": "sysfs", "source": "sysfs"}'
	refuse_check "$CID" "a sysfs filesystem may only be mounted at /sys \(not /mnt\)"
	with_mount '{"destination": "/tmp/cg", "type": "cgroup", "source": "cgroup"}'
	refuse_check "$CID" "a cgroup filesystem may only be mounted at /sys/fs/cgroup \(not /tmp/cg\)"
	with_mount '{"destination": "/var/tmp/cg2", "type": "cgroup2", "source": "cgroup2"}'
	refuse_check "$CID" "a cgroup2 filesystem may only be mounted at /sys/fs/cgroup"
}

@test "17.7 a procfs through .. or through a symlink in the rootfs is judged where it lands" {
	with_mount '{"destination": "/proc/../mnt", "type": "proc", "source": "proc"}'
	refuse_check "$CID" "a proc filesystem may only be mounted at /proc \(not /proc/../mnt = /mnt\)"
	make_bundle default true
	ln -s /mnt "$BUNDLE/rootfs/looks-like-proc"
	add_mount "$BUNDLE" '{"destination": "/looks-like-proc", "type": "proc", "source": "proc"}'
	refuse_check "$CID" "a proc filesystem may only be mounted at /proc \(not /looks-like-proc = /mnt\)"
	# the image's own /proc a symlink: the engine's procfs would land elsewhere
	make_bundle default true
	rmdir "$BUNDLE/rootfs/proc"
	ln -s ../mnt "$BUNDLE/rootfs/proc"
	refuse_check "$CID" "a proc filesystem may only be mounted at /proc \(not /proc = /mnt\)"
	# reaching /proc through a symlink is refused too: a volume a running
	# container shares could turn it into a directory before runc mounts
	make_bundle default true
	ln -s /proc "$BUNDLE/rootfs/p"
	add_mount "$BUNDLE" '{"destination": "/p", "type": "proc", "source": "proc"}'
	refuse_check "$CID" "a proc filesystem may only be mounted at /proc \(not /p = /proc\)"
}

@test "17.7 the engines' own kernel mounts still start, and /proc/sys stays read-only inside" {
	make_bundle default 'if echo 0 >/proc/sys/kernel/core_uses_pid 2>/dev/null; then echo "proc-sys: writable"; else echo "proc-sys: read-only"; fi'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value proc-sys)" = read-only ] || { show_run; fail "/proc/sys is writable"; }
}

# --------------------------------------------------------------------------
# 17.9: remounts of, and mounts over, /proc, /sys and the cgroup tree

CGROUP_WRITE='if echo 4096 >/sys/fs/cgroup/pids/pids.max 2>/dev/null; then echo "cgroup: writable"; else echo "cgroup: read-only"; fi'

@test "17.9 an options-only remount bind of a cgroup controller is refused (it made the limits writable)" {
	mkdir -p "$T/empty"
	with_mount "$(jq -nc --arg s "$T/empty" '{destination: "/sys/fs/cgroup/pids", type: "bind", source: $s, options: ["bind", "remount"]}')" \
		"$CGROUP_WRITE"
	refuse_check "$CID" 'mount at /sys/fs/cgroup/pids remounts what is there \("remount" is not allowed\)'
	# remount is refused wherever it points
	with_mount "$(jq -nc --arg s "$T/empty" '{destination: "/tmp", type: "bind", source: $s, options: ["rbind", "remount"]}')"
	refuse_check "$CID" '"remount" is not allowed'
	with_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["remount", "rw"]}'
	refuse_check "$CID" '"remount" is not allowed'
}

@test "17.9 a mount over or inside /proc and /sys is refused, through .. and symlinks too" {
	mkdir -p "$T/empty"
	with_mount "$(jq -nc --arg s "$T/empty" '{destination: "/sys/fs/cgroup/pids", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "mount destination /sys/fs/cgroup/pids is in /proc or /sys"
	with_mount '{"destination": "/proc/sys", "type": "tmpfs", "source": "tmpfs"}'
	refuse_check "$CID" "mount destination /proc/sys is in /proc or /sys"
	with_mount '{"destination": "/tmp/../sys/kernel", "type": "tmpfs", "source": "tmpfs"}'
	refuse_check "$CID" "mount destination /tmp/../sys/kernel resolves to /sys/kernel is in /proc or /sys"
	# a symlink in the image
	make_bundle default true
	ln -s /sys/fs/cgroup "$BUNDLE/rootfs/cg"
	add_mount "$BUNDLE" '{"destination": "/cg/memory", "type": "tmpfs", "source": "tmpfs"}'
	refuse_check "$CID" "mount destination /cg/memory resolves to /sys/fs/cgroup/memory is in /proc or /sys"
	# a symlink that an earlier bind puts in the rootfs
	mkdir -p "$T/planted"
	ln -s /proc "$T/planted/p"
	make_bundle default true
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/planted" '{destination: "/mnt", type: "bind", source: $s, options: ["rbind"]}')"
	add_mount "$BUNDLE" '{"destination": "/mnt/p/sys", "type": "tmpfs", "source": "tmpfs"}'
	refuse_check "$CID" "mount destination /mnt/p/sys resolves to /proc/sys is in /proc or /sys"
}

@test "17.9 inside a default container the cgroup files are not writable" {
	make_bundle default "$CGROUP_WRITE"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value cgroup)" = read-only ] || { show_run; fail "pids.max is writable inside"; }
}

# --------------------------------------------------------------------------
# 17.10: propagation

@test "17.10 rootfsPropagation private/slave/unbindable is made rslave: the host's mount table is unchanged" {
	local p before after
	# a shared host mount (systemd makes / shared on most hosts), bound
	# into the container with no propagation option of its own; a mount
	# the runtime then makes below it reaches the host when the root's
	# propagation is not recursive
	mkdir -p "$T/shared"
	host_mount -t tmpfs -o size=8m tmpfs "$T/shared"
	mount --make-shared "$T/shared"
	mkdir -p "$T/shared/vol"
	for p in private slave unbindable; do
		make_bundle default true
		add_mount "$BUNDLE" "$(jq -nc --arg s "$T/shared/vol" '{destination: "/data", type: "bind", source: $s, options: ["rbind"]}')"
		add_mount "$BUNDLE" '{"destination": "/data/sub", "type": "tmpfs", "source": "tmpfs"}'
		edit_config "$BUNDLE" '.linux.rootfsPropagation = $p' --arg p "$p"
		before=$(grep -c " $T/shared" /proc/self/mountinfo)
		run_ocigate "$CID" "$BUNDLE"
		assert_status 0
		after=$(grep -c " $T/shared" /proc/self/mountinfo)
		[ "$before" = "$after" ] || {
			grep " $T/shared" /proc/self/mountinfo >&2
			fail "rootfsPropagation $p: the container's mounts reached the host ($before -> $after mounts)"
		}
		tail -n1 "$AUDIT" | jq -e --arg p "$p" '.decisions | any(.path == "linux.rootfsPropagation" and .before == ("\"" + $p + "\"") and .after == "\"rslave\"")' >/dev/null
	done
}

# --------------------------------------------------------------------------
# 17.11: options that undo the forced nosuid/nodev

@test "17.11 rsuid, rdev, suid and dev are stripped: the bind is nosuid,nodev inside" {
	mkdir -p "$T/data"
	make_bundle default 'echo "data: $(grep " /data " /proc/self/mountinfo | cut -d" " -f6)"'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/data" '{destination: "/data", type: "bind", source: $s, options: ["rbind", "suid", "dev", "rsuid", "rdev"]}')"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[[ ,$(probe_value data), == *,nosuid,* ]] || { show_run; fail "/data is not nosuid inside"; }
	[[ ,$(probe_value data), == *,nodev,* ]] || { show_run; fail "/data is not nodev inside"; }
}

@test "17.11 rrw is stripped from sysfs and from a forced ro bind" {
	mkdir -p "$T/data"
	make_policy '.mounts.force_options += ["ro"]'
	make_bundle default 'echo "data: $(grep " /data " /proc/self/mountinfo | cut -d" " -f6)"; echo "sysfs-rw: $(grep " /sys sysfs " /proc/self/mounts | cut -d" " -f4)"'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$T/data" '{destination: "/data", type: "bind", source: $s, options: ["rbind", "rrw"]}')"
	edit_config "$BUNDLE" '(.mounts[] | select(.type == "sysfs") | .options) += ["rrw"]'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[[ $(probe_value data) == ro,* ]] || { show_run; fail "/data is writable inside"; }
	[[ $(probe_value sysfs-rw) == ro,* ]] || { show_run; fail "/sys is writable inside"; }
}

# --------------------------------------------------------------------------
# 17.12: one scan budget per create

make_many() {
	local d=$1 n=$2
	mkdir -p "$d"
	(cd "$d" && seq "$n" | xargs touch)
}

@test "17.12 the socket scan has one budget per create: thirty binds of 1000 entries are refused, quickly" {
	local i start took
	make_many "$T/big" 1000
	make_bundle default true
	edit_config "$BUNDLE" '.mounts += [range(30) | {destination: ("/b" + tostring), type: "bind", source: $s, options: ["rbind"]}]' --arg s "$T/big"
	start=$(date +%s%N)
	refuse_check "$CID" "bind mount of $(re_quote "$T/big") could not be fully scanned for sockets: the scan budget of one create \(20000 entries and 2000 ms across every mount\) is spent"
	took=$((($(date +%s%N) - start) / 1000000))
	[ "$took" -lt 5000 ] || fail "the refusal took $took ms"
}

@test "17.12 the time budget: a refusal within the budget's time, not the entries'" {
	local start took
	make_many "$T/big" 5000
	make_policy '.mounts.scan.max_entries = 10000000 | .mounts.scan.max_ms = 20'
	make_bundle default true
	edit_config "$BUNDLE" '.mounts += [range(200) | {destination: ("/b" + tostring), type: "bind", source: $s, options: ["rbind"]}]' --arg s "$T/big"
	start=$(date +%s%N)
	refuse_check "$CID" "the scan budget of one create \(10000000 entries and 20 ms across every mount\) is spent"
	took=$((($(date +%s%N) - start) / 1000000))
	[ "$took" -lt 3000 ] || fail "the refusal took $took ms"
}

@test "17.12 more mounts than mounts.scan.max_mounts are refused" {
	make_bundle default true
	edit_config "$BUNDLE" '.mounts += [range(300) | {destination: ("/t" + tostring), type: "tmpfs", source: "tmpfs"}]'
	refuse_check "$CID" "3[0-9][0-9] mounts are more than mounts.scan.max_mounts \(256\) allows"
}

# --------------------------------------------------------------------------
# 20.1: an allowed source is what is mounted there

# A fake engine data root whose volumes are allowlisted, as Docker's are.
volume_policy() {
	VOLS="$T/engine/volumes"
	mkdir -p "$VOLS"
	make_policy '.mounts.allow_sources += [$v + "/*/_data"] | .mounts.deny_trees += [$t]' \
		--arg v "$VOLS" --arg t "$T/engine"
}

@test "20.1 a volume that is a bind of host /etc is refused (docker volume create -o o=bind -o device=/etc)" {
	volume_policy
	mkdir -p "$VOLS/v/_data"
	host_mount --bind /etc "$VOLS/v/_data"
	with_mount "$(jq -nc --arg s "$VOLS/v/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')" \
		'cat /v/hostname'
	refuse_check "$CID" "bind source $(re_quote "$VOLS/v/_data") is a mount of host /etc \(ext4\), in the sensitive host tree /etc"
}

@test "20.1 a volume that is a bind of /run (the daemon's socket) or a subdirectory of /usr is refused" {
	volume_policy
	mkdir -p "$VOLS/r/_data" "$VOLS/u/_data"
	host_mount --bind /run "$VOLS/r/_data"
	with_mount "$(jq -nc --arg s "$VOLS/r/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "bind source $(re_quote "$VOLS/r/_data") is a mount of host /run \([a-z0-9]+\), in the sensitive host tree /run"
	host_mount --bind /usr/sbin "$VOLS/u/_data"
	with_mount "$(jq -nc --arg s "$VOLS/u/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "is a mount of host /usr/sbin \(ext4\), in the sensitive host tree /usr"
}

@test "20.1 a volume that is the host's root filesystem mounted again, or an overlay of /etc, is refused" {
	local dev
	volume_policy
	dev=$(findmnt -no SOURCE /)
	mkdir -p "$VOLS/d/_data" "$VOLS/o/_data" "$T/ovl/up" "$T/ovl/work"
	# -o type=ext4 -o device=<root disk>; where this host does not let a
	# block device be mounted twice, a bind of / has the same mountinfo
	# line (the root disk's device, root "/")
	host_mount "$dev" "$VOLS/d/_data" 2>/dev/null || host_mount --bind / "$VOLS/d/_data"
	with_mount "$(jq -nc --arg s "$VOLS/d/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "bind source $(re_quote "$VOLS/d/_data") is a mount of host / \(ext4\), in the sensitive host tree /"
	host_mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/ovl/up,workdir=$T/ovl/work" "$VOLS/o/_data"
	with_mount "$(jq -nc --arg s "$VOLS/o/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "bind source $(re_quote "$VOLS/o/_data") is a mount of a overlay filesystem .* that no host path shows"
	# a second volume that is a bind of the first
	mkdir -p "$VOLS/o2/_data"
	host_mount --bind "$VOLS/o/_data" "$VOLS/o2/_data"
	with_mount "$(jq -nc --arg s "$VOLS/o2/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "bind source $(re_quote "$VOLS/o2/_data") is a mount of a overlay filesystem .* that no host path shows \(first mounted at $(re_quote "$VOLS/o/_data")\)"
}

@test "20.1 a volume holding a submount of /etc, or an unlisted socket once it is a mount, is refused" {
	volume_policy
	mkdir -p "$VOLS/s/_data/inner" "$T/appdir" "$VOLS/a/_data"
	host_mount --bind /etc "$VOLS/s/_data/inner"
	with_mount "$(jq -nc --arg s "$VOLS/s/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "bind source $(re_quote "$VOLS/s/_data") is a mount of host /etc"
	make_socket "$T/appdir/app.sock"
	host_mount --bind "$T/appdir" "$VOLS/a/_data"
	with_mount "$(jq -nc --arg s "$VOLS/a/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	refuse_check "$CID" "bind mount of $(re_quote "$VOLS/a/_data") contains the socket"
}

@test "20.1 a plain named volume and a tmpfs volume still work, and the container writes them" {
	volume_policy
	mkdir -p "$VOLS/plain/_data" "$VOLS/mem/_data"
	host_mount -t tmpfs -o size=8m tmpfs "$VOLS/mem/_data"
	make_bundle default 'echo row >/v/db && echo "plain: $(cat /v/db)"; echo row >/m/db && echo "mem: $(cat /m/db)"'
	add_mount "$BUNDLE" "$(jq -nc --arg s "$VOLS/plain/_data" '{destination: "/v", type: "bind", source: $s, options: ["rbind"]}')"
	add_mount "$BUNDLE" "$(jq -nc --arg s "$VOLS/mem/_data" '{destination: "/m", type: "bind", source: $s, options: ["rbind"]}')"
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	[ "$(probe_value plain)" = row ] || { show_run; fail "the named volume was not written"; }
	[ "$(probe_value mem)" = row ] || { show_run; fail "the tmpfs volume was not written"; }
	[ "$(cat "$VOLS/plain/_data/db")" = row ]
}

# --------------------------------------------------------------------------
# 20.4: system trees whatever the mapping

@test "20.4 binds of /usr/sbin, /lib, /var/lib/dpkg, /home and the policy's directory are refused" {
	local src tree
	for src in /usr/sbin:/usr /lib:/usr /var/lib/dpkg:/var/lib /home:/home /var/spool:/var/spool /etc/ocigate:/etc; do
		tree=${src#*:}
		src=${src%%:*}
		[ -e "$src" ] || continue
		with_mount "$(jq -nc --arg s "$src" '{destination: "/s", type: "bind", source: $s, options: ["rbind"]}')"
		refuse_check "$CID" "bind mount of .* exposes the sensitive host tree $tree$"
	done
}

# --------------------------------------------------------------------------
# 20.7: the rootfs is judged like a bind source

@test "20.7 a rootfs under /root (podman --rootfs /root/...) is refused; one under /tmp still runs" {
	make_bundle default true
	ROOT_COPY=$(mktemp -d /root/ocigate-rootfs.XXXXXX)
	cp -a "$BUNDLE/rootfs/." "$ROOT_COPY/"
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$ROOT_COPY"
	refuse_check "$CID" "root filesystem $(re_quote "$ROOT_COPY") exposes the sensitive host tree /root$"
	make_bundle default true
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
}

@test "20.7 a rootfs that is a mount of a host tree is refused" {
	make_bundle default true
	mkdir -p "$T/fakeroot"
	host_mount --bind /usr "$T/fakeroot"
	edit_config "$BUNDLE" '.root.path = $r' --arg r "$T/fakeroot"
	refuse_check "$CID" "root filesystem $(re_quote "$T/fakeroot") is a mount of host /usr \(ext4\), in the sensitive host tree /usr"
}
