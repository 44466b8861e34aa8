#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# mounts.readonly_binds with the real engines: with "enforce" and the
# engines' own files listed (as the shipped profiles list them, here for
# the private data roots), a named volume is read-only inside (EROFS) while
# /etc/hosts, /etc/resolv.conf, /etc/hostname and /dev/shm stay writable, a
# listed volume stays writable (a database), and a web server and a shell
# start as before; the shipped "audit" changes nothing and records the
# volume.

# $stderr comes from bats' run --separate-stderr; jq filters are single-quoted
# shellcheck disable=SC2016,SC2154
load helpers

setup() {
	VOLS=()
	D=$W/docker/data
	PR=$W/podman/root
	PRR=$W/podman/runroot
}

teardown() {
	local v
	policy_restore
	docker_cleanup
	podman_cleanup
	for v in "${VOLS[@]}"; do
		dk volume rm -f "$v" >/dev/null 2>&1
	done
	pm volume rm -f e2e-pdata >/dev/null 2>&1
	return 0
}

volume() {
	VOLS+=("$1")
	dk volume create "$1" >/dev/null
}

# readonly_binds ACTION: the shipped list of the engines' own files, for
# this run's data roots, plus the e2e-db volume.
readonly_binds() {
	policy_set ".mounts.readonly_binds = {action: \"$1\", except: [
		\"$D/containers/{id}/*\", \"$D/containers/{id}/mounts/*\",
		\"$PR/*-containers/{id}/userdata/*\", \"$PRR/*-containers/{id}/userdata/*\",
		\"$D/volumes/e2e-db/_data\"]}"
}

# What a container reports: which of its places it can write.
# shellcheck disable=SC2016  # expanded by the container's shell
# (one line "NAME: writable|read-only" each, NAME without slashes for value)
WRITES='w() { if { echo "$3" >"$2"; } 2>/dev/null; then echo "$1: writable"; else echo "$1: read-only"; fi; }
a() { if { echo "# w" >>"$2"; } 2>/dev/null; then echo "$1: writable"; else echo "$1: read-only"; fi; }
w data /data/x w; w db /db/x w; w shm /dev/shm/x w
a hosts /etc/hosts; a resolv.conf /etc/resolv.conf; a hostname /etc/hostname'

@test "docker, enforce: an unlisted volume is read-only, a listed one and the engine's own files stay writable" {
	readonly_binds enforce
	volume e2e-data
	volume e2e-db
	run --separate-stderr dk run --name e2e-robinds --network none -v e2e-data:/data -v e2e-db:/db "$BUSYBOX" sh -c "$WRITES"
	[ "$status" -eq 0 ] || fail "$output" "$stderr"
	[ "$(value data)" = read-only ] || fail "$output"
	[ "$(value db)" = writable ] || fail "$output"
	[ "$(value shm)" = writable ] || fail "$output"
	[ "$(value hosts)" = writable ] || fail "$output"
	[ "$(value resolv.conf)" = writable ] || fail "$output"
	[ "$(value hostname)" = writable ] || fail "$output"
	audit_any create "$(dk inspect -f '{{.Id}}' e2e-robinds)" \
		'.decisions | any(.rule == "mounts" and .action == "mutate" and (.reason | contains("e2e-data/_data made read-only")))'
}

@test "docker, enforce: a shell and a web server start as before" {
	readonly_binds enforce
	run dk run --rm --network none "$BUSYBOX" sh -c 'echo hello'
	[ "$status" -eq 0 ] && [ "$output" = hello ] || fail "$output"
	docker_nginx
}

@test "docker, the shipped audit: the volume stays writable, the audit line names it" {
	# the test policy is the shipped default: readonly_binds "audit"
	[ "$(jq -r .mounts.readonly_binds.action "$POLICY")" = audit ]
	volume e2e-data
	run --separate-stderr dk run --name e2e-robinds --network none -v e2e-data:/data "$BUSYBOX" sh -c "$WRITES"
	[ "$status" -eq 0 ] || fail "$output" "$stderr"
	[ "$(value data)" = writable ] || fail "$output"
	audit_any create "$(dk inspect -f '{{.Id}}' e2e-robinds)" \
		'.decisions | any(.rule == "mounts" and .action == "audit" and (.reason | contains("e2e-data/_data made read-only")))'
}

@test "podman, enforce: an unlisted volume is read-only, /dev/shm and /etc/hosts stay writable" {
	readonly_binds enforce
	pm volume create e2e-pdata >/dev/null
	run --separate-stderr pm "${PM_RUN[@]}" --rm -v e2e-pdata:/data "$PM_BUSYBOX" sh -c "$WRITES"
	[ "$status" -eq 0 ] || fail "$output" "$stderr"
	[ "$(value data)" = read-only ] || fail "$output"
	[ "$(value shm)" = writable ] || fail "$output"
	[ "$(value hosts)" = writable ] || fail "$output"
}
