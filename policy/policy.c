/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy loader.  Every area must be present and every key known: a typo or
 * a forgotten section must never silently weaken a policy.  What the areas
 * and keys are is the table of policy/sections.c; this file reads a policy
 * by it.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/sha256.h"
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

static const struct og_key *
find_key (const struct og_key *keys, const char *name)
{
  for (const struct og_key *k = keys; k->name; k++)
    if (strcmp (k->name, name) == 0)
      return k;
  return NULL;
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
      if (find_key (keys, name) || (area && strcmp (name, "description") == 0) || (top && is_section (name)))
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

const struct og_key *
og_policy_find_path (const char *path, const struct og_key **area)
{
  const char *dot = strchr (path, '.');
  size_t n = dot ? (size_t)(dot - path) : strlen (path);
  const struct og_key *keys = NULL, *k = NULL;

  *area = NULL;
  for (size_t i = 0; i < og_policy_nsections; i++)
    if (strlen (og_policy_sections[i].name) == n && strncmp (og_policy_sections[i].name, path, n) == 0)
      keys = og_policy_sections[i].keys;
  if (keys == NULL)
    return dot ? NULL : find_key (og_policy_top_keys, path);
  if (dot == NULL)
    return *area = keys;
  for (const char *rest = dot + 1; keys; keys = k->type == OG_KEY_OBJECT ? k->sub : NULL)
    {
      dot = strchr (rest, '.');
      og_cleanup_free char *name = dot ? og_xstrndup (rest, (size_t)(dot - rest)) : og_xstrdup (rest);
      if ((k = find_key (keys, name)) == NULL || dot == NULL)
        return k;
      rest = dot + 1;
    }
  return NULL;
}

/* ---- entry points ------------------------------------------------------- */

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

int
og_policy_parse (const char *buf, size_t len, const char *name, struct og_policy **out, struct og_error *err)
{
  const struct og_json_opts opts = { .max_size = OG_POLICY_MAX_SIZE, .max_depth = 16, .allow_comments = true };
  og_cleanup_json struct og_json *root = NULL;
  og_cleanup_policy struct og_policy *p = NULL;
  const struct og_load l = { .name = name, .err = err };

  if (og_json_parse (buf, len, &opts, &root, err) < 0)
    return og_error_wrap (err, "policy %s", name);
  if (og_policy_from_json (&l, root, &p) < 0)
    return -1;
  p->path = og_xstrdup (name);
  og_sha256_hex (buf, len, p->digest);
  *out = og_steal_pointer (&p);
  return 0;
}

int
og_policy_load (const char *path, struct og_policy **out, struct og_error *err)
{
  return og_policy_load_cached (path, NULL, out, err);
}

bool
og_policy_cacheable (const struct stat *st, const struct timespec *now)
{
  /* Two seconds: more than a clock tick and than the coarsest timestamps
   * (FAT's two seconds) a policy file could have. */
  return now->tv_sec - st->st_ctim.tv_sec > 2
         || (now->tv_sec - st->st_ctim.tv_sec == 2 && now->tv_nsec >= st->st_ctim.tv_nsec);
}

/* The compiled policy kept for this identity (layers: its layers'), if
 * there is a good one. */
static bool
from_cache (const struct og_policy_cache *cache, const char *path, const struct stat *st, const char *layers,
            struct og_policy **out)
{
  og_cleanup_free char *image = NULL;
  struct og_error ignored = { 0 };
  size_t len = 0;
  bool ok;

  if (cache == NULL || !cache->lookup (cache->data, path, st, layers, &image, &len))
    return false;
  ok = og_policy_image_read (image, len, out, &ignored) == 0;
  og_error_clear (&ignored);
  if (ok && strcmp ((*out)->path, path) != 0)
    {
      og_policy_free (*out);
      *out = NULL;
      ok = false;
    }
  return ok;
}

static void
to_cache (const struct og_policy_cache *cache, const char *path, const struct stat *st, const struct og_layers *ls,
          const char *layers, const struct og_policy *p)
{
  og_cleanup_free char *image = NULL;
  struct timespec now;
  size_t len;

  if (cache == NULL || clock_gettime (CLOCK_REALTIME, &now) < 0 || !og_policy_cacheable (st, &now)
      || !og_layers_cacheable (ls, &now) || og_policy_image_write (p, &image, &len) < 0)
    return;
  cache->store (cache->data, path, st, layers, image, len);
}

/* The whole file behind fd (st: its fstat), in a malloc'd buffer.  Read to
 * EOF rather than trusting st_size, one byte past it: a file that changes
 * under us is refused, never half-read. */
static int
read_policy_file (int fd, const struct stat *st, const char *path, char **out, size_t *len, struct og_error *err)
{
  og_cleanup_free char *buf = NULL;
  size_t off = 0;
  struct stat after;

  /* Read to EOF rather than trusting st_size, one byte past it: a file that
   * changes under us is refused, never half-read. */
  if (og_read_fd_bounded (fd, (size_t)st->st_size, &buf, &off) < 0)
    return errno == EFBIG ? og_error_set (err, 0, "policy %s changed while it was read", path)
                          : og_error_set (err, errno, "cannot read policy %s", path);
  if (off == 0)
    return og_error_set (err, 0, "policy %s is empty", path);
  if (fstat (fd, &after) < 0 || after.st_mtim.tv_sec != st->st_mtim.tv_sec
      || after.st_mtim.tv_nsec != st->st_mtim.tv_nsec || after.st_ctim.tv_sec != st->st_ctim.tv_sec
      || after.st_ctim.tv_nsec != st->st_ctim.tv_nsec || (size_t)after.st_size != off)
    return og_error_set (err, 0, "policy %s changed while it was read", path);
  *out = og_steal_pointer (&buf);
  *len = off;
  return 0;
}

/* The base's text buf and its layers, merged (policy/layers.c). */
static int
load_layered (const char *path, const char *buf, size_t len, const struct og_layers *ls, struct og_policy **out,
              struct og_json **effective, struct og_json **sources, struct og_error *err)
{
  const struct og_json_opts opts = { .max_size = OG_POLICY_MAX_SIZE, .max_depth = 16, .allow_comments = true };
  og_cleanup_json struct og_json *root = NULL;
  char **bufs = og_xcalloc (ls->n + 1, sizeof *bufs);
  size_t *lens = og_xcalloc (ls->n + 1, sizeof *lens);
  char digest[65];
  int r = -1;

  for (size_t i = 0; i < ls->n; i++)
    if (read_policy_file (ls->v[i].fd, &ls->v[i].st, ls->v[i].path, &bufs[i], &lens[i], err) < 0)
      goto out;
  if (og_json_parse (buf, len, &opts, &root, err) < 0)
    {
      og_error_wrap (err, "policy %s", path);
      goto out;
    }
  og_sha256_hex (buf, len, digest);
  r = og_layers_merge (root, path, digest, ls, bufs, lens, out, effective, sources, err);
out:
  for (size_t i = 0; i < ls->n; i++)
    free (bufs[i]);
  free (bufs);
  free (lens);
  return r;
}

/* The policy at path with its layers; from the cache when it has them all. */
static int
load_files (const char *path, const struct og_policy_cache *cache, struct og_policy **out, struct og_json **effective,
            struct og_json **sources, struct og_error *err)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not hang us */
  og_cleanup_layers struct og_layers ls = { 0 };
  og_cleanup_free char *buf = NULL, *layers = NULL;
  struct stat st;
  size_t len = 0;

  if (fd < 0)
    return og_error_set (err, errno, "cannot open policy %s", path);
  if (fstat (fd, &st) < 0)
    return og_error_set (err, errno, "cannot stat policy %s", path);
  if (!S_ISREG (st.st_mode))
    return og_error_set (err, 0, "policy %s is not a regular file", path);
  /* Whoever can write the policy can switch the boundary off. */
  if (!og_file_trusted (&st))
    return og_error_set (
        err, 0, "policy %s is writable by others (or by a non-root group) or not owned by root; refusing to trust it",
        path);
  if (st.st_size > (off_t)OG_POLICY_MAX_SIZE)
    return og_error_set (err, 0, "policy %s is larger than %u bytes", path, OG_POLICY_MAX_SIZE);
  if (og_layers_open (path, &ls, err) < 0)
    return -1;
  layers = og_layers_identity (&ls);
  if (from_cache (cache, path, &st, layers, out))
    return 0;
  if (read_policy_file (fd, &st, path, &buf, &len, err) < 0)
    return -1;
  if (ls.n == 0 && effective == NULL)
    {
      if (og_policy_parse (buf, len, path, out, err) < 0)
        return -1;
    }
  else if (load_layered (path, buf, len, &ls, out, effective, sources, err) < 0)
    return -1;
  to_cache (cache, path, &st, &ls, layers, *out);
  return 0;
}

int
og_policy_load_cached (const char *path, const struct og_policy_cache *cache, struct og_policy **out,
                       struct og_error *err)
{
  return load_files (path, cache, out, NULL, NULL, err);
}

int
og_policy_load_effective (const char *path, struct og_policy **out, struct og_json **effective,
                          struct og_json **sources, struct og_error *err)
{
  return load_files (path, NULL, out, effective, sources, err);
}
