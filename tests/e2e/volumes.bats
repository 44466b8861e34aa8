#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Docker named volumes through ocigate (issue 20.1): a volume is whatever
# the local driver mounted at <data-root>/volumes/<name>/_data, so a volume
# made with driver options (type=none,o=bind,device=/etc) is judged as the
# host path it shows, while an ordinary named volume (a plain directory on
# the data root) and a tmpfs volume keep working.

load helpers

setup() {
	VOLS=()
}

teardown() {
	local v
	policy_restore
	docker_cleanup
	for v in "${VOLS[@]}"; do
		dk volume rm -f "$v" >/dev/null 2>&1
	done
	return 0
}

# volume NAME [DRIVER OPTIONS...]: docker volume create, removed by teardown.
volume() {
	local name=$1
	shift
	VOLS+=("$name")
	dk volume create "$@" "$name" >/dev/null
}

@test "docker volume with device=/etc (o=bind): -v v:/v is refused, as -v /etc:/v is" {
	volume e2e-etc -o type=none -o o=bind -o device=/etc
	run --separate-stderr dk run --name e2e-vol-etc --network none -v e2e-etc:/v "$BUSYBOX" cat /v/hostname
	assert_refused
	[[ $stderr == *"is a mount of host /etc"*"in the sensitive host tree /etc"* ]] || fail "$stderr"
	[ "$(audit_count refuse "$(dk inspect -f '{{.Id}}' e2e-vol-etc)")" -eq 1 ]
	# the same through --mount and volume-opt
	run --separate-stderr dk run --rm --network none \
		--mount type=volume,source=e2e-etc2,target=/v,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc \
		"$BUSYBOX" cat /v/hostname
	VOLS+=(e2e-etc2)
	assert_refused
	[[ $stderr == *"is a mount of host /etc"* ]] || fail "$stderr"
}

@test "docker volume with device=/run, or the daemon's own run dir (its socket), is refused" {
	volume e2e-run -o type=none -o o=bind -o device=/run
	run --separate-stderr dk run --rm --network none -v e2e-run:/v "$BUSYBOX" ls /v
	assert_refused
	[[ $stderr == *"is a mount of host /run"* ]] || fail "$stderr"
	# the private dockerd's socket lives in $W/docker/run (a deny tree)
	volume e2e-drun -o type=none -o o=bind -o "device=$W/docker/run"
	run --separate-stderr dk run --rm --network none -v e2e-drun:/v "$BUSYBOX" ls /v
	assert_refused
	[[ $stderr == *"is a mount of host $W/docker/run"* ]] || fail "$stderr"
}

@test "docker volume that is a bind of /usr/sbin (runc, dockerd) is refused" {
	volume e2e-sbin -o type=none -o o=bind -o device=/usr/sbin
	run --separate-stderr dk run --rm --network none -v e2e-sbin:/s "$BUSYBOX" ls /s
	assert_refused
	[[ $stderr == *"is a mount of host /usr/sbin"*"sensitive host tree /usr"* ]] || fail "$stderr"
}

@test "docker volume that is an overlay of /etc (lowerdir=/etc) is refused" {
	mkdir -p "$W/ovl/up" "$W/ovl/work"
	volume e2e-ovl -o type=overlay -o device=overlay -o "o=lowerdir=/etc,upperdir=$W/ovl/up,workdir=$W/ovl/work"
	run --separate-stderr dk run --rm --network none -v e2e-ovl:/v "$BUSYBOX" cat /v/hostname
	assert_refused
	[[ $stderr == *"is a mount of a overlay filesystem"*"that no host path shows"* ]] || fail "$stderr"
}

@test "an ordinary named volume works: a database-like write persists across containers" {
	volume e2e-db
	run dk run --rm --network none -v e2e-db:/var/lib/db "$BUSYBOX" \
		sh -c 'echo "1|alice" >>/var/lib/db/table && echo "2|bob" >>/var/lib/db/table && sync && wc -l </var/lib/db/table'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(echo "$output" | tr -d ' ')" = 2 ] || fail "$output"
	run dk run --rm --network none -v e2e-db:/var/lib/db:ro "$BUSYBOX" cat /var/lib/db/table
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "1|alice
2|bob" ] || fail "$output"
}

@test "a tmpfs volume (type=tmpfs) works" {
	volume e2e-mem -o type=tmpfs -o device=tmpfs -o o=size=8m
	run dk run --rm --network none -v e2e-mem:/m "$BUSYBOX" sh -c 'echo x >/m/f && cat /m/f'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = x ]
}
