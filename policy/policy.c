/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy loader: the policy file (and its policy.d layers), trusted and
 * read whole, parsed by the table (policy/reader.c), kept compiled in the
 * cache.
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

/* ---- entry points ------------------------------------------------------- */

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

/* The base without its "profiles" (*profiles: a copy of them, or NULL):
 * the layers merge onto the rest, the profiles onto the result. */
static struct og_json *
split_profiles (const struct og_json *root, struct og_json **profiles)
{
  struct og_json *base = og_json_clone (root);

  *profiles = NULL;
  for (size_t i = 0; base->type == OG_JSON_OBJECT && i < base->n; i++)
    if (strcmp (base->keys[i], "profiles") == 0)
      {
        *profiles = og_json_clone (base->vals[i]);
        og_json_remove_at (base, i);
        break;
      }
  return base;
}

/* The base's text buf and its layers, merged (policy/layers.c), then its
 * profiles compiled onto the result (policy/profiles_load.c). */
static int
load_layered (const char *path, const char *buf, size_t len, const struct og_layers *ls, struct og_policy **out,
              struct og_json **effective, struct og_json **sources, struct og_json **shown, struct og_error *err)
{
  const struct og_json_opts opts = { .max_size = OG_POLICY_MAX_SIZE, .max_depth = 16, .allow_comments = true };
  og_cleanup_json struct og_json *root = NULL, *base = NULL, *profiles = NULL, *merged = NULL, *src = NULL;
  og_cleanup_json struct og_json *show = shown ? og_json_new (OG_JSON_OBJECT) : NULL;
  og_cleanup_policy struct og_policy *p = NULL;
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
  base = split_profiles (root, &profiles);
  if (og_layers_merge (base, path, digest, ls, bufs, lens, &p, &merged, &src, err) < 0
      || (profiles && og_profiles_load (p, profiles, merged, src, show, err) < 0))
    goto out;
  *out = og_steal_pointer (&p);
  if (effective)
    *effective = og_steal_pointer (&merged);
  if (sources)
    *sources = og_steal_pointer (&src);
  if (shown)
    *shown = og_steal_pointer (&show);
  r = 0;
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
            struct og_json **sources, struct og_json **profiles, struct og_error *err)
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
  if (load_layered (path, buf, len, &ls, out, effective, sources, profiles, err) < 0)
    return -1;
  to_cache (cache, path, &st, &ls, layers, *out);
  return 0;
}

int
og_policy_load_cached (const char *path, const struct og_policy_cache *cache, struct og_policy **out,
                       struct og_error *err)
{
  return load_files (path, cache, out, NULL, NULL, NULL, err);
}

int
og_policy_load_effective (const char *path, struct og_policy **out, struct og_json **effective,
                          struct og_json **sources, struct og_json **profiles, struct og_error *err)
{
  return load_files (path, NULL, out, effective, sources, profiles, err);
}
