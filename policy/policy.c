/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy loader.  Every area must be present and every key known: a typo or
 * a forgotten section must never silently weaken a policy.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/json.h"
#include "ocigate/facts.h"
#include "policy_keys.h"
#include "ocigate/policy.h"
#include "ocigate/sha256.h"
#include "ocigate/util.h"

const char *
og_action_name (enum og_action a)
{
  switch (a)
    {
      case OG_ACTION_ENFORCE:
        return "enforce";
      case OG_ACTION_DENY:
        return "deny";
      case OG_ACTION_AUDIT:
        return "audit";
    }
  return "?";
}

/* ---- value parsers ------------------------------------------------------ */

int
og_parse_size (const char *s, int64_t *out)
{
  char *end;
  long long v;
  int64_t mult = 1;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s || v < 0)
    return -1;
  switch (*end)
    {
      case '\0':
        break;
      case 'k':
      case 'K':
        mult = 1LL << 10;
        end++;
        break;
      case 'm':
      case 'M':
        mult = 1LL << 20;
        end++;
        break;
      case 'g':
      case 'G':
        mult = 1LL << 30;
        end++;
        break;
      case 't':
      case 'T':
        mult = 1LL << 40;
        end++;
        break;
      default:
        return -1;
    }
  if (mult > 1 && (strcmp (end, "i") == 0 || strcmp (end, "iB") == 0 || strcmp (end, "B") == 0))
    end += strlen (end);
  if (*end != '\0' || v > INT64_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}

int
og_parse_millicpus (const char *s, int64_t *out)
{
  int64_t whole = 0, frac = 0;
  int digits = 0;
  const char *p = s;

  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      whole = whole * 10 + (*p - '0');
      if (whole > 1000000)
        return -1;
    }
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      {
        if (++digits > 3)
          return -1;
        frac = frac * 10 + (*p - '0');
      }
  if (*p != '\0')
    return -1;
  while (digits++ < 3)
    frac *= 10;
  *out = whole * 1000 + frac;
  return *out > 0 ? 0 : -1;
}

/* ---- schema helpers ----------------------------------------------------- */

struct loader
{
  const char *name;
  struct og_error *err;
};

static int
bad (struct loader *l, const char *where, const char *what)
{
  return og_error_set (l->err, 0, "policy %s: %s: %s", l->name, where, what);
}

/* Refuse members of obj that are not in allowed (NULL-terminated). */
static int
only_keys (struct loader *l, const struct og_json *obj, const char *where, const char *const *allowed)
{
  for (size_t i = 0; i < obj->n; i++)
    if (!og_strv_contains ((char *const *)allowed, obj->keys[i]))
      {
        og_cleanup_free char *msg = og_xasprintf ("unknown key \"%s\"", obj->keys[i]);
        return bad (l, where, msg);
      }
  return 0;
}

static int
need_object (struct loader *l, const struct og_json *parent, const char *key, struct og_json **out)
{
  struct og_json *v = og_json_get (parent, key);

  if (v == NULL)
    {
      og_cleanup_free char *msg
          = og_xasprintf ("missing required section \"%s\" (use %s to turn the rule off explicitly)", key,
                          strcmp (key, "user_namespace") == 0 ? "\"mode\": \"off\"" : "\"action\": \"audit\"");
      return bad (l, "top level", msg);
    }
  if (v->type != OG_JSON_OBJECT)
    return bad (l, key, "must be an object");
  *out = v;
  return 0;
}

static int
get_action (struct loader *l, const struct og_json *obj, const char *where, enum og_action *out)
{
  struct og_json *v = og_json_get (obj, "action");

  *out = OG_ACTION_ENFORCE;
  if (v == NULL)
    return 0;
  if (!og_json_is_string (v))
    return bad (l, where, "\"action\" must be a string");
  if (strcmp (v->text, "enforce") == 0)
    *out = OG_ACTION_ENFORCE;
  else if (strcmp (v->text, "deny") == 0)
    *out = OG_ACTION_DENY;
  else if (strcmp (v->text, "audit") == 0 || strcmp (v->text, "warn") == 0)
    *out = OG_ACTION_AUDIT;
  else
    return bad (l, where, "\"action\" must be \"enforce\", \"deny\" or \"audit\"");
  return 0;
}

