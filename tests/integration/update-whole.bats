#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# update judged as a whole: whatever subset of the resources a request
# sends, the container's limits after runc applied it stay within the
# policy (quota and period together, memory and memory+swap consistent,
# no real-time budget); create judged the same way (real-time budget,
# RLIMIT_RTPRIO, cgroup v2 `unified`).  Read from the host's cgroup v1
# files of the container, as runc 1.1.5 left them.

# shellcheck disable=SC2016,SC2154
load helpers

# start_sleeper [JQ_FILTER]: a detached container started through ocigate.
start_sleeper() {
	make_bundle default 'sleep 60'
	[ $# -eq 0 ] || edit_config "$BUNDLE" "$1"
	run_detached
	CG_CPU="/sys/fs/cgroup/cpu/ocigate-test-$CID"
	CG_MEM="/sys/fs/cgroup/memory/ocigate-test-$CID"
	[ -e "$CG_CPU/cpu.cfs_quota_us" ] || skip "no cgroup v1 cpu controller at /sys/fs/cgroup/cpu"
}

# ocigate_update ARGS... (stdin from $UPDATE_STDIN, default /dev/null)
ocigate_update() {
	run --separate-stderr timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json update "$@" <"${UPDATE_STDIN:-/dev/null}"
}

# update_json JSON: `update --resources -` with JSON on stdin.
update_json() {
	printf '%s\n' "$1" >"$T/up.json"
	UPDATE_STDIN="$T/up.json" ocigate_update --resources - "$CID"
}

# assert_cpus_at_most MILLICPUS: the cgroup's CFS quota/period ratio.
assert_cpus_at_most() {
	local q p
	q=$(cat "$CG_CPU/cpu.cfs_quota_us")
	p=$(cat "$CG_CPU/cpu.cfs_period_us")
	[ "$q" -gt 0 ] && [ $((q * 1000 / p)) -le "$1" ] ||
		fail "cpu.cfs_quota_us=$q cpu.cfs_period_us=$p: $((q * 1000 / p)) millicpus, policy allows $1"
}

@test "update --cpu-quota 0 --cpu-period 1000: the quota follows, the container keeps at most the policy's CPUs" {
	start_sleeper
	[ "$(cat "$CG_CPU/cpu.cfs_quota_us")" = 200000 ]
	# inline flags, as `runc update` takes them
	ocigate_update --cpu-quota 0 --cpu-period 1000 "$CID"
	assert_status 0
	[ "$(cat "$CG_CPU/cpu.cfs_period_us")" = 1000 ]
	assert_cpus_at_most 8000
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.path == "resources.cpu.quota" and .after == "8000")'

	# the same in --resources JSON, after an update that left runc's own
	# record of the quota at 0 (only the cgroup file still holds it)
	start_sleeper
	update_json '{"pids": {"limit": 100}}'
	assert_status 0
	update_json '{"cpu": {"quota": 0, "period": 1000}}'
	assert_status 0
	[ "$(cat "$CG_CPU/cpu.cfs_period_us")" = 1000 ]
	assert_cpus_at_most 8000
	# the period alone, as `docker update --cpu-period` sends it
	start_sleeper
	update_json '{"cpu": {"period": 2000}}'
	assert_status 0
	assert_cpus_at_most 8000
}

@test "update of the period alone within the policy is passed as sent" {
	start_sleeper
	update_json '{"cpu": {"quota": 0, "period": 1000000}}'
	assert_status 0
	[ "$(cat "$CG_CPU/cpu.cfs_period_us")" = 1000000 ]
	[ "$(cat "$CG_CPU/cpu.cfs_quota_us")" = 200000 ]
	tail -n1 "$AUDIT" | jq -e '.event == "update" and (.decisions | length) == 0'
}

@test "update --cpu-quota 0 --cpu-period 1000 under resources deny: refused, the message says why, limits unchanged" {
	make_policy '.resources.action = "deny"'
	start_sleeper
	ocigate_update --cpu-quota 0 --cpu-period 1000 "$CID"
	assert_status 1
	assert_log_error 'refused by policy: resources: cpu period 1000 us with the container.s current quota 200000 us would allow 200.000 CPUs, above the policy maximum of 8.000 CPUs'
	# containerd shows the runtime's stderr for update
	[[ $stderr == *"ocigate: refused by policy: resources: cpu period 1000 us"* ]] || { show_run; false; }
	[ "$(cat "$CG_CPU/cpu.cfs_quota_us")" = 200000 ]
	[ "$(cat "$CG_CPU/cpu.cfs_period_us")" = 100000 ]
}

@test "update memory 100g with swap 0 (JSON) or without --memory-swap (inline): clamped, memory+swap follows, the kernel accepts it" {
	start_sleeper
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 1073741824 ]
	update_json '{"memory": {"limit": 107374182400, "reservation": 0, "swap": 0, "kernel": 0}}'
	assert_status 0
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 17179869184 ] || { show_run; cat "$CG_MEM/memory.limit_in_bytes"; false; }
	if [ -e "$CG_MEM/memory.memsw.limit_in_bytes" ]; then
		[ "$(cat "$CG_MEM/memory.memsw.limit_in_bytes")" = 17179869184 ]
	fi
	# and back down, the same way
	update_json '{"memory": {"limit": 268435456, "swap": 0}}'
	assert_status 0
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 268435456 ]
	# the inline form
	ocigate_update --memory 100g "$CID"
	assert_status 0
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 17179869184 ]
}

