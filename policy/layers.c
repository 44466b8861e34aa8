/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layers of a policy: policy.json, then policy.d/NAME.json in lexical order.
 * An organisation's base sets the boundary; a team's layer may only make it
 * tighter, key by key, by each key's rule in the table (.tighten of
 * policy/sections.c; a key without one may not change at all).  The base
 * names in "overridable" the keys a layer may set to anything.
 *
 * A layer holds only the keys it changes.  It is merged into the JSON of the
 * files before it (a key's value replaces theirs; the members of a limit and
 * of a nested object one by one), the result is loaded by the ordinary
 * loader (so it is as valid as any policy), and every key the layer set is
 * compared with what the files before it made of that key.  Finding and
 * opening the layers: policy/layers_files.c.
 */
#include <config.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/sha256.h"
#include "ocigate/util.h"
#include "schema.h"

#define TIGHTEN_HINT "(a later layer may only tighten; the base can list the key in \"overridable\")"
#define PROFILE_HINT "(a profile may only tighten the policy it is chosen from)"

/* ---- merging ------------------------------------------------------------ */

/* The area of the table called name, or NULL. */
static const struct og_section *
area (const char *name)
{
  for (size_t i = 0; i < og_policy_nsections; i++)
    if (strcmp (og_policy_sections[i].name, name) == 0)
      return &og_policy_sections[i];
  return NULL;
}

static const struct og_key *
key_in (const struct og_key *keys, const char *name)
{
  for (const struct og_key *k = keys; k->name; k++)
    if (strcmp (k->name, name) == 0)
      return k;
  return NULL;
}

/* A limit's and a nested object's members are set one by one. */
static bool
member_wise (const struct og_key *k, const struct og_json *v, const struct og_json *old)
{
  return k && (k->type == OG_KEY_LIMIT || k->type == OG_KEY_OBJECT) && v->type == OG_JSON_OBJECT && old
         && old->type == OG_JSON_OBJECT;
}

/* sources[path] = file, for the key at path and, member-wise, its members */
static void
record (struct og_json *sources, const char *path, const struct og_key *k, const struct og_json *v, const char *file)
{
  if (k && (k->type == OG_KEY_LIMIT || k->type == OG_KEY_OBJECT) && v->type == OG_JSON_OBJECT)
    for (size_t i = 0; i < v->n; i++)
      {
        og_cleanup_free char *sub = og_xasprintf ("%s.%s", path, v->keys[i]);
        record (sources, sub, k->type == OG_KEY_OBJECT ? key_in (k->sub, v->keys[i]) : NULL, v->vals[i], file);
      }
  else
    og_json_set (sources, path, og_json_new_string (file));
}

/* Sets obj[name] = v, member-wise where the key says so. */
static void
put (struct og_json *obj, const char *name, const struct og_key *k, const struct og_json *v)
{
  struct og_json *old = og_json_get (obj, name);

  if (!member_wise (k, v, old))
    {
      og_json_set (obj, name, og_json_clone (v));
      return;
    }
  for (size_t i = 0; i < v->n; i++)
    put (old, v->keys[i], k->type == OG_KEY_OBJECT ? key_in (k->sub, v->keys[i]) : NULL, v->vals[i]);
}

/* Every key of the layer into merged. */
static void
apply (struct og_json *merged, const struct og_json *layer)
{
  for (size_t i = 0; i < layer->n; i++)
    {
      const struct og_section *s = area (layer->keys[i]);
      const struct og_json *v = layer->vals[i];
      struct og_json *old = og_json_get (merged, layer->keys[i]);

      if (s == NULL || old == NULL || old->type != OG_JSON_OBJECT || v->type != OG_JSON_OBJECT)
        {
          put (merged, layer->keys[i], s ? NULL : key_in (og_policy_top_keys, layer->keys[i]), v);
          continue;
        }
      for (size_t j = 0; j < v->n; j++)
        put (old, v->keys[j], key_in (s->keys, v->keys[j]), v->vals[j]);
    }
}

void
og_layer_record (struct og_json *sources, const struct og_json *root, const char *file)
{
  for (size_t i = 0; i < root->n; i++)
    {
      const struct og_section *s = area (root->keys[i]);
      const struct og_json *v = root->vals[i];

      if (strcmp (root->keys[i], "version") == 0 || strcmp (root->keys[i], "description") == 0)
        continue;
      if (s == NULL || v->type != OG_JSON_OBJECT)
        {
          record (sources, root->keys[i], s ? NULL : key_in (og_policy_top_keys, root->keys[i]), v, file);
          continue;
        }
      for (size_t j = 0; j < v->n; j++)
        {
          og_cleanup_free char *path = og_xasprintf ("%s.%s", root->keys[i], v->keys[j]);
          if (strcmp (v->keys[j], "description") != 0)
            record (sources, path, key_in (s->keys, v->keys[j]), v->vals[j], file);
        }
    }
}

