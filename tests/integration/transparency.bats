#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Transparency: with a policy that allows everything (mode "audit", every
# section's action "audit", user namespaces off) ocigate must be
# indistinguishable from runc.  Each scenario runs twice, once against runc
# directly and once through ocigate (each side with its own --root, bundle
# and container id of the same length), and writes a transcript of every
# call: exit status, stdout and stderr, with ids, paths, pids and times
# normalised.  The two transcripts must be identical.  ocigate still
# rewrites config.json canonically in audit mode, so behaviour is compared,
# not config bytes.

# shellcheck disable=SC2016,SC2154,SC2153
load helpers

setup() {
	og_setup
	make_policy '.mode = "audit" | .user_namespace.mode = "off"
		| with_entries(if (.value | type) == "object" and (.value | has("action"))
			then .value.action = "audit" else . end)'
	[ "$(jq '[.. | objects | .action? // empty] | unique' "$POLICY" | jq -c .)" = '["audit"]' ]
	declare -gA SID SBUNDLE SROOT
	SROOT[runc]="$T/root-runc"
	SROOT[og]="$T/root-og"
	SIDES=(runc og)
	STEP=0
	BG_PIDS=()
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	og_teardown
}

# rt SIDE ARGS...: the runtime as an engine calls it: runc itself, or
# ocigate in front of it.
rt() {
	local side=$1
	shift
	if [ "$side" = runc ]; then
		"$RUNC" --root "${SROOT[runc]}" "$@"
	else
		"$OCIGATE" --ocigate-policy "$POLICY" --ocigate-runtime "$RUNC" --ocigate-state-dir "$T/ogstate" \
			--root "${SROOT[og]}" "$@"
	fi
}

# bundles PROBE [JQ_FILTER]: one bundle per side from the default Docker
# fixture, the container running `sh -c PROBE`; ids "r<x>" and "o<x>", each
# with its own cgroup.
bundles() {
	local probe=$1 filter=${2:-.} x s id
	x=$(new_id)
	for s in "${SIDES[@]}"; do
		make_bundle default "$probe"
		id="${s:0:1}$x"
		edit_config "$BUNDLE" ".linux.cgroupsPath = \"/ocigate-test-$id\" | $filter"
		SID[$s]=$id
		SBUNDLE[$s]=$BUNDLE
		record_container "${SROOT[$s]}" "$id"
	done
}

# normalise SIDE: this side's bundle, root, id, step files and temp dir
# by name; times as <TIME>.
normalise() {
	local s=$1
	sed -E -e "s|${SBUNDLE[$s]:-@none@}|<BUNDLE>|g" -e "s|${SROOT[$s]}|<ROOT>|g" \
		-e "s|${SID[$s]:-@none@}|<ID>|g" -e "s|$T/$s([./-])|<T>/<SIDE>\\1|g" -e "s|$T|<T>|g" \
		-e 's/time="[^"]*"/time="<TIME>"/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})/<TIME>/g'
}

# step SIDE LABEL FILTER ARGS...: one runtime call, recorded in the side's
# transcript.  FILTER ("-" for none) reads stdout.  stdin is $STDIN
# (default /dev/null), fd 3 is $FD3 (default /dev/null: bats' own fd 3
# must not reach a container).
step() {
	local side=$1 label=$2 filter=$3 rc=0 o e
	shift 3
	STEP=$((STEP + 1))
	o="$T/$side.$STEP.out" e="$T/$side.$STEP.err"
	rt "$side" "$@" <"${STDIN:-/dev/null}" >"$o" 2>"$e" 3<"${FD3:-/dev/null}" || rc=$?
	LAST_ERR=$e LAST_RC=$rc
	{
		echo "== $label: exit $rc"
		echo "-- stdout"
		if [ "$filter" = - ]; then cat "$o"; else "$filter" <"$o"; fi | normalise "$side"
		echo "-- stderr"
		normalise "$side" <"$e"
	} >>"$T/$side.transcript"
}

# note SIDE LABEL: stdin into the transcript.
note() {
	{
		echo "== $2"
		normalise "$1"
	} >>"$T/$1.transcript"
}

# compare: the two transcripts are identical.
compare() {
	[ -s "$T/runc.transcript" ] || fail "no runc transcript"
	diff -u "$T/runc.transcript" "$T/og.transcript" >&2 || {
		echo "--- runc transcript:" >&2
		cat "$T/runc.transcript" >&2
		fail "ocigate behaved differently from runc"
	}
}

