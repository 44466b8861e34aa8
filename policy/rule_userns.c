/* SPDX-License-Identifier: Apache-2.0 */
/*
 * user_namespace: container root is an unprivileged host uid from the
 * policy's pool, so an escape lands as nobody in particular.  The runtime
 * allocates the range (and stages an idmapped rootfs); this rule writes the
 * mappings, replaces any engine mapping outside the pool (an identity map
 * makes container root host root) and clamps the sysctl that depends on it.
 */
#include <config.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static struct og_json *
mapping (const struct og_userns_range *r)
{
  struct og_json *list = og_json_new (OG_JSON_ARRAY), *m = og_json_new (OG_JSON_OBJECT);

  og_json_set (m, "containerID", og_json_new_number (0));
  og_json_set (m, "hostID", og_json_new_number (r->host_start));
  og_json_set (m, "size", og_json_new_number (r->size));
  og_json_append (list, m);
  return list;
}

static void
set_mappings (const struct og_enforce_ctx *ctx, struct og_json *linux_, const char *key, struct og_decisions *d)
{
  struct og_json *have = og_json_get_set (linux_, key);
  og_cleanup_json struct og_json *want = mapping (ctx->userns);
  og_cleanup_free char *path = og_xasprintf ("linux.%s", key);

  if (og_rule_maps_to (have, ctx->userns))
    return;
  if (og_rule_change (ctx, OG_ACTION_ENFORCE, d, "user_namespace", path, og_json_to_text (have), og_json_to_text (want),
                      "container ids map to the host range %" PRId64 "-%" PRId64 " from the policy pool",
                      ctx->userns->host_start, ctx->userns->host_start + ctx->userns->size - 1))
    og_json_set (linux_, key, og_steal_pointer (&want));
}

/* Docker sets net.ipv4.ping_group_range to "0 2147483647"; inside a user
 * namespace only mapped gids are valid and runc would fail. */
static void
clamp_ping_range (const struct og_enforce_ctx *ctx, const struct og_userns_range *r, struct og_json *linux_,
                  struct og_decisions *d)
{
  struct og_json *v = og_json_path (linux_, "sysctl", "net.ipv4.ping_group_range", NULL);
  long long lo, hi;
  char want[64];

  if (!og_json_is_string (v) || sscanf (v->text, "%lld %lld", &lo, &hi) != 2)
    return;
  if (lo >= 0 && hi < r->size && lo <= hi)
    return;
  snprintf (want, sizeof want, "%lld %" PRId64, lo < 0 ? 0 : lo, r->size - 1);
  if (og_rule_change (ctx, OG_ACTION_ENFORCE, d, "user_namespace", "linux.sysctl.net.ipv4.ping_group_range",
                      og_json_to_text (v), og_xasprintf ("\"%s\"", want),
                      "ping_group_range clamped to the mapped group ids"))
    og_json_set (og_json_get_set (linux_, "sysctl"), "net.ipv4.ping_group_range", og_json_new_string (want));
}

/* Why the container joins the user namespace of container `owner`
 * (caller frees). */
static char *
join_reason (enum og_userns_join kind, const char *owner)
{
  switch (kind)
    {
      case OG_USERNS_JOIN_PID:
        return og_xasprintf ("the container joins the pid namespace of container %s, so it shares that container's "
                             "user namespace and host id range",
                             owner);
      case OG_USERNS_JOIN_POD:
        return og_xasprintf ("the container joins the network namespace of its pod's sandbox %s, so it shares that "
                             "container's user namespace and host id range",
                             owner);
      case OG_USERNS_JOIN_SANDBOX:
        break;
    }
  return og_xasprintf ("the pod's sandbox %s gets the pod's user namespace, made with the network namespace it owns",
                       owner);
}

