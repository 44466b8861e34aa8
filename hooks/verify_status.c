/* SPDX-License-Identifier: Apache-2.0 */
/* poststart: the privileges the process holds, from /proc/<pid>/status.
 * runc runs poststart hooks while its init waits for `start`, after it
 * dropped capabilities and set no_new_privs and seccomp, so these are what
 * the container's program starts with.
 *
 * A capability set may hold only what the config gives it.  Permitted and
 * effective are judged against every set the config names: a root process
 * that executes a program gets inheritable | bounding | ambient in them
 * (capabilities(7)), which an engine's config relies on. */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "ocigate/util.h"
#include "verify.h"

int
verify_status_value (const char *status, const char *key, int base, uint64_t *out)
{
  size_t kl = strlen (key);

  for (const char *l = status; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, key, kl) == 0 && l[kl] == ':')
      {
        const char *v = l + kl + 1;
        char *end;
        while (*v == ' ' || *v == '\t')
          v++;
        if (!isxdigit ((unsigned char)*v))
          return -1;
        errno = 0;
        unsigned long long x = strtoull (v, &end, base);
        if (errno || (*end != '\n' && *end != '\0'))
          return -1;
        *out = x;
        return 0;
      }
  return -1;
}

int
verify_cap_mask (const char *list, uint64_t *mask, struct og_error *err)
{
  og_cleanup_free char *copy = og_xstrdup (list);
  char *save = NULL;

  *mask = 0;
  for (char *name = strtok_r (copy, ",", &save); name; name = strtok_r (NULL, ",", &save))
    {
      cap_value_t v;
      og_cleanup_free char *lower = og_xstrdup (name);
      for (char *c = lower; *c; c++)
        *c = (char)tolower ((unsigned char)*c);
      if (cap_from_name (lower, &v) < 0 || v < 0 || v > 63)
        return og_error_set (err, 0, "unknown capability %s", name);
      *mask |= UINT64_C (1) << v;
    }
  return 0;
}

/* "CAP_SYS_ADMIN,CAP_NET_RAW" for the bits of m (caller-owned). */
static char *
cap_names (uint64_t m)
{
  struct og_buf b = { 0 };

  for (int i = 0; i < 64; i++)
    if (m & (UINT64_C (1) << i))
      {
        char *n = cap_to_name (i);
        if (b.len)
          og_buf_puts (&b, ",");
        for (char *c = n; c && *c; c++)
          *c = (char)toupper ((unsigned char)*c);
        og_buf_puts (&b, n ? n : "?");
        cap_free (n);
      }
  return b.buf;
}

static void
check_set (const char *line, uint64_t have, uint64_t allowed, struct verify_result *r)
{
  og_cleanup_free char *extra = NULL;

  if ((have & ~allowed) == 0)
    return;
  extra = cap_names (have & ~allowed);
  verify_mismatch (r, "%s holds %s, which the config does not grant", line, extra);
}

static void
check_caps (const struct verify_expect *e, const char *status, struct verify_result *r)
{
  static const char *const lines[VERIFY_CAP_SETS] = { "CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb" };
  const uint64_t *c = e->caps;
  uint64_t any = c[VERIFY_CAP_BND] | c[VERIFY_CAP_EFF] | c[VERIFY_CAP_PRM] | c[VERIFY_CAP_INH] | c[VERIFY_CAP_AMB];
  const uint64_t allowed[VERIFY_CAP_SETS] = { c[VERIFY_CAP_BND], any, any, c[VERIFY_CAP_INH], c[VERIFY_CAP_AMB] };

  for (int k = 0; k < VERIFY_CAP_SETS; k++)
    {
      uint64_t have;
      if (verify_status_value (status, lines[k], 16, &have) < 0)
        verify_mismatch (r, "status has no %s line", lines[k]);
      else
        check_set (lines[k], have, allowed[k], r);
    }
}

void
verify_check_status (const struct verify_expect *e, const char *status, struct verify_result *r)
{
  uint64_t v;

  if (e->has_caps)
    check_caps (e, status, r);
  if (e->nnp && (verify_status_value (status, "NoNewPrivs", 10, &v) < 0 || v != 1))
    verify_mismatch (r, "NoNewPrivs is not 1 (the config sets noNewPrivileges)");
  /* 2: a filter; 0 would be none, 1 strict mode */
  if (e->seccomp && (verify_status_value (status, "Seccomp", 10, &v) < 0 || v != 2))
    verify_mismatch (r, "Seccomp is not 2 (the config gives a seccomp filter)");
}
