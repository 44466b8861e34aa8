/* SPDX-License-Identifier: Apache-2.0 */
/* Per-container host id ranges and idmapped rootfs staging (runtime side of
 * the user_namespace rule). */
#ifndef OCIGATE_USERNS_H
#define OCIGATE_USERNS_H

#include <stdbool.h>
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
  int nsfd;     /* a user namespace with the container's mapping (0: none yet) */
  pid_t holder; /* the exiting process that held it, not yet reaped (0: none) */
  bool allocated, staged;
};

/* Allocate (or find again) the range of container `id` under runtime root
 * `root`, under a lock, recorded in the state dir (crash-safe: gc frees
 * what a dead create left). */
int ocigate_userns_allocate (const char *state_dir, const struct og_policy *p, const char *root, const char *id,
                             struct ocigate_userns *u, struct og_error *err);
/* Mount an idmapped clone of `rootfs` (container 0 -> range start) at
 * u->stage_root. */
int ocigate_userns_stage (struct ocigate_userns *u, const char *rootfs, struct og_error *err);
/* An idmapped clone of a bind source under the stage dir; *staged is the
 * path to bind instead (caller-owned). */
int ocigate_userns_stage_bind (struct ocigate_userns *u, size_t index, const char *source, char **staged,
                               struct og_error *err);
/* Undo stage (rootfs and binds) and allocation. */
int ocigate_userns_release (struct ocigate_userns *u, struct og_error *err);
/* Reap the process that held the namespace (it exits while the create goes
 * on); before the runtime is exec'd, which must not inherit it. */
void ocigate_userns_reap (struct ocigate_userns *u);
void ocigate_userns_free (struct ocigate_userns *u);

/* The record of (root, id), if any: fills paths only. */
bool ocigate_userns_lookup (const char *state_dir, const char *root, const char *id, struct ocigate_userns *u);
/* Release every record whose container runc no longer knows.  Returns the
 * number released, -1 on error. */
int ocigate_userns_gc (const char *state_dir, bool verbose, struct og_error *err);

#endif
