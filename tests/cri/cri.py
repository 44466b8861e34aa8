# SPDX-License-Identifier: Apache-2.0
"""A CRI client that makes pods the way the kubelet does (its volume paths
under the kubelet root, its labels and annotations, its mounts), for the
tests in cri_test.py.  The gRPC modules come from the CRI's own api.proto
(run.sh compiles them into $CRI_PROTO)."""
import os
import secrets
import shutil
import sys
import uuid

sys.path.insert(0, os.environ["CRI_PROTO"])
import grpc  # noqa: E402
import api_pb2 as pb  # noqa: E402
import api_pb2_grpc  # noqa: E402

W = os.environ["CRI_W"]
KUBELET = os.path.join(W, "kubelet")
IMAGE = os.environ["CRI_IMAGE"]
HANDLER = "ocigate"
TIMEOUT = 60

# the kubelet's defaults for masked and read-only paths (pkg/securitycontext)
MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


class Client:
    def __init__(self):
        self.channel = grpc.insecure_channel("unix://" + os.environ["CRI_SOCK"])
        self.rt = api_pb2_grpc.RuntimeServiceStub(self.channel)
        self.img = api_pb2_grpc.ImageServiceStub(self.channel)
        self.pods = []

    def version(self):
        return self.rt.Version(pb.VersionRequest(version="v1"), timeout=TIMEOUT)

    def cleanup(self):
        for p in self.pods:
            p.remove()
        self.pods = []


