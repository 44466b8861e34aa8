#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# ocigate as the default runtime of a private dockerd 20.10 (registered in
# daemon.json with runtimeArgs --ocigate-policy / --ocigate-runtime, see
# lib.sh): what the docker user sees, and what the container gets.
#
# ocigate installed in place of runc (ocigatectl install-as-runc) is tested
# in runc-mode.bats.

load helpers

setup() {
	C=
}

teardown() {
	policy_restore
	docker_cleanup
}

# docker_probe NAME [DOCKER RUN OPTIONS...]: run $PROBE in a busybox
# container named NAME; the container is kept (teardown removes it) so a
# refused one can still be found by name.
docker_probe() {
	local name=$1
	shift
	run --separate-stderr dk run --name "$name" --network none "$@" "$BUSYBOX" sh -c "$PROBE"
}

# id of a container by name
cid() { dk inspect -f '{{.Id}}' "$1"; }

# A hostile option the shipped policy rewrites rather than refuses: the
# container runs, and from inside it the policy is in force.  (The policy
# implies this outcome: a refusal here would be a regression too.)
runs_enforced() {
	local name=$1
	docker_probe "$@"
	[ "$status" -eq 0 ] || fail "docker run $* was refused: $stderr"
	assert_enforced "$output"
	[ "$(audit_count create "$(cid "$name")")" -eq 1 ]
	[ "$(audit_count refuse "$(cid "$name")")" -eq 0 ]
}

