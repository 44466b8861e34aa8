/* SPDX-License-Identifier: Apache-2.0 */
/* create, run, restore: enforce the policy on <bundle>/config.json. */
#include <config.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"
#include "userns.h"

struct create
{
  struct ocigate_run *r;
  struct ocigate_bundle bundle;
  struct og_json *spec;
  struct ocigate_userns userns;
  char *userns_error;
  enum og_userns_missing userns_missing;
};

/* Every refusal after an allocation gives the range back first. */
static void __attribute__ ((noreturn)) fail (struct create *c, const char *event, const char *msg)
{
  struct og_error err = { 0 };

  if (c->userns.allocated || c->userns.staged)
    ocigate_userns_release (&c->userns, &err);
  og_error_clear (&err);
  ocigate_refuse (c->r, event, msg);
}

static char *
rootfs_path (struct create *c)
{
  struct og_json *path = og_json_path (c->spec, "root", "path", NULL);
  og_cleanup_free char *joined = NULL;

  if (!og_json_is_string (path) || path->len == 0)
    return NULL;
  joined = path->text[0] == '/' ? og_xstrdup (path->text)
                                : og_xasprintf ("%s/%s", c->r->cl.bundle ? c->r->cl.bundle : ".", path->text);
  return og_realpath (joined);
}

/* The pid namespace the container joins: its path, "" for the host's (no
 * pid namespace of its own), NULL for a new one. */
static const char *
joined_pid_ns (const struct og_json *spec)
{
  struct og_json *ns = og_json_path (spec, "linux", "namespaces", NULL);

  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      if (og_json_is_string (t) && strcmp (t->text, "pid") == 0)
        return og_json_is_string (path) && path->len > 0 ? path->text : NULL;
    }
  return "";
}

static void
no_userns (struct create *c, enum og_userns_missing why, char *msg)
{
  c->userns_missing = why;
  c->userns_error = msg;
}

/* Allocate a host id range and stage the idmapped rootfs.  When that
 * cannot be done, c->userns_missing says why, and the rule refuses or
 * (only where the policy says so) records running without one. */
static void
setup_userns (struct create *c)
{
  const struct og_policy *p = c->r->policy;
  const char *id = c->r->cl.id, *root = c->r->cl.root, *pidns;
  og_cleanup_free char *rootfs = NULL, *existing = NULL;
  struct og_error err = { 0 };
  struct stat st;

  if (p->userns.mode == OG_USERNS_OFF)
    return;
  /* `runc run` in the foreground deletes its container itself, without a
   * `delete` through us: staging left by earlier ones is released here */
  if (strcmp (c->r->cl.command, "run") == 0)
    {
      struct og_error ignored = { 0 };
      ocigate_userns_gc (c->r->cl.state_dir, false, &ignored);
      og_error_clear (&ignored);
    }
  if (!ocigate_userns_id_valid (id))
    {
      no_userns (c, OG_USERNS_MISSING_REFUSED, og_xstrdup ("the container id is not one runc accepts"));
      return;
    }
  /* runc refuses an id it has; checked before anything is allocated, so
   * a duplicate create never restages or releases the existing
   * container's range (nor leaves a record that would make a root exec
   * into that container look mapped away) */
  existing = og_xasprintf ("%s/%s", root, id);
  if (lstat (existing, &st) == 0)
    {
      no_userns (c, OG_USERNS_MISSING_REFUSED,
                 og_xasprintf ("container %s already exists under runtime root %s", id, root));
      return;
    }
  /* procfs can only be mounted for a pid namespace the container's user
   * namespace owns: a joined one must be shared with its owner */
  pidns = joined_pid_ns (c->spec);
  if (pidns && pidns[0] == '\0')
    {
      no_userns (c, OG_USERNS_MISSING_PIDNS, og_xstrdup ("the container shares the host's pid namespace"));
      return;
    }
  rootfs = rootfs_path (c);
  if (rootfs == NULL)
    {
      no_userns (c, OG_USERNS_MISSING_UNSUPPORTED,
                 og_xasprintf ("the root filesystem cannot be resolved (%s)", strerror (errno)));
      return;
    }
  if (ocigate_userns_allocate (c->r->cl.state_dir, p, root, id, pidns, &c->userns, &err) < 0)
    {
      no_userns (c,
                 c->userns.in_use          ? OG_USERNS_MISSING_REFUSED
                 : c->userns.exhausted     ? OG_USERNS_MISSING_POOL
                 : c->userns.foreign_pidns ? OG_USERNS_MISSING_PIDNS
                                           : OG_USERNS_MISSING_UNSUPPORTED,
                 og_steal_pointer (&err.msg));
      return;
    }
  if (ocigate_userns_stage (&c->userns, rootfs, &err) < 0)
    {
      struct og_error ignored = { 0 };
      no_userns (c, OG_USERNS_MISSING_UNSUPPORTED, og_steal_pointer (&err.msg));
      ocigate_userns_release (&c->userns, &ignored);
      og_error_clear (&ignored);
    }
}

