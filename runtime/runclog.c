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
#include <inttypes.h>
#include <stdint.h>
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

/* Length of the UTF-8 sequence at p (shortest form, no surrogates, at
 * most U+10FFFF) and its code point; 0 when p does not start one. */
static size_t
utf8_decode (const unsigned char *p, uint32_t *cp)
{
  size_t need = p[0] >= 0xf0 && p[0] <= 0xf4 ? 3 : p[0] >= 0xe0 && p[0] <= 0xef ? 2 : p[0] >= 0xc2 && p[0] <= 0xdf;
  uint32_t c = p[0] & (0x3f >> need);
  static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };

  if (need == 0)
    return 0;
  for (size_t k = 1; k <= need; k++)
    {
      if ((p[k] & 0xc0) != 0x80)
        return 0;
      c = (c << 6) | (p[k] & 0x3f);
    }
  if (c < min[need] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return need + 1;
}

/* Code points Go's strconv.IsPrint rejects that matter in a log line: C1
 * controls, the line and paragraph separators, and the invisible format
 * characters (bidirectional overrides and isolates, zero-width marks, the
 * byte order mark, the soft hyphen), which can make a line read other
 * than it is. */
static bool
unprintable (uint32_t c)
{
  return (c >= 0x80 && c <= 0x9f) || c == 0xad || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e)
         || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe000 && c <= 0xf8ff)
         || (c >= 0xf0000);
}

/* s as Go's %q writes it (strconv.Quote), which is how logrus's text
 * formatter writes a value that needs quoting: \" and \\, \a \b \f \n \r
 * \t \v, other controls and each byte that is not UTF-8 as \xNN, an
 * unprintable code point as \uNNNN or \UNNNNNNNN. */
static void
go_quote (struct og_buf *b, const char *s)
{
  static const char named[] = "abtnvfr";
  char esc[16];

  og_buf_put (b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p;)
    {
      uint32_t c;
      size_t k;

      if (*p == '"' || *p == '\\')
        {
          esc[0] = '\\';
          esc[1] = (char)*p++;
          og_buf_put (b, esc, 2);
        }
      else if (*p >= 0x20 && *p < 0x7f)
        og_buf_put (b, (const char *)p++, 1);
      else if (*p >= 0x07 && *p <= 0x0d)
        {
          esc[0] = '\\';
          esc[1] = named[*p++ - 0x07];
          og_buf_put (b, esc, 2);
        }
      else if (*p < 0x80 || (k = utf8_decode (p, &c)) == 0)
        {
          snprintf (esc, sizeof esc, "\\x%02x", *p++);
          og_buf_puts (b, esc);
        }
      else if (unprintable (c))
        {
          snprintf (esc, sizeof esc, c > 0xffff ? "\\U%08" PRIx32 : "\\u%04" PRIx32, c);
          og_buf_puts (b, esc);
          p += k;
        }
      else
        {
          og_buf_put (b, (const char *)p, k);
          p += k;
        }
    }
  og_buf_put (b, "\"", 1);
}

/* logrus text format, as runc writes with --log-format=text: the time and
 * an "ocigate: ..." message always need quoting. */
static char *
text_line (const char *msg, const char *time)
{
  struct og_buf b = { 0 };

  og_buf_puts (&b, "time=");
  go_quote (&b, time);
  og_buf_puts (&b, " level=error msg=");
  go_quote (&b, msg);
  og_buf_puts (&b, "\n");
  return b.buf;
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