static int
get_bool (struct loader *l, const struct og_json *obj, const char *key, const char *where, bool *out)
{
  struct og_json *v = og_json_get (obj, key);

  if (v == NULL)
    return 0;
  if (!og_json_is_bool (v))
    {
      og_cleanup_free char *msg = og_xasprintf ("\"%s\" must be true or false", key);
      return bad (l, where, msg);
    }
  *out = v->type == OG_JSON_TRUE;
  return 0;
}

static int
get_string (struct loader *l, const struct og_json *obj, const char *key, const char *where, char **out)
{
  struct og_json *v = og_json_get (obj, key);

  if (v == NULL)
    return 0;
  if (!og_json_is_string (v) || v->len == 0)
    {
      og_cleanup_free char *msg = og_xasprintf ("\"%s\" must be a non-empty string", key);
      return bad (l, where, msg);
    }
  free (*out);
  *out = og_xstrdup (v->text);
  return 0;
}

static int
get_strv (struct loader *l, const struct og_json *obj, const char *key, const char *where, bool abs_paths, char ***out)
{
  struct og_json *v = og_json_get (obj, key);
  char **r;

  if (v == NULL)
    return 0;
  if (v->type != OG_JSON_ARRAY)
    {
      og_cleanup_free char *msg = og_xasprintf ("\"%s\" must be an array of strings", key);
      return bad (l, where, msg);
    }
  r = og_xcalloc (v->n + 1, sizeof *r);
  for (size_t i = 0; i < v->n; i++)
    {
      const struct og_json *e = v->vals[i];
      if (!og_json_is_string (e) || e->len == 0 || (abs_paths && e->text[0] != '/'))
        {
          og_strv_free (r);
          og_cleanup_free char *msg
              = og_xasprintf ("\"%s\"[%zu] must be a non-empty %s", key, i, abs_paths ? "absolute path" : "string");
          return bad (l, where, msg);
        }
      r[i] = og_xstrdup (e->text);
    }
  og_strv_free (*out);
  *out = r;
  return 0;
}

typedef int (*value_parser) (const char *, int64_t *);

static int
get_quantity (struct loader *l, const struct og_json *obj, const char *key, const char *where, value_parser parse,
              bool *has, int64_t *out)
{
  struct og_json *v = og_json_get (obj, key);
  og_cleanup_free char *msg = NULL;

  if (v == NULL)
    return 0;
  if ((v->type == OG_JSON_STRING || v->type == OG_JSON_NUMBER) && parse (v->text, out) == 0)
    {
      *has = true;
      return 0;
    }
  msg = og_xasprintf ("\"%s\" has an invalid value %s", key, v->text ? v->text : "(not a number or string)");
  return bad (l, where, msg);
}

static int
get_limit (struct loader *l, const struct og_json *res, const char *key, value_parser parse, struct og_limit *lim)
{
  static const char *const keys[] = { "default", "max", NULL };
  og_cleanup_free char *where = og_xasprintf ("resources.%s", key);
  struct og_json *v = og_json_get (res, key);

  if (v == NULL)
    return 0;
  if (v->type != OG_JSON_OBJECT)
    return bad (l, where, "must be an object");
  if (only_keys (l, v, where, keys) < 0
      || get_quantity (l, v, "default", where, parse, &lim->has_default, &lim->def) < 0
      || get_quantity (l, v, "max", where, parse, &lim->has_max, &lim->max) < 0)
    return -1;
  if (lim->has_default && lim->has_max && lim->def > lim->max)
    return bad (l, where, "\"default\" is larger than \"max\"");
  return 0;
}

static int
parse_count (const char *s, int64_t *out)
{
  return og_parse_int64 (s, out) == 0 && *out > 0 ? 0 : -1;
}

/* ---- areas -------------------------------------------------------------- */

static int
load_nnp (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "no_new_privileges", &o) < 0 || only_keys (l, o, "no_new_privileges", keys) < 0)
    return -1;
  return get_action (l, o, "no_new_privileges", &p->nnp.action);
}

