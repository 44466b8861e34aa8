/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a policy document by the table.  Every area must be present and
 * every key known: a typo or a forgotten section must never silently
 * weaken a policy.  What the areas and keys are is the table of
 * policy/sections.c; this file reads a JSON document by it.
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "schema.h"

/* ---- reading keys by the table (policy/sections.c) ---------------------- */

/* An error about the value of key `name` of the object at `prefix`
 * ("" at the top level): "mounts.scan", "max_entries" -> "mounts.scan.max_entries". */
static int
key_error (const struct og_load *l, const char *prefix, const char *name, const char *what)
{
  og_cleanup_free char *path = prefix[0] ? og_xasprintf ("%s.%s", prefix, name) : og_xstrdup (name);
  return og_load_error (l, path, what);
}

static bool
is_section (const char *name)
{
  for (size_t i = 0; i < og_policy_nsections; i++)
    if (strcmp (og_policy_sections[i].name, name) == 0)
      return true;
  return false;
}

/* Refuse members of obj the table does not know: a typo must never
 * silently weaken a policy.  Every area (and the top level) also takes a
 * free-form "description"; the top level takes the areas. */
static int
only_keys (const struct og_load *l, const struct og_json *obj, const char *where, const struct og_key *keys, bool area,
           bool top)
{
  for (size_t i = 0; i < obj->n; i++)
    {
      const char *name = obj->keys[i];
      if (og_key_find (keys, name) || (area && strcmp (name, "description") == 0) || (top && is_section (name)))
        continue;
      og_cleanup_free char *msg = og_xasprintf ("unknown key \"%s\"", name);
      return og_load_error (l, where, msg);
    }
  return 0;
}

static int
read_action (const struct og_load *l, const struct og_json *v, const char *where, struct og_policy *p,
             const struct og_key *k)
{
  enum og_action a;

  if (!og_json_is_string (v))
    return og_load_error (l, where, "\"action\" must be a string");
  if (strcmp (v->text, "enforce") == 0)
    a = OG_ACTION_ENFORCE;
  else if (strcmp (v->text, "deny") == 0)
    a = OG_ACTION_DENY;
  else if (strcmp (v->text, "audit") == 0 || strcmp (v->text, "warn") == 0)
    a = OG_ACTION_AUDIT;
  else
    return og_load_error (l, where, "\"action\" must be \"enforce\", \"deny\" or \"audit\"");
  og_key_set_int (p, k, a);
  return 0;
}

static int
read_string (const struct og_load *l, const struct og_json *v, const char *where, const char *key, char **out)
{
  if (!og_json_is_string (v) || v->len == 0)
    {
      og_cleanup_free char *msg = og_xasprintf ("\"%s\" must be a non-empty string", key);
      return og_load_error (l, where, msg);
    }
  free (*out);
  *out = og_xstrdup (v->text);
  return 0;
}

static int
read_strv (const struct og_load *l, const struct og_json *v, const char *where, const char *prefix,
           const struct og_key *k, char ***out)
{
  bool abs_paths = k->type == OG_KEY_PATHV;
  og_cleanup_strv char **r = NULL;

  if (v->type != OG_JSON_ARRAY)
    {
      og_cleanup_free char *msg = og_xasprintf ("\"%s\" must be an array of strings", k->name);
      return og_load_error (l, where, msg);
    }
  r = og_xcalloc (v->n + 1, sizeof *r);
  for (size_t i = 0; i < v->n; i++)
    {
      const struct og_json *e = v->vals[i];
      if (!og_json_is_string (e) || e->len == 0 || (abs_paths && e->text[0] != '/'))
        {
          og_cleanup_free char *msg
              = og_xasprintf ("\"%s\"[%zu] must be a non-empty %s", k->name, i, abs_paths ? "absolute path" : "string");
          return og_load_error (l, where, msg);
        }
      r[i] = og_xstrdup (e->text);
    }
  for (size_t i = 0; k->check_entry && r[i]; i++)
    {
      og_cleanup_free char *why = k->check_entry (r[i]);
      if (why)
        return key_error (l, prefix, k->name, why);
    }
  og_strv_free (*out);
  *out = og_steal_pointer (&r);
  return 0;
}