@test "update of memory+swap alone: swap is counted on top of the container's current memory limit" {
	start_sleeper
	[ -e "$CG_MEM/memory.memsw.limit_in_bytes" ] || skip "kernel without swap accounting (no memory.memsw.limit_in_bytes)"
	# 1 GiB container; 17 GiB of memory+swap would be 16 GiB of swap
	update_json '{"memory": {"swap": 18253611008}}'
	assert_status 0
	[ "$(cat "$CG_MEM/memory.limit_in_bytes")" = 1073741824 ]
	[ "$(cat "$CG_MEM/memory.memsw.limit_in_bytes")" = 2147483648 ] ||
		fail "memory.memsw.limit_in_bytes=$(cat "$CG_MEM/memory.memsw.limit_in_bytes"), policy allows 1 GiB of swap"
	ocigate_update --memory-swap -1 "$CID"
	assert_status 0
	[ "$(cat "$CG_MEM/memory.memsw.limit_in_bytes")" = 2147483648 ]
}

@test "real-time CPU: a budget at create or update is not granted (rt_runtime_us stays 0), RLIMIT_RTPRIO is 0 inside" {
	[ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "kernel without real-time group scheduling (no cpu.rt_runtime_us)"
	start_sleeper '.linux.resources.cpu.realtimeRuntime = 900000 | .linux.resources.cpu.realtimePeriod = 1000000
		| .process.rlimits = [{"type": "RLIMIT_RTPRIO", "hard": 99, "soft": 99}]'
	[ "$(cat "$CG_CPU/cpu.rt_runtime_us")" = 0 ]
	run "$RUNC" --root "$ROOTDIR" exec "$CID" grep 'Max realtime priority' /proc/1/limits
	[[ $output =~ Max\ realtime\ priority\ +0\ +0 ]] || { show_run; false; }
	ocigate_update --cpu-rt-runtime 900000 --cpu-rt-period 1000000 "$CID"
	assert_status 0
	[ "$(cat "$CG_CPU/cpu.rt_runtime_us")" = 0 ]
	update_json '{"cpu": {"realtimeRuntime": -1}}'
	assert_status 0
	[ "$(cat "$CG_CPU/cpu.rt_runtime_us")" = 0 ]
	# an exec'd process gets no RLIMIT_RTPRIO either
	jq '.args = ["/bin/grep", "Max realtime priority", "/proc/self/limits"] | .cwd = "/"
		| .rlimits = [{"type": "RLIMIT_RTPRIO", "hard": 99, "soft": 99}]' \
		"$DOCKER_FIXTURES/exec.process.json" >"$T/process.json"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json exec --process "$T/process.json" "$CID"
	assert_status 0
	[[ $output =~ Max\ realtime\ priority\ +0\ +0 ]] || { show_run; false; }
}

@test "real-time CPU under resources deny: refused with the reason" {
	make_policy '.resources.action = "deny"'
	make_bundle default
	edit_config "$BUNDLE" '.linux.resources.cpu.realtimeRuntime = 900000'
	refuse_check "$CID" 'refused by policy: resources: real-time CPU time escapes the CPU quota'
	start_sleeper
	update_json '{"cpu": {"realtimeRuntime": 900000}}'
	assert_status 1
	assert_log_error 'real-time CPU time escapes the CPU quota'
	[[ $stderr == *"real-time CPU time escapes the CPU quota"* ]] || { show_run; false; }
}

@test "cgroup v2 unified: a key ocigate does not judge is refused at create and update, with the reason" {
	make_bundle default
	edit_config "$BUNDLE" '.linux.resources.unified = {"cgroup.procs": "1"}'
	refuse_check "$CID" 'resources: cgroup key cgroup.procs is not one ocigate judges'
	start_sleeper
	update_json '{"unified": {"memory.min": "1073741824"}}'
	assert_status 1
	assert_log_error 'cgroup key memory.min is not one ocigate judges'
}

@test "cgroup v2 unified on this v1 host: a judged key is clamped, and runc 1.1.5 still refuses any unified key here" {
	[ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || skip "a cgroup v2 host (this test shows the v1 behaviour)"
	make_bundle default
	edit_config "$BUNDLE" '.linux.resources.unified = {"pids.max": "max", "memory.max": "max"}'
	run_ocigate "$CID" "$BUNDLE"
	[ "$status" -ne 0 ] || { show_run; fail "runc started a container with unified on cgroup v1"; }
	grep -q 'cannot use unified on cgroup v1' "$BUNDLE/log.json" || { show_run; cat "$BUNDLE/log.json"; false; }
	tail -n1 "$AUDIT" | jq -e '.event == "create" and (.decisions | any(.path == "linux.resources.unified[\"pids.max\"]" and .after == "\"32768\""))
		and (.decisions | any(.path == "linux.resources.unified[\"memory.max\"]" and .after == "\"17179869184\""))'
}

@test "update with a quota the kernel refuses (below 1 ms): refused before runc writes the period alone" {
	# runc writes the period, then fails on the quota, and its roll-back
	# restores nothing its own record holds as 0: the old quota would stay
	# with the new period (200 CPUs)
	start_sleeper
	update_json '{"pids": {"limit": 100}}'
	assert_status 0
	update_json '{"cpu": {"quota": 500, "period": 1000}}'
	assert_status 1
	assert_log_error 'resources.cpu.quota must be'
	[ "$(cat "$CG_CPU/cpu.cfs_period_us")" = 100000 ]
	assert_cpus_at_most 8000
	# a policy whose maximum cannot be written for that period at all
	make_policy '.resources.cpu = {"default": "0.5", "max": "0.5"}'
	start_sleeper
	update_json '{"pids": {"limit": 100}}'
	update_json '{"cpu": {"quota": 0, "period": 1000}}'
	assert_status 1
	assert_log_error 'below the kernel.s minimum of 1000 us'
	[ "$(cat "$CG_CPU/cpu.cfs_period_us")" = 100000 ]
	assert_cpus_at_most 500
}
