#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# ocigate-hook's precreate stage under a real Podman (root):
#
#     flock /tmp/ocigate-e2e.lock bash tests/hook/run.sh
#
# On the Debian 12 host that is Podman 4.3 with runc 1.1.5; inside the
# root of today's engines (tests/current/enter.sh, as tests/current/hook.sh
# does) Podman 5.8 with runc 1.3.6.  Podman keeps its runtime, the real
# runc: the policy reaches it only through the hooks.d file
# contrib/podman/ocigate-hook.json.in, installed in a private hooks_dir.
# Everything (storage, runroot, runc state, hooks dir, policy, audit log)
# lives under one temp dir and is torn down with the end-to-end suite's
# helpers (tests/e2e/lib.sh); no other engine is started.
#
# Environment: OCIGATE_HOOK (default: the build tree's ocigate-hook),
# OCIGATECTL, E2E_NO_INSTALL=1, E2E_KEEP=1, BATS_FLAGS as in tests/e2e/run.sh.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OCIGATE_HOOK=${OCIGATE_HOOK:-$SRC/ocigate-hook}
OCIGATECTL=${OCIGATECTL:-$SRC/ocigatectl}
OCIGATE=${OCIGATE:-$SRC/ocigate} # e2e_policy's wrapper script names it; unused here
START=$SECONDS

if [ "$(id -u)" != 0 ]; then
	echo "hook tests: must run as root (Podman rootful)" >&2
	exit 1
fi
# shellcheck source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
E2E_PACKAGES=(podman conmon runc containernetworking-plugins busybox-static jq bats util-linux procps)
[ -x "$OCIGATE_HOOK" ] || e2e_die "no ocigate-hook at $OCIGATE_HOOK (build it first: ./configure && make)"
[ -x "$OCIGATECTL" ] || OCIGATECTL=true

W=$(mktemp -d /tmp/ocigate-hook.XXXXXX) || exit 1
chmod 700 "$W"
mkdir -p "$W/logs" "$W/images" "$W/bin" "$W/hooks.d" "$W/state" "$W/docker/run"
e2e_init_names
PODMAN_FLAGS=()
e2e_snapshot_host

on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "${BATS_PGID:-}" ]; then
		kill -TERM -- "-$BATS_PGID" 2>/dev/null
		sleep 1
		kill -KILL -- "-$BATS_PGID" 2>/dev/null
	fi
	e2e_teardown
	if ! e2e_leak_check; then
		e2e_log "ERROR: the teardown left something behind (see above)"
		[ "$rc" = 0 ] && rc=1
	fi
	e2e_log "done in $((SECONDS - START)) s (exit $rc)"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -n "${E2E_NO_INSTALL:-}" ] || e2e_install
install -m 755 "$OCIGATE_HOOK" "$W/bin/ocigate-hook" || e2e_die "cannot copy $OCIGATE_HOOK"

e2e_policy "${E2E_PROFILE:-$SRC/policy/profiles/default.json}"

# The shipped hooks.d file, for the binary under test, with the test's
# policy and a private state dir (its policy cache) appended to its args.
sed "s|@sbindir@|$W/bin|g" "$SRC/contrib/podman/ocigate-hook.json.in" |
	jq --arg p "$W/policy.json" --arg s "$W/state" '.hook.args += ["--policy", $p, "--state-dir", $s]' \
		>"$W/hooks.d/ocigate-hook.json" || e2e_die "cannot write the hooks.d file"

P=$W/podman
mkdir -p "$P/root" "$P/runroot" "$P/tmp" "$P/net" "$P/runc"
nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
cat >"$P/storage.conf" <<EOC
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$P/runroot"
EOC
# runc is the runtime, unchanged; hooks_dir is the only ocigate setting.
# (default_ulimits: see e2e_setup_podman.)
cat >"$P/containers.conf" <<EOC
[containers]
netns = "none"
log_driver = "k8s-file"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
hooks_dir = ["$W/hooks.d"]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
static_dir = "$P/root/libpod"
volume_path = "$P/root/volumes"
lock_type = "file"

[engine.runtimes]
runc = ["$RUNC"]

[network]
network_config_dir = "$P/net"
EOC
: >"$P/registries.conf"

export W OCIGATE OCIGATECTL RUNC E2E_CGROUP_PODMAN
export DOCKER_CLI=/bin/false # helpers.bash wants one; no dockerd here
export CONTAINERS_CONF=$P/containers.conf
export CONTAINERS_STORAGE_CONF=$P/storage.conf
export CONTAINERS_REGISTRIES_CONF=$P/registries.conf
export PODMAN_IGNORE_CGROUPSV1_WARNING=1
PODMAN_FLAGS=(--root "$P/root" --runroot "$P/runroot" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file --runtime runc --runtime-flag "root=$P/runc")
export E2E_PODMAN_FLAGS="${PODMAN_FLAGS[*]}"

e2e_busybox_tar
podman "${PODMAN_FLAGS[@]}" import --change 'CMD ["/bin/sh"]' "$W/images/busybox.tar" \
	localhost/ocigate-e2e/busybox >/dev/null || e2e_die "podman import failed"
e2e_log "engine: $(podman --version), $("$RUNC" --version | head -n1), hooks dir $W/hooks.d"

set -m
# shellcheck disable=SC2086  # BATS_FLAGS is a list of flags
(bats --timing ${BATS_FLAGS:-} "$HERE/precreate.bats" </dev/null | tee "$W/logs/bats.tap") &
BATS_PGID=$!
set +m
wait "$BATS_PGID"
rc=$?
BATS_PGID=
exit "$rc"
