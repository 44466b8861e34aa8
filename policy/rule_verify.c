/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify: after every other rule, ocigate-hook is added as a createRuntime
 * and a poststart hook, its arguments saying what the rewritten config
 * asks for (namespaces, id maps, cgroup limits, interfaces; capabilities,
 * no_new_privs, seccomp, a read-only root).  The hook reads the
 * container's process from /proc and fails when the runtime did something
 * else: a runtime bug, a wrapper between ocigate and runc that edits the
 * config, or a runtime that ignores a field it does not know.
 *
 * The expectations travel in the hook's own arguments, not in a file: the
 * hook then needs nothing but the config runc already holds, and
 * `ocigatectl check` shows exactly what will be verified.
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocigate/enforce.h"
#include "ocigate/util.h"
#include "rule.h"

#define HOOK_ARGV0 "ocigate-hook"

const char *
og_verify_hook_path (const struct og_policy *p)
{
  return p->verify.hook ? p->verify.hook : OG_SBINDIR "/" HOOK_ARGV0;
}

static void
arg (struct og_json *args, char *s)
{
  og_json_append (args, og_json_new_string (s));
  free (s);
}

/* The /proc/<pid>/ns name of a runtime-spec namespace type. */
static const char *
ns_file (const char *type)
{
  static const char *const map[][2]
      = { { "pid", "pid" }, { "network", "net" }, { "mount", "mnt" },     { "ipc", "ipc" },
          { "uts", "uts" }, { "user", "user" },   { "cgroup", "cgroup" }, { "time", "time" } };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp (type, map[i][0]) == 0)
      return map[i][1];
  return NULL;
}

/* An entry this rule wrote: the policy's hook path, argv[0] ocigate-hook. */
static bool
is_own (const struct og_policy *p, const struct og_json *hook)
{
  struct og_json *path = og_json_get_set (hook, "path"), *args = og_json_get_set (hook, "args");

  return og_json_is_string (path) && strcmp (path->text, og_verify_hook_path (p)) == 0 && args
         && args->type == OG_JSON_ARRAY && args->n > 0 && og_json_is_string (args->vals[0])
         && strcmp (args->vals[0]->text, HOOK_ARGV0) == 0;
}

/* Another prestart or createRuntime hook (Docker's libnetwork-setkey)
 * may move interfaces in before ours runs. */
static bool
other_network_hooks (const struct og_policy *p, const struct og_json *spec)
{
  static const char *const stages[] = { "prestart", "createRuntime" };

  for (size_t k = 0; k < 2; k++)
    {
      struct og_json *l = og_json_path (spec, "hooks", stages[k], NULL);
      for (size_t i = 0; l && l->type == OG_JSON_ARRAY && i < l->n; i++)
        if (!is_own (p, l->vals[i]))
          return true;
    }
  return false;
}

/* Each namespace the config makes new (no path) must not be the host's. */
static bool
put_namespaces (struct og_json *args, const struct og_policy *p, const struct og_json *spec)
{
  struct og_json *ns = og_json_path (spec, "linux", "namespaces", NULL);
  bool new_user = false;

  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      const char *f = og_json_is_string (t) ? ns_file (t->text) : NULL;
      if (f == NULL || (og_json_is_string (path) && path->len > 0))
        continue;
      arg (args, og_xasprintf ("--new-ns=%s", f));
      /* a new network namespace holds lo and what linux.netDevices moves */
      if (strcmp (f, "net") == 0 && !other_network_hooks (p, spec))
        arg (args, og_xstrdup ("--net-only-lo"));
      new_user |= strcmp (f, "user") == 0;
    }
  return new_user;
}

static void
put_net_devices (struct og_json *args, const struct og_json *spec)
{
  struct og_json *nd = og_json_path (spec, "linux", "netDevices", NULL);

  for (size_t i = 0; nd && nd->type == OG_JSON_OBJECT && i < nd->n; i++)
    {
      struct og_json *name = og_json_get_set (nd->vals[i], "name");
      arg (args, og_xasprintf ("--net-allow=%s", og_json_is_string (name) ? name->text : nd->keys[i]));
    }
}

