#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the kernel audit records of the given types, as auditd's log lines
("type=NAME msg=audit(...): ..."), from the NETLINK_AUDIT read-only
multicast group (needs CAP_AUDIT_READ; no auditd and no audit rule needed).

usage: audit-listen.py OUT SECONDS TYPE...   ("ready" on stdout once bound)
"""
import os
import select
import socket
import struct
import sys
import time

NETLINK_AUDIT = 9
AUDIT_NLGRP_READLOG = 1
NAMES = {1326: "SECCOMP", 2500: "VIRT_CONTROL"}


def main():
    out, seconds = sys.argv[1], float(sys.argv[2])
    types = {int(t) for t in sys.argv[3:]}
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((0, 1 << (AUDIT_NLGRP_READLOG - 1)))
    print("ready", flush=True)
    end = time.monotonic() + seconds
    with open(out, "a") as f:
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            data = s.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                length, typ = struct.unpack_from("=IH", data, off)
                if length < 16:
                    break
                if typ in types:
                    text = data[off + 16:off + length].rstrip(b"\0").decode("utf-8", "replace")
                    f.write("type=%s msg=%s\n" % (NAMES.get(typ, "UNKNOWN[%d]" % typ), text))
                    f.flush()
                off += (length + 3) & ~3


if __name__ == "__main__":
    main()