/* ---- tightening --------------------------------------------------------- */

struct compare
{
  const struct og_policy *a, *b; /* before and after the layer */
  const struct og_json *before;  /* the merged JSON before it */
  const struct og_json *sources; /* before it */
  const char *layer, *base;
  bool strict; /* a profile: "overridable" does not apply, it only tightens */
  struct og_error *err;
};

static int
loosens (const struct compare *c, const char *path, const char *what)
{
  return og_error_set (c->err, 0, "policy %s: %s: %s %s", c->layer, path, what,
                       c->strict ? PROFILE_HINT : TIGHTEN_HINT);
}

/* The file that set the key at path before the layer (the base for a default). */
static const char *
from (const struct compare *c, const char *path)
{
  const struct og_json *f = og_json_get (c->sources, path);
  return f && og_json_is_string (f) ? f->text : c->base;
}

static bool
overridable (const struct compare *c, const char *path)
{
  if (c->strict)
    return false;
  for (char **o = c->a->overridable; o && *o; o++)
    {
      size_t n = strlen (*o);
      if (strncmp (path, *o, n) == 0 && (path[n] == '\0' || path[n] == '.'))
        return true;
    }
  return false;
}

static int
action_rank (int64_t a)
{
  return a == OG_ACTION_AUDIT ? 0 : a == OG_ACTION_ENFORCE ? 1 : 2;
}

static int
check_order (const struct compare *c, const struct og_key *k, const char *path)
{
  int64_t a = og_key_get_int (c->a, k), b = og_key_get_int (c->b, k);
  og_cleanup_free char *msg = NULL;

  if (k->type == OG_KEY_ACTION && action_rank (b) < action_rank (a))
    msg = og_xasprintf ("\"%s\" is looser than \"%s\" from %s (audit < enforce < deny)",
                        og_action_name ((enum og_action)b), og_action_name ((enum og_action)a), from (c, path));
  else if (k->type == OG_KEY_CHOICE && og_key_choice (k, b)->rank < og_key_choice (k, a)->rank)
    msg = og_xasprintf ("\"%s\" is looser than \"%s\" from %s", og_key_choice (k, b)->name, og_key_choice (k, a)->name,
                        from (c, path));
  return msg ? loosens (c, path, msg) : 0;
}

static int
check_bool (const struct compare *c, const struct og_key *k, const char *path)
{
  bool secure = k->tighten == OG_TIGHTEN_TRUE;
  bool a = og_key_get_int (c->a, k) != 0, b = og_key_get_int (c->b, k) != 0;
  og_cleanup_free char *msg = NULL;

  if (a != b && b != secure)
    msg = og_xasprintf ("%s is looser than %s from %s", b ? "true" : "false", a ? "true" : "false", from (c, path));
  return msg ? loosens (c, path, msg) : 0;
}

static int
check_list (const struct compare *c, const struct og_key *k, const char *path)
{
  char **a = *(char ***)((char *)c->a + k->off), **b = *(char ***)((char *)c->b + k->off);
  bool subset = k->tighten == OG_TIGHTEN_SUBSET;
  og_cleanup_free char *msg = NULL;

  /* entries are compared as written: a narrower pattern is a new entry */
  for (char **e = subset ? b : a; e && *e; e++)
    if (!og_strv_contains (subset ? a : b, *e))
      {
        msg = subset ? og_xasprintf ("adds \"%s\", which %s does not allow", *e, from (c, path))
                     : og_xasprintf ("drops \"%s\", which %s requires", *e, from (c, path));
        return loosens (c, path, msg);
      }
  return 0;
}

/* One bound, lower or higher being tighter; a bound the files before did not
 * set may be set to anything. */
static int
check_bound (const struct compare *c, const char *path, bool had, int64_t a, bool has, int64_t b, bool lower)
{
  og_cleanup_free char *msg = NULL;

  if (!had)
    return 0;
  if (!has)
    msg = og_xasprintf ("removes the bound %" PRId64 " that %s sets", a, from (c, path));
  else if (lower ? b > a : b < a)
    msg = og_xasprintf ("%" PRId64 " is %s than %" PRId64 " from %s", b, lower ? "larger" : "smaller", a,
                        from (c, path));
  return msg ? loosens (c, path, msg) : 0;
}

