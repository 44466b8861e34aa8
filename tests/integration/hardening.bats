#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The hardened baseline, proven inside containers started by real runc:
# seccomp, devices, namespaces, masked paths, sysctls; and `ocigatectl
# check` agreeing with a real create for every fixture under every profile.

# shellcheck disable=SC2016,SC2154
load helpers

@test "seccomp: a config without a filter (seccomp=unconfined) runs under the default profile: Seccomp 2" {
	make_bundle capall 'grep -E "^Seccomp:" /proc/self/status'
	jq -e '.linux.seccomp == null' "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value Seccomp)" = 2 ]
	# and a syscall the profile leaves out fails inside (unshare: EPERM)
	make_bundle capall 'if busybox unshare -n true 2>/dev/null; then echo "unshare: allowed"; else echo "unshare: denied"; fi'
	run_ocigate "$CID" "$BUNDLE"
	[ "$(probe_value unshare)" = denied ]
}

@test "devices: no block device in /dev, host char devices gone, /dev/null usable (privileged fixture)" {
	make_bundle privileged 'echo "block: $(ls -l /dev | grep -c "^b")"; echo "fuse: $(test -e /dev/fuse && echo yes || echo no)"; echo x >/dev/null && echo "null: ok"'
	jq -e '.linux.devices | any(.type == "b")' "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value block)" = 0 ]
	[ "$(probe_value fuse)" = no ]
	[ "$(probe_value null)" = ok ]
}

@test "namespaces: the container's network namespace is not the host's (inode differs)" {
	make_bundle default 'echo "netns: $(readlink /proc/self/ns/net)"'
	run_ocigate "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ -n "$(probe_value netns)" ]
	[ "$(probe_value netns)" != "$(readlink /proc/self/ns/net)" ]
}

@test "namespaces: joining the host's network namespace by path is refused with the message" {
	make_bundle default 'true'
	edit_config "$BUNDLE" '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/net" else . end)'
	make_policy '.namespaces.allow_paths += ["/proc/self/ns/*"]'
	refuse_check "$CID" '^ocigate: refused by policy: namespaces: network namespace /proc/self/ns/net is the host.s$'
}

@test "paths: the masked /proc entries are mounts again in a privileged container" {
	make_bundle privileged 'for p in kcore keys timer_list; do grep -q " /proc/$p " /proc/self/mountinfo && echo "masked: $p"; done; if echo 1 >/proc/sys/kernel/domainname 2>/dev/null; then echo "procsys: writable"; else echo "procsys: read-only"; fi; true'
	jq -e '(.linux.maskedPaths // []) | length == 0' "$BUNDLE/config.json"
	run_ocigate "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	# every one of these that exists on this host is a mount (masked)
	for p in kcore keys timer_list; do
		[ -e "/proc/$p" ] || continue
		[[ $output == *"masked: $p"* ]] || fail "/proc/$p is not masked"
	done
	[ "$(probe_value procsys)" = read-only ]
}

@test "sysctls: an unsafe sysctl is not applied, a safe one is" {
	# kernel.msgmax is namespaced (IPC) but not on the safe list
	make_bundle capall 'echo "msgmax: $(cat /proc/sys/kernel/msgmax)"; echo "ping: $(cat /proc/sys/net/ipv4/ping_group_range | tr -s " \t" " ")"'
	edit_config "$BUNDLE" '.linux.sysctl["kernel.msgmax"] = "1234"'
	run_ocigate "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value msgmax)" != 1234 ]
	[ "$(probe_value ping)" = "0 2147483647" ]
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "sysctls" and .path == "linux.sysctl.kernel.msgmax")'
	tail -n1 "$AUDIT" | jq -e '.decisions | any(.rule == "sysctls" and .path == "linux.sysctl.net.ipv4.ip_forward")'
}

