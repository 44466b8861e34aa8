/* SPDX-License-Identifier: Apache-2.0 */
/* createRuntime: the container's cgroup holds the limits the config sets
 * (memory, pids, cpu).  A runtime that dropped them lets one container
 * starve the host.  Read from the cgroup the kernel says the process is in
 * (/proc/<pid>/cgroup), not from the cgroupsPath the config names: cgroup
 * v2 (one hierarchy) or v1 (one per controller, as on hybrid hosts). */
#include <config.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "verify.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static bool
list_has (const char *list, size_t len, const char *name)
{
  size_t nl = strlen (name);

  for (const char *p = list; p < list + len;)
    {
      const char *comma = memchr (p, ',', (size_t)(list + len - p));
      size_t n = comma ? (size_t)(comma - p) : (size_t)(list + len - p);
      if (n == nl && strncmp (p, name, n) == 0)
        return true;
      p += n + 1;
    }
  return false;
}

char *
verify_cgroup_path (const char *text, const char *controller)
{
  for (const char *l = text; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    {
      const char *c1 = strchr (l, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      const char *nl = strchr (l, '\n');
      size_t len;
      if (c1 == NULL || c2 == NULL || (nl && c2 > nl))
        continue;
      len = (size_t)(c2 - c1 - 1);
      if (controller[0] == '\0' ? len == 0 : list_has (c1 + 1, len, controller))
        {
          const char *path = c2 + 1;
          size_t pl = nl ? (size_t)(nl - path) : strlen (path);
          if (pl == 0 || path[0] != '/' || memmem (path, pl, "/../", 4)
              || (pl >= 3 && !memcmp (path + pl - 3, "/..", 3)))
            return NULL;
          /* v1: the hierarchy is mounted at a directory named after the
           * controller list ("cpu,cpuacct") */
          if (controller[0] == '\0')
            return og_xasprintf ("%s%.*s", CGROUP_ROOT, (int)pl, path);
          return og_xasprintf ("%s/%.*s%.*s", CGROUP_ROOT, (int)len, c1 + 1, (int)pl, path);
        }
    }
  return NULL;
}

/* A limit file's value: a number, or "max" (INT64_MAX). */
static int
read_value (const char *dir, const char *file, int64_t *out, int64_t *second)
{
  og_cleanup_free char *path = og_xasprintf ("%s/%s", dir, file);
  char buf[128];
  char *sp;

  if (og_read_short (path, buf, sizeof buf) < 0)
    return -1;
  buf[strcspn (buf, "\n")] = '\0';
  sp = strchr (buf, ' ');
  if (sp)
    *sp++ = '\0';
  if (second && (sp == NULL || og_parse_int64 (sp, second) < 0))
    return -1;
  if (strcmp (buf, "max") == 0)
    *out = INT64_MAX;
  /* v1 writes "no limit" as the largest page multiple, ~2^63 */
  else if (og_parse_int64 (buf, out) == 0 && *out > (INT64_C (1) << 62))
    *out = INT64_MAX;
  else if (og_parse_int64 (buf, out) < 0)
    return -1;
  return 0;
}

/* A path "/" gives "<mount>/": the hierarchy's root, which no limit
 * applies to (a runtime that put the container in no cgroup of its own). */
static bool
is_root (const char *dir)
{
  return dir[strlen (dir) - 1] == '/';
}

struct cgroups
{
  bool v2;
  const char *text; /* /proc/<pid>/cgroup */
};

static char *
dir_of (const struct cgroups *c, const char *controller)
{
  return verify_cgroup_path (c->text, c->v2 ? "" : controller);
}

static void
check_max (const struct cgroups *c, const char *controller, const char *file, int64_t want, struct verify_result *r)
{
  og_cleanup_free char *dir = dir_of (c, controller);
  int64_t have;

  if (dir == NULL)
    verify_mismatch (r, "the process is in no %s cgroup", controller);
  else if (is_root (dir))
    verify_mismatch (r, "the process is in the root cgroup (no %s limit), the config sets %" PRId64, controller, want);
  else if (read_value (dir, file, &have, NULL) < 0)
    verify_mismatch (r, "cannot read %s/%s", dir, file);
  else if (have > want || have <= 0)
    {
      char hv[32];
      snprintf (hv, sizeof hv, "%" PRId64, have);
      verify_mismatch (r, "%s/%s is %s, the config sets %" PRId64, dir, file, have == INT64_MAX ? "unlimited" : hv,
                       want);
    }
}

static void
check_cpu (const struct cgroups *c, int64_t quota, int64_t period, struct verify_result *r)
{
  og_cleanup_free char *dir = dir_of (c, "cpu");
  int64_t q, p;

  if (dir == NULL || is_root (dir))
    {
      verify_mismatch (r, "the process is in %s (no cpu quota), the config sets %" PRId64 " per %" PRId64,
                       dir ? "the root cgroup" : "no cpu cgroup", quota, period);
      return;
    }
  if (c->v2 ? read_value (dir, "cpu.max", &q, &p) < 0
            : read_value (dir, "cpu.cfs_quota_us", &q, NULL) < 0 || read_value (dir, "cpu.cfs_period_us", &p, NULL) < 0)
    {
      verify_mismatch (r, "cannot read the cpu quota in %s", dir);
      return;
    }
  /* the share of a cpu, quota/period, must not exceed the config's */
  if (q <= 0 || q == INT64_MAX || p <= 0 || (__int128)q * period > (__int128)quota * p)
    verify_mismatch (r, "the cpu quota in %s is %s per %" PRId64 " us, the config sets %" PRId64 " per %" PRId64, dir,
                     q <= 0 || q == INT64_MAX ? "unlimited" : "larger", p, quota, period);
}

void
verify_check_cgroups (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r)
{
  og_cleanup_free char *text = NULL;
  struct og_error err = { 0 };
  struct cgroups c;
  size_t len;

  if (e->memory == 0 && e->pids == 0 && e->cpu_quota == 0)
    return;
  if (verify_proc_read (p, "cgroup", 65536, &text, &len, &err) < 0)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
      return;
    }
  c.text = text;
  c.v2 = access (CGROUP_ROOT "/cgroup.controllers", F_OK) == 0;
  if (e->memory)
    check_max (&c, "memory", c.v2 ? "memory.max" : "memory.limit_in_bytes", e->memory, r);
  if (e->pids)
    check_max (&c, "pids", "pids.max", e->pids, r);
  if (e->cpu_quota)
    check_cpu (&c, e->cpu_quota, e->cpu_period, r);
}