static int
check_limit (const struct compare *c, const struct og_key *k, const char *path)
{
  const struct og_limit *a = (const void *)((const char *)c->a + k->off),
                        *b = (const void *)((const char *)c->b + k->off);
  og_cleanup_free char *def = og_xasprintf ("%s.default", path), *max = og_xasprintf ("%s.max", path);

  if (check_bound (c, max, a->has_max, a->max, b->has_max, b->max, true) < 0
      || check_bound (c, def, a->has_default, a->def, b->has_default, b->def, true) < 0)
    return -1;
  return 0;
}

/* The JSON before the layer at a dotted path, or NULL. */
static const struct og_json *
before_at (const struct og_json *root, const char *path)
{
  og_cleanup_free char *copy = og_xstrdup (path);
  const struct og_json *v = root;

  for (char *save = NULL, *part = strtok_r (copy, ".", &save); part && v; part = strtok_r (NULL, ".", &save))
    v = v->type == OG_JSON_OBJECT ? og_json_get (v, part) : NULL;
  return v;
}

static int
check_equal (const struct compare *c, const char *path, const struct og_json *v)
{
  const struct og_json *old = before_at (c->before, path);
  og_cleanup_free char *a = og_json_to_text (old), *b = og_json_to_text (v), *msg = NULL;

  if (old && strcmp (a, b) == 0)
    return 0;
  msg = old ? og_xasprintf ("may not change (%s sets %s)", from (c, path), a)
            : og_xasprintf ("may not be set (%s leaves it at its default)", from (c, path));
  return loosens (c, path, msg);
}

static int check_key (const struct compare *c, const struct og_key *k, const char *path, const struct og_json *v);

static int
check_members (const struct compare *c, const struct og_key *k, const char *path, const struct og_json *v)
{
  for (size_t i = 0; v->type == OG_JSON_OBJECT && i < v->n; i++)
    {
      const struct og_key *sub = key_in (k->sub, v->keys[i]);
      og_cleanup_free char *subpath = og_xasprintf ("%s.%s", path, v->keys[i]);
      if (sub && check_key (c, sub, subpath, v->vals[i]) < 0)
        return -1;
    }
  return 0;
}

/* The key k at path, which the layer set to v. */
static int
check_key (const struct compare *c, const struct og_key *k, const char *path, const struct og_json *v)
{
  if (overridable (c, path))
    return 0;
  switch (k->tighten)
    {
      case OG_TIGHTEN_SUBSET:
      case OG_TIGHTEN_SUPERSET:
        return check_list (c, k, path);
      case OG_TIGHTEN_LOWER:
        if (k->type == OG_KEY_LIMIT)
          return check_limit (c, k, path);
        return check_bound (c, path, true, og_key_get_int (c->a, k), true, og_key_get_int (c->b, k), true);
      case OG_TIGHTEN_HIGHER:
        return check_bound (c, path, !k->has_flag || *(const bool *)((const char *)c->a + k->has_off),
                            og_key_get_int (c->a, k), true, og_key_get_int (c->b, k), false);
      case OG_TIGHTEN_ORDER:
        return check_order (c, k, path);
      case OG_TIGHTEN_TRUE:
      case OG_TIGHTEN_FALSE:
        return check_bool (c, k, path);
      case OG_TIGHTEN_EACH:
        return check_members (c, k, path, v);
      case OG_TIGHTEN_EQUAL:
        break;
    }
  return check_equal (c, path, v);
}

/* Every key the layer sets, against what the files before it made of it. */
static int
check_layer (const struct compare *c, const struct og_json *layer)
{
  for (size_t i = 0; i < layer->n; i++)
    {
      const char *name = layer->keys[i];
      const struct og_json *v = layer->vals[i];
      const struct og_section *s = area (name);
      const struct og_key *k;

      if (strcmp (name, "version") == 0 || strcmp (name, "description") == 0)
        continue;
      if (s == NULL)
        {
          if ((k = key_in (og_policy_top_keys, name)) && check_key (c, k, name, v) < 0)
            return -1;
          continue;
        }
      for (size_t j = 0; v->type == OG_JSON_OBJECT && j < v->n; j++)
        {
          og_cleanup_free char *path = og_xasprintf ("%s.%s", name, v->keys[j]);
          if ((k = key_in (s->keys, v->keys[j])) && check_key (c, k, path, v->vals[j]) < 0)
            return -1;
        }
    }
  return 0;
}

