/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mounts: a bind mount hands a piece of the host to the container.  Refuse
 * daemon sockets (root on the host through the engine's API), directories
 * that contain them, and sensitive host trees.  Sources are resolved the way
 * the kernel will resolve them (symlinks, "..", "//", relative to the
 * bundle) and rewritten to the resolved path, so runc mounts what we checked.
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"

/* Filesystem types whose mounts take no host path: new kernel instances. */
static const char *const pathless_types[] = { "proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", NULL };

struct denied_socket
{
  const char *listed; /* as written in the policy */
  char *resolved;     /* realpath, NULL if absent on this host */
  dev_t dev;
  ino_t ino;
  nlink_t nlink;
};

struct mount_check
{
  const struct og_enforce_ctx *ctx;
  struct denied_socket *sockets;
  size_t nsockets;
  char *bundle_abs;
  char **trees; /* deny_trees, each resolved once (as listed if absent) */
  struct og_decisions *d;
};

static void
load_denied_sockets (struct mount_check *mc)
{
  char **list = mc->ctx->policy->mounts.deny_sockets;
  size_t n = og_strv_len (list);

  mc->sockets = og_xcalloc (n + 1, sizeof *mc->sockets);
  for (size_t i = 0; i < n; i++)
    {
      struct denied_socket *s = &mc->sockets[mc->nsockets++];
      struct stat st;

      s->listed = list[i];
      s->resolved = og_realpath (list[i]);
      if (s->resolved && stat (s->resolved, &st) == 0)
        {
          s->dev = st.st_dev;
          s->ino = st.st_ino;
          s->nlink = st.st_nlink;
        }
    }
}

static void
resolve_trees (struct mount_check *mc)
{
  char **list = mc->ctx->policy->mounts.deny_trees;
  size_t n = og_strv_len (list);

  mc->trees = og_xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      mc->trees[i] = og_realpath (list[i]);
      if (mc->trees[i] == NULL)
        mc->trees[i] = og_xstrdup (list[i]);
    }
}

static void
free_mount_check (struct mount_check *mc)
{
  og_strv_free (mc->trees);
  for (size_t i = 0; i < mc->nsockets; i++)
    free (mc->sockets[i].resolved);
  free (mc->sockets);
  free (mc->bundle_abs);
}

static const struct denied_socket *
denied_by_inode (const struct mount_check *mc, const struct stat *st)
{
  for (size_t i = 0; i < mc->nsockets; i++)
    if (mc->sockets[i].resolved && mc->sockets[i].dev == st->st_dev && mc->sockets[i].ino == st->st_ino)
      return &mc->sockets[i];
  return NULL;
}

static bool
denied_by_name (const struct mount_check *mc, const char *name)
{
  for (size_t i = 0; i < mc->nsockets; i++)
    {
      const char *base = strrchr (mc->sockets[i].listed, '/');
      if (base && strcmp (base + 1, name) == 0)
        return true;
    }
  return false;
}

static bool
is_bind (const struct og_json *m)
{
  struct og_json *type = og_json_get_set (m, "type");
  struct og_json *opts = og_json_get_set (m, "options");

  if (og_json_is_string (type) && strcmp (type->text, "bind") == 0)
    return true;
  return og_json_array_has_string (opts, "bind") || og_json_array_has_string (opts, "rbind");
}

/* pattern with its "{id}" at `hole` replaced by id (no printf: this runs
 * for every pattern and every bind source). */
static char *
expand_id (const char *pattern, const char *hole, const char *id)
{
  size_t pre = (size_t)(hole - pattern), idlen = strlen (id), post = strlen (hole + 4);
  char *out = og_xmalloc (pre + idlen + post + 1);

  memcpy (out, pattern, pre);
  memcpy (out + pre, id, idlen);
  memcpy (out + pre + idlen, hole + 4, post + 1);
  return out;
}

/* "mounts[i]" followed by suffix, into buf (no printf: this runs for every
 * mount). */
