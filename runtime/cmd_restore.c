/* SPDX-License-Identifier: Apache-2.0 */
/*
 * restore: CRIU recreates the checkpointed processes from the image, with
 * the user, groups, capabilities, seccomp filter and no_new_privs they had
 * when they were dumped; config.json only sets up the container around
 * them.  ocigate cannot read the image, so restore is refused unless the
 * policy allows it ("restore": {"allow": true}); the config is then judged
 * as for create, and so are the options only restore has.
 */
#include <config.h>
#include <string.h>

#include "../policy/rule.h" /* FIXME(arch): below the front-end boundary */
#include "ocigate/enforce.h"
#include "ocigate/util.h"
#include "ocigate.h"

/* --lsm-profile "apparmor:<profile>" or "selinux:<label>" replaces the LSM
 * context the image would give the restored processes: judged as the
 * process's apparmorProfile or selinuxLabel would be at create. */
static void
lsm_profile (struct ocigate_run *r, const struct og_enforce_ctx *ctx, const struct ocigate_flag *f)
{
  og_cleanup_json struct og_json *spec = og_json_new (OG_JSON_OBJECT);
  struct og_json *process = og_json_ensure_object (spec, "process"), *prof;
  struct og_error err = { 0 };

  if (strncmp (f->value, "selinux:", 8) == 0 && f->value[8])
    return; /* any label, as process.selinuxLabel at create */
  if (strncmp (f->value, "apparmor:", 9) != 0)
    {
      og_rule_refuse (ctx, OG_ACTION_DENY, &r->decisions, "restore", "restore --lsm-profile",
                      og_xasprintf ("\"%s\"", f->value),
                      "an LSM profile must be apparmor:<profile> or selinux:<label>");
      return;
    }
  og_json_set (process, "apparmorProfile", og_json_new_string (f->value + 9));
  if (og_rule_lsm (ctx, spec, &r->decisions, &err) < 0)
    ocigate_refuse (r, "error", err.msg);
  prof = og_json_get (process, "apparmorProfile");
  if (og_json_is_string (prof) && strcmp (prof->text, f->value + 9) != 0)
    {
      char *v = og_xasprintf ("apparmor:%s", prof->text);
      if (f->value_index >= 0)
        r->cl.argv[f->value_index] = v;
      else
        r->cl.argv[f->index] = og_xasprintf ("--%s=%s", f->name, v);
    }
}

static void
restore_flags (struct ocigate_run *r, const struct og_enforce_ctx *ctx, const struct og_json *spec)
{
  static const char *const namespaces[] = { "network", NULL }; /* runc 1.1's namespaceMapping */
  struct og_json *mount_label = og_json_path (spec, "linux", "mountLabel", NULL);
  const struct ocigate_flag *lsm = NULL;

  for (size_t i = 0; i < r->cl.nflags; i++)
    {
      const struct ocigate_flag *f = &r->cl.flags[i];
      const char *v = f->value;

      if (strcmp (f->name, "lsm-profile") == 0)
        lsm = f; /* the last one wins */
      else if (strcmp (f->name, "lsm-mount-context") == 0 && v[0]
               && !(og_json_is_string (mount_label) && strcmp (mount_label->text, v) == 0))
        og_rule_refuse (ctx, OG_ACTION_DENY, &r->decisions, "restore", "restore --lsm-mount-context",
                        og_xasprintf ("\"%s\"", v), "the mount context must be the config's linux.mountLabel");
      else if (strcmp (f->name, "manage-cgroups-mode") == 0 && (strcmp (v, "full") == 0 || strcmp (v, "strict") == 0))
        /* runc 1.1 ignores it on restore; a runtime that honours it would
         * let CRIU write the image's cgroup limits over the judged ones */
        og_rule_refuse (ctx, OG_ACTION_DENY, &r->decisions, "restore", "restore --manage-cgroups-mode",
                        og_xasprintf ("\"%s\"", v), "CRIU would restore the image's cgroup limits over the policy's");
      else if (strcmp (f->name, "empty-ns") == 0 && !og_strv_contains ((char *const *)namespaces, v))
        og_rule_refuse (ctx, OG_ACTION_DENY, &r->decisions, "restore", "restore --empty-ns", og_xasprintf ("\"%s\"", v),
                        "runc leaves only the network namespace empty");
      else if (strcmp (f->name, "ext-unix-sk") == 0 && (v == NULL || strchr ("1tT", v[0])))
        /* the dumped process's peer outside the container: a host daemon's
         * socket, which no bind mount of this config could have reached */
        og_rule_refuse (ctx, OG_ACTION_DENY, &r->decisions, "restore", "restore --ext-unix-sk", NULL,
                        "restored processes would be reconnected to unix sockets outside the container");
    }
  if (lsm && lsm->value[0])
    lsm_profile (r, ctx, lsm);
}

void
ocigate_restore_judge (struct ocigate_run *r, const struct og_json *spec)
{
  const struct og_enforce_ctx ctx = { .policy = r->policy, .bundle = r->cl.bundle, .container_id = r->cl.id };

  if (!r->policy->restore.allow)
    og_rule_refuse (&ctx, OG_ACTION_DENY, &r->decisions, "restore", "restore", NULL,
                    "restore is not allowed: the checkpoint image, which ocigate cannot judge, decides the "
                    "restored processes' user, capabilities, seccomp filter and no_new_privs (the policy's "
                    "\"restore\": {\"allow\": true} allows it)");
  else
    restore_flags (r, &ctx, spec);
  ocigate_refuse_if_refused (r);
}
