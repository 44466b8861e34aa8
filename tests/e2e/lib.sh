# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# The private engines of the end-to-end suite: one containerd, one dockerd
# (using that containerd) and a Podman configuration, all with their state,
# sockets, logs and runtime state under one work directory $W, all running
# their containers through ocigate with the test policy $W/policy.json.
# Sourced by run.sh and tests/hook/run.sh (which configures only Podman);
# tests/cri/run.sh and tests/current/root.sh take its packages and mirror
# helpers.  Nothing here touches a system-wide engine.
#
#   $W/policy.json                 the test policy (0600), audit log $W/audit.log
#   $W/bin/ocigate-runc            ocigate with its options, for ctr and podman
#   $W/containerd/                 config.toml, root/, state/, containerd.sock, runc/
#   $W/docker/                     data/ (D), exec/ (E), run/docker.sock, daemon.json, cli/
#   $W/podman/                     root/, runroot/, tmp/, runc/, containers.conf, storage.conf
#   $W/logs/                       daemon logs (shown when something fails)
#
# Everything the engines start is found again from $W at teardown: the
# daemons by their pid files, containers by the runc state roots under $W,
# mounts by their mount points under $W.

E2E_START=$SECONDS # the runner's start, for its last line
E2E_CACHE=${E2E_CACHE:-/var/cache/ocigate-e2e}
E2E_PACKAGES=(docker.io containerd runc podman conmon containernetworking-plugins debootstrap
	curl busybox-static jq bats util-linux procps)
RUNC=${RUNC:-/usr/sbin/runc}
DOCKER_CLI=/usr/bin/docker # docker.io's CLI (a newer one may sit earlier on PATH)