static int
read_quantity (const struct og_load *l, const struct og_json *v, const char *where, const char *key,
               og_value_parser parse, int64_t *out)
{
  og_cleanup_free char *msg = NULL;

  if ((v->type == OG_JSON_STRING || v->type == OG_JSON_NUMBER) && parse (v->text, out) == 0)
    return 0;
  msg = og_xasprintf ("\"%s\" has an invalid value %s", key, v->text ? v->text : "(not a number or string)");
  return og_load_error (l, where, msg);
}

static int
read_limit (const struct og_load *l, const struct og_json *v, const char *path, const struct og_key *k,
            struct og_limit *lim)
{
  static const struct og_key keys[] = { { .name = "default" }, { .name = "max" }, { .name = NULL } };
  const struct og_json *def, *max;

  if (v->type != OG_JSON_OBJECT)
    return og_load_error (l, path, "must be an object");
  if (only_keys (l, v, path, keys, false, false) < 0)
    return -1;
  def = og_json_get (v, "default");
  max = og_json_get (v, "max");
  if ((def && read_quantity (l, def, path, "default", k->parse, &lim->def) < 0)
      || (max && read_quantity (l, max, path, "max", k->parse, &lim->max) < 0))
    return -1;
  lim->has_default |= def != NULL;
  lim->has_max |= max != NULL;
  if (lim->has_default && lim->has_max && lim->def > lim->max)
    return og_load_error (l, path, "\"default\" is larger than \"max\"");
  return 0;
}

static int
read_choice (const struct og_load *l, const struct og_json *v, const char *where, const char *prefix,
             const struct og_key *k, struct og_policy *p)
{
  struct og_buf names = { 0 };
  og_cleanup_free char *msg = NULL;
  size_t n = 0;

  if (!og_json_is_string (v) || v->len == 0)
    {
      msg = og_xasprintf ("\"%s\" must be a non-empty string", k->name);
      return og_load_error (l, where, msg);
    }
  for (const struct og_choice *c = k->choices; c->name; c++, n++)
    if (strcmp (c->name, v->text) == 0)
      {
        og_key_set_int (p, k, c->value);
        return 0;
      }
  /* must be "a", "b" or "c" */
  for (size_t i = 0; i < n; i++)
    {
      og_buf_puts (&names, i == 0 ? "must be " : i + 1 == n ? " or " : ", ");
      og_buf_put_json_string (&names, k->choices[i].name);
    }
  msg = names.buf;
  return key_error (l, prefix, k->name, msg);
}

static int read_keys (const struct og_load *l, const struct og_json *obj, const struct og_key *keys, const char *where,
                      const char *prefix, struct og_policy *p);

/* A limit or an object: the place named in messages about its members. */
static int
read_nested (const struct og_load *l, const struct og_json *v, const struct og_key *k, const char *prefix,
             struct og_policy *p)
{
  og_cleanup_free char *path = og_xasprintf ("%s.%s", prefix, k->name);

  if (k->type == OG_KEY_LIMIT)
    return read_limit (l, v, path, k, (struct og_limit *)((char *)p + k->off));
  if (v->type != OG_JSON_OBJECT)
    return og_load_error (l, path, "must be an object");
  return only_keys (l, v, path, k->sub, false, false) < 0 ? -1 : read_keys (l, v, k->sub, path, path, p);
}

/* One key of obj; `where` names obj in messages about the key's type,
 * `prefix` is the dotted path of obj ("" at the top level). */