static int
load_caps (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "allow", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "capabilities", &o) < 0 || only_keys (l, o, "capabilities", keys) < 0
      || get_action (l, o, "capabilities", &p->caps.action) < 0)
    return -1;
  if (og_json_get (o, "allow") == NULL)
    return bad (l, "capabilities", "missing \"allow\" (use [] to drop every capability)");
  if (get_strv (l, o, "allow", "capabilities", false, &p->caps.allow) < 0)
    return -1;
  for (char **c = p->caps.allow; *c; c++)
    if (strncmp (*c, "CAP_", 4) != 0)
      {
        og_cleanup_free char *msg = og_xasprintf ("\"%s\" is not a capability name (expected CAP_...)", *c);
        return bad (l, "capabilities.allow", msg);
      }
  return 0;
}

static int
load_rootfs (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "readonly", "writable_tmpfs", "tmpfs_options", "description", NULL };
  static const char *const default_opts[] = { "nosuid", "nodev", "mode=1777", "size=65536k", NULL };
  struct og_json *o;

  if (need_object (l, root, "rootfs", &o) < 0 || only_keys (l, o, "rootfs", keys) < 0
      || get_action (l, o, "rootfs", &p->rootfs.action) < 0
      || get_bool (l, o, "readonly", "rootfs", &p->rootfs.readonly) < 0
      || get_strv (l, o, "writable_tmpfs", "rootfs", true, &p->rootfs.writable_tmpfs) < 0
      || get_strv (l, o, "tmpfs_options", "rootfs", false, &p->rootfs.tmpfs_options) < 0)
    return -1;
  if (p->rootfs.tmpfs_options == NULL)
    {
      p->rootfs.tmpfs_options = og_xcalloc (5, sizeof (char *));
      for (int i = 0; default_opts[i]; i++)
        p->rootfs.tmpfs_options[i] = og_xstrdup (default_opts[i]);
    }
  return 0;
}

static int
load_resources (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "memory", "swap", "cpu", "pids", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "resources", &o) < 0 || only_keys (l, o, "resources", keys) < 0
      || get_action (l, o, "resources", &p->resources.action) < 0
      || get_limit (l, o, "memory", og_parse_size, &p->resources.memory) < 0
      || get_limit (l, o, "swap", og_parse_size, &p->resources.swap) < 0
      || get_limit (l, o, "cpu", og_parse_millicpus, &p->resources.cpu) < 0
      || get_limit (l, o, "pids", parse_count, &p->resources.pids) < 0)
    return -1;
  if ((p->resources.swap.has_default || p->resources.swap.has_max)
      && !(p->resources.memory.has_default || p->resources.memory.has_max))
    return bad (l, "resources.swap", "needs a memory limit (swap is counted on top of memory)");
  return 0;
}

static int
load_mounts (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[]
      = { "action", "deny_any_socket", "deny_sockets",   "deny_trees", "allow_sources", "allow_roots", "force_options",
          "scan",   "description",     "readonly_binds", NULL };
  static const char *const scan_keys[] = { "max_entries", "max_depth", "max_ms", "max_mounts", NULL };
  struct og_json *o, *scan;

  p->mounts.scan_max_entries = 4096;
  p->mounts.scan_max_depth = 8;
  p->mounts.scan_max_ms = 2000;
  p->mounts.max_mounts = 256;
  if (need_object (l, root, "mounts", &o) < 0 || only_keys (l, o, "mounts", keys) < 0
      || get_action (l, o, "mounts", &p->mounts.action) < 0
      || get_bool (l, o, "deny_any_socket", "mounts", &p->mounts.deny_any_socket) < 0
      || get_strv (l, o, "deny_sockets", "mounts", true, &p->mounts.deny_sockets) < 0
      || get_strv (l, o, "deny_trees", "mounts", true, &p->mounts.deny_trees) < 0
      || get_strv (l, o, "allow_sources", "mounts", true, &p->mounts.allow_sources) < 0
      || get_strv (l, o, "allow_roots", "mounts", true, &p->mounts.allow_roots) < 0
      || get_strv (l, o, "force_options", "mounts", false, &p->mounts.force_options) < 0
      || og_policy_load_readonly_binds (o, l->name, p, l->err) < 0)
    return -1;
  scan = og_json_get (o, "scan");
  if (scan)
    {
      bool has = false;
      int64_t v;
      if (scan->type != OG_JSON_OBJECT)
        return bad (l, "mounts.scan", "must be an object");
      if (only_keys (l, scan, "mounts.scan", scan_keys) < 0)
        return -1;
      if (get_quantity (l, scan, "max_entries", "mounts.scan", parse_count, &has, &v) < 0)
        return -1;
      if (has)
        p->mounts.scan_max_entries = v > 10000000 ? 10000000 : (unsigned)v;
      has = false;
      if (get_quantity (l, scan, "max_depth", "mounts.scan", parse_count, &has, &v) < 0)
        return -1;
      if (has)
        p->mounts.scan_max_depth = v > 64 ? 64 : (unsigned)v;
      has = false;
      if (get_quantity (l, scan, "max_ms", "mounts.scan", parse_count, &has, &v) < 0)
        return -1;
      if (has)
        p->mounts.scan_max_ms = v > 600000 ? 600000 : (unsigned)v;
      has = false;
      if (get_quantity (l, scan, "max_mounts", "mounts.scan", parse_count, &has, &v) < 0)
        return -1;
      if (has)
        p->mounts.max_mounts = v > 100000 ? 100000 : (unsigned)v;
    }
  return 0;
}

