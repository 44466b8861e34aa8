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

/* On create a missing value gets the default; on update a missing value
 * means "leave as it is", 0 too, and only what is sent is judged. */
struct res_ctx
{
  const struct og_enforce_ctx *ctx;
  struct og_decisions *d;
  bool update;
  const char *prefix; /* JSON path of the resources object */
};

struct field
{
  struct og_json *parent; /* object holding the value */
  const char *key;
  const char *path; /* JSON path, for decisions */
  bool present;     /* an integer value is there */
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
apply_limit (const struct res_ctx *rc, struct field *f, const struct og_limit *lim, const char *what)
{
  const struct og_enforce_ctx *ctx = rc->ctx;
  struct og_decisions *d = rc->d;

  if (!read_field (d, f))
    return;
  if (rc->update && (!f->present || f->value == 0))
    return;
  if (rc->update && f->value < 0)
    {
      int64_t want = lim->has_max ? lim->max : lim->def;
      og_cleanup_free char *why
          = og_xasprintf ("%s limit cannot be removed by an update: policy allows at most %" PRId64, what, want);
      if (lim->has_default || lim->has_max)
        set_field (ctx, d, f, want, true, why);
      return;
    }
  if (!f->present || f->value <= 0)
    {
      int64_t want = lim->has_default ? lim->def : lim->max;
      og_cleanup_free char *why
          = og_xasprintf ("%s limit %s: policy sets %" PRId64, what, f->present ? "is unlimited" : "is unset", want);
      if (lim->has_default || lim->has_max)
        set_field (ctx, d, f, want, false, why);
      return;
    }
  if (lim->has_max && f->value > lim->max)
    {
      og_cleanup_free char *why
          = og_xasprintf ("%s limit %" PRId64 " is above the policy maximum %" PRId64, what, f->value, lim->max);
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

/* On update an absent section stays absent. */
static struct og_json *
res_section (const struct res_ctx *rc, struct og_json *res, const char *key, char **path)
{
  *path = og_xasprintf ("%s.%s", rc->prefix, key);
  if (rc->update)
    {
      struct og_json *s = og_json_get (res, key);
      /* runc 1.1 dereferences a null section of an update and panics */
      if (s && s->type == OG_JSON_NULL)
        {
          og_rule_malformed (rc->d, "resources", *path, s, "an object");
          return NULL;
        }
      if (s && s->type != OG_JSON_OBJECT)
        {
          og_rule_malformed (rc->d, "resources", *path, s, "an object");
          return NULL;
        }
      return s;
    }
  return section (rc->d, res, key, *path);
}

static char *
field_path (const char *section_path, const char *key)
{
  return og_xasprintf ("%s.%s", section_path, key);
}

static void
memory_and_swap (const struct res_ctx *rc, struct og_json *res)
{
  const struct og_policy *p = rc->ctx->policy;
  og_cleanup_free char *sp = NULL, *lp = NULL, *wp = NULL;
  struct og_json *mem;
  struct field limit = { .key = "limit" }, swap = { .key = "swap" };
  int64_t base;

  if (!p->resources.memory.has_default && !p->resources.memory.has_max)
    return;
  if ((mem = res_section (rc, res, "memory", &sp)) == NULL)
    return;
  limit.path = lp = field_path (sp, "limit");
  swap.path = wp = field_path (sp, "swap");
  limit.parent = swap.parent = mem;
  apply_limit (rc, &limit, &p->resources.memory, "memory");
  if (!p->resources.swap.has_default && !p->resources.swap.has_max)
    return;
  if (!read_field (rc->d, &swap))
    return;
  /* runc's swap is memory+swap; the policy counts swap on top of memory.
   * An update that sends swap without memory is judged against the
   * largest memory limit the policy allows. */
  if (limit.present && limit.value > 0)
    base = limit.value;
  else if (rc->update)
    base = p->resources.memory.has_max ? p->resources.memory.max : p->resources.memory.def;
  else
    return;
  if (rc->update && swap.present && swap.value == 0)
    return;
  if (rc->update && !swap.present)
    {
      /* The kernel refuses a memory limit above the current memory+swap
       * limit: an update that raises memory must say what swap becomes. */
      int64_t extra = p->resources.swap.has_default ? p->resources.swap.def : p->resources.swap.max;
      og_cleanup_free char *why = NULL;
      if (!limit.present || limit.value <= 0)
        return;
      why = og_xasprintf ("memory+swap follows the new memory limit (%" PRId64 " bytes of swap)", extra);
      set_field (rc->ctx, rc->d, &swap, limit.value + extra, false, why);
      return;
    }
  if (!swap.present || swap.value < 0 || (!rc->update && swap.value == 0))
    {
      int64_t extra = rc->update ? (p->resources.swap.has_max ? p->resources.swap.max : p->resources.swap.def)
                                 : (p->resources.swap.has_default ? p->resources.swap.def : p->resources.swap.max);
      og_cleanup_free char *why
          = og_xasprintf ("memory+swap limit is %s: policy allows %" PRId64 " bytes of swap on top of memory",
                          swap.present ? "unlimited" : "unset", extra);
      if (!p->resources.swap.has_max && !p->resources.swap.has_default)
        return;
      set_field (rc->ctx, rc->d, &swap, base + extra, rc->update, why);
    }
  else if (p->resources.swap.has_max && swap.value > base + p->resources.swap.max)
    {
      og_cleanup_free char *why
          = og_xasprintf ("memory+swap limit %" PRId64 " allows more than %" PRId64 " bytes of swap", swap.value,
                          p->resources.swap.max);
      set_field (rc->ctx, rc->d, &swap, base + p->resources.swap.max, true, why);
    }
}

static void
cpu (const struct res_ctx *rc, struct og_json *res)
{
  const struct og_limit *lim = &rc->ctx->policy->resources.cpu;
  og_cleanup_free char *sp = NULL, *qp = NULL, *pp = NULL;
  struct og_json *c;
  struct field quota = { .key = "quota" }, period = { .key = "period" };
  int64_t per;

  if (!lim->has_default && !lim->has_max)
    return;
  if ((c = res_section (rc, res, "cpu", &sp)) == NULL)
    return;
  quota.path = qp = field_path (sp, "quota");
  period.path = pp = field_path (sp, "period");
  quota.parent = period.parent = c;
  if (!read_field (rc->d, &quota) || !read_field (rc->d, &period))
    return;
  /* The kernel takes periods of 1 ms to 1 s; anything else is refused by
   * it, and would overflow the arithmetic below. */
  if (period.present && period.value == 0)
    period.present = false; /* engines send 0 for "not set" */
  if (period.present && (period.value < 1000 || period.value > 1000000))
    {
      og_rule_malformed (rc->d, "resources", period.path, og_json_get (c, "period"), "between 1000 and 1000000");
      return;
    }
  per = period.present ? period.value : CPU_PERIOD_DEFAULT;
  if (rc->update && !quota.present && !period.present)
    return;
  if (rc->update && quota.present && !period.present)
    {
      /* The quota is judged against the default period: say so to runc,
       * or a container created with a short period would get more. */
      if (og_rule_change (rc->ctx, OG_ACTION_ENFORCE, rc->d, "resources", pp, NULL, og_xasprintf ("%" PRId64, per),
                          "cpu quota is judged against a period of %" PRId64 " us", per))
        og_json_set (c, "period", og_json_new_number (per));
      period.present = true;
    }
  if (!quota.present || quota.value <= 0)
    {
      int64_t mcpu = rc->update && lim->has_max ? lim->max : (lim->has_default ? lim->def : lim->max);
      og_cleanup_free char *why = og_xasprintf ("cpu quota is %s: policy sets %" PRId64 ".%03" PRId64 " CPUs",
                                                quota.present ? "unlimited" : "unset", mcpu / 1000, mcpu % 1000);
      /* An update of the period alone changes the CPUs a quota buys. */
      if (rc->update && quota.present && quota.value == 0)
        return;
      if (set_field (rc->ctx, rc->d, &quota, mcpu * per / 1000, rc->update, why) && !period.present)
        og_json_set (c, "period", og_json_new_number (per));
      return;
    }
  if (lim->has_max && quota.value > lim->max * per / 1000)
    {
      og_cleanup_free char *why = og_xasprintf ("cpu quota %" PRId64 "/%" PRId64
                                                " is above the policy maximum of %" PRId64 ".%03" PRId64 " CPUs",
                                                quota.value, per, lim->max / 1000, lim->max % 1000);
      set_field (rc->ctx, rc->d, &quota, lim->max * per / 1000, true, why);
    }
}

static void
pids (const struct res_ctx *rc, struct og_json *res)
{
  const struct og_limit *lim = &rc->ctx->policy->resources.pids;
  og_cleanup_free char *sp = NULL, *lp = NULL;
  struct og_json *p;
  struct field limit = { .key = "limit" };

  if (!lim->has_default && !lim->has_max)
    return;
  if ((p = res_section (rc, res, "pids", &sp)) == NULL)
    return;
  limit.path = lp = field_path (sp, "limit");
  limit.parent = p;
  apply_limit (rc, &limit, lim, "pids");
}

int
og_rule_resources (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *linux_, *res;

  if ((linux_ = section (d, spec, "linux", "linux")) == NULL)
    return 0;
  if ((res = section (d, linux_, "resources", "linux.resources")) == NULL)
    return 0;
  {
    const struct res_ctx rc = { .ctx = ctx, .d = d, .update = false, .prefix = "linux.resources" };
    memory_and_swap (&rc, res);
    cpu (&rc, res);
    pids (&rc, res);
  }
  return 0;
}

int
og_enforce_update (const struct og_enforce_ctx *ctx, struct og_json *res, struct og_decisions *d, struct og_error *err)
{
  const struct res_ctx rc = { .ctx = ctx, .d = d, .update = true, .prefix = "resources" };

  if (res == NULL || res->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "update resources are not a json object");
  og_rule_fields_resources (ctx, res, d, err);
  memory_and_swap (&rc, res);
  cpu (&rc, res);
  pids (&rc, res);
  return 0;
}