static void
put_idmaps (struct og_json *args, const struct og_json *spec, const char *key, const char *flag)
{
  struct og_json *maps = og_json_path (spec, "linux", key, NULL);

  for (size_t i = 0; maps && maps->type == OG_JSON_ARRAY && i < maps->n; i++)
    {
      int64_t c, h, s;
      if (og_json_int64 (og_json_get (maps->vals[i], "containerID"), &c) == 0
          && og_json_int64 (og_json_get (maps->vals[i], "hostID"), &h) == 0
          && og_json_int64 (og_json_get (maps->vals[i], "size"), &s) == 0)
        arg (args, og_xasprintf ("--%s=%" PRId64 ":%" PRId64 ":%" PRId64, flag, c, h, s));
    }
}

static void
put_limit (struct og_json *args, const struct og_json *spec, const char *group, const char *key, const char *flag)
{
  int64_t v;

  if (og_json_int64 (og_json_path (spec, "linux", "resources", group, key, NULL), &v) == 0 && v > 0)
    arg (args, og_xasprintf ("--%s=%" PRId64, flag, v));
}

static void
put_cgroups (struct og_json *args, const struct og_json *spec)
{
  int64_t quota, period = 100000;
  struct og_json *p = og_json_path (spec, "linux", "resources", "cpu", "period", NULL);

  put_limit (args, spec, "memory", "limit", "memory");
  put_limit (args, spec, "pids", "limit", "pids");
  if (og_json_int64 (og_json_path (spec, "linux", "resources", "cpu", "quota", NULL), &quota) == 0 && quota > 0
      && (p == NULL || (og_json_int64 (p, &period) == 0 && period > 0)))
    arg (args, og_xasprintf ("--cpu=%" PRId64 ":%" PRId64, quota, period));
}

static void
put_caps (struct og_json *args, const struct og_json *spec)
{
  static const char *const sets[][2] = { { "bounding", "bnd" },
                                         { "effective", "eff" },
                                         { "permitted", "prm" },
                                         { "inheritable", "inh" },
                                         { "ambient", "amb" } };
  struct og_json *caps = og_json_path (spec, "process", "capabilities", NULL);

  for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++)
    {
      struct og_json *l = og_json_get_set (caps, sets[k][0]);
      struct og_buf b = { 0 };

      og_buf_puts (&b, "--cap-");
      og_buf_puts (&b, sets[k][1]);
      og_buf_puts (&b, "=");
      for (size_t i = 0; l && l->type == OG_JSON_ARRAY && i < l->n; i++)
        if (og_json_is_string (l->vals[i]))
          {
            if (i > 0)
              og_buf_puts (&b, ",");
            og_buf_puts (&b, l->vals[i]->text);
          }
      arg (args, b.buf);
    }
}

static struct og_json *
common_args (const struct og_enforce_ctx *ctx, const char *stage)
{
  struct og_json *args = og_json_new (OG_JSON_ARRAY);

  arg (args, og_xstrdup (HOOK_ARGV0));
  arg (args, og_xstrdup (stage));
  arg (args, og_xasprintf ("--mode=%s", ctx->policy->verify.mode == OG_VERIFY_ENFORCE ? "enforce" : "audit"));
  if (ctx->policy->audit_log)
    arg (args, og_xasprintf ("--audit-log=%s", ctx->policy->audit_log));
  return args;
}

static struct og_json *
create_runtime_args (const struct og_enforce_ctx *ctx, const struct og_json *spec)
{
  struct og_json *args = common_args (ctx, "createRuntime");

  if (put_namespaces (args, ctx->policy, spec))
    {
      put_idmaps (args, spec, "uidMappings", "uid-map");
      put_idmaps (args, spec, "gidMappings", "gid-map");
    }
  put_net_devices (args, spec);
  put_cgroups (args, spec);
  return args;
}

static struct og_json *
poststart_args (const struct og_enforce_ctx *ctx, const struct og_json *spec)
{
  struct og_json *args = common_args (ctx, "poststart");

  if (og_json_is_true (og_json_path (spec, "root", "readonly", NULL)))
    arg (args, og_xstrdup ("--readonly-root"));
  if (og_json_is_true (og_json_path (spec, "process", "noNewPrivileges", NULL)))
    arg (args, og_xstrdup ("--nnp"));
  if (og_json_path (spec, "linux", "seccomp", NULL))
    arg (args, og_xstrdup ("--seccomp"));
  put_caps (args, spec);
  return args;
}

