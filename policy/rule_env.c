/* SPDX-License-Identifier: Apache-2.0 */
/*
 * env: secrets passed in the environment end up in `docker inspect`, in
 * /proc/<pid>/environ and in crash dumps.  Names that look like credentials
 * and values holding private key material are reported (audit) or refused.
 * Only the variable's name is ever recorded, never its value.
 */
#include <config.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static bool
name_denied (const struct og_policy *p, const char *name)
{
  for (char **pat = p->env.deny_names; pat && *pat; pat++)
    if (fnmatch (*pat, name, FNM_CASEFOLD) == 0)
      return true;
  return false;
}

static bool
value_is_key (const char *value)
{
  return strstr (value, "-----BEGIN") && strstr (value, "PRIVATE KEY-----");
}

int
og_rule_env (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *process = og_json_get_set (spec, "process");
  struct og_json *env = og_json_get_set (process, "env");

  if (env == NULL)
    return 0;
  if (env->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "env", "process.env", env, "an array of strings");
      return 0;
    }
  for (size_t i = 0; i < env->n; i++)
    {
      const struct og_json *e = env->vals[i];
      og_cleanup_free char *name = NULL, *path = NULL;
      const char *eq;

      if (!og_json_is_string (e))
        {
          og_rule_malformed (d, "env", "process.env", env, "an array of strings");
          return 0;
        }
      eq = strchr (e->text, '=');
      name = og_xstrndup (e->text, eq ? (size_t)(eq - e->text) : e->len);
      path = og_xasprintf ("process.env[%zu]", i);
      if (name_denied (p, name))
        og_rule_refuse (ctx, p->env.action, d, "env", path, og_xasprintf ("\"%s\"", name),
                        "environment variable %s looks like a credential (value not recorded)", name);
      else if (p->env.check_values && eq && value_is_key (eq + 1))
        og_rule_refuse (ctx, p->env.action, d, "env", path, og_xasprintf ("\"%s\"", name),
                        "environment variable %s holds private key material (value not recorded)", name);
    }
  return 0;
}
