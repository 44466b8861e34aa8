/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit trail: one JSON line per enforced call, appended with a single
 * write(2) on an O_APPEND descriptor so concurrent creates never interleave.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "ocigate/util.h"
#include "ocigate.h"

static void
gen_str (yajl_gen g, const char *s)
{
  if (s == NULL)
    yajl_gen_null (g);
  else
    yajl_gen_string (g, (const unsigned char *)s, strlen (s));
}

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  gen_str (g, k);
  gen_str (g, v);
}

static void
gen_decisions (yajl_gen g, const struct og_decisions *d)
{
  yajl_gen_array_open (g);
  for (size_t i = 0; d && i < d->n; i++)
    {
      const struct og_decision *e = &d->v[i];
      yajl_gen_map_open (g);
      gen_kv (g, "rule", e->rule);
      gen_kv (g, "action", og_decision_kind_name (e->kind));
      gen_kv (g, "path", e->path);
      gen_kv (g, "before", e->before);
      gen_kv (g, "after", e->after);
      gen_kv (g, "reason", e->reason);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

char *
ocigate_audit_line (const struct ocigate_audit *a)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char now[64], *line;
  struct timespec ts;
  struct tm tm;

  if (g == NULL)
    abort ();
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
  yajl_gen_map_open (g);
  gen_kv (g, "time", now);
  gen_kv (g, "event", a->event);
  gen_kv (g, "command", a->cl ? a->cl->command : NULL);
  gen_kv (g, "id", a->cl ? a->cl->id : NULL);
  if (a->cl && a->cl->command && strcmp (a->cl->command, "exec") != 0 && strcmp (a->cl->command, "update") != 0)
    gen_kv (g, "bundle", a->cl->bundle ? a->cl->bundle : ".");
  gen_kv (g, "policy", a->policy_path);
  gen_kv (g, "policy_sha256", a->policy ? a->policy->digest : NULL);
  gen_kv (g, "mode", a->policy ? (a->policy->audit_only ? "audit" : "enforce") : NULL);
  gen_str (g, "pid");
  yajl_gen_integer (g, getpid ());
  if (a->message)
    gen_kv (g, "message", a->message);
  gen_str (g, "decisions");
  gen_decisions (g, a->decisions);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  line = og_xasprintf ("%.*s\n", (int)len, buf);
  yajl_gen_free (g);
  return line;
}

/* mkdir -p of the log's directory, private to root. */
static int
make_parent (const char *path)
{
  og_cleanup_free char *dir = og_xstrdup (path);
  char *slash = strrchr (dir, '/');

  if (slash == NULL || slash == dir)
    return 0;
  *slash = '\0';
  for (char *p = dir + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (dir, 0755) < 0 && errno != EEXIST)
          return -1;
        *p = '/';
      }
  return mkdir (dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int
ocigate_audit_write (const struct ocigate_audit *a, struct og_error *err)
{
  const char *path = a->policy ? a->policy->audit_log : OG_AUDIT_LOG_DEFAULT;
  og_cleanup_free char *line = NULL;
  og_cleanup_close int fd = -1;

  if (path == NULL)
    return 0;
  line = ocigate_audit_line (a);
  fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0 && errno == ENOENT && make_parent (path) == 0)
    fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0)
    return og_error_set (err, errno, "cannot open audit log %s", path);
  if (og_write_all (fd, line, strlen (line)) < 0)
    return og_error_set (err, errno, "cannot write audit log %s", path);
  return 0;
}
