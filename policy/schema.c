/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Walking the table of policy/sections.c for what is the same in every
 * area: the defaults, the pointer members (og_policy_free and the compiled
 * image), and a hash of the table's shape.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/util.h"
#include "schema.h"

void
og_key_set_int (struct og_policy *p, const struct og_key *k, int64_t v)
{
  char *at = (char *)p + k->off;

  switch (k->size)
    {
      case sizeof (bool):
        {
          bool b = v != 0;
          memcpy (at, &b, sizeof b);
          return;
        }
      case sizeof (int32_t):
        {
          /* enums, and the unsigned counts (clamped far below 2^31) */
          int32_t i = (int32_t)v;
          memcpy (at, &i, sizeof i);
          return;
        }
      default:
        memcpy (at, &v, sizeof v);
    }
}

int64_t
og_key_get_int (const struct og_policy *p, const struct og_key *k)
{
  const char *at = (const char *)p + k->off;

  switch (k->size)
    {
      case sizeof (bool):
        {
          bool b;
          memcpy (&b, at, sizeof b);
          return b;
        }
      case sizeof (int32_t):
        {
          int32_t i;
          memcpy (&i, at, sizeof i);
          return i;
        }
      default:
        {
          int64_t v;
          memcpy (&v, at, sizeof v);
          return v;
        }
    }
}

const struct og_choice *
og_key_choice (const struct og_key *k, int64_t v)
{
  for (const struct og_choice *ch = k->choices; ch->name; ch++)
    if (ch->value == v)
      return ch;
  return k->choices;
}

enum og_key_store
og_key_store (const struct og_key *k)
{
  switch (k->type)
    {
      case OG_KEY_STRING:
        return OG_STORE_STR;
      case OG_KEY_STRV:
      case OG_KEY_PATHV:
        return OG_STORE_STRV;
      case OG_KEY_CUSTOM:
        return k->owns;
      case OG_KEY_ACTION:
      case OG_KEY_BOOL:
      case OG_KEY_CHOICE:
      case OG_KEY_INT:
      case OG_KEY_COUNT:
      case OG_KEY_LIMIT:
      case OG_KEY_OBJECT:
        break;
    }
  return OG_STORE_PLAIN;
}

/* Every key of the table, nested ones after their object. */
static void
each_key (const struct og_key *keys, void (*fn) (const struct og_key *k, void *data), void *data)
{
  for (const struct og_key *k = keys; k->name; k++)
    {
      fn (k, data);
      if (k->type == OG_KEY_OBJECT)
        each_key (k->sub, fn, data);
    }
}

static void
each_table_key (void (*fn) (const struct og_key *k, void *data), void *data)
{
  each_key (og_policy_top_keys, fn, data);
  for (size_t i = 0; i < og_policy_nsections; i++)
    each_key (og_policy_sections[i].keys, fn, data);
}

struct pointer_walk
{
  void (*fn) (size_t off, enum og_key_store kind, void *data);
  void *data;
};

static void
pointer_of (const struct og_key *k, void *data)
{
  struct pointer_walk *w = data;
  enum og_key_store kind = og_key_store (k);

  if (kind != OG_STORE_PLAIN)
    w->fn (k->off, kind, w->data);
}

void
og_policy_each_pointer (void (*fn) (size_t off, enum og_key_store kind, void *data), void *data)
{
  struct pointer_walk w = { fn, data };

  fn (offsetof (struct og_policy, path), OG_STORE_STR, data);
  each_table_key (pointer_of, &w);
}

static void
default_of (const struct og_key *k, void *data)
{
  struct og_policy *p = data;

  switch (k->type)
    {
      case OG_KEY_ACTION:
      case OG_KEY_CHOICE:
      case OG_KEY_INT:
      case OG_KEY_COUNT:
        if (k->def)
          og_key_set_int (p, k, k->def);
        return;
      case OG_KEY_STRV:
        if (k->def_strv)
          {
            char **v = og_xcalloc (og_strv_len ((char *const *)k->def_strv) + 1, sizeof *v);
            for (size_t i = 0; k->def_strv[i]; i++)
              v[i] = og_xstrdup (k->def_strv[i]);
            memcpy ((char *)p + k->off, &v, sizeof v);
          }
        return;
      case OG_KEY_BOOL:
      case OG_KEY_STRING:
      case OG_KEY_PATHV:
      case OG_KEY_LIMIT:
      case OG_KEY_OBJECT:
      case OG_KEY_CUSTOM:
        return;
    }
}

void
og_policy_set_defaults (struct og_policy *p)
{
  each_table_key (default_of, p);
}

/* One step of the hash.  It runs once in every process that reads a
 * compiled image (every exec and update), so it hashes words, not names:
 * what decides how an image's bytes are read (each key's type, member,
 * size, storage, in walk order) and the defaults and bounds.  A renamed key
 * or any other change of the table changes the build ID, which the
 * image's fingerprint covers as well. */
static uint64_t
mix (uint64_t h, uint64_t w)
{
  h = (h ^ w) * 0x100000001b3ULL;
  return h ^ (h >> 29);
}

static void
hash_key (const struct og_key *k, void *data)
{
  uint64_t *h = data;

  *h = mix (*h, (uint64_t)k->type | (uint64_t)og_key_store (k) << 8 | (uint64_t)k->required << 16
                    | (uint64_t)k->size << 24 | (uint64_t)k->off << 40);
  *h = mix (*h, (uint64_t)k->def ^ ((uint64_t)k->max << 1) ^ ((uint64_t)k->has_off << 48));
}

uint64_t
og_policy_schema_hash (void)
{
  uint64_t h = mix (0xcbf29ce484222325ULL, og_policy_nsections);

  each_table_key (hash_key, &h);
  return h;
}

static void
free_pointer (size_t off, enum og_key_store kind, void *data)
{
  char *at = (char *)data + off;

  if (kind == OG_STORE_STR)
    free (*(char **)at);
  else
    og_strv_free (*(char ***)at);
}

void
og_policy_free (struct og_policy *p)
{
  if (p == NULL)
    return;
  og_policy_each_pointer (free_pointer, p);
  for (size_t i = 0; i < p->nprofiles; i++)
    {
      free (p->profiles[i].name);
      free (p->profiles[i].engine);
      og_strv_free (p->profiles[i].pod_namespace);
      og_policy_free (p->profiles[i].policy);
    }
  free (p->profiles);
  free (p);
}

void
og_policy_freep (struct og_policy **p)
{
  og_policy_free (*p);
}