# Names of this run (from the work dir's random suffix), so that two runs
# on one host never share a containerd namespace or a cgroup.
# shellcheck disable=SC2034  # exported by run.sh
e2e_init_names() {
	E2E_RUN_ID=${W##*.}
	E2E_NS=ocigate-e2e-$E2E_RUN_ID                     # containerd namespace of the ctr tests
	E2E_MOBY_NS=ocigate-e2e-$E2E_RUN_ID-moby           # containerd namespace of dockerd
	E2E_CGROUP_DOCKER=ocigate-e2e-$E2E_RUN_ID-docker   # cgroup parent of dockerd's containers
	E2E_CGROUP_PODMAN=/ocigate-e2e-$E2E_RUN_ID-podman  # cgroup parent of Podman's containers
}

# (E2E_LOG_TAG: the suite's name in its log lines)
e2e_log() { printf '[%s %(%H:%M:%S)T] %s\n' "${E2E_LOG_TAG:-e2e}" -1 "$*" >&2; }
e2e_die() {
	e2e_log "ERROR: $*"
	exit 1
}

# ---------------------------------------------------------------------------
# packages

# e2e_install: what E2E_PACKAGES lists and the host lacks, with apt-get; its
# output in E2E_APT_LOG (default $W/logs/apt.log), shown when it fails.
e2e_install() {
	local missing=() p created_policy_rc='' log=${E2E_APT_LOG:-$W/logs/apt.log}
	for p in "${E2E_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	e2e_log "installing ${missing[*]}"
	# The packages' maintainer scripts must not start a system-wide
	# dockerd/containerd: policy-rc.d 101 forbids service starts.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		created_policy_rc=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 ||
		{
			[ -n "$created_policy_rc" ] && rm -f /usr/sbin/policy-rc.d
			tail -20 "$log" >&2
			e2e_die "apt-get install failed"
		}
	[ -n "$created_policy_rc" ] && rm -f /usr/sbin/policy-rc.d
	return 0
}

# ---------------------------------------------------------------------------
# root filesystems and image tarballs (cached under $E2E_CACHE)

# busybox-static with every applet as a relative symlink (busybox --install
# would write links to the host path of the binary).
e2e_busybox_tar() {
	local out=$W/images/busybox.tar r=$W/images/busybox-root a
	mkdir -p "$r/bin" "$r/etc" "$r/root"
	for a in proc sys dev run tmp var/tmp; do mkdir -p "$r/$a"; done
	chmod 1777 "$r/tmp" "$r/var/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$r/etc/group"
	tar -C "$r" --numeric-owner -cf "$out" .
	rm -rf "$r"
}

e2e_debian_mirror() {
	local m
	m=$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}

# A minimal Debian bookworm with nginx-light, cached as a tarball.
e2e_nginx_tar() {
	local out=$E2E_CACHE/nginx-bookworm-rootfs.tar r=$W/images/nginx-root
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	mkdir -p "$E2E_CACHE"
	e2e_log "debootstrap bookworm + nginx-light (cached in $out afterwards)"
	debootstrap --variant=minbase --include=nginx-light bookworm "$r" "$(e2e_debian_mirror)" \
		>"$W/logs/debootstrap.log" 2>&1 || {
		tail -20 "$W/logs/debootstrap.log" >&2
		e2e_die "debootstrap failed"
	}
	rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*
	tar -C "$r" --numeric-owner -cf "$out.tmp" . && mv "$out.tmp" "$out"
	rm -rf "$r"
	echo "$out"
}

# ---------------------------------------------------------------------------
# the test policy

# default.json with comments stripped, the audit log moved to $W and the
# private engines' state dirs and sockets treated exactly as the defaults
# treat /var/lib/docker, /run/containerd, /var/lib/containers.
e2e_policy() {
	local src=$1 D=$W/docker/data E=$W/docker/exec
	local PR=$W/podman/root PRR=$W/podman/runroot
	grep -v '^[[:space:]]*//' "$src" |
		jq --arg audit "$W/audit.log" \
			--arg D "$D" --arg E "$E" --arg DRUN "$W/docker/run" --arg DSOCK "$W/docker/run/docker.sock" \
			--arg C "$W/containerd" --arg CSOCK "$W/containerd/containerd.sock" \
			--arg PR "$PR" --arg PRR "$PRR" --arg PT "$W/podman/tmp" \
			--arg hook "$([ -x "$W/bin/ocigate-hook" ] && echo "$W/bin/ocigate-hook")" '
		.audit.log = $audit
		| .mounts.allow_sources += [
			"\($D)/containers/{id}/*", "\($D)/containers/{id}/mounts/*", "\($D)/volumes/*/_data",
			"\($PR)/*-containers/{id}/userdata/*", "\($PRR)/*-containers/{id}/userdata/*",
			"\($PR)/volumes/*/_data" ]
		| .mounts.allow_roots += [
			"\($D)/overlay2/*/merged", "\($D)/vfs/dir/*", "\($D)/rootfs/*/{id}",
			"\($PR)/overlay/*/merged", "\($PR)/vfs/dir/*",
			"\($C)/state/io.containerd.runtime.v2.task/*/{id}/rootfs" ]
		| .mounts.deny_trees += [ $D, $E, $DRUN, $C, $PR, $PRR, $PT ]
		| .mounts.deny_sockets += [ $DSOCK, $CSOCK, "\($CSOCK).ttrpc" ]
		| .hooks.allow |= (. + ["/usr/sbin/dockerd"] | unique)
		| if $hook != "" and .verify then .verify.hook = $hook else . end' >"$W/policy.json"
	chmod 600 "$W/policy.json"
	# a seccomp profile named relative to the policy file lives beside it
	local prof
	prof=$(jq -r '.seccomp.default_profile // empty' "$W/policy.json")
	if [ -n "$prof" ] && [ "${prof#/}" = "$prof" ]; then
		install -m 600 "$(dirname "$src")/$prof" "$W/$prof" || e2e_die "no seccomp profile $prof beside $src"
	fi
	# The wrapper for engines that cannot pass runtime arguments (ctr's
	# --runc-binary, Podman's [engine.runtimes]).  It execs ocigate, so
	# ocigate's self-detection still sees the real runc as its runtime.
	mkdir -p "$W/bin"
	cat >"$W/bin/ocigate-runc" <<EOF
#!/bin/sh
exec $OCIGATE --ocigate-policy=$W/policy.json --ocigate-runtime=$RUNC "\$@"
EOF
	chmod 755 "$W/bin/ocigate-runc"
	"$OCIGATECTL" validate "$W/policy.json" >"$W/logs/validate.log" 2>&1 ||
		{
			cat "$W/logs/validate.log" >&2
			e2e_die "the test policy $W/policy.json does not validate"
		}
}

# ---------------------------------------------------------------------------
# daemons

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
e2e_wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

e2e_start_containerd() {
	local C=$W/containerd
	mkdir -p "$C/root" "$C/state" "$C/runc"
	cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
oom_score = 0
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$C/containerd.sock"

[ttrpc]
  address = "$C/containerd.sock.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""
EOF
	containerd --config "$C/config.toml" >"$W/logs/containerd.log" 2>&1 &
	echo $! >"$C/containerd.pid"
	e2e_wait_for 30 ctr --address "$C/containerd.sock" version ||
		{
			tail -20 "$W/logs/containerd.log" >&2
			e2e_die "containerd did not start"
		}
}

e2e_start_dockerd() {
	local Dk=$W/docker
	mkdir -p "$Dk/data" "$Dk/exec" "$Dk/run" "$Dk/cli"
	echo "{}" >"$Dk/cli/config.json" # the CLI config (Podman reads DOCKER_CONFIG too)
	jq -n --arg ocigate "$OCIGATE" --arg policy "$W/policy.json" --arg runc "$RUNC" \
		--arg parent "$E2E_CGROUP_DOCKER" --arg key "$Dk/key.json" '{
		"iptables": false, "ip-forward": false, "ip-masq": false, "bridge": "none",
		"userland-proxy": false, "storage-driver": "vfs", "live-restore": false,
		"exec-opts": ["native.cgroupdriver=cgroupfs"], "cgroup-parent": $parent,
		"features": {"buildkit": false},
		"deprecated-key-path": $key,
		"runtimes": {"ocigate": {"path": $ocigate,
			"runtimeArgs": ["--ocigate-policy=\($policy)", "--ocigate-runtime=\($runc)"]}},
		"default-runtime": "ocigate"}' >"$Dk/daemon.json"
	dockerd --data-root "$Dk/data" --exec-root "$Dk/exec" -H "unix://$Dk/run/docker.sock" \
		--pidfile "$Dk/dockerd.pid" --config-file "$Dk/daemon.json" \
		--containerd "$W/containerd/containerd.sock" --containerd-namespace "$E2E_MOBY_NS" \
		--containerd-plugins-namespace "$E2E_MOBY_NS-plugins" >"$W/logs/dockerd.log" 2>&1 &
	echo $! >"$Dk/dockerd.launch.pid"
	e2e_wait_for 60 "$DOCKER_CLI" version ||
		{
			tail -30 "$W/logs/dockerd.log" >&2
			e2e_die "dockerd did not start"
		}
}