static void
mount_path (char *buf, size_t size, size_t i, const char *suffix)
{
  char digits[24];
  size_t n = 0, len;

  do
    digits[n++] = (char)('0' + i % 10);
  while ((i /= 10) != 0);
  len = strlen ("mounts[") + n + 1 + strlen (suffix);
  if (len >= size)
    abort (); /* callers size buf for any size_t and their suffix */
  memcpy (buf, "mounts[", 7);
  for (size_t k = 0; k < n; k++)
    buf[7 + k] = digits[n - 1 - k];
  buf[7 + n] = ']';
  memcpy (buf + 8 + n, suffix, strlen (suffix) + 1);
}

/* Does the allowlist name this resolved source?  "{id}" expands to the
 * container id; without an id such patterns match nothing. */
static bool
source_allowed (const struct mount_check *mc, const char *resolved)
{
  const char *id = mc->ctx->container_id;

  for (char **pat = mc->ctx->policy->mounts.allow_sources; pat && *pat; pat++)
    {
      og_cleanup_free char *expanded = NULL;
      const char *hole = strstr (*pat, "{id}");

      if (hole)
        {
          if (id == NULL || id[0] == '\0' || strchr (id, '/') || strpbrk (id, "*?["))
            continue;
          expanded = expand_id (*pat, hole, id);
        }
      /* Patterns are matched against the resolved path; "*" stays within
       * one path component so a pattern cannot reach into other trees. */
      if (fnmatch (expanded ? expanded : *pat, resolved, FNM_PATHNAME) == 0)
        return true;
    }
  return false;
}

/* A sensitive tree (resolved when it exists) that `resolved` lies in or
 * contains; NULL if none. */
static char *
sensitive_tree (const struct mount_check *mc, const char *resolved)
{
  for (size_t i = 0; mc->trees && mc->trees[i]; i++)
    {
      const char *const *t = (const char *const *)&mc->ctx->policy->mounts.deny_trees[i];
      const char *tree = mc->trees[i];

      if (strcmp (tree, "/") == 0 ? strcmp (resolved, "/") == 0 : og_path_under (resolved, tree))
        return og_xstrdup (*t);
      if (og_path_under (tree, resolved))
        return og_xstrdup (*t);
    }
  return NULL;
}

struct scan
{
  const struct mount_check *mc;
  unsigned entries, max_entries, max_depth;
  bool truncated;
  char *found; /* first offending socket */
  bool found_daemon;
  bool daemon_only; /* report only the daemon sockets (by inode or name) */
};