static void
use_staged_root (struct create *c)
{
  struct og_json *root = og_json_get_set (c->spec, "root");
  struct og_json *np = og_json_new_string (c->userns.stage_root);

  og_decisions_add (&c->r->decisions, "user_namespace", OG_DECISION_MUTATE, "root.path",
                    og_json_to_text (og_json_get (root, "path")), og_json_to_text (np),
                    "the root filesystem is an idmapped mount of the image for the container's id range");
  og_json_set (root, "path", np);
}

static bool
is_bind (const struct og_json *m)
{
  struct og_json *type = og_json_get_set (m, "type"), *opts = og_json_get_set (m, "options");
  return (og_json_is_string (type) && strcmp (type->text, "bind") == 0) || og_json_array_has_string (opts, "bind")
         || og_json_array_has_string (opts, "rbind");
}

/* Each bind source (already resolved and judged by the mounts rule) is
 * presented through the container's mapping.  A source whose filesystem
 * cannot be idmapped stays as it is: readable, owned by nobody inside. */
static void
stage_binds (struct create *c)
{
  struct og_json *mounts = og_json_get_set (c->spec, "mounts");

  for (size_t i = 0; mounts && mounts->type == OG_JSON_ARRAY && i < mounts->n; i++)
    {
      struct og_json *m = mounts->vals[i], *src = og_json_get_set (m, "source");
      og_cleanup_free char *staged = NULL, *path = NULL;
      struct og_error err = { 0 };

      if (!is_bind (m) || !og_json_is_string (src) || src->text[0] != '/')
        continue;
      path = og_xasprintf ("mounts[%zu].source", i);
      if (ocigate_userns_stage_bind (&c->userns, i, src->text, &staged, &err) < 0)
        {
          og_decisions_add (&c->r->decisions, "user_namespace", OG_DECISION_AUDIT, path, og_json_to_text (src), NULL,
                            "bind source not idmapped (%s): its files keep their host owners", err.msg);
          og_error_clear (&err);
          continue;
        }
      og_decisions_add (&c->r->decisions, "user_namespace", OG_DECISION_MUTATE, path, og_json_to_text (src),
                        og_xasprintf ("\"%s\"", staged), "bind source seen through the container's id mapping");
      og_json_set (m, "source", og_json_new_string (staged));
    }
}

void
ocigate_cmd_create (struct ocigate_run *r)
{
  struct create c = { .r = r, .bundle = { .dirfd = -1 } };
  struct og_enforce_ctx ctx = { .policy = r->policy, .bundle = r->cl.bundle, .container_id = r->cl.id };
  struct og_error err = { 0 };
  og_cleanup_free char *out = NULL;
  size_t out_len;

  if (ocigate_bundle_open (r->cl.bundle, &c.bundle, &err) < 0
      || og_spec_parse (c.bundle.data, c.bundle.len, &c.spec, &err) < 0)
    {
      og_cleanup_free char *msg
          = og_xasprintf ("config.json of bundle %s: %s", r->cl.bundle ? r->cl.bundle : ".", err.msg);
      fail (&c, "error", msg);
    }
  if (strcmp (r->cl.command, "restore") == 0)
    ocigate_restore_judge (r, c.spec); /* before any range is allocated */
  setup_userns (&c);
  ctx.userns = c.userns.staged ? &c.userns.range : NULL;
  ctx.userns_error = c.userns_error;
  ctx.userns_why = c.userns_missing;
  ctx.userns_join = c.userns.staged ? c.userns.join_path : NULL;
  ctx.userns_owner = c.userns.owner_id;
  if (og_enforce_config (&ctx, c.spec, &r->decisions, &err) < 0)
    fail (&c, "error", err.msg);
  if (og_decisions_refused (&r->decisions))
    {
      struct og_error ignored = { 0 };
      if (c.userns.allocated)
        ocigate_userns_release (&c.userns, &ignored);
      og_error_clear (&ignored);
      ocigate_refuse_if_refused (r);
    }
  if (c.userns.staged && !r->policy->audit_only)
    {
      use_staged_root (&c);
      stage_binds (&c);
    }
  if (og_json_write (c.spec, false, &out, &out_len, &err) < 0
      || ocigate_bundle_write (&c.bundle, out, out_len, &err) < 0)
    fail (&c, "error", err.msg);
  ocigate_userns_reap (&c.userns);
  if (c.userns.allocated)
    {
      r->staged = og_xmalloc (sizeof *r->staged);
      *r->staged = c.userns;
    }
  /* The trees are not freed: the exec that follows replaces the whole
   * address space, and freeing ~1000 nodes would cost more than the rest
   * of the call's bookkeeping.  Descriptors are O_CLOEXEC. */
  ocigate_audit_accepted (r, "create");
}