static int
load_hooks (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "allow", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "hooks", &o) < 0 || only_keys (l, o, "hooks", keys) < 0
      || get_action (l, o, "hooks", &p->hooks.action) < 0
      || get_strv (l, o, "allow", "hooks", true, &p->hooks.allow) < 0)
    return -1;
  return 0;
}

static int
load_privileged (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "privileged", &o) < 0 || only_keys (l, o, "privileged", keys) < 0)
    return -1;
  return get_action (l, o, "privileged", &p->privileged.action);
}

static int
load_namespaces (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "require", "allow_paths", "description", NULL };
  static const char *const types[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", "user", "time", NULL };
  struct og_json *o;

  if (need_object (l, root, "namespaces", &o) < 0 || only_keys (l, o, "namespaces", keys) < 0
      || get_action (l, o, "namespaces", &p->namespaces.action) < 0
      || get_strv (l, o, "require", "namespaces", false, &p->namespaces.require) < 0
      || get_strv (l, o, "allow_paths", "namespaces", true, &p->namespaces.allow_paths) < 0)
    return -1;
  for (char **t = p->namespaces.require; t && *t; t++)
    if (!og_strv_contains ((char *const *)types, *t))
      {
        og_cleanup_free char *msg = og_xasprintf ("\"%s\" is not a namespace type", *t);
        return bad (l, "namespaces.require", msg);
      }
  return 0;
}

static int
load_devices (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "allow", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "devices", &o) < 0 || only_keys (l, o, "devices", keys) < 0
      || get_action (l, o, "devices", &p->devices.action) < 0
      || get_strv (l, o, "allow", "devices", false, &p->devices.allow) < 0)
    return -1;
  for (char **d = p->devices.allow; d && *d; d++)
    {
      char type;
      unsigned major, minor;
      int n = 0;
      if (sscanf (*d, "%c %u:%u%n", &type, &major, &minor, &n) != 3 || (*d)[n] != '\0' || (*d)[1] != ' '
          || strchr (*d + 2, ' ') || (type != 'c' && type != 'b'))
        {
          og_cleanup_free char *msg = og_xasprintf ("\"%s\" is not a device number (\"c MAJOR:MINOR\")", *d);
          return bad (l, "devices.allow", msg);
        }
    }
  return 0;
}

static int
load_sysctls (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "allow", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "sysctls", &o) < 0 || only_keys (l, o, "sysctls", keys) < 0
      || get_action (l, o, "sysctls", &p->sysctls.action) < 0
      || get_strv (l, o, "allow", "sysctls", false, &p->sysctls.allow) < 0)
    return -1;
  return 0;
}

