/* SPDX-License-Identifier: Apache-2.0 */
/* The hook's arguments: what policy/rule_verify.c read in the final
 * config.  They come from the config runc holds, which ocigate wrote; an
 * argument this build does not know is an error, never skipped. */
#include <config.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/util.h"
#include "verify.h"

static const char *
value_of (const char *a, const char *flag)
{
  size_t n = strlen (flag);
  return strncmp (a, flag, n) == 0 && a[n] == '=' ? a + n + 1 : NULL;
}

static int
add_idmap (struct verify_idmaps *m, const char *v)
{
  struct verify_idmap one;

  if (verify_idmap_parse_arg (v, &one) < 0)
    return -1;
  m->v = og_xrealloc (m->v, (m->n + 1) * sizeof *m->v);
  m->v[m->n++] = one;
  return 0;
}

static void
add_str (const char ***v, size_t *n, const char *s)
{
  *v = og_xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

static int
positive (const char *v, int64_t *out)
{
  return og_parse_int64 (v, out) == 0 && *out > 0 ? 0 : -1;
}

static int
cpu (const char *v, struct verify_expect *e)
{
  og_cleanup_free char *q = og_xstrdup (v);
  char *colon = strchr (q, ':');

  if (colon == NULL)
    return -1;
  *colon = '\0';
  return positive (q, &e->cpu_quota) < 0 || positive (colon + 1, &e->cpu_period) < 0 ? -1 : 0;
}

static const char *const cap_flags[VERIFY_CAP_SETS]
    = { "--cap-bnd", "--cap-eff", "--cap-prm", "--cap-inh", "--cap-amb" };

/* One argument; 1 when it is not a flag this build knows. */
static int
parse_one (const char *a, struct verify_expect *e, struct og_error *err)
{
  const char *v;

  if ((v = value_of (a, "--mode")))
    {
      if (strcmp (v, "enforce") != 0 && strcmp (v, "audit") != 0)
        return og_error_set (err, 0, "--mode must be enforce or audit");
      e->enforce = strcmp (v, "enforce") == 0;
    }
  else if ((v = value_of (a, "--audit-log")))
    e->audit_log = v;
  else if ((v = value_of (a, "--id")))
    e->id = v;
  else if ((v = value_of (a, "--new-ns")))
    add_str (&e->new_ns, &e->n_new_ns, v);
  else if (strcmp (a, "--net-only-lo") == 0)
    e->net_only_lo = true;
  else if ((v = value_of (a, "--net-allow")))
    add_str (&e->net_allow, &e->n_net_allow, v);
  else if ((v = value_of (a, "--uid-map")))
    {
      e->has_uid_map = true;
      if (add_idmap (&e->uid_map, v) < 0)
        return og_error_set (err, 0, "--uid-map must be inside:outside:size");
    }
  else if ((v = value_of (a, "--gid-map")))
    {
      e->has_gid_map = true;
      if (add_idmap (&e->gid_map, v) < 0)
        return og_error_set (err, 0, "--gid-map must be inside:outside:size");
    }
  else if ((v = value_of (a, "--memory")))
    return positive (v, &e->memory) < 0 ? og_error_set (err, 0, "--memory must be a positive number") : 0;
  else if ((v = value_of (a, "--pids")))
    return positive (v, &e->pids) < 0 ? og_error_set (err, 0, "--pids must be a positive number") : 0;
  else if ((v = value_of (a, "--cpu")))
    return cpu (v, e) < 0 ? og_error_set (err, 0, "--cpu must be quota:period") : 0;
  else if (strcmp (a, "--readonly-root") == 0)
    e->readonly_root = true;
  else if (strcmp (a, "--nnp") == 0)
    e->nnp = true;
  else if (strcmp (a, "--seccomp") == 0)
    e->seccomp = true;
  else
    {
      for (int k = 0; k < VERIFY_CAP_SETS; k++)
        if ((v = value_of (a, cap_flags[k])))
          {
            e->has_caps = true;
            return verify_cap_mask (v, &e->caps[k], err) < 0 ? og_error_wrap (err, "%s", cap_flags[k]) : 0;
          }
      return 1;
    }
  return 0;
}

int
verify_args_parse (int argc, char **argv, struct verify_expect *e, struct og_error *err)
{
  e->stage = argc > 0 ? argv[0] : "?";
  for (int i = 1; i < argc; i++)
    {
      int r = parse_one (argv[i], e, err);
      if (r < 0)
        return og_error_wrap (err, "argument %d", i);
      if (r > 0)
        return og_error_set (err, 0, "unknown argument %s (an ocigate-hook older than the ocigate that added it?)",
                             argv[i]);
    }
  return 0;
}

void
verify_expect_free (struct verify_expect *e)
{
  free (e->new_ns);
  free (e->net_allow);
  free (e->uid_map.v);
  free (e->gid_map.v);
}

void
verify_mismatch (struct verify_result *r, const char *fmt, ...)
{
  og_cleanup_free char *s = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (r->n++ > 0)
    og_buf_puts (&r->reasons, "; ");
  og_buf_puts (&r->reasons, s);
}
