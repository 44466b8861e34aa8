#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# `docker build` under ocigate.
#
# BuildKit (DOCKER_BUILDKIT=1 with Docker 20.10's CLI, docker-buildx with
# Docker 28.5) runs inside dockerd and calls runc from PATH itself:
#     runc --log <data-root>/buildkit/executor/runc-log.json --log-format json
#          run --bundle <data-root>/buildkit/executor/<id> [--keep] <id>
# (no --root; 28.5 also calls `runc features` first and `runc delete` after),
# so it meets ocigate only in runc-replacement mode.  With the policy's
# "buildkit" paths a build step is known by that bundle and runc root, which
# only dockerd chooses, and keeps a writable root; everything else is
# enforced (no_new_privs, the capability allowlist: checked in the RUN
# step's own output).  Without them the step is judged like any container:
# its root lies in the engine's data root, a denied tree, and is refused.
#
# The classic builder's RUN containers are made through dockerd's API like
# `docker run` ones (same bundle, same --root, nothing in config.json a user
# cannot set: measured on 20.10, a step's config differs from that of
# `docker run --network none IMG /bin/sh -c CMD` only in id, hostname and
# cgroup path): a read-only root breaks them, and the admin's choices are
# BuildKit or rootfs.readonly false for every container.
#
# Like runc-mode.bats this replaces /usr/sbin/runc for its duration and
# always restores it (helpers.bash: runc_mode_setup, runc_mode_teardown).

# $stderr comes from bats' run --separate-stderr; jq filters are single-quoted
# shellcheck disable=SC2016,SC2154
load helpers

# What a RUN step reports: its privileges, and that it wrote the root.
# shellcheck disable=SC2016  # the build step's shell expands it
STEP='echo built >/built.txt && grep -E "^(Cap(Prm|Eff|Bnd|Amb|Inh)|NoNewPrivs):" /proc/self/status'

setup() {
	runc_mode_setup
	EXECUTOR=$(realpath "$W/docker/data/buildkit/executor")
	CTX=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$CTX"
	printf 'FROM %s\nRUN %s\n' "$BUSYBOX" "$STEP" >"$CTX/Dockerfile"
}

teardown() {
	docker_cleanup
	dk rmi -f e2e-built >/dev/null 2>&1 || true
	dk builder prune -af >/dev/null 2>&1 || true
	runc_mode_teardown
	policy_restore
}

# sys_policy JQ_FILTER: the test policy, filtered, at the compiled-in path
# (what ocigate reads in runc-replacement mode); $d is BuildKit's executor
# dir, $D dockerd's data root.
sys_policy() {
	jq --arg d "$EXECUTOR" --arg D "$(realpath "$W/docker/data")" "$1" "$POLICY" >"$SYS_POLICY.new"
	chmod 600 "$SYS_POLICY.new"
	mv "$SYS_POLICY.new" "$SYS_POLICY"
}

# The shipped "buildkit" paths for this dockerd's data-root.
BUILDKIT_FILTER='.buildkit = {executor_dir: $d, runc_root: "/run/runc"}
	| .mounts.allow_sources += [$d + "/resolv.conf{buildkit}", $d + "/hosts.*{buildkit}"]
	| .mounts.allow_roots += [$d + "/{id}/rootfs{buildkit}"]'

# buildkit_build: DOCKER_BUILDKIT=1 docker build of $CTX as e2e-built.
buildkit_build() {
	if ! "$DOCKER_CLI" buildx version >/dev/null 2>&1 && "$DOCKER_CLI" version -f '{{.Client.Version}}' | grep -qv '^20\.'; then
		skip "this Docker CLI needs the docker-buildx plugin for BuildKit, which is not installed"
	fi
	run --separate-stderr env DOCKER_BUILDKIT=1 "$DOCKER_CLI" build --no-cache --network none --progress plain \
		-t e2e-built "$CTX"
}

# step_value KEY: the value the RUN step printed for KEY (BuildKit prefixes
# its lines with "#N 0.123 ").
step_value() {
	printf '%s\n%s\n' "$output" "$stderr" | sed -En "s/^(.*[[:space:]])?$1:[[:space:]]*//p" | head -n1
}

assert_step_enforced() {
	local c
	[ "$(step_value NoNewPrivs)" = 1 ] || fail "the RUN step has NoNewPrivs $(step_value NoNewPrivs):" "$output" "$stderr"
	for c in CapPrm CapEff CapBnd CapInh CapAmb; do
		[ -n "$(step_value "$c")" ] || fail "no $c in the build output:" "$output" "$stderr"
		caps_within "$(step_value "$c")" || fail "$output" "$stderr"
	done
}

