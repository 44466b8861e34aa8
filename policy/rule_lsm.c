/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lsm: where the host runs AppArmor or SELinux, every container is confined
 * by it.  On a host without the LSM the rule records that it was skipped,
 * so an audit trail never suggests a confinement that did not exist.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static bool
apparmor_enabled (void)
{
  char c = 'N';
  og_cleanup_file FILE *f = fopen ("/sys/module/apparmor/parameters/enabled", "re");

  if (f == NULL || fread (&c, 1, 1, f) != 1)
    return false;
  return c == 'Y';
}

static bool
selinux_enabled (void)
{
  return access ("/sys/fs/selinux/enforce", F_OK) == 0;
}

static void
apparmor (const struct og_enforce_ctx *ctx, struct og_json *process, struct og_decisions *d)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *prof = og_json_get_set (process, "apparmorProfile");

  if (prof && !og_json_is_string (prof))
    {
      og_rule_malformed (d, "lsm", "process.apparmorProfile", prof, "a string");
      return;
    }
  if (og_json_is_string (prof) && prof->len > 0 && strcmp (prof->text, "unconfined") != 0)
    return;
  if (!apparmor_enabled ())
    {
      og_decisions_add (d, "lsm", OG_DECISION_AUDIT, "process.apparmorProfile", og_json_to_text (prof), NULL,
                        "AppArmor is not enabled on this host: no profile enforced");
      return;
    }
  if (p->lsm.apparmor_profile == NULL)
    {
      og_rule_refuse (ctx, p->lsm.action, d, "lsm", "process.apparmorProfile", og_json_to_text (prof),
                      "the container would run without an AppArmor profile");
      return;
    }
  if (og_rule_change (ctx, p->lsm.action, d, "lsm", "process.apparmorProfile", og_json_to_text (prof),
                      og_xasprintf ("\"%s\"", p->lsm.apparmor_profile), "the container must run under AppArmor"))
    og_json_set (process, "apparmorProfile", og_json_new_string (p->lsm.apparmor_profile));
}

static void
selinux (const struct og_enforce_ctx *ctx, struct og_json *process, struct og_decisions *d)
{
  struct og_json *label = og_json_get_set (process, "selinuxLabel");

  if (og_json_is_string (label) && label->len > 0)
    return;
  if (!selinux_enabled ())
    {
      og_decisions_add (d, "lsm", OG_DECISION_AUDIT, "process.selinuxLabel", NULL, NULL,
                        "SELinux is not enabled on this host: no label enforced");
      return;
    }
  og_rule_refuse (ctx, ctx->policy->lsm.action, d, "lsm", "process.selinuxLabel", og_json_to_text (label),
                  "the container would run without an SELinux label");
}

int
og_rule_lsm (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *process = og_json_get_set (spec, "process");

  if (process == NULL || process->type != OG_JSON_OBJECT)
    return 0;
  if (ctx->policy->lsm.apparmor_profile || ctx->policy->lsm.action != OG_ACTION_AUDIT)
    apparmor (ctx, process, d);
  if (ctx->policy->lsm.require_selinux_label)
    selinux (ctx, process, d);
  return 0;
}
