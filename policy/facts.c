/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Engine facts: what the caller of the runtime (not the workload) chose.
 * Measured with containerd 1.6.20 and 2.1.9's CRI (tests/cri): the pod's
 * one runc shim runs, in the sandbox's bundle directory (for every
 * container of the pod: the working directory is no fact of the container),
 *     <BinaryName> --root /run/containerd/runc/k8s.io --log <bundle>/log.json
 *         --log-format json create --bundle <state>/io.containerd.runtime.v2.task/k8s.io/<id>
 *         --pid-file <bundle>/init.pid <id>
 * and the config carries io.kubernetes.cri.container-type ("sandbox" or
 * "container"), .sandbox-id, .sandbox-uid, .sandbox-name, .sandbox-namespace
 * (the sandbox also .sandbox-log-directory, on 2.1 .podsandbox.image-name;
 * an app container .container-name and .image-name).  The CRI
 * sets those last, over any pod annotation passed through.
 */
#include <stdlib.h>
#include <string.h>

#include "ocigate/facts.h"
#include "ocigate/util.h"

#define ANN_TYPE "io.kubernetes.cri.container-type"
#define ANN_SANDBOX "io.kubernetes.cri.sandbox-id"
#define ANN_UID "io.kubernetes.cri.sandbox-uid"
#define ANN_NAMESPACE "io.kubernetes.cri.sandbox-namespace"

/* One path component that fnmatch takes literally: non-empty, not . or
 * .., no '/', no pattern character, letters, digits and -_. only (pod
 * uids are UUIDs, sandbox ids 64 hex digits). */
static bool
safe_component (const char *s)
{
  if (s == NULL || s[0] == '\0' || strcmp (s, ".") == 0 || strcmp (s, "..") == 0 || strlen (s) > 255)
    return false;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'
          || *c == '.'))
      return false;
  return true;
}

static const char *
annotation (const struct og_json *spec, const char *key)
{
  const struct og_json *v = og_json_get (og_json_get (spec, "annotations"), key);
  return og_json_is_string (v) ? v->text : NULL;
}

/* Did containerd's runc shim, for the CRI's namespace, make this call? */
static bool
cri_call (const struct og_policy *p, const char *bundle, const char *root, const char *id)
{
  size_t n;

  if (p->cri.task_dir == NULL || p->cri.runc_root == NULL || bundle == NULL || root == NULL || !safe_component (id))
    return false;
  n = strlen (p->cri.task_dir);
  return strncmp (bundle, p->cri.task_dir, n) == 0 && bundle[n] == '/' && strcmp (bundle + n + 1, id) == 0
         && strcmp (root, p->cri.runc_root) == 0;
}

/* Did dockerd's BuildKit make this call?  Its executor (moby
 * builder/builder-next/executor_linux.go, buildkit's runcexecutor) runs
 *     runc --log <executor>/runc-log.json --log-format json run
 *         --bundle <executor>/<id> <id>
 * without --root (measured with Docker 20.10 and 28.5, tests/e2e/build.bats):
 * only dockerd chooses that bundle path, a build step's own process cannot. */
static bool
buildkit_call (const struct og_policy *p, const char *bundle, const char *root, const char *id)
{
  size_t n;

  if (p->buildkit.executor_dir == NULL || p->buildkit.runc_root == NULL || bundle == NULL || root == NULL
      || !safe_component (id))
    return false;
  n = strlen (p->buildkit.executor_dir);
  return strncmp (bundle, p->buildkit.executor_dir, n) == 0 && bundle[n] == '/' && strcmp (bundle + n + 1, id) == 0
         && strcmp (root, p->buildkit.runc_root) == 0;
}

