#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The integration tests on today's runtimes (root, Debian 12 host):
#
#     bash tests/current/run.sh [OCIGATE OCIGATECTL]
#
# In the root of tests/current/root.sh (Debian forky's runc 1.3.6 and crun
# 1.28, built once and cached): the whole integration suite
# (tests/integration) with runc 1.3.6 on this host's cgroup v1 hierarchies,
# then tests/current/runtimes.bats (the members only those runtimes act on)
# with the cgroup2 view crun needs.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
ocigate=${1:-$src/ocigate}
ocigatectl=${2:-$src/ocigatectl}
env=(env OCIGATE="$ocigate" OCIGATECTL="$ocigatectl" OCIGATE_HOOK="$(dirname "$ocigate")/ocigate-hook" PROFILES="$src/policy/profiles" FIXTURES="$src/tests/fixtures"
	RUNC=/usr/sbin/runc)
rc=0
echo "current: runtimes in the root: $(bash "$here/enter.sh" sh -c 'runc --version | head -1; crun --version | head -1' | tr '\n' ' ')"
bash "$here/enter.sh" "${env[@]}" bats --tap "$src/tests/integration" || rc=1
bash "$here/enter.sh" --cgroup2 "${env[@]}" bats --tap "$here/runtimes.bats" "$here/verify-crun.bats" || rc=1
exit $rc
