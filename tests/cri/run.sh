#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Kubernetes pods through containerd's CRI, with ocigate as the RuntimeClass
# handler, without a kubelet: tests/cri/cri_test.py drives the CRI over
# containerd's gRPC socket the way the kubelet does (root, Debian 12 host):
#
#     bash tests/cri/run.sh [1.6|2.1]...      (default: both)
#
# 1.6 is the host's containerd (Debian 12); 2.1 is Debian forky's, run in the
# root of tests/current/root.sh.  Each run has its own containerd (root,
# state, socket and CNI under a work dir inside the source tree, which is at
# the same path in the forky root), the CRI configured as
# contrib/containerd says (a runc shim whose BinaryName is ocigate, here a
# wrapper that passes the test policy and logs argv), restrict_oom_score_adj,
# a bridge + host-local CNI network on a private subnet, and a busybox image
# imported with `ctr -n k8s.io images import`; a second handler,
# ocigate-passthrough, passes every pod annotation through (the forging
# test).  The test policy is the shipped default.json with
# /var/lib/containerd, /run/containerd and /var/lib/kubelet moved to the work
# dir (and this run's Podman image roots allowed).  The Python client runs on
# the host for both versions (Debian 12's python3-grpcio): the socket is in
# the work dir, at the same path on both sides.
#
# Cached in $OCIGATE_CI_CACHE/cri (default /var/cache/ocigate-ci/cri): the
# CRI api.proto's package (golang-k8s-cri-api-dev, from Debian forky with
# `apt-get download`; the proto is never copied into the repository), the
# Python modules compiled from it (keyed by its checksum), the image archive
# (keyed by busybox's).  Engine runs are serialized with
# /tmp/ocigate-e2e.lock.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
cache=${OCIGATE_CI_CACHE:-/var/cache/ocigate-ci}/cri
OCIGATE=${OCIGATE:-$src/ocigate}
RUNC=/usr/sbin/runc # the host's and the forky root's
PY=/usr/bin/python3 # Debian's, with python3-grpcio (not a pyenv one)

# e2e_log, e2e_die, e2e_install (what E2E_PACKAGES lists), e2e_debian_mirror
# shellcheck source=../e2e/lib.sh
. "$src/tests/e2e/lib.sh"
E2E_LOG_TAG=cri
E2E_PACKAGES=(containerd runc containernetworking-plugins python3-grpcio python3-grpc-tools busybox-static jq iproute2 podman conmon)
E2E_APT_LOG=$cache/apt.log

[ "$(id -u)" = 0 ] || e2e_die "must run as root (it starts containerd)"
[ -x "$OCIGATE" ] || e2e_die "no ocigate binary at $OCIGATE (build it first)"

