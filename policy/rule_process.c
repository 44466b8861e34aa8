/* SPDX-License-Identifier: Apache-2.0 */
/*
 * process: who the container's process runs as and what it may claim:
 * non-root (unless a user namespace maps root away from host root), rlimit
 * ceilings, an oom_score_adj floor (a container must not make the OOM
 * killer pick host processes first), and no shared mount propagation (a
 * shared bind would let mounts made in the container appear on the host).
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

/* Is container uid 0 mapped to a host uid other than 0? */
static bool
root_is_mapped_away (const struct og_json *spec)
{
  struct og_json *maps = og_json_path (spec, "linux", "uidMappings", NULL);
  struct og_json *ns = og_json_path (spec, "linux", "namespaces", NULL);
  bool userns = false;

  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type");
      userns |= og_json_is_string (t) && strcmp (t->text, "user") == 0;
    }
  if (!userns || maps == NULL || maps->type != OG_JSON_ARRAY)
    return false;
  for (size_t i = 0; i < maps->n; i++)
    {
      int64_t cid, hid, size;
      if (og_json_int64 (og_json_get (maps->vals[i], "containerID"), &cid) < 0
          || og_json_int64 (og_json_get (maps->vals[i], "hostID"), &hid) < 0
          || og_json_int64 (og_json_get (maps->vals[i], "size"), &size) < 0)
        return false;
      if (cid <= 0 && cid + size > 0)
        return hid - cid != 0;
    }
  return false;
}

static void
non_root (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_json *process, struct og_decisions *d)
{
  struct og_json *uid = og_json_path (process, "user", "uid", NULL);
  int64_t v = 0;

  if (uid && og_json_int64 (uid, &v) < 0)
    {
      og_rule_malformed (d, "process", "process.user.uid", uid, "an integer");
      return;
    }
  if (v != 0 || ctx->root_mapped_away || root_is_mapped_away (spec))
    return;
  og_rule_refuse (ctx, ctx->policy->process.action, d, "process", "process.user.uid", og_json_to_text (uid),
                  "the container would run as root (uid 0) without a user namespace");
}

static void
oom_floor (const struct og_enforce_ctx *ctx, struct og_json *process, struct og_decisions *d)
{
  struct og_json *v = og_json_get_set (process, "oomScoreAdj");
  int64_t adj;

  if (v == NULL)
    return;
  if (og_json_int64 (v, &adj) < 0)
    {
      og_rule_malformed (d, "process", "process.oomScoreAdj", v, "an integer");
      return;
    }
  if (adj >= ctx->policy->process.oom_score_adj_min)
    return;
  if (og_rule_change (ctx, ctx->policy->process.action, d, "process", "process.oomScoreAdj", og_json_to_text (v),
                      og_xasprintf ("%" PRId64, ctx->policy->process.oom_score_adj_min),
                      "oom_score_adj %" PRId64 " is below the policy floor %" PRId64, adj,
                      ctx->policy->process.oom_score_adj_min))
    og_json_set (process, "oomScoreAdj", og_json_new_number (ctx->policy->process.oom_score_adj_min));
}

static int
u64 (const struct og_json *v, uint64_t *out)
{
  char *end;

  if (v == NULL || v->type != OG_JSON_NUMBER || v->text[0] == '-' || strpbrk (v->text, ".eE"))
    return -1;
  errno = 0;
  *out = strtoull (v->text, &end, 10);
  return errno || *end ? -1 : 0;
}

