#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# ocigate-hook's precreate stage (tests/hook) under today's Podman 5.8 with
# runc 1.3.6, inside the root of root.sh (root, Debian 12 host):
#
#     flock /tmp/ocigate-e2e.lock bash tests/current/hook.sh
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
exec bash "$here/enter.sh" env E2E_NO_INSTALL=1 OCIGATE_HOOK="${OCIGATE_HOOK:-$src/ocigate-hook}" \
	OCIGATECTL="${OCIGATECTL:-$src/ocigatectl}" bash "$src/tests/hook/run.sh" "$@"
