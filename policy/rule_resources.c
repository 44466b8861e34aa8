/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resources: memory, swap, CPU and pids limits.  A missing or unlimited
 * value gets the policy default; a value above the maximum is clamped
 * (enforce) or refused (deny).  Stops one container from exhausting the
 * host (fork bombs, memory hogs).
 */
#include <config.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"

#define CPU_PERIOD_DEFAULT 100000

struct field
{
  struct og_json *parent; /* object holding the value */
  const char *key;
  const char *path;
  bool present;           /* an integer value is there */
  int64_t value;
};

/* Read parent[key] as an integer; false after recording a refusal. */
static bool
read_field (struct og_decisions *d, struct field *f)
{
  struct og_json *v = og_json_get_set (f->parent, f->key);

  f->present = false;
  if (v == NULL)
    return true;
  if (og_json_int64 (v, &f->value) < 0)
    {
      og_rule_malformed (d, "resources", f->path, v, "an integer");
      return false;
    }
  f->present = true;
  return true;
}

/* Apply action to set f to `want`; `why` explains. Returns true if set. */
static bool
set_field (const struct og_enforce_ctx *ctx, struct og_decisions *d, struct field *f, int64_t want, bool over_max,
           const char *why)
{
  enum og_action action = ctx->policy->resources.action;
  char *before = og_json_to_text (og_json_get (f->parent, f->key));
  char *after = og_xasprintf ("%" PRId64, want);

  /* Filling in a missing limit never weakens anything, so "deny" only
   * refuses values above the maximum. */
  if (!over_max && action == OG_ACTION_DENY)
    action = OG_ACTION_ENFORCE;
  if (!og_rule_change (ctx, action, d, "resources", f->path, before, after, "%s", why))
    return false;
  og_json_set (f->parent, f->key, og_json_new_number (want));
  f->value = want;
  f->present = true;
  return true;
}

/* default when unset or unlimited (<= 0), clamp when above max. */
static void
apply_limit (const struct og_enforce_ctx *ctx, struct og_decisions *d, struct field *f, const struct og_limit *lim,
             const char *what)
{
  if (!read_field (d, f))
    return;
  if (!f->present || f->value <= 0)
    {
      int64_t want = lim->has_default ? lim->def : lim->max;
      og_cleanup_free char *why = og_xasprintf ("%s limit %s: policy sets %" PRId64, what,
                                                f->present ? "is unlimited" : "is unset", want);
      if (lim->has_default || lim->has_max)
        set_field (ctx, d, f, want, false, why);
      return;
    }
  if (lim->has_max && f->value > lim->max)
    {
      og_cleanup_free char *why = og_xasprintf ("%s limit %" PRId64 " is above the policy maximum %" PRId64, what,
                                                f->value, lim->max);
      set_field (ctx, d, f, lim->max, true, why);
    }
}

static struct og_json *
section (struct og_decisions *d, struct og_json *parent, const char *key, const char *path)
{
  struct og_json *s = og_json_ensure_object (parent, key);
  if (s == NULL)
    og_rule_malformed (d, "resources", path, og_json_get (parent, key), "an object");
  return s;
}

static void
memory_and_swap (const struct og_enforce_ctx *ctx, struct og_json *res, struct og_decisions *d)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *mem;
  struct field limit = { .key = "limit", .path = "linux.resources.memory.limit" };
  struct field swap = { .key = "swap", .path = "linux.resources.memory.swap" };

  if (!p->resources.memory.has_default && !p->resources.memory.has_max)
    return;
  if ((mem = section (d, res, "memory", "linux.resources.memory")) == NULL)
    return;
  limit.parent = swap.parent = mem;
  apply_limit (ctx, d, &limit, &p->resources.memory, "memory");
  if (!limit.present || limit.value <= 0)
    return;
  if (!p->resources.swap.has_default && !p->resources.swap.has_max)
    return;
  /* runc's swap is memory+swap; the policy counts swap on top of memory. */
  if (!read_field (d, &swap))
    return;
  if (!swap.present || swap.value <= 0)
    {
      int64_t extra = p->resources.swap.has_default ? p->resources.swap.def : p->resources.swap.max;
      og_cleanup_free char *why = og_xasprintf ("memory+swap limit is %s: policy allows %" PRId64
                                                " bytes of swap on top of memory",
                                                swap.present ? "unlimited" : "unset", extra);
      set_field (ctx, d, &swap, limit.value + extra, false, why);
    }
  else if (p->resources.swap.has_max && swap.value > limit.value + p->resources.swap.max)
    {
      og_cleanup_free char *why = og_xasprintf ("memory+swap limit %" PRId64 " allows more than %" PRId64
                                                " bytes of swap",
                                                swap.value, p->resources.swap.max);
      set_field (ctx, d, &swap, limit.value + p->resources.swap.max, true, why);
    }
}

static void
cpu (const struct og_enforce_ctx *ctx, struct og_json *res, struct og_decisions *d)
{
  const struct og_limit *lim = &ctx->policy->resources.cpu;
  struct og_json *c;
  struct field quota = { .key = "quota", .path = "linux.resources.cpu.quota" };
  struct field period = { .key = "period", .path = "linux.resources.cpu.period" };
  int64_t per;

  if (!lim->has_default && !lim->has_max)
    return;
  if ((c = section (d, res, "cpu", "linux.resources.cpu")) == NULL)
    return;
  quota.parent = period.parent = c;
  if (!read_field (d, &quota) || !read_field (d, &period))
    return;
  per = period.present && period.value > 0 ? period.value : CPU_PERIOD_DEFAULT;
  if (!quota.present || quota.value <= 0)
    {
      int64_t mcpu = lim->has_default ? lim->def : lim->max;
      og_cleanup_free char *why = og_xasprintf ("cpu quota is %s: policy sets %" PRId64 ".%03" PRId64 " CPUs",
                                                quota.present ? "unlimited" : "unset", mcpu / 1000, mcpu % 1000);
      if (set_field (ctx, d, &quota, mcpu * per / 1000, false, why) && !period.present)
        og_json_set (c, "period", og_json_new_number (per));
      return;
    }
  if (lim->has_max && quota.value > lim->max * per / 1000)
    {
      og_cleanup_free char *why = og_xasprintf ("cpu quota %" PRId64 "/%" PRId64 " is above the policy maximum of %"
                                                PRId64 ".%03" PRId64 " CPUs",
                                                quota.value, per, lim->max / 1000, lim->max % 1000);
      set_field (ctx, d, &quota, lim->max * per / 1000, true, why);
    }
}

static void
pids (const struct og_enforce_ctx *ctx, struct og_json *res, struct og_decisions *d)
{
  const struct og_limit *lim = &ctx->policy->resources.pids;
  struct og_json *p;
  struct field limit = { .key = "limit", .path = "linux.resources.pids.limit" };

  if (!lim->has_default && !lim->has_max)
    return;
  if ((p = section (d, res, "pids", "linux.resources.pids")) == NULL)
    return;
  limit.parent = p;
  apply_limit (ctx, d, &limit, lim, "pids");
}

int
og_rule_resources (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                   struct og_error *err)
{
  struct og_json *linux_, *res;

  if ((linux_ = section (d, spec, "linux", "linux")) == NULL)
    return 0;
  if ((res = section (d, linux_, "resources", "linux.resources")) == NULL)
    return 0;
  memory_and_swap (ctx, res, d);
  cpu (ctx, res, d);
  pids (ctx, res, d);
  return 0;
}
