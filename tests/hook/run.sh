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
# lives under one temp dir, set up (Podman's as for tests/e2e, but for its
# runtime and hooks_dir) and torn down with the end-to-end suite's runner
# functions (tests/e2e/lib.sh); no other engine is started.
#
# Environment: OCIGATE_HOOK (default: the build tree's ocigate-hook),
# OCIGATECTL, E2E_NO_INSTALL=1, E2E_KEEP=1, BATS_FLAGS as in tests/e2e/run.sh.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OCIGATE_HOOK=${OCIGATE_HOOK:-$SRC/ocigate-hook}
OCIGATECTL=${OCIGATECTL:-$SRC/ocigatectl}
OCIGATE=${OCIGATE:-$SRC/ocigate} # e2e_policy's wrapper script names it; unused here

if [ "$(id -u)" != 0 ]; then
	echo "hook tests: must run as root (Podman rootful)" >&2
	exit 1
fi
# shellcheck source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
E2E_PACKAGES=(podman conmon runc containernetworking-plugins busybox-static jq bats util-linux procps)
[ -x "$OCIGATE_HOOK" ] || e2e_die "no ocigate-hook at $OCIGATE_HOOK (build it first: ./configure && make)"
[ -x "$OCIGATECTL" ] || OCIGATECTL=true

e2e_workdir ocigate-hook
mkdir -p "$W/hooks.d" "$W/state" "$W/docker/run"
e2e_traps

[ -n "${E2E_NO_INSTALL:-}" ] || e2e_install
install -m 755 "$OCIGATE_HOOK" "$W/bin/ocigate-hook" || e2e_die "cannot copy $OCIGATE_HOOK"

e2e_policy "${E2E_PROFILE:-$SRC/policy/profiles/default.json}"

# The shipped hooks.d file, for the binary under test, with the test's
# policy and a private state dir (its policy cache) appended to its args.
sed "s|@sbindir@|$W/bin|g" "$SRC/contrib/podman/ocigate-hook.json.in" |
	jq --arg p "$W/policy.json" --arg s "$W/state" '.hook.args += ["--policy", $p, "--state-dir", $s]' \
		>"$W/hooks.d/ocigate-hook.json" || e2e_die "cannot write the hooks.d file"

# runc is Podman's runtime, unchanged; hooks_dir is the only ocigate setting.
e2e_setup_podman "$RUNC" "$W/hooks.d"
export W OCIGATE OCIGATECTL RUNC E2E_CGROUP_PODMAN
export DOCKER_CLI=/bin/false # helpers.bash wants one; no dockerd here

e2e_busybox_tar
e2e_podman_busybox || e2e_die "podman import failed"
e2e_log "engine: $(podman --version), $("$RUNC" --version | head -n1), hooks dir $W/hooks.d"

e2e_run_bats "$HERE/precreate.bats"