# The CRI's api.proto from forky's golang-k8s-cri-api-dev, downloaded with
# apt (a private sources list and lists dir: the host's apt is untouched),
# compiled with grpc_tools after its gogoproto and debug_redact options are
# stripped (Debian 12's protoc knows neither).  Prints the module dir.
cri_modules() {
	local a="$cache/apt" deb proto sum out
	deb=$(ls "$a"/debs/golang-k8s-cri-api-dev_*.deb 2>/dev/null | tail -n1)
	if [ -z "$deb" ]; then
		mkdir -p "$a/lists/partial" "$a/debs"
		echo "deb $(e2e_debian_mirror) forky main" >"$a/sources.list"
		local opts=(-o "Dir::Etc::sourcelist=$a/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$a/lists"
			-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
		apt-get "${opts[@]}" -qq update >&2 || return 1
		(cd "$a/debs" && apt-get "${opts[@]}" -qq download golang-k8s-cri-api-dev >&2) || return 1
		rm -rf "$a/lists"
		deb=$(ls "$a"/debs/golang-k8s-cri-api-dev_*.deb | tail -n1)
	fi
	local x
	x=$(mktemp -d /tmp/ocigate-cri-proto.XXXXXX)
	dpkg-deb -x "$deb" "$x" || return 1
	proto=$(find "$x" -path '*/runtime/v1/api.proto' | head -n1)
	[ -n "$proto" ] || { rm -rf "$x"; echo "no runtime/v1/api.proto in $deb" >&2; return 1; }
	sum=$(sha256sum "$proto" | cut -c1-16)
	out=$cache/proto-$sum
	if [ ! -s "$out/api_pb2_grpc.py" ]; then
		rm -rf "$out.tmp"
		mkdir -p "$out.tmp"
		sed -e '/^import "github.com\/gogo\//d' -e '/option (gogoproto\./d' -e 's/ *\[debug_redact = true\]//' \
			"$proto" >"$out.tmp/api.proto"
		(cd "$out.tmp" && "$PY" -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. api.proto) || {
			rm -rf "$x" "$out.tmp"
			return 1
		}
		rm -rf "$out"
		mv "$out.tmp" "$out"
	fi
	rm -rf "$x"
	echo "$out"
}

image_tar() {
	local sum out
	sum=$(sha256sum /bin/busybox "$here/image.py" | sha256sum | cut -c1-16)
	out=$cache/image-$sum.tar
	if [ ! -s "$out" ]; then
		"$PY" "$here/image.py" /bin/busybox "$out.tmp" "$IMAGE" && mv "$out.tmp" "$out" || return 1
	fi
	echo "$out"
}

# default.json with the engine paths moved under $W: what the shipped
# profile says about /var/lib/containerd, /run/containerd and
# /var/lib/kubelet is tested as it is, on this run's private copies.
make_policy() {
	grep -v '^[[:space:]]*//' "${CRI_PROFILE:-$src/policy/profiles/default.json}" |
		jq --arg audit "$W/audit.log" --arg R "$W/root" --arg S "$W/state" --arg K "$W/kubelet" \
			--arg RUNC "$RUNC_ROOT" '
		def moved: if startswith("/run/containerd/runc/") then sub("^/run/containerd/runc"; $RUNC)
			else sub("^/var/lib/containerd"; $R) | sub("^/run/containerd"; $S) | sub("^/var/lib/kubelet"; $K) end;
		.audit.log = $audit
		| walk(if type == "string" then moved else . end)
		| .mounts.deny_trees += [ $S, $R, $K ]
		| .mounts.allow_roots += [ "\($W)/podman/root/vfs/dir/*" ]' --arg W "$W" >"$W/policy.json" || return 1
	chmod 600 "$W/policy.json"
	local prof
	prof=$(jq -r '.seccomp.default_profile // empty' "$W/policy.json")
	[ -z "$prof" ] || [ "${prof#/}" != "$prof" ] || install -m 600 "$src/policy/profiles/$prof" "$W/$prof"
	# BinaryName: ocigate with the test policy; argv and cwd of every call
	# logged (what the shim passes is part of what the tests check)
	cat >"$W/bin/ocigate" <<EOW
#!/bin/sh
printf '%s\t%s\n' "\$(pwd)" "\$*" >>$W/logs/argv.log
case " \$* " in *" create "*)
	b= prev= id=
	for a; do [ "\$prev" = --bundle ] && b=\$a; prev=\$a; id=\$a; done
	cp "\$b/config.json" "$W/logs/config.\$id.json" 2>/dev/null ;;
esac
exec $W/bin/ocigate.bin --ocigate-policy=$W/policy.json --ocigate-runtime=$RUNC "\$@"
EOW
	chmod 755 "$W/bin/ocigate"
}

cni_config() {
	mkdir -p "$W/cni/net.d" "$W/cni/ipam"
	cat >"$W/cni/net.d/10-ocigate-cri.conflist" <<EOC
{ "cniVersion": "0.4.0", "name": "ocigate-cri",
  "plugins": [ { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false,
    "ipam": { "type": "host-local", "dataDir": "$W/cni/ipam",
      "ranges": [ [ { "subnet": "10.231.$SUBNET.0/24" } ] ], "routes": [ { "dst": "0.0.0.0/0" } ] } } ] }
EOC
}

