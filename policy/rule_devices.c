/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devices: device nodes (linux.devices) and the device cgroup
 * (linux.resources.devices).  A block device is the host's disk; an
 * "allow all" cgroup rule lets a process with CAP_MKNOD create any node.
 * Only the default set and the policy's allowlist are kept, each at a
 * path under /dev where the host has that very device: in a user namespace
 * runc cannot mknod and bind-mounts the host's file at the entry's path
 * instead, so a "device" at /etc/hostname was the host's file (and the
 * image's was truncated).
 */
#include <config.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

/* What runc and the engines give every container: null zero full random
 * urandom tty console ptmx, the pts range, and /dev/net/tun (Docker's
 * default cgroup rules). */
static const char *const default_set[]
    = { "c 1:3", "c 1:5", "c 1:7", "c 1:8", "c 1:9", "c 5:0", "c 5:1", "c 5:2", "c 136:*", "c 10:200", NULL };

/* Where the default set lives; another name for one of them must also be
 * that device on the host (runc binds the host's file at that path). */
static const struct
{
  int major, minor;
  const char *path;
} canonical[] = { { 1, 3, "/dev/null" },    { 1, 5, "/dev/zero" },    { 1, 7, "/dev/full" },
                  { 1, 8, "/dev/random" },  { 1, 9, "/dev/urandom" }, { 5, 0, "/dev/tty" },
                  { 5, 1, "/dev/console" }, { 5, 2, "/dev/ptmx" },    { 10, 200, "/dev/net/tun" } };

/* Pseudo-terminals come from the container's own devpts mount; a node at
 * /dev/pts/N in the list would be the host's (bound in a user namespace):
 * another session's terminal. */
static bool
under_devpts (const char *path)
{
  return strncmp (path, "/dev/pts/", 9) == 0;
}

static bool
at_canonical_path (char type, int64_t major, int64_t minor, const char *path)
{
  if (type != 'c')
    return false;
  for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++)
    if (canonical[i].major == major && canonical[i].minor == minor && strcmp (path, canonical[i].path) == 0)
      return true;
  return false;
}

/* "/dev/<name>[/<name>...]" with no empty, "." or ".." component. */
static bool
clean_dev_path (const char *path)
{
  if (strncmp (path, "/dev/", 5) != 0)
    return false;
  for (const char *p = path + 4; *p == '/';)
    {
      const char *c = p + 1;
      size_t n = strcspn (c, "/");
      if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        return false;
      p = c + n;
    }
  return true;
}

/* The host's node at `path` (no symbolic link on the way) is this device. */
static bool
host_has (char type, int64_t major, int64_t minor, const char *path)
{
  og_cleanup_free char *resolved = og_realpath (path);
  struct stat st;

  if (resolved == NULL || strcmp (resolved, path) != 0 || lstat (path, &st) < 0)
    return false;
  if (!(type == 'c' && S_ISCHR (st.st_mode)) && !(type == 'b' && S_ISBLK (st.st_mode)))
    return false;
  return (int64_t)major (st.st_rdev) == major && (int64_t)minor (st.st_rdev) == minor;
}

static bool
number (const struct og_json *v, int64_t *out)
{
  if (v == NULL || v->type == OG_JSON_NULL)
    {
      *out = -1; /* wildcard */
      return true;
    }
  return og_json_int64 (v, out) == 0;
}

static bool
device_allowed (const struct og_policy *p, char type, int64_t major, int64_t minor)
{
  char exact[64], any_minor[64];

  snprintf (exact, sizeof exact, "%c %" PRId64 ":%" PRId64, type, major, minor);
  snprintf (any_minor, sizeof any_minor, "%c %" PRId64 ":*", type, major);
  if (major < 0 || minor < 0)
    return false;
  return og_strv_contains ((char *const *)default_set, exact)
         || og_strv_contains ((char *const *)default_set, any_minor) || og_strv_contains (p->devices.allow, exact);
}

static void
check_nodes (const struct og_enforce_ctx *ctx, struct og_json *linux_, struct og_decisions *d)
{
  struct og_json *nodes = og_json_get_set (linux_, "devices");

  if (nodes == NULL)
    return;
  if (nodes->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "devices", "linux.devices", nodes, "an array");
      return;
    }
  for (size_t i = nodes->n; i-- > 0;)
    {
      struct og_json *n = nodes->vals[i];
      struct og_json *type = og_json_get_set (n, "type"), *path = og_json_get_set (n, "path");
      og_cleanup_free char *jpath = og_xasprintf ("linux.devices[%zu]", i);
      int64_t major, minor;

      if (!og_json_is_string (type) || type->len != 1 || !number (og_json_get (n, "major"), &major)
          || !number (og_json_get (n, "minor"), &minor))
        {
          og_rule_malformed (d, "devices", jpath, n, "a device with type, major and minor");
          continue;
        }
      if (device_allowed (ctx->policy, type->text[0], major, minor))
        {
          if (og_json_is_string (path) && clean_dev_path (path->text) && !under_devpts (path->text)
              && (at_canonical_path (type->text[0], major, minor, path->text)
                  || host_has (type->text[0], major, minor, path->text)))
            continue;
          if (og_rule_change (ctx, ctx->policy->devices.action, d, "devices", jpath, og_json_to_text (n), NULL,
                              "device path %s is not where the host has %s %" PRId64 ":%" PRId64
                              " (a device must be the host's node of that number under /dev: in a user "
                              "namespace runc mounts the host's file at that path)",
                              og_json_is_string (path) ? path->text : "?", type->text, major, minor))
            og_json_remove_at (nodes, i);
          continue;
        }
      if (og_rule_change (ctx, ctx->policy->devices.action, d, "devices", jpath, og_json_to_text (n), NULL,
                          "device %s (%s %" PRId64 ":%" PRId64 ") is not in the default set or devices.allow",
                          og_json_is_string (path) ? path->text : "?", type->text, major, minor))
        og_json_remove_at (nodes, i);
    }
}

