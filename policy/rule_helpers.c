/* SPDX-License-Identifier: Apache-2.0 */
/* What every rule family uses to record a decision (policy/rule.h): kept
 * apart from enforce.c, which calls the rules, so the calls run one way
 * only (enforce.c -> rule_*.c -> rule_helpers.c). */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rule.h"
#include "ocigate/util.h"

static char *
vformat (const char *fmt, va_list ap)
{
  char *s;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

bool
og_rule_change (const struct og_enforce_ctx *ctx, enum og_action action, struct og_decisions *d, const char *rule,
                const char *path, char *before, char *after, const char *fmt, ...)
{
  og_cleanup_free char *reason = NULL;
  enum og_decision_kind kind;
  va_list ap;

  va_start (ap, fmt);
  reason = vformat (fmt, ap);
  va_end (ap);
  if (ctx->policy->audit_only || action == OG_ACTION_AUDIT)
    kind = OG_DECISION_AUDIT;
  else if (action == OG_ACTION_DENY)
    kind = OG_DECISION_REFUSE;
  else
    kind = OG_DECISION_MUTATE;
  og_decisions_add (d, rule, kind, path, before, after, "%s", reason);
  return kind == OG_DECISION_MUTATE;
}

void
og_rule_refuse (const struct og_enforce_ctx *ctx, enum og_action action, struct og_decisions *d, const char *rule,
                const char *path, char *value, const char *fmt, ...)
{
  og_cleanup_free char *reason = NULL;
  va_list ap;

  va_start (ap, fmt);
  reason = vformat (fmt, ap);
  va_end (ap);
  og_decisions_add (d, rule,
                    ctx->policy->audit_only || action == OG_ACTION_AUDIT ? OG_DECISION_AUDIT : OG_DECISION_REFUSE, path,
                    value, NULL, "%s", reason);
}

void
og_rule_malformed (struct og_decisions *d, const char *rule, const char *path, const struct og_json *value,
                   const char *expected)
{
  og_decisions_add (d, rule, OG_DECISION_REFUSE, path, og_json_to_text (value), NULL, "%s must be %s", path, expected);
}

struct og_json *
og_rule_process (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, const char *rule)
{
  struct og_json *process = og_json_get_set (spec, "process");

  if (process && process->type == OG_JSON_OBJECT)
    return process;
  og_rule_malformed (d, rule, "process", process, "an object");
  return NULL;
}

/* mappings (uidMappings or gidMappings) is exactly the one range r. */
bool
og_rule_maps_to (const struct og_json *mappings, const struct og_userns_range *r)
{
  int64_t c, h, s;

  return mappings && mappings->type == OG_JSON_ARRAY && mappings->n == 1
         && og_json_int64 (og_json_get (mappings->vals[0], "containerID"), &c) == 0
         && og_json_int64 (og_json_get (mappings->vals[0], "hostID"), &h) == 0
         && og_json_int64 (og_json_get (mappings->vals[0], "size"), &s) == 0 && c == 0 && h == r->host_start
         && s == r->size;
}
