#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# ocigate under containerd 1.6, driven by ctr.  ctr's --runc-binary gives
# the runc shim a runtime path but no arguments, so the shim runs
# $W/bin/ocigate-runc, a two-line wrapper that execs ocigate with
# --ocigate-policy and --ocigate-runtime.

load helpers

teardown() {
	policy_restore
	ctr_cleanup
}

# ctr_probe ID [CTR RUN OPTIONS...]: run $PROBE in a busybox container.
ctr_probe() {
	local id=$1
	shift
	run --separate-stderr ctrc "${CTR_RUN[@]}" --rm "$@" "$CTR_BUSYBOX" "$id" sh -c "$PROBE"
}

# ctr_pid ID: the pid of a running task.
ctr_pid() { ctrc tasks ls | awk -v id="$1" '$1 == id { print $2 }'; }

@test "ctr run --mount of the private containerd socket: refused, ctr shows why" {
	ctr_probe e2e-ctr-sock --mount "type=bind,src=$CONTAINERD_ADDRESS,dst=/run/containerd.sock,options=rbind"
	assert_refused
	[[ $stderr == *"OCI runtime create failed: $REFUSED: mounts: "*"$CONTAINERD_ADDRESS"* ]]
	[ "$(audit_count refuse e2e-ctr-sock)" -eq 1 ]
	[ "$(audit_count create e2e-ctr-sock)" -eq 0 ]
	# ctr removed what it had created; no task, no container
	[ -z "$(ctrc containers ls -q)" ]
	[ -z "$(ctrc tasks ls -q)" ]
}

@test "ctr run --mount of the private docker socket's directory: refused" {
	ctr_probe e2e-ctr-dockerdir --mount "type=bind,src=$W/docker/run,dst=/host-run,options=rbind:ro"
	assert_refused
	[[ $stderr == *"$REFUSED: mounts: "* ]]
	[ "$(audit_count refuse e2e-ctr-dockerdir)" -eq 1 ]
}

@test "ctr run (no options): runs, policy enforced inside and on its cgroup" {
	local pid
	run --separate-stderr ctrc "${CTR_RUN[@]}" -d "$CTR_BUSYBOX" e2e-ctr-plain sleep 300
	[ "$status" -eq 0 ]
	pid=$(ctr_pid e2e-ctr-plain)
	[ -n "$pid" ]
	assert_enforced_pid "$pid"
	[ "$(cgroup_file "$pid" pids pids.max)" = "$PIDS_DEFAULT" ]
	[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" = "$MEM_DEFAULT" ]
	[ "$(audit_count create e2e-ctr-plain)" -eq 1 ]
	# ctr's spec mounts no cgroup filesystem: the limits were read above;
	# inside, the process rules and the read-only root
	run --separate-stderr ctrc "${CTR_EXEC[@]}" --exec-id probe e2e-ctr-plain sh -c "$PROBE"
	[ "$status" -eq 0 ]
	assert_enforced "$output" - -
	[ "$(audit_count exec e2e-ctr-plain)" -ge 1 ]
}

@test "ctr run --privileged: runs with the policy enforced" {
	local pid
	run --separate-stderr ctrc "${CTR_RUN[@]}" -d --privileged "$CTR_BUSYBOX" e2e-ctr-priv sleep 300
	# the shipped policy rewrites a privileged config (it does not refuse it)
	[ "$status" -eq 0 ] || fail "ctr run --privileged was refused: $stderr"
	[ "$(audit_count create e2e-ctr-priv)" -eq 1 ]
	pid=$(ctr_pid e2e-ctr-priv)
	assert_enforced_pid "$pid"
	[ "$(cgroup_file "$pid" pids pids.max)" = "$PIDS_DEFAULT" ]
	run --separate-stderr ctrc "${CTR_EXEC[@]}" --exec-id probe e2e-ctr-priv sh -c "$PROBE"
	assert_enforced "$output" - -
	[ "$(value CapBnd)" = "$(printf '%016x' "$ALLOWED_CAP_MASK")" ]
}

@test "ctr run --rm echo: output untouched" {
	run --separate-stderr ctrc "${CTR_RUN[@]}" --rm "$CTR_BUSYBOX" e2e-ctr-echo echo hello-ocigate
	[ "$status" -eq 0 ]
	[ "$output" = hello-ocigate ]
}

@test "ctr run: a user namespace from the pool" {
	run --separate-stderr ctrc "${CTR_RUN[@]}" --rm "$CTR_BUSYBOX" e2e-userns-$$ cat /proc/self/uid_map
	[ "$status" -eq 0 ]
	assert_pool_map "$output"
}

@test "ctr task exec refused by the policy: ctr shows ocigate's message" {
	# ctr 1.6 has no `task update`; its exec copies the container's process
	# (env included), judged again under a policy that now denies it
	run --separate-stderr ctrc "${CTR_RUN[@]}" -d --env AWS_SECRET_ACCESS_KEY=e2e-Zq "$CTR_BUSYBOX" e2e-ctr-xenv sleep 300
	[ "$status" -eq 0 ] || fail "ctr run failed:" "$stderr"
	policy_set '.env.action = "deny"'
	run --separate-stderr ctrc "${CTR_EXEC[@]}" --exec-id denied e2e-ctr-xenv true
	assert_refused
	[[ $stderr == *"$REFUSED: env: environment variable AWS_SECRET_ACCESS_KEY looks like a credential"* ]] ||
		fail "ctr said:" "$stderr"
	[ "$(audit_count refuse e2e-ctr-xenv)" -eq 1 ]
}

@test "contrib/containerd: the snippet for this containerd loads as the ocigate CRI handler with BinaryName" {
	local contrib major f
	contrib=$(cd "$BATS_TEST_DIRNAME/../../contrib/containerd" && pwd)
	major=$(containerd --version | awk '{ sub(/^v/, "", $3); split($3, v, "."); print v[1] }')
	if [ "$major" -ge 2 ]; then f=$contrib/config-v3.toml; else f=$contrib/config.toml; fi
	run --separate-stderr containerd --config "$f" config dump
	[ "$status" -eq 0 ] || fail "containerd $major cannot load $f: $stderr"
	# the handler, its shim and the binary, in the section of this version's CRI plugin
	printf '%s\n' "$output" | awk '/runtimes\.ocigate\]$/ { h = 1 } h && /runtime_type/ { print; exit }' |
		grep -q "io.containerd.runc.v2" || fail "no ocigate handler with the runc shim in: $output"
	printf '%s\n' "$output" | awk '/runtimes\.ocigate\.options\]$/ { o = 1 } o && /BinaryName/ { print; exit }' |
		grep -q "/usr/sbin/ocigate" || fail "no BinaryName /usr/sbin/ocigate in: $output"
}