static int
read_key (const struct og_load *l, const struct og_json *obj, const struct og_key *k, const char *where,
          const char *prefix, struct og_policy *p)
{
  const struct og_json *v = og_json_get (obj, k->name);
  void *at = (char *)p + k->off;
  int64_t n;

  if (k->type == OG_KEY_CUSTOM)
    return k->custom (l, v, p);
  if (v == NULL)
    {
      if (!k->required)
        return 0;
      og_cleanup_free char *msg = og_xasprintf ("missing \"%s\" (%s)", k->name, k->hint);
      return og_load_error (l, where, msg);
    }
  switch (k->type)
    {
      case OG_KEY_ACTION:
        return read_action (l, v, where, p, k);
      case OG_KEY_BOOL:
        if (!og_json_is_bool (v))
          {
            og_cleanup_free char *msg = og_xasprintf ("\"%s\" must be true or false", k->name);
            return og_load_error (l, where, msg);
          }
        og_key_set_int (p, k, v->type == OG_JSON_TRUE);
        return 0;
      case OG_KEY_STRING:
        return read_string (l, v, where, k->name, at);
      case OG_KEY_STRV:
      case OG_KEY_PATHV:
        return read_strv (l, v, where, prefix, k, at);
      case OG_KEY_CHOICE:
        return read_choice (l, v, where, prefix, k, p);
      case OG_KEY_INT:
        if (read_quantity (l, v, where, k->name, k->parse, &n) < 0)
          return -1;
        og_key_set_int (p, k, n);
        if (k->has_flag)
          *(bool *)((char *)p + k->has_off) = true;
        return 0;
      case OG_KEY_COUNT:
        if (read_quantity (l, v, where, k->name, og_parse_count, &n) < 0)
          return -1;
        og_key_set_int (p, k, n > k->max ? k->max : n);
        return 0;
      case OG_KEY_LIMIT:
      case OG_KEY_OBJECT:
        return read_nested (l, v, k, prefix, p);
      case OG_KEY_CUSTOM:
        break;
    }
  return 0;
}

static int
read_keys (const struct og_load *l, const struct og_json *obj, const struct og_key *keys, const char *where,
           const char *prefix, struct og_policy *p)
{
  for (const struct og_key *k = keys; k->name; k++)
    if (read_key (l, obj, k, where, prefix, p) < 0)
      return -1;
  return 0;
}

static int
load_section (const struct og_load *l, const struct og_json *root, const struct og_section *s, struct og_policy *p)
{
  const struct og_json *o = og_json_get (root, s->name);

  if (o == NULL && s->optional)
    return 0;
  if (o == NULL)
    {
      og_cleanup_free char *msg
          = og_xasprintf ("missing required section \"%s\" (use %s to turn the rule off explicitly)", s->name,
                          s->off_how ? s->off_how : "\"action\": \"audit\"");
      return og_load_error (l, "top level", msg);
    }
  if (o->type != OG_JSON_OBJECT)
    return og_load_error (l, s->name, "must be an object");
  if (only_keys (l, o, s->name, s->keys, true, false) < 0 || read_keys (l, o, s->keys, s->name, s->name, p) < 0)
    return -1;
  return s->check ? s->check (l, p) : 0;
}

static int
load_top (const struct og_load *l, const struct og_json *root, struct og_policy *p)
{
  if (root->type != OG_JSON_OBJECT)
    return og_load_error (l, "top level", "must be a json object");
  if (only_keys (l, root, "top level", og_policy_top_keys, true, true) < 0
      || read_keys (l, root, og_policy_top_keys, "top level", "", p) < 0)
    return -1;
  for (size_t i = 0; i < og_policy_nsections; i++)
    if (load_section (l, root, &og_policy_sections[i], p) < 0)
      return -1;
  return 0;
}

int
og_policy_from_json (const struct og_load *l, const struct og_json *root, struct og_policy **out)
{
  og_cleanup_policy struct og_policy *p = og_xcalloc (1, sizeof *p);

  og_policy_set_defaults (p);
  if (load_top (l, root, p) < 0)
    return -1;
  *out = og_steal_pointer (&p);
  return 0;
}
