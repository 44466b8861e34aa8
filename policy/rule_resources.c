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
#include "rule.h"
#include "ocigate/util.h"

#define CPU_PERIOD_DEFAULT 100000
/* The kernel refuses a CFS quota below 1 ms. */
#define CPU_QUOTA_MIN 1000

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

/* An update that sends swap without memory leaves the memory limit as it
 * is: swap is counted on top of the container's current limit (a 1 GiB
 * container sent memory+swap = 17 GiB would get 16 GiB of swap), or of the
 * largest the policy allows when the current one cannot be read. */
static int64_t
memory_base (const struct res_ctx *rc)
{
  const struct og_limit *lim = &rc->ctx->policy->resources.memory;
  int64_t top = lim->has_max ? lim->max : lim->def, cur;

  if (rc->ctx->memory_now && rc->ctx->memory_now (rc->ctx->now_arg, &cur) == 0 && cur > 0 && cur < top)
    return cur;
  return top;
}

static void
memory_and_swap (const struct res_ctx *rc, struct og_json *res)
{
  const struct og_policy *p = rc->ctx->policy;
  og_cleanup_free char *sp = NULL, *lp = NULL, *wp = NULL;
  struct og_json *mem;
  struct field limit = { .key = "limit" }, swap = { .key = "swap" };
  int64_t base, sent;

  if (!p->resources.memory.has_default && !p->resources.memory.has_max)
    return;
  if ((mem = res_section (rc, res, "memory", &sp)) == NULL)
    return;
  limit.path = lp = field_path (sp, "limit");
  swap.path = wp = field_path (sp, "swap");
  limit.parent = swap.parent = mem;
  if (og_json_int64 (og_json_get_set (mem, "limit"), &sent) < 0)
    sent = 0;
  apply_limit (rc, &limit, &p->resources.memory, "memory");
  if (!p->resources.swap.has_default && !p->resources.swap.has_max)
    return;
  if (!read_field (rc->d, &swap))
    return;
  /* runc's swap is memory+swap; the policy counts swap on top of memory. */
  if (!rc->update && !(limit.present && limit.value > 0))
    return;
  if (rc->update && (!swap.present || swap.value == 0))
    {
      /* The kernel refuses a memory limit above the current memory+swap
       * limit, and runc writes no swap for 0: an update that sets memory
       * (a clamped one too) must say what swap becomes. */
      int64_t extra = p->resources.swap.has_default ? p->resources.swap.def : p->resources.swap.max;
      og_cleanup_free char *why = NULL;
      if (!limit.present || limit.value <= 0)
        return;
      why = og_xasprintf ("memory+swap follows the new memory limit (%" PRId64 " bytes of swap)", extra);
      set_field (rc->ctx, rc->d, &swap, limit.value + extra, false, why);
      return;
    }
  base = limit.present && limit.value > 0 ? limit.value : memory_base (rc);
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
  else if (limit.present && sent > limit.value && swap.value >= sent)
    {
      /* memory was lowered to the maximum: the swap the request asked for
       * stays on top of it (within the max), so --memory-swap equal to
       * --memory still means no swap */
      int64_t extra = swap.value - sent;
      og_cleanup_free char *why = NULL;
      if (p->resources.swap.has_max && extra > p->resources.swap.max)
        extra = p->resources.swap.max;
      why = og_xasprintf ("memory+swap follows the lowered memory limit (%" PRId64 " bytes of swap)", extra);
      set_field (rc->ctx, rc->d, &swap, limit.value + extra, false, why);
    }
  else if (p->resources.swap.has_max && swap.value > base + p->resources.swap.max)
    {
      og_cleanup_free char *why
          = og_xasprintf ("memory+swap limit %" PRId64 " allows more than %" PRId64 " bytes of swap", swap.value,
                          p->resources.swap.max);
      set_field (rc->ctx, rc->d, &swap, base + p->resources.swap.max, true, why);
    }
}

/* runc 1.1 writes the period before the quota, and when the kernel then
 * refuses the quota its roll-back restores only what its own record holds
 * (0 after an update that sent no CPU values): the new period would stay
 * under the old quota.  So a quota the kernel would refuse is never sent. */
static bool
quota_writable (const struct res_ctx *rc, const char *path, int64_t want, int64_t per)
{
  const struct og_limit *lim = &rc->ctx->policy->resources.cpu;

  if (want >= CPU_QUOTA_MIN)
    return true;
  og_rule_refuse (rc->ctx, rc->ctx->policy->resources.action, rc->d, "resources", path, og_xasprintf ("%" PRId64, want),
                  "cpu period %" PRId64 " us is too short for the policy maximum of %" PRId64 ".%03" PRId64
                  " CPUs: the quota would be below the kernel's minimum of %d us",
                  per, lim->max / 1000, lim->max % 1000, CPU_QUOTA_MIN);
  return false;
}

