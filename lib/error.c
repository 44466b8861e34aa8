/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/error.h"
#include "ocigate/util.h"

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

int
og_error_set (struct og_error *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);
  if (err == NULL)
    {
      free (msg);
      return -1;
    }
  free (err->msg);
  err->errnum = errnum;
  if (errnum != 0)
    {
      err->msg = og_xasprintf ("%s: %s", msg, strerror (errnum));
      free (msg);
    }
  else
    err->msg = msg;
  return -1;
}

int
og_error_wrap (struct og_error *err, const char *fmt, ...)
{
  va_list ap;
  char *prefix, *msg;

  if (err == NULL)
    return -1;
  va_start (ap, fmt);
  prefix = vformat (fmt, ap);
  va_end (ap);
  msg = og_xasprintf ("%s: %s", prefix, err->msg ? err->msg : "unknown error");
  free (prefix);
  free (err->msg);
  err->msg = msg;
  return -1;
}

void
og_error_clear (struct og_error *err)
{
  if (err == NULL)
    return;
  free (err->msg);
  err->msg = NULL;
  err->errnum = 0;
}
