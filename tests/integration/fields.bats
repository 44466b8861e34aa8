#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Fail closed on what ocigate does not know: a member that no runtime-spec
# release up to 1.3.0 defines is refused (config.json, exec's process.json,
# update's resources), and the newer members that hand a container what the
# host owns are refused unless the policy allows them.  With real runc.

# shellcheck disable=SC2016,SC2154
load helpers

# a detached container started through ocigate
start_sleeper() {
	make_bundle default 'sleep 60'
	run_detached
}

@test "fields: an invented member under linux is refused, naming its path; the runtime never starts" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.stealHost = {"from": "/"}'
	refuse_check "$CID" '^ocigate: refused by policy: fields: linux\.stealHost is not a member of any runtime-spec release ocigate knows'
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "fields" and .path == "linux.stealHost" and .action == "refuse")'
}

@test "fields: unknown members deeper in the tree (a mount, the process) are named by their path" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.mounts[0].propagateHost = true'
	refuse_check "$CID" 'fields: mounts\[0\]\.propagateHost is not a member'
	make_bundle default 'true'
	edit_config "$BUNDLE" '.process.user.hostUid = 0'
	refuse_check "$CID" 'fields: process\.user\.hostUid is not a member'
}

@test "fields: the free-form maps stay open (annotations, sysctl keys are data)" {
	make_bundle default 'echo "ran: yes"'
	edit_config "$BUNDLE" '.annotations["org.example.anything"] = "x" | .linux.sysctl["net.ipv4.ping_group_range"] = "0 0"'
	run_ocigate "$CID" "$BUNDLE"
	show_run
	assert_status 0
	[ "$(probe_value ran)" = yes ]
}

@test "fields: enforce removes the member and the container runs; audit passes it and records it" {
	make_policy '.fields.action = "enforce"'
	make_bundle default 'echo "ran: yes"'
	edit_config "$BUNDLE" '.linux.stealHost = {"from": "/"}'
	run_ocigate "$CID" "$BUNDLE"
	show_run
	assert_status 0
	[ "$(probe_value ran)" = yes ]
	jq -e '.linux | has("stealHost") | not' "$BUNDLE/config.json"
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "fields" and .path == "linux.stealHost" and .action == "mutate")'

	make_policy '.fields.action = "audit"'
	make_bundle default 'echo "ran: yes"'
	edit_config "$BUNDLE" '.linux.stealHost = {"from": "/"}'
	run_ocigate "$CID" "$BUNDLE"
	assert_status 0
	jq -e '.linux.stealHost.from == "/"' "$BUNDLE/config.json"
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "fields" and .path == "linux.stealHost" and .action == "audit")'
}

@test "fields: fields.allow lets a site's extension through by its shape" {
	make_policy '.fields.allow = ["linux.exampleSiteExtension", "mounts[].exampleTag"]'
	make_bundle default 'echo "ran: yes"'
	edit_config "$BUNDLE" '.linux.exampleSiteExtension = 1 | .mounts[1].exampleTag = "x"'
	run_ocigate "$CID" "$BUNDLE"
	show_run
	assert_status 0
	[ "$(probe_value ran)" = yes ]
}

@test "fields: a policy without the fields section refuses unknown members (secure default)" {
	make_policy 'del(.fields)'
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.stealHost = 1'
	refuse_check "$CID" 'fields: linux\.stealHost is not a member'
}

@test "fields: real-time scheduling, a host resctrl group and runtime-made idmapped mounts are refused with the reason" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 99}'
	refuse_check "$CID" 'fields: a real-time or deadline policy, or a negative nice, takes CPU from the host.s tasks'
	make_bundle default 'true'
	edit_config "$BUNDLE" '.process.ioPriority = {"class": "IOPRIO_CLASS_RT", "priority": 0}'
	refuse_check "$CID" 'fields: the real-time I/O class starves the host.s I/O'
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.intelRdt = {"closID": "host"}'
	refuse_check "$CID" 'fields: joins or writes a host resctrl group'
	make_bundle default 'true'
	mkdir -p "$T/vol"
	edit_config "$BUNDLE" '.mounts += [{"destination": "/v", "type": "bind", "source": $src, "options": ["rbind"], "uidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}]}]' --arg src "$T/vol"
	refuse_check "$CID" 'fields: an idmapped mount made by the runtime'
}

@test "fields: linux.netDevices is refused unless the interface is allowed; the host keeps it" {
	ip link del ogtest0 2>/dev/null || true
	ip link add ogtest0 type veth peer name ogtest1
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.netDevices = {"ogtest0": {"name": "stolen0"}}'
	refuse_check "$CID" 'fields: moves the host.s network interface "ogtest0" into the container \(the host loses it\)'
	ip link show ogtest0 >/dev/null
	make_policy '.fields.net_devices = ["ogtest9"]'
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.netDevices = {"ogtest0": {"name": "stolen0"}}'
	refuse_check "$CID" 'fields: moves the host.s network interface "ogtest0"'
	ip link show ogtest0 >/dev/null
	ip link del ogtest0
}

@test "fields: exec's process.json and update's resources are held to the same member set" {
	start_sleeper
	jq '.args = ["true"] | .cwd = "/" | .inventedPower = true' "$DOCKER_FIXTURES/exec.process.json" >"$T/process.json"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json exec --process "$T/process.json" "$CID"
	assert_status 1
	assert_log_error 'fields: process\.inventedPower is not a member'
	echo '{"pids": {"limit": 10}, "newController": {"max": 1}}' >"$T/up.json"
	run --separate-stderr timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json update --resources "$T/up.json" "$CID"
	assert_status 1
	assert_log_error 'fields: resources\.newController is not a member'
	[ "$(cat "/sys/fs/cgroup/pids/ocigate-test-$CID/pids.max")" = 1024 ]
}
