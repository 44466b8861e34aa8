/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capabilities: every one of the five sets is filtered to the policy's
 * allowlist.  Filtering (not subtracting a denylist) means an unknown or
 * oddly spelled name is dropped rather than let through.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };

static bool
allowed (const struct og_policy *p, const struct og_json *e)
{
  return og_json_is_string (e) && og_strv_contains (p->caps.allow, e->text);
}

static int
filter_set (const struct og_enforce_ctx *ctx, struct og_json *caps, const char *set, struct og_decisions *d)
{
  struct og_json *v = og_json_get_set (caps, set);
  og_cleanup_free char *path = og_xasprintf ("process.capabilities.%s", set);
  og_cleanup_json struct og_json *kept = NULL;
  og_cleanup_free char *dropped = NULL;
  struct og_buf names = { 0 };
  size_t ndropped = 0;

  if (v == NULL)
    return 0;
  if (v->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "capabilities", path, v, "an array of capability names");
      return 0;
    }
  for (size_t i = 0; i < v->n && ndropped == 0; i++)
    ndropped += !allowed (ctx->policy, v->vals[i]);
  if (ndropped == 0)
    return 0;
  kept = og_json_new (OG_JSON_ARRAY);
  for (size_t i = 0; i < v->n; i++)
    {
      if (allowed (ctx->policy, v->vals[i]))
        {
          og_json_append (kept, og_json_clone (v->vals[i]));
          continue;
        }
      if (names.len)
        og_buf_puts (&names, ", ");
      if (og_json_is_string (v->vals[i]))
        og_buf_put_json_string (&names, v->vals[i]->text);
      else
        {
          og_cleanup_free char *text = og_json_to_text (v->vals[i]);
          og_buf_puts (&names, text);
        }
    }
  dropped = names.buf;
  if (og_rule_change (ctx, ctx->policy->caps.action, d, "capabilities", path, og_json_to_text (v),
                      og_json_to_text (kept), "capabilities not on the allowlist: %s", dropped))
    og_json_set (caps, set, og_steal_pointer (&kept));
  return 0;
}

int
og_rule_capabilities (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                      struct og_error *err)
{
  struct og_json *process = og_rule_process (ctx, spec, d, "capabilities");
  struct og_json *caps;

  if (process == NULL)
    return 0;
  caps = og_json_get_set (process, "capabilities");
  if (caps == NULL)
    {
      /* runc leaves the process's capabilities untouched when the object is
       * missing: the container would run with every capability of root. */
      og_cleanup_json struct og_json *empty = og_json_new (OG_JSON_OBJECT);
      for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        og_json_set (empty, sets[i], og_json_new (OG_JSON_ARRAY));
      if (og_rule_change (ctx, ctx->policy->caps.action, d, "capabilities", "process.capabilities", og_xstrdup ("null"),
                          og_json_to_text (empty),
                          "no capabilities object (runc would keep all of root's): set every set to empty"))
        og_json_set (process, "capabilities", og_steal_pointer (&empty));
      return 0;
    }
  if (caps->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, "capabilities", "process.capabilities", caps, "an object");
      return 0;
    }
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
    filter_set (ctx, caps, sets[i], d);
  return 0;
}
