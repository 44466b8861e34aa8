#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Kernel audit records: each create and refusal also goes to the kernel's
# audit log as an AUDIT_VIRT_CONTROL record (ocigate(8), KERNEL AUDIT
# RECORDS), read back here from the NETLINK_AUDIT multicast group and by
# ausearch; without audit the file record says so and nothing waits.

# shellcheck disable=SC2016,SC2154
load helpers

# Kernel audit is switched on for the file (the kernel drops user records
# while it is off) and put back as it was; no auditd and no rule is added.
setup_file() {
	og_setup_file
	command -v auditctl >/dev/null || skip "no auditctl (Debian: apt-get install auditd)"
	AUDIT_WAS=$(auditctl -s | awk '$1 == "enabled" {print $2}')
	export AUDIT_WAS
	[ "$AUDIT_WAS" = 2 ] || auditctl -e 1 >/dev/null
}

teardown_file() {
	[ -z "${AUDIT_WAS:-}" ] || [ "$AUDIT_WAS" = 2 ] || auditctl -e "$AUDIT_WAS" >/dev/null
}

# listen SECONDS: kernel VIRT_CONTROL records into $T/kernel.log, as
# auditd's log lines, until SECONDS pass.
listen() {
	coproc LISTENER { "$PYTHON" "$BATS_TEST_DIRNAME/audit-listen.py" "$T/kernel.log" "$1" 2500; }
	local ready
	read -r -t 10 ready <&"${LISTENER[0]}"
	[ "$ready" = ready ]
}

# sent: what the file record says of a record the kernel keeps, with or
# without an auditd on this host (the tests start none).
sent() {
	if auditctl -s | awk '$1 == "pid" && $2 != 0 {f = 1} END {exit !f}'; then
		echo "sent"
	else
		echo "sent (no auditd: kernel log only)"
	fi
}

# og_run: `ocigate run` of $BUNDLE as $CID with a private ocigate state dir,
# where the audit status is cached.
og_run() {
	record_container "$ROOTDIR" "$CID"
	run_ocigate_raw --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --ocigate-state-dir "$T/og" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
}

# kernel_record ID: the kernel record of container ID, as ausearch reads it.
kernel_record() {
	local i
	for i in $(seq 50); do
		grep -q "vm=\"$1\"" "$T/kernel.log" 2>/dev/null && break
		sleep 0.1
	done
	ausearch --input "$T/kernel.log" -m VIRT_CONTROL --vm-name "$1" --format raw
}

@test "a create sends one VIRT_CONTROL record: op=create, the id, the policy digest, res=success" {
	listen 20
	make_bundle default
	og_run
	assert_status 0
	run kernel_record "$CID"
	[ "$status" -eq 0 ] || { cat "$T/kernel.log"; false; }
	sed 's/^/# /' <<<"$output" >&3
	[ "${#lines[@]}" -eq 1 ]
	local digest
	digest=$(jq -r .policy_sha256 "$AUDIT")
	[[ $output == "type=VIRT_CONTROL msg=audit("*"): pid="* ]]
	[[ $output == *" msg='virt=oci op=create vm=\"$CID\" command=\"run\" bundle=\"$BUNDLE\" policy-sha256=$digest policy-mode=enforce mutated="*" refused=0 audited="*" res=success'"* ]]
	# the file record says where the kernel record went
	jq -e --arg sent "$(sent)" '.event == "create" and .kernel_audit == $sent' "$AUDIT"
	# the status came from the kernel and is kept for the next calls
	grep -Eq '^enabled=1 auditd=[0-9]+$' "$T/og/kaudit-status"
	# ausearch interprets it: the sender, the result
	run ausearch --input "$T/kernel.log" -m VIRT_CONTROL --vm-name "$CID" -i
	[[ $output == *"op=create"*"res=success"* ]]
}

