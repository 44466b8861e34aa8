/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ocigate/decision.h"
#include "ocigate/json.h"
#include "ocigate/util.h"

void
og_decisions_add (struct og_decisions *d, const char *rule, enum og_decision_kind kind, const char *path, char *before,
                  char *after, const char *fmt, ...)
{
  struct og_decision *e;
  va_list ap;

  if (d->n == d->cap)
    {
      d->cap = d->cap ? d->cap * 2 : 16;
      d->v = og_xrealloc (d->v, d->cap * sizeof *d->v);
    }
  e = &d->v[d->n++];
  e->rule = rule;
  e->kind = kind;
  e->path = og_xstrdup (path);
  e->before = before;
  e->after = after;
  va_start (ap, fmt);
  if (vasprintf (&e->reason, fmt, ap) < 0)
    abort ();
  va_end (ap);
}

const struct og_decision *
og_decisions_first_refusal (const struct og_decisions *d)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->v[i].kind == OG_DECISION_REFUSE)
      return &d->v[i];
  return NULL;
}

bool
og_decisions_refused (const struct og_decisions *d)
{
  return og_decisions_first_refusal (d) != NULL;
}

const char *
og_decision_kind_name (enum og_decision_kind k)
{
  switch (k)
    {
      case OG_DECISION_MUTATE:
        return "mutate";
      case OG_DECISION_REFUSE:
        return "refuse";
      case OG_DECISION_AUDIT:
        return "audit";
    }
  return "?";
}

void
og_decisions_clear (struct og_decisions *d)
{
  for (size_t i = 0; i < d->n; i++)
    {
      free (d->v[i].path);
      free (d->v[i].before);
      free (d->v[i].after);
      free (d->v[i].reason);
    }
  free (d->v);
  d->v = NULL;
  d->n = d->cap = 0;
}

static void
kv (struct og_buf *b, const char *key, const char *value, bool first)
{
  if (!first)
    og_buf_put (b, ",", 1);
  og_buf_put_json_string (b, key);
  og_buf_put (b, ":", 1);
  og_buf_put_json_string (b, value);
}

void
og_decisions_put_json (struct og_buf *b, const struct og_decisions *d)
{
  og_buf_put (b, "[", 1);
  for (size_t i = 0; d && i < d->n; i++)
    {
      const struct og_decision *e = &d->v[i];
      og_buf_puts (b, i ? ",{" : "{");
      kv (b, "rule", e->rule, true);
      kv (b, "action", og_decision_kind_name (e->kind), false);
      kv (b, "path", e->path, false);
      kv (b, "before", e->before, false);
      kv (b, "after", e->after, false);
      kv (b, "reason", e->reason, false);
      og_buf_put (b, "}", 1);
    }
  og_buf_put (b, "]", 1);
}