static void
rlimits (const struct og_enforce_ctx *ctx, struct og_json *process, struct og_decisions *d)
{
  struct og_json *list = og_json_get_set (process, "rlimits");

  if (list == NULL || ctx->policy->process.rlimit_max == NULL)
    return;
  if (list->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "process", "process.rlimits", list, "an array");
      return;
    }
  for (size_t i = 0; i < list->n; i++)
    {
      struct og_json *r = list->vals[i], *type = og_json_get_set (r, "type");
      og_cleanup_free char *path = og_xasprintf ("process.rlimits[%zu]", i);

      if (!og_json_is_string (type))
        continue;
      for (char **m = ctx->policy->process.rlimit_max; *m; m++)
        {
          size_t n = strcspn (*m, "=");
          int64_t max = strtoll (*m + n + 1, NULL, 10);
          uint64_t hard, soft;

          if (strlen (type->text) != n || strncmp (type->text, *m, n) != 0)
            continue;
          if (u64 (og_json_get (r, "hard"), &hard) < 0 || u64 (og_json_get (r, "soft"), &soft) < 0)
            {
              og_rule_malformed (d, "process", path, r, "an rlimit with integer hard and soft");
              break;
            }
          if (hard <= (uint64_t)max && soft <= (uint64_t)max)
            break;
          if (og_rule_change (ctx, ctx->policy->process.action, d, "process", path, og_json_to_text (r), NULL,
                              "%s above the policy ceiling %" PRId64, type->text, max))
            {
              if (hard > (uint64_t)max)
                og_json_set (r, "hard", og_json_new_number (max));
              if (soft > (uint64_t)max)
                og_json_set (r, "soft", og_json_new_number (max));
            }
          break;
        }
    }
}

static void
propagation (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d)
{
  struct og_json *mounts = og_json_get_set (spec, "mounts");
  struct og_json *rootprop = og_json_path (spec, "linux", "rootfsPropagation", NULL);

  /* Only a recursive private/slave/unbindable root keeps the container's
   * mounts out of the host's table: "private" or "slave" alone left the
   * mounts below "/" shared, and runc's rootfs bind appeared on the host. */
  if (og_json_is_string (rootprop) && rootprop->len > 0 && strcmp (rootprop->text, "rslave") != 0
      && strcmp (rootprop->text, "rprivate") != 0 && strcmp (rootprop->text, "runbindable") != 0
      && og_rule_change (ctx, ctx->policy->process.action, d, "process", "linux.rootfsPropagation",
                         og_json_to_text (rootprop), og_xstrdup ("\"rslave\""),
                         "rootfs propagation %s would let container mounts reach the host (runc's default rslave "
                         "instead)",
                         rootprop->text))
    og_json_set (og_json_get_set (spec, "linux"), "rootfsPropagation", og_json_new_string ("rslave"));
  for (size_t i = 0; mounts && mounts->type == OG_JSON_ARRAY && i < mounts->n; i++)
    {
      struct og_json *opts = og_json_get_set (mounts->vals[i], "options");
      for (size_t k = 0; opts && opts->type == OG_JSON_ARRAY && k < opts->n; k++)
        {
          struct og_json *o = opts->vals[k];
          og_cleanup_free char *path = NULL;
          bool rec;

          if (!og_json_is_string (o) || (strcmp (o->text, "shared") != 0 && strcmp (o->text, "rshared") != 0))
            continue;
          rec = o->text[0] == 'r';
          path = og_xasprintf ("mounts[%zu].options[%zu]", i, k);
          if (og_rule_change (ctx, ctx->policy->process.action, d, "process", path, og_json_to_text (o),
                              og_xstrdup (rec ? "\"rslave\"" : "\"slave\""),
                              "shared mount propagation would let container mounts reach the host"))
            {
              og_json_free (opts->vals[k]);
              opts->vals[k] = og_json_new_string (rec ? "rslave" : "slave");
            }
        }
    }
}

int
og_rule_process_hardening (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                           struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *process = og_rule_process (ctx, spec, d, "process");

  if (process == NULL)
    return 0;
  if (p->process.run_as_non_root)
    non_root (ctx, spec, process, d);
  if (p->process.has_oom_score_adj_min)
    oom_floor (ctx, process, d);
  rlimits (ctx, process, d);
  if (p->process.deny_shared_propagation)
    propagation (ctx, spec, d);
  return 0;
}
