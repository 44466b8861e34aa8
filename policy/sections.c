/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The areas of a policy file (ocigate-policy(5)), one table entry each: the
 * keys with their types, the members they fill, defaults and bounds, and
 * the checks of values that the types alone do not catch.  The loader,
 * og_policy_free, the compiled image and the man-page test all read this
 * table (policy/schema.h says how to add an area or a key).
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/util.h"
#include "rule.h"
#include "policy_keys.h"
#include "schema.h"

#define AT(f) .off = offsetof (struct og_policy, f), .size = sizeof (((struct og_policy *)0)->f)
#define KEY(n, t, f, ...)                                                                                              \
  {                                                                                                                    \
    .name = n, .type = t, AT (f), __VA_ARGS__                                                                          \
  }
#define ACTION(f) KEY ("action", OG_KEY_ACTION, f, .tighten = OG_TIGHTEN_ORDER)
#define END                                                                                                            \
  {                                                                                                                    \
    .name = NULL                                                                                                       \
  }

/* ---- checks of single entries ------------------------------------------ */

static char *
namespace_type (const char *t)
{
  static const char *const types[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", "user", "time", NULL };

  return og_strv_contains ((char *const *)types, t) ? NULL : og_xasprintf ("\"%s\" is not a namespace type", t);
}

static char *
device_number (const char *d)
{
  char type;
  unsigned major, minor;
  int n = 0;

  if (sscanf (d, "%c %u:%u%n", &type, &major, &minor, &n) != 3 || d[n] != '\0' || d[1] != ' ' || strchr (d + 2, ' ')
      || (type != 'c' && type != 'b'))
    return og_xasprintf ("\"%s\" is not a device number (\"c MAJOR:MINOR\")", d);
  return NULL;
}

static char *
syscall_name (const char *sc)
{
  return og_syscall_known (sc) ? NULL : og_xasprintf ("\"%s\" is not a syscall on any supported architecture", sc);
}

/* a misspelt name would silently clamp nothing */
static char *
rlimit_max (const char *r)
{
  static const char *const rlimits[] = { "RLIMIT_AS",
                                         "RLIMIT_CORE",
                                         "RLIMIT_CPU",
                                         "RLIMIT_DATA",
                                         "RLIMIT_FSIZE",
                                         "RLIMIT_LOCKS",
                                         "RLIMIT_MEMLOCK",
                                         "RLIMIT_MSGQUEUE",
                                         "RLIMIT_NICE",
                                         "RLIMIT_NOFILE",
                                         "RLIMIT_NPROC",
                                         "RLIMIT_RSS",
                                         "RLIMIT_RTPRIO",
                                         "RLIMIT_RTTIME",
                                         "RLIMIT_SIGPENDING",
                                         "RLIMIT_STACK",
                                         NULL };
  const char *eq = strchr (r, '=');
  og_cleanup_free char *name = eq ? og_xstrndup (r, (size_t)(eq - r)) : NULL;
  int64_t v;

  if (name == NULL || !og_strv_contains ((char *const *)rlimits, name) || og_parse_count (eq + 1, &v) < 0)
    return og_xasprintf ("\"%s\" is not RLIMIT_NAME=MAX", r);
  return NULL;
}

/* ---- the top level ------------------------------------------------------ */

static int
version (const struct og_load *l, const struct og_json *v, struct og_policy *p)
{
  if (v == NULL || v->type != OG_JSON_NUMBER || strcmp (v->text, "1") != 0)
    return og_load_error (l, "version", "must be 1 (the only version this ocigate understands)");
  return 0;
}

/* No "audit" object: the configured log; an object without "log": none. */
static int
audit (const struct og_load *l, const struct og_json *v, struct og_policy *p)
{
  const struct og_json *log;

  if (v == NULL)
    {
      p->audit_log = og_xstrdup (OG_AUDIT_LOG_DEFAULT);
      return 0;
    }
  if (v->type != OG_JSON_OBJECT)
    return og_load_error (l, "audit", "must be an object");
  for (size_t i = 0; i < v->n; i++)
    if (strcmp (v->keys[i], "log") != 0)
      {
        og_cleanup_free char *msg = og_xasprintf ("unknown key \"%s\"", v->keys[i]);
        return og_load_error (l, "audit", msg);
      }
  log = og_json_get (v, "log");
  if (log == NULL)
    return 0;
  if (!og_json_is_string (log) || log->len == 0)
    return og_load_error (l, "audit", "\"log\" must be a non-empty string");
  if (log->text[0] != '/')
    return og_load_error (l, "audit.log", "must be an absolute path");
  p->audit_log = og_xstrdup (log->text);
  return 0;
}

/* The keys a later layer may set to anything: each a key's dotted path or
 * an area's name, so a typo cannot silently leave a key locked or open. */
static int
overridable (const struct og_load *l, const struct og_json *v, struct og_policy *p)
{
  og_cleanup_strv char **r = NULL;

  if (v == NULL)
    return 0;
  if (v->type != OG_JSON_ARRAY)
    return og_load_error (l, "overridable", "must be an array of strings");
  r = og_xcalloc (v->n + 1, sizeof *r);
  for (size_t i = 0; i < v->n; i++)
    {
      const struct og_json *e = v->vals[i];
      const struct og_key *area = NULL;
      if (!og_json_is_string (e) || og_policy_find_path (e->text, &area) == NULL || strcmp (e->text, "version") == 0
          || strcmp (e->text, "overridable") == 0)
        {
          og_cleanup_free char *msg
              = og_xasprintf ("[%zu] must name a key (\"mounts.allow_sources\") or an area of this policy", i);
          return og_load_error (l, "overridable", msg);
        }
      r[i] = og_xstrdup (e->text);
    }
  og_strv_free (p->overridable);
  p->overridable = og_steal_pointer (&r);
  return 0;
}

static const struct og_choice modes[] = { { "enforce", false, 1 }, { "audit", true, 0 }, { NULL, 0, 0 } };

const struct og_key og_policy_top_keys[] = {
  { .name = "version", .type = OG_KEY_CUSTOM, .custom = version },
  KEY ("mode", OG_KEY_CHOICE, audit_only, .choices = modes, .tighten = OG_TIGHTEN_ORDER),
  KEY ("audit", OG_KEY_CUSTOM, audit_log, .custom = audit, .owns = OG_STORE_STR),
  KEY ("overridable", OG_KEY_CUSTOM, overridable, .custom = overridable, .owns = OG_STORE_STRV),
  END,
};

/* ---- the areas ---------------------------------------------------------- */

static const struct og_key nnp_keys[] = { ACTION (nnp.action), END };

static const struct og_key caps_keys[] = {
  ACTION (caps.action),
  KEY ("allow", OG_KEY_STRV, caps.allow, .required = true, .tighten = OG_TIGHTEN_SUBSET,
       .hint = "use [] to drop every capability", .check_entry = og_cap_name_problem),
  END,
};

static const char *const tmpfs_defaults[] = { "nosuid", "nodev", "mode=1777", "size=65536k", NULL };
static const struct og_key rootfs_keys[] = {
  ACTION (rootfs.action),
  KEY ("readonly", OG_KEY_BOOL, rootfs.readonly, .tighten = OG_TIGHTEN_TRUE),
  KEY ("writable_tmpfs", OG_KEY_PATHV, rootfs.writable_tmpfs, .tighten = OG_TIGHTEN_SUBSET),
  KEY ("tmpfs_options", OG_KEY_STRV, rootfs.tmpfs_options, .def_strv = tmpfs_defaults),
  END,
};

static const struct og_key resources_keys[] = {
  ACTION (resources.action),
  KEY ("memory", OG_KEY_LIMIT, resources.memory, .parse = og_parse_size, .tighten = OG_TIGHTEN_LOWER),
  KEY ("swap", OG_KEY_LIMIT, resources.swap, .parse = og_parse_size, .tighten = OG_TIGHTEN_LOWER),
  KEY ("cpu", OG_KEY_LIMIT, resources.cpu, .parse = og_parse_millicpus, .tighten = OG_TIGHTEN_LOWER),
  KEY ("pids", OG_KEY_LIMIT, resources.pids, .parse = og_parse_count, .tighten = OG_TIGHTEN_LOWER),
  END,
};

static int
resources_check (const struct og_load *l, struct og_policy *p)
{
  if ((p->resources.swap.has_default || p->resources.swap.has_max)
      && !(p->resources.memory.has_default || p->resources.memory.has_max))
    return og_load_error (l, "resources.swap", "needs a memory limit (swap is counted on top of memory)");
  /* runc sets no memory limit for 0 (runc 1.1.5 and 1.3.6 write memory.max
   * only for a non-zero limit): a maximum of 0 would lower every container
   * to none, and a layer could pass it off as tighter than any size */
  if ((p->resources.memory.has_default && p->resources.memory.def == 0)
      || (p->resources.memory.has_max && p->resources.memory.max == 0))
    return og_load_error (l, "resources.memory",
                          "a limit of 0 is no limit to runc (it sets no memory limit for 0): give a size above 0");
  return 0;
}

/* One budget for every scan of a create; the bounds keep a policy from
 * letting one create hold the engine for hours. */
static const struct og_key scan_keys[] = {
  KEY ("max_entries", OG_KEY_COUNT, mounts.scan_max_entries, .def = 4096, .max = 10000000, .tighten = OG_TIGHTEN_LOWER),
  KEY ("max_depth", OG_KEY_COUNT, mounts.scan_max_depth, .def = 8, .max = 64, .tighten = OG_TIGHTEN_LOWER),
  KEY ("max_ms", OG_KEY_COUNT, mounts.scan_max_ms, .def = 2000, .max = 600000, .tighten = OG_TIGHTEN_LOWER),
  KEY ("max_mounts", OG_KEY_COUNT, mounts.max_mounts, .def = 256, .max = 100000, .tighten = OG_TIGHTEN_LOWER),
  END,
};

static int
readonly_binds (const struct og_load *l, const struct og_json *v, struct og_policy *p)
{
  return og_policy_load_readonly_binds (v, l->name, p, l->err);
}

static const struct og_key mounts_keys[] = {
  ACTION (mounts.action),
  KEY ("deny_any_socket", OG_KEY_BOOL, mounts.deny_any_socket, .tighten = OG_TIGHTEN_TRUE),
  KEY ("deny_sockets", OG_KEY_PATHV, mounts.deny_sockets, .tighten = OG_TIGHTEN_SUPERSET),
  KEY ("deny_trees", OG_KEY_PATHV, mounts.deny_trees, .tighten = OG_TIGHTEN_SUPERSET),
  KEY ("allow_sources", OG_KEY_PATHV, mounts.allow_sources, .tighten = OG_TIGHTEN_SUBSET),
  KEY ("allow_roots", OG_KEY_PATHV, mounts.allow_roots, .tighten = OG_TIGHTEN_SUBSET),
  KEY ("force_options", OG_KEY_STRV, mounts.force_options),
  { .name = "scan", .type = OG_KEY_OBJECT, .sub = scan_keys, .tighten = OG_TIGHTEN_EACH },
  KEY ("readonly_binds", OG_KEY_CUSTOM, mounts.readonly_binds_except, .custom = readonly_binds, .owns = OG_STORE_STRV),
  END,
};

static const struct og_key hooks_keys[] = {
  ACTION (hooks.action),
  KEY ("allow", OG_KEY_PATHV, hooks.allow, .tighten = OG_TIGHTEN_SUBSET),
  END,
};

static const struct og_key privileged_keys[] = { ACTION (privileged.action), END };

static const struct og_key namespaces_keys[] = {
  ACTION (namespaces.action),
  KEY ("require", OG_KEY_STRV, namespaces.require, .tighten = OG_TIGHTEN_SUPERSET, .check_entry = namespace_type),
  KEY ("allow_paths", OG_KEY_PATHV, namespaces.allow_paths, .tighten = OG_TIGHTEN_SUBSET),
  END,
};

static const struct og_key devices_keys[] = {
  ACTION (devices.action),
  KEY ("allow", OG_KEY_STRV, devices.allow, .tighten = OG_TIGHTEN_SUBSET, .check_entry = device_number),
  END,
};

static const struct og_key sysctls_keys[] = {
  ACTION (sysctls.action),
  KEY ("allow", OG_KEY_STRV, sysctls.allow, .tighten = OG_TIGHTEN_SUBSET),
  END,
};

static const struct og_key seccomp_keys[] = {
  ACTION (seccomp.action),
  KEY ("default_profile", OG_KEY_STRING, seccomp.default_profile),
  KEY ("deny_syscalls", OG_KEY_STRV, seccomp.deny_syscalls, .tighten = OG_TIGHTEN_SUPERSET,
       .check_entry = syscall_name),
  KEY ("allow_unconfined", OG_KEY_BOOL, seccomp.allow_unconfined, .tighten = OG_TIGHTEN_FALSE),
  KEY ("allow_setid_files", OG_KEY_BOOL, seccomp.allow_setid_files, .tighten = OG_TIGHTEN_FALSE),
  KEY ("allow_listeners", OG_KEY_PATHV, seccomp.allow_listeners, .tighten = OG_TIGHTEN_SUBSET),
  KEY ("learn", OG_KEY_PATHV, seccomp.learn, .tighten = OG_TIGHTEN_SUBSET),
  END,
};

/* A relative profile lives beside the policy file; made absolute so a
 * relative --ocigate-policy does not leave a cwd-relative path behind. */
static int
seccomp_check (const struct og_load *l, struct og_policy *p)
{
  const char *slash;

  if (p->seccomp.default_profile == NULL || p->seccomp.default_profile[0] == '/')
    return 0;
  const char *origin = l->origin ? l->origin : l->name;
  slash = strrchr (origin, '/');
  og_cleanup_free char *dir = slash ? og_xstrndup (origin, (size_t)(slash - origin)) : og_xstrdup (".");
  og_cleanup_free char *absdir = og_realpath (dir[0] ? dir : "/");
  char *abs = og_xasprintf ("%s/%s", absdir ? absdir : dir, p->seccomp.default_profile);
  free (p->seccomp.default_profile);
  p->seccomp.default_profile = abs;
  return 0;
}

static const struct og_key paths_keys[] = {
  ACTION (paths.action),
  KEY ("masked", OG_KEY_PATHV, paths.masked, .tighten = OG_TIGHTEN_SUPERSET),
  KEY ("readonly", OG_KEY_PATHV, paths.readonly, .tighten = OG_TIGHTEN_SUPERSET),
  KEY ("readonly_sysfs", OG_KEY_BOOL, paths.readonly_sysfs, .tighten = OG_TIGHTEN_TRUE),
  END,
};

static const struct og_key process_keys[] = {
  ACTION (process.action),
  KEY ("run_as_non_root", OG_KEY_BOOL, process.run_as_non_root, .tighten = OG_TIGHTEN_TRUE),
  KEY ("oom_score_adj_min", OG_KEY_INT, process.oom_score_adj_min, .parse = og_parse_int64, .has_flag = true,
       .tighten = OG_TIGHTEN_HIGHER, .has_off = offsetof (struct og_policy, process.has_oom_score_adj_min)),
  KEY ("rlimit_max", OG_KEY_STRV, process.rlimit_max, .check_entry = rlimit_max),
  KEY ("deny_shared_propagation", OG_KEY_BOOL, process.deny_shared_propagation, .tighten = OG_TIGHTEN_TRUE),
  END,
};

static const struct og_key env_keys[] = {
  ACTION (env.action),
  KEY ("deny_names", OG_KEY_STRV, env.deny_names, .tighten = OG_TIGHTEN_SUPERSET),
  KEY ("check_values", OG_KEY_BOOL, env.check_values, .tighten = OG_TIGHTEN_TRUE),
  END,
};

static const struct og_key lsm_keys[] = {
  ACTION (lsm.action),
  KEY ("apparmor_profile", OG_KEY_STRING, lsm.apparmor_profile),
  KEY ("require_selinux_label", OG_KEY_BOOL, lsm.require_selinux_label, .tighten = OG_TIGHTEN_TRUE),
  END,
};

static const struct og_key restore_keys[]
    = { KEY ("allow", OG_KEY_BOOL, restore.allow, .tighten = OG_TIGHTEN_FALSE), END };

/* Running without a user namespace where an attacker can make it happen
 * (fill the pool, join a pid namespace) is allowed only in so many words. */
static int
allow_without (const struct og_load *l, const struct og_json *v, struct og_policy *p)
{
  if (v == NULL)
    return 0;
  if (v->type != OG_JSON_ARRAY)
    return og_load_error (l, "user_namespace", "\"allow_without\" must be an array of strings");
  for (size_t i = 0; i < v->n; i++)
    {
      const struct og_json *e = v->vals[i];
      if (!og_json_is_string (e) || e->len == 0)
        {
          og_cleanup_free char *msg = og_xasprintf ("\"allow_without\"[%zu] must be a non-empty string", i);
          return og_load_error (l, "user_namespace", msg);
        }
      if (strcmp (e->text, "pool-exhausted") == 0)
        p->userns.without_if_pool_exhausted = true;
      else if (strcmp (e->text, "shared-pid-namespace") == 0)
        p->userns.without_if_shared_pid_ns = true;
      else
        return og_load_error (l, "user_namespace.allow_without",
                              "entries must be \"pool-exhausted\" or \"shared-pid-namespace\"");
    }
  return 0;
}

static const struct og_choice userns_modes[] = {
  { "required", OG_USERNS_REQUIRED, 2 },
  { "if-possible", OG_USERNS_IF_POSSIBLE, 1 },
  { "off", OG_USERNS_OFF, 0 },
  { NULL, 0, 0 },
};
static const struct og_choice allocations[] = { { "per-container", false, 1 }, { "shared", true, 0 }, { NULL, 0, 0 } };

static const struct og_key userns_keys[] = {
  KEY ("mode", OG_KEY_CHOICE, userns.mode, .choices = userns_modes, .def = OG_USERNS_OFF, .tighten = OG_TIGHTEN_ORDER),
  KEY ("pool_start", OG_KEY_INT, userns.pool_start, .parse = og_parse_count, .def = 1000000),
  KEY ("pool_size", OG_KEY_INT, userns.pool_size, .parse = og_parse_count, .def = 65536LL * 1024),
  KEY ("range_size", OG_KEY_INT, userns.range_size, .parse = og_parse_count, .def = 65536),
  KEY ("allocation", OG_KEY_CHOICE, userns.shared, .choices = allocations, .tighten = OG_TIGHTEN_ORDER),
  { .name = "allow_without", .type = OG_KEY_CUSTOM, .custom = allow_without },
  END,
};

static int
userns_check (const struct og_load *l, struct og_policy *p)
{
  if ((p->userns.without_if_pool_exhausted || p->userns.without_if_shared_pid_ns)
      && p->userns.mode != OG_USERNS_IF_POSSIBLE)
    return og_load_error (l, "user_namespace.allow_without", "needs mode \"if-possible\"");
  /* Host ids below the pool belong to the host's own users; root must never
   * be in it, and a range must fit in the pool and in 32 bits. */
  if (p->userns.pool_start < 65536 || p->userns.range_size < 1 || p->userns.range_size > p->userns.pool_size
      || p->userns.pool_start + p->userns.pool_size > 4294967295LL)
    return og_load_error (l, "user_namespace",
                          "pool_start must be >= 65536 and range_size <= pool_size, within 32 bits");
  return 0;
}

static const struct og_key fields_keys[] = {
  KEY ("action", OG_KEY_ACTION, fields.action, .def = OG_ACTION_DENY, .tighten = OG_TIGHTEN_ORDER),
  KEY ("allow", OG_KEY_STRV, fields.allow, .tighten = OG_TIGHTEN_SUBSET),
  KEY ("net_devices", OG_KEY_STRV, fields.net_devices, .tighten = OG_TIGHTEN_SUBSET),
  KEY ("intel_rdt", OG_KEY_BOOL, fields.intel_rdt, .tighten = OG_TIGHTEN_FALSE),
  KEY ("realtime", OG_KEY_BOOL, fields.realtime, .tighten = OG_TIGHTEN_FALSE),
  KEY ("idmapped_mounts", OG_KEY_BOOL, fields.idmapped_mounts, .tighten = OG_TIGHTEN_FALSE),
  END,
};

/* Where containerd's runc shim puts the CRI's (k8s.io) bundles and runc
 * state (policy/facts.c): compared with what the engine passes, so only
 * in the normalized form. */
static const struct og_key cri_keys[] = {
  KEY ("task_dir", OG_KEY_STRING, cri.task_dir, .required = true,
       .hint = "containerd's <state>/io.containerd.runtime.v2.task/k8s.io"),
  KEY ("runc_root", OG_KEY_STRING, cri.runc_root, .required = true,
       .hint = "the runc shim's --root, /run/containerd/runc/k8s.io"),
  END,
};

static int
cri_check (const struct og_load *l, struct og_policy *p)
{
  if (!og_path_normalized (p->cri.task_dir))
    return og_load_error (l, "cri", "\"task_dir\" must be an absolute path without . or .. components");
  if (!og_path_normalized (p->cri.runc_root))
    return og_load_error (l, "cri", "\"runc_root\" must be an absolute path without . or .. components");
  return 0;
}

/* ocigate-hook at createRuntime and poststart (policy/rule_verify.c).
 * Optional: a policy written before it keeps running without the hook. */
static const struct og_choice verify_modes[] = {
  { "off", OG_VERIFY_OFF, 0 },
  { "audit", OG_VERIFY_AUDIT, 1 },
  { "enforce", OG_VERIFY_ENFORCE, 2 },
  { NULL, 0, 0 },
};

static const struct og_key verify_keys[] = {
  KEY ("mode", OG_KEY_CHOICE, verify.mode, .choices = verify_modes, .def = OG_VERIFY_OFF, .required = true,
       .tighten = OG_TIGHTEN_ORDER, .hint = "\"off\", \"audit\" or \"enforce\""),
  KEY ("hook", OG_KEY_STRING, verify.hook),
  END,
};

static int
verify_check (const struct og_load *l, struct og_policy *p)
{
  if (p->verify.hook && p->verify.hook[0] != '/')
    return og_load_error (l, "verify.hook", "must be an absolute path");
  return 0;
}

/* Where dockerd's BuildKit runs runc itself (policy/facts.c): compared as
 * they are with what the engine passes, so normalized and no patterns. */
static const struct og_key buildkit_keys[] = {
  KEY ("executor_dir", OG_KEY_STRING, buildkit.executor_dir, .required = true, .hint = "<data-root>/buildkit/executor"),
  KEY ("runc_root", OG_KEY_STRING, buildkit.runc_root, .required = true,
       .hint = "BuildKit passes no --root: /run/runc"),
  END,
};

/* An engine's path: what og_path_normalized takes, and no pattern
 * character (they are compared byte for byte). */
static int
engine_path (const struct og_load *l, const char *area, const char *key, const char *v)
{
  og_cleanup_free char *msg = NULL;

  if (og_path_normalized (v) && strpbrk (v, "*?[\\{") == NULL)
    return 0;
  msg = og_xasprintf ("\"%s\" must be an absolute path without . or .. components or pattern characters", key);
  return og_load_error (l, area, msg);
}

static int
buildkit_check (const struct og_load *l, struct og_policy *p)
{
  return engine_path (l, "buildkit", "executor_dir", p->buildkit.executor_dir) < 0
                 || engine_path (l, "buildkit", "runc_root", p->buildkit.runc_root) < 0
             ? -1
             : 0;
}

/* The other engines ocigate tells apart by the paths they pass
 * (policy/facts.c), compared as they are with what the engine passes, so
 * normalized and no patterns, like buildkit's.  dockerd's containers (its
 * containerd namespace moby): the Debian 12 docker.io uses the system
 * containerd; a dockerd that runs its own has the task dir under
 * <exec-root>/containerd/daemon. */
static const struct og_key docker_keys[] = {
  KEY ("task_dir", OG_KEY_STRING, docker.task_dir, .required = true,
       .hint = "containerd's <state>/io.containerd.runtime.v2.task/moby"),
  KEY ("runc_root", OG_KEY_STRING, docker.runc_root, .required = true,
       .hint = "dockerd's <exec-root>/runtime-runc/moby"),
  END,
};

static const struct og_key containerd_keys[] = {
  KEY ("task_dir", OG_KEY_STRING, containerd.task_dir, .required = true,
       .hint = "containerd's <state>/io.containerd.runtime.v2.task/default"),
  KEY ("runc_root", OG_KEY_STRING, containerd.runc_root, .required = true,
       .hint = "the runc shim's --root, /run/containerd/runc/default"),
  END,
};

static const struct og_key podman_keys[] = {
  KEY ("graph_root", OG_KEY_STRING, podman.graph_root, .required = true,
       .hint = "containers-storage's graphroot, /var/lib/containers/storage"),
  KEY ("runc_root", OG_KEY_STRING, podman.runc_root, .required = true, .hint = "Podman passes no --root: /run/runc"),
  END,
};

static int
docker_check (const struct og_load *l, struct og_policy *p)
{
  return engine_path (l, "docker", "task_dir", p->docker.task_dir) < 0
                 || engine_path (l, "docker", "runc_root", p->docker.runc_root) < 0
             ? -1
             : 0;
}

static int
containerd_check (const struct og_load *l, struct og_policy *p)
{
  return engine_path (l, "containerd", "task_dir", p->containerd.task_dir) < 0
                 || engine_path (l, "containerd", "runc_root", p->containerd.runc_root) < 0
             ? -1
             : 0;
}

static int
podman_check (const struct og_load *l, struct og_policy *p)
{
  return engine_path (l, "podman", "graph_root", p->podman.graph_root) < 0
                 || engine_path (l, "podman", "runc_root", p->podman.runc_root) < 0
             ? -1
             : 0;
}

/* Loaded in this order: the first missing or wrong area is the one named.
 * An optional area is one added after policies were written: its absence
 * must read as its safe default (restore refused; unknown members and the
 * newer runtime features refused). */
const struct og_section og_policy_sections[] = {
  { .name = "no_new_privileges", .keys = nnp_keys },
  { .name = "capabilities", .keys = caps_keys },
  { .name = "rootfs", .keys = rootfs_keys },
  { .name = "resources", .keys = resources_keys, .check = resources_check },
  { .name = "mounts", .keys = mounts_keys },
  { .name = "hooks", .keys = hooks_keys },
  { .name = "privileged", .keys = privileged_keys },
  { .name = "namespaces", .keys = namespaces_keys },
  { .name = "devices", .keys = devices_keys },
  { .name = "sysctls", .keys = sysctls_keys },
  { .name = "seccomp", .keys = seccomp_keys, .check = seccomp_check },
  { .name = "paths", .keys = paths_keys },
  { .name = "process", .keys = process_keys },
  { .name = "env", .keys = env_keys },
  { .name = "lsm", .keys = lsm_keys },
  { .name = "restore", .keys = restore_keys, .optional = true },
  { .name = "user_namespace", .keys = userns_keys, .check = userns_check, .off_how = "\"mode\": \"off\"" },
  { .name = "fields", .keys = fields_keys, .optional = true },
  { .name = "cri", .keys = cri_keys, .check = cri_check, .optional = true },
  { .name = "verify", .keys = verify_keys, .check = verify_check, .optional = true },
  { .name = "buildkit", .keys = buildkit_keys, .check = buildkit_check, .optional = true },
  { .name = "docker", .keys = docker_keys, .check = docker_check, .optional = true },
  { .name = "containerd", .keys = containerd_keys, .check = containerd_check, .optional = true },
  { .name = "podman", .keys = podman_keys, .check = podman_check, .optional = true },
};

const size_t og_policy_nsections = sizeof og_policy_sections / sizeof og_policy_sections[0];

const struct og_key *
og_key_find (const struct og_key *keys, const char *name)
{
  for (const struct og_key *k = keys; k->name; k++)
    if (strcmp (k->name, name) == 0)
      return k;
  return NULL;
}

const struct og_key *
og_policy_find_path (const char *path, const struct og_key **area)
{
  const char *dot = strchr (path, '.');
  size_t n = dot ? (size_t)(dot - path) : strlen (path);
  const struct og_key *keys = NULL, *k = NULL;

  *area = NULL;
  for (size_t i = 0; i < og_policy_nsections; i++)
    if (strlen (og_policy_sections[i].name) == n && strncmp (og_policy_sections[i].name, path, n) == 0)
      keys = og_policy_sections[i].keys;
  if (keys == NULL)
    return dot ? NULL : og_key_find (og_policy_top_keys, path);
  if (dot == NULL)
    return *area = keys;
  for (const char *rest = dot + 1; keys; keys = k->type == OG_KEY_OBJECT ? k->sub : NULL)
    {
      dot = strchr (rest, '.');
      og_cleanup_free char *name = dot ? og_xstrndup (rest, (size_t)(dot - rest)) : og_xstrdup (rest);
      if ((k = og_key_find (keys, name)) == NULL || dot == NULL)
        return k;
      rest = dot + 1;
    }
  return NULL;
}
