/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

static char tmpdir[256];

char *
th_read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "re");
  char *buf;
  long n;

  ck_assert_msg (f != NULL, "cannot open %s: %s", path, strerror (errno));
  fseek (f, 0, SEEK_END);
  n = ftell (f);
  fseek (f, 0, SEEK_SET);
  buf = og_xmalloc ((size_t)n + 1);
  ck_assert_int_eq (fread (buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose (f);
  if (len)
    *len = (size_t)n;
  return buf;
}

struct og_json *
th_fixture (const char *name)
{
  og_cleanup_free char *path = og_xasprintf ("%s/engines/%s", FIXTURES, name);
  og_cleanup_free char *buf = NULL;
  struct og_json *j = NULL;
  struct og_error err = { 0 };
  size_t len;

  buf = th_read_file (path, &len);
  if (og_spec_parse (buf, len, &j, &err) < 0)
    ck_abort_msg ("fixture %s: %s", name, err.msg);
  return j;
}

struct og_policy *
th_profile (const char *name)
{
  og_cleanup_free char *path = og_xasprintf ("%s/%s", PROFILES, name);
  struct og_policy *p = NULL;
  struct og_error err = { 0 };

  if (og_policy_load (path, &p, &err) < 0)
    ck_abort_msg ("profile %s: %s", name, err.msg);
  free (p->audit_log);
  p->audit_log = NULL;
  return p;
}

const char *
th_tmpdir (void)
{
  if (tmpdir[0] == '\0')
    {
      snprintf (tmpdir, sizeof tmpdir, "/tmp/ocigate-unit-XXXXXX");
      ck_assert_ptr_nonnull (mkdtemp (tmpdir));
      /* an empty rootfs for configs whose root.path is "rootfs" */
      og_cleanup_free char *rootfs = og_xasprintf ("%s/rootfs", tmpdir);
      ck_assert_int_eq (mkdir (rootfs, 0755), 0);
    }
  return tmpdir;
}

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path);
}

void
th_cleanup (void)
{
  if (tmpdir[0])
    nftw (tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  tmpdir[0] = '\0';
}

void
th_strv_add (char ***v, const char *s)
{
  size_t n = og_strv_len (*v);
  *v = og_xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = og_xstrdup (s);
  (*v)[n + 1] = NULL;
}

static void
mkdir_p (const char *path)
{
  og_cleanup_free char *p = og_xstrdup (path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        mkdir (p, 0755);
        *s = '/';
      }
  mkdir (p, 0755);
}

void
th_sandbox (struct og_json *spec, struct og_policy *p)
{
  const char *t = th_tmpdir ();
  struct og_json *mounts = og_json_get (spec, "mounts");
  struct og_json *root = og_json_get (spec, "root");
  struct og_json *rpath = og_json_get (root, "path");
  size_t n;

  if (og_json_is_string (rpath) && rpath->text[0] == '/' && access (rpath->text, F_OK) != 0)
    {
      og_cleanup_free char *fake = og_xasprintf ("%s%s", t, rpath->text);
      mkdir_p (fake);
      og_json_set (root, "path", og_json_new_string (fake));
    }
  for (size_t i = 0; mounts && i < mounts->n; i++)
    {
      struct og_json *m = mounts->vals[i], *src = og_json_get (m, "source");
      struct og_json *type = og_json_get (m, "type");
      struct og_json *opts = og_json_get (m, "options");
      og_cleanup_free char *fake = NULL;
      bool bind = (type && strcmp (type->text, "bind") == 0) || og_json_array_has_string (opts, "rbind")
                  || og_json_array_has_string (opts, "bind");

      if (!bind || src == NULL || src->text[0] != '/' || access (src->text, F_OK) == 0)
        continue;
      fake = og_xasprintf ("%s%s", t, src->text);
      if (strstr (fake, "/shm") || strstr (fake, "/_data") || strstr (fake, "/secrets"))
        mkdir_p (fake);
      else
        {
          og_cleanup_free char *dir = og_xstrdup (fake);
          *strrchr (dir, '/') = '\0';
          mkdir_p (dir);
          close (open (fake, O_CREAT | O_WRONLY, 0644));
        }
      og_json_set (m, "source", og_json_new_string (fake));
    }
  n = og_strv_len (p->mounts.allow_sources);
  for (size_t i = 0; i < n; i++)
    {
      og_cleanup_free char *pat = og_xasprintf ("%s%s", t, p->mounts.allow_sources[i]);
      th_strv_add (&p->mounts.allow_sources, pat);
    }
  n = og_strv_len (p->mounts.allow_roots);
  for (size_t i = 0; i < n; i++)
    {
      og_cleanup_free char *pat = og_xasprintf ("%s%s", t, p->mounts.allow_roots[i]);
      th_strv_add (&p->mounts.allow_roots, pat);
    }
  n = og_strv_len (p->mounts.deny_trees);
  for (size_t i = 0; i < n; i++)
    if (strcmp (p->mounts.deny_trees[i], "/") != 0)
      {
        og_cleanup_free char *tree = og_xasprintf ("%s%s", t, p->mounts.deny_trees[i]);
        th_strv_add (&p->mounts.deny_trees, tree);
      }
  n = og_strv_len (p->mounts.deny_sockets);
  for (size_t i = 0; i < n; i++)
    {
      og_cleanup_free char *sock = og_xasprintf ("%s%s", t, p->mounts.deny_sockets[i]);
      th_strv_add (&p->mounts.deny_sockets, sock);
    }
}

const struct og_decision *
th_find (const struct og_decisions *d, const char *rule, enum og_decision_kind kind, const char *path_prefix)
{
  for (size_t i = 0; i < d->n; i++)
    if (strcmp (d->v[i].rule, rule) == 0 && d->v[i].kind == kind
        && (path_prefix == NULL || strncmp (d->v[i].path, path_prefix, strlen (path_prefix)) == 0))
      return &d->v[i];
  return NULL;
}

size_t
th_count (const struct og_decisions *d, enum og_decision_kind kind)
{
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++)
    n += d->v[i].kind == kind;
  return n;
}

void
th_enforce (struct og_policy *p, struct og_json *spec, const char *id, struct og_decisions *d)
{
  struct og_enforce_ctx ctx = { .policy = p, .bundle = th_tmpdir (), .container_id = id };
  struct og_error err = { 0 };

  if (og_enforce_config (&ctx, spec, d, &err) < 0)
    ck_abort_msg ("enforce: %s", err.msg);
}

void
th_make_socket (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);

  ck_assert_int_ge (fd, 0);
  ck_assert_uint_lt (strlen (path), sizeof sa.sun_path);
  strcpy (sa.sun_path, path);
  unlink (path);
  ck_assert_msg (bind (fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s", path, strerror (errno));
  close (fd);
}

bool
th_caps_within (const struct og_json *spec, const struct og_policy *p)
{
  static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  struct og_json *caps = og_json_path (spec, "process", "capabilities", NULL);

  if (caps == NULL)
    return false;
  for (size_t s = 0; s < 5; s++)
    {
      struct og_json *set = og_json_get_set (caps, sets[s]);
      for (size_t i = 0; set && i < set->n; i++)
        if (!og_json_is_string (set->vals[i]) || !og_strv_contains (p->caps.allow, set->vals[i]->text))
          return false;
    }
  return true;
}

int
th_run (Suite *s)
{
  SRunner *sr = srunner_create (s);
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