/* A cgroup rule that grants more than mknod on something outside the set. */
static bool
cgroup_rule_ok (const struct og_policy *p, const struct og_json *rule)
{
  struct og_json *type = og_json_get_set (rule, "type"), *access = og_json_get_set (rule, "access");
  int64_t major, minor;

  if (!og_json_is_true (og_json_get_set (rule, "allow")))
    return true;
  if (og_device_rule_allows_all (rule))
    return false;
  if (og_json_is_string (access) && strcmp (access->text, "m") == 0)
    return true; /* mknod only: creating a node the cgroup will not let anyone open */
  if (!og_json_is_string (type) || type->len != 1 || !number (og_json_get (rule, "major"), &major)
      || !number (og_json_get (rule, "minor"), &minor))
    return false;
  if (minor < 0)
    {
      char any_minor[64];
      snprintf (any_minor, sizeof any_minor, "%c %" PRId64 ":*", type->text[0], major);
      return og_strv_contains ((char *const *)default_set, any_minor);
    }
  return device_allowed (p, type->text[0], major, minor);
}

/* The device access every container needs, as the engines grant it:
 * mknod of anything (CAP_MKNOD decides), and read/write of the default set.
 * runc adds none of its own once the spec lists rules. */
static struct og_json *
default_rules (void)
{
  static const struct
  {
    const char *type;
    int major, minor; /* -1: any */
    const char *access;
  } rules[] = { { "c", -1, -1, "m" }, { "b", -1, -1, "m" }, { "c", 1, 3, "rwm" },    { "c", 1, 5, "rwm" },
                { "c", 1, 7, "rwm" }, { "c", 1, 8, "rwm" }, { "c", 1, 9, "rwm" },    { "c", 5, 0, "rwm" },
                { "c", 5, 1, "rwm" }, { "c", 5, 2, "rwm" }, { "c", 136, -1, "rwm" }, { "c", 10, 200, "rwm" } };
  struct og_json *list = og_json_new (OG_JSON_ARRAY);

  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    {
      struct og_json *r = og_json_new (OG_JSON_OBJECT);
      og_json_set (r, "allow", og_json_new_bool (true));
      og_json_set (r, "type", og_json_new_string (rules[i].type));
      if (rules[i].major >= 0)
        og_json_set (r, "major", og_json_new_number (rules[i].major));
      if (rules[i].minor >= 0)
        og_json_set (r, "minor", og_json_new_number (rules[i].minor));
      og_json_set (r, "access", og_json_new_string (rules[i].access));
      og_json_append (list, r);
    }
  return list;
}

static void
check_cgroup (const struct og_enforce_ctx *ctx, struct og_json *linux_, struct og_decisions *d)
{
  struct og_json *res = og_json_get_set (linux_, "resources");
  struct og_json *rules = og_json_get_set (res, "devices");
  struct og_json *first;

  if (rules == NULL)
    return;
  if (rules->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "devices", "linux.resources.devices", rules, "an array");
      return;
    }
  for (size_t i = rules->n; i-- > 0;)
    {
      og_cleanup_free char *jpath = og_xasprintf ("linux.resources.devices[%zu]", i);
      if (cgroup_rule_ok (ctx->policy, rules->vals[i]))
        continue;
      if (og_rule_change (ctx, ctx->policy->devices.action, d, "devices", jpath, og_json_to_text (rules->vals[i]), NULL,
                          "device cgroup rule grants access beyond the default set"))
        og_json_remove_at (rules, i);
    }
  /* Start from "deny everything" so only the listed devices are reachable,
   * then grant the default set (a privileged config listed none). */
  first = rules->n ? rules->vals[0] : NULL;
  if (first == NULL || og_json_is_true (og_json_get_set (first, "allow")) || og_json_get_set (first, "type"))
    {
      og_cleanup_json struct og_json *want = default_rules ();
      struct og_json *deny = og_json_new (OG_JSON_OBJECT);

      og_json_set (deny, "allow", og_json_new_bool (false));
      og_json_set (deny, "access", og_json_new_string ("rwm"));
      og_json_append (want, deny);
      memmove (&want->vals[1], &want->vals[0], (want->n - 1) * sizeof *want->vals);
      want->vals[0] = deny;
      for (size_t i = 0; i < rules->n; i++)
        og_json_append (want, og_json_clone (rules->vals[i]));
      if (og_rule_change (ctx, ctx->policy->devices.action, d, "devices", "linux.resources.devices",
                          og_json_to_text (rules), og_json_to_text (want),
                          "device cgroup starts with deny-all and grants the default set"))
        og_json_set (og_json_get (linux_, "resources"), "devices", og_steal_pointer (&want));
    }
}

int
og_rule_devices (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  struct og_json *linux_ = og_json_get_set (spec, "linux");

  if (linux_ == NULL || linux_->type != OG_JSON_OBJECT)
    return 0;
  check_nodes (ctx, linux_, d);
  check_cgroup (ctx, linux_, d);
  return 0;
}
