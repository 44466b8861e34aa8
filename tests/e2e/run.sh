#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# End-to-end tests of ocigate under real engines (root, Debian 12):
#
#     bash tests/e2e/run.sh [BATS_FILE...]      (default: tests/e2e/*.bats)
#
# Installs what it needs with apt-get (docker.io, containerd, podman,
# debootstrap, curl, busybox-static, jq, bats), starts a PRIVATE containerd
# and dockerd and configures a private Podman (own state dirs, sockets and
# namespaces under one temp dir; a system-wide engine, if any, is never
# used or touched), runs the bats files, and always tears everything down:
# no containers, processes, mounts or cgroups are left behind.
#
# Environment:
#   OCIGATE, OCIGATECTL  the binaries under test (default: the build tree's)
#   E2E_PROFILE          the policy the test policy starts from
#                        (default: policy/profiles/default.json)
#   E2E_CACHE            where the nginx root filesystem tarball is cached
#                        (default /var/cache/ocigate-e2e; the first run
#                        debootstraps it, about a minute)
#   E2E_NO_INSTALL=1     do not run apt-get (the packages must be there)
#   E2E_KEEP=1           keep the work dir (the daemons are stopped anyway)
#   BATS_FLAGS           extra flags for bats (e.g. "--filter nginx")
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OCIGATE=${OCIGATE:-$SRC/ocigate}
OCIGATECTL=${OCIGATECTL:-$SRC/ocigatectl}

if [ "$(id -u)" != 0 ]; then
	echo "e2e: must run as root (it starts container engines)" >&2
	exit 1
fi

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ -x "$OCIGATE" ] || e2e_die "no ocigate binary at $OCIGATE (build it first: ./configure && make)"
[ -x "$OCIGATECTL" ] || OCIGATECTL=true

e2e_workdir ocigate-e2e

# On exit, before the teardown: the daemons' last log lines when the run
# failed; and every container ran under verify (audit): a record is one the
# runtime did not set up as its config said, under a real engine.
exit_check() {
	local rc=$1 f
	if [ "$rc" != 0 ] && [ -d "$W/logs" ]; then
		for f in "$W/logs/dockerd.log" "$W/logs/containerd.log"; do
			[ -s "$f" ] && { echo "---- last lines of $f" >&2; tail -n 15 "$f" >&2; }
		done
	fi
	if [ -s "$W/audit.log" ] && grep -q '"event":"verify"' "$W/audit.log"; then
		e2e_log "ERROR: ocigate-hook found containers that differ from their config:"
		grep '"event":"verify"' "$W/audit.log" >&2
		return 1
	fi
	return 0
}
e2e_traps exit_check

# The engines run a copy: a rebuild of the tree during the run (make
# replaces the binary) must not pull the runtime out from under them.
install -m 755 "$OCIGATE" "$W/bin/ocigate" || e2e_die "cannot copy $OCIGATE"
e2e_log "ocigate under test: $OCIGATE (sha256 $(sha256sum "$W/bin/ocigate" | cut -c1-16)...)"
# the verification hook the policy's verify adds, the one built beside it
if [ -x "$(dirname "$OCIGATE")/ocigate-hook" ]; then
	install -m 755 "$(dirname "$OCIGATE")/ocigate-hook" "$W/bin/ocigate-hook" || e2e_die "cannot copy ocigate-hook"
fi
OCIGATE=$W/bin/ocigate

[ -n "${E2E_NO_INSTALL:-}" ] || e2e_install

export W OCIGATE OCIGATECTL RUNC DOCKER_CLI E2E_NS E2E_MOBY_NS E2E_CGROUP_DOCKER E2E_CGROUP_PODMAN
export DOCKER_HOST=unix://$W/docker/run/docker.sock
export DOCKER_CONFIG=$W/docker/cli
export CONTAINERD_ADDRESS=$W/containerd/containerd.sock
export CONTAINERD_STATE=$W/containerd/state
export CONTAINERD_NAMESPACE=$E2E_NS
export CONTAINERD_SNAPSHOTTER=native

e2e_policy "${E2E_PROFILE:-$SRC/policy/profiles/default.json}"
e2e_log "starting private containerd"
e2e_start_containerd
e2e_log "starting private dockerd"
e2e_start_dockerd
e2e_setup_podman "$W/bin/ocigate-runc"
e2e_log "loading images"
e2e_load_images

e2e_log "engines: $("$DOCKER_CLI" version -f 'docker {{.Server.Version}}'), $(containerd --version | awk '{print "containerd", $3}'), $(podman --version), $("$RUNC" --version | head -n1)"

if [ $# -gt 0 ]; then files=("$@"); else files=("$HERE"/*.bats); fi
e2e_run_bats "${files[@]}"
rc=$?
passed=$(grep -c '^ok .*' "$W/logs/bats.tap" | head -n1)
skipped=$(grep -c '^ok .* # skip' "$W/logs/bats.tap" | head -n1)
failed=$(grep -c '^not ok ' "$W/logs/bats.tap" | head -n1)
e2e_log "bats exit status $rc"
echo "e2e: $((passed - skipped)) passed, $failed failed, $skipped skipped"
exit "$rc"