static int
load_seccomp (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action",
                                      "default_profile",
                                      "deny_syscalls",
                                      "allow_unconfined",
                                      "allow_setid_files",
                                      "allow_listeners",
                                      "description",
                                      NULL };
  struct og_json *o;

  if (need_object (l, root, "seccomp", &o) < 0 || only_keys (l, o, "seccomp", keys) < 0
      || get_action (l, o, "seccomp", &p->seccomp.action) < 0
      || get_string (l, o, "default_profile", "seccomp", &p->seccomp.default_profile) < 0
      || get_strv (l, o, "deny_syscalls", "seccomp", false, &p->seccomp.deny_syscalls) < 0
      || get_bool (l, o, "allow_unconfined", "seccomp", &p->seccomp.allow_unconfined) < 0
      || get_bool (l, o, "allow_setid_files", "seccomp", &p->seccomp.allow_setid_files) < 0
      || get_strv (l, o, "allow_listeners", "seccomp", true, &p->seccomp.allow_listeners) < 0)
    return -1;
  for (char **sc = p->seccomp.deny_syscalls; sc && *sc; sc++)
    if (!og_syscall_known (*sc))
      {
        og_cleanup_free char *msg = og_xasprintf ("\"%s\" is not a syscall on any supported architecture", *sc);
        return bad (l, "seccomp.deny_syscalls", msg);
      }
  /* A relative profile lives beside the policy file; made absolute so a
   * relative --ocigate-policy does not leave a cwd-relative path behind. */
  if (p->seccomp.default_profile && p->seccomp.default_profile[0] != '/')
    {
      const char *slash = strrchr (l->name, '/');
      og_cleanup_free char *dir = slash ? og_xstrndup (l->name, (size_t)(slash - l->name)) : og_xstrdup (".");
      og_cleanup_free char *absdir = og_realpath (dir[0] ? dir : "/");
      char *abs = og_xasprintf ("%s/%s", absdir ? absdir : dir, p->seccomp.default_profile);
      free (p->seccomp.default_profile);
      p->seccomp.default_profile = abs;
    }
  return 0;
}

static int
load_paths (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "masked", "readonly", "readonly_sysfs", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "paths", &o) < 0 || only_keys (l, o, "paths", keys) < 0
      || get_action (l, o, "paths", &p->paths.action) < 0
      || get_strv (l, o, "masked", "paths", true, &p->paths.masked) < 0
      || get_strv (l, o, "readonly", "paths", true, &p->paths.readonly) < 0
      || get_bool (l, o, "readonly_sysfs", "paths", &p->paths.readonly_sysfs) < 0)
    return -1;
  return 0;
}

static int
load_process (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action",     "run_as_non_root",         "oom_score_adj_min",
                                      "rlimit_max", "deny_shared_propagation", "description",
                                      NULL };
  struct og_json *o;

  if (need_object (l, root, "process", &o) < 0 || only_keys (l, o, "process", keys) < 0
      || get_action (l, o, "process", &p->process.action) < 0
      || get_bool (l, o, "run_as_non_root", "process", &p->process.run_as_non_root) < 0
      || get_quantity (l, o, "oom_score_adj_min", "process", og_parse_int64, &p->process.has_oom_score_adj_min,
                       &p->process.oom_score_adj_min)
             < 0
      || get_strv (l, o, "rlimit_max", "process", false, &p->process.rlimit_max) < 0
      || get_bool (l, o, "deny_shared_propagation", "process", &p->process.deny_shared_propagation) < 0)
    return -1;
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
  for (char **r = p->process.rlimit_max; r && *r; r++)
    {
      const char *eq = strchr (*r, '=');
      og_cleanup_free char *name = eq ? og_xstrndup (*r, (size_t)(eq - *r)) : NULL;
      int64_t v;
      /* a misspelt name would silently clamp nothing */
      if (name == NULL || !og_strv_contains ((char *const *)rlimits, name) || parse_count (eq + 1, &v) < 0)
        {
          og_cleanup_free char *msg = og_xasprintf ("\"%s\" is not RLIMIT_NAME=MAX", *r);
          return bad (l, "process.rlimit_max", msg);
        }
    }
  return 0;
}

static int
load_env (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "deny_names", "check_values", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "env", &o) < 0 || only_keys (l, o, "env", keys) < 0
      || get_action (l, o, "env", &p->env.action) < 0
      || get_strv (l, o, "deny_names", "env", false, &p->env.deny_names) < 0
      || get_bool (l, o, "check_values", "env", &p->env.check_values) < 0)
    return -1;
  return 0;
}

