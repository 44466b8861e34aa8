/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mounts: a bind mount hands a piece of the host to the container.  Refuse
 * daemon sockets (root on the host through the engine's API), directories
 * that contain them, and sensitive host trees.  Sources are resolved the way
 * the kernel will resolve them (symlinks, "..", "//", relative to the
 * bundle) and rewritten to the resolved path, so runc mounts what we checked.
 * A source is also judged by the mount that backs it (mountinfo), since an
 * allowed path may be a mount of anything.  Destinations are resolved in the
 * rootfs as runc will (symlinks, "..", earlier mounts): nothing is mounted
 * over or remounted in /proc and /sys, and kernel filesystems (proc, sysfs,
 * cgroup) land only where the masked and read-only paths protect them.
 * Options that undo the forced ones are stripped, whatever their spelling.
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
#include <time.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "dest_index.h"
#include "rule.h"
#include "ocigate/mountinfo.h"
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

/* A pattern list expanded once per create: every source is matched against
 * each list, and the expansion of "{id}" and the pod's placeholders is the
 * same for all of them.  lit: the length of the pattern's plain start,
 * which a path it matches must begin with (fnmatch compares those bytes
 * as they are), so most patterns are passed over without fnmatch. */
struct expanded_patterns
{
  bool done;
  char **v; /* each expanded; NULL: its placeholder has no trusted value */
  size_t *lit;
  size_t n;
};

/* The policy's pattern lists a path is matched against. */
enum pattern_list
{
  ALLOW_SOURCES,
  ALLOW_ROOTS,
  READONLY_EXCEPT,
  PATTERN_LISTS
};

/* One budget for every scan of a create, so many binds cannot add up to
 * minutes (250 large sources took 8.5 s with a budget per mount). */
struct scan_budget
{
  unsigned entries_left;
  struct timespec deadline;
  bool spent;
};

struct mount_check
{
  const struct og_enforce_ctx *ctx;
  struct denied_socket *sockets;
  size_t nsockets;
  char *bundle_abs;
  char *rootfs; /* root.path resolved; NULL when it could not be */
  char **trees; /* deny_trees, each resolved once (as listed if absent) */
  struct og_decisions *d;
  struct scan_budget *budget;
  struct og_mounttable *table;        /* read on first use */
  char **dests;                       /* mounts[i].destination resolved in the rootfs */
  struct og_dest_index by_dest;       /* dests[0..i) by path while mount i is judged */
  char **sources;                     /* mounts[i] resolved bind source, NULL if not a bind */
  struct expanded_patterns *patterns; /* [PATTERN_LISTS], expanded on first use */
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
free_mount_check (struct mount_check *mc, size_t nmounts)
{
  for (size_t i = 0; i < nmounts; i++)
    {
      free (mc->dests[i]);
      free (mc->sources[i]);
    }
  free (mc->dests);
  free (mc->sources);
  og_dest_index_free (&mc->by_dest);
  for (size_t i = 0; i < PATTERN_LISTS; i++)
    {
      for (size_t k = 0; k < mc->patterns[i].n; k++)
        free (mc->patterns[i].v[k]);
      free (mc->patterns[i].v);
      free (mc->patterns[i].lit);
    }
  free (mc->rootfs);
  og_mounttable_free (mc->table);
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

static char **
pattern_list (const struct mount_check *mc, enum pattern_list which)
{
  const struct og_policy *p = mc->ctx->policy;

  switch (which)
    {
      case ALLOW_SOURCES:
        return p->mounts.allow_sources;
      case ALLOW_ROOTS:
        return p->mounts.allow_roots;
      case READONLY_EXCEPT:
        return p->mounts.readonly_binds_except;
      case PATTERN_LISTS:
        break;
    }
  abort ();
}

/* Does one of the patterns of a list name this resolved path?  "{id}"
 * expands to the container id, "{pod_uid}" and "{sandbox_id}" to the pod's
 * when the engine facts say the CRI made the config (og_pattern_expand); a
 * pattern whose placeholder has no trusted value matches nothing. */
static bool
pattern_names (const struct mount_check *mc, enum pattern_list which, const char *resolved)
{
  struct expanded_patterns *e = &mc->patterns[which];

  if (!e->done)
    {
      char **patterns = pattern_list (mc, which);
      e->done = true;
      e->n = og_strv_len (patterns);
      e->v = og_xcalloc (e->n + 1, sizeof *e->v);
      e->lit = og_xcalloc (e->n + 1, sizeof *e->lit);
      for (size_t k = 0; k < e->n; k++)
        {
          e->v[k] = og_pattern_expand (patterns[k], mc->ctx->container_id, mc->ctx->facts);
          e->lit[k] = e->v[k] ? strcspn (e->v[k], "*?[\\") : 0;
        }
    }
  for (size_t k = 0; k < e->n; k++)
    /* Patterns are matched against the resolved path; "*" stays within
     * one path component so a pattern cannot reach into other trees. */
    if (e->v[k] && strncmp (e->v[k], resolved, e->lit[k]) == 0 && fnmatch (e->v[k], resolved, FNM_PATHNAME) == 0)
      return true;
  return false;
}

/* Does the allowlist name this resolved source? */
static bool
source_allowed (const struct mount_check *mc, const char *resolved)
{
  return pattern_names (mc, ALLOW_SOURCES, resolved);
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
  unsigned max_depth;
  bool truncated;
  bool over_budget; /* the create's budget ran out (a kind of truncation) */
  char *found;      /* first offending socket */
  bool found_daemon;
  bool daemon_only; /* report only the daemon sockets (by inode or name) */
};

static bool
budget_take (struct scan_budget *b)
{
  struct timespec now;

  if (b->spent || b->entries_left == 0)
    return b->spent = true;
  /* the clock is read every 256 entries: cheap, and the time overshoots
   * by at most that many entries */
  if ((--b->entries_left & 255) == 0 && clock_gettime (CLOCK_MONOTONIC, &now) == 0
      && (now.tv_sec > b->deadline.tv_sec || (now.tv_sec == b->deadline.tv_sec && now.tv_nsec > b->deadline.tv_nsec)))
    return b->spent = true;
  return false;
}

static void
scan_dir (struct scan *s, int dirfd, const char *path, unsigned depth)
{
  /* owns dirfd from here: a directory too deep to scan closes it too */
  og_cleanup_dir DIR *dir = og_fdopendir (dirfd);
  struct dirent *e;

  if (dir == NULL || depth > s->max_depth)
    {
      s->truncated = true; /* unreadable or too deep: cannot vouch for it */
      return;
    }
  while (!s->found && !s->over_budget && (e = readdir (dir)) != NULL)
    {
      struct stat st;

      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (budget_take (s->mc->budget))
        {
          s->truncated = s->over_budget = true;
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

static void
refuse_over_budget (const struct mount_check *mc, const char *path, const char *what, const char *resolved,
                    const char *scanned)
{
  const struct og_policy *p = mc->ctx->policy;

  refuse (mc, path, resolved,
          "%s %s %s: the scan budget of one create (%u entries and %u ms across every mount) is spent", what, resolved,
          scanned, p->mounts.scan_max_entries, p->mounts.scan_max_ms);
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
  struct scan s = { .mc = mc, .max_depth = p->mounts.scan_max_depth, .daemon_only = true };
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
  else if (s.over_budget)
    refuse_over_budget (mc, path, what, resolved,
                        "is on the filesystem of a daemon socket and could not be fully scanned for links to it");
  else if (s.truncated)
    refuse (mc, path, resolved,
            "%s %s is on the filesystem of a daemon socket and could not be fully scanned for links to it (more "
            "than %u entries, deeper than %u levels, or unreadable)",
            what, resolved, p->mounts.scan_max_entries, p->mounts.scan_max_depth);
  free (s.found);
  return !s.found && !s.truncated;
}

/* Every socket below a directory source (deny_any_socket) or the daemon's. */
static bool
free_of_sockets (const struct mount_check *mc, const char *path, const char *what, const char *resolved, int obj)
{
  const struct og_policy *p = mc->ctx->policy;
  struct scan s = { .mc = mc, .max_depth = p->mounts.scan_max_depth };
  /* the judged object itself when the caller has it open (-1: the path) */
  int fd = obj >= 0 ? openat (obj, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    : open (resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  bool ok;

  if (fd < 0)
    s.truncated = true;
  else
    scan_dir (&s, fd, resolved, 0);
  if (s.found)
    refuse (mc, path, resolved, "%s %s contains the socket %s", what, resolved, s.found);
  else if (s.over_budget)
    refuse_over_budget (mc, path, what, resolved, "could not be fully scanned for sockets");
  else if (s.truncated)
    refuse (mc, path, resolved,
            "%s %s could not be fully scanned for sockets (more than %u entries, deeper than %u "
            "levels, or unreadable); list it in mounts.allow_sources if it is safe",
            what, resolved, p->mounts.scan_max_entries, p->mounts.scan_max_depth);
  ok = !s.found && !s.truncated;
  free (s.found);
  return ok;
}

static const struct og_mounttable *
mount_table (const struct mount_check *mc, const char *path, const char *resolved)
{
  struct og_error err = { 0 };

  if (mc->table->v != NULL)
    return mc->table;
  if (og_mounttable_read ("/proc/self/mountinfo", mc->table, &err) < 0 || mc->table->n == 0)
    {
      /* no table, no idea what is mounted where: refuse */
      refuse (mc, path, resolved, "bind source %s cannot be judged: %s", resolved,
              err.msg ? err.msg : "/proc/self/mountinfo is empty");
      og_error_clear (&err);
      return NULL;
    }
  return mc->table;
}

/* Filesystems a mount may bring without a host path behind them: a fresh
 * instance in memory (Docker's per-container /dev/shm, tmpfs volumes). */
static bool
fresh_fs (const char *fstype)
{
  return strcmp (fstype, "tmpfs") == 0 || strcmp (fstype, "ramfs") == 0;
}

/* Judge one mount `m` seen at `at` (the source or a mount below it) by the
 * other places its object is visible on the host: a Docker local-driver
 * volume with device=/etc is host /etc, whatever its path says.  Only a
 * mount that is not its filesystem's first (a bind of a subtree, a device
 * mounted again) is judged by its other names; for an allowlisted source
 * only a mount placed at or below it (not a data root that is a bind). */
static bool
judge_mount (const struct mount_check *mc, const char *path, const char *source, const struct og_mounttable *t,
             const struct og_mount *m, const char *at, bool allowlisted)
{
  const char *what = strcmp (path, "root.path") == 0 ? "root filesystem" : "bind source";
  const struct og_mount *first = og_mounttable_first_of (t, m);
  bool here = og_path_under (m->point, at);
  og_cleanup_strv char **aliases = NULL;

  if (allowlisted && !here)
    return true;
  /* A filesystem first mounted at an allowed source was put there by a
   * volume driver (an overlay of /etc, a disk mounted nowhere else), and so
   * is every bind of it (a second volume bound from the first). */
  if (!fresh_fs (first->fstype) && source_allowed (mc, first->point))
    {
      refuse (mc, path, source,
              "%s %s is a mount of a %s filesystem (device %u:%u) that no host path shows (first mounted at %s): "
              "what it holds cannot be judged",
              what, source, first->fstype, first->major, first->minor, first->point);
      return false;
    }
  if (first == m)
    return true;
  aliases = og_mounttable_aliases (t, m, at);
  for (char **a = aliases; *a; a++)
    {
      og_cleanup_free char *tree = NULL;

      if (source_allowed (mc, *a))
        continue;
      if ((tree = sensitive_tree (mc, *a)) != NULL)
        {
          refuse (mc, path, source, "%s %s is a mount of host %s (%s), in the sensitive host tree %s", what, source, *a,
                  m->fstype, tree);
          return false;
        }
      for (size_t i = 0; i < mc->nsockets; i++)
        if (mc->sockets[i].resolved && og_path_under (mc->sockets[i].resolved, *a))
          {
            refuse (mc, path, source, "%s %s is a mount of host %s, which contains the daemon socket %s", what, source,
                    *a, mc->sockets[i].listed);
            return false;
          }
    }
  return true;
}

/* A source is what is mounted there: the mount backing it and every mount
 * below it (an rbind takes them along). */
static bool
judge_backing (const struct mount_check *mc, const char *path, const char *resolved, bool allowlisted, int obj)
{
  const struct og_mounttable *t = mount_table (mc, path, resolved);
  const struct og_mount *m;

  if (t == NULL)
    return false;
  m = og_mounttable_backing (t, resolved);
  if (m == NULL)
    {
      refuse (mc, path, resolved, "bind source %s is on no mount in /proc/self/mountinfo", resolved);
      return false;
    }
  if (!judge_mount (mc, path, resolved, t, m, resolved, allowlisted))
    return false;
  for (size_t i = 0; i < t->n; i++)
    if (og_path_under (t->v[i].point, resolved) && strcmp (t->v[i].point, resolved) != 0
        && !judge_mount (mc, path, resolved, t, &t->v[i], t->v[i].point, allowlisted))
      return false;
  /* A volume that is a mount of something: its sockets are scanned too.
   * Only a fresh instance mounted right there (a tmpfs volume, its
   * filesystem's first mount) is empty by construction; a bind of part of
   * an existing tmpfs (/tmp, /run on many hosts) holds what the host put
   * there. */
  if (allowlisted && strcmp (m->point, resolved) == 0 && !(fresh_fs (m->fstype) && og_mounttable_first_of (t, m) == m))
    return free_of_sockets (mc, path, "bind mount of", resolved, obj);
  return true;
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
  if (!judge_backing (mc, path, resolved, allowlisted, fd))
    return false;
  if (S_ISDIR (st.st_mode) && allowlisted)
    return free_of_socket_links (mc, path, "bind mount of", resolved, fd);
  if (S_ISDIR (st.st_mode) && !allowlisted)
    return free_of_sockets (mc, path, "bind mount of", resolved, fd);
  return true;
}

/* Does `opt` clear what the forced option `forced` sets?  runc 1.1.5 reads
 * "suid" (and "dev", "exec", "rw", ...) as clearing the flag and the
 * recursive "rsuid" ("rdev", "rexec", "rrw", ...) as clearing it with
 * mount_setattr after the mount, which a later "nosuid" does not undo. */
static bool
undoes (const char *opt, const char *forced)
{
  /* "rnosuid" and "rro" force what "nosuid" and "ro" force, recursively */
  if (forced[0] == 'r' && (strcmp (forced + 1, "ro") == 0 || strncmp (forced + 1, "no", 2) == 0))
    forced++;
  if (strcmp (forced, "ro") == 0)
    return strcmp (opt, "rw") == 0 || strcmp (opt, "rrw") == 0;
  if (strncmp (forced, "no", 2) != 0 || forced[2] == '\0')
    return false;
  return strcmp (opt, forced + 2) == 0 || (opt[0] == 'r' && strcmp (opt + 1, forced + 2) == 0);
}

/* A copy of a mount's options to rewrite ([] when it has none), and
 * path = "<mpath>.options"; NULL (recorded) when they are not an array. */
static struct og_json *
options_copy (const struct mount_check *mc, const struct og_json *opts, const char *mpath, char path[64])
{
  if (strlen (mpath) + sizeof ".options" > 64)
    abort (); /* mount_path's output is shorter */
  memcpy (stpcpy (path, mpath), ".options", sizeof ".options");
  if (opts && opts->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (mc->d, "mounts", path, opts, "an array of strings");
      return NULL;
    }
  return opts ? og_json_clone (opts) : og_json_new (OG_JSON_ARRAY);
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
  if ((want = options_copy (mc, opts, mpath, path)) == NULL)
    return;
  for (char **f = force; *f; f++)
    {
      for (size_t i = 0; i < want->n; i++)
        if (og_json_is_string (want->vals[i]) && undoes (want->vals[i]->text, *f))
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

/* ---- read-only binds (mounts.readonly_binds) ----------------------------- */

/* Is this option one that leaves a bind writable? */
static bool
writable_option (const char *opt)
{
  return strcmp (opt, "rw") == 0 || strcmp (opt, "rrw") == 0;
}

/* A bind is made read-only unless "except" names its resolved source: a
 * workload that is taken over cannot then rewrite a volume it only reads
 * (another container's data, configuration, a shared cache).  "ro"
 * remounts the bind itself; mounts below its source keep their flags. */
static void
readonly_bind (const struct mount_check *mc, struct og_json *m, const char *mpath, const char *resolved)
{
  const struct og_policy *p = mc->ctx->policy;
  struct og_json *opts = og_json_get_set (m, "options");
  og_cleanup_json struct og_json *want = NULL;
  char path[64];
  bool changed = false;

  if (!p->mounts.readonly_binds || pattern_names (mc, READONLY_EXCEPT, resolved))
    return;
  if ((want = options_copy (mc, opts, mpath, path)) == NULL)
    return;
  for (size_t i = 0; i < want->n; i++)
    if (og_json_is_string (want->vals[i]) && writable_option (want->vals[i]->text))
      {
        og_json_remove_at (want, i--);
        changed = true;
      }
  if (!og_json_array_has_string (want, "ro") && !og_json_array_has_string (want, "rro"))
    {
      og_json_append (want, og_json_new_string ("ro"));
      changed = true;
    }
  if (!changed)
    return;
  if (p->mounts.readonly_binds_action == OG_ACTION_DENY)
    og_rule_refuse (mc->ctx, OG_ACTION_DENY, mc->d, "mounts", path, og_json_to_text (opts),
                    "bind mount of %s is writable; mounts.readonly_binds allows writable binds only of the sources "
                    "its \"except\" names",
                    resolved);
  else if (og_rule_change (mc->ctx, p->mounts.readonly_binds_action, mc->d, "mounts", path, og_json_to_text (opts),
                           og_json_to_text (want),
                           "bind mount of %s made read-only (mounts.readonly_binds; its \"except\" names the "
                           "writable sources)",
                           resolved))
    og_json_set (m, "options", og_steal_pointer (&want));
}

/* ---- destinations ------------------------------------------------------ */

/* a, sep (when non-empty) and b as one new string (no printf: this runs for
 * every component of every destination) */
static char *
concat (const char *a, const char *sep, const char *b)
{
  size_t la = strlen (a), ls = strlen (sep), lb = strlen (b);
  char *out = og_xmalloc (la + ls + lb + 1);

  memcpy (out, a, la);
  memcpy (out + la, sep, ls);
  memcpy (out + la + ls, b, lb + 1);
  return out;
}

/* What is at container path `cpath` on the host when the mounts before the
 * one being judged are done: the latest earlier mount at or above it wins
 * (it covers the ones before).  NULL: a fresh filesystem (tmpfs, proc, ...) that holds no
 * symlink, or a path that cannot be known. */
static char *
host_path_of (const struct mount_check *mc, const char *cpath)
{
  size_t j;

  /* by_dest holds the mounts before the one being judged */
  if (og_dest_index_latest (&mc->by_dest, cpath, &j))
    {
      const char *rest = cpath + (strcmp (mc->dests[j], "/") == 0 ? 0 : strlen (mc->dests[j]));
      if (mc->sources[j] == NULL)
        return NULL;
      return concat (strcmp (mc->sources[j], "/") == 0 && *rest ? "" : mc->sources[j], "", rest);
    }
  if (mc->rootfs == NULL)
    return NULL;
  return concat (mc->rootfs, "", strcmp (cpath, "/") == 0 ? "" : cpath);
}

/* The destination as runc 1.1.5 resolves it (securejoin within the rootfs:
 * each component's symlink followed, an absolute target from the rootfs,
 * ".." never above it), through what earlier mounts put there.  Returns a
 * clean absolute container path, or NULL after too many links. */
static char *
resolve_dest (const struct mount_check *mc, const char *dest)
{
  og_cleanup_free char *todo = og_xstrdup (dest);
  char *cur = og_xstrdup ("/");
  unsigned links = 0;

  while (*todo)
    {
      char *slash, *name, *cand, *host;
      struct stat st;
      char target[PATH_MAX];
      ssize_t n;

      for (slash = todo; *slash == '/'; slash++)
        ;
      memmove (todo, slash, strlen (slash) + 1);
      if (*todo == '\0')
        break;
      slash = strchr (todo, '/');
      name = og_xstrndup (todo, slash ? (size_t)(slash - todo) : strlen (todo));
      memmove (todo, todo + strlen (name), strlen (todo + strlen (name)) + 1);
      if (strcmp (name, ".") == 0)
        {
          free (name);
          continue;
        }
      if (strcmp (name, "..") == 0)
        {
          char *last = strrchr (cur, '/');
          *(last == cur ? last + 1 : last) = '\0';
          free (name);
          continue;
        }
      cand = concat (strcmp (cur, "/") ? cur : "", "/", name);
      free (name);
      host = host_path_of (mc, cand);
      if (host && lstat (host, &st) == 0 && S_ISLNK (st.st_mode)
          && (n = readlink (host, target, sizeof target - 1)) > 0)
        {
          char *next;
          free (host);
          free (cand);
          if (++links > 255)
            {
              free (cur);
              return NULL;
            }
          target[n] = '\0';
          next = concat (target, "/", todo);
          free (todo);
          todo = next;
          if (target[0] == '/')
            {
              free (cur);
              cur = og_xstrdup ("/");
            }
          continue;
        }
      free (host);
      free (cur);
      cur = cand;
    }
  return cur;
}

/* Kernel filesystems whose masked and read-only paths (and the read-only
 * rule) protect them only at their standard places: a second procfs at /mnt
 * had a writable /proc/sys (core_pattern is host root). */
static const char *
kernel_fs_place (const char *type)
{
  if (strcmp (type, "proc") == 0)
    return "/proc";
  if (strcmp (type, "sysfs") == 0)
    return "/sys";
  if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    return "/sys/fs/cgroup";
  return NULL;
}

/* `dest` is `place` written with at most extra slashes ("/proc/"). */
static bool
same_spelling (const char *dest, const char *place)
{
  while (*dest && *place)
    {
      if (*dest == '/' && *place == '/')
        {
          while (*dest == '/')
            dest++;
          place++;
          continue;
        }
      if (*dest++ != *place++)
        return false;
    }
  while (*dest == '/')
    dest++;
  return *dest == '\0' && *place == '\0';
}

/* Where a mount lands, and what it does there.  Returns false after
 * refusing. */
static bool
check_destination (struct mount_check *mc, struct og_json *m, size_t i, const char *mpath, bool bind)
{
  struct og_json *type = og_json_get_set (m, "type"), *dst = og_json_get_set (m, "destination");
  struct og_json *opts = og_json_get_set (m, "options");
  const char *place = type && !bind ? kernel_fs_place (type->text) : NULL;
  char dpath[64];

  mount_path (dpath, sizeof dpath, i, ".destination");
  if (!og_json_is_string (dst) || dst->len == 0)
    {
      og_rule_malformed (mc->d, "mounts", dpath, dst, "a non-empty path");
      return false;
    }
  /* "remount" changes a mount someone else made (the read-only cgroup
   * tree, the forced options of an earlier bind): engines never send it. */
  if (og_json_array_has_string (opts, "remount"))
    {
      og_rule_refuse (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", mpath, og_json_to_text (dst),
                      "mount at %s remounts what is there (\"remount\" is not allowed)", dst->text);
      return false;
    }
  if (dst->len >= PATH_MAX)
    {
      og_rule_malformed (mc->d, "mounts", dpath, dst, "a path shorter than PATH_MAX");
      return false;
    }
  mc->dests[i] = resolve_dest (mc, dst->text);
  if (mc->dests[i] != NULL)
    og_dest_index_put (&mc->by_dest, mc->dests[i], i);
  if (mc->dests[i] == NULL)
    {
      og_rule_refuse (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", dpath, og_json_to_text (dst),
                      "mount destination %s goes through too many symbolic links in the rootfs", dst->text);
      return false;
    }
  if (place)
    {
      /* Spelled as the place, too: a destination that reaches it through a
       * symlink could be a directory by the time runc mounts (a volume a
       * running container shares), and the procfs would land there. */
      if (strcmp (mc->dests[i], place) != 0 || !same_spelling (dst->text, place))
        {
          og_rule_refuse (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", dpath, og_json_to_text (dst),
                          "a %s filesystem may only be mounted at %s (not %s%s%s): elsewhere its masked and "
                          "read-only paths do not apply",
                          type->text, place, dst->text, strcmp (dst->text, mc->dests[i]) ? " = " : "",
                          strcmp (dst->text, mc->dests[i]) ? mc->dests[i] : "");
          return false;
        }
      return true;
    }
  /* Over /proc or /sys, or inside them, a mount hides a masked path or
   * replaces a read-only one (a bind over /sys/fs/cgroup/pids). */
  if (og_path_under (mc->dests[i], "/proc") || og_path_under (mc->dests[i], "/sys"))
    {
      og_rule_refuse (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", dpath, og_json_to_text (dst),
                      "mount destination %s%s%s is in /proc or /sys, where only proc, sysfs and cgroup are mounted",
                      dst->text, strcmp (dst->text, mc->dests[i]) ? " resolves to " : "",
                      strcmp (dst->text, mc->dests[i]) ? mc->dests[i] : "");
      return false;
    }
  return true;
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
  bool bind;

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
  bind = is_bind (m);
  if (!bind)
    {
      /* Other filesystems take host paths in source or options (overlay
       * lowerdir=, a block device) that this rule cannot judge. */
      if (type == NULL || !og_strv_contains ((char *const *)pathless_types, type->text))
        og_rule_refuse (mc->ctx, mc->ctx->policy->mounts.action, mc->d, "mounts", mpath, og_json_to_text (type),
                        "mount type %s at %s is not allowed (only bind and %s)", type ? type->text : "(none)", mpath,
                        "proc, sysfs, tmpfs, devpts, mqueue, cgroup");
      else
        check_destination (mc, m, i, mpath, false);
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
  mc->sources[i] = og_xstrdup (resolved);
  if (!check_destination (mc, m, i, mpath, true))
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
  readonly_bind (mc, m, mpath, resolved);
}

/* Does an engine's storage pattern name this root filesystem? */
static bool
root_allowed (const struct mount_check *mc, const char *resolved)
{
  return pattern_names (mc, ALLOW_ROOTS, resolved);
}

/* The rootfs itself is a host path: judged like a bind source (sensitive
 * trees, daemon sockets, what is mounted there), except the engines' storage
 * (mounts.allow_roots): Podman's --rootfs /root/x exposed /root. */
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
      bool inside = strcmp (tree, "/") == 0 ? strcmp (resolved, "/") == 0 : og_path_under (resolved, tree);

      /* Engines keep image roots in their storage, inside a deny tree:
       * only allow_roots is let in there, never a kernel tree. */
      if (og_path_under (tree, resolved) || (inside && (kernel_tree || !root_allowed (mc, resolved))))
        {
          refuse (mc, "root.path", resolved, "root filesystem %s exposes the sensitive host tree %s", resolved, *t);
          return;
        }
    }
  /* Not scanned for every socket: an image tree is large, and the
   * daemon's sockets (by path, and by link above) are what it could hold. */
  if (!root_allowed (mc, resolved) && !judge_backing (mc, "root.path", resolved, false, -1))
    return;
  mc->rootfs = og_xstrdup (resolved);
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
  const struct og_policy *p = ctx->policy;
  struct og_json *mounts = og_json_get_set (spec, "mounts");
  struct og_mounttable table = { 0 };
  struct scan_budget budget = { .entries_left = p->mounts.scan_max_entries };
  struct expanded_patterns patterns[PATTERN_LISTS] = { { 0 } };
  struct mount_check mc = { .ctx = ctx, .d = d, .budget = &budget, .table = &table, .patterns = patterns };
  size_t n;

  if (mounts && mounts->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "mounts", "mounts", mounts, "an array");
      return 0;
    }
  n = mounts ? mounts->n : 0;
  /* Every mount costs a resolution and maybe a scan: a config of
   * thousands would hold the create (and its engine) for minutes. */
  if (n > p->mounts.max_mounts)
    {
      og_rule_refuse (ctx, p->mounts.action, d, "mounts", "mounts", NULL,
                      "%zu mounts are more than mounts.scan.max_mounts (%u) allows", n, p->mounts.max_mounts);
      return 0;
    }
  mc.bundle_abs = og_realpath (ctx->bundle ? ctx->bundle : ".");
  if (mc.bundle_abs == NULL)
    return og_error_set (err, errno, "cannot resolve bundle %s", ctx->bundle ? ctx->bundle : ".");
  clock_gettime (CLOCK_MONOTONIC, &budget.deadline);
  budget.deadline.tv_sec += p->mounts.scan_max_ms / 1000;
  budget.deadline.tv_nsec += (long)(p->mounts.scan_max_ms % 1000) * 1000000L;
  if (budget.deadline.tv_nsec >= 1000000000L)
    {
      budget.deadline.tv_sec++;
      budget.deadline.tv_nsec -= 1000000000L;
    }
  mc.dests = og_xcalloc (n + 1, sizeof (char *));
  og_dest_index_init (&mc.by_dest, n);
  mc.sources = og_xcalloc (n + 1, sizeof (char *));
  load_denied_sockets (&mc);
  resolve_trees (&mc);
  check_root_path (&mc, spec);
  for (size_t i = 0; i < n; i++)
    check_mount (&mc, mounts->vals[i], i);
  free_mount_check (&mc, n);
  return 0;
}
