#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The end-to-end suite (tests/e2e) on today's engines (root, Debian 12
# host): a private dockerd 28.5, containerd 2.1 (ctr) and Podman 5.8 with
# runc 1.3.6, all from Debian forky, inside the root of root.sh:
#
#     bash tests/current/e2e.sh [BATS_FILE...]
#
# The nginx image comes from the host's e2e cache (/var/cache/ocigate-e2e,
# made by a run of tests/e2e/run.sh on the host, which has debootstrap):
# run that first.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
[ -s /var/cache/ocigate-e2e/nginx-bookworm-rootfs.tar ] || {
	echo "current e2e: no nginx image in /var/cache/ocigate-e2e: run tests/e2e/run.sh on the host first" >&2
	exit 1
}
exec bash "$here/enter.sh" env E2E_NO_INSTALL=1 OCIGATE="${OCIGATE:-$src/ocigate}" \
	OCIGATECTL="${OCIGATECTL:-$src/ocigatectl}" bash "$src/tests/e2e/run.sh" "$@"
