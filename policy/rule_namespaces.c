/* SPDX-License-Identifier: Apache-2.0 */
/*
 * namespaces: a container without its own pid/network/ipc/uts/mount
 * namespace, or one that joins the host's by path, sees and touches the
 * host (--network host, --pid host, ...).  Joined namespaces are compared by
 * inode with the host's (pid 1's), not by path; a mount namespace is never
 * joined.
 */
#include <config.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

static const char *
proc_name (const char *type)
{
  static const char *const map[][2]
      = { { "network", "net" }, { "mount", "mnt" },     { "pid", "pid" },   { "ipc", "ipc" },
          { "uts", "uts" },     { "cgroup", "cgroup" }, { "user", "user" }, { "time", "time" } };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp (map[i][0], type) == 0)
      return map[i][1];
  return NULL;
}

static bool
path_allowed (const struct og_policy *p, const char *path)
{
  if (p->namespaces.allow_paths == NULL)
    return true;
  for (char **pat = p->namespaces.allow_paths; *pat; pat++)
    if (fnmatch (*pat, path, FNM_PATHNAME) == 0)
      return true;
  return false;
}

static void
check_joined (const struct og_enforce_ctx *ctx, const char *type, const char *path, const char *jpath,
              struct og_decisions *d)
{
  enum og_action action = ctx->policy->namespaces.action;
  const char *pn = proc_name (type);
  og_cleanup_free char *host = pn ? og_xasprintf ("/proc/1/ns/%s", pn) : NULL;
  og_cleanup_free char *self = pn ? og_xasprintf ("/proc/self/ns/%s", pn) : NULL;
  struct stat a, b;

  /* Another mount namespace is another container's (or a host process's)
   * whole filesystem, its staged mounts and binds included; no engine joins
   * one (pods and --network/--ipc/--pid container:X share net, ipc, uts,
   * pid). */
  if (strcmp (type, "mount") == 0)
    {
      og_rule_refuse (ctx, action, d, "namespaces", jpath, og_xasprintf ("\"%s\"", path),
                      "joining the mount namespace at %s would give the container that namespace's whole "
                      "filesystem; no engine joins one",
                      path);
      return;
    }
  if (!path_allowed (ctx->policy, path))
    {
      og_rule_refuse (ctx, action, d, "namespaces", jpath, og_xasprintf ("\"%s\"", path),
                      "joining the %s namespace at %s is not allowed by namespaces.allow_paths", type, path);
      return;
    }
  if (stat (path, &a) < 0)
    {
      og_rule_refuse (ctx, action, d, "namespaces", jpath, og_xasprintf ("\"%s\"", path),
                      "%s namespace %s cannot be checked (%s)", type, path, strerror (errno));
      return;
    }
  /* The engine runs ocigate in the host's namespaces; pid 1's may not be
   * readable where the runtime itself is confined. */
  if ((host && stat (host, &b) == 0 && og_same_file (&a, &b))
      || (self && stat (self, &b) == 0 && og_same_file (&a, &b)))
    og_rule_refuse (ctx, action, d, "namespaces", jpath, og_xasprintf ("\"%s\"", path), "%s namespace %s is the host's",
                    type, path);
}

int
og_rule_namespaces (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                    struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *list = og_json_path (spec, "linux", "namespaces", NULL);

  if (list && list->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "namespaces", "linux.namespaces", list, "an array");
      return 0;
    }
  for (size_t i = 0; list && i < list->n; i++)
    {
      struct og_json *ns = list->vals[i];
      struct og_json *type = og_json_get_set (ns, "type"), *path = og_json_get_set (ns, "path");
      og_cleanup_free char *jpath = og_xasprintf ("linux.namespaces[%zu]", i);

      if (ns->type != OG_JSON_OBJECT || !og_json_is_string (type) || (path && !og_json_is_string (path)))
        {
          og_rule_malformed (d, "namespaces", jpath, ns, "an object with a string type and path");
          continue;
        }
      /* the CRI's own user namespace: judged by the user_namespace rule */
      if (path && path->len > 0 && !(ctx->userns_engine_judged && strcmp (type->text, "user") == 0))
        check_joined (ctx, type->text, path->text, jpath, d);
    }
  for (char **t = p->namespaces.require; t && *t; t++)
    {
      bool found = false;
      if (strcmp (*t, "user") == 0 && p->userns.mode != OG_USERNS_OFF)
        continue; /* the user_namespace rule adds it */
      for (size_t i = 0; list && i < list->n && !found; i++)
        {
          struct og_json *type = og_json_get_set (list->vals[i], "type");
          found = og_json_is_string (type) && strcmp (type->text, *t) == 0;
        }
      if (!found)
        og_rule_refuse (ctx, p->namespaces.action, d, "namespaces", "linux.namespaces", NULL,
                        "the container must have its own %s namespace (it would share the host's)", *t);
    }
  return 0;
}
