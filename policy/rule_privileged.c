/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privileged: `docker run --privileged` asks for every capability, every
 * device, no seccomp, no masked paths and a writable /sys.  Under "deny"
 * such a config is refused outright; under "enforce" it is neutered by the
 * other rules (capabilities, devices, seccomp, paths), which this rule only
 * records.  It runs first, before those rules erase the evidence.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

/* {"allow": true, "access": "rwm"} with no type (or "a"): every device. */
bool
og_device_rule_allows_all (const struct og_json *rule)
{
  struct og_json *allow = og_json_get_set (rule, "allow");
  struct og_json *type = og_json_get_set (rule, "type");

  if (!og_json_is_true (allow))
    return false;
  return type == NULL || (og_json_is_string (type) && strcmp (type->text, "a") == 0);
}

static bool
looks_privileged (const struct og_json *spec, const char **why)
{
  struct og_json *rules = og_json_path (spec, "linux", "resources", "devices", NULL);
  struct og_json *bounding = og_json_path (spec, "process", "capabilities", "bounding", NULL);

  for (size_t i = 0; rules && rules->type == OG_JSON_ARRAY && i < rules->n; i++)
    if (og_device_rule_allows_all (rules->vals[i]))
      {
        *why = "its device cgroup allows every device";
        return true;
      }
  if (og_json_array_has_string (bounding, "CAP_SYS_ADMIN"))
    {
      *why = "it asks for CAP_SYS_ADMIN";
      return true;
    }
  return false;
}

int
og_rule_privileged (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                    struct og_error *err)
{
  enum og_action action = ctx->policy->privileged.action;
  const char *why = NULL;

  if (!looks_privileged (spec, &why))
    return 0;
  if (action == OG_ACTION_ENFORCE && !ctx->policy->audit_only)
    og_decisions_add (d, "privileged", OG_DECISION_AUDIT, "linux", NULL, NULL,
                      "privileged container (%s): capabilities, devices, seccomp and paths are re-applied", why);
  else
    og_rule_refuse (ctx, action, d, "privileged", "linux", NULL, "privileged containers are not allowed (%s)", why);
  return 0;
}