/* runc 1.1 applies a new period alone and keeps the quota in place, so
 * the CPUs it buys are judged from the container's current quota: a period
 * of 1 ms under a 2-CPU quota of 200 ms would be 200 CPUs. */
static void
period_alone (const struct res_ctx *rc, struct field *quota, int64_t per)
{
  const struct og_limit *lim = &rc->ctx->policy->resources.cpu;
  int64_t cur = -1, cur_period = 0, want;
  bool known;
  og_cleanup_free char *why = NULL;

  if (!lim->has_max)
    return;
  known = rc->ctx->cpu_now && rc->ctx->cpu_now (rc->ctx->now_arg, &cur, &cur_period) == 0;
  want = lim->max * per / 1000;
  if (known && cur > 0 && cur <= want)
    return;
  if (!known)
    why = og_xasprintf ("cpu period %" PRId64 " us is sent without a quota and the container's current quota "
                        "cannot be read: the quota is set to the policy maximum of %" PRId64 ".%03" PRId64 " CPUs",
                        per, lim->max / 1000, lim->max % 1000);
  else if (cur <= 0)
    why = og_xasprintf ("cpu period %" PRId64 " us with the container's unlimited quota: policy allows at most %" PRId64
                        ".%03" PRId64 " CPUs",
                        per, lim->max / 1000, lim->max % 1000);
  else
    {
      int64_t m = cur / per * 1000 + cur % per * 1000 / per;
      why = og_xasprintf ("cpu period %" PRId64 " us with the container's current quota %" PRId64
                          " us would allow %" PRId64 ".%03" PRId64 " CPUs, above the policy maximum of %" PRId64
                          ".%03" PRId64 " CPUs",
                          per, cur, m / 1000, m % 1000, lim->max / 1000, lim->max % 1000);
    }
  if (quota_writable (rc, quota->path, want, per))
    set_field (rc->ctx, rc->d, quota, want, true, why);
}

/* Real-time CPU time (cpu.rt_runtime_us) is not counted by the CFS quota:
 * a SCHED_FIFO task in a group with a real-time budget runs past the CPU
 * limit.  No policy key grants it, so a budget is refused or set to 0
 * (runc writes nothing for 0; a new cgroup has no real-time budget). */
