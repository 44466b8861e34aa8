/* SPDX-License-Identifier: Apache-2.0 */
/* Per-container host id ranges, the idmapped rootfs and the staged bind
 * sources (runtime side of the user_namespace and mounts rules). */
#ifndef OCIGATE_USERNS_H
#define OCIGATE_USERNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ocigate/enforce.h"
#include "ocigate/error.h"
#include "ocigate/policy.h"

struct ocigate_userns
{
  char *record;     /* <state>/userns/<key> */
  char *stage_dir;  /* <state>/stage/<key> */
  char *stage_root; /* <stage_dir>/rootfs: the idmapped rootfs */
  struct og_userns_range range;
  int nsfd;               /* a user namespace with the container's mapping (0: none yet) */
  pid_t holder;           /* the exiting process that held it, not yet reaped (0: none) */
  bool allocated, staged; /* a range; the idmapped rootfs */
  bool binds_staged;      /* bind sources staged (with or without a range) */
  /* allocation: why it failed, when it did */
  bool in_use;        /* the record is that of an existing container or a running create */
  bool exhausted;     /* every range of the pool belongs to an existing container */
  bool foreign_pidns; /* the joined pid namespace is not owned by a user namespace of ours */
  /* a joined pid namespace: its owner's user namespace, shared */
  int join_fd;     /* that user namespace (0: none) */
  char *join_path; /* pinned at <stage_dir>/ns/user: what runc joins */
  char *owner_id;  /* the container it was made for */
  /* ... and the pid or network namespace joined, as judged */
  int joined_fd;           /* 0: none */
  const char *joined_name; /* "pid" or "net" */
  char *joined_path;       /* pinned at <stage_dir>/ns/<joined_name>: what runc joins */
  /* a pod's sandbox (ocigate_userns_pod_network): a network namespace the
   * pod's user namespace (nsfd, pinned at join_path) owns */
  int netfd;                      /* 0: none */
  char *net_path;                 /* pinned at <stage_dir>/ns/net: what runc joins */
  int64_t creator, creator_start; /* lookup: the create that wrote the record (pid, start time) */
};

/* ocigate_userns_stage_bind flags */
#define OCIGATE_STAGE_RECURSIVE 1u /* with its submounts (rbind) */
#define OCIGATE_STAGE_IDMAP 2u     /* through the container's mapping (needs a range) */
/* mount flags for every mount of the clone: runc sets the config's only on
 * the top one, and a submount would keep the host's (rw, suid, dev) */
#define OCIGATE_STAGE_RDONLY 4u
#define OCIGATE_STAGE_NOSUID 8u
#define OCIGATE_STAGE_NODEV 16u
#define OCIGATE_STAGE_NOEXEC 32u

/* Allocate the range of container `id` under the absolute runtime root
 * `root`, under a lock, recorded in the state dir (crash-safe: gc frees
 * what a dead create left).  Never touches the record of an existing
 * container or a running create (fails with u->in_use).  With `join` (the
 * path of a namespace of type `join_type`, CLONE_NEWPID or CLONE_NEWNET,
 * the container joins), the range and user namespace of the container
 * whose user namespace owns it (with `join_owner`, only that container:
 * a pod's sandbox), or failure (u->foreign_pidns).  A full pool fails
 * with u->exhausted. */
int ocigate_userns_allocate (const char *state_dir, const struct og_policy *p, const char *root, const char *id,
                             const char *join, int join_type, const char *join_owner, struct ocigate_userns *u,
                             struct og_error *err);
/* After allocate, for a pod's sandbox: the pod's user namespace with the
 * range and a network namespace it owns, both pinned in the stage dir
 * (join_path, net_path) for runc to join; the interfaces move there later
 * (pod.h). */
int ocigate_userns_pod_network (struct ocigate_userns *u, const char *id, struct og_error *err);
/* Mount a clone of the rootfs open at `rootfs`, with its submounts, its
 * own mount idmapped (container 0 -> range start), at u->stage_root, in
 * the stage dir of (root, id). */
int ocigate_userns_stage (struct ocigate_userns *u, int rootfs, const char *root, const char *id, struct og_error *err);
/* The stage dir of (root, id) without a range (user namespaces off):
 * readable by host root and by `group`, the container's root gid. */
int ocigate_stage_prepare (struct ocigate_userns *u, const char *state_dir, const char *root, const char *id,
                           gid_t group, struct og_error *err);
/* A clone of the judged bind source `fd` under the stage dir (prepared);
 * *staged is the path to bind instead (caller-owned).  With
 * OCIGATE_STAGE_IDMAP a filesystem that cannot be idmapped is staged
 * without the mapping and *why (caller-owned) says why; otherwise NULL. */
int ocigate_userns_stage_bind (struct ocigate_userns *u, size_t index, int fd, unsigned flags, char **staged,
                               char **why, struct og_error *err);
/* Undo stage (rootfs and binds) and allocation. */
int ocigate_userns_release (struct ocigate_userns *u, struct og_error *err);
/* Reap the process that held the namespace (it exits while the create goes
 * on); before the runtime is exec'd, which must not inherit it. */
void ocigate_userns_reap (struct ocigate_userns *u);
void ocigate_userns_free (struct ocigate_userns *u);

/* The record of (root, id), if any: fills paths, and the range and
 * creator when the record can be read. */
bool ocigate_userns_lookup (const char *state_dir, const char *root, const char *id, struct ocigate_userns *u);
/* After lookup: does the container still exist (runc's state) or its
 * create still run?  Its staging is released only when neither. */
bool ocigate_userns_in_use (const char *root, const char *id, const struct ocigate_userns *u);
/* Release every record whose container runc no longer knows.  Returns the
 * number released, -1 on error. */
int ocigate_userns_gc (const char *state_dir, bool verbose, struct og_error *err);
/* The same for stage dirs without a range (user namespaces off). */
int ocigate_stage_gc (const char *state_dir, bool verbose, struct og_error *err);

/* Kubernetes' hostUsers: false (userns_engine.c): the range of the user
 * namespace at `path` the CRI made, as the kernel has it, when it is what
 * `config` (the config's mapping) says, no host id below 65536 and none of
 * p's pool; otherwise -1 with why. */
int ocigate_userns_engine_range (const char *path, const struct og_userns_range *config, const struct og_policy *p,
                                 struct og_userns_range *r, struct og_error *err);

#endif