/* Point a namespaces[] entry at `path`. */
static void
join_path (const struct og_enforce_ctx *ctx, struct og_json *entry, const char *path, struct og_decisions *d,
           const char *why)
{
  og_cleanup_json struct og_json *after = og_json_clone (entry);

  og_json_set (after, "path", og_json_new_string (path));
  if (og_rule_change (ctx, OG_ACTION_ENFORCE, d, "user_namespace", "linux.namespaces", og_json_to_text (entry),
                      og_json_to_text (after), "%s", why))
    og_json_set (entry, "path", og_json_new_string (path));
}

/* A pod's sandbox: CNI made the pod's network namespace in the host's user
 * namespace, where runc could not mount sysfs, set the pod's sysctls or
 * exec from the pod's; its interfaces move into one the pod's user
 * namespace owns (the runtime moves them once the config is accepted). */
static void
pod_network (const struct og_enforce_ctx *ctx, struct og_json *ns, struct og_decisions *d)
{
  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      if (og_json_is_string (t) && strcmp (t->text, "network") == 0 && og_json_is_string (path))
        {
          og_cleanup_free char *why = og_xasprintf (
              "the pod's interfaces move from CNI's network namespace %s into one the pod's user namespace owns",
              path->text);
          join_path (ctx, ns->vals[i], ctx->pod_netns, d, why);
        }
    }
}

/* The pid or network namespace whose owner the container shares: runc
 * joins the one judged (pinned by the runtime), not whatever its path
 * names by then (runc 1.2 and later join it as host root, before the user
 * namespace: a recycled pid would be joined whoever owns it). */
static void
pin_joined (const struct og_enforce_ctx *ctx, struct og_json *ns, struct og_decisions *d)
{
  const char *type = ctx->userns_join_kind == OG_USERNS_JOIN_POD ? "network" : "pid";

  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      if (og_json_is_string (t) && strcmp (t->text, type) == 0 && og_json_is_string (path))
        {
          og_cleanup_free char *why = og_xasprintf (
              "the %s namespace judged at %s, pinned: runc joins that one, not what the path names by then", type,
              path->text);
          join_path (ctx, ns->vals[i], ctx->userns_joined_ns, d, why);
        }
    }
}

/* No range: refused, or (only where the policy says so in so many words)
 * run without a user namespace, said loudly in the record. */
static void
without (const struct og_enforce_ctx *ctx, struct og_decisions *d)
{
  const struct og_policy *p = ctx->policy;
  const char *why = ctx->userns_error ? ctx->userns_error : "no host id range was allocated";
  const char *allowed_by = NULL;

  if (p->userns.mode == OG_USERNS_IF_POSSIBLE)
    switch (ctx->userns_why)
      {
        case OG_USERNS_MISSING_UNSUPPORTED:
          allowed_by = "mode \"if-possible\"";
          break;
        case OG_USERNS_MISSING_POOL:
          allowed_by = p->userns.without_if_pool_exhausted ? "allow_without \"pool-exhausted\"" : NULL;
          break;
        case OG_USERNS_MISSING_PIDNS:
          allowed_by = p->userns.without_if_shared_pid_ns ? "allow_without \"shared-pid-namespace\"" : NULL;
          break;
        case OG_USERNS_MISSING_REFUSED:
          break;
      }
  if (allowed_by == NULL)
    {
      og_decisions_add (d, "user_namespace", p->audit_only ? OG_DECISION_AUDIT : OG_DECISION_REFUSE, "linux.namespaces",
                        NULL, NULL, "%s: %s",
                        ctx->userns_why == OG_USERNS_MISSING_REFUSED ? "no user namespace can be set up"
                                                                     : "a user namespace is required but cannot "
                                                                       "be set up",
                        why);
      return;
    }
  og_decisions_add (d, "user_namespace", OG_DECISION_AUDIT, "linux.namespaces", NULL, NULL,
                    "NO USER NAMESPACE: container root is host root (%s); user_namespace %s allows running without one",
                    why, allowed_by);
}

/* Kubernetes' hostUsers: false: the CRI's user namespace stays, with the
 * range the runtime checked (not host root, not the host's users, not the
 * pool's). */
