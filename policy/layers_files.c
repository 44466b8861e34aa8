/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding a policy's layers: <dir>/policy.d/NAME.json in lexical order, each
 * opened and checked as the policy itself is, and their identity for the
 * compiled-policy cache.  Merging them: policy/layers.c.
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "schema.h"

/* far more than any organisation's chain of teams; bounds the work */
#define LAYERS_MAX 64

void
og_layers_clear (struct og_layers *ls)
{
  for (size_t i = 0; i < ls->n; i++)
    {
      free (ls->v[i].path);
      if (ls->v[i].fd >= 0)
        close (ls->v[i].fd);
    }
  free (ls->v);
  ls->v = NULL;
  ls->n = 0;
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* NAME.json, not hidden: what an editor or a package manager leaves beside
 * a layer (NAME.json~, NAME.json.dpkg-old, .NAME.json.swp) is not one. */
static bool
layer_name (const char *name)
{
  size_t n = strlen (name);
  return name[0] != '.' && n > 5 && strcmp (name + n - 5, ".json") == 0;
}

/* The layer names of the directory d, sorted. */
static int
layer_names (DIR *d, const char *dir, char ***out, struct og_error *err)
{
  og_cleanup_strv char **names = og_xcalloc (LAYERS_MAX + 1, sizeof *names);
  size_t n = 0;
  struct dirent *e;

  errno = 0;
  while ((e = readdir (d)) != NULL)
    {
      if (!layer_name (e->d_name))
        continue;
      if (n == LAYERS_MAX)
        return og_error_set (err, 0, "policy layers %s: more than %d files", dir, LAYERS_MAX);
      names[n++] = og_xstrdup (e->d_name);
    }
  if (errno != 0)
    return og_error_set (err, errno, "cannot read policy layers %s", dir);
  qsort (names, n, sizeof *names, by_name);
  *out = og_steal_pointer (&names);
  return 0;
}

/* Opens one layer and checks it as the policy itself is checked. */
static int
open_layer (int dfd, const char *dir, const char *name, struct og_layer *l, struct og_error *err)
{
  l->path = og_xasprintf ("%s/%s", dir, name);
  l->fd = openat (dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (l->fd < 0)
    return og_error_set (err, errno, "cannot open policy %s", l->path);
  if (fstat (l->fd, &l->st) < 0)
    return og_error_set (err, errno, "cannot stat policy %s", l->path);
  if (!S_ISREG (l->st.st_mode))
    return og_error_set (err, 0, "policy %s is not a regular file", l->path);
  /* whoever can write a layer can loosen what the base allows it to */
  if (!og_file_trusted (&l->st))
    return og_error_set (
        err, 0, "policy %s is writable by others (or by a non-root group) or not owned by root; refusing to trust it",
        l->path);
  if (l->st.st_size > (off_t)OG_POLICY_MAX_SIZE)
    return og_error_set (err, 0, "policy %s is larger than %u bytes", l->path, OG_POLICY_MAX_SIZE);
  return 0;
}

/* <dir>/policy.d of the policy at path; without printf, which would cost
 * every cached load of a policy without layers measurably. */
static char *
layers_dir (const char *path)
{
  const char *slash = strrchr (path, '/');
  size_t n = slash ? (size_t)(slash - path) + 1 : 0;
  char *dir = og_xmalloc (n + sizeof "policy.d");

  memcpy (dir, path, n);
  memcpy (dir + n, "policy.d", sizeof "policy.d");
  return dir;
}

/* The directory holding the policy at path, open; -1 when it cannot be
 * trusted.  Whoever can write it can rename policy.d away, and with it what
 * every layer tightened: policy.d missing is no error.  A sticky directory
 * (/tmp) of root's lets no one else rename root's policy.d. */
static int
open_policy_dir (const char *path, struct og_error *err)
{
  const char *slash = strrchr (path, '/');
  og_cleanup_free char *dir = slash == path ? og_xstrdup ("/")
                              : slash       ? og_xstrndup (path, (size_t)(slash - path))
                                            : og_xstrdup (".");
  og_cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return og_error_set (err, errno, "cannot open the directory of policy %s", path);
  if (!og_file_trusted (&st) && !((st.st_mode & S_ISVTX) && (st.st_uid == 0 || st.st_uid == geteuid ())))
    return og_error_set (err, 0,
                         "the directory of policy %s (%s) is writable by others (or by a non-root group) or not "
                         "owned by root, so policy.d could be renamed away; refusing to trust it",
                         path, dir);
  return og_steal_fd (&fd);
}

int
og_layers_open (const char *path, struct og_layers *ls, struct og_error *err)
{
  og_cleanup_free char *dir = layers_dir (path);
  og_cleanup_close int pfd = -1;
  og_cleanup_dir DIR *d = NULL;
  og_cleanup_strv char **names = NULL;
  struct stat st;

  ls->v = NULL;
  ls->n = 0;
  if ((pfd = open_policy_dir (path, err)) < 0)
    return -1;
  d = og_fdopendir (openat (pfd, "policy.d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d == NULL && errno == ENOENT)
    return 0;
  if (d == NULL)
    return og_error_set (err, errno, "cannot open policy layers %s", dir);
  /* whoever can remove a layer takes back what it tightened */
  if (fstat (dirfd (d), &st) < 0)
    return og_error_set (err, errno, "cannot stat policy layers %s", dir);
  if (!og_file_trusted (&st))
    return og_error_set (err, 0,
                         "policy layers %s are writable by others (or by a non-root group) or not owned by root; "
                         "refusing to trust them",
                         dir);
  if (layer_names (d, dir, &names, err) < 0)
    return -1;
  ls->v = og_xcalloc (og_strv_len (names) + 1, sizeof *ls->v);
  for (size_t i = 0; names[i]; i++)
    {
      ls->v[ls->n].fd = -1;
      ls->n++;
      if (open_layer (dirfd (d), dir, names[i], &ls->v[i], err) < 0)
        {
          og_layers_clear (ls);
          return -1;
        }
    }
  return 0;
}

char *
og_layers_identity (const struct og_layers *ls)
{
  struct og_buf b = { 0 };

  if (ls->n == 0)
    return og_xstrdup ("");
  for (size_t i = 0; i < ls->n; i++)
    {
      const struct stat *st = &ls->v[i].st;
      og_cleanup_free char *line
          = og_xasprintf ("layer %" PRIx64 "-%" PRIx64 " %lld %lld.%09ld %lld.%09ld %s\n", (uint64_t)st->st_dev,
                          (uint64_t)st->st_ino, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
                          st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, ls->v[i].path);
      og_buf_puts (&b, line);
    }
  return b.buf;
}

bool
og_layers_cacheable (const struct og_layers *ls, const struct timespec *now)
{
  for (size_t i = 0; i < ls->n; i++)
    if (!og_policy_cacheable (&ls->v[i].st, now))
      return false;
  return true;
}

bool
og_policy_cacheable (const struct stat *st, const struct timespec *now)
{
  /* Two seconds: more than a clock tick and than the coarsest timestamps
   * (FAT's two seconds) a policy file could have. */
  return now->tv_sec - st->st_ctim.tv_sec > 2
         || (now->tv_sec - st->st_ctim.tv_sec == 2 && now->tv_nsec >= st->st_ctim.tv_nsec);
}