static void
realtime (const struct res_ctx *rc, struct og_json *c, const char *section_path)
{
  og_cleanup_free char *rp = field_path (section_path, "realtimeRuntime");
  struct field rt = { .parent = c, .key = "realtimeRuntime", .path = rp };

  if (!read_field (rc->d, &rt) || !rt.present || rt.value == 0)
    return;
  set_field (rc->ctx, rc->d, &rt, 0, true,
             "real-time CPU time escapes the CPU quota: the policy grants no real-time budget");
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
  realtime (rc, c, sp);
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
  /* runc 1.1 reads a quota of 0 on update as "not sent" */
  if (rc->update && quota.present && quota.value == 0)
    quota.present = false;
  if (rc->update && !quota.present && !period.present)
    return;
  if (rc->update && !quota.present)
    {
      period_alone (rc, &quota, per);
      return;
    }
  if (rc->update && quota.present && !period.present)
    {
      /* The quota is judged against the default period: say so to runc,
       * or a container created with a short period would get more. */
      if (og_rule_change (rc->ctx, OG_ACTION_ENFORCE, rc->d, "resources", pp, NULL, og_xasprintf ("%" PRId64, per),
                          "cpu quota is judged against a period of %" PRId64 " us", per))
        og_json_set (c, "period", og_json_new_number (per));
      period.present = true;
    }
  if (quota.present && quota.value > 0 && quota.value < CPU_QUOTA_MIN)
    {
      og_rule_malformed (rc->d, "resources", quota.path, og_json_get (c, "quota"),
                         "at least 1000 (the kernel's minimum), or -1");
      return;
    }
  if (!quota.present || quota.value <= 0)
    {
      int64_t mcpu = rc->update && lim->has_max ? lim->max : (lim->has_default ? lim->def : lim->max);
      og_cleanup_free char *why = og_xasprintf ("cpu quota is %s: policy sets %" PRId64 ".%03" PRId64 " CPUs",
                                                quota.present ? "unlimited" : "unset", mcpu / 1000, mcpu % 1000);
      if (!quota_writable (rc, quota.path, mcpu * per / 1000, per))
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
      if (quota_writable (rc, quota.path, lim->max * per / 1000, per))
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

/* cgroup v2: runc 1.1 writes each `unified` key as a file of the
 * container's cgroup, after (and over) the limits converted from the judged
 * fields; on cgroup v1 it refuses any key.  The keys that set a judged limit
 * are judged like it; weights and throttles below a limit lift nothing
 * (like cpu.shares); any other key is refused, since a file such as
 * cgroup.procs, memory.min or cpuset.cpus.partition reaches past the
 * container's own limits. */
enum unified_kind
{
  UNIFIED_MEMORY,
  UNIFIED_SWAP,
  UNIFIED_PIDS,
  UNIFIED_CPU,
  UNIFIED_FREE,
};

static const struct
{
  const char *key;
  enum unified_kind kind;
} unified_keys[] = {
  { "memory.max", UNIFIED_MEMORY },     { "memory.swap.max", UNIFIED_SWAP }, { "pids.max", UNIFIED_PIDS },
  { "cpu.max", UNIFIED_CPU },           { "memory.high", UNIFIED_FREE },     { "memory.swap.high", UNIFIED_FREE },
  { "memory.oom.group", UNIFIED_FREE }, { "cpu.weight", UNIFIED_FREE },      { "cpu.weight.nice", UNIFIED_FREE },
  { "cpu.idle", UNIFIED_FREE },         { "io.weight", UNIFIED_FREE },       { "io.bfq.weight", UNIFIED_FREE },
  { "cpuset.cpus", UNIFIED_FREE },      { "cpuset.mems", UNIFIED_FREE },
};

/* "max" (-1) or plain decimal digits, nothing the kernel would read
 * differently (no unit suffix, sign or space). */
static int
unified_number (const char *s, size_t n, int64_t *out)
{
  int64_t v = 0;

  if (n == 3 && strncmp (s, "max", 3) == 0)
    {
      *out = -1;
      return 0;
    }
  if (n == 0 || n > 18)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      v = v * 10 + (s[i] - '0');
    }
  *out = v;
  return 0;
}

/* The value the policy allows for a limit sent as `v` (-1: unlimited);
 * false when v is within it. */
static bool
unified_clamp (const struct og_limit *lim, int64_t v, int64_t *want)
{
  if (v >= 0 && (!lim->has_max || v <= lim->max))
    return false;
  if (v < 0 && !lim->has_max && !lim->has_default)
    return false;
  *want = lim->has_max ? lim->max : lim->def;
  return true;
}

static void
unified_limit (const struct res_ctx *rc, struct og_json *u, size_t i, const char *path, enum unified_kind kind)
{
  const struct og_policy *p = rc->ctx->policy;
  const struct og_limit *lim = kind == UNIFIED_MEMORY ? &p->resources.memory
                               : kind == UNIFIED_SWAP ? &p->resources.swap
                                                      : &p->resources.pids;
  struct og_json *v = u->vals[i];
  int64_t n, want;
  og_cleanup_free char *after = NULL;

  if (unified_number (v->text, v->len, &n) < 0)
    {
      og_rule_malformed (rc->d, "resources", path, v, "\"max\" or a decimal number");
      return;
    }
  if (!unified_clamp (lim, n, &want))
    return;
  after = og_xasprintf ("%" PRId64, want);
  if (og_rule_change (rc->ctx, p->resources.action, rc->d, "resources", path, og_json_to_text (v),
                      og_xasprintf ("\"%s\"", after), "%s %s is above the policy maximum %" PRId64, u->keys[i], v->text,
                      want))
    og_json_set (u, u->keys[i], og_json_new_string (after));
}

/* cpu.max is "QUOTA PERIOD" or "max PERIOD"; without a period the kernel
 * keeps the current one, so the period is made explicit. */
static void
unified_cpu (const struct res_ctx *rc, struct og_json *u, size_t i, const char *path)
{
  const struct og_limit *lim = &rc->ctx->policy->resources.cpu;
  struct og_json *v = u->vals[i];
  const char *sp = memchr (v->text, ' ', v->len);
  size_t qlen = sp ? (size_t)(sp - v->text) : v->len;
  int64_t q, per = CPU_PERIOD_DEFAULT, want;
  og_cleanup_free char *after = NULL;

  if (unified_number (v->text, qlen, &q) < 0
      || (sp && (unified_number (sp + 1, v->len - qlen - 1, &per) < 0 || per < 1000 || per > 1000000)))
    {
      og_rule_malformed (rc->d, "resources", path, v, "\"QUOTA PERIOD\" (QUOTA a number or max, PERIOD 1000-1000000)");
      return;
    }
  if (!lim->has_max && !lim->has_default)
    return;
  want = (lim->has_max ? lim->max : lim->def) * per / 1000;
  if (sp && q >= 0 && (!lim->has_max || q <= want))
    return;
  if (q >= 0 && (!lim->has_max || q <= want))
    want = q;
  after = og_xasprintf ("%" PRId64 " %" PRId64, want, per);
  if (og_rule_change (rc->ctx, rc->ctx->policy->resources.action, rc->d, "resources", path, og_json_to_text (v),
                      og_xasprintf ("\"%s\"", after),
                      "cpu.max %s is above the policy maximum of %" PRId64 ".%03" PRId64 " CPUs (or names no period)",
                      v->text, lim->max / 1000, lim->max % 1000))
    og_json_set (u, u->keys[i], og_json_new_string (after));
}

static void
unified (const struct res_ctx *rc, struct og_json *res)
{
  struct og_json *u = og_json_get_set (res, "unified");
  og_cleanup_free char *up = og_xasprintf ("%s.unified", rc->prefix);

  if (u == NULL)
    return;
  if (u->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (rc->d, "resources", up, u, "an object of strings");
      return;
    }
  for (size_t i = 0; i < u->n; i++)
    {
      og_cleanup_free char *path = og_xasprintf ("%s[\"%s\"]", up, u->keys[i]);
      size_t k = 0;

      if (!og_json_is_string (u->vals[i]))
        {
          og_rule_malformed (rc->d, "resources", path, u->vals[i], "a string");
          continue;
        }
      while (k < sizeof unified_keys / sizeof unified_keys[0] && strcmp (unified_keys[k].key, u->keys[i]) != 0)
        k++;
      if (k == sizeof unified_keys / sizeof unified_keys[0])
        og_rule_refuse (rc->ctx, rc->ctx->policy->resources.action, rc->d, "resources", path,
                        og_json_to_text (u->vals[i]),
                        "cgroup key %s is not one ocigate judges: runc would write it into the container's cgroup "
                        "as sent",
                        u->keys[i]);
      else if (unified_keys[k].kind == UNIFIED_CPU)
        unified_cpu (rc, u, i, path);
      else if (unified_keys[k].kind != UNIFIED_FREE)
        unified_limit (rc, u, i, path, unified_keys[k].kind);
    }
}

/* RLIMIT_RTPRIO lets an unprivileged task choose SCHED_FIFO, which the CFS
 * quota does not limit (on kernels without real-time group scheduling, the
 * default of most distributions, nothing else stops it): with a CPU limit
 * in the policy it is 0. */
int
og_rule_realtime_rlimit (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                         struct og_error *err)
{
  const struct og_limit *lim = &ctx->policy->resources.cpu;
  struct og_json *process = og_json_get_set (spec, "process");
  struct og_json *list = process && process->type == OG_JSON_OBJECT ? og_json_get_set (process, "rlimits") : NULL;

  (void)err;
  if ((!lim->has_default && !lim->has_max) || list == NULL || list->type != OG_JSON_ARRAY)
    return 0;
  for (size_t i = 0; i < list->n; i++)
    {
      struct og_json *r = list->vals[i], *type = og_json_get_set (r, "type");
      og_cleanup_free char *path = NULL;
      int64_t hard, soft;

      if (!og_json_is_string (type) || strcmp (type->text, "RLIMIT_RTPRIO") != 0)
        continue;
      path = og_xasprintf ("process.rlimits[%zu]", i);
      if (og_json_int64 (og_json_get (r, "hard"), &hard) < 0 || og_json_int64 (og_json_get (r, "soft"), &soft) < 0
          || hard < 0 || soft < 0)
        {
          og_rule_malformed (d, "resources", path, r, "an rlimit with integer hard and soft");
          continue;
        }
      if (hard == 0 && soft == 0)
        continue;
      if (og_rule_change (ctx, ctx->policy->resources.action, d, "resources", path, og_json_to_text (r), NULL,
                          "RLIMIT_RTPRIO lets the container's tasks run real-time, past the CPU quota: set to 0"))
        {
          og_json_set (r, "hard", og_json_new_number (0));
          og_json_set (r, "soft", og_json_new_number (0));
        }
    }
  return 0;
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
    unified (&rc, res);
  }
  return 0;
}

int
og_rule_resources_update (const struct og_enforce_ctx *ctx, struct og_json *res, struct og_decisions *d,
                          struct og_error *err)
{
  const struct res_ctx rc = { .ctx = ctx, .d = d, .update = true, .prefix = "resources" };

  (void)err;
  memory_and_swap (&rc, res);
  cpu (&rc, res);
  pids (&rc, res);
  unified (&rc, res);
  return 0;
}