# wait_status SIDE STATUS: poll the container's state (not recorded).
wait_status() {
	local _
	for _ in $(seq 1 100); do
		[ "$(rt "$1" state "${SID[$1]}" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.05
	done
	fail "${SID[$1]} never became $2"
}

# stdout filters
state_filter() {
	jq -S '.pid |= (if . > 0 then "<PID>" else . end) | .created = "<TIME>"'
}
list_filter() {
	jq -S 'map(.pid |= (if . > 0 then "<PID>" else . end) | .created = "<TIME>")'
}
ps_filter() {
	# UID PID PPID C STIME TTY TIME CMD: keep the user, tty and command
	awk 'NR == 1 {print; next} {$2 = "<PID>"; $3 = "<PPID>"; $4 = "<C>"; $5 = "<STIME>"; $7 = "<TIME>"; print}'
}
psjson_filter() {
	jq -c 'length'
}
events_filter() {
	# the values move, and runc leaves out a counter that is zero (Go's
	# omitempty: memory.cache, ...), so only the groups of counters are
	# compared
	jq -S -c '{type, id, data: (.data | keys)}'
}
pidfile_filter() {
	grep -Eq '^[1-9][0-9]*$' && echo "<a pid>"
}

# ---------------------------------------------------------------------------

@test "lifecycle: create/state/start/ps/exec/pause/resume/update/events/list/kill/delete, and their errors" {
	local s id b
	bundles 'exec sleep 100'
	for s in "${SIDES[@]}"; do
		id=${SID[$s]} b=${SBUNDLE[$s]}
		jq '.process | .args = ["/bin/sh", "-c", "echo from a process file; id -u"] | .terminal = false' \
			"$b/config.json" >"$T/$s.process.json"
		echo '{"pids": {"limit": 300}, "memory": {"limit": 209715200}}' >"$T/$s.resources.json"

		step "$s" "state before create" - state "$id"
		step "$s" "create" - create --bundle "$b" --pid-file "$T/$s.pid" "$id"
		pidfile_filter <"$T/$s.pid" | note "$s" "pid file"
		step "$s" "create again (exists)" - create --bundle "$b" "$id"
		step "$s" "state (created)" state_filter state "$id"
		step "$s" "exec before start" - exec "$id" true
		step "$s" "start" - start "$id"
		wait_status "$s" running
		step "$s" "state (running)" state_filter state "$id"
		step "$s" "start again" - start "$id"
		step "$s" "ps" ps_filter ps "$id"
		step "$s" "ps --format json" psjson_filter ps --format json "$id"
		step "$s" "exec echo" - exec "$id" echo hello from exec
		step "$s" "exec exit 3" - exec "$id" sh -c 'echo out; echo err >&2; exit 3'
		step "$s" "exec --process" - exec --process "$T/$s.process.json" "$id"
		step "$s" "exec --env --cwd --user" - exec --env FOO=bar --cwd /tmp --user 1:1 "$id" sh -c 'echo $FOO; pwd; id'
		step "$s" "exec missing binary" - exec "$id" /no/such/binary
		step "$s" "exec --cap" - exec --cap CAP_SYS_ADMIN "$id" sh -c 'grep CapEff /proc/self/status'
		step "$s" "pause" - pause "$id"
		step "$s" "state (paused)" state_filter state "$id"
		step "$s" "pause again" - pause "$id"
		step "$s" "resume" - resume "$id"
		step "$s" "resume again" - resume "$id"
		step "$s" "update --pids-limit" - update --pids-limit 200 "$id"
		step "$s" "pids.max" - exec "$id" cat /sys/fs/cgroup/pids/pids.max
		STDIN="$T/$s.resources.json" step "$s" "update -r -" - update -r - "$id"
		step "$s" "update --resources FILE" - update --resources "$T/$s.resources.json" "$id"
		step "$s" "limits" - exec "$id" sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes'
		# ocigate judges inline update values itself: an unparsable one is
		# its own error (same exit status, its own message); see the next test
		step "$s" "events --stats" events_filter events --stats "$id"
		step "$s" "list" list_filter list --format json
		step "$s" "delete running" - delete "$id"
		step "$s" "kill KILL" - kill "$id" KILL
		wait_status "$s" stopped
		step "$s" "state (stopped)" state_filter state "$id"
		step "$s" "kill stopped" - kill "$id" KILL
		step "$s" "exec stopped" - exec "$id" true
		step "$s" "delete" - delete "$id"
		step "$s" "state (gone)" - state "$id"
		step "$s" "delete (gone)" - delete "$id"
		step "$s" "delete --force (gone)" - delete --force "$id"
		step "$s" "start (gone)" - start "$id"
		step "$s" "list (empty)" - list
	done
	# the scenario did what it says, on the runc side
	grep -qx 'hello from exec' "$T/runc.transcript"
	grep -qx '300' "$T/runc.transcript"
	grep -qx '209715200' "$T/runc.transcript"
	grep -q '"status": "paused"' "$T/runc.transcript"
	compare
}

@test "run in the foreground: the container's stdout, stderr and exit status" {
	local s
	bundles 'echo hello stdout; echo hello stderr >&2; exit 5'
	for s in "${SIDES[@]}"; do
		step "$s" "run (exit 5)" - run --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
		step "$s" "state after run" - state "${SID[$s]}"
		edit_config "${SBUNDLE[$s]}" '.process.args = ["/no/such/binary"]'
		step "$s" "run (no such binary)" - run --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
		step "$s" "delete" - delete --force "${SID[$s]}"
		# the bundle as the working directory, no --bundle
		edit_config "${SBUNDLE[$s]}" '.process.args = ["/bin/sh", "-c", "echo from cwd"]'
		(cd "${SBUNDLE[$s]}" && step "$s" "run in the bundle dir" - run "${SID[$s]}")
		step "$s" "run without an id" - run --bundle "${SBUNDLE[$s]}"
	done
	grep -qx 'hello stdout' "$T/runc.transcript"
	grep -q '^== run (exit 5): exit 5$' "$T/runc.transcript"
	grep -q '^== run (no such binary): exit [1-9]' "$T/runc.transcript"
	compare
	# A bundle ocigate cannot read is its own refusal (by design: it must
	# read the config to judge it): runc's exit status, ocigate's message.
	run --separate-stderr rt runc run --bundle "$T/no-such-bundle" "${SID[runc]}" 3>&-
	[ "$status" -eq 1 ]
	[[ $stderr == *'chdir '"$T"'/no-such-bundle: no such file or directory'* ]]
	run --separate-stderr rt og run --bundle "$T/no-such-bundle" "${SID[og]}" 3>&-
	[ "$status" -eq 1 ]
	[ "$stderr" = "ocigate: config.json of bundle $T/no-such-bundle: cannot open directory $T/no-such-bundle: No such file or directory" ]
}

@test "run --detach: returns at once, the container's output goes to the inherited stdio" {
	local s
	bundles 'echo detached stdout; echo detached stderr >&2; sleep 0.3; echo done'
	local flag rc
	for s in "${SIDES[@]}"; do
		for flag in --detach -d; do
			# stdout and stderr are the container's: read them once it is done
			rc=0
			rt "$s" run "$flag" --bundle "${SBUNDLE[$s]}" "${SID[$s]}" </dev/null >"$T/$s.out" 2>"$T/$s.err" 3>&- || rc=$?
			echo "exit $rc" | note "$s" "run $flag"
			wait_status "$s" stopped
			note "$s" "stdout" <"$T/$s.out"
			note "$s" "stderr" <"$T/$s.err"
			step "$s" "state" state_filter state "${SID[$s]}"
			step "$s" "run $flag again (exists)" - run "$flag" --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
			step "$s" "delete" - delete "${SID[$s]}"
		done
	done
	grep -qx 'detached stdout' "$T/runc.transcript"
	grep -qx 'done' "$T/runc.transcript"
	compare
}

# console_receiver SOCKET OUT: receive the pty master runc sends over the
# console socket (SCM_RIGHTS) and copy everything the container writes to
# it into OUT; runs in the background, its pid in RECEIVER.
console_receiver() {
	"$PYTHON" - "$1" "$2" <<'EOF' &
import array, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
with open(out, "wb") as f:
    f.write(b"message: %s\nfds: %d\n" % (msg, len(fds)))
    f.write(b"isatty: %d\n" % os.isatty(fds[0]))
    while True:
        try:
            b = os.read(fds[0], 4096)
        except OSError:  # EIO once the other side is gone
            break
        if not b:
            break
        f.write(b)
EOF
	RECEIVER=$!
	BG_PIDS+=("$RECEIVER")
	local _
	for _ in $(seq 1 100); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	fail "the console receiver did not start"
}

@test "console socket: create --console-socket hands over a pty; the container's output arrives on it" {
	local s
	bundles 'echo hello tty; busybox tty' '.process.terminal = true'
	for s in "${SIDES[@]}"; do
		console_receiver "$T/$s.sock" "$T/$s.console"
		step "$s" "create --console-socket" - create --console-socket "$T/$s.sock" --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
		step "$s" "start" - start "${SID[$s]}"
		wait_status "$s" stopped
		wait "$RECEIVER"
		tr -d '\r' <"$T/$s.console" | note "$s" "received on the console socket"
		step "$s" "delete" - delete "${SID[$s]}"
		# terminal: true without a console socket is runc's error
		step "$s" "create without --console-socket" - create --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
		step "$s" "console socket that does not exist" - create --console-socket "$T/$s.nosock" --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
		step "$s" "cleanup" - delete --force "${SID[$s]}"
	done
	grep -qx 'hello tty' "$T/runc.transcript"
	grep -qx 'fds: 1' "$T/runc.transcript"
	grep -qx 'isatty: 1' "$T/runc.transcript"
	compare
}

@test "--preserve-fds: an extra fd 3 reaches the container" {
	local s
	printf 'line one\nline two\n' >"$T/fd3.txt"
	bundles 'cat <&3; ls /proc/self/fd | wc -l'
	for s in "${SIDES[@]}"; do
		FD3="$T/fd3.txt" step "$s" "run --preserve-fds 1" - run --preserve-fds 1 --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
		FD3="$T/fd3.txt" step "$s" "run without --preserve-fds" - run --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
		FD3="$T/fd3.txt" step "$s" "run --preserve-fds=1" - run --preserve-fds=1 --bundle "${SBUNDLE[$s]}" "${SID[$s]}"
	done
	grep -qx 'line two' "$T/runc.transcript"
	compare
}

@test "--version, -v, features, help: byte for byte" {
	local s
	for s in "${SIDES[@]}"; do
		step "$s" "--version" - --version
		step "$s" "-v" - -v
		step "$s" "features" - features
		step "$s" "help" - help
		step "$s" "--help" - --help
		step "$s" "help create" - help create
		step "$s" "no arguments" - 
	done
	cmp <("$RUNC" --version) <(rt og --version)
	cmp <("$RUNC" features) <(rt og features)
	grep -q '^runc version' "$T/runc.transcript"
	compare
}

@test "spec: writes the same config.json in the working directory; refuses to overwrite it" {
	local s
	for s in "${SIDES[@]}"; do
		mkdir -p "$T/spec-$s/rootless"
		(cd "$T/spec-$s" && step "$s" "spec" - spec)
		(cd "$T/spec-$s" && step "$s" "spec again (exists)" - spec)
		(cd "$T/spec-$s/rootless" && step "$s" "spec --rootless" - spec --rootless)
		step "$s" "spec --bundle" - spec --bundle "$T/spec-$s/rootless"
	done
	cmp "$T/spec-runc/config.json" "$T/spec-og/config.json"
	cmp "$T/spec-runc/rootless/config.json" "$T/spec-og/rootless/config.json"
	compare
}

@test "unknown command, unknown global flag, unknown exec/update flag, missing values: the same error text and exit status" {
	local s
	for s in "${SIDES[@]}"; do
		step "$s" "unknown command" - frobnicate
		step "$s" "unknown command with args" - frobnicate --x y
		step "$s" "unknown global flag" - --frobnicate list
		step "$s" "unknown global flag with =" - --frobnicate=1 list
		step "$s" "unknown exec flag" - exec --frobnicate x true
		step "$s" "unknown update flag" - update --frobnicate x
		step "$s" "global flag without a value" - list --root
		step "$s" "state without an id" - state
		step "$s" "kill without an id" - kill
		step "$s" "--log-format bogus" - --log-format bogus list
		step "$s" "-- then a command" - -- list
	done
	grep -q '^== unknown command: exit [1-9]' "$T/runc.transcript"
	compare
}

# Unknown create/run flags are not compared: ocigate judges the config
# first (failing closed), then runc refuses the flag; both exit 1.
@test "create/run/restore --help (exec/update --help as controls): runc's usage text, not an ocigate error" {
	local s
	for s in "${SIDES[@]}"; do
		mkdir -p "$T/cwd-$s"
		cd "$T/cwd-$s"
		step "$s" "create --help" - create --help
		step "$s" "run -h" - run -h
		step "$s" "restore --help" - restore --help
		step "$s" "exec --help" - exec --help
		step "$s" "update --help" - update --help
		cd "$T"
	done
	compare
}

@test "update with an unparsable inline value: runc's exit status (the message is ocigate's own)" {
	local s
	bundles 'exec sleep 100'
	for s in "${SIDES[@]}"; do
		rt "$s" create --bundle "${SBUNDLE[$s]}" "${SID[$s]}" </dev/null >/dev/null 2>&1 3>&-
		step "$s" "update --pids-limit nope" - update --pids-limit nope "${SID[$s]}"
		echo "$LAST_RC" >"$T/$s.rc"
		cp "$LAST_ERR" "$T/$s.update.err"
		step "$s" "update --memory 1x" - update --memory 1x "${SID[$s]}"
		echo "$LAST_RC" >>"$T/$s.rc"
		rt "$s" delete --force "${SID[$s]}" 3>&-
	done
	cmp "$T/runc.rc" "$T/og.rc"
	[ "$(head -n1 "$T/runc.rc")" -eq 1 ]
	grep -q 'invalid value \\"nope\\" for flag -pids-limit' "$T/runc.update.err"
	# ocigate judges inline update values before runc: its own clear message
	grep -qx 'ocigate: update --pids-limit: invalid value "nope"' "$T/og.update.err"
}
