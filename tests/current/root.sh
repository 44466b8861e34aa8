#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Today's engines and runtimes, from Debian 14 "forky", in a root filesystem
# of their own (root, Debian 12 host):
#
#     bash tests/current/root.sh            prints the path of the cached tarball
#
# debootstrap --variant=minbase trixie, then forky's runc, crun, docker.io,
# docker-cli, docker-buildx, containerd, podman, conmon (and what the tests use inside:
# jq, bats, busybox-static, python3; Go and specs-go 1.2.1 with a C
# toolchain for the differential test against runc 1.3's decoder)
# installed with -t forky.  forky's Release
# file is past its Valid-Until on the mirror, hence Check-Valid-Until=false.
# The result is cached as a tarball in $OCIGATE_CI_CACHE (default
# /var/cache/ocigate-ci) under a name keyed by the suite, the package list
# and the mirror, so CI builds it once per machine (about 3 minutes).
set -euo pipefail

PKGS="runc crun docker.io docker-cli docker-buildx containerd podman conmon containernetworking-plugins jq bats busybox-static python3 iproute2 uidmap procps util-linux curl golang-go golang-github-opencontainers-specs-dev gcc libc6-dev pkg-config libyajl-dev libseccomp-dev libcap-dev libmnl-dev nettle-dev"
cache=${OCIGATE_CI_CACHE:-/var/cache/ocigate-ci}

# shellcheck source=../e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh" # e2e_debian_mirror
m=$(e2e_debian_mirror)
key=$(printf 'trixie+forky %s %s v1' "$PKGS" "$m" | sha256sum | cut -c1-16)
out=$cache/forky-engines-$key.tar
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "root.sh: debootstrap is not installed" >&2; exit 1; }
mkdir -p "$cache"
w=$(mktemp -d /tmp/ocigate-forky.XXXXXX)
r=$w/root
trap 'umount "$r/proc" 2>/dev/null || true; rm -rf "$w"' EXIT
echo "root.sh: debootstrap trixie + forky engines (cached in $out afterwards)" >&2
debootstrap --variant=minbase trixie "$r" "$m" >"$w/debootstrap.log" 2>&1 || { tail -20 "$w/debootstrap.log" >&2; exit 1; }
echo "deb $m forky main" >"$r/etc/apt/sources.list.d/forky.list"
# Policy files in the root must not start services during install.
printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
chmod 755 "$r/usr/sbin/policy-rc.d"
mount -t proc proc "$r/proc"
in_root() { chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get -o Acquire::Check-Valid-Until=false -qq update >"$w/apt.log" 2>&1 || { tail -20 "$w/apt.log" >&2; exit 1; }
# shellcheck disable=SC2086
in_root apt-get -o Acquire::Check-Valid-Until=false install -y -qq --no-install-recommends -t forky $PKGS \
	>>"$w/apt.log" 2>&1 || { tail -30 "$w/apt.log" >&2; exit 1; }
umount "$r/proc"
rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*
tar -C "$r" --numeric-owner -cf "$out.tmp" . && mv "$out.tmp" "$out"
# roots of other package lists or mirrors are stale now
for old in "$cache"/forky-engines-*; do
	case $old in "$out" | "${out%.tar}.d") ;; *) rm -rf "$old" ;; esac
done
echo "$out"