# e2e_setup_podman RUNTIME [HOOKS_DIR]: a private Podman under $W/podman
# whose runtime "runc" is RUNTIME (ocigate's wrapper; or runc itself, the
# policy then coming only through the hooks in HOOKS_DIR), exported for the
# tests: CONTAINERS_*, and PODMAN_FLAGS as E2E_PODMAN_FLAGS.
e2e_setup_podman() {
	local P=$W/podman runtime=$1 hooks_dir='' nofile nproc
	[ -z "${2:-}" ] || hooks_dir="hooks_dir = [\"$2\"]"
	mkdir -p "$P/root" "$P/runroot" "$P/tmp" "$P/net" "$P/runc"
	nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
	cat >"$P/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$P/runroot"
EOF
	# The runtime is registered under the name "runc": Podman passes --log
	# and --log-format=json only to runtimes whose name it knows, and reads
	# a refusal's message from that log.
	cat >"$P/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
# Rootful Podman raises RLIMIT_NOFILE/NPROC to 1048576/4194304; runc can
# only do that with CAP_SYS_RESOURCE, which a sandboxed test host may lack
# ("error setting rlimit type 7: operation not permitted").  Stay within
# this shell's hard limits (and 32768 processes: conmon's own hard limit
# was seen at 32768 on such a host).
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
$hooks_dir
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
static_dir = "$P/root/libpod"
volume_path = "$P/root/volumes"
lock_type = "file"

[engine.runtimes]
runc = ["$runtime"]

[network]
network_config_dir = "$P/net"
EOF
	: >"$P/registries.conf"
	export CONTAINERS_CONF=$P/containers.conf
	export CONTAINERS_STORAGE_CONF=$P/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$P/registries.conf
	# Podman 5 warns on every call on a cgroup v1 host (this one is hybrid)
	export PODMAN_IGNORE_CGROUPSV1_WARNING=1
	# (runc's state root too: without --root it would be /run/runc)
	PODMAN_FLAGS=(--root "$P/root" --runroot "$P/runroot" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend file --runtime runc --runtime-flag "root=$P/runc")
	export E2E_PODMAN_FLAGS="${PODMAN_FLAGS[*]}"
}

