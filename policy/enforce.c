/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>
#include <stdlib.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

/* fields first: what no rule knows is gone (or refused) before any rule
 * reads the tree; then privileged: it judges the request before the others
 * neuter it. */
static const og_rule_fn rules[] = {
  og_rule_fields,       og_rule_privileged, og_rule_no_new_privileges,
  og_rule_capabilities, og_rule_rootfs,     og_rule_resources,
  og_rule_mounts,       og_rule_hooks,      og_rule_namespaces,
  og_rule_devices,      og_rule_sysctls,    og_rule_seccomp,
  og_rule_paths,        og_rule_userns,     og_rule_process_hardening,
  og_rule_env,          og_rule_lsm,        og_rule_realtime_rlimit,
  og_rule_annotations,  og_rule_cgroups,    og_rule_verify,
};

int
og_enforce_config (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  if (spec == NULL || spec->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "config is not a json object");
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (rules[i](ctx, spec, d, err) < 0)
      return -1;
  return 0;
}

int
og_enforce_process (const struct og_enforce_ctx *ctx, struct og_json *process, struct og_decisions *d,
                    struct og_error *err)
{
  struct og_json *wrapper;
  int r = 0;

  if (process == NULL || process->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "process is not a json object");
  /* The process rules read spec.process: lend them the exec's process. */
  wrapper = og_json_new (OG_JSON_OBJECT);
  og_json_set (wrapper, "process", process);
  if (og_rule_fields_process (ctx, wrapper, d, err) < 0 || og_rule_no_new_privileges (ctx, wrapper, d, err) < 0
      || og_rule_capabilities (ctx, wrapper, d, err) < 0 || og_rule_env (ctx, wrapper, d, err) < 0
      || og_rule_lsm (ctx, wrapper, d, err) < 0 || og_rule_process_hardening (ctx, wrapper, d, err) < 0
      || og_rule_realtime_rlimit (ctx, wrapper, d, err) < 0)
    r = -1;
  wrapper->vals[0] = NULL; /* give it back */
  og_json_free (wrapper);
  return r;
}

int
og_enforce_update (const struct og_enforce_ctx *ctx, struct og_json *res, struct og_decisions *d, struct og_error *err)
{
  if (res == NULL || res->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "update resources are not a json object");
  /* what no rule knows is gone (or refused) before the maxima are read */
  if (og_rule_fields_resources (ctx, res, d, err) < 0)
    return -1;
  return og_rule_resources_update (ctx, res, d, err);
}

int
og_policy_check_files (const struct og_policy *p, struct og_error *err)
{
  og_cleanup_json struct og_json *prof = NULL;

  if (p->seccomp.default_profile == NULL)
    return 0;
  return og_seccomp_load_profile (p->seccomp.default_profile, &prof, err);
}

void
og_judged_sources_free (struct og_judged_sources *j)
{
  for (size_t i = 0; i < j->n; i++)
    close (j->v[i].fd);
  free (j->v);
  j->v = NULL;
  j->n = 0;
}

const struct og_judged_source *
og_judged_source_of (const struct og_judged_sources *j, const struct og_json *m)
{
  for (size_t i = 0; j && i < j->n; i++)
    if (j->v[i].mount == m)
      return &j->v[i];
  return NULL;
}