static int
load_lsm (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "action", "apparmor_profile", "require_selinux_label", "description", NULL };
  struct og_json *o;

  if (need_object (l, root, "lsm", &o) < 0 || only_keys (l, o, "lsm", keys) < 0
      || get_action (l, o, "lsm", &p->lsm.action) < 0
      || get_string (l, o, "apparmor_profile", "lsm", &p->lsm.apparmor_profile) < 0
      || get_bool (l, o, "require_selinux_label", "lsm", &p->lsm.require_selinux_label) < 0)
    return -1;
  return 0;
}

/* Optional: without it restore is refused, the safe reading of a policy
 * written before the section existed. */
static int
load_restore (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "allow", "description", NULL };
  struct og_json *o = og_json_get (root, "restore");

  if (o == NULL)
    return 0;
  if (o->type != OG_JSON_OBJECT)
    return bad (l, "restore", "must be an object");
  return only_keys (l, o, "restore", keys) < 0 || get_bool (l, o, "allow", "restore", &p->restore.allow) < 0 ? -1 : 0;
}

static int
load_userns (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[]
      = { "mode", "pool_start", "pool_size", "range_size", "allocation", "allow_without", "description", NULL };
  og_cleanup_free char *mode = NULL, *alloc = NULL;
  og_cleanup_strv char **without = NULL;
  struct og_json *o;
  bool has = false;

  p->userns.pool_start = 1000000;
  p->userns.pool_size = 65536LL * 1024;
  p->userns.range_size = 65536;
  if (need_object (l, root, "user_namespace", &o) < 0 || only_keys (l, o, "user_namespace", keys) < 0
      || get_string (l, o, "mode", "user_namespace", &mode) < 0
      || get_string (l, o, "allocation", "user_namespace", &alloc) < 0
      || get_quantity (l, o, "pool_start", "user_namespace", parse_count, &has, &p->userns.pool_start) < 0
      || get_quantity (l, o, "pool_size", "user_namespace", parse_count, &has, &p->userns.pool_size) < 0
      || get_quantity (l, o, "range_size", "user_namespace", parse_count, &has, &p->userns.range_size) < 0
      || get_strv (l, o, "allow_without", "user_namespace", false, &without) < 0)
    return -1;
  if (mode == NULL || strcmp (mode, "off") == 0)
    p->userns.mode = OG_USERNS_OFF;
  else if (strcmp (mode, "if-possible") == 0)
    p->userns.mode = OG_USERNS_IF_POSSIBLE;
  else if (strcmp (mode, "required") == 0)
    p->userns.mode = OG_USERNS_REQUIRED;
  else
    return bad (l, "user_namespace.mode", "must be \"required\", \"if-possible\" or \"off\"");
  /* Running without a user namespace where an attacker can make it happen
   * (fill the pool, join a pid namespace) is allowed only in so many words. */
  for (char **w = without; w && *w; w++)
    if (strcmp (*w, "pool-exhausted") == 0)
      p->userns.without_if_pool_exhausted = true;
    else if (strcmp (*w, "shared-pid-namespace") == 0)
      p->userns.without_if_shared_pid_ns = true;
    else
      return bad (l, "user_namespace.allow_without", "entries must be \"pool-exhausted\" or \"shared-pid-namespace\"");
  if (without && without[0] && p->userns.mode != OG_USERNS_IF_POSSIBLE)
    return bad (l, "user_namespace.allow_without", "needs mode \"if-possible\"");
  if (alloc && strcmp (alloc, "shared") == 0)
    p->userns.shared = true;
  else if (alloc && strcmp (alloc, "per-container") != 0)
    return bad (l, "user_namespace.allocation", "must be \"per-container\" or \"shared\"");
  /* Host ids below the pool belong to the host's own users; root must never
   * be in it, and a range must fit in the pool and in 32 bits. */
  if (p->userns.pool_start < 65536 || p->userns.range_size < 1 || p->userns.range_size > p->userns.pool_size
      || p->userns.pool_start + p->userns.pool_size > 4294967295LL)
    return bad (l, "user_namespace", "pool_start must be >= 65536 and range_size <= pool_size, within 32 bits");
  return 0;
}

/* Optional: a policy written before the section existed gets its secure
 * defaults (unknown members and the newer runtime features refused). */
