/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes pods (containerd's CRI): what the runtime reads about the pod
 * a container belongs to, once the engine facts (ocigate/facts.h) say the
 * CRI made its config. */
#ifndef OCIGATE_POD_H
#define OCIGATE_POD_H

#include "ocigate/facts.h"
#include <stdbool.h>

#include "ocigate/error.h"
#include "ocigate/json.h"

/* The network namespace the config joins (its path, borrowed), or NULL. */
const char *ocigate_pod_joined_netns (const struct og_json *spec);
/* The network namespace at path, opened (O_RDONLY | O_CLOEXEC), or -1:
 * anything else is never opened for real (a FIFO would block). */
int ocigate_pod_netns_open (const char *path);
/* Does the host's user namespace own the network namespace at path (or is
 * it unknown)? */
bool ocigate_pod_netns_host_owned (const char *path);
/* The same for the network namespace open at fd (-1: unknown). */
bool ocigate_pod_netns_fd_host_owned (int fd);
/* Whose the network namespace open at fd is when it is pid 1's or ours
 * (or unknown), else NULL. */
const char *ocigate_pod_netns_is_hosts (int fd);
/* Does the user namespace open at `userns` own the network namespace at
 * path (false when unknown)? */
bool ocigate_pod_netns_owned_by (const char *path, int userns);
/* Why the network namespace at path, open at fd, is not one CNI has just
 * made for a pod's sandbox (caller frees), or NULL: it must be mounted at
 * the path itself, as containerd keeps it (no symbolic link, no
 * /proc/<pid>/ns/net), and no process may be in it yet.  Not stopped: a
 * namespace of another pod whose sandbox has not started yet. */
char *ocigate_pod_netns_not_cni (const char *path, int fd);
/* Why a pod's app container cannot get a user namespace of ocigate's
 * (caller frees), or NULL: it joins a network namespace that the host's
 * user namespace owns (its sandbox runs without one).  Never for the
 * sandbox itself, whose network moves (below). */
char *ocigate_pod_netns_unmappable (const struct og_engine_facts *f, const struct og_json *spec);

/* Move every interface but lo of the network namespace `from` (CNI's) into
 * `to` (the pod's), with its addresses and routes (pod_net.c).  A failure
 * moves what had moved back into `from`, configured as before; *moved:
 * some of it could not go back (the pod is left without its network). */
int ocigate_pod_net_move (int from, int to, bool *moved, struct og_error *err);
/* Where containerd keeps CNI's namespace `from` mounted at `path`, mount
 * `to` there instead (*replaced): CNI's DEL, port-forward and containerd's
 * removal of the file then act on the pod's real network.  Any other path
 * is left alone; a failure leaves `from` there.  (`from` and `to` swapped:
 * undone.) */
int ocigate_pod_net_replace (const char *path, int from, int to, bool *replaced, struct og_error *err);

#endif