@test "docker run with no options: default limits, allowlisted capabilities, no_new_privs, read-only root" {
	docker_probe e2e-plain
	[ "$status" -eq 0 ]
	assert_enforced "$output" "$PIDS_DEFAULT" "$MEM_DEFAULT"
	# Docker's default set minus MKNOD, NET_RAW, SETFCAP, AUDIT_WRITE is
	# exactly the allowlist
	[ "$(value CapEff)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	# /tmp is the policy's writable tmpfs
	run dk run --rm --network none "$BUSYBOX" sh -c 'touch /tmp/ok && echo tmp-writable'
	[ "$output" = tmp-writable ]
	# one audit line for the container, with what was changed
	C=$(cid e2e-plain)
	[ "$(audit_count create "$C")" -eq 1 ]
	audit_any create "$C" '.decisions | (any(.rule == "capabilities") and any(.rule == "no_new_privileges"))'
}

@test "docker run --privileged: runs with the policy enforced (devices, seccomp and capabilities re-applied)" {
	runs_enforced e2e-priv --privileged
	# (Docker 20.10 allows every device with one rule; Docker 28 lists each
	# host device: the devices rule rewrites one or the other)
	audit_any create "$(cid e2e-priv)" 'any(.decisions[]; .rule == "privileged" and .action == "audit")
		and any(.decisions[]; .rule == "devices" and (.path | startswith("linux.resources.devices")))
		and any(.decisions[]; .rule == "seccomp")'
	# no host device node reaches the container
	run dk run --rm --privileged --network none "$BUSYBOX" sh -c 'ls /dev'
	[ "$status" -eq 0 ]
	local devs
	devs=" $(printf '%s\n' "$output" | tr '\n' ' ') "
	[[ $devs != *" kmsg "* && $devs == *" null "* ]] || fail "/dev: $output"
}

@test "docker run --cap-add ALL: runs with only allowlisted capabilities" {
	runs_enforced e2e-capall --cap-add ALL
	[ "$(value CapEff)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
}

@test "docker run --security-opt no-new-privileges=false: NoNewPrivs is 1 inside" {
	docker_probe e2e-nnp --security-opt no-new-privileges=false
	[ "$status" -eq 0 ]
	assert_enforced "$output"
}

@test "docker run -v <private docker socket>:/var/run/docker.sock: refused, docker shows why" {
	docker_probe e2e-sock -v "$W/docker/run/docker.sock:/var/run/docker.sock"
	assert_refused
	[[ $stderr == *"OCI runtime create failed: $REFUSED: mounts: "*"$W/docker/run/docker.sock"* ]]
	C=$(cid e2e-sock)
	[ "$(audit_count refuse "$C")" -eq 1 ]
	[ "$(audit_count create "$C")" -eq 0 ]
	# never started
	[ "$(dk inspect -f '{{.State.Status}}' "$C")" = created ]
}

@test "docker run -v /:/host: refused, docker shows why" {
	docker_probe e2e-root -v /:/host
	assert_refused
	[[ $stderr == *"OCI runtime create failed: $REFUSED: mounts: bind mount of / "* ]]
	[ "$(audit_count refuse "$(cid e2e-root)")" -eq 1 ]
}

@test "docker create -v /etc + docker cp: the runtime never sees cp (documented), and every start stays refused" {
	run --separate-stderr dk create --name e2e-cp --network none -v /etc:/x "$BUSYBOX" true
	[ "$status" -eq 0 ] || fail "docker create failed: $stderr"
	# docker cp goes through the daemon, not the runtime: ocigate cannot
	# stop it (README, "What a runtime cannot see")
	run --separate-stderr dk cp e2e-cp:/x/hostname "$BATS_TEST_TMPDIR/hostname"
	[ "$status" -eq 0 ] || fail "docker cp failed: $stderr"
	run --separate-stderr dk start e2e-cp
	assert_refused
	[[ $stderr == *"$REFUSED: mounts: bind mount of /etc "* ]]
	run --separate-stderr dk start e2e-cp
	assert_refused
	[ "$(audit_count refuse "$(cid e2e-cp)")" -eq 2 ]
	dk rm -f e2e-cp >/dev/null
}

@test "docker run: container root is a pool uid, image files are root-owned inside (idmapped rootfs)" {
	run --separate-stderr dk run --rm --network none "$BUSYBOX" sh -c \
		'cat /proc/self/uid_map; echo "owner $(stat -c %u:%g /bin/busybox)"; echo "id $(id -u)"'
	[ "$status" -eq 0 ]
	assert_pool_map "$(echo "$output" | head -n1)"
	[[ $output == *"owner 0:0"* ]]
	[[ $output == *"id 0"* ]]
}

@test "docker run -v <named volume>: the engine's own volume dir is allowed" {
	# what the engine itself binds must keep working: the volume lives in
	# <data-root>/volumes/<name>/_data, on the policy's allow_sources
	dk volume create e2e-vol >/dev/null
	run --separate-stderr dk run --rm --network none -v e2e-vol:/data "$BUSYBOX" \
		sh -c 'echo kept >/data/f && cat /data/f'
	dk volume rm -f e2e-vol >/dev/null
	[ "$status" -eq 0 ]
	[ "$output" = kept ]
}

@test "docker exec --privileged: capabilities within the allowlist, NoNewPrivs 1" {
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	run --separate-stderr dk exec --privileged "$C" sh -c "$PROBE"
	[ "$status" -eq 0 ]
	assert_enforced "$output"
	[ "$(value CapEff)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
	[ "$(audit_count exec "$C")" -ge 1 ]
}

@test "docker exec refused by the policy: docker shows ocigate's message" {
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	policy_set '.capabilities.action = "deny"'
	run --separate-stderr dk exec --privileged "$C" true
	assert_refused "$stderr$output"
	[[ "$stderr$output" == *"OCI runtime exec failed: $REFUSED: capabilities"* ]]
	[ "$(audit_count refuse "$C")" -eq 1 ]
}

@test "docker update --memory 100g --memory-swap -1 --pids-limit -1: clamped to the policy maxima" {
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	run --separate-stderr dk update --memory 100g --memory-swap -1 --pids-limit -1 "$C"
	# the policy enforces: clamped, not refused (the kernel accepts the
	# clamped memory limit because memory+swap is set with it)
	[ "$status" -eq 0 ] || fail "docker update failed:" "$stderr"
	run dk exec "$C" sh -c "$PROBE"
	assert_enforced "$output" "$PIDS_MAX" "$MEM_MAX"
	audit_any update "$C" '.decisions | any(.path == "resources.memory.limit" and .after == "17179869184")'
}

@test "docker update --cpu-period 1000: the quota follows, at most the policy's CPUs" {
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	run --separate-stderr dk update --cpu-period 1000 "$C"
	[ "$status" -eq 0 ] || fail "docker update failed:" "$stderr"
	run dk exec "$C" cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
	[ "${lines[1]}" = 1000 ]
	[ "${lines[0]}" -gt 0 ] && [ $((lines[0] * 1000 / lines[1])) -le 8000 ] ||
		fail "cpu.cfs_quota_us=${lines[0]} cpu.cfs_period_us=${lines[1]}: above the policy's 8 CPUs"
}

@test "docker update --pids-limit -1: clamped to 32768 inside" {
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	run --separate-stderr dk update --pids-limit -1 "$C"
	[ "$status" -eq 0 ]
	run dk exec "$C" cat /sys/fs/cgroup/pids/pids.max
	[ "$output" = "$PIDS_MAX" ]
	audit_any update "$C" '.decisions | any(.path == "resources.pids.limit" and .before == "-1" and .after == "32768")'
}

@test "docker update --memory 100g --memory-swap 200g: clamped to 16 GiB (+ at most 1 GiB swap) inside" {
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	run --separate-stderr dk update --memory 100g --memory-swap 200g "$C"
	[ "$status" -eq 0 ]
	run dk exec "$C" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes
	[ "${lines[0]}" = "$MEM_MAX" ]
	[ "${lines[1]}" = $((MEM_MAX + MEM_DEFAULT)) ]
}

@test "docker update refused by the policy: docker shows ocigate's message" {
	C=$(dk run -d --network none "$BUSYBOX" sleep 300)
	policy_set '.resources.action = "deny"'
	run --separate-stderr dk update --pids-limit -1 "$C"
	[ "$status" -ne 0 ]
	# refused by ocigate, and the limit is unchanged
	[ "$(audit_count refuse "$C")" -eq 1 ]
	[ "$(dk exec "$C" cat /sys/fs/cgroup/pids/pids.max)" = "$PIDS_DEFAULT" ]
	# containerd shows the runtime's stderr (not --log) for update
	assert_refused
	[[ $stderr == *"$REFUSED: resources: pids limit cannot be removed by an update"* ]] || fail "docker said:" "$stderr"
}

@test "nginx serves HTTP 200 under the policy" {
	docker_nginx
	# served by a master that runs under the policy
	assert_enforced_pid "$NGINX_PID"
	[ "$(cgroup_file "$NGINX_PID" pids pids.max)" = "$PIDS_DEFAULT" ]
}

@test "nginx without --tmpfs for its state dirs stops on the read-only root filesystem" {
	C=$(dk run -d --network none "$NGINX")
	run dk wait "$C"
	[ "$output" != 0 ]
	run dk logs "$C"
	[[ $output == *"Read-only file system"* ]]
}

@test "docker run --rm busybox echo hello-ocigate: stdout untouched" {
	run --separate-stderr dk run --rm --network none "$BUSYBOX" echo hello-ocigate
	[ "$status" -eq 0 ]
	[ "$output" = hello-ocigate ]
}

@test "docker logs shows exactly what the container wrote (stdout and stderr)" {
	C=$(dk run -d --network none "$BUSYBOX" sh -c 'echo hello-ocigate; echo to-stderr >&2')
	run dk wait "$C"
	[ "$output" = 0 ]
	run --separate-stderr dk logs "$C"
	[ "$output" = hello-ocigate ]
	[ "$stderr" = to-stderr ]
}

@test "docker run -t (console socket through ocigate): output untouched" {
	run --separate-stderr dk run --rm -t --network none "$BUSYBOX" echo hello-ocigate
	[ "$status" -eq 0 ]
	[ "${output%$'\r'}" = hello-ocigate ]
}
