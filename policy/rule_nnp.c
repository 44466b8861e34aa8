/* SPDX-License-Identifier: Apache-2.0 */
/* no_new_privileges: setuid binaries and file capabilities inside the
 * container must not raise privileges (PR_SET_NO_NEW_PRIVS). */
#include <config.h>
#include <stdlib.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

int
og_rule_no_new_privileges (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                           struct og_error *err)
{
  enum og_action action = ctx->policy->nnp.action;
  struct og_json *process = og_rule_process (ctx, spec, d, "no_new_privileges");
  struct og_json *v;

  if (process == NULL)
    return 0;
  v = og_json_get_set (process, "noNewPrivileges");
  if (v && !og_json_is_bool (v))
    {
      og_rule_malformed (d, "no_new_privileges", "process.noNewPrivileges", v, "true or false");
      return 0;
    }
  if (og_json_is_true (v))
    return 0;
  if (og_rule_change (ctx, action, d, "no_new_privileges", "process.noNewPrivileges", og_json_to_text (v),
                      og_xstrdup ("true"), "no_new_privileges is required"))
    og_json_set (process, "noNewPrivileges", og_json_new_bool (true));
  return 0;
}
