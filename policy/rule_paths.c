/* SPDX-License-Identifier: Apache-2.0 */
/*
 * paths: /proc and /sys entries that leak host information or control the
 * host (kcore, sysrq-trigger, /proc/sys, firmware) stay masked or read-only
 * even when the engine dropped them (--privileged,
 * --security-opt systempaths=unconfined), and sysfs/cgroup mounts stay
 * read-only.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static void
ensure_listed (const struct og_enforce_ctx *ctx, struct og_json *linux_, const char *key, char **want,
               struct og_decisions *d)
{
  og_cleanup_free char *path = og_xasprintf ("linux.%s", key);
  struct og_json *list = og_json_get_set (linux_, key);

  if (list && list->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "paths", path, list, "an array of paths");
      return;
    }
  for (char **w = want; w && *w; w++)
    {
      if (og_json_array_has_string (list, *w))
        continue;
      if (!og_rule_change (ctx, ctx->policy->paths.action, d, "paths", path, NULL, og_xasprintf ("\"%s\"", *w),
                           "%s must be in linux.%s", *w, key))
        continue;
      if (list == NULL)
        {
          list = og_json_new (OG_JSON_ARRAY);
          og_json_set (linux_, key, list);
        }
      og_json_append (list, og_json_new_string (*w));
    }
}

static void
readonly_sysfs (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d)
{
  struct og_json *mounts = og_json_get_set (spec, "mounts");

  for (size_t i = 0; mounts && mounts->type == OG_JSON_ARRAY && i < mounts->n; i++)
    {
      struct og_json *m = mounts->vals[i];
      struct og_json *type = og_json_get_set (m, "type"), *opts = og_json_get_set (m, "options");
      og_cleanup_json struct og_json *want = NULL;
      og_cleanup_free char *path = NULL;

      if (!og_json_is_string (type)
          || (strcmp (type->text, "sysfs") != 0 && strcmp (type->text, "cgroup") != 0
              && strcmp (type->text, "cgroup2") != 0))
        continue;
      if (opts && opts->type != OG_JSON_ARRAY)
        continue; /* refused by the mounts rule */
      /* "rrw" clears read-only recursively after the mount (runc 1.1.5
       * mount_setattr), whatever "ro" said */
      if (og_json_array_has_string (opts, "ro") && !og_json_array_has_string (opts, "rw")
          && !og_json_array_has_string (opts, "rrw"))
        continue;
      want = opts ? og_json_clone (opts) : og_json_new (OG_JSON_ARRAY);
      for (size_t k = want->n; k-- > 0;)
        if (og_json_is_string (want->vals[k])
            && (strcmp (want->vals[k]->text, "rw") == 0 || strcmp (want->vals[k]->text, "rrw") == 0))
          og_json_remove_at (want, k);
      if (!og_json_array_has_string (want, "ro"))
        og_json_append (want, og_json_new_string ("ro"));
      path = og_xasprintf ("mounts[%zu].options", i);
      if (og_rule_change (ctx, ctx->policy->paths.action, d, "paths", path, og_json_to_text (opts),
                          og_json_to_text (want), "%s mounts are read-only", type->text))
        og_json_set (m, "options", og_steal_pointer (&want));
    }
}

int
og_rule_paths (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *linux_ = og_json_get_set (spec, "linux");

  if (linux_ == NULL || linux_->type != OG_JSON_OBJECT)
    return 0;
  ensure_listed (ctx, linux_, "maskedPaths", ctx->policy->paths.masked, d);
  ensure_listed (ctx, linux_, "readonlyPaths", ctx->policy->paths.readonly, d);
  if (ctx->policy->paths.readonly_sysfs)
    readonly_sysfs (ctx, spec, d);
  return 0;
}
