#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An OCI image archive of busybox-static whose default command sleeps
forever: the pods' pause image and their containers' image at once.

    image.py BUSYBOX OUT.tar NAME

Deterministic (mtime 0, sorted), so the archive's cache key is the
busybox binary's digest.  The index carries io.containerd.image.name, the
name `ctr images import` gives the image."""
import hashlib
import io
import json
import subprocess
import sys
import tarfile


def layer(busybox):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        def add(name, kind, data=b"", mode=0o755, target=""):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime, ti.linkname = kind, mode, 0, target
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        for d in ["bin", "etc", "root", "proc", "sys", "dev", "run", "tmp", "var", "var/tmp"]:
            add(d, tarfile.DIRTYPE, mode=0o1777 if d.endswith("tmp") else 0o755)
        with open(busybox, "rb") as f:
            add("bin/busybox", tarfile.REGTYPE, f.read())
        applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
        for a in sorted(set(applets) - {"busybox"}):
            add("bin/" + a, tarfile.SYMTYPE, target="busybox")
        add("etc/passwd", tarfile.REGTYPE, b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n", 0o644)
        add("etc/group", tarfile.REGTYPE, b"root:x:0:\nnobody:x:65534:\n", 0o644)
    return buf.getvalue()


def main():
    busybox, out, name = sys.argv[1:4]
    blobs = {}

    def blob(data, media):
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return {"mediaType": media, "digest": d, "size": len(data)}

    lay = layer(busybox)
    diff = "sha256:" + hashlib.sha256(lay).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sleep", "2147483647"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(config, "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(lay, "application/vnd.oci.image.layer.v1.tar")],
    }, sort_keys=True).encode()
    desc = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
    desc["annotations"] = {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}
    desc["platform"] = {"architecture": "amd64", "os": "linux"}
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [desc]}, sort_keys=True).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        def add(n, data):
            ti = tarfile.TarInfo(n)
            ti.size, ti.mtime, ti.mode = len(data), 0, 0o644
            t.addfile(ti, io.BytesIO(data))

        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for d, data in sorted(blobs.items()):
            add("blobs/sha256/" + d.split(":")[1], data)


if __name__ == "__main__":
    main()