static int
load_fields (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[]
      = { "action", "allow", "net_devices", "intel_rdt", "realtime", "idmapped_mounts", "description", NULL };
  struct og_json *o = og_json_get (root, "fields");

  p->fields.action = OG_ACTION_DENY;
  if (o == NULL)
    return 0;
  if (o->type != OG_JSON_OBJECT)
    return bad (l, "fields", "must be an object");
  if (only_keys (l, o, "fields", keys) < 0 || get_action (l, o, "fields", &p->fields.action) < 0
      || get_strv (l, o, "allow", "fields", false, &p->fields.allow) < 0
      || get_strv (l, o, "net_devices", "fields", false, &p->fields.net_devices) < 0
      || get_bool (l, o, "intel_rdt", "fields", &p->fields.intel_rdt) < 0
      || get_bool (l, o, "realtime", "fields", &p->fields.realtime) < 0
      || get_bool (l, o, "idmapped_mounts", "fields", &p->fields.idmapped_mounts) < 0)
    return -1;
  return 0;
}

static int
load_top (struct loader *l, const struct og_json *root, struct og_policy *p)
{
  static const char *const keys[] = { "version",        "description", "mode",      "audit",    "no_new_privileges",
                                      "capabilities",   "rootfs",      "resources", "mounts",   "hooks",
                                      "privileged",     "namespaces",  "devices",   "sysctls",  "seccomp",
                                      "paths",          "process",     "env",       "lsm",      "restore",
                                      "user_namespace", "fields",      "cri",       "buildkit", NULL };
  static const char *const audit_keys[] = { "log", NULL };
  struct og_json *v;
  og_cleanup_free char *mode = NULL;

  if (root->type != OG_JSON_OBJECT)
    return bad (l, "top level", "must be a json object");
  if (only_keys (l, root, "top level", keys) < 0)
    return -1;
  v = og_json_get (root, "version");
  if (v == NULL || v->type != OG_JSON_NUMBER || strcmp (v->text, "1") != 0)
    return bad (l, "version", "must be 1 (the only version this ocigate understands)");
  if (get_string (l, root, "mode", "top level", &mode) < 0)
    return -1;
  if (mode && strcmp (mode, "audit") == 0)
    p->audit_only = true;
  else if (mode && strcmp (mode, "enforce") != 0)
    return bad (l, "mode", "must be \"enforce\" or \"audit\"");
  v = og_json_get (root, "audit");
  if (v)
    {
      if (v->type != OG_JSON_OBJECT)
        return bad (l, "audit", "must be an object");
      if (only_keys (l, v, "audit", audit_keys) < 0 || get_string (l, v, "log", "audit", &p->audit_log) < 0)
        return -1;
      if (p->audit_log && p->audit_log[0] != '/')
        return bad (l, "audit.log", "must be an absolute path");
    }
  else
    p->audit_log = og_xstrdup (OG_AUDIT_LOG_DEFAULT);
  return load_nnp (l, root, p) < 0 || load_caps (l, root, p) < 0 || load_rootfs (l, root, p) < 0
                 || load_resources (l, root, p) < 0 || load_mounts (l, root, p) < 0 || load_hooks (l, root, p) < 0
                 || load_privileged (l, root, p) < 0 || load_namespaces (l, root, p) < 0
                 || load_devices (l, root, p) < 0 || load_sysctls (l, root, p) < 0 || load_seccomp (l, root, p) < 0
                 || load_paths (l, root, p) < 0 || load_process (l, root, p) < 0 || load_env (l, root, p) < 0
                 || load_lsm (l, root, p) < 0 || load_restore (l, root, p) < 0 || load_userns (l, root, p) < 0
                 || load_fields (l, root, p) < 0 || og_policy_load_cri (root, l->name, p, l->err) < 0
                 || og_policy_load_buildkit (root, l->name, p, l->err) < 0
             ? -1
             : 0;
}

/* ---- entry points ------------------------------------------------------- */

int
og_policy_parse (const char *buf, size_t len, const char *name, struct og_policy **out, struct og_error *err)
{
  const struct og_json_opts opts = { .max_size = OG_POLICY_MAX_SIZE, .max_depth = 16, .allow_comments = true };
  og_cleanup_json struct og_json *root = NULL;
  og_cleanup_policy struct og_policy *p = og_xcalloc (1, sizeof *p);
  struct loader l = { .name = name, .err = err };

  if (og_json_parse (buf, len, &opts, &root, err) < 0)
    return og_error_wrap (err, "policy %s", name);
  if (load_top (&l, root, p) < 0)
    return -1;
  p->path = og_xstrdup (name);
  og_sha256_hex (buf, len, p->digest);
  *out = og_steal_pointer (&p);
  return 0;
}

