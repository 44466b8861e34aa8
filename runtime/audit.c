/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit trail: one JSON line per enforced call, appended with a single
 * write(2) on an O_APPEND descriptor, under flock(2), so concurrent creates
 * never interleave.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "kaudit.h"
#include "ocigate.h"

static void
kv (struct og_buf *b, const char *key, const char *value, bool first)
{
  if (!first)
    og_buf_put (b, ",", 1);
  og_buf_put_json_string (b, key);
  og_buf_put (b, ":", 1);
  og_buf_put_json_string (b, value);
}

char *
ocigate_audit_line (const struct ocigate_audit *a)
{
  struct og_buf b = { 0 };
  char now[OG_UTC_LEN], pid[32];

  ocigate_utc_now (now);
  snprintf (pid, sizeof pid, "%d", (int)getpid ());
  og_buf_put (&b, "{", 1);
  kv (&b, "time", now, true);
  kv (&b, "event", a->event, false);
  kv (&b, "command", a->cl ? a->cl->command : NULL, false);
  kv (&b, "id", a->cl ? a->cl->id : NULL, false);
  if (a->cl && a->cl->command && strcmp (a->cl->command, "exec") != 0 && strcmp (a->cl->command, "update") != 0)
    kv (&b, "bundle", a->cl->bundle ? a->cl->bundle : ".", false);
  kv (&b, "policy", a->policy_path, false);
  kv (&b, "policy_sha256", a->policy ? a->policy->digest : NULL, false);
  if (a->profile)
    kv (&b, "profile", a->profile, false);
  kv (&b, "mode", a->policy ? (a->policy->audit_only ? "audit" : "enforce") : NULL, false);
  og_buf_puts (&b, ",\"pid\":");
  og_buf_puts (&b, pid);
  if (a->message)
    kv (&b, "message", a->message, false);
  if (a->kernel_audit)
    kv (&b, "kernel_audit", a->kernel_audit, false);
  og_buf_puts (&b, ",\"decisions\":");
  og_decisions_put_json (&b, a->decisions);
  og_buf_put (&b, "}\n", 2);
  return b.buf;
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
  return og_mkdir_p (dir, 0755, 0700);
}

int
ocigate_audit_write (const struct ocigate_audit *a, struct og_error *err)
{
  const char *path = a->policy ? a->policy->audit_log : OG_AUDIT_LOG_DEFAULT;
  og_cleanup_free char *kernel = ocigate_kaudit_audit (a); /* first: the file record says how it went */
  struct ocigate_audit with_kernel = *a;
  og_cleanup_free char *line = NULL;
  og_cleanup_close int fd = -1;

  if (path == NULL)
    return 0;
  with_kernel.kernel_audit = kernel;
  line = ocigate_audit_line (&with_kernel);
  fd = open (path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0 && errno == ENOENT && make_parent (path) == 0)
    fd = open (path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0)
    return og_error_set (err, errno, "cannot open audit log %s", path);
  /* A writer SIGKILLed in the middle of a record leaves it without its
   * newline: start on a fresh line so the torn fragment stays on its own
   * and this record is whole.  The lock keeps the check from seeing the
   * file in the middle of another writer's append (a record longer than a
   * page grows the file a page at a time), which would put an empty line
   * after that record; it goes with the descriptor, even from a writer
   * that is killed. */
  if (flock (fd, LOCK_EX) < 0)
    return og_error_set (err, errno, "cannot lock audit log %s", path);
  {
    struct stat st;
    char last = '\n';
    if (fstat (fd, &st) == 0 && st.st_size > 0 && pread (fd, &last, 1, st.st_size - 1) != 1)
      last = '\n';
    if (last != '\n')
      {
        char *l = og_xasprintf ("\n%s", line);
        free (line);
        line = l;
      }
  }
  if (og_write_all (fd, line, strlen (line)) < 0)
    return og_error_set (err, errno, "cannot write audit log %s", path);
  return 0;
}
