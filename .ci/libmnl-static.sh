#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Prints the path of a libmnl.a for the static ocigate
# (./configure --with-libmnl-static=FILE).  Debian 12's libmnl-dev ships no
# static archive; Debian 13's (trixie, libmnl 1.0.5) does, and it links
# against Debian 12's glibc (it needs only socket calls, malloc and the
# string functions).  Its package is fetched with apt-get under a private
# configuration (the host's sources and lists are not touched) and the
# archive is cached in $OCIGATE_CI_CACHE/libmnl (default
# /var/cache/ocigate-ci).  Exits non-zero when it cannot be had: the build
# then links ocigate dynamically.
set -euo pipefail

cache=${OCIGATE_CI_CACHE:-/var/cache/ocigate-ci}/libmnl
suite=trixie

mirror() {
	local m
	m=$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}

key=$(printf '%s %s %s v1' "$suite" "$(mirror)" "$(dpkg --print-architecture)" | sha256sum | cut -c1-16)
out=$cache/libmnl-$key.a
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
w=$(mktemp -d /tmp/ocigate-libmnl.XXXXXX)
trap 'rm -rf "$w"' EXIT
chmod 755 "$w"
mkdir -p "$w/lists/partial" "$w/cache/archives/partial" "$w/dl"
echo "deb $(mirror) $suite main" >"$w/sources.list"
opts=(-o Dir::Etc::SourceList="$w/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o Dir::State::Lists="$w/lists" -o Dir::Cache="$w/cache" -o Acquire::Check-Valid-Until=false)
apt-get "${opts[@]}" -qq update >"$w/apt.log" 2>&1 || { tail -5 "$w/apt.log" >&2; exit 1; }
(cd "$w/dl" && apt-get "${opts[@]}" -qq download libmnl-dev >>"$w/apt.log" 2>&1) || { tail -5 "$w/apt.log" >&2; exit 1; }
dpkg-deb -x "$w"/dl/libmnl-dev_*.deb "$w/x"
a=$(find "$w/x" -name libmnl.a | head -n1)
[ -n "$a" ] || { echo "libmnl-static.sh: no libmnl.a in $(basename "$w"/dl/*.deb)" >&2; exit 1; }
mkdir -p "$cache"
install -m 644 "$a" "$out.tmp" && mv "$out.tmp" "$out"
echo "$out"
