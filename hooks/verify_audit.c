/* SPDX-License-Identifier: Apache-2.0 */
/* The hook's audit record: one JSON line, event "verify", in the log the
 * policy names (passed as --audit-log), appended under flock(2) with one
 * write like ocigate's own records, and the same line on stderr (runc puts
 * a failed hook's stderr in its error).  The record goes to the kernel
 * audit first (op=verify, runtime/kaudit.h: never more than three waits
 * of OCIGATE_KAUDIT_ACK_MS), and the file record says how that went. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "kaudit.h"
#include "verify.h"

static void
kv (struct og_buf *b, const char *key, const char *value)
{
  og_buf_put (b, ",", 1);
  og_buf_put_json_string (b, key);
  og_buf_put (b, ":", 1);
  og_buf_put_json_string (b, value);
}

static char *
line_of (const struct verify_expect *e, const struct verify_proc *p, const char *result, const char *reason,
         const char *kernel)
{
  struct og_buf b = { 0 };
  char now[OG_UTC_LEN], num[32];

  og_format_utc ((int64_t)time (NULL), now);
  og_buf_puts (&b, "{\"time\":");
  og_buf_put_json_string (&b, now);
  kv (&b, "event", "verify");
  kv (&b, "stage", e->stage);
  kv (&b, "id", e->id);
  kv (&b, "mode", e->enforce ? "enforce" : "audit");
  kv (&b, "result", result);
  og_buf_puts (&b, ",\"container_pid\":");
  snprintf (num, sizeof num, "%d", p ? (int)p->pid : -1);
  og_buf_puts (&b, num);
  og_buf_puts (&b, ",\"pid\":");
  snprintf (num, sizeof num, "%d", (int)getpid ());
  og_buf_puts (&b, num);
  kv (&b, "reason", reason);
  kv (&b, "kernel_audit", kernel);
  og_buf_puts (&b, "}\n");
  return b.buf;
}

int
verify_audit_write (const struct verify_expect *e, const struct verify_proc *p, const char *result, const char *reason,
                    struct og_error *err)
{
  /* the hook knows no policy digest and has no state dir to cache the
   * audit status in: it asks each time, only ever after a mismatch */
  const struct ocigate_kaudit_event ev = {
    .op = "verify",
    .command = e->stage,
    .id = e->id,
    .mode = e->enforce ? "enforce" : "audit",
    .reason = reason,
    .failed = e->enforce, /* stopped; in audit mode the container goes on */
  };
  og_cleanup_free char *kernel = ocigate_kaudit_event (&ev);
  og_cleanup_free char *line = line_of (e, p, result, reason, kernel);
  og_cleanup_close int fd = -1;

  fprintf (stderr, "ocigate-hook: %s", line);
  if (e->audit_log == NULL)
    return 0;
  fd = open (e->audit_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0)
    return og_error_set (err, errno, "cannot open audit log %s", e->audit_log);
  /* the lock orders this line with ocigate's records of other containers */
  if (flock (fd, LOCK_EX) < 0)
    return og_error_set (err, errno, "cannot lock audit log %s", e->audit_log);
  if (og_write_all (fd, line, strlen (line)) < 0)
    return og_error_set (err, errno, "cannot write audit log %s", e->audit_log);
  return 0;
}
