#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Pods through containerd's CRI with ocigate as the RuntimeClass handler
(run by run.sh, which starts containerd and sets CRI_*).  TAP output."""
import glob
import hashlib
import json
import os
import subprocess
import sys
import re
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cri  # noqa: E402
import grpc  # noqa: E402

W = cri.W
VERSION = os.environ["CRI_VERSION"]
ENTER = os.environ.get("CRI_ENTER", "").split()
SOCK = os.environ["CRI_SOCK"]
CAP_SYS_ADMIN, CAP_NET_RAW, CAP_MKNOD = 21, 13, 27
SUBNET, BRIDGE = os.environ["CRI_SUBNET"], os.environ["CRI_BRIDGE"]

client = cri.Client()


def probe(pod, cid):
    rc, out, err = pod.exec(cid, ["sh", "-c", "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; "
                                  "echo uid_map $(cat /proc/self/uid_map); "
                                  "touch /probe 2>&1 | sed 's/^/rootfs /'; "
                                  "cat /etc/secret/password; echo; cat /etc/config/app.conf; "
                                  "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; "
                                  "echo written-by-$HOSTNAME > /data/from-$HOSTNAME && echo data ok"])
    assert rc == 0, "probe exit %d: %s %s" % (rc, out, err)
    return out


def fields(out):
    f = {}
    for line in out.splitlines():
        k, _, v = line.partition(":") if ":" in line.split(" ")[0] else line.partition(" ")
        f.setdefault(k.strip(), v.strip())
    return f


def expect_refused(fn, *words):
    try:
        fn()
    except grpc.RpcError as e:
        msg = e.details()
        print("# CRI error: %s" % msg[:600])
        assert "ocigate: refused by policy" in msg, msg
        for w in words:
            assert w in msg, "%r not in %r" % (w, msg)
        return msg
    raise AssertionError("not refused")


def audit_of(cid):
    audit = [json.loads(line) for line in open(os.path.join(W, "audit.log"))]
    return [a for a in audit if a.get("container") == cid or a.get("id") == cid]


def containerd_pid():
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.path.basename(os.readlink("/proc/%s/exe" % pid)) == "containerd" \
                    and W in open("/proc/%s/cmdline" % pid).read():
                return pid
        except OSError:
            pass
    raise AssertionError("no containerd for %s" % W)


def in_containerds_mounts(cmd):
    """cmd in containerd's mount namespace (for 2.1, the forky root's), where
    its network namespace files are."""
    return subprocess.run(["nsenter", "-t", containerd_pid(), "-m", "--"] + cmd, capture_output=True, text=True)


def bridge_ports():
    r = subprocess.run(["ip", "-o", "link", "show", "master", BRIDGE], capture_output=True, text=True)
    return [l for l in r.stdout.splitlines() if l.strip()]


_policy = json.load(open(os.path.join(W, "policy.json")))
POOL_START, RANGE_SIZE = _policy["user_namespace"]["pool_start"], _policy["user_namespace"]["range_size"]

# ---------------------------------------------------------------------------

state = {}


def test_pod_with_kubelet_volumes_starts_enforced():
    pod = cri.Pod(client, "web")
    pod.run()
    cid = pod.create("app", cri.kubelet_mounts(pod, "app"))
    pod.start(cid)
    out = probe(pod, cid)
    print("# " + out.replace("\n", "\n# "))
    f = fields(out)
    cap = int(f["CapEff"], 16)
    assert cap and not cap & (1 << CAP_SYS_ADMIN | 1 << CAP_NET_RAW | 1 << CAP_MKNOD), f["CapEff"]
    assert f["NoNewPrivs"] == "1", f
    assert "Read-only file system" in out, "the root filesystem is writable"
    # the pod's user namespace: the sandbox's range from the policy pool,
    # shared by the app container (it joins the sandbox's network namespace)
    first, host, size = (int(x) for x in f["uid_map"].split())
    assert first == 0 and host >= POOL_START and size == RANGE_SIZE, f["uid_map"]
    text = json.dumps(audit_of(cid))
    assert "NO USER NAMESPACE" not in text, text[:2000]
    assert "joins the network namespace of its pod's sandbox %s" % pod.sandbox_id in text, text[:2000]
    sandbox = json.dumps(audit_of(pod.sandbox_id))
    assert "the pod's interfaces moved from" in sandbox and "own user namespace" in sandbox, sandbox[:2000]
    assert "s3cret" in out and "level=debug" in out and "\ndefault\n" in out and "data ok" in out, out
    assert os.path.exists(os.path.join(pod.dir, "volumes/kubernetes.io~empty-dir/data/from-web"))
    state.update(pod=pod, cid=cid, uid_map=f["uid_map"])


def test_the_pods_network_works_from_its_user_namespace():
    """CNI's interface moved into the pod's network namespace (owned by the
    pod's user namespace) with its address and routes: the pod answers on
    its IP from the host, sees its own interface in sysfs, and containerd's
    path to the pod's network namespace (what CNI's DEL and port-forward
    enter) now holds it."""
    pod, cid = state["pod"], state["cid"]
    rc, out, err = pod.exec(cid, ["sh", "-c", "ip -4 -o addr show eth0; ip route; ls /sys/class/net; "
                                  "httpd -p 8080 -h /etc && echo httpd up"])
    print("# " + out.replace("\n", "\n# "))
    assert rc == 0 and "httpd up" in out, (out, err)
    ip = re.search(r"inet (10\.231\.%s\.\d+)/24" % SUBNET, out)
    assert ip, out
    assert "default via 10.231.%s.1 dev eth0" % SUBNET in out, out
    assert "eth0" in out.split("default via")[1] and "lo" in out, out
    body = urllib.request.urlopen("http://%s:8080/hostname" % ip.group(1), timeout=10).read().decode()
    assert body.strip() == pod.name, body
    cni = [n["path"] for n in json.load(open(os.path.join(W, "logs/config.%s.json" % pod.sandbox_id)))
           ["linux"]["namespaces"] if n["type"] == "network"][0]
    r = in_containerds_mounts(["nsenter", "--net=" + cni, "ip", "-4", "-o", "addr", "show", "eth0"])
    print("# in containerd's %s: %s" % (cni, r.stdout.strip() or r.stderr.strip()))
    assert ip.group(1) + "/24" in r.stdout, r.stdout + r.stderr
    state["ip"] = ip.group(1)


def test_second_container_shares_the_pods_emptydir_and_shm():
    pod = state["pod"]
    empty = os.path.join(pod.dir, "volumes/kubernetes.io~empty-dir/data")
    mounts = [("/data", empty, False), ("/etc/hosts", os.path.join(pod.dir, "etc-hosts"), False),
              ("/dev/termination-log", pod.termination_log("sidecar"), False)]
    cid = pod.create("sidecar", mounts)
    pod.start(cid)
    rc, out, err = pod.exec(cid, ["sh", "-c", "cat /data/from-web; echo shm > /dev/shm/x"])
    assert rc == 0 and out.strip() == "written-by-web", (out, err)
    rc, out, err = pod.exec(state["cid"], ["cat", "/dev/shm/x"])
    assert rc == 0 and out.strip() == "shm", (out, err)
    rc, out, err = pod.exec(cid, ["cat", "/proc/self/uid_map"])
    assert rc == 0 and " ".join(out.split()) == state["uid_map"], (out, state["uid_map"])


def test_another_pods_volume_is_refused():
    victim = state["pod"]
    pod = cri.Pod(client, "intruder")
    pod.run()
    theirs = os.path.join(victim.dir, "volumes/kubernetes.io~empty-dir/data")
    cid = pod.create("app", [("/steal", theirs, False), ("/etc/hosts", pod.etc_hosts(), False)])
    expect_refused(lambda: pod.start(cid), "mounts", theirs)
    state["intruder"] = pod


def test_another_sandboxs_files_are_refused():
    victim, pod = state["pod"], state["intruder"]
    theirs = glob.glob(os.path.join(W, "root/io.containerd.grpc.v1.cri/sandboxes", victim.sandbox_id, "resolv.conf"))
    assert theirs, "no resolv.conf of sandbox %s" % victim.sandbox_id
    cid = pod.create("app2", [("/etc/their-resolv.conf", theirs[0], True)])
    expect_refused(lambda: pod.start(cid), "mounts", theirs[0])
    shm = os.path.join(W, "state/io.containerd.grpc.v1.cri/sandboxes", victim.sandbox_id, "shm")
    cid = pod.create("app3", [("/their-shm", shm, False)])
    expect_refused(lambda: pod.start(cid), "mounts", shm)


def test_a_pods_own_annotations_cannot_forge_the_cris():
    """With every pod and container annotation passed through to the OCI
    config (a handler with pod_annotations = ["*"]), a pod that names the
    victim in io.kubernetes.cri.* still gets its own uid and sandbox id:
    the CRI sets its keys last."""
    victim = state["pod"]
    forged = {"io.kubernetes.cri.sandbox-uid": victim.uid, "io.kubernetes.cri.sandbox-id": victim.sandbox_id,
              "io.kubernetes.cri.container-type": "container", "ocigate.test.passed": "through"}
    pod = cri.Pod(client, "forger", handler="ocigate-passthrough", annotations=forged)
    pod.run()
    theirs = os.path.join(victim.dir, "volumes/kubernetes.io~empty-dir/data")
    cid = pod.create("app", [("/steal", theirs, False)], annotations=forged)
    expect_refused(lambda: pod.start(cid), "mounts", theirs)
    for c in (pod.sandbox_id, cid):
        ann = json.load(open(os.path.join(W, "logs/config.%s.json" % c)))["annotations"]
        assert ann.get("ocigate.test.passed") == "through", "no pass-through: %s" % ann
        assert ann["io.kubernetes.cri.sandbox-uid"] == pod.uid, ann
        assert ann["io.kubernetes.cri.sandbox-id"] == pod.sandbox_id, ann


def ctr(*args):
    return subprocess.run(ENTER + ["ctr", "-a", SOCK] + list(args), capture_output=True, text=True)


def test_cri_annotations_through_ctr_loosen_nothing():
    """The CRI's annotation keys, set with ctr in another containerd
    namespace (even with the CRI's --runc-root), name the victim pod: the
    bind of its volume is refused all the same."""
    victim = state["pod"]
    ns = "ocigate-cri-other"
    r = ctr("-n", ns, "images", "import", *(["--local"] if ENTER else []), "--snapshotter", "native",
            os.path.join(W, "image.tar"))
    assert r.returncode == 0, r.stderr
    theirs = os.path.join(victim.dir, "volumes/kubernetes.io~empty-dir/data")
    for i, extra in enumerate([[], ["--runc-root", "/run/containerd/runc/k8s.io"]]):
        cid = "ctr-intruder-%d" % i
        r = ctr("-n", ns, "run", "--rm", "--snapshotter", "native", "--runc-binary", os.path.join(W, "bin/ocigate"),
                *extra,
                "--annotation", "io.kubernetes.cri.container-type=container",
                "--annotation", "io.kubernetes.cri.sandbox-id=" + victim.sandbox_id,
                "--annotation", "io.kubernetes.cri.sandbox-uid=" + victim.uid,
                "--annotation", "io.kubernetes.cri.sandbox-name=" + victim.name,
                "--annotation", "io.kubernetes.cri.sandbox-namespace=default",
                "--mount", "type=bind,src=%s,dst=/steal,options=rbind:rw" % theirs,
                cri.IMAGE, cid, "sh", "-c", "ls /steal")
        print("# ctr %s: exit %d: %s" % (" ".join(extra), r.returncode, (r.stderr or r.stdout).strip()[:400]))
        assert r.returncode != 0, "ctr's container with the CRI annotations bound the pod's volume: " + r.stdout
        assert "ocigate: refused by policy" in r.stderr and theirs in r.stderr, r.stderr
        ctr("-n", ns, "containers", "rm", cid)
    ctr("-n", ns, "images", "rm", cri.IMAGE)


def podman(*args):
    # Podman refuses a runroot longer than 50 characters: W is up to 38 in a
    # checkout at /work/wt/NAME, so the shortest name under it
    base = ["podman", "--root", W + "/podman/root", "--runroot", W + "/pr", "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", os.path.join(W, "bin/ocigate"),
            "--runtime-flag", "root=" + W + "/podman/runc"]
    env = dict(os.environ, PODMAN_IGNORE_CGROUPSV1_WARNING="1", TMPDIR=W + "/podman/tmp")
    os.makedirs(W + "/podman/tmp", exist_ok=True)
    return subprocess.run(ENTER + ["env", "PODMAN_IGNORE_CGROUPSV1_WARNING=1", "TMPDIR=" + W + "/podman/tmp"] + base
                          + list(args), capture_output=True, text=True, env=env)


def test_cri_annotations_through_podman_loosen_nothing():
    """The same with `podman run --annotation` (Podman's own bundle and
    runtime root are no CRI's)."""
    victim = state["pod"]
    r = podman("load", "-i", os.path.join(W, "image.tar"))
    assert r.returncode == 0, r.stderr
    theirs = os.path.join(victim.dir, "volumes/kubernetes.io~empty-dir/data")
    r = podman("run", "--rm", "--network", "none",
               "--annotation", "io.kubernetes.cri.container-type=container",
               "--annotation", "io.kubernetes.cri.sandbox-id=" + victim.sandbox_id,
               "--annotation", "io.kubernetes.cri.sandbox-uid=" + victim.uid,
               "-v", theirs + ":/steal", cri.IMAGE, "ls", "/steal")
    print("# podman: exit %d: %s" % (r.returncode, (r.stderr or r.stdout).strip()[:400]))
    assert r.returncode != 0, "podman's container with the CRI annotations bound the pod's volume: " + r.stdout
    assert "ocigate: refused by policy" in r.stderr and theirs in r.stderr, r.stderr
    podman("rm", "-a", "-f")
    podman("rmi", "-a", "-f")


def test_the_shim_argv_is_what_the_facts_expect():
    """What containerd's runc shim passes (the facts rest on it)."""
    sid = state["pod"].sandbox_id
    lines = [l for l in open(os.path.join(W, "logs/argv.log")) if " create " in l and l.rstrip().endswith(sid)]
    assert lines, "no create of the sandbox in the argv log"
    cwd, argv = lines[0].rstrip("\n").split("\t")
    bundle = os.path.join(W, "state/io.containerd.runtime.v2.task/k8s.io", sid)
    print("# cwd %s\n# argv %s" % (cwd, argv))
    assert cwd == bundle
    assert argv == ("--root /run/containerd/runc/k8s.io --log {b}/log.json --log-format json create --bundle {b} "
                    "--pid-file {b}/init.pid {id}".format(b=bundle, id=sid)), argv
    # an app container: the pod's one shim runs in the sandbox's bundle
    # directory, the container's own bundle is --bundle (what ocigate reads)
    cid = state["cid"]
    lines = [l for l in open(os.path.join(W, "logs/argv.log")) if " create " in l and l.rstrip().endswith(cid)]
    cwd, argv = lines[0].rstrip("\n").split("\t")
    own = os.path.join(W, "state/io.containerd.runtime.v2.task/k8s.io", cid)
    print("# app container: cwd %s\n# argv %s" % (cwd, argv))
    assert cwd == bundle, cwd
    assert argv == ("--root /run/containerd/runc/k8s.io --log {b}/log.json --log-format json create --bundle {b} "
                    "--pid-file {b}/init.pid {id}".format(b=own, id=cid)), argv
    for c, kind in ((sid, "sandbox"), (cid, "container")):
        ann = json.load(open(os.path.join(W, "logs/config.%s.json" % c)))["annotations"]
        print("# %s annotations: %s" % (kind, ", ".join(sorted(k for k in ann if k.startswith("io.kubernetes.cri")))))
        assert ann["io.kubernetes.cri.container-type"] == kind
        assert ann["io.kubernetes.cri.sandbox-id"] == sid and ann["io.kubernetes.cri.sandbox-uid"] == state["pod"].uid


class policy_changed:
    """The test policy with `change` applied to its JSON, for a block."""

    def __init__(self, change):
        self.path = os.path.join(W, "policy.json")
        self.change = change

    def write(self, text):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.path)

    def __enter__(self):
        self.saved = open(self.path).read()
        p = json.loads(self.saved)
        self.change(p)
        self.write(json.dumps(p))

    def __exit__(self, *exc):
        self.write(self.saved)


def test_without_the_cri_facts_the_shipped_policy_refuses_the_pod():
    """What the profile refused before: the sandbox's own /dev/shm (under
    the CRI's state dir, in /run/containerd) and its resolv.conf."""
    with policy_changed(lambda p: p.pop("cri")):
        pod = cri.Pod(client, "before")
        msg = expect_refused(pod.run, "mounts", "/io.containerd.grpc.v1.cri/sandboxes/")
        assert "/shm exposes the sensitive host tree" in msg, msg


def test_user_namespace_required_maps_the_pod():
    """user_namespace.mode "required": the pod runs mapped (no fallback was
    needed), a second pod gets a range of its own."""
    def required(p):
        p["user_namespace"]["mode"] = "required"
    with policy_changed(required):
        pod = cri.Pod(client, "mapped")
        pod.run()
        cid = pod.create("app", [])
        pod.start(cid)
        rc, out, err = pod.exec(cid, ["cat", "/proc/self/uid_map"])
    assert rc == 0, (out, err)
    mine, theirs = " ".join(out.split()), state["uid_map"]
    print("# uid_map %s (the first pod: %s)" % (mine, theirs))
    assert mine.split()[1] != theirs.split()[1] and mine.split()[2] == str(RANGE_SIZE), (mine, theirs)


def test_a_pod_whose_sandbox_has_no_user_namespace():
    """A sandbox that ran without one (here: a policy with user namespaces
    off when it started) leaves its containers on CNI's network namespace:
    "required" refuses them, naming why; "if-possible" runs them
    unmapped, loudly."""
    def off(p):
        p["user_namespace"]["mode"] = "off"
    with policy_changed(off):
        pod = cri.Pod(client, "unmapped")
        pod.run()
    def required(p):
        p["user_namespace"]["mode"] = "required"
    with policy_changed(required):
        cid = pod.create("app", [])
        expect_refused(lambda: pod.start(cid), "user_namespace",
                       "belongs to the host's user namespace (its sandbox %s runs without" % pod.sandbox_id)
    cid = pod.create("app2", [])
    pod.start(cid)
    rc, out, err = pod.exec(cid, ["cat", "/proc/self/uid_map"])
    assert rc == 0 and out.split() == ["0", "0", "4294967295"], (out, err)
    assert "NO USER NAMESPACE" in json.dumps(audit_of(cid))


def test_removing_a_pod_takes_its_network_and_range_away():
    """StopPodSandbox / RemovePodSandbox as the kubelet calls them: the
    host side of the pod's interface goes, containerd removes its network
    namespace path without error, and ocigate keeps no staging of it."""
    pod = cri.Pod(client, "short-lived")
    pod.run()
    cid = pod.create("app", [])
    pod.start(cid)
    before = bridge_ports()
    cni = [n["path"] for n in json.load(open(os.path.join(W, "logs/config.%s.json" % pod.sandbox_id)))
           ["linux"]["namespaces"] if n["type"] == "network"][0]
    assert in_containerds_mounts(["test", "-e", cni]).returncode == 0, cni
    pod.remove()
    after = bridge_ports()
    print("# bridge ports before %d, after %d" % (len(before), len(after)))
    assert len(after) == len(before) - 1, (before, after)
    assert in_containerds_mounts(["test", "-e", cni]).returncode != 0, "%s is still there" % cni
    # the sandbox's record and stage dir, under ocigate's default state dir
    # (the build's runstatedir; in the forky root for 2.1)
    key = hashlib.sha256(b"/run/containerd/runc/k8s.io\0" + pod.sandbox_id.encode()).hexdigest()[:32]
    left = ["%s/%s/%s" % (d, kind, key) for d in ("/run/ocigate", "/var/run/ocigate", "/usr/local/var/run/ocigate")
            for kind in ("stage", "userns")]
    r = in_containerds_mounts(["sh", "-c", "ls -d /run/ocigate/stage /usr/local/var/run/ocigate/stage; ls -d %s"
                               % " ".join(left)])
    print("# staging: %r" % r.stdout)
    assert "ocigate/stage\n" in r.stdout and key not in r.stdout, r.stdout


def test_kubernetes_user_namespaces_run_with_the_kubelets_range():
    """hostUsers: false (CRI userns_options): containerd 2.1 pins the pod's
    user namespace with the kubelet's mapping at <state>/io.containerd.grpc.v1.cri/
    sandboxes/<id>/pinned-namespaces/user, makes the pod's network namespace
    in it, and the sandbox joins it; ocigate keeps it once the mapping, read
    inside the namespace, is the config's, not below 65536 and outside its
    pool; everything else is enforced as usual."""
    if VERSION == "1.6":
        print("# skip: containerd 1.6's CRI has no user namespaces")
        return
    pod = cri.Pod(client, "host-users-false", userns=(2147483648, 65536))
    pod.run()
    cid = pod.create("app", cri.kubelet_mounts(pod, "app"))
    pod.start(cid)
    out = probe(pod, cid)
    print("# " + out.replace("\n", "\n# "))
    f = fields(out)
    assert f["uid_map"] == "0 2147483648 65536", f["uid_map"]
    assert f["NoNewPrivs"] == "1" and not int(f["CapEff"], 16) & (1 << CAP_SYS_ADMIN), f
    assert "Read-only file system" in out and "data ok" in out and "s3cret" in out, out
    for c in (pod.sandbox_id, cid):
        text = json.dumps(audit_of(c))
        assert "the CRI's user namespace (Kubernetes hostUsers: false): host ids 2147483648-2147549183" in text, text[:2000]


def test_kubernetes_user_namespaces_on_host_ids_or_the_pool_are_refused():
    """A kubelet range that overlaps ocigate's pool (another container's ids)
    or starts below 65536 (host root, the host's users) is refused, saying
    which."""
    if VERSION == "1.6":
        print("# skip: containerd 1.6's CRI has no user namespaces")
        return
    pod = cri.Pod(client, "in-the-pool", userns=(POOL_START + RANGE_SIZE, 65536))
    expect_refused(pod.run, "user_namespace", "overlap ocigate's pool", "give the kubelet and ocigate disjoint ranges")
    pod = cri.Pod(client, "host-ids", userns=(1000, 65536))
    expect_refused(pod.run, "user_namespace", "host ids below 65536 are host root's and the host's own users")


def test_a_pod_in_a_selected_namespace_gets_the_stricter_profile():
    """ocigate-policy(5) PROFILES: the CRI's sandbox-namespace, believed on
    a CRI call only, selects the profile; a pod in another namespace gets
    the base (the ctr and podman tests above show those annotations from
    elsewhere are nobody's fact)."""
    def profiles(p):
        p["profiles"] = {"payments": {"select": {"engine": "cri", "pod_namespace": ["payments", "prod-*"]},
                                      "policy": {"version": 1, "resources": {"pids": {"default": 64, "max": 64}}}}}
    task_dir = json.loads(open(os.path.join(W, "policy.json")).read())["cri"]["task_dir"]
    with policy_changed(profiles):
        got = {}
        for ns in ("payments", "default"):
            pod = cri.Pod(client, "prof-" + ns, namespace=ns)
            pod.run()
            cid = pod.create("app", [])
            pod.start(cid)
            rc, out, err = pod.exec(cid, ["sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || "
                                          "cat /sys/fs/cgroup/pids.max"])
            config = json.load(open(os.path.join(task_dir, cid, "config.json")))
            audit = [json.loads(line) for line in open(os.path.join(W, "audit.log"))]
            rec = [a for a in audit if a.get("id") == cid and a.get("event") == "create"]
            got[ns] = (out.strip(), config["linux"]["resources"]["pids"]["limit"], rec[-1].get("profile"))
            print("# %s: pids.max inside %r, config %r, audit profile %r" % ((ns,) + got[ns]))
    assert got["payments"] == ("64", 64, "payments"), got
    assert got["default"] == ("1024", 1024, None), got


def main():
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_")]
    filt = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "-k" else None
    if filt:
        tests = [(n, f) for n, f in tests if filt in n]
    print("1..%d" % len(tests))
    failed = 0
    try:
        v = client.version()
        print("# CRI %s %s, containerd %s" % (v.runtime_name, v.runtime_api_version, v.runtime_version))
        for i, (n, f) in enumerate(tests, 1):
            try:
                f()
                print("ok %d containerd %s: %s" % (i, VERSION, n))
            except Exception:
                failed += 1
                print("not ok %d containerd %s: %s" % (i, VERSION, n))
                print("# " + traceback.format_exc().replace("\n", "\n# "))
            sys.stdout.flush()
    finally:
        client.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
