/* SPDX-License-Identifier: Apache-2.0 */
/* createRuntime: the user namespace maps exactly the ranges the config
 * names (the range ocigate allocated), no more: a runtime that maps host
 * root, or a wider range, gives the container other users' files. */
#include <config.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/util.h"
#include "verify.h"

int
verify_idmap_parse_arg (const char *arg, struct verify_idmap *out)
{
  int n = -1;

  if (sscanf (arg, "%" SCNd64 ":%" SCNd64 ":%" SCNd64 "%n", &out->inside, &out->outside, &out->size, &n) != 3 || n < 0
      || arg[n] != '\0' || out->inside < 0 || out->outside < 0 || out->size <= 0)
    return -1;
  return 0;
}

int
verify_idmap_parse (const char *text, struct verify_idmaps *out, struct og_error *err)
{
  const char *l = text;

  out->v = NULL;
  out->n = 0;
  while (*l)
    {
      struct verify_idmap m;
      int n = -1;
      if (sscanf (l, " %" SCNd64 " %" SCNd64 " %" SCNd64 "%n", &m.inside, &m.outside, &m.size, &n) != 3 || n < 0
          || (l[n] != '\n' && l[n] != '\0'))
        {
          free (out->v);
          out->v = NULL;
          out->n = 0;
          return og_error_set (err, 0, "malformed id map line %.40s", l);
        }
      out->v = og_xrealloc (out->v, (out->n + 1) * sizeof *out->v);
      out->v[out->n++] = m;
      l += n;
      if (*l == '\n')
        l++;
    }
  return 0;
}

static bool
has (const struct verify_idmaps *m, const struct verify_idmap *x)
{
  for (size_t i = 0; i < m->n; i++)
    if (m->v[i].inside == x->inside && m->v[i].outside == x->outside && m->v[i].size == x->size)
      return true;
  return false;
}

void
verify_check_idmap (const char *what, const struct verify_idmaps *want, const char *text, struct verify_result *r)
{
  struct verify_idmaps have = { 0 };
  struct og_error err = { 0 };

  if (verify_idmap_parse (text, &have, &err) < 0)
    {
      verify_mismatch (r, "%s: %s", what, err.msg);
      og_error_clear (&err);
      return;
    }
  for (size_t i = 0; i < have.n; i++)
    if (!has (want, &have.v[i]))
      verify_mismatch (r, "%s maps %" PRId64 " %" PRId64 " %" PRId64 ", which the config does not", what,
                       have.v[i].inside, have.v[i].outside, have.v[i].size);
  for (size_t i = 0; i < want->n; i++)
    if (!has (&have, &want->v[i]))
      verify_mismatch (r, "%s lacks %" PRId64 " %" PRId64 " %" PRId64 " of the config", what, want->v[i].inside,
                       want->v[i].outside, want->v[i].size);
  free (have.v);
}

static void
check_one (const struct verify_proc *p, const char *file, const struct verify_idmaps *want, struct verify_result *r)
{
  og_cleanup_free char *text = NULL;
  struct og_error err = { 0 };
  size_t len;

  if (verify_proc_read (p, file, 65536, &text, &len, &err) < 0)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
      return;
    }
  verify_check_idmap (file, want, text, r);
}

void
verify_check_ids (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r)
{
  if (e->has_uid_map)
    check_one (p, "uid_map", &e->uid_map, r);
  if (e->has_gid_map)
    check_one (p, "gid_map", &e->gid_map, r);
}