class Pod:
    """A pod: its kubelet directory, its sandbox, its containers."""

    def __init__(self, client, name, namespace="default", userns=None, handler=HANDLER, annotations=None):
        self.userns = userns  # (host id, length): Kubernetes' hostUsers: false
        self.handler = handler
        self.annotations = annotations or {}
        self.c = client
        self.name, self.namespace = name, namespace
        self.uid = str(uuid.uuid4())
        self.dir = os.path.join(KUBELET, "pods", self.uid)
        self.sandbox_id = None
        self.containers = []
        self.config = None
        os.makedirs(os.path.join(self.dir, "volumes"), mode=0o750)
        client.pods.append(self)

    # -- the kubelet's volumes
    def volume(self, plugin, name, files=None, mode=0o777):
        d = os.path.join(self.dir, "volumes", plugin, name)
        os.makedirs(d)
        os.chmod(d, mode)
        for f, data in (files or {}).items():
            with open(os.path.join(d, f), "w") as fh:
                fh.write(data)
        return d

    def etc_hosts(self):
        p = os.path.join(self.dir, "etc-hosts")
        with open(p, "w") as f:
            f.write("127.0.0.1\tlocalhost\n10.231.0.2\t%s\n" % self.name)
        return p

    def termination_log(self, container):
        d = os.path.join(self.dir, "containers", container)
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, secrets.token_hex(4))
        open(p, "w").close()
        os.chmod(p, 0o666)
        return p

    def ns_options(self):
        o = pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD)
        if self.userns:
            m = [pb.IDMapping(host_id=self.userns[0], container_id=0, length=self.userns[1])]
            o.userns_options.CopyFrom(pb.UserNamespace(mode=pb.POD, uids=m, gids=m))
        return o

    def mount_mappings(self):
        """hostUsers: false: the kubelet asks for every volume idmapped
        through the pod's mapping."""
        if not self.userns:
            return {}
        m = [pb.IDMapping(host_id=self.userns[0], container_id=0, length=self.userns[1])]
        return {"uidMappings": m, "gidMappings": m}

    # -- the CRI calls
    def run(self):
        labels = {"io.kubernetes.pod.name": self.name, "io.kubernetes.pod.namespace": self.namespace,
                  "io.kubernetes.pod.uid": self.uid}
        logdir = os.path.join(W, "logs", "pods", "%s_%s_%s" % (self.namespace, self.name, self.uid))
        os.makedirs(logdir, exist_ok=True)
        self.config = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=self.name, uid=self.uid, namespace=self.namespace, attempt=0),
            hostname=self.name, log_directory=logdir,
            dns_config=pb.DNSConfig(servers=["10.96.0.10"], searches=["%s.svc.cluster.local" % self.namespace,
                                                                      "svc.cluster.local", "cluster.local"],
                                    options=["ndots:5"]),
            labels=labels, annotations=dict({"kubernetes.io/config.source": "api"}, **self.annotations),
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent="%s/pod%s" % (os.environ["CRI_CGROUP_PARENT"], self.uid),
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=self.ns_options(),
                    seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))))
        r = self.c.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=self.config, runtime_handler=self.handler),
                                    timeout=TIMEOUT)
        self.sandbox_id = r.pod_sandbox_id
        return self.sandbox_id

    def create(self, name, mounts, command=("/bin/sleep", "2147483647"), annotations=None):
        """mounts: (container path, host path, read-only) as the kubelet
        lists them (volumes first, then /etc/hosts and the termination log)."""
        cfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=0),
            image=pb.ImageSpec(image=IMAGE), command=list(command),
            envs=[pb.KeyValue(key="KUBERNETES_SERVICE_HOST", value=b"10.96.0.1")],
            mounts=[pb.Mount(container_path=c, host_path=h, readonly=ro, propagation=pb.PROPAGATION_PRIVATE,
                             **self.mount_mappings())
                    for c, h, ro in mounts],
            labels={"io.kubernetes.container.name": name, "io.kubernetes.pod.name": self.name,
                    "io.kubernetes.pod.namespace": self.namespace, "io.kubernetes.pod.uid": self.uid},
            annotations=dict({"io.kubernetes.container.restartCount": "0",
                              "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
                              "io.kubernetes.container.terminationMessagePolicy": "File"}, **(annotations or {})),
            log_path="%s/0.log" % name,
            linux=pb.LinuxContainerConfig(
                resources=pb.LinuxContainerResources(cpu_period=100000, cpu_shares=2, oom_score_adj=1000),
                security_context=pb.LinuxContainerSecurityContext(
                    namespace_options=self.ns_options(),
                    seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault),
                    masked_paths=MASKED, readonly_paths=READONLY)))
        r = self.c.rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=self.sandbox_id, config=cfg,
                                                                sandbox_config=self.config), timeout=TIMEOUT)
        self.containers.append(r.container_id)
        return r.container_id

    def start(self, cid):
        self.c.rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=TIMEOUT)

    def exec(self, cid, cmd):
        r = self.c.rt.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=cmd, timeout=30), timeout=TIMEOUT)
        return r.exit_code, r.stdout.decode(), r.stderr.decode()

    def remove(self):
        if self.sandbox_id:
            for cid in self.containers:
                try:
                    self.c.rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=0), timeout=TIMEOUT)
                    self.c.rt.RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=TIMEOUT)
                except grpc.RpcError:
                    pass
            try:
                self.c.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=self.sandbox_id), timeout=TIMEOUT)
                self.c.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=self.sandbox_id),
                                           timeout=TIMEOUT)
            except grpc.RpcError as e:
                print("# cleanup of pod %s: %s" % (self.name, e.details()), flush=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def kubelet_mounts(pod, container):
    """The volumes of a typical pod, made on disk, as the kubelet mounts them."""
    empty = pod.volume("kubernetes.io~empty-dir", "data")
    secret = pod.volume("kubernetes.io~secret", "creds", {"password": "s3cret"}, 0o755)
    cm = pod.volume("kubernetes.io~configmap", "config", {"app.conf": "level=debug\n"}, 0o755)
    token = pod.volume("kubernetes.io~projected", "kube-api-access-x7k2p",
                       {"token": "eyJhbGciOi.fake.token", "ca.crt": "---", "namespace": pod.namespace}, 0o755)
    return [("/data", empty, False), ("/etc/secret", secret, True), ("/etc/config", cm, True),
            ("/var/run/secrets/kubernetes.io/serviceaccount", token, True),
            ("/etc/hosts", pod.etc_hosts(), False), ("/dev/termination-log", pod.termination_log(container), False)]
