/* SPDX-License-Identifier: Apache-2.0 */
/* poststart: the container's mount table after the runtime pivoted into
 * its root.  The root mount is read-only when the config says so, and no
 * mount puts a socket in the container (a bind of a daemon's socket is a
 * mount at that file).  Paths are resolved inside the container's root,
 * never through its symlinks to the host. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "verify.h"

/* Undo mountinfo's octal escapes (\040 for a space) of n bytes. */
static char *
unescape (const char *s, size_t n)
{
  char *out = og_xmalloc (n + 1), *o = out;

  for (size_t i = 0; i < n; i++)
    if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7'
        && s[i + 3] >= '0' && s[i + 3] <= '7')
      {
        *o++ = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
        i += 3;
      }
    else
      *o++ = s[i];
  *o = '\0';
  return out;
}

/* Field k (0-based) of one line: its start and length; false if absent. */
static bool
field (const char *line, const char *end, int k, const char **start, size_t *len)
{
  const char *p = line;

  for (int i = 0; p < end; i++)
    {
      const char *sp = memchr (p, ' ', (size_t)(end - p));
      const char *fe = sp ? sp : end;
      if (i == k)
        {
          *start = p;
          *len = (size_t)(fe - p);
          return true;
        }
      if (sp == NULL)
        break;
      p = sp + 1;
    }
  return false;
}

typedef void (*mount_fn) (const char *point, const char *options, void *arg);

static void
each_mount (const char *text, mount_fn fn, void *arg)
{
  for (const char *l = text; l && *l;)
    {
      const char *nl = strchr (l, '\n'), *end = nl ? nl : l + strlen (l);
      const char *ps, *os;
      size_t pl, ol;
      if (field (l, end, 4, &ps, &pl) && field (l, end, 5, &os, &ol))
        {
          og_cleanup_free char *point = unescape (ps, pl), *opts = og_xstrndup (os, ol);
          fn (point, opts, arg);
        }
      l = nl ? nl + 1 : NULL;
    }
}

struct find
{
  const char *point;
  char *options;
};

static void
find_point (const char *point, const char *options, void *arg)
{
  struct find *f = arg;

  /* later lines are mounted over earlier ones: the last one is visible */
  if (strcmp (point, f->point) == 0)
    {
      free (f->options);
      f->options = og_xstrdup (options);
    }
}

char *
verify_mountinfo_options (const char *text, const char *point)
{
  struct find f = { .point = point };

  each_mount (text, find_point, &f);
  return f.options;
}

bool
verify_has_option (const char *options, const char *opt)
{
  size_t n = strlen (opt);

  for (const char *p = options; p && *p;)
    {
      const char *c = strchr (p, ',');
      size_t l = c ? (size_t)(c - p) : strlen (p);
      if (l == n && strncmp (p, opt, n) == 0)
        return true;
      p = c ? c + 1 : NULL;
    }
  return false;
}

struct scan
{
  int root;
  struct verify_result *r;
};

static void
no_socket (const char *point, const char *options, void *arg)
{
  struct scan *s = arg;
  struct open_how how
      = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  og_cleanup_close int fd = -1;
  struct stat st;

  (void)options;
  if (strcmp (point, "/") == 0)
    return;
  fd = (int)syscall (SYS_openat2, s->root, point, &how, sizeof how);
  if (fd < 0)
    {
      /* a mount point the container cannot reach is no way in either */
      if (errno != ENOENT && errno != EACCES)
        verify_mismatch (s->r, "cannot look at the mount at %s (%s)", point, strerror (errno));
      return;
    }
  if (fstat (fd, &st) == 0 && S_ISSOCK (st.st_mode))
    verify_mismatch (s->r, "a socket is mounted at %s", point);
}

void
verify_check_mounts (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r)
{
  og_cleanup_free char *text = NULL, *root_opts = NULL;
  struct og_error err = { 0 };
  struct scan s = { .root = -1, .r = r };
  size_t len;

  if (verify_proc_read (p, "mountinfo", VERIFY_READ_MAX, &text, &len, &err) < 0)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
      return;
    }
  root_opts = verify_mountinfo_options (text, "/");
  if (e->readonly_root && (root_opts == NULL || !verify_has_option (root_opts, "ro")))
    verify_mismatch (r, "the root filesystem is mounted %s, the config makes it read-only",
                     root_opts ? root_opts : "(not at all)");
  s.root = openat (p->dir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s.root < 0)
    {
      verify_mismatch (r, "cannot open the root of process %d (%s)", (int)p->pid, strerror (errno));
      return;
    }
  each_mount (text, no_socket, &s);
  close (s.root);
}