int
og_policy_load (const char *path, struct og_policy **out, struct og_error *err)
{
  return og_policy_load_cached (path, NULL, out, err);
}

bool
og_policy_cacheable (const struct stat *st, const struct timespec *now)
{
  /* Two seconds: more than a clock tick and than the coarsest timestamps
   * (FAT's two seconds) a policy file could have. */
  return now->tv_sec - st->st_ctim.tv_sec > 2
         || (now->tv_sec - st->st_ctim.tv_sec == 2 && now->tv_nsec >= st->st_ctim.tv_nsec);
}

/* The compiled policy kept for this identity, if there is a good one. */
static bool
from_cache (const struct og_policy_cache *cache, const char *path, const struct stat *st, struct og_policy **out)
{
  og_cleanup_free char *image = NULL;
  struct og_error ignored = { 0 };
  size_t len = 0;
  bool ok;

  if (cache == NULL || !cache->lookup (cache->data, path, st, &image, &len))
    return false;
  ok = og_policy_image_read (image, len, out, &ignored) == 0;
  og_error_clear (&ignored);
  if (ok && strcmp ((*out)->path, path) != 0)
    {
      og_policy_free (*out);
      *out = NULL;
      ok = false;
    }
  return ok;
}

static void
to_cache (const struct og_policy_cache *cache, const char *path, const struct stat *st, const struct og_policy *p)
{
  og_cleanup_free char *image = NULL;
  struct timespec now;
  size_t len;

  if (cache == NULL || clock_gettime (CLOCK_REALTIME, &now) < 0 || !og_policy_cacheable (st, &now)
      || og_policy_image_write (p, &image, &len) < 0)
    return;
  cache->store (cache->data, path, st, image, len);
}

int
og_policy_load_cached (const char *path, const struct og_policy_cache *cache, struct og_policy **out,
                       struct og_error *err)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not hang us */
  og_cleanup_free char *buf = NULL;
  struct stat st, after;
  size_t off = 0, cap;

  if (fd < 0)
    return og_error_set (err, errno, "cannot open policy %s", path);
  if (fstat (fd, &st) < 0)
    return og_error_set (err, errno, "cannot stat policy %s", path);
  if (!S_ISREG (st.st_mode))
    return og_error_set (err, 0, "policy %s is not a regular file", path);
  /* Whoever can write the policy can switch the boundary off. */
  if (!og_file_trusted (&st))
    return og_error_set (
        err, 0, "policy %s is writable by others (or by a non-root group) or not owned by root; refusing to trust it",
        path);
  if (st.st_size > (off_t)OG_POLICY_MAX_SIZE)
    return og_error_set (err, 0, "policy %s is larger than %u bytes", path, OG_POLICY_MAX_SIZE);
  if (from_cache (cache, path, &st, out))
    return 0;
  /* Read to EOF rather than trusting st_size, one byte past it: a file that
   * changes under us is refused, never half-read. */
  cap = (size_t)st.st_size + 1;
  buf = og_xmalloc (cap + 1);
  for (;;)
    {
      ssize_t r = read (fd, buf + off, cap - off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return og_error_set (err, errno, "cannot read policy %s", path);
      if (r == 0)
        break;
      off += (size_t)r;
      if (off == cap)
        return og_error_set (err, 0, "policy %s changed while it was read", path);
    }
  if (off == 0)
    return og_error_set (err, 0, "policy %s is empty", path);
  if (fstat (fd, &after) < 0 || after.st_mtim.tv_sec != st.st_mtim.tv_sec || after.st_mtim.tv_nsec != st.st_mtim.tv_nsec
      || after.st_ctim.tv_sec != st.st_ctim.tv_sec || after.st_ctim.tv_nsec != st.st_ctim.tv_nsec
      || (size_t)after.st_size != off)
    return og_error_set (err, 0, "policy %s changed while it was read", path);
  if (og_policy_parse (buf, off, path, out, err) < 0)
    return -1;
  to_cache (cache, path, &st, *out);
  return 0;
}
