#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# verify under crun 1.28 (run by tests/current/run.sh, entered with
# --cgroup2, crun with --cgroup-manager=disabled, so no resource limits
# are set or verified here).  crun runs poststart hooks from `crun start`,
# after the container's program started, and the runtime-spec lets a
# runtime only log a failed one: ocigate-hook stops the container itself.

# shellcheck disable=SC2016,SC2154
load ../integration/helpers

CRUN=${CRUN:-/usr/bin/crun}

setup_file() {
	og_setup_file
	[ -x "$CRUN" ] || skip "no crun at $CRUN"
}

setup() {
	og_setup
	VERIFY_RECORDS_EXPECTED=.
	make_policy '.verify = {"mode": "enforce", "hook": $h} | .resources = {"action": "audit"}' --arg h "$OCIGATE_HOOK"
	# crun, after applying $OG_SHIM_FILTER (jq) to the bundle's config
	cat >"$T/crun-shim" <<SH
#!/bin/sh
b=
prev=
for a; do
	case \$prev in --bundle|-b) b=\$a ;; esac
	prev=\$a
done
if [ -n "\$b" ] && [ -n "\$OG_SHIM_FILTER" ]; then
	jq "\$OG_SHIM_FILTER" "\$b/config.json" >"\$b/config.json.shim" && mv "\$b/config.json.shim" "\$b/config.json"
fi
exec $CRUN "\$@"
SH
	chmod 755 "$T/crun-shim"
}

teardown() {
	local id
	while read -r _ id; do
		[ -n "$id" ] && "$CRUN" --cgroup-manager=disabled --root "$ROOTDIR" delete -f "$id" >/dev/null 2>&1
	done <"$T/containers"
	og_teardown
}

# og_crun COMMAND...: ocigate with crun through the shim; $status, $T/err.
og_crun() {
	status=0
	timeout 30 "$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$T/crun-shim" --cgroup-manager=disabled \
		--root "$ROOTDIR" "$@" </dev/null >/dev/null 2>"$T/err" || status=$?
}

crun_status() {
	"$CRUN" --root "$ROOTDIR" state "$CID" 2>/dev/null | jq -r .status || echo none
}

start_container() {
	make_bundle default 'sleep 30'
	edit_config "$BUNDLE" 'del(.linux.resources)'
	record_container "$ROOTDIR" "$CID"
	og_crun create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ] || { cat "$T/err"; false; }
	og_crun start "$CID"
}

@test "verify crun: a normal container passes both stages and runs" {
	start_container
	[ "$status" -eq 0 ] || { cat "$T/err"; grep '"event":"verify"' "$AUDIT"; false; }
	[ "$(crun_status)" = running ]
	! grep -q '"event":"verify"' "$AUDIT"
}

@test "verify crun: a capability re-added by the runtime: the poststart hook kills the running container" {
	export OG_SHIM_FILTER='.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	start_container
	rec=$(jq -c 'select(.event == "verify")' "$AUDIT")
	jq -e '.stage == "poststart" and .result == "stopped" and (.reason | test("CapBnd holds CAP_SYS_ADMIN"))' \
		<<<"$rec" >/dev/null || { echo "$rec"; cat "$T/err"; false; }
	pid=$(jq -r .container_pid <<<"$rec")
	# the program ran (crun started it) and is gone, whatever crun made of the failed hook
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null
	[ "$(crun_status)" != running ]
}