static void
engine_userns (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d)
{
  struct og_json *linux_ = og_json_get_set (spec, "linux");

  og_decisions_add (d, "user_namespace", OG_DECISION_AUDIT, "linux.namespaces", NULL, NULL,
                    "the CRI's user namespace (Kubernetes hostUsers: false): host ids %" PRId64 "-%" PRId64
                    ", checked inside the namespace: none below 65536, none of ocigate's pool",
                    ctx->userns_engine->host_start, ctx->userns_engine->host_start + ctx->userns_engine->size - 1);
  if (linux_)
    clamp_ping_range (ctx, ctx->userns_engine, linux_, d);
}

int
og_rule_userns (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *linux_, *ns;
  bool have_userns = false;

  if (ctx->userns_engine)
    {
      engine_userns (ctx, spec, d);
      return 0;
    }
  if (p->userns.mode == OG_USERNS_OFF)
    {
      /* off is about ocigate's own; a CRI user namespace that failed its
       * check is refused all the same */
      if (ctx->userns_engine_judged)
        without (ctx, d);
      return 0;
    }
  if (ctx->userns == NULL)
    {
      without (ctx, d);
      return 0;
    }
  linux_ = og_json_ensure_object (spec, "linux");
  if (linux_ == NULL)
    return 0; /* refused elsewhere */
  ns = og_json_get_set (linux_, "namespaces");
  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      if (!og_json_is_string (t) || strcmp (t->text, "user") != 0)
        continue;
      if (path && og_json_is_string (path) && path->len > 0)
        {
          og_rule_refuse (ctx, OG_ACTION_DENY, d, "user_namespace", "linux.namespaces", og_json_to_text (path),
                          "joining an existing user namespace (%s) bypasses the policy pool", path->text);
          return 0;
        }
      have_userns = true;
      if (ctx->userns_join)
        {
          og_cleanup_free char *why = join_reason (ctx->userns_join_kind, ctx->userns_owner);
          join_path (ctx, ns->vals[i], ctx->userns_join, d, why);
        }
    }
  if (!have_userns)
    {
      struct og_json *u = og_json_new (OG_JSON_OBJECT);
      og_json_set (u, "type", og_json_new_string ("user"));
      if (ctx->userns_join)
        og_json_set (u, "path", og_json_new_string (ctx->userns_join));
      og_cleanup_free char *why = ctx->userns_join ? join_reason (ctx->userns_join_kind, ctx->userns_owner)
                                                   : og_xstrdup ("the container gets its own user namespace");
      if (og_rule_change (ctx, OG_ACTION_ENFORCE, d, "user_namespace", "linux.namespaces", NULL, og_json_to_text (u),
                          "%s", why))
        {
          if (ns == NULL || ns->type != OG_JSON_ARRAY)
            {
              ns = og_json_new (OG_JSON_ARRAY);
              og_json_set (linux_, "namespaces", ns);
            }
          og_json_append (ns, u);
        }
      else
        og_json_free (u);
    }
  if (ctx->pod_netns)
    pod_network (ctx, ns, d);
  if (ctx->userns_joined_ns && ctx->userns_join_kind != OG_USERNS_JOIN_SANDBOX)
    pin_joined (ctx, ns, d);
  /* which way the container went, whatever had to change for it */
  og_decisions_add (d, "user_namespace", OG_DECISION_AUDIT, "linux.namespaces", NULL, NULL,
                    ctx->userns_join && ctx->userns_join_kind != OG_USERNS_JOIN_SANDBOX
                        ? "user namespace shared with container %s: host ids %" PRId64 "-%" PRId64
                        : "own user namespace%s: host ids %" PRId64 "-%" PRId64,
                    ctx->userns_join && ctx->userns_join_kind != OG_USERNS_JOIN_SANDBOX ? ctx->userns_owner : "",
                    ctx->userns->host_start, ctx->userns->host_start + ctx->userns->size - 1);
  set_mappings (ctx, linux_, "uidMappings", d);
  set_mappings (ctx, linux_, "gidMappings", d);
  clamp_ping_range (ctx, ctx->userns, linux_, d);
  return 0;
}
