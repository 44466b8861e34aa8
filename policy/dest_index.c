/* SPDX-License-Identifier: Apache-2.0 */
/* An open-addressing hash of clean paths: a path's ancestors are its
 * prefixes that end before a '/', so a lookup hashes each prefix once, in
 * one pass over the path, instead of comparing every earlier mount. */
#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dest_index.h"
#include "ocigate/util.h"

struct og_dest_slot
{
  const char *path; /* NULL: empty */
  size_t len;
  size_t i;
  uint32_t hash;
};

/* FNV-1a, fed one byte at a time so that a prefix's hash is on the way to
 * the whole path's. */
#define HASH_START 2166136261u
static inline uint32_t
hash_byte (uint32_t h, char c)
{
  return (h ^ (unsigned char)c) * 16777619u;
}

void
og_dest_index_init (struct og_dest_index *ix, size_t n)
{
  size_t slots = 16;

  while (slots < 2 * n + 2)
    slots *= 2;
  ix->slots = og_xcalloc (slots, sizeof *ix->slots);
  ix->mask = slots - 1;
}

void
og_dest_index_free (struct og_dest_index *ix)
{
  free (ix->slots);
  ix->slots = NULL;
  ix->mask = 0;
}

static struct og_dest_slot *
find (const struct og_dest_index *ix, const char *path, size_t len, uint32_t hash)
{
  for (size_t k = hash & ix->mask;; k = (k + 1) & ix->mask)
    {
      struct og_dest_slot *s = &ix->slots[k];
      if (s->path == NULL || (s->hash == hash && s->len == len && memcmp (s->path, path, len) == 0))
        return s;
    }
}

void
og_dest_index_put (struct og_dest_index *ix, const char *path, size_t i)
{
  uint32_t h = HASH_START;
  size_t len = strlen (path);
  struct og_dest_slot *s;

  for (size_t k = 0; k < len; k++)
    h = hash_byte (h, path[k]);
  s = find (ix, path, len, h);
  *s = (struct og_dest_slot){ .path = path, .len = len, .i = i, .hash = h };
}

bool
og_dest_index_latest (const struct og_dest_index *ix, const char *path, size_t *i)
{
  uint32_t h = HASH_START;
  bool found = false;

  for (size_t k = 0;; k++)
    {
      /* "/" itself, then each prefix that ends a component, then the path */
      if (k == 1 || (k > 1 && (path[k] == '/' || path[k] == '\0')))
        {
          const struct og_dest_slot *s = find (ix, path, k, h);
          if (s->path && (!found || s->i > *i))
            {
              *i = s->i;
              found = true;
            }
        }
      if (path[k] == '\0')
        return found;
      h = hash_byte (h, path[k]);
    }
}
