/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Errors in the format runc writes to --log, since that is what the engines
 * read back and show: containerd-shim reports the last "error" line of
 * log.json, Podman the "msg" of its log file.  A malformed line (or a time
 * that is not RFC3339) makes the shim lose the message.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "ocigate.h"

void
ocigate_utc_now (char buf[OG_UTC_LEN])
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  og_format_utc (ts.tv_sec, buf);
}

static char *
json_line (const char *msg, const char *time)
{
  struct og_buf b = { 0 };

  og_buf_puts (&b, "{\"level\":\"error\",\"msg\":");
  og_buf_put_json_string (&b, msg);
  og_buf_puts (&b, ",\"time\":");
  og_buf_put_json_string (&b, time);
  og_buf_puts (&b, "}\n");
  return b.buf;
}

/* logrus text format, as runc writes with --log-format=text. */
static char *
text_line (const char *msg, const char *time)
{
  size_t n = strlen (msg);
  char *esc = og_xmalloc (2 * n + 1), *e = esc;
  char *line;

  for (const char *p = msg; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        *e++ = '\\';
      *e++ = (*p == '\n') ? ' ' : *p;
    }
  *e = '\0';
  line = og_xasprintf ("time=\"%s\" level=error msg=\"%s\"\n", time, esc);
  free (esc);
  return line;
}

void
ocigate_report_error (const struct ocigate_cmdline *cl, const char *msg)
{
  og_cleanup_free char *full = og_xasprintf ("ocigate: %s", msg);
  og_cleanup_free char *line = NULL;
  char now[OG_UTC_LEN];
  int fd;

  if (cl == NULL || cl->log_path == NULL)
    {
      fprintf (stderr, "%s\n", full);
      return;
    }
  /* containerd shows the runtime's stderr, not the log, for update (and
   * stderr is not a container's stdio there) */
  if (cl->command && strcmp (cl->command, "update") == 0)
    fprintf (stderr, "%s\n", full);
  ocigate_utc_now (now);
  if (cl->log_format && strcmp (cl->log_format, "text") == 0)
    line = text_line (full, now);
  else
    line = json_line (full, now);
  fd = open (cl->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0 || og_write_all (fd, line, strlen (line)) < 0)
    fprintf (stderr, "%s (and the log %s could not be written: %s)\n", full, cl->log_path, strerror (errno));
  if (fd >= 0)
    close (fd);
}