@test "the audit status is asked once per 10 s: the next call reads it from the state dir" {
	make_bundle default
	og_run
	assert_status 0
	grep -Eq '^enabled=1 auditd=[0-9]+$' "$T/og/kaudit-status"
	# a status that says audit is off (as after auditctl -e 0) is believed
	# while fresh: the next record is described from it
	echo "enabled=0 auditd=0" >"$T/og/kaudit-status"
	make_bundle default
	og_run
	assert_status 0
	tail -n1 "$AUDIT" | jq -e '.kernel_audit == "dropped: kernel audit is disabled"'
	# an old one is asked again
	touch -d '-1 minute' "$T/og/kaudit-status"
	make_bundle default
	og_run
	assert_status 0
	tail -n1 "$AUDIT" | jq -e --arg sent "$(sent)" '.kernel_audit == $sent'
	# and one others could have written is not read
	echo "enabled=0 auditd=0" >"$T/og/kaudit-status"
	chmod 666 "$T/og/kaudit-status"
	make_bundle default
	og_run
	assert_status 0
	tail -n1 "$AUDIT" | jq -e --arg sent "$(sent)" '.kernel_audit == $sent'
}

@test "a refusal sends res=failed with the refusing rule and the message hex-encoded" {
	listen 20
	make_bundle default
	add_mount "$BUNDLE" '{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind", "ro"]}'
	og_run
	assert_status 1
	run kernel_record "$CID"
	[ "$status" -eq 0 ] || { cat "$T/kernel.log"; false; }
	sed 's/^/# /' <<<"$output" >&3
	[[ $output == *" op=refuse vm=\"$CID\" "*" refused=1 "*" rule=\"mounts\" reason="*" res=failed'"* ]]
	# the message has spaces: hex, which ausearch -i decodes
	local hex
	hex=$(jq -r .message "$AUDIT" | tr -d '\n' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
	[[ $output == *" reason=$hex res=failed"* ]]
	run ausearch --input "$T/kernel.log" -m VIRT_CONTROL --vm-name "$CID" -i
	sed 's/^/# /' <<<"$output" >&3
	jq -e '.event == "refuse" and (.kernel_audit | startswith("sent"))' "$AUDIT"
}

@test "a create with the learning seccomp profile says seccomp=learn in its kernel record" {
	listen 20
	make_policy '.seccomp.learn = [$b]' --arg b "$T/bundle*"
	make_bundle default
	og_run
	assert_status 0
	run kernel_record "$CID"
	[ "$status" -eq 0 ] || { cat "$T/kernel.log"; false; }
	[[ $output == *" op=create vm=\"$CID\" "*" seccomp=learn res=success'"* ]] || { echo "$output"; false; }
	jq -e '.decisions | any(.rule == "seccomp_learn" and .action == "mutate")' "$AUDIT"
}

# The fallback: no CAP_AUDIT_WRITE (dropped from the bounding set, as a
# container manager without it would run), then a user namespace.  The
# call is not held up, the file record says what happened.
@test "without CAP_AUDIT_WRITE: the file record says unavailable (EPERM), no delay" {
	command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
	make_bundle default
	record_container "$ROOTDIR" "$CID"
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr setpriv --bounding-set -audit_write --inh-caps -audit_write \
		"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" --root "$ROOTDIR" \
		--log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	t1=$(date +%s%N)
	assert_status 0
	jq -e '.event == "create" and .kernel_audit == "unavailable: the kernel refused the audit record: Operation not permitted"' "$AUDIT" ||
		{ cat "$AUDIT"; false; }
	echo "create took $(((t1 - t0) / 1000000)) ms"
}

@test "in a user namespace: unavailable (ECONNREFUSED), the refusal recorded at once" {
	unshare -U -r true 2>/dev/null || skip "no unprivileged user namespaces here"
	make_bundle default
	add_mount "$BUNDLE" '{"destination": "/host", "type": "bind", "source": "/", "options": ["rbind", "ro"]}'
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr unshare -U -r "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNTIME" \
		--root "$ROOTDIR" --log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	t1=$(date +%s%N)
	assert_status 1
	jq -e '.event == "refuse" and .kernel_audit == "unavailable: the kernel refused the audit record: Connection refused"' "$AUDIT" ||
		{ cat "$AUDIT"; false; }
	# the ack is immediate; 5 ms is the bound, far below this
	[ $(((t1 - t0) / 1000000)) -lt 1000 ]
}

# ocigate-hook's records go the same way (hooks/verify_audit.c for verify,
# runtime/audit.c for precreate).

@test "a verify mismatch sends op=verify with the stage; audit mode: res=success, the file record says sent" {
	listen 20
	# a host process is no container: the hook records the mismatch (audit
	# mode lets it be) and kills nothing
	sleep 60 &
	local pid=$!
	CID=ogverify-$BATS_TEST_NUMBER-$$
	printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%d,"bundle":"/"}' "$CID" "$pid" >"$T/state.json"
	run --separate-stderr "$OCIGATE_HOOK" poststart --mode=audit --audit-log="$T/verify.log" --nnp <"$T/state.json"
	kill "$pid"
	assert_status 0
	run kernel_record "$CID"
	[ "$status" -eq 0 ] || { cat "$T/kernel.log"; false; }
	sed 's/^/# /' <<<"$output" >&3
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *" msg='virt=oci op=verify vm=\"$CID\" command=\"poststart\" policy-sha256=? policy-mode=audit mutated=0 refused=0 audited=0 reason="*" res=success'"* ]] ||
		{ echo "$output"; false; }
	local hex
	hex=$(jq -r .reason "$T/verify.log" | tr -d '\n' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
	[[ $output == *" reason=$hex res=success'"* ]] || { echo "$output"; false; }
	jq -e --arg sent "$(sent)" '.event == "verify" and .stage == "poststart" and .kernel_audit == $sent' "$T/verify.log"
}

