/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Workload profiles (ocigate-policy(5) PROFILES): the base policy names
 * profiles, each a selector on engine facts and a partial policy in the form
 * of a policy.d layer.  Each is merged onto the effective policy (base and
 * layers) with the layers' own tighten-only check and compiled here, at
 * load, so a create only picks a pointer (policy/profiles.c).  A profile
 * can never loosen: a forged selector could only make a container stricter.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "schema.h"

/* The engines policy/facts.c can name. */
static const char *const engines[] = { "cri", "buildkit", "docker", "containerd", "podman", NULL };

static bool
good_name (const char *s)
{
  if (s[0] == '\0' || strlen (s) > 64)
    return false;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
      return false;
  return true;
}

static int
read_engine (struct og_profile *pr, const struct og_json *v, const char *at, struct og_error *err)
{
  if (!og_json_is_string (v))
    return og_error_set (err, 0, "%s.engine: must be a string", at);
  for (const char *const *e = engines; *e; e++)
    if (strcmp (*e, v->text) == 0)
      {
        pr->engine = og_xstrdup (v->text);
        return 0;
      }
  return og_error_set (err, 0,
                       "%s.engine: \"%s\" is no engine ocigate recognises (cri, buildkit, docker, containerd, podman)",
                       at, v->text);
}

/* A string or an array of strings: patterns for the pod's namespace. */
static int
read_namespaces (struct og_profile *pr, const struct og_json *v, const char *at, struct og_error *err)
{
  size_t n = v->type == OG_JSON_ARRAY ? v->n : 1;

  if (!og_json_is_string (v) && v->type != OG_JSON_ARRAY)
    return og_error_set (err, 0, "%s.pod_namespace: must be a string or an array of strings", at);
  if (n == 0)
    return og_error_set (err, 0, "%s.pod_namespace: must not be empty", at);
  pr->pod_namespace = og_xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      const struct og_json *e = v->type == OG_JSON_ARRAY ? v->vals[i] : v;
      if (!og_json_is_string (e) || e->text[0] == '\0')
        return og_error_set (err, 0, "%s.pod_namespace: must be a string or an array of non-empty strings", at);
      pr->pod_namespace[i] = og_xstrdup (e->text);
    }
  return 0;
}

static int
read_select (struct og_profile *pr, const struct og_json *sel, const char *at, struct og_error *err)
{
  if (sel == NULL || sel->type != OG_JSON_OBJECT || sel->n == 0)
    return og_error_set (err, 0, "%s: must be a non-empty object (engine, pod_namespace)", at);
  for (size_t i = 0; i < sel->n; i++)
    {
      int r;
      if (strcmp (sel->keys[i], "engine") == 0)
        r = read_engine (pr, sel->vals[i], at, err);
      else if (strcmp (sel->keys[i], "pod_namespace") == 0)
        r = read_namespaces (pr, sel->vals[i], at, err);
      else
        r = og_error_set (err, 0, "%s: unknown key \"%s\" (engine, pod_namespace)", at, sel->keys[i]);
      if (r < 0)
        return -1;
    }
  /* the namespace is a CRI fact: say so rather than leave it implied */
  if (pr->pod_namespace && (pr->engine == NULL || strcmp (pr->engine, "cri") != 0))
    return og_error_set (err, 0, "%s: pod_namespace needs \"engine\": \"cri\" (only the CRI's namespace is trusted)",
                         at);
  return 0;
}

static void
profile_free (struct og_profile *pr)
{
  free (pr->name);
  free (pr->engine);
  og_strv_free (pr->pod_namespace);
  og_policy_free (pr->policy);
  memset (pr, 0, sizeof *pr);
}

/* What ocigatectl show --effective prints of a profile: its selector, its
 * merged policy and the file of each key (the profile's own: label). */
static struct og_json *
shown_profile (const struct og_json *v, const struct og_json *policy, struct og_json *next,
               const struct og_json *sources, const char *label)
{
  struct og_json *o = og_json_new (OG_JSON_OBJECT), *src = og_json_clone (sources);

  og_layer_record (src, policy, label);
  og_json_set (o, "select", og_json_clone (og_json_get (v, "select")));
  og_json_set (o, "policy", next);
  og_json_set (o, "sources", src);
  return o;
}

static int
load_one (const struct og_policy *p, const char *name, const struct og_json *v, const struct og_json *merged,
          const struct og_json *sources, struct og_profile *pr, struct og_json *shown, struct og_error *err)
{
  og_cleanup_free char *at = og_xasprintf ("policy %s: profiles.%s", p->path, name);
  og_cleanup_free char *label = og_xasprintf ("%s (profile %s)", p->path, name);
  og_cleanup_free char *sel_at = og_xasprintf ("%s.select", at);
  og_cleanup_json struct og_json *next = NULL;
  const struct og_json *policy;

  if (!good_name (name))
    return og_error_set (err, 0, "%s: a profile's name is 1 to 64 letters, digits, - or _", at);
  if (v->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "%s: must be an object (select, policy)", at);
  for (size_t i = 0; i < v->n; i++)
    if (strcmp (v->keys[i], "select") != 0 && strcmp (v->keys[i], "policy") != 0
        && strcmp (v->keys[i], "description") != 0)
      return og_error_set (err, 0, "%s: unknown key \"%s\" (select, policy, description)", at, v->keys[i]);
  pr->name = og_xstrdup (name);
  if (read_select (pr, og_json_get (v, "select"), sel_at, err) < 0)
    return -1;
  policy = og_json_get (v, "policy");
  if (policy == NULL)
    return og_error_set (err, 0, "%s.policy: required (a partial policy, as a policy.d layer)", at);
  if (og_json_get (policy, "profiles"))
    return og_error_set (err, 0, "%s.policy: profiles: a profile holds no profiles", at);
  if (og_layer_onto (p->path, label, policy, merged, p, sources, true, shown ? &next : NULL, &pr->policy, err) < 0)
    return -1;
  if (shown)
    og_json_set (shown, name, shown_profile (v, policy, og_steal_pointer (&next), sources, label));
  pr->policy->path = og_xstrdup (p->path);
  memcpy (pr->policy->digest, p->digest, sizeof p->digest);
  return 0;
}

int
og_profiles_load (struct og_policy *p, const struct og_json *profiles, const struct og_json *merged,
                  const struct og_json *sources, struct og_json *shown, struct og_error *err)
{
  if (profiles->type != OG_JSON_OBJECT)
    return og_error_set (err, 0, "policy %s: profiles: must be an object of named profiles", p->path);
  p->profiles = og_xcalloc (profiles->n + 1, sizeof *p->profiles);
  for (size_t i = 0; i < profiles->n; i++)
    {
      if (load_one (p, profiles->keys[i], profiles->vals[i], merged, sources, &p->profiles[i], shown, err) < 0)
        {
          profile_free (&p->profiles[i]);
          return -1;
        }
      p->nprofiles++;
    }
  return 0;
}