# containerd's config: config_head, the CRI with restrict_oom_score_adj, no
# AppArmor, the native snapshotter, $IMAGE as the sandbox image, CNI from
# $W/cni and the handlers of cri_handlers.  1.6 reads config version 2.
config_16() {
	local cri='plugins."io.containerd.grpc.v1.cri"'
	config_head 2 '"io.containerd.snapshotter.v1.aufs"'
	cat >>"$W/config.toml" <<EOC
[$cri]
  sandbox_image = "$IMAGE"
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  [$cri.containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
$(cri_handlers "$cri" config.toml)
  [$cri.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/cni/net.d"
EOC
}

# The same for 2.1, which reads config version 3: the CRI is split into
# plugins of its own (images, the gRPC server, the runtime).
config_21() {
	local cri='plugins."io.containerd.cri.v1.runtime"'
	config_head 3 '"io.containerd.snapshotter.v1.erofs", "io.containerd.snapshotter.v1.blockfile"'
	cat >>"$W/config.toml" <<EOC
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "native"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$IMAGE"
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
[$cri]
  restrict_oom_score_adj = true
  disable_apparmor = true
  [$cri.containerd]
    default_runtime_name = "runc"
$(cri_handlers "$cri" config-v3.toml)
  [$cri.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$W/cni/net.d"
EOC
}

# config_head VERSION DISABLED: $W/config.toml's top, the same in both
# versions but for DISABLED, more plugins to disable: root, state and
# sockets under $W, the plugins no test uses disabled.
config_head() {
	cat >"$W/config.toml" <<EOC
version = $1
root = "$W/root"
state = "$W/state"
oom_score = 0
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  $2]
[grpc]
  address = "$W/containerd.sock"
[ttrpc]
  address = "$W/containerd.sock.ttrpc"
EOC
}

# cri_handlers TABLE CONTRIB: the CRI's runtime handlers under TABLE, the
# CRI plugin of this config version: runc; ocigate as contrib/containerd's
# CONTRIB says, the wrapper as its BinaryName; ocigate-passthrough, the same
# with every pod and container annotation passed through, for the test that
# a pod cannot forge the CRI's own keys.
cri_handlers() {
	local t=$1.containerd.runtimes
	cat <<EOC
  [$t.runc]
    runtime_type = "io.containerd.runc.v2"
  # as contrib/containerd/$2 says
  [$t.ocigate]
    runtime_type = "io.containerd.runc.v2"
    [$t.ocigate.options]
      BinaryName = "$W/bin/ocigate"
  [$t.ocigate-passthrough]
    runtime_type = "io.containerd.runc.v2"
    pod_annotations = ["*"]
    container_annotations = ["*"]
    [$t.ocigate-passthrough.options]
      BinaryName = "$W/bin/ocigate"
EOC
}

# Every process whose command line names $W (the shims, containerd, the
# pods' processes are in the shims' care), by pid.
pids_of_run() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$W/" && echo "${p#/proc/}"
	done
}

teardown() {
	local p m
	if [ -n "${CONTAINERD_PID:-}" ]; then
		kill -TERM "$CONTAINERD_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$CONTAINERD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$CONTAINERD_PID" 2>/dev/null
		wait "$CONTAINERD_PID" 2>/dev/null
	fi
	for p in $(pids_of_run); do kill -KILL "$p" 2>/dev/null; done
	# what the host containerd (1.6) mounted under $W, innermost first
	for m in $(awk -v w="$W/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	ip link del "$BRIDGE" 2>/dev/null
	# the shims' default runc root, fifo and socket dirs (the host's
	# /run/containerd on 1.6): what this run made, once empty
	[ -n "$MADE_RUN_CONTAINERD" ] && find /run/containerd -depth -type d -empty -delete 2>/dev/null
	for p in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
		[ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	if [ -n "${CRI_KEEP:-}" ]; then e2e_log "kept $W"; else rm -rf "$W"; fi
}

run_version() {
	local v=$1 rc
	W=$(mktemp -d "$here/.run.XXXXXX") || return 1
	chmod 711 "$W"
	# a unix socket's path has room for 107 bytes
	[ ${#W} -le 80 ] || { rm -rf "$W"; e2e_log "the work dir $W is too long for containerd's socket path"; return 1; }
	local run=${W##*.}
	BRIDGE=ogcri$((RANDOM % 1000))
	SUBNET=$((RANDOM % 200 + 20))
	CGROUP_PARENT=ocigate-cri-$run
	RUNC_ROOT=/run/containerd/runc # the shim's default: contrib's snippets set no Root
	MADE_RUN_CONTAINERD=
	[ "$v" = 1.6 ] && [ ! -e /run/containerd ] && MADE_RUN_CONTAINERD=1
	mkdir -p "$W/bin" "$W/logs" "$W/kubelet/pods"
	install -m 755 "$OCIGATE" "$W/bin/ocigate.bin"
	trap 'teardown; exit 130' INT TERM
	make_policy && cni_config || { teardown; return 1; }
	local enter=()
	if [ "$v" = 2.1 ]; then
		enter=(bash "$src/tests/current/enter.sh")
		config_21
	else
		config_16
	fi
	"${enter[@]}" containerd --config "$W/config.toml" >"$W/logs/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	for _ in $(seq 100); do [ -S "$W/containerd.sock" ] && break; sleep 0.1; done
	[ -S "$W/containerd.sock" ] || { tail -20 "$W/logs/containerd.log" >&2; teardown; return 1; }
	cp "$IMAGE_TAR" "$W/image.tar" # the cache is not in the forky root
	# (2.x: --local, past the transfer service, which unpacks only for the
	# platforms of its own config)
	"${enter[@]}" ctr -a "$W/containerd.sock" -n k8s.io images import ${enter:+--local} --snapshotter native "$W/image.tar" >"$W/logs/import.log" 2>&1 ||
		{ cat "$W/logs/import.log" >&2; teardown; return 1; }
	e2e_log "containerd $v: $("${enter[@]}" containerd --version | awk '{print $3}'), runc: $("${enter[@]}" runc --version | head -n1)"
	CRI_VERSION=$v CRI_W=$W CRI_SOCK=$W/containerd.sock CRI_PROTO=$PROTO CRI_IMAGE=$IMAGE \
		CRI_CGROUP_PARENT=/$CGROUP_PARENT CRI_ENTER="${enter[*]}" CRI_BRIDGE=$BRIDGE CRI_SUBNET=$SUBNET \
		"$PY" "$here/cri_test.py" ${CRI_FILTER:+-k "$CRI_FILTER"}
	rc=$?
	[ $rc = 0 ] || { e2e_log "containerd log (last lines):"; tail -n 15 "$W/logs/containerd.log" >&2; }
	teardown
	trap - INT TERM
	return $rc
}

main() {
	local versions=("$@") v rc=0
	[ ${#versions[@]} -gt 0 ] || versions=(1.6 2.1)
	mkdir -p "$cache"
	e2e_install
	PROTO=$(cri_modules) || e2e_die "cannot build the CRI's Python modules"
	IMAGE=docker.io/library/ocigate-cri-busybox:1
	IMAGE_TAR=$(image_tar) || e2e_die "cannot build the image archive"
	for v in "${versions[@]}"; do
		case $v in
		1.6 | 2.1) ;;
		*) e2e_die "unknown containerd version $v (1.6 or 2.1)" ;;
		esac
		e2e_log "containerd $v"
		run_version "$v" || rc=1
	done
	e2e_log "done in $((SECONDS - E2E_START)) s (exit $rc)"
	return $rc
}

if [ -z "${CRI_LOCKED:-}" ]; then
	CRI_LOCKED=1 exec flock /tmp/ocigate-e2e.lock bash "$0" "$@"
fi
main "$@"
