/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields: what ocigate does not know, it does not pass on.  The runtime
 * below may be newer than ocigate (crun 1.28 moves a host interface into the
 * container for linux.netDevices; runc 1.2 honours mounts[].uidMappings and
 * process.scheduler), so a member that no runtime-spec release up to v1.3.0
 * defines is refused by default, naming its path; fields.allow names a
 * site's own extensions.  The newer members that grant something the host
 * owns are judged here too: netDevices (a host interface, gone from the
 * host), intelRdt (a host resctrl group), real-time scheduling and I/O
 * (starves the host), idmapped mounts made by the runtime (who owns the
 * files on disk).  doc/fields.md lists every member and who judges it.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

#define RULE "fields"
/* A refused member's value is shown in the decision only when short: the
 * audit record must not carry a 32 MiB blob. */
#define SHOW_MAX 256

struct unknown
{
  const struct og_enforce_ctx *ctx;
  struct og_decisions *d;
};

static char *
shown (const struct og_json *v)
{
  char *t = og_json_to_text (v);

  if (t && strlen (t) > SHOW_MAX)
    {
      free (t);
      return og_xstrdup ("\"(too long to show)\"");
    }
  return t;
}

static bool
on_unknown (struct og_json *parent, size_t i, const char *path, const char *shape, void *data)
{
  const struct unknown *u = data;
  const struct og_policy *p = u->ctx->policy;

  if (og_strv_contains (p->fields.allow, shape))
    return false;
  if (!og_rule_change (u->ctx, p->fields.action, u->d, RULE, path, shown (parent->vals[i]), NULL,
                       "%s is not a member of any runtime-spec release ocigate knows (up to 1.3.0): a newer runtime "
                       "may act on it and no rule judged it (fields.allow names a site's own extensions)",
                       path))
    return false;
  og_json_remove_at (parent, i);
  return true;
}

static void
unknown_members (const struct og_enforce_ctx *ctx, struct og_json *doc, enum og_spec_doc kind, const char *prefix,
                 struct og_decisions *d)
{
  struct unknown u = { .ctx = ctx, .d = d };

  og_spec_unknown_members (doc, kind, prefix, on_unknown, &u);
}

/* Remove obj[key] when the policy's action says so; the decision is made
 * by the caller's og_rule_change. */
static void
net_devices (const struct og_enforce_ctx *ctx, struct og_json *linux_, struct og_decisions *d)
{
  struct og_json *nd = og_json_get_set (linux_, "netDevices");

  if (nd == NULL)
    return;
  if (nd->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, RULE, "linux.netDevices", nd, "an object");
      return;
    }
  for (size_t i = 0; i < nd->n; i++)
    {
      og_cleanup_free char *path = og_xasprintf ("linux.netDevices.%s", nd->keys[i]);

      if (og_strv_contains (ctx->policy->fields.net_devices, nd->keys[i]))
        continue;
      if (og_rule_change (ctx, ctx->policy->fields.action, d, RULE, path, shown (nd->vals[i]), NULL,
                          "moves the host's network interface \"%s\" into the container (the host loses it): "
                          "not in fields.net_devices",
                          nd->keys[i]))
        og_json_remove_at (nd, i--);
    }
}

static void
intel_rdt (const struct og_enforce_ctx *ctx, struct og_json *linux_, struct og_decisions *d)
{
  struct og_json *rdt = og_json_get_set (linux_, "intelRdt");

  if (rdt == NULL || ctx->policy->fields.intel_rdt)
    return;
  if (og_rule_change (ctx, ctx->policy->fields.action, d, RULE, "linux.intelRdt", shown (rdt), NULL,
                      "joins or writes a host resctrl group (cache and memory bandwidth shared with the host): "
                      "fields.intel_rdt is false"))
    og_json_remove (linux_, "intelRdt");
}

static bool
string_in (const struct og_json *v, const char *const *set)
{
  return og_json_is_string (v) && og_strv_contains ((char *const *)set, v->text);
}

/* Real-time and deadline policies run before every normal task on the CPU
 * (the cgroup's CPU quota does not bound SCHED_FIFO without rt_runtime), a
 * negative nice takes CPU from the host's tasks. */
static bool
scheduler_privileged (const struct og_json *s)
{
  static const char *const rt[] = { "SCHED_FIFO", "SCHED_RR", "SCHED_DEADLINE", NULL };
  const struct og_json *nice = og_json_get_set (s, "nice");
  int64_t n = 0;

  if (s->type != OG_JSON_OBJECT)
    return true;
  if (string_in (og_json_get_set (s, "policy"), rt))
    return true;
  return nice && (og_json_int64 (nice, &n) < 0 || n < 0);
}

