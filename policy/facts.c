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

/* Was the call `--root <runc_root> ... --bundle <dir>/<id> <id>`?  That is
 * how containerd's runc shim calls for a namespace (the CRI's k8s.io,
 * dockerd's moby, ctr's default: runtime/v2/runc appends the namespace to
 * both), and how dockerd's BuildKit executor (moby
 * builder/builder-next/executor_linux.go, buildkit's runcexecutor) runs
 *     runc --log <executor>/runc-log.json --log-format json run
 *         --bundle <executor>/<id> <id>
 * without --root (measured with Docker 20.10 and 28.5, tests/e2e/build.bats).
 * Only the engine chooses those paths; a workload cannot. */
static bool
dir_call (const char *dir, const char *runc_root, const char *bundle, const char *root, const char *id)
{
  size_t n;

  if (dir == NULL || runc_root == NULL || bundle == NULL || root == NULL || !safe_component (id))
    return false;
  n = strlen (dir);
  return strncmp (bundle, dir, n) == 0 && bundle[n] == '/' && strcmp (bundle + n + 1, id) == 0
         && strcmp (root, runc_root) == 0;
}

/* The drivers of containers/storage (drivers/: its <driver>-containers
 * directories), which Podman's bundles are under. */
static const char *const podman_drivers[] = { "overlay", "vfs", "btrfs", "zfs", "aufs", "devicemapper", NULL };

/* Did Podman (conmon) make this call?  It passes --bundle
 *     <graphroot>/<driver>-containers/<id>/userdata
 * (the container's static dir in containers/storage, measured with Podman
 * 4.3 and 5.8) and no --root unless a runtime flag sets one. */
static bool
podman_call (const struct og_policy *p, const char *bundle, const char *root, const char *id)
{
  const char *rest;
  size_t n;

  if (p->podman.graph_root == NULL || p->podman.runc_root == NULL || bundle == NULL || root == NULL
      || !safe_component (id) || strcmp (root, p->podman.runc_root) != 0)
    return false;
  n = strlen (p->podman.graph_root);
  if (strncmp (bundle, p->podman.graph_root, n) != 0 || bundle[n] != '/')
    return false;
  rest = bundle + n + 1;
  for (const char *const *d = podman_drivers; *d; d++)
    {
      size_t dn = strlen (*d), idn = strlen (id);

      if (strncmp (rest, *d, dn) != 0 || strncmp (rest + dn, "-containers/", strlen ("-containers/")) != 0)
        continue;
      rest += dn + strlen ("-containers/");
      return strncmp (rest, id, idn) == 0 && strcmp (rest + idn, "/userdata") == 0;
    }
  return false;
}

/* The engine whose paths the call has, or NULL: none, or more than one
 * (a policy giving two engines the same paths says nothing about either). */
static const char *
engine_of (const struct og_policy *p, const char *bundle, const char *root, const char *id)
{
  const struct
  {
    const char *name;
    bool match;
  } calls[] = {
    { "buildkit", dir_call (p->buildkit.executor_dir, p->buildkit.runc_root, bundle, root, id) },
    { "cri", dir_call (p->cri.task_dir, p->cri.runc_root, bundle, root, id) },
    { "docker", dir_call (p->docker.task_dir, p->docker.runc_root, bundle, root, id) },
    { "containerd", dir_call (p->containerd.task_dir, p->containerd.runc_root, bundle, root, id) },
    { "podman", podman_call (p, bundle, root, id) },
  };
  const char *found = NULL;
  size_t n = 0;

  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    if (calls[i].match)
      {
        found = calls[i].name;
        n++;
      }
  return n == 1 ? found : NULL;
}

/* The CRI's annotations, believed only for a call with the CRI's paths. */
static void
cri_facts (const struct og_json *spec, const char *id, struct og_engine_facts *f)
{
  const char *type = annotation (spec, ANN_TYPE), *sandbox = annotation (spec, ANN_SANDBOX),
             *uid = annotation (spec, ANN_UID);

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
og_engine_facts_read (const struct og_policy *p, const char *bundle, const char *root, const char *id,
                      const struct og_json *spec, struct og_engine_facts *f)
{
  const char *engine = engine_of (p, bundle, root, id);

  memset (f, 0, sizeof *f);
  if (engine == NULL)
    return;
  if (strcmp (engine, "cri") == 0)
    {
      /* a CRI call whose annotations are not the CRI's is no engine's */
      cri_facts (spec, id, f);
      return;
    }
  f->buildkit = strcmp (engine, "buildkit") == 0;
  f->engine = engine;
}

char **
og_engine_bundles (const struct og_policy *p, const char *root, const char *id)
{
  const struct og_shim_paths dirs[] = {
    { p->cri.task_dir, p->cri.runc_root },
    { p->buildkit.executor_dir, p->buildkit.runc_root },
    { p->docker.task_dir, p->docker.runc_root },
    { p->containerd.task_dir, p->containerd.runc_root },
  };
  size_t n = 0, cap = sizeof dirs / sizeof dirs[0] + sizeof podman_drivers / sizeof podman_drivers[0];
  char **out = og_xcalloc (cap + 1, sizeof *out);

  if (root == NULL || !safe_component (id))
    return out;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    if (dirs[i].task_dir && dirs[i].runc_root && strcmp (root, dirs[i].runc_root) == 0)
      out[n++] = og_xasprintf ("%s/%s", dirs[i].task_dir, id);
  if (p->podman.graph_root == NULL || p->podman.runc_root == NULL || strcmp (root, p->podman.runc_root) != 0)
    return out;
  for (const char *const *d = podman_drivers; *d; d++)
    out[n++] = og_xasprintf ("%s/%s-containers/%s/userdata", p->podman.graph_root, *d, id);
  return out;
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