static void
scan_dir (struct scan *s, int dirfd, const char *path, unsigned depth)
{
  DIR *dir;
  struct dirent *e;

  if (depth > s->max_depth)
    {
      s->truncated = true;
      return;
    }
  dir = fdopendir (dirfd);
  if (dir == NULL)
    {
      close (dirfd);
      s->truncated = true; /* unreadable: cannot vouch for it */
      return;
    }
  while (!s->found && (e = readdir (dir)) != NULL)
    {
      struct stat st;

      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (++s->entries > s->max_entries)
        {
          s->truncated = true;
          break;
        }
      if (fstatat (dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISSOCK (st.st_mode))
        {
          bool daemon = denied_by_inode (s->mc, &st) || denied_by_name (s->mc, e->d_name);
          if (daemon || (s->mc->ctx->policy->mounts.deny_any_socket && !s->daemon_only))
            {
              s->found = og_xasprintf ("%s/%s", path, e->d_name);
              s->found_daemon = daemon;
            }
        }
      else if (S_ISDIR (st.st_mode))
        {
          int fd = openat (dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          og_cleanup_free char *sub = og_xasprintf ("%s/%s", strcmp (path, "/") ? path : "", e->d_name);
          if (fd < 0)
            {
              s->truncated = true;
              continue;
            }
          scan_dir (s, fd, sub, depth + 1);
        }
    }
  closedir (dir);
}

static void refuse (const struct mount_check *mc, const char *path, const char *source, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
refuse (const struct mount_check *mc, const char *path, const char *source, const char *fmt, ...)
{
  og_cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  og_rule_refuse (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", path,
                  og_json_to_text (&(const struct og_json){
                      .type = OG_JSON_STRING, .text = (char *)source, .len = strlen (source) }),
                  "%s", msg);
}

/* A daemon socket with more than one name has a hard link somewhere, and
 * a link can only live on the socket's own filesystem: a rootfs there is
 * scanned for one, by inode, within the scan limits (normally the socket
 * has one name and nothing is scanned).  For the rootfs and allowlisted
 * bind sources, which are not scanned otherwise.  `fd` (or -1: by path)
 * is the object judged.  Returns false when it refused. */
static bool
free_of_socket_links (const struct mount_check *mc, const char *path, const char *what, const char *resolved, int fd)
{
  const struct og_policy *p = mc->ctx->policy;
  struct scan s = {
    .mc = mc, .max_entries = p->mounts.scan_max_entries, .max_depth = p->mounts.scan_max_depth, .daemon_only = true
  };
  struct stat st;
  bool linked = false;
  int dirfd;

  if ((fd >= 0 ? fstat (fd, &st) : stat (resolved, &st)) < 0)
    return true; /* the resolution above just found it; runc will fail */
  for (size_t i = 0; i < mc->nsockets; i++)
    linked |= mc->sockets[i].resolved && mc->sockets[i].nlink > 1 && mc->sockets[i].dev == st.st_dev;
  if (!linked)
    return true;
  dirfd = fd >= 0 ? openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                  : open (resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    s.truncated = true;
  else
    scan_dir (&s, dirfd, resolved, 0);
  if (s.found)
    refuse (mc, path, resolved, "%s %s contains the daemon socket %s (a link to it)", what, resolved, s.found);
  else if (s.truncated)
    refuse (mc, path, resolved,
            "%s %s is on the filesystem of a daemon socket and could not be fully scanned for links to it (more "
            "than %u entries, deeper than %u levels, or unreadable)",
            what, resolved, p->mounts.scan_max_entries, p->mounts.scan_max_depth);
  free (s.found);
  return !s.found && !s.truncated;
}

/* Judge one resolved bind source: `resolved` is the name of the object
 * open at `fd`, and what is judged is that object (the runtime mounts it).
 * Returns true when it may be mounted. */
static bool
judge_source (const struct mount_check *mc, const char *path, const char *resolved, int fd)
{
  const struct og_policy *p = mc->ctx->policy;
  struct stat st;
  const struct denied_socket *ds;
  bool allowlisted;

  if (fstat (fd, &st) < 0)
    {
      refuse (mc, path, resolved, "bind source %s cannot be checked (%s)", resolved, strerror (errno));
      return false;
    }
  if (S_ISSOCK (st.st_mode))
    {
      if ((ds = denied_by_inode (mc, &st)) != NULL)
        {
          refuse (mc, path, resolved, "bind mount of %s is the daemon socket %s", resolved, ds->listed);
          return false;
        }
      if (p->mounts.deny_any_socket)
        {
          refuse (mc, path, resolved, "bind mount of %s is a socket", resolved);
          return false;
        }
    }
  for (size_t i = 0; i < mc->nsockets; i++)
    if (mc->sockets[i].resolved && strcmp (resolved, mc->sockets[i].resolved) != 0
        && og_path_under (mc->sockets[i].resolved, resolved))
      {
        refuse (mc, path, resolved, "bind mount of %s contains the daemon socket %s", resolved, mc->sockets[i].listed);
        return false;
      }
  allowlisted = source_allowed (mc, resolved);
  if (!allowlisted)
    {
      og_cleanup_free char *tree = sensitive_tree (mc, resolved);
      if (tree)
        {
          refuse (mc, path, resolved, "bind mount of %s exposes the sensitive host tree %s", resolved, tree);
          return false;
        }
    }
  if (S_ISDIR (st.st_mode) && allowlisted)
    return free_of_socket_links (mc, path, "bind mount of", resolved, fd);
  if (S_ISDIR (st.st_mode) && !allowlisted)
    {
      struct scan s = { .mc = mc, .max_entries = p->mounts.scan_max_entries, .max_depth = p->mounts.scan_max_depth };
      int dirfd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      bool ok;

      if (dirfd < 0)
        s.truncated = true;
      else
        scan_dir (&s, dirfd, resolved, 0);
      if (s.found)
        refuse (mc, path, resolved, "bind mount of %s contains the socket %s", resolved, s.found);
      else if (s.truncated)
        refuse (mc, path, resolved,
                "bind mount of %s could not be fully scanned for sockets (more than %u entries, deeper than %u "
                "levels, or unreadable); list it in mounts.allow_sources if it is safe",
                resolved, p->mounts.scan_max_entries, p->mounts.scan_max_depth);
      ok = !s.found && !s.truncated;
      free (s.found);
      return ok;
    }
  return true;
}

static void
force_options (const struct mount_check *mc, struct og_json *m, const char *mpath)
{
  char **force = mc->ctx->policy->mounts.force_options;
  struct og_json *opts = og_json_get_set (m, "options");
  og_cleanup_json struct og_json *want = NULL;
  char path[64];
  bool changed = false;

  if (force == NULL || force[0] == NULL)
    return;
  if (strlen (mpath) + sizeof ".options" > sizeof path)
    abort (); /* mount_path's output is shorter */
  memcpy (stpcpy (path, mpath), ".options", sizeof ".options");
  if (opts && opts->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (mc->d, "mounts", path, opts, "an array of strings");
      return;
    }
  want = opts ? og_json_clone (opts) : og_json_new (OG_JSON_ARRAY);
  for (char **f = force; *f; f++)
    {
      /* "nosuid" is undone by a later "suid", "nodev" by "dev", ... */
      const char *undo = strncmp (*f, "no", 2) == 0 ? *f + 2 : NULL;
      for (size_t i = 0; undo && i < want->n; i++)
        if (og_json_is_string (want->vals[i]) && strcmp (want->vals[i]->text, undo) == 0)
          {
            og_json_remove_at (want, i--);
            changed = true;
          }
      if (!og_json_array_has_string (want, *f))
        {
          og_json_append (want, og_json_new_string (*f));
          changed = true;
        }
    }
  if (changed
      && og_rule_change (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", path, og_json_to_text (opts),
                         og_json_to_text (want), "bind mounts get the forced options"))
    og_json_set (m, "options", og_steal_pointer (&want));
}

/* The root of a mount: something mounted there (a volume made with
 * driver options is a bind of, or a filesystem over, any host path), not a
 * directory the engine made. */
static bool
is_mount_root (int fd)
{
  struct statx stx;

  if (statx (fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx) < 0)
    return true; /* cannot tell: not owned */
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0 || (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Hand the judged object to the runtime (ctx->judged).  Owned (idmapped
 * under a user namespace): an allow_sources match that is the engine's own
 * directory or file, not a mount of something else there. */
static void
keep_judged (const struct mount_check *mc, const struct og_json *m, int fd, const char *resolved)
{
  struct og_judged_sources *j = mc->ctx->judged;
  bool owned = source_allowed (mc, resolved) && !is_mount_root (fd);

  j->v = og_xrealloc (j->v, (j->n + 1) * sizeof *j->v);
  j->v[j->n++] = (struct og_judged_source){ .mount = m, .fd = fd, .owned = owned };
}

static void
check_mount (struct mount_check *mc, struct og_json *m, size_t i)
{
  char mpath[64], spath[64];
  og_cleanup_free char *joined = NULL;
  og_cleanup_free char *resolved = NULL;
  og_cleanup_close int fd = -1;
  struct og_json *type, *src;

  mount_path (mpath, sizeof mpath, i, "");
  mount_path (spath, sizeof spath, i, ".source");
  if (m->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (mc->d, "mounts", mpath, m, "an object");
      return;
    }
  type = og_json_get_set (m, "type");
  src = og_json_get_set (m, "source");
  if (type && !og_json_is_string (type))
    {
      og_rule_malformed (mc->d, "mounts", mpath, type, "a string type");
      return;
    }
  if (!is_bind (m))
    {
      /* Other filesystems take host paths in source or options (overlay
       * lowerdir=, a block device) that this rule cannot judge. */
      if (type == NULL || !og_strv_contains ((char *const *)pathless_types, type->text))
        og_rule_refuse (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", mpath, og_json_to_text (type),
                        "mount type %s at %s is not allowed (only bind and %s)", type ? type->text : "(none)", mpath,
                        "proc, sysfs, tmpfs, devpts, mqueue, cgroup");
      return;
    }
  if (!og_json_is_string (src) || src->len == 0)
    {
      og_rule_malformed (mc->d, "mounts", spath, src, "a non-empty path");
      return;
    }
  joined = src->text[0] == '/' ? og_xstrdup (src->text) : og_xasprintf ("%s/%s", mc->bundle_abs, src->text);
  /* Opened once: the path is judged as this object's name and the object
   * is what the runtime mounts (renamed meanwhile or not). */
  resolved = og_realpath_open (joined, &fd);
  if (resolved == NULL)
    {
      refuse (mc, spath, src->text, "bind source %s cannot be resolved (%s)", src->text, strerror (errno));
      return;
    }
  if (!judge_source (mc, spath, resolved, fd))
    return;
  if (mc->ctx->judged)
    keep_judged (mc, m, og_steal_fd (&fd), resolved);
  if (strcmp (resolved, src->text) != 0)
    {
      struct og_json *nsrc = og_json_new_string (resolved);
      if (og_rule_change (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", spath, og_json_to_text (src),
                          og_json_to_text (nsrc), "bind source rewritten to its resolved path"))
        og_json_set (m, "source", nsrc);
      else
        og_json_free (nsrc);
    }
  force_options (mc, m, mpath);
}

/* The rootfs itself is a host path: "/" or an ancestor of a sensitive tree
 * would hand the container the host (and the daemon's socket). */
static void
check_root_path (struct mount_check *mc, struct og_json *spec)
{
  struct og_json *path = og_json_path (spec, "root", "path", NULL);
  og_cleanup_free char *joined = NULL, *resolved = NULL;

  if (!og_json_is_string (path) || path->len == 0)
    {
      og_rule_malformed (mc->d, "mounts", "root.path", path, "a non-empty path");
      return;
    }
  joined = path->text[0] == '/' ? og_xstrdup (path->text) : og_xasprintf ("%s/%s", mc->bundle_abs, path->text);
  resolved = og_realpath (joined);
  if (resolved == NULL)
    {
      refuse (mc, "root.path", path->text, "root filesystem %s cannot be resolved (%s)", path->text, strerror (errno));
      return;
    }
  for (size_t i = 0; i < mc->nsockets; i++)
    if (mc->sockets[i].resolved && og_path_under (mc->sockets[i].resolved, resolved))
      {
        refuse (mc, "root.path", resolved, "root filesystem %s contains the daemon socket %s", resolved,
                mc->sockets[i].listed);
        return;
      }
  if (!free_of_socket_links (mc, "root.path", "root filesystem", resolved, -1))
    return;
  for (size_t i = 0; mc->trees && mc->trees[i]; i++)
    {
      const char *const *t = (const char *const *)&mc->ctx->policy->mounts.deny_trees[i];
      const char *tree = mc->trees[i];
      bool kernel_tree = strcmp (tree, "/proc") == 0 || strcmp (tree, "/sys") == 0 || strcmp (tree, "/dev") == 0;

      /* Engines keep image roots under their state dirs (a deny tree), so
       * only an ancestor of a tree, or a kernel tree, is refused here. */
      if (og_path_under (tree, resolved) || (kernel_tree && og_path_under (resolved, tree)))
        {
          refuse (mc, "root.path", resolved, "root filesystem %s exposes the sensitive host tree %s", resolved, *t);
          return;
        }
    }
  /* runc mounts what was checked, not what a swapped symlink names later. */
  if (strcmp (resolved, path->text) != 0)
    {
      struct og_json *np = og_json_new_string (resolved);
      if (og_rule_change (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", "root.path", og_json_to_text (path),
                          og_json_to_text (np), "root path rewritten to its resolved path"))
        og_json_set (og_json_get (spec, "root"), "path", np);
      else
        og_json_free (np);
    }
}

int
og_rule_mounts (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *mounts = og_json_get_set (spec, "mounts");
  struct mount_check mc = { .ctx = ctx, .d = d };

  if (mounts && mounts->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "mounts", "mounts", mounts, "an array");
      return 0;
    }
  mc.bundle_abs = og_realpath (ctx->bundle ? ctx->bundle : ".");
  if (mc.bundle_abs == NULL)
    return og_error_set (err, errno, "cannot resolve bundle %s", ctx->bundle ? ctx->bundle : ".");
  load_denied_sockets (&mc);
  resolve_trees (&mc);
  check_root_path (&mc, spec);
  for (size_t i = 0; mounts && i < mounts->n; i++)
    check_mount (&mc, mounts->vals[i], i);
  free_mount_check (&mc);
  return 0;
}