bool
og_verify_is_own_hook (const struct og_policy *p, const struct og_json *hook, const struct stat *st)
{
  struct og_json *args = og_json_get_set (hook, "args");
  struct stat own;

  return p->verify.mode != OG_VERIFY_OFF && stat (og_verify_hook_path (p), &own) == 0 && own.st_dev == st->st_dev
         && own.st_ino == st->st_ino && args && args->type == OG_JSON_ARRAY && args->n >= 2
         && og_json_is_string (args->vals[0]) && strcmp (args->vals[0]->text, HOOK_ARGV0) == 0
         && og_json_is_string (args->vals[1])
         && (strcmp (args->vals[1]->text, "createRuntime") == 0 || strcmp (args->vals[1]->text, "poststart") == 0)
         && og_json_get_set (hook, "env") == NULL;
}

/* The list already ends with exactly `hook` and holds nothing else of
 * ours: the rewrite is a fixed point, checking it again changes nothing. */
static bool
already_there (const struct og_policy *p, const struct og_json *list, const struct og_json *hook)
{
  og_cleanup_free char *want = NULL, *have = NULL;
  size_t own = 0;

  if (list == NULL || list->type != OG_JSON_ARRAY || list->n == 0 || !is_own (p, list->vals[list->n - 1]))
    return false;
  for (size_t i = 0; i < list->n; i++)
    own += is_own (p, list->vals[i]);
  want = og_json_to_text (hook);
  have = og_json_to_text (list->vals[list->n - 1]);
  return own == 1 && strcmp (have, want) == 0;
}

/* An entry of ours already in the list (a config enforced before) is
 * replaced: only the expectations computed now count. */
static void
drop_own (const struct og_policy *p, struct og_json *list)
{
  for (size_t i = list->n; i-- > 0;)
    if (is_own (p, list->vals[i]))
      og_json_remove_at (list, i);
}

/* The stage's hook list, created if absent; NULL when malformed (the
 * hooks rule refused it). */
static struct og_json *
stage_list (struct og_json *spec, const char *stage)
{
  struct og_json *hooks = og_json_ensure_object (spec, "hooks"), *list;

  if (hooks == NULL)
    return NULL;
  list = og_json_get_set (hooks, stage);
  if (list == NULL)
    {
      list = og_json_new (OG_JSON_ARRAY);
      og_json_set (hooks, stage, list);
    }
  return list->type == OG_JSON_ARRAY ? list : NULL;
}

static void
add_hook (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, const char *stage,
          struct og_json *args)
{
  og_cleanup_free char *path = og_xasprintf ("hooks.%s", stage);
  struct og_json *hook = og_json_new (OG_JSON_OBJECT), *list;

  og_json_set (hook, "path", og_json_new_string (og_verify_hook_path (ctx->policy)));
  og_json_set (hook, "args", args);
  if (already_there (ctx->policy, og_json_path (spec, "hooks", stage, NULL), hook))
    {
      og_json_free (hook);
      return;
    }
  if (!og_rule_change (ctx, OG_ACTION_ENFORCE, d, "verify", path, NULL, og_json_to_text (hook),
                       "ocigate-hook checks at %s that the runtime did what this config says (verify mode %s)", stage,
                       ctx->policy->verify.mode == OG_VERIFY_ENFORCE ? "enforce" : "audit")
      || (list = stage_list (spec, stage)) == NULL)
    {
      og_json_free (hook);
      return;
    }
  drop_own (ctx->policy, list);
  og_json_append (list, hook);
}

int
og_rule_verify (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  const char *hook = og_verify_hook_path (p);
  const char *why = "not an executable file";
  struct stat st;

  (void)err;
  if (p->verify.mode == OG_VERIFY_OFF)
    return 0;
  /* A hook runc cannot run fails every create: say so here instead. */
  if (stat (hook, &st) < 0)
    why = strerror (errno);
  else if (S_ISREG (st.st_mode) && (st.st_mode & 0111) != 0)
    why = NULL;
  if (why)
    {
      struct og_json *h = og_json_new_string (hook);
      og_rule_refuse (ctx, p->verify.mode == OG_VERIFY_ENFORCE ? OG_ACTION_DENY : OG_ACTION_AUDIT, d, "verify", "hooks",
                      og_json_to_text (h), "ocigate-hook %s cannot be run (%s): install it or set verify.hook", hook,
                      why);
      og_json_free (h);
      return 0;
    }
  add_hook (ctx, spec, d, "createRuntime", create_runtime_args (ctx, spec));
  add_hook (ctx, spec, d, "poststart", poststart_args (ctx, spec));
  return 0;
}
