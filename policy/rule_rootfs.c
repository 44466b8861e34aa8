/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rootfs: the image's filesystem is mounted read-only so a compromised
 * process cannot plant binaries or alter the image; the policy's list of
 * scratch directories gets fresh tmpfs mounts instead.
 */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/util.h"

/* Compare destinations the way the kernel sees them: "/tmp/" is "/tmp". */
static bool
same_path (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);

  while (la > 1 && a[la - 1] == '/')
    la--;
  while (lb > 1 && b[lb - 1] == '/')
    lb--;
  return la == lb && strncmp (a, b, la) == 0;
}

static struct og_json *
tmpfs_mount (const struct og_policy *p, const char *dest)
{
  struct og_json *m = og_json_new (OG_JSON_OBJECT);
  struct og_json *opts = og_json_new (OG_JSON_ARRAY);

  og_json_set (m, "destination", og_json_new_string (dest));
  og_json_set (m, "type", og_json_new_string ("tmpfs"));
  og_json_set (m, "source", og_json_new_string ("tmpfs"));
  for (char **o = p->rootfs.tmpfs_options; o && *o; o++)
    og_json_append (opts, og_json_new_string (*o));
  og_json_set (m, "options", opts);
  return m;
}

static int
add_tmpfs (const struct og_enforce_ctx *ctx, struct og_json *spec, const char *dest, struct og_decisions *d)
{
  struct og_json *mounts = og_json_get_set (spec, "mounts");
  size_t at;
  struct og_json *m;

  if (mounts == NULL)
    {
      mounts = og_json_new (OG_JSON_ARRAY);
      og_json_set (spec, "mounts", mounts);
    }
  if (mounts->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "rootfs", "mounts", mounts, "an array");
      return 0;
    }
  /* Mounted before anything the engine placed below it (Podman's
   * /run/.containerenv), which would otherwise be hidden. */
  for (at = 0; at < mounts->n; at++)
    {
      struct og_json *dst = og_json_get (mounts->vals[at], "destination");
      if (og_json_is_string (dst) && same_path (dst->text, dest))
        return 0; /* the engine already mounts something there */
    }
  for (at = 0; at < mounts->n; at++)
    {
      struct og_json *dst = og_json_get (mounts->vals[at], "destination");
      if (og_json_is_string (dst) && og_path_under (dst->text, dest))
        break;
    }
  m = tmpfs_mount (ctx->policy, dest);
  if (!og_rule_change (ctx, ctx->policy->rootfs.action, d, "rootfs", "mounts", NULL, og_json_to_text (m),
                       "writable tmpfs at %s for a read-only rootfs", dest))
    {
      og_json_free (m);
      return 0;
    }
  og_json_append (mounts, m);
  memmove (&mounts->vals[at + 1], &mounts->vals[at], (mounts->n - 1 - at) * sizeof *mounts->vals);
  mounts->vals[at] = m;
  return 0;
}

int
og_rule_rootfs (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *root, *ro;

  /* a build step writes its image layer into the root (the build
   * profile: ocigate-policy(5) "buildkit") */
  if (!p->rootfs.readonly || (ctx->facts && ctx->facts->buildkit))
    return 0;
  root = og_json_get_set (spec, "root");
  if (root == NULL || root->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, "rootfs", "root", root, "an object");
      return 0;
    }
  ro = og_json_get_set (root, "readonly");
  if (ro && !og_json_is_bool (ro))
    {
      og_rule_malformed (d, "rootfs", "root.readonly", ro, "true or false");
      return 0;
    }
  if (!og_json_is_true (ro)
      && og_rule_change (ctx, p->rootfs.action, d, "rootfs", "root.readonly", og_json_to_text (ro), og_xstrdup ("true"),
                         "the root filesystem must be read-only"))
    og_json_set (root, "readonly", og_json_new_bool (true));
  for (char **t = p->rootfs.writable_tmpfs; t && *t; t++)
    add_tmpfs (ctx, spec, *t, d);
  return 0;
}
