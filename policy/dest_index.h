/* SPDX-License-Identifier: Apache-2.0 */
/* The destinations of a config's earlier mounts, by path: which of them a
 * container path is at or below.  The mounts rule asks this for every
 * component of every destination; a scan of the earlier mounts made a
 * config's cost grow with the square of its mounts.  Private to policy/. */
#ifndef OCIGATE_POLICY_DEST_INDEX_H
#define OCIGATE_POLICY_DEST_INDEX_H

#include <stdbool.h>
#include <stddef.h>

struct og_dest_slot;

struct og_dest_index
{
  struct og_dest_slot *slots;
  size_t mask; /* slots - 1, a power of two minus one */
};

/* Room for up to n paths. */
void og_dest_index_init (struct og_dest_index *ix, size_t n);
void og_dest_index_free (struct og_dest_index *ix);

/* Record mount i at `path`, a clean absolute path ("/" or "/a/b": no empty,
 * "." or ".." component, no trailing slash), kept by pointer: it must
 * outlive the index.  A path recorded again takes the later i. */
void og_dest_index_put (struct og_dest_index *ix, const char *path, size_t i);

/* The largest i recorded at `path` (clean, as above) or at one of its
 * ancestors ("/" included): the latest mount that covers it.  False when
 * none is. */
bool og_dest_index_latest (const struct og_dest_index *ix, const char *path, size_t *i);

#endif