@test "process: shared propagation is made slave; oom_score_adj is raised to the floor" {
	# (a negative oom_score_adj needs CAP_SYS_RESOURCE, which this test host
	# lacks: the floor is checked in the config runc gets, and a value above
	# it inside the container)
	make_bundle default 'echo "oom: $(cat /proc/self/oom_score_adj)"; grep " / / " /proc/self/mountinfo | grep -q "shared:" && echo "root: shared" || echo "root: not shared"'
	edit_config "$BUNDLE" '.process.oomScoreAdj = 100 | .linux.rootfsPropagation = "rshared"'
	run_ocigate "$CID" "$BUNDLE"
	show_run
	[ "$status" -eq 0 ]
	[ "$(probe_value oom)" = 100 ]
	[ "$(probe_value root)" = "not shared" ]
	jq -e '.linux.rootfsPropagation == "rslave"' "$BUNDLE/config.json"
	make_bundle default 'true'
	edit_config "$BUNDLE" '.process.oomScoreAdj = -1000'
	"$OCIGATECTL" check --policy "$POLICY" --output "$T/out.json" "$BUNDLE/config.json" >/dev/null
	jq -e '.process.oomScoreAdj == -500' "$T/out.json"
}

# ocigatectl check and a real create (with a runtime that does nothing)
# decide the same for every fixture under every shipped profile.
@test "ocigatectl check gives the same decisions as running the config, for every fixture and profile" {
	local noop="$T/noop" f p name prof n=0
	printf '#!/bin/sh\nexit 0\n' >"$noop"
	chmod 755 "$noop"
	for prof in default baseline restricted; do
		grep -v '^[[:space:]]*//' "$PROFILES/$prof.json" |
			jq --arg audit "$T/audit-$prof.log" --arg dir "$PROFILES" '.audit.log = $audit | .user_namespace.mode = "off"
				| .seccomp.default_profile = $dir + "/" + .seccomp.default_profile' >"$T/$prof.json"
		for f in "$FIXTURES"/engines/*/*.config.json; do
			name=$(basename "$(dirname "$f")")-$(basename "$f" .config.json)
			mkdir -p "$T/b-$prof-$name"
			cp "$f" "$T/b-$prof-$name/config.json"
			# --json: the audit log's decision objects
			run --separate-stderr "$OCIGATECTL" check --json --policy "$T/$prof.json" --id "x$n" --bundle "$T/b-$prof-$name" "$f"
			local ctl_status=$status
			printf '%s\n' "$output" | jq -r '.decisions[] | "\(.action) \(.rule) \(.path)"' | sort >"$T/ctl"
			run "$OCIGATE" --ocigate-policy "$T/$prof.json" --ocigate-runtime "$noop" --ocigate-state-dir "$T/st" \
				--root "$T/root" --log "$T/log" create --bundle "$T/b-$prof-$name" "x$n" </dev/null
			local run_status=$status
			tail -n1 "$T/audit-$prof.log" | jq -r '.decisions[] | "\(.action) \(.rule) \(.path)"' | sort >"$T/run"
			diff "$T/ctl" "$T/run" || fail "$name under $prof: check and create disagree"
			# exit codes: check 0 allowed / 1 refused; create 0 / 1
			[ "$ctl_status" -eq "$run_status" ] || fail "$name under $prof: check exit $ctl_status, create exit $run_status"
			n=$((n + 1))
		done
	done
	[ "$n" -ge 30 ]
}

@test "namespaces: joining another container's mount namespace by /proc/<pid>/ns/mnt is refused (its whole filesystem)" {
	# container A, running, with a file of its own
	make_bundle default 'echo secret-of-a >/tmp/a-secret; sleep 60'
	local a_id=$CID a_pid
	run_detached
	a_pid=$("$RUNC" --root "$ROOTDIR" state "$a_id" | jq -r .pid)
	[ "$a_pid" -gt 0 ]
	# container B joins A's mount namespace: it would read A's /tmp
	make_bundle default 'cat /tmp/a-secret'
	edit_config "$BUNDLE" '.linux.namespaces |= map(if .type == "mount" then .path = $p else . end)' \
		--arg p "/proc/$a_pid/ns/mnt"
	refuse_check "$CID" "^ocigate: refused by policy: namespaces: joining the mount namespace at /proc/$a_pid/ns/mnt would give the container that namespace.s whole filesystem"
}
