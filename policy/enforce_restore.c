/* SPDX-License-Identifier: Apache-2.0 */
/*
 * restore: CRIU recreates the checkpointed processes from the image, with
 * the user, groups, capabilities, seccomp filter and no_new_privs they had
 * when they were dumped; config.json only sets up the container around
 * them.  ocigate cannot read the image, so restore is refused unless the
 * policy allows it ("restore": {"allow": true}); the config is then judged
 * as for create, and so are the options only restore has (here).
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"
#include "rule.h"

/* --lsm-profile "apparmor:<profile>" or "selinux:<label>" replaces the LSM
 * context the image would give the restored processes: judged as the
 * process's apparmorProfile or selinuxLabel would be at create. */
static int
lsm_profile (const struct og_enforce_ctx *ctx, const char *value, struct og_flag_change *change, struct og_decisions *d,
             struct og_error *err)
{
  og_cleanup_json struct og_json *spec = og_json_new (OG_JSON_OBJECT);
  struct og_json *process = og_json_ensure_object (spec, "process"), *prof;

  if (strncmp (value, "selinux:", 8) == 0 && value[8])
    return 0; /* any label, as process.selinuxLabel at create */
  if (strncmp (value, "apparmor:", 9) != 0)
    {
      og_rule_refuse (ctx, OG_ACTION_DENY, d, "restore", "restore --lsm-profile", og_xasprintf ("\"%s\"", value),
                      "an LSM profile must be apparmor:<profile> or selinux:<label>");
      return 0;
    }
  og_json_set (process, "apparmorProfile", og_json_new_string (value + 9));
  if (og_rule_lsm (ctx, spec, d, err) < 0)
    return -1;
  prof = og_json_get (process, "apparmorProfile");
  if (og_json_is_string (prof) && strcmp (prof->text, value + 9) != 0)
    change->value = og_xasprintf ("apparmor:%s", prof->text);
  return 0;
}

static bool
is_true (const char *v)
{
  return v == NULL || strchr ("1tT", v[0]);
}

static void
restore_flag (const struct og_enforce_ctx *ctx, const struct og_json *spec, const struct og_restore_flag *f,
              struct og_decisions *d)
{
  static const char *const namespaces[] = { "network", NULL }; /* runc 1.1's namespaceMapping */
  struct og_json *mount_label = og_json_path (spec, "linux", "mountLabel", NULL);
  const char *v = f->value ? f->value : "";

  switch (f->kind)
    {
      case OG_RESTORE_FLAG_LSM_PROFILE:
        break; /* judged once, the last one */
      case OG_RESTORE_FLAG_LSM_MOUNT_CONTEXT:
        if (v[0] && !(og_json_is_string (mount_label) && strcmp (mount_label->text, v) == 0))
          og_rule_refuse (ctx, OG_ACTION_DENY, d, "restore", "restore --lsm-mount-context", og_xasprintf ("\"%s\"", v),
                          "the mount context must be the config's linux.mountLabel");
        break;
      case OG_RESTORE_FLAG_MANAGE_CGROUPS_MODE:
        /* runc 1.1 ignores it on restore; a runtime that honours it would
         * let CRIU write the image's cgroup limits over the judged ones */
        if (strcmp (v, "full") == 0 || strcmp (v, "strict") == 0)
          og_rule_refuse (ctx, OG_ACTION_DENY, d, "restore", "restore --manage-cgroups-mode",
                          og_xasprintf ("\"%s\"", v), "CRIU would restore the image's cgroup limits over the policy's");
        break;
      case OG_RESTORE_FLAG_EMPTY_NS:
        if (!og_strv_contains ((char *const *)namespaces, v))
          og_rule_refuse (ctx, OG_ACTION_DENY, d, "restore", "restore --empty-ns", og_xasprintf ("\"%s\"", v),
                          "runc leaves only the network namespace empty");
        break;
      case OG_RESTORE_FLAG_EXT_UNIX_SK:
        /* the dumped process's peer outside the container: a host daemon's
         * socket, which no bind mount of this config could have reached */
        if (is_true (f->value))
          og_rule_refuse (ctx, OG_ACTION_DENY, d, "restore", "restore --ext-unix-sk", NULL,
                          "restored processes would be reconnected to unix sockets outside the container");
        break;
    }
}

int
og_enforce_restore (const struct og_enforce_ctx *ctx, const struct og_json *spec, const struct og_restore_flag *flags,
                    size_t n, struct og_flags_out *out, struct og_decisions *d, struct og_error *err)
{
  const struct og_restore_flag *lsm = NULL;

  out->v = og_xcalloc (n ? n : 1, sizeof *out->v);
  out->n = n;
  out->add_no_new_privs = false;
  if (!ctx->policy->restore.allow)
    {
      og_rule_refuse (ctx, OG_ACTION_DENY, d, "restore", "restore", NULL,
                      "restore is not allowed: the checkpoint image, which ocigate cannot judge, decides the "
                      "restored processes' user, capabilities, seccomp filter and no_new_privs (the policy's "
                      "\"restore\": {\"allow\": true} allows it)");
      return 0;
    }
  for (size_t i = 0; i < n; i++)
    {
      if (flags[i].kind == OG_RESTORE_FLAG_LSM_PROFILE)
        lsm = &flags[i]; /* the last one wins */
      restore_flag (ctx, spec, &flags[i], d);
    }
  if (lsm && lsm->value && lsm->value[0])
    return lsm_profile (ctx, lsm->value, &out->v[lsm - flags], d, err);
  return 0;
}