@test "BuildKit in runc-replacement mode: a writing RUN step succeeds, enforced (no_new_privs, capabilities)" {
	sys_policy "$BUILDKIT_FILTER"
	install_as_runc
	buildkit_build
	[ "$status" -eq 0 ] || fail "docker build failed:" "$output" "$stderr"
	assert_step_enforced
	# the layer has what the step wrote (--runtime=runc: the ocigate
	# runtime of this dockerd names /usr/sbin/runc, which is ocigate now)
	run --separate-stderr dk run --rm --runtime=runc --network none e2e-built cat /built.txt
	[ "$status" -eq 0 ] && [ "$output" = built ] || fail "no /built.txt in the image: $output $stderr"
	# ocigate judged the step as BuildKit's: its bundle, a writable root
	jq -e -s --arg d "$EXECUTOR/" 'map(select(.event == "create" and (.bundle | startswith($d))))
		| length >= 1 and all(.decisions | all(.rule != "rootfs"))' "$AUDIT" >/dev/null ||
		fail "no create of a BuildKit bundle (or a rootfs decision) in the audit log"
}

@test "BuildKit in runc-replacement mode without the policy's buildkit paths: the step is refused (its root is in the data root)" {
	sys_policy 'del(.buildkit)'
	install_as_runc
	buildkit_build
	[ "$status" -ne 0 ] || fail "the build succeeded:" "$output"
	# BuildKit shows only runc's exit status; the message is in the audit
	# log (and in BuildKit's runc-log.json)
	printf '%s\n%s\n' "$output" "$stderr" | grep -q "exit code: 1" || fail "$output" "$stderr"
	jq -e -s --arg d "$EXECUTOR/" --arg D "$(realpath "$W/docker/data")" '
		map(select(.event == "refuse" and (.bundle | startswith($d)))) | length >= 1
		and all(.message | startswith("refused by policy: mounts: root filesystem " + $d)
			and contains("exposes the sensitive host tree " + $D))' "$AUDIT" >/dev/null ||
		fail "no refusal of the BuildKit step in the audit log:" "$(tail -n 2 "$AUDIT")"
}

@test "classic builder with the default policy: the writing RUN step meets the read-only root" {
	run --separate-stderr env DOCKER_BUILDKIT=0 "$DOCKER_CLI" build --no-cache --network none -t e2e-built "$CTX"
	[ "$status" -ne 0 ] || fail "the classic build succeeded:" "$output"
	printf '%s\n%s\n' "$output" "$stderr" | grep -q "can't create /built.txt: Read-only file system" ||
		fail "not the read-only root:" "$output" "$stderr"
}

@test "classic builder with rootfs.readonly false (the admin's choice for every container): succeeds, enforced" {
	policy_set '.rootfs.readonly = false'
	run --separate-stderr env DOCKER_BUILDKIT=0 "$DOCKER_CLI" build --no-cache --network none -t e2e-built "$CTX"
	[ "$status" -eq 0 ] || fail "the classic build failed:" "$output" "$stderr"
	assert_step_enforced
	run --separate-stderr dk run --rm --network none e2e-built cat /built.txt
	[ "$status" -eq 0 ] && [ "$output" = built ] || fail "no /built.txt in the image: $output $stderr"
}

@test "BuildKit RUN --mount=type=cache: a bind of the storage driver's snapshot, refused unless listed for build steps" {
	local D n
	D=$(realpath "$W/docker/data")
	printf 'FROM %s\nRUN --mount=type=cache,target=/cache echo cached >/cache/f && cat /cache/f\n' "$BUSYBOX" >"$CTX/Dockerfile"
	sys_policy "$BUILDKIT_FILTER"
	install_as_runc
	n=$(wc -l <"$AUDIT")
	buildkit_build
	[ "$status" -ne 0 ] || fail "the cache mount was allowed:" "$output"
	tail -n +$((n + 1)) "$AUDIT" | jq -e -s --arg d "$EXECUTOR/" --arg D "$D" 'map(select(.event == "refuse" and (.bundle | startswith($d))))
		| length >= 1 and all(.message | test("^refused by policy: mounts: bind mount of " + $D
			+ "/vfs/dir/[a-z0-9]+ exposes the sensitive host tree " + $D + "$"))' >/dev/null ||
		fail "not the cache snapshot's refusal:" "$(tail -n 1 "$AUDIT")"
	# the admin lists the driver's snapshots for build steps only
	sys_policy "$BUILDKIT_FILTER"' | .mounts.allow_sources += [$D + "/vfs/dir/*{buildkit}"]'
	buildkit_build
	[ "$status" -eq 0 ] || fail "the build with the cache listed failed:" "$output" "$stderr" "$(tail -n 1 "$AUDIT")"
	printf '%s\n%s\n' "$output" "$stderr" | grep -q "[[:space:]]cached$" || fail "$output" "$stderr"
}
