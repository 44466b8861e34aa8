#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs the README's first command, .ci/demo, and checks its key lines: what
# the default policy enforced, seen from inside the container started by the
# real runc, and the refusal line the engine shows.  CI runs it after the
# integration tests (OCIGATE_DEMO_SKIP_BUILD=1: the tree is already built).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

out=$(mktemp /tmp/ocigate-demo-check.XXXXXX)
trap 'rm -f "$out"' EXIT
status=0
timeout 120 bash .ci/demo >"$out" 2>&1 || status=$?
fail=0
expect() {
	if ! grep -Eq -- "$1" "$out"; then
		echo "demo-check: missing: $2 (/$1/)" >&2
		fail=1
	fi
}
[ "$status" = 0 ] || { echo "demo-check: .ci/demo exited $status" >&2; fail=1; }
# the policy's verdict, grouped per rule
expect '^  capabilities +removed +[0-9]+ capabilities \(' "check: the grouped capabilities line"
expect '^  devices +removed +[0-9]+ host device nodes \(' "check: the grouped devices line"
expect '^  allowed$' "check: the verdict"
# inside the container: the default allowlist only (CHOWN DAC_OVERRIDE FOWNER
# FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT), no_new_privs,
# a seccomp filter, a read-only root, the limits
expect '^    CapEff: 00000000000405fb$' "CapEff is the allowlist"
expect '^    CapBnd: 00000000000405fb$' "CapBnd is the allowlist"
expect '^    NoNewPrivs: 1$' "NoNewPrivs"
expect '^    Seccomp: 2$' "a seccomp filter"
expect '^    root filesystem: read-only$' "a read-only root filesystem"
expect '^    /tmp: writable \(tmpfs\)$' "a writable /tmp"
expect '^    pids.max: 1024$' "the pids limit"
expect '^    memory limit: 1073741824$' "the memory limit"
expect '^    cpu quota: 200000' "the cpu quota"
expect '^    uid_map: 0 [1-9][0-9]* 65536$' "a user namespace (container root is not host root)"
# the refusal, as the engine shows it, and its audit record
expect '^  docker: Error response from daemon: \.\.\. OCI runtime create failed: ocigate: refused by policy: mounts: bind mount of .*docker\.sock' "the refusal line"
expect '^  [0-9TZ:-]+  refuse  demo2  .*1 refused' "the audit record of the refusal"
if [ "$fail" != 0 ]; then
	echo "--- demo output ---" >&2
	cat "$out" >&2
	exit 1
fi
echo "demo-check: ok ($(wc -l <"$out") lines)"
