/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ocigate/mountinfo.h"
#include "ocigate/util.h"

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

/* mountinfo writes space, tab, newline and backslash as \ooo: s undone
 * into out (never longer). */
static void
unescape (const char *s, char *out)
{
  char *o = out;

  while (*s)
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
      {
        *o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
        s += 4;
      }
    else
      *o++ = *s++;
  *o = '\0';
}

/* The next space-separated field of *s (NUL-terminated in place), or NULL. */
static char *
field (char **s)
{
  char *f = *s, *end;

  if (f == NULL || *f == '\0')
    return NULL;
  end = strchr (f, ' ');
  if (end)
    *end++ = '\0';
  *s = end;
  return f;
}

/* Decimal digits up to `stop`, what strtoull reads of them (no sign, no
 * space: the first byte must be a digit), without its locale machinery:
 * a create reads every line of the table.  False on overflow. */
static bool
parse_uint (const char *s, char stop, const char **end, unsigned long long *out)
{
  unsigned long long v = 0;

  if (*s < '0' || *s > '9')
    return false;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      unsigned d = (unsigned)(*s - '0');
      if (v > (ULLONG_MAX - d) / 10)
        return false;
      v = v * 10 + d;
    }
  if (*s != stop)
    return false;
  *out = v;
  *end = s;
  return true;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": the
 * fields before the optional ones, then the type after the " - "
 * (parsed by hand: a create reads the whole table, hundreds of lines on a
 * busy host).  root, point and fstype share one allocation, root's. */
static int
parse_line (char *line, struct og_mount *m)
{
  char *rest = line, *f[5], *sep, *type, *block;
  const char *end;
  unsigned long long id, major, minor;
  size_t lr, lp, lt;

  line[strcspn (line, "\n")] = '\0';
  sep = strstr (line, " - ");
  if (sep == NULL)
    return -1;
  *sep = '\0';
  for (int i = 0; i < 5; i++)
    if ((f[i] = field (&rest)) == NULL)
      return -1;
  if (!parse_uint (f[0], '\0', &end, &id) || !parse_uint (f[2], ':', &end, &major)
      || !parse_uint (end + 1, '\0', &end, &minor) || major > UINT32_MAX || minor > UINT32_MAX)
    return -1;
  rest = sep + 3;
  if ((type = field (&rest)) == NULL)
    return -1;
  /* each string 16-byte aligned, as malloc would place it: the mount
   * points are compared with every path judged, and strcmp is slower on
   * strings that start mid-word */
  lr = ALIGN16 (strlen (f[3]) + 1);
  lp = ALIGN16 (strlen (f[4]) + 1);
  lt = strlen (type) + 1;
  block = og_xmalloc (lr + lp + lt);
  m->id = id;
  m->major = (unsigned)major;
  m->minor = (unsigned)minor;
  m->root = block;
  m->point = block + lr;
  m->fstype = block + lr + lp;
  unescape (f[3], m->root);
  unescape (f[4], m->point);
  memcpy (m->fstype, type, lt);
  return 0;
}

int
og_mounttable_read (const char *file, struct og_mounttable *t, struct og_error *err)
{
  og_cleanup_file FILE *fp = fopen (file, "re");
  og_cleanup_free char *line = NULL;
  size_t cap = 0, alloc = 0;

  t->v = NULL;
  t->n = 0;
  if (fp == NULL)
    return og_error_set (err, errno, "cannot read %s", file);
  while (getline (&line, &cap, fp) > 0)
    {
      if (t->n == alloc)
        {
          alloc = alloc ? alloc * 2 : 64;
          t->v = og_xrealloc (t->v, alloc * sizeof *t->v);
        }
      if (parse_line (line, &t->v[t->n]) < 0)
        {
          og_mounttable_free (t);
          return og_error_set (err, 0, "%s: a line does not parse as mountinfo", file);
        }
      t->n++;
    }
  return 0;
}

void
og_mounttable_free (struct og_mounttable *t)
{
  for (size_t i = 0; i < t->n; i++)
    free (t->v[i].root); /* point and fstype are in the same block */
  free (t->v);
  t->v = NULL;
  t->n = 0;
}

const struct og_mount *
og_mounttable_backing (const struct og_mounttable *t, const char *path)
{
  struct statx stx;
  const struct og_mount *best = NULL;

  if (statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID))
    for (size_t i = 0; i < t->n; i++)
      if (t->v[i].id == stx.stx_mnt_id)
        return &t->v[i];
  /* Later lines are mounted on top of earlier ones at the same point. */
  for (size_t i = 0; i < t->n; i++)
    if (og_path_under (path, t->v[i].point) && (best == NULL || strlen (t->v[i].point) >= strlen (best->point)))
      best = &t->v[i];
  return best;
}

const struct og_mount *
og_mounttable_first_of (const struct og_mounttable *t, const struct og_mount *m)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].major == m->major && t->v[i].minor == m->minor)
      return &t->v[i];
  return m;
}

/* dir joined with the part of `path` below `prefix` (path is under it) */
static char *
rebase (const char *dir, const char *path, const char *prefix)
{
  const char *rest = strcmp (prefix, "/") == 0 ? path : path + strlen (prefix);

  if (*rest == '\0' || strcmp (rest, "/") == 0)
    return og_xstrdup (dir);
  return og_xasprintf ("%s%s", strcmp (dir, "/") == 0 ? "" : dir, rest);
}

char **
og_mounttable_aliases (const struct og_mounttable *t, const struct og_mount *m, const char *path)
{
  og_cleanup_free char *in_fs = rebase (m->root, path, m->point);
  char **out = og_xcalloc (1, sizeof (char *));
  size_t n = 0;

  for (size_t i = 0; i < t->n; i++)
    {
      const struct og_mount *o = &t->v[i];
      char *alias;

      if (o->major != m->major || o->minor != m->minor || !og_path_under (in_fs, o->root))
        continue;
      alias = rebase (o->point, in_fs, o->root);
      if (strcmp (alias, path) == 0 || og_strv_contains (out, alias))
        {
          free (alias);
          continue;
        }
      out = og_xrealloc (out, (n + 2) * sizeof (char *));
      out[n++] = alias;
      out[n] = NULL;
    }
  return out;
}