static void
process_members (const struct og_enforce_ctx *ctx, struct og_json *process, struct og_decisions *d)
{
  static const char *const rt_io[] = { "IOPRIO_CLASS_RT", NULL };
  struct og_json *s = og_json_get_set (process, "scheduler");
  struct og_json *io = og_json_get_set (process, "ioPriority");

  if (ctx->policy->fields.realtime)
    return;
  if (s && scheduler_privileged (s)
      && og_rule_change (ctx, ctx->policy->fields.action, d, RULE, "process.scheduler", shown (s), NULL,
                         "a real-time or deadline policy, or a negative nice, takes CPU from the host's tasks: "
                         "fields.realtime is false"))
    og_json_remove (process, "scheduler");
  if (io && (io->type != OG_JSON_OBJECT || string_in (og_json_get_set (io, "class"), rt_io))
      && og_rule_change (ctx, ctx->policy->fields.action, d, RULE, "process.ioPriority", shown (io), NULL,
                         "the real-time I/O class starves the host's I/O: fields.realtime is false"))
    og_json_remove (process, "ioPriority");
}

static bool
idmap_option (const struct og_json *opts)
{
  return og_json_array_has_string (opts, "idmap") || og_json_array_has_string (opts, "ridmap");
}

/* The CRI's own user namespace (Kubernetes hostUsers: false): containerd
 * idmaps a bind through the pod's mapping (its hostname and resolv.conf);
 * the runtime keeps that only for the engine's own files and named
 * volumes, as with ocigate's own user namespaces (cmd_create.c). */
static bool
cri_pod_idmap (const struct og_enforce_ctx *ctx, const struct og_json *m)
{
  return ctx->userns_engine && !idmap_option (og_json_get_set (m, "options"))
         && og_rule_maps_to (og_json_get_set (m, "uidMappings"), ctx->userns_engine)
         && og_rule_maps_to (og_json_get_set (m, "gidMappings"), ctx->userns_engine);
}

/* An idmapped mount decides which host ids own what the container writes
 * (container root writing as host root on disk): only ocigate's own
 * staging makes them, unless the policy says otherwise. */
static void
mount_idmaps (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d)
{
  struct og_json *mounts = og_json_get_set (spec, "mounts");

  if (ctx->policy->fields.idmapped_mounts || mounts == NULL || mounts->type != OG_JSON_ARRAY)
    return;
  for (size_t i = 0; i < mounts->n; i++)
    {
      struct og_json *m = mounts->vals[i];
      og_cleanup_free char *path = og_xasprintf ("mounts[%zu]", i);

      if (m->type != OG_JSON_OBJECT
          || (!og_json_get_set (m, "uidMappings") && !og_json_get_set (m, "gidMappings")
              && !idmap_option (og_json_get_set (m, "options")))
          || cri_pod_idmap (ctx, m))
        continue;
      if (!og_rule_change (ctx, ctx->policy->fields.action, d, RULE, path, shown (m), NULL,
                           "an idmapped mount made by the runtime decides which host ids own the files the "
                           "container writes: fields.idmapped_mounts is false"))
        continue;
      og_json_remove_at (mounts, i--);
    }
}

int
og_rule_fields (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *linux_ = og_json_get_set (spec, "linux");
  struct og_json *process = og_json_get_set (spec, "process");

  unknown_members (ctx, spec, OG_SPEC_DOC_CONFIG, NULL, d);
  if (linux_ && linux_->type == OG_JSON_OBJECT)
    {
      net_devices (ctx, linux_, d);
      intel_rdt (ctx, linux_, d);
    }
  if (process && process->type == OG_JSON_OBJECT)
    process_members (ctx, process, d);
  mount_idmaps (ctx, spec, d);
  return 0;
}

int
og_rule_fields_process (const struct og_enforce_ctx *ctx, struct og_json *wrapper, struct og_decisions *d,
                        struct og_error *err)
{
  struct og_json *process = og_json_get_set (wrapper, "process");

  if (process == NULL || process->type != OG_JSON_OBJECT)
    return 0;
  unknown_members (ctx, process, OG_SPEC_DOC_PROCESS, "process", d);
  process_members (ctx, process, d);
  return 0;
}

int
og_rule_fields_resources (const struct og_enforce_ctx *ctx, struct og_json *res, struct og_decisions *d,
                          struct og_error *err)
{
  unknown_members (ctx, res, OG_SPEC_DOC_RESOURCES, "resources", d);
  return 0;
}