/* What a layer must be before it is merged at all. */
static int
layer_shape (const char *name, const struct og_json *layer, struct og_error *err)
{
  const struct og_json *v;

  if (layer->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "policy %s: top level: must be a json object", name);
  v = og_json_get (layer, "version");
  if (v == NULL || v->type != OG_JSON_NUMBER || strcmp (v->text, "1") != 0)
    return og_error_set (err, 0, "policy %s: version: must be 1 (the only version this ocigate understands)", name);
  if (og_json_get (layer, "overridable"))
    return og_error_set (err, 0, "policy %s: overridable: only the base policy may name overridable keys", name);
  for (size_t i = 0; i < layer->n; i++)
    if (area (layer->keys[i]) && layer->vals[i]->type != OG_JSON_OBJECT)
      return og_error_set (err, 0, "policy %s: %s: must be an object", name, layer->keys[i]);
  return 0;
}

int
og_layer_onto (const char *base, const char *name, const struct og_json *layer, const struct og_json *merged,
               const struct og_policy *p, const struct og_json *sources, bool strict, struct og_json **next_out,
               struct og_policy **out, struct og_error *err)
{
  const struct og_load l = { .name = name, .err = err, .origin = base };
  og_cleanup_json struct og_json *next = NULL;
  og_cleanup_policy struct og_policy *q = NULL;

  if (layer_shape (name, layer, err) < 0)
    return -1;
  next = og_json_clone (merged);
  apply (next, layer);
  if (og_policy_from_json (&l, next, &q) < 0)
    return -1;
  const struct compare c = {
    .a = p, .b = q, .before = merged, .sources = sources, .layer = name, .base = base, .strict = strict, .err = err
  };
  if (check_layer (&c, layer) < 0)
    return -1;
  if (next_out)
    *next_out = og_steal_pointer (&next);
  *out = og_steal_pointer (&q);
  return 0;
}

/* One layer onto *merged and *p (both replaced when it is good). */
static int
merge_one (const char *base, const char *file, const char *buf, size_t len, struct og_json **merged,
           struct og_policy **p, struct og_json *sources, struct og_error *err)
{
  const struct og_json_opts opts = { .max_size = OG_POLICY_MAX_SIZE, .max_depth = 16, .allow_comments = true };
  og_cleanup_json struct og_json *layer = NULL, *next = NULL;
  og_cleanup_policy struct og_policy *q = NULL;

  if (og_json_parse (buf, len, &opts, &layer, err) < 0)
    return og_error_wrap (err, "policy %s", file);
  if (og_layer_onto (base, file, layer, *merged, *p, sources, false, &next, &q, err) < 0)
    return -1;
  og_layer_record (sources, layer, file);
  og_json_free (*merged);
  *merged = og_steal_pointer (&next);
  og_policy_free (*p);
  *p = og_steal_pointer (&q);
  return 0;
}

/* Every file's digest, with its name: what the audit record's digest says. */
static void
digest_all (const char *base_digest, const struct og_layers *ls, char *const *bufs, const size_t *lens, char out[65])
{
  struct og_buf b = { 0 };
  char hex[65];

  og_buf_puts (&b, base_digest);
  for (size_t i = 0; i < ls->n; i++)
    {
      og_sha256_hex (bufs[i], lens[i], hex);
      og_cleanup_free char *line = og_xasprintf ("\n%s %s", hex, ls->v[i].path);
      og_buf_puts (&b, line);
    }
  og_sha256_hex (b.buf, b.len, out);
  free (b.buf);
}

int
og_layers_merge (const struct og_json *base, const char *name, const char *base_digest, const struct og_layers *ls,
                 char *const *bufs, const size_t *lens, struct og_policy **out, struct og_json **effective,
                 struct og_json **sources, struct og_error *err)
{
  const struct og_load l = { .name = name, .err = err };
  og_cleanup_json struct og_json *merged = og_json_clone (base), *src = og_json_new (OG_JSON_OBJECT);
  og_cleanup_policy struct og_policy *p = NULL;

  if (og_policy_from_json (&l, merged, &p) < 0)
    return -1;
  og_layer_record (src, base, name);
  for (size_t i = 0; i < ls->n; i++)
    if (merge_one (name, ls->v[i].path, bufs[i], lens[i], &merged, &p, src, err) < 0)
      return -1;
  p->path = og_xstrdup (name);
  if (ls->n == 0)
    memcpy (p->digest, base_digest, sizeof p->digest);
  else
    digest_all (base_digest, ls, bufs, lens, p->digest);
  *out = og_steal_pointer (&p);
  if (effective)
    *effective = og_steal_pointer (&merged);
  if (sources)
    *sources = og_steal_pointer (&src);
  return 0;
}