void
og_engine_facts_read (const struct og_policy *p, const char *bundle, const char *root, const char *id,
                      const struct og_json *spec, struct og_engine_facts *f)
{
  const char *type, *sandbox, *uid;

  memset (f, 0, sizeof *f);
  if (buildkit_call (p, bundle, root, id))
    {
      f->buildkit = true;
      f->engine = "buildkit";
      return;
    }
  if (!cri_call (p, bundle, root, id))
    return;
  type = annotation (spec, ANN_TYPE);
  sandbox = annotation (spec, ANN_SANDBOX);
  uid = annotation (spec, ANN_UID);
  if (type == NULL || !safe_component (sandbox) || !safe_component (uid))
    return;
  if (strcmp (type, "sandbox") == 0)
    {
      /* a sandbox is its own pod's: an id that names another would let a
       * pause container claim that pod's files */
      if (strcmp (sandbox, id) != 0)
        return;
      f->cri_sandbox = true;
    }
  else if (strcmp (type, "container") != 0 || strcmp (sandbox, id) == 0)
    return;
  f->cri = true;
  f->engine = "cri";
  /* a namespace is a DNS label; anything else selects nothing */
  if (safe_component (annotation (spec, ANN_NAMESPACE)))
    f->pod_namespace = og_xstrdup (annotation (spec, ANN_NAMESPACE));
  f->sandbox_id = og_xstrdup (sandbox);
  f->pod_uid = og_xstrdup (uid);
}

void
og_engine_facts_clear (struct og_engine_facts *f)
{
  free (f->sandbox_id);
  free (f->pod_uid);
  free (f->pod_namespace);
  memset (f, 0, sizeof *f);
}

/* The value of the placeholder at s ("{name}..."), its length in *len;
 * NULL for a placeholder without a trusted value; "" (and *len 0) when s
 * is no placeholder. */
static const char *
placeholder (const char *s, const char *id, const struct og_engine_facts *f, size_t *len)
{
  static const struct
  {
    const char *name;
    int which;
  } names[] = { { "{id}", 0 }, { "{pod_uid}", 1 }, { "{sandbox_id}", 2 }, { "{buildkit}", 3 } };

  /* most characters of a pattern start none: a create expands every
   * allow_sources pattern for every bind source */
  *len = 0;
  if (*s != '{')
    return "";
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      size_t n = strlen (names[i].name);
      const char *v;

      if (strncmp (s, names[i].name, n) != 0)
        continue;
      *len = n;
      /* a gate: nothing to fill in, the pattern counts only for BuildKit */
      if (names[i].which == 3)
        return f && f->buildkit ? "" : NULL;
      v = names[i].which == 0 ? id : (f && f->cri) ? (names[i].which == 1 ? f->pod_uid : f->sandbox_id) : NULL;
      /* an id with '/' or a pattern character would reach other trees */
      return names[i].which == 0 ? ((v && v[0] && !strchr (v, '/') && !strpbrk (v, "*?[\\")) ? v : NULL)
                                 : (safe_component (v) ? v : NULL);
    }
  *len = 0;
  return "";
}

char *
og_pattern_expand (const char *pattern, const char *id, const struct og_engine_facts *f)
{
  size_t cap = strlen (pattern) + 1, used = 0;
  char *out;

  if (strchr (pattern, '{') == NULL)
    return og_xstrdup (pattern);
  out = og_xmalloc (cap);
  for (const char *s = pattern; *s;)
    {
      size_t len, vlen;
      const char *v = placeholder (s, id, f, &len);

      if (v == NULL)
        {
          free (out);
          return NULL;
        }
      if (len == 0)
        {
          /* the plain run up to the next placeholder, copied at once */
          const char *brace = strchr (s + 1, '{');
          v = s;
          vlen = len = brace ? (size_t)(brace - s) : strlen (s);
        }
      else
        vlen = strlen (v);
      if (used + vlen + 1 > cap)
        {
          cap = (used + vlen + 1) * 2;
          out = og_xrealloc (out, cap);
        }
      memcpy (out + used, v, vlen);
      used += vlen;
      s += len;
    }
  out[used] = '\0';
  return out;
}
