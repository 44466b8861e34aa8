#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs a command inside the root filesystem of today's engines (root.sh),
# with this source tree at the same path:
#
#     bash tests/current/enter.sh [--cgroup2] CMD [ARGS...]
#
# The root is entered with pivot_root in a private mount namespace, never
# chroot: the kernel refuses CLONE_NEWUSER to a chrooted process, which
# would silently turn user namespaces off.  /proc, /sys and /dev are the
# host's (rbind), /run and /tmp are fresh tmpfs.  --cgroup2 mounts the
# unified hierarchy on /sys/fs/cgroup (crun refuses this host's hybrid
# layout); without it runtimes see the host's cgroup v1 hierarchies.
# The extracted root is kept in $OCIGATE_CI_CACHE and reused while its
# tarball is unchanged; every entry gets a fresh copy-on-write-free view:
# tests must not rely on changes inside the root persisting.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
cache=${OCIGATE_CI_CACHE:-/var/cache/ocigate-ci}
cgroup2=0
if [ "${1:-}" = --cgroup2 ]; then
	cgroup2=1
	shift
fi
[ $# -gt 0 ] || { echo "usage: enter.sh [--cgroup2] CMD [ARGS...]" >&2; exit 2; }

tar=$(bash "$here/root.sh")
dir=$cache/$(basename "$tar" .tar).d
if [ ! -f "$dir/.ocigate-extracted" ]; then
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -C "$dir.tmp" --numeric-owner -xf "$tar"
	touch "$dir.tmp/.ocigate-extracted"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi

export OG_ROOT=$dir OG_SRC=$src OG_CGROUP2=$cgroup2
exec unshare -m --propagation private -- bash -c '
	set -e
	r=$OG_ROOT
	mount --bind "$r" "$r"
	mount --rbind /proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs -o mode=755 tmpfs "$r/run"
	mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
	mount -t tmpfs -o mode=1777 tmpfs "$r/var/tmp"
	# the source tree last: it may live under /tmp or /run (a CI clone)
	mkdir -p "$r$OG_SRC"
	mount --bind "$OG_SRC" "$r$OG_SRC"
	# the end-to-end suite'"'"'s image cache (an nginx root built with the
	# host'"'"'s debootstrap), read-only
	if [ -d /var/cache/ocigate-e2e ]; then
		mkdir -p "$r/var/cache/ocigate-e2e"
		mount --bind -o ro /var/cache/ocigate-e2e "$r/var/cache/ocigate-e2e"
	fi
	if [ "$OG_CGROUP2" = 1 ]; then mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup"; fi
	cd "$r"
	mkdir -p .old-root
	pivot_root . .old-root
	umount -l /.old-root
	rmdir /.old-root 2>/dev/null || true
	cd "$OG_SRC"
	exec "$@"
' enter "$@"