@test "verify enforce: the mismatch's kernel record is res=failed" {
	listen 20
	sleep 60 &
	local pid=$!
	CID=ogverify-$BATS_TEST_NUMBER-$$
	printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%d,"bundle":"/"}' "$CID" "$pid" >"$T/state.json"
	run --separate-stderr "$OCIGATE_HOOK" poststart --mode=enforce --audit-log="$T/verify.log" --nnp <"$T/state.json"
	kill "$pid" 2>/dev/null || true
	assert_status 1
	run kernel_record "$CID"
	[ "$status" -eq 0 ] || { cat "$T/kernel.log"; false; }
	[[ $output == *" op=verify vm=\"$CID\" command=\"poststart\" "*" policy-mode=enforce "*" res=failed'"* ]] ||
		{ echo "$output"; false; }
	jq -e '.event == "verify" and .result == "stopped" and (.kernel_audit | startswith("sent"))' "$T/verify.log"
}

@test "ocigate-hook precreate sends op=precreate" {
	listen 20
	make_bundle default
	run --separate-stderr "$OCIGATE_HOOK" precreate --policy "$POLICY" --state-dir "$T/og" <"$BUNDLE/config.json"
	assert_status 0
	local i
	for i in $(seq 50); do
		grep -q 'op=precreate' "$T/kernel.log" 2>/dev/null && break
		sleep 0.1
	done
	run grep 'op=precreate' "$T/kernel.log"
	[ "$status" -eq 0 ] || { cat "$T/kernel.log"; false; }
	sed 's/^/# /' <<<"$output" >&3
	[[ $output == *" op=precreate "*" command=\"precreate\" "*" policy-mode=enforce "*" res=success'"* ]] ||
		{ echo "$output"; false; }
	jq -e --arg sent "$(sent)" '.command == "precreate" and .kernel_audit == $sent' "$AUDIT" || { cat "$AUDIT"; false; }
}
