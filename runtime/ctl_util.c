/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the ocigatectl subcommands share (ctl.h): the error exit, text made
 * safe for a terminal, colour, and reading an input file.  A leaf: the
 * command files call it, it calls none of them.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "ctl.h"

int
ctl_fail (struct og_error *err)
{
  fprintf (stderr, "ocigatectl: %s\n", err->msg ? err->msg : "unknown error");
  og_error_clear (err);
  return CTL_EXIT_ERROR;
}

void
ctl_put_text (const char *s, size_t max)
{
  size_t len = s ? strlen (s) : 0, end = len;

  if (s == NULL)
    return;
  if (max && len > max)
    {
      end = max;
      while (end > 0 && ((unsigned char)s[end] & 0xc0) == 0x80)
        end--;
    }
  for (size_t i = 0; i < end; i++)
    {
      unsigned char c = (unsigned char)s[i];
      if (c < 0x20 || c == 0x7f)
        printf ("\\x%02x", c);
      else if (c == 0xc2 && i + 1 < end && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f)
        printf ("\\x%02x", (unsigned char)s[++i]);
      else
        putchar (c);
    }
  if (end < len)
    fputs ("…", stdout);
}

bool
ctl_use_colour (void)
{
  const char *term = getenv ("TERM");
  return isatty (STDOUT_FILENO) && getenv ("NO_COLOR") == NULL && !(term && strcmp (term, "dumb") == 0);
}

int
ctl_read_regular (const char *path, size_t max, char **out, size_t *len, struct og_error *err)
{
  /* O_NONBLOCK: opening a FIFO planted as the input must not hang the
   * admin's command (the open blocks until a writer appears). */
  og_cleanup_close int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st;

  if (fd < 0)
    return og_error_set (err, errno, "cannot open %s", path);
  if (fstat (fd, &st) < 0)
    return og_error_set (err, errno, "cannot stat %s", path);
  if (!S_ISREG (st.st_mode))
    return og_error_set (err, 0, "%s is not a regular file", path);
  if (og_read_fd_bounded (fd, max, out, len) < 0)
    return errno == EFBIG ? og_error_set (err, EFBIG, "%s is larger than %zu bytes", path, max)
                          : og_error_set (err, errno, "cannot read %s", path);
  return 0;
}