# ---------------------------------------------------------------------------
# images

e2e_load_images() {
	local nginx_tar
	e2e_busybox_tar
	"$DOCKER_CLI" import --change 'CMD ["/bin/sh"]' "$W/images/busybox.tar" ocigate-e2e/busybox >/dev/null
	nginx_tar=$(e2e_nginx_tar)
	"$DOCKER_CLI" import --change 'CMD ["nginx","-g","daemon off;"]' "$nginx_tar" ocigate-e2e/nginx >/dev/null
	# containerd: the same busybox image, through docker save
	"$DOCKER_CLI" save ocigate-e2e/busybox >"$W/images/busybox.docker.tar"
	# (containerd 2's ctr imports through the transfer service, which has no
	# unpack platform for the native snapshotter: --local imports as 1.6 does)
	# The help is read whole: `| grep -q` stops at the match, and under
	# pipefail ctr's SIGPIPE then failed the test (measured: 11 in 100).
	local local_import=()
	[[ $(ctr images import --help 2>&1) == *--local* ]] && local_import=(--local)
	ctr --address "$W/containerd/containerd.sock" -n "$E2E_NS" images import "${local_import[@]}" \
		--snapshotter native --base-name docker.io/ocigate-e2e/busybox "$W/images/busybox.docker.tar" >/dev/null
	e2e_podman_busybox
}

# The busybox image (e2e_busybox_tar) in Podman's store.
e2e_podman_busybox() {
	podman "${PODMAN_FLAGS[@]}" import --change 'CMD ["/bin/sh"]' "$W/images/busybox.tar" \
		localhost/ocigate-e2e/busybox >/dev/null
}

# ---------------------------------------------------------------------------
# teardown: whatever happened before, leave nothing behind

# pids of processes whose command line mentions $W (our daemons, shims,
# conmon), excluding this shell and its ancestors.
e2e_pids_under_w() {
	local p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		case $cmd in
		*"$W/"*) case $cmd in *run.sh* | *bats*) ;; *) echo "$p" ;; esac ;;
		esac
	done
}

e2e_kill_pidfile() {
	local f=$1 pid i
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.2
}

# Kill and delete every container in every runc state root under $W.
e2e_runc_cleanup() {
	local root id
	while IFS= read -r root; do
		for id in $("$RUNC" --root "$root" list -q 2>/dev/null); do
			"$RUNC" --root "$root" kill "$id" KILL >/dev/null 2>&1
			"$RUNC" --root "$root" delete -f "$id" >/dev/null 2>&1
		done
	done < <(find "$W" -xdev -name state.json -path '*/runc*' -printf '%h\n' 2>/dev/null |
		sed 's|/[^/]*$||' | sort -u)
	return 0
}

