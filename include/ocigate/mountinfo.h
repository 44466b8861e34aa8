/* SPDX-License-Identifier: Apache-2.0 */
/* The host's mount table (/proc/self/mountinfo): which mount backs a path,
 * and where else the same filesystem object is visible.  A path that
 * matches an allowed pattern may be a mount of anything (a Docker
 * local-driver volume can be host /etc); these say what it really is. */
#ifndef OCIGATE_MOUNTINFO_H
#define OCIGATE_MOUNTINFO_H

#include <stddef.h>
#include <stdint.h>

#include "ocigate/error.h"

struct og_mount
{
  uint64_t id;
  unsigned major, minor;
  char *root;  /* the path within its filesystem that is mounted */
  char *point; /* where it is mounted */
  char *fstype;
  /* root, point and fstype are one allocation: og_mounttable_free frees it */
};

struct og_mounttable
{
  struct og_mount *v;
  size_t n;
};

/* Read a mountinfo file (octal escapes undone).  -1 with err when it cannot
 * be read or a line does not parse. */
int og_mounttable_read (const char *file, struct og_mounttable *t, struct og_error *err);
void og_mounttable_free (struct og_mounttable *t);

/* The mount that backs `path` (absolute, resolved): by statx's mount id
 * when the kernel gives one that is in the table, else the last mount whose
 * mount point is the longest prefix.  NULL when none is. */
const struct og_mount *og_mounttable_backing (const struct og_mounttable *t, const char *path);

/* The first mount of m's filesystem in the table (the one made first, the
 * filesystem's own name for its objects); m itself when it is. */
const struct og_mount *og_mounttable_first_of (const struct og_mounttable *t, const struct og_mount *m);

/* Every other path at which the object `path` (inside mount m) is visible:
 * mounts of the same device whose root covers it, translated.  `path`
 * itself is left out.  Caller-owned strv (empty when there is none). */
char **og_mounttable_aliases (const struct og_mounttable *t, const struct og_mount *m, const char *path);

#endif
