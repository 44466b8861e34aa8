#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Docker named volumes through ocigate (issue 20.1): a volume is whatever
# the local driver mounted at <data-root>/volumes/<name>/_data, so a volume
# made with driver options (type=none,o=bind,device=/etc) is judged as the
# host path it shows, while an ordinary named volume (a plain directory on
# the data root) and a tmpfs volume keep working.  Podman's --rootfs
# (issue 20.7) is judged the same way: not under a denied tree.

load helpers

setup() {
	VOLS=()
	ROOTS=()
}

teardown() {
	local v
	policy_restore
	docker_cleanup
	for v in "${VOLS[@]}"; do
		dk volume rm -f "$v" >/dev/null 2>&1
	done
	podman_cleanup
	for v in "${ROOTS[@]}"; do
		rm -rf "$v"
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

# issue 20.7: the root filesystem is judged like a bind source

# root_copy PARENT: a busybox root filesystem in a new directory under PARENT.
root_copy() {
	local d
	d=$(mktemp -d "$1/ocigate-e2e-rootfs.XXXXXX")
	ROOTS+=("$d")
	tar -C "$d" -xf "$W/images/busybox.tar"
	echo "$d"
}

@test "podman --rootfs under /root is refused; the same tree under the work dir runs" {
	local r
	r=$(root_copy /root)
	run --separate-stderr pm "${PM_RUN[@]}" --rm --network none --rootfs "$r" /bin/sh -c 'ls /'
	assert_refused
	[[ $stderr == *"root filesystem $r exposes the sensitive host tree /root"* ]] || fail "$stderr"
	mkdir -p "$W/roots"
	r=$(root_copy "$W/roots")
	run --separate-stderr pm "${PM_RUN[@]}" --rm --network none --rootfs "$r" /bin/sh -c 'echo hello-rootfs'
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$output" = hello-rootfs ] || fail "$output"
}