e2e_umount_all() {
	local m i
	for ((i = 0; i < 5; i++)); do
		mapfile -t mps < <(awk -v w="$W/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
		[ ${#mps[@]} -eq 0 ] && return 0
		for m in "${mps[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	done
}

# Host paths that the engines create outside $W even when told to use
# private state (containerd 1.6 puts shim sockets in /run/containerd/s,
# Podman's image copy keeps a blob-info cache in /var/lib/containers/cache,
# dockerd always makes its plugin dir /run/docker/plugins).
# Recorded before anything starts; what was not there then is removed at
# teardown.
E2E_HOST_PATHS=(/run/containerd/s /run/containerd/fifo /run/containerd /var/lib/containers/cache /var/lib/containers
	/run/runc /run/docker/plugins /run/docker)
e2e_snapshot_host() {
	local p
	E2E_HOST_EXISTED=()
	for p in "${E2E_HOST_PATHS[@]}"; do
		[ -e "$p" ] && E2E_HOST_EXISTED+=("$p")
	done
	E2E_CG_EXISTED=$(e2e_find_cgroups)
}

# cgroup directories of our engines (cgroup v1: one per controller; a
# relative cgroup parent lands below the cgroup of the caller).
e2e_find_cgroups() {
	find /sys/fs/cgroup -maxdepth 6 -type d \( -name "ocigate-e2e-$E2E_RUN_ID*" -o -name libpod_parent \) -prune 2>/dev/null
}

e2e_host_cleanup() {
	local p d
	for d in $(e2e_find_cgroups); do
		printf '%s\n' "${E2E_CG_EXISTED:-}" | grep -qxF "$d" && continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for p in "${E2E_HOST_PATHS[@]}"; do
		printf '%s\n' "${E2E_HOST_EXISTED[@]}" | grep -qxF "$p" && continue
		case $p in
		*/cache) rm -rf "$p" ;;
		*) [ -d "$p" ] && rmdir "$p" 2>/dev/null ;;
		esac
	done
	return 0
}

e2e_teardown() {
	local p
	[ -n "${W:-}" ] && [ -d "$W" ] || return 0
	e2e_log "teardown"
	if [ -S "$W/docker/run/docker.sock" ]; then
		mapfile -t ids < <(timeout 20 "$DOCKER_CLI" ps -aq 2>/dev/null)
		[ ${#ids[@]} -gt 0 ] && timeout 60 "$DOCKER_CLI" rm -f "${ids[@]}" >/dev/null 2>&1
	fi
	if [ -d "$W/podman/root" ] && [ ${#PODMAN_FLAGS[@]} -gt 0 ]; then
		timeout 60 podman "${PODMAN_FLAGS[@]}" rm -af -t 0 >/dev/null 2>&1
	fi
	if [ -S "$W/containerd/containerd.sock" ]; then
		for p in $(timeout 10 ctr --address "$W/containerd/containerd.sock" -n "$E2E_NS" tasks ls -q 2>/dev/null); do
			timeout 10 ctr --address "$W/containerd/containerd.sock" -n "$E2E_NS" tasks kill -s KILL "$p" >/dev/null 2>&1
			timeout 10 ctr --address "$W/containerd/containerd.sock" -n "$E2E_NS" tasks rm -f "$p" >/dev/null 2>&1
		done
		for p in $(timeout 10 ctr --address "$W/containerd/containerd.sock" -n "$E2E_NS" containers ls -q 2>/dev/null); do
			timeout 10 ctr --address "$W/containerd/containerd.sock" -n "$E2E_NS" containers rm "$p" >/dev/null 2>&1
		done
	fi
	e2e_log "teardown: stopping dockerd"
	e2e_kill_pidfile "$W/docker/dockerd.pid"
	e2e_kill_pidfile "$W/docker/dockerd.launch.pid"
	e2e_runc_cleanup
	e2e_log "teardown: stopping containerd"
	e2e_kill_pidfile "$W/containerd/containerd.pid"
	# shims, conmon, anything else still naming $W
	for p in $(e2e_pids_under_w); do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in $(e2e_pids_under_w); do kill -KILL "$p" 2>/dev/null; done
	e2e_runc_cleanup
	# id ranges and staged mounts of containers whose delete never came
	# through ocigate (Podman deletes without its --root runtime flag)
	"$OCIGATECTL" gc >/dev/null 2>&1
	e2e_umount_all
	e2e_host_cleanup
	e2e_log "teardown: removing $W"
	if [ -n "${E2E_KEEP:-}" ]; then
		e2e_log "E2E_KEEP set: leaving $W"
	else
		rm -rf --one-file-system "$W"
	fi
	return 0
}

# After the teardown: nothing of ours may be left (mounts, processes, the
# work dir unless E2E_KEEP, cgroups, host paths we created).
e2e_leak_check() {
	local ok=0 d p
	if grep -qF "$W/" /proc/self/mountinfo; then
		e2e_log "leak: mounts under $W:"
		grep -F "$W/" /proc/self/mountinfo >&2
		ok=1
	fi
	p=$(e2e_pids_under_w)
	if [ -n "$p" ]; then
		e2e_log "leak: processes naming $W: $p"
		ok=1
	fi
	if [ -z "${E2E_KEEP:-}" ] && [ -e "$W" ]; then
		e2e_log "leak: $W still exists"
		ok=1
	fi
	for d in $(e2e_find_cgroups); do
		printf '%s\n' "${E2E_CG_EXISTED:-}" | grep -qxF "$d" && continue
		e2e_log "leak: cgroup $d"
		ok=1
	done
	# (a host path still there is not empty: another engine on this host
	# is using it, so it is only mentioned)
	for p in "${E2E_HOST_PATHS[@]}"; do
		printf '%s\n' "${E2E_HOST_EXISTED[@]}" | grep -qxF "$p" && continue
		[ -e "$p" ] && e2e_log "note: $p is in use by another engine, left in place"
	done
	return $ok
}

# ---------------------------------------------------------------------------
# the runner (run.sh, tests/hook/run.sh): work dir, exit trap, bats

# e2e_workdir NAME: a fresh work dir $W, /tmp/NAME.XXXXXX (0700) with logs/,
# images/ and bin/; this run's names; the host as it was before anything
# starts (what the teardown may remove).
e2e_workdir() {
	W=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	chmod 700 "$W"
	mkdir -p "$W/logs" "$W/images" "$W/bin"
	e2e_init_names
	PODMAN_FLAGS=()
	e2e_snapshot_host
}

# e2e_traps [CHECK]: however the runner ends (normally, e2e_die, a signal),
# bats is stopped and the engines torn down (e2e_on_exit); CHECK, a
# function of the runner, is called first with the exit status, and its
# failure fails the run.
# shellcheck disable=SC2120  # CHECK is optional
e2e_traps() {
	E2E_EXIT_CHECK=${1:-}
	trap e2e_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# The exit trap: stops bats, runs the runner's check, tears down, and fails
# the run if the teardown left anything.
e2e_on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "${BATS_PGID:-}" ]; then
		e2e_log "interrupted: stopping bats"
		kill -TERM -- "-$BATS_PGID" 2>/dev/null
		sleep 1
		kill -KILL -- "-$BATS_PGID" 2>/dev/null
	fi
	if [ -n "${E2E_EXIT_CHECK:-}" ] && ! "$E2E_EXIT_CHECK" "$rc"; then
		[ "$rc" = 0 ] && rc=1
	fi
	e2e_teardown
	if ! e2e_leak_check; then
		e2e_log "ERROR: the teardown left something behind (see above)"
		[ "$rc" = 0 ] && rc=1
	fi
	e2e_log "done in $((SECONDS - E2E_START)) s (exit $rc)"
	exit "$rc"
}

# e2e_run_bats FILE...: bats over the FILEs, its TAP also in
# $W/logs/bats.tap; returns bats' exit status.  bats runs as a background
# job in its own process group, so that a signal to the runner ends it at
# once (a trap waits for a foreground command) and e2e_on_exit can stop the
# whole group.
e2e_run_bats() {
	local rc
	set -m
	# shellcheck disable=SC2086  # BATS_FLAGS is a list of flags
	(bats --timing ${BATS_FLAGS:-} "$@" </dev/null | tee "$W/logs/bats.tap") &
	BATS_PGID=$!
	set +m
	wait "$BATS_PGID"
	rc=$?
	BATS_PGID=
	return "$rc"
}
