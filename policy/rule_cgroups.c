/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroups: linux.cgroupsPath names the cgroup runc puts the container in,
 * then limits (`update`), freezes and, at cleanup, SIGKILLs every process
 * in (with a shared pid namespace, every process of the cgroup tree).  A
 * path naming another container's cgroup or a host service's let a
 * container's creator set the victim's pids.max or kill it.  A path must be
 * what an engine makes for this container: a leaf that is the container's
 * id (or <prefix>-<id>), no "." or "..", and no cgroup that already holds
 * processes.
 *
 *   Docker      /docker/<id>                     system.slice:docker:<id>
 *   containerd  /<namespace>/<id>                kubepods-...-pod<uid>.slice:cri-containerd:<id>
 *   kubelet     /kubepods/<qos>/pod<uid>/<id>
 *   Podman      /libpod_parent/libpod-<id>       machine.slice:libpod:<id>
 *   runc        "" (<runc's own cgroup>/<id>); a relative path is below runc's own cgroup
 */
#include <config.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

#define WALK_MAX_DEPTH 32
#define WALK_MAX_DIRS 20000

/* Every component non-empty and neither "." nor "..". */
static bool
clean_components (const char *path, char sep)
{
  const char *p = path;

  if (*p == sep)
    p++;
  if (*p == '\0')
    return false;
  for (;;)
    {
      size_t n = strcspn (p, (char[]){ sep, '\0' });
      if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
      if (p[n] == '\0')
        return true;
      p += n + 1;
    }
}

static const char *
leaf (const char *path)
{
  const char *s = strrchr (path, '/');
  return s ? s + 1 : path;
}

/* The id itself, or "<prefix>-<id>" (Podman's libpod-<id>, CRI-O's
 * crio-<id>): a substring would let the id "libpod" name libpod-<victim>. */
static bool
names_id (const char *name, const char *id)
{
  size_t n = strlen (name), k = strlen (id);

  return strcmp (name, id) == 0 || (n > k + 1 && name[n - k - 1] == '-' && strcmp (name + n - k, id) == 0);
}

/* A systemd unit's own cgroup (a service that is stopped has none with
 * processes, and would share it with the container when it starts). */
static bool
unit_cgroup (const char *name)
{
  static const char *const suffixes[]
      = { ".service", ".scope", ".slice", ".socket", ".mount", ".swap", ".automount", ".target", NULL };
  size_t n = strlen (name);

  for (const char *const *s = suffixes; *s; s++)
    if (n >= strlen (*s) && strcmp (name + n - strlen (*s), *s) == 0)
      return true;
  return false;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd nests
 * slices; "" and "-.slice" are the root.  NULL when not a slice name. */
static char *
expand_slice (const char *slice)
{
  size_t n = strlen (slice);
  struct og_buf b = { 0 };

  if (n == 0 || strcmp (slice, "-.slice") == 0)
    return og_xstrdup ("");
  if (n <= 6 || strcmp (slice + n - 6, ".slice") != 0 || strchr (slice, '/') || slice[0] == '-' || strstr (slice, "--"))
    return NULL;
  for (const char *dash = slice; (dash = strchr (dash, '-')) != NULL && dash < slice + n - 6; dash++)
    {
      og_buf_puts (&b, "/");
      og_buf_put (&b, slice, (size_t)(dash - slice));
      og_buf_puts (&b, ".slice");
    }
  og_buf_puts (&b, "/");
  og_buf_puts (&b, slice);
  return b.buf;
}

/* A cgroup v1 directory holds processes, here or below. */
static bool
v1_populated (int dirfd, unsigned depth, unsigned *budget)
{
  og_cleanup_close int procs = openat (dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  og_cleanup_dir DIR *dir = NULL;
  struct dirent *e;
  bool found = false;
  char c;

  if (procs >= 0 && read (procs, &c, 1) == 1)
    return true;
  if (depth >= WALK_MAX_DEPTH || (*budget)-- == 0)
    return true; /* too deep to tell: as if it held processes */
  dir = og_fdopendir (openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir == NULL)
    return false;
  while (!found && (e = readdir (dir)) != NULL)
    {
      if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      og_cleanup_close int sub = openat (dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0)
        found = v1_populated (sub, depth + 1, budget);
    }
  return found;
}

/* The cgroup at `dir` exists and holds processes (cgroup v2: its
 * cgroup.events says so for the whole subtree). */
static bool
populated (const char *dir, bool v2)
{
  og_cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  unsigned budget = WALK_MAX_DIRS;

  if (fd < 0)
    return false;
  if (v2)
    {
      og_cleanup_close int ev = openat (fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
      char buf[256];
      ssize_t n = ev >= 0 ? read (ev, buf, sizeof buf - 1) : -1;
      if (n < 0)
        return true;
      buf[n] = '\0';
      return strstr (buf, "populated 1") != NULL;
    }
  return v1_populated (fd, 0, &budget);
}

/* `item` (no comma in it) is one of the comma-separated items of `list`:
 * what ",item," being a substring of ",list," says, without building either. */
static bool
listed_item (const char *item, const char *list)
{
  size_t n = strlen (item);

  for (const char *p = list;; p++)
    {
      size_t len = strcspn (p, ",");
      if (len == n && memcmp (p, item, n) == 0)
        return true;
      p += len;
      if (*p == '\0')
        return false;
    }
}

/* The cgroup this process is in on the hierarchy mounted with `opts`
 * ("rw,memory", "rw,cpu,cpuacct", "rw,name=systemd"; v2: any), read from
 * `*cg`: /proc/self/cgroup, opened on the first call and read again from
 * its start on each (one open for every hierarchy of the mount table). */
static char *
own_cgroup (FILE **cg, const char *opts, bool v2)
{
  char line[4096];

  if (*cg == NULL)
    *cg = fopen ("/proc/self/cgroup", "re");
  else
    rewind (*cg);
  while (*cg && fgets (line, sizeof line, *cg))
    {
      char *ctrls = strchr (line, ':'), *path;
      if (ctrls == NULL || (path = strchr (++ctrls, ':')) == NULL)
        continue;
      *path++ = '\0';
      path[strcspn (path, "\n")] = '\0';
      if (v2 ? ctrls[0] == '\0' : ctrls[0] != '\0')
        {
          bool all = true;
          for (char *save = NULL, *t = strtok_r (ctrls, ",", &save); !v2 && t; t = strtok_r (NULL, ",", &save))
            all = all && listed_item (t, opts);
          if (all)
            return og_xstrdup (path);
        }
    }
  return NULL;
}

/* The filesystem type after " - " (sscanf's " - %63s": whitespace skipped,
 * the type up to the next) is cgroup or cgroup2: only those lines are worth
 * a sscanf (a busy host's table has hundreds of others). */
static bool
cgroup_type (const char *sep)
{
  const char *t = sep + 3;

  while (isspace ((unsigned char)*t))
    t++;
  if (strncmp (t, "cgroup", 6) != 0)
    return false;
  t += 6;
  if (*t == '2')
    t++;
  return *t == '\0' || isspace ((unsigned char)*t);
}

/* Some hierarchy has a cgroup with processes at `path` (absolute, or
 * relative to this process's own cgroup like runc resolves it).  Returns
 * the directory, or NULL. */
static char *
taken_cgroup (const char *path)
{
  og_cleanup_file FILE *f = fopen ("/proc/self/mountinfo", "re");
  og_cleanup_file FILE *cg = NULL;
  char line[4096];

  while (f && fgets (line, sizeof line, f))
    {
      char root[1024], mnt[1024], fstype[64], src[256], opts[1024];
      const char *sep = strstr (line, " - ");
      bool v2;

      if (sep == NULL || !cgroup_type (sep) || sscanf (line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2
          || sscanf (sep, " - %63s %255s %1023s", fstype, src, opts) != 3)
        continue;
      v2 = strcmp (fstype, "cgroup2") == 0;
      if ((!v2 && strcmp (fstype, "cgroup") != 0) || strcmp (root, "/") != 0)
        continue;
      og_cleanup_free char *base = path[0] == '/' ? og_xstrdup ("") : own_cgroup (&cg, opts, v2);
      if (base == NULL)
        continue;
      /* runc's cgroup v2 manager takes the parent of its own cgroup (its
       * own one holds processes, so controllers cannot be enabled below). */
      if (v2 && path[0] != '/' && strrchr (base, '/'))
        *strrchr (base, '/') = '\0';
      char *dir = og_xasprintf ("%s%s%s%s", mnt, base, path[0] == '/' ? "" : "/", path);
      if (populated (dir, v2))
        return dir;
      free (dir);
    }
  return NULL;
}

static void
refuse (const struct og_enforce_ctx *ctx, struct og_decisions *d, const char *value, const char *why)
{
  og_rule_refuse (ctx, OG_ACTION_DENY, d, "cgroups", "linux.cgroupsPath", og_xstrdup (value),
                  "cgroupsPath \"%s\" %s: the runtime limits, freezes and kills what is in that cgroup", value, why);
}

/* "slice:prefix:name" (the systemd cgroup driver) as the cgroup path systemd
 * makes of it, or NULL after recording why not. */
static char *
systemd_path (const struct og_enforce_ctx *ctx, struct og_decisions *d, const char *value)
{
  const char *c1 = strchr (value, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  og_cleanup_free char *slice = og_xstrndup (value, (size_t)(c1 - value));
  og_cleanup_free char *prefix = og_xstrndup (c1 + 1, (size_t)(c2 - c1 - 1));
  const char *name = c2 + 1;
  og_cleanup_free char *expanded = NULL;
  size_t nl = strlen (name);

  /* runc's default parent for an empty slice. */
  expanded = expand_slice (slice[0] ? slice : "system.slice");
  if (expanded == NULL || strchr (prefix, '/') || strchr (name, '/') || strchr (name, ':') || nl == 0
      || (nl > 6 && strcmp (name + nl - 6, ".slice") == 0))
    {
      refuse (ctx, d, value, "is not a \"<slice>:<prefix>:<name>\" scope of the systemd cgroup driver");
      return NULL;
    }
  if (ctx->container_id && strcmp (name, ctx->container_id) != 0)
    {
      refuse (ctx, d, value, "does not name this container (the scope's name must be the container id)");
      return NULL;
    }
  return og_xasprintf ("%s/%s-%s.scope", expanded, prefix, name);
}

int
og_rule_cgroups (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *linux_ = og_json_get_set (spec, "linux");
  struct og_json *cp = linux_ && linux_->type == OG_JSON_OBJECT ? og_json_get_set (linux_, "cgroupsPath") : NULL;
  const char *value = og_json_is_string (cp) ? cp->text : "";
  og_cleanup_free char *path = NULL, *taken = NULL;
  const char *colon = strchr (value, ':');

  if (cp && !og_json_is_string (cp))
    {
      og_rule_malformed (d, "cgroups", "linux.cgroupsPath", cp, "a string");
      return 0;
    }
  if (value[0] == '\0')
    {
      /* runc's default: a cgroup named after the id, under its own. */
      if (ctx->container_id == NULL || !clean_components (ctx->container_id, '/'))
        return 0;
      path = og_xstrdup (ctx->container_id);
    }
  else if (colon && strchr (colon + 1, ':') && strchr (strchr (colon + 1, ':') + 1, ':') == NULL && value[0] != '/')
    {
      if ((path = systemd_path (ctx, d, value)) == NULL)
        return 0;
    }
  else
    {
      /* A relative path (Docker's relative --cgroup-parent) is below
       * runc's own cgroup: taken_cgroup resolves it there. */
      if (!clean_components (value, '/'))
        {
          refuse (ctx, d, value, "has an empty, \".\" or \"..\" component or names the root");
          return 0;
        }
      if (ctx->container_id && !names_id (leaf (value), ctx->container_id))
        {
          refuse (ctx, d, value,
                  "does not name this container (its last component must be the container id or end in -<id>)");
          return 0;
        }
      if (unit_cgroup (leaf (value)))
        {
          refuse (ctx, d, value, "is a systemd unit's cgroup");
          return 0;
        }
      path = og_xstrdup (value);
    }
  if ((taken = taken_cgroup (path)) != NULL)
    {
      og_cleanup_free char *why = og_xasprintf ("is an existing cgroup with processes (%s)", taken);
      refuse (ctx, d, value[0] ? value : path, why);
    }
  return 0;
}
