#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""No call or include cycle between files, and calls only down the layers.

    tests/cycles.py SRCDIR BUILDDIR        (make check-cycles)

Calls: for every object the build made of lib/, policy/, runtime/ (and
hooks/ when it exists), `nm` gives the symbols it defines and the ones it
needs; a needed symbol defined by another object is an edge between the two
source files.  Includes: the `#include "..."` lines of the sources and
headers, resolved as the compiler does (the file's own directory, then
include/).  A strongly connected component of more than one file is a
cycle: it is printed with the edges inside it (and the symbols or headers
that make them).  Layering: lib/ calls (or includes) nothing in policy/ or
runtime/, and policy/ nothing in runtime/ (a library that calls its users
is not one); include/ocigate/ is the contract every layer may include.
Exit 1 on any cycle or layering violation.
"""
import os
import re
import subprocess
import sys

DIRS = ("lib", "policy", "runtime", "hooks")
# a file may call into its own layer and the ones before it
LAYER = {"lib": 0, "policy": 1, "hooks": 2, "runtime": 2}


def objects(srcdir, builddir):
    """{source path: object path} for each object of a source in DIRS."""
    found = {}
    for d in DIRS:
        bdir = os.path.join(builddir, d)
        if not os.path.isdir(bdir):
            continue
        for name in sorted(os.listdir(bdir)):
            if not name.endswith(".o"):
                continue
            src = os.path.join(d, name[:-2] + ".c")
            # per-target copies (tests_unit_test_cli-cli.o) are the same source
            # built again: the plain object stands for it
            if os.path.exists(os.path.join(srcdir, src)):
                found[src] = os.path.join(bdir, name)
    return found


def nm(path, *flags):
    out = subprocess.run(["nm", *flags, path], check=True, capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def call_graph(objs):
    defined = {}
    for src, obj in objs.items():
        for sym in nm(obj, "-g", "--defined-only"):
            defined.setdefault(sym, set()).add(src)
    edges = {}
    for src, obj in objs.items():
        for sym in nm(obj, "-u"):
            for dst in defined.get(sym, ()):
                if dst != src:
                    edges.setdefault((src, dst), set()).add(sym)
    return edges


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def include_graph(srcdir):
    files = []
    for d in DIRS + ("include",):
        for root, _, names in os.walk(os.path.join(srcdir, d)):
            files += [os.path.relpath(os.path.join(root, n), srcdir) for n in names if n.endswith((".c", ".h"))]
    edges = {}
    for f in sorted(files):
        with open(os.path.join(srcdir, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            for base in (os.path.dirname(f), "include"):
                cand = os.path.normpath(os.path.join(base, inc))
                if os.path.exists(os.path.join(srcdir, cand)):
                    if cand != f:
                        edges.setdefault((f, cand), set()).add(inc)
                    break
    return edges


def components(edges):
    """Tarjan's strongly connected components of more than one node."""
    succ = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        succ.setdefault(b, [])
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        # iterative: a deep include chain must not hit Python's recursion limit
        work = [(v, iter(sorted(succ[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif nxt not in index:
                index[nxt] = low[nxt] = counter[0]
                counter[0] += 1
                stack.append(nxt)
                on.add(nxt)
                work.append((nxt, iter(sorted(succ[nxt]))))
            elif nxt in on:
                low[node] = min(low[node], index[nxt])

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return sorted(out)


def report_cycles(kind, edges):
    comps = components(edges)
    for n, comp in enumerate(comps, 1):
        members = set(comp)
        print(f"{kind} cycle {n}: {len(comp)} files: {' '.join(comp)}")
        for (a, b), why in sorted(edges.items()):
            if a in members and b in members:
                print(f"    {a} -> {b}  ({', '.join(sorted(why))})")
    return len(comps)


def layer(path):
    return LAYER.get(path.split("/", 1)[0])


def report_layering(edges, verb):
    bad = 0
    for (a, b), why in sorted(edges.items()):
        la, lb = layer(a), layer(b)
        if la is not None and lb is not None and lb > la:
            print(f"layering: {a} {verb} {b} of a layer above it  ({', '.join(sorted(why))})")
            bad += 1
    return bad


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: cycles.py SRCDIR BUILDDIR")
    srcdir, builddir = sys.argv[1], sys.argv[2]
    objs = objects(srcdir, builddir)
    if not objs:
        sys.exit(f"cycles.py: no objects under {builddir}: build first")
    calls = call_graph(objs)
    includes = include_graph(srcdir)
    problems = (report_cycles("call", calls) + report_cycles("include", includes) + report_layering(calls, "calls")
                + report_layering(includes, "includes"))
    print(f"cycles.py: {len(objs)} objects, {len(calls)} call edges, {len(includes)} include edges, "
          f"{problems} problem{'s' if problems != 1 else ''}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
