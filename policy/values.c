/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The values a policy is written in: action names, sizes ("512m"), CPUs
 * ("1.5"), counts, and the one form of a load error.  A leaf below the
 * loader (policy.c) and the table (sections.c), which both use it.
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/error.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "schema.h"

const char *
og_action_name (enum og_action a)
{
  switch (a)
    {
      case OG_ACTION_ENFORCE:
        return "enforce";
      case OG_ACTION_DENY:
        return "deny";
      case OG_ACTION_AUDIT:
        return "audit";
    }
  return "?";
}

/* ---- value parsers ------------------------------------------------------ */

int
og_parse_size (const char *s, int64_t *out)
{
  char *end;
  long long v;
  int64_t mult = 1;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s || v < 0)
    return -1;
  switch (*end)
    {
      case '\0':
        break;
      case 'k':
      case 'K':
        mult = 1LL << 10;
        end++;
        break;
      case 'm':
      case 'M':
        mult = 1LL << 20;
        end++;
        break;
      case 'g':
      case 'G':
        mult = 1LL << 30;
        end++;
        break;
      case 't':
      case 'T':
        mult = 1LL << 40;
        end++;
        break;
      default:
        return -1;
    }
  if (mult > 1 && (strcmp (end, "i") == 0 || strcmp (end, "iB") == 0 || strcmp (end, "B") == 0))
    end += strlen (end);
  if (*end != '\0' || v > INT64_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}

int
og_parse_millicpus (const char *s, int64_t *out)
{
  int64_t whole = 0, frac = 0;
  int digits = 0;
  const char *p = s;

  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      whole = whole * 10 + (*p - '0');
      if (whole > 1000000)
        return -1;
    }
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      {
        if (++digits > 3)
          return -1;
        frac = frac * 10 + (*p - '0');
      }
  if (*p != '\0')
    return -1;
  while (digits++ < 3)
    frac *= 10;
  *out = whole * 1000 + frac;
  return *out > 0 ? 0 : -1;
}

int
og_parse_count (const char *s, int64_t *out)
{
  return og_parse_int64 (s, out) == 0 && *out > 0 ? 0 : -1;
}

int
og_load_error (const struct og_load *l, const char *where, const char *what)
{
  return og_error_set (l->err, 0, "policy %s: %s: %s", l->name, where, what);
}
