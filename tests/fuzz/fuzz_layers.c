/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: a policy layer (policy.d/NAME.json) of arbitrary bytes
 * merged onto a fixed base (og_layers_merge).
 *
 * Must never crash or leak (ASan/LSan/UBSan).  A refused layer has a message
 * that names it.  An accepted one is no looser than the base where the base
 * does not allow it (the base lists only "lsm" as overridable): capabilities
 * a subset, mounts.deny_trees a superset, the memory maximum no larger,
 * privileged still denied, the rootfs still read-only, mode still enforce,
 * the user namespace still at least if-possible.  The merged JSON loads on
 * its own to the same compiled policy.  The same bytes as a workload
 * profile's policy (og_profiles_load) are refused naming the profile, or
 * compile to a profile no looser than the base by the same measures,
 * shown (ocigatectl show --effective) with its selector, policy and
 * sources, and come back from the compiled image (og_policy_image_write)
 * as the same bytes with the same profile.
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "schema.h"

static const char base_text[]
    = "{\"version\":1,\"overridable\":[\"lsm\"],"
      "\"no_new_privileges\":{\"action\":\"enforce\"},"
      "\"capabilities\":{\"allow\":[\"CAP_CHOWN\",\"CAP_KILL\"]},"
      "\"rootfs\":{\"readonly\":true},"
      "\"resources\":{\"memory\":{\"default\":\"512M\",\"max\":\"1G\"}},"
      "\"mounts\":{\"deny_trees\":[\"/etc\"],\"allow_sources\":[\"/srv/*\"]},"
      "\"hooks\":{\"allow\":[]},\"privileged\":{\"action\":\"deny\"},"
      "\"namespaces\":{\"require\":[\"pid\"]},\"devices\":{\"allow\":[]},\"sysctls\":{\"allow\":[]},"
      "\"seccomp\":{\"deny_syscalls\":[\"ptrace\"]},\"paths\":{\"masked\":[]},\"process\":{},"
      "\"env\":{\"action\":\"audit\"},\"lsm\":{\"action\":\"audit\"},"
      "\"user_namespace\":{\"mode\":\"if-possible\"}}";

static void
violation (const char *what)
{
  fprintf (stderr, "fuzz_layers: invariant violated: %s\n", what);
  abort ();
}

static void
check_tighter (const struct og_policy *base, const struct og_policy *p)
{
  for (char **c = p->caps.allow; c && *c; c++)
    if (!og_strv_contains (base->caps.allow, *c))
      violation ("a capability the base does not allow");
  for (char **t = base->mounts.deny_trees; t && *t; t++)
    if (!og_strv_contains (p->mounts.deny_trees, *t))
      violation ("a denied tree dropped");
  if (!p->resources.memory.has_max || p->resources.memory.max > base->resources.memory.max)
    violation ("the memory maximum raised");
  if (p->privileged.action != OG_ACTION_DENY || !p->rootfs.readonly || p->audit_only)
    violation ("privileged, the read-only rootfs or the mode loosened");
  if (p->userns.mode == OG_USERNS_OFF)
    violation ("the user namespace turned off");
}

/* The merged JSON, loaded alone, compiles to the same image. */
static void
check_effective (const struct og_policy *p, const struct og_json *effective)
{
  og_cleanup_free char *text = NULL, *a = NULL, *b = NULL;
  og_cleanup_policy struct og_policy *q = NULL;
  struct og_error err = { 0 };
  size_t len, alen, blen;

  if (og_json_write (effective, false, &text, &len, &err) < 0 || og_policy_parse (text, len, "base.json", &q, &err) < 0)
    violation ("the merged policy does not load on its own");
  memcpy (q->digest, p->digest, sizeof q->digest);
  if (og_policy_image_write (p, &a, &alen) < 0 || og_policy_image_write (q, &b, &blen) < 0 || alen != blen
      || memcmp (a, b, alen) != 0)
    violation ("the merged policy loads to another policy");
}

/* The input as the policy of profile "fuzz" of the base. */
/* A policy with its profile, through the compiled image: read back, the
 * same bytes and the same profile. */
static void
profile_through_image (const struct og_policy *p)
{
  og_cleanup_policy struct og_policy *q = NULL;
  og_cleanup_free char *img = NULL, *img2 = NULL;
  struct og_error err = { 0 };
  size_t len = 0, len2 = 0;

  if (og_policy_image_write (p, &img, &len) < 0)
    violation ("og_policy_image_write failed on a policy with a profile");
  if (og_policy_image_read (img, len, &q, &err) < 0)
    violation ("og_policy_image_read refuses a fresh image with a profile");
  if (q->nprofiles != 1 || strcmp (q->profiles[0].name, "fuzz") != 0 || q->profiles[0].policy == NULL)
    violation ("the profile did not come back from the image");
  if (og_policy_image_write (q, &img2, &len2) < 0 || len2 != len || memcmp (img, img2, len) != 0)
    violation ("the image of the read-back policy with a profile differs");
}

static void
check_profile (const char *buf, size_t size, const struct og_json *root)
{
  const struct og_json_opts opts = { .max_size = OG_POLICY_MAX_SIZE, .max_depth = 15, .allow_comments = true };
  og_cleanup_json struct og_json *policy = NULL, *profiles = NULL, *sources = og_json_new (OG_JSON_OBJECT);
  og_cleanup_json struct og_json *shown = og_json_new (OG_JSON_OBJECT);
  og_cleanup_policy struct og_policy *base = NULL, *p = NULL;
  struct og_json *one = og_json_new (OG_JSON_OBJECT), *select = og_json_new (OG_JSON_OBJECT);
  struct og_error err = { 0 };

  if (og_json_parse (buf, size, &opts, &policy, &err) < 0)
    {
      og_error_clear (&err);
      return;
    }
  if (og_policy_parse (base_text, sizeof base_text - 1, "base.json", &base, &err) < 0
      || og_policy_parse (base_text, sizeof base_text - 1, "base.json", &p, &err) < 0)
    violation ("the base does not load");
  og_json_set (select, "engine", og_json_new_string ("cri"));
  og_json_set (one, "select", select);
  og_json_set (one, "policy", og_steal_pointer (&policy));
  profiles = og_json_new (OG_JSON_OBJECT);
  og_json_set (profiles, "fuzz", one);
  if (og_profiles_load (p, profiles, root, sources, shown, &err) < 0)
    {
      if (err.msg == NULL || strstr (err.msg, "profile") == NULL || strstr (err.msg, "fuzz") == NULL)
        violation ("a refused profile without a message naming it");
      og_error_clear (&err);
      return;
    }
  if (p->nprofiles != 1)
    violation ("an accepted profile missing");
  check_tighter (base, p->profiles[0].policy);
  {
    const struct og_json *f = og_json_get (shown, "fuzz");
    if (f == NULL || og_json_get (f, "select") == NULL || og_json_get (f, "policy") == NULL
        || og_json_get (f, "sources") == NULL)
      violation ("an accepted profile not shown whole");
  }
  profile_through_image (p);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const struct og_json_opts opts = { .max_size = OG_POLICY_MAX_SIZE, .max_depth = 16, .allow_comments = true };
  static char name[] = "policy.d/10-fuzz.json";
  struct og_layer layer = { .path = name, .fd = -1 };
  const struct og_layers ls = { .v = &layer, .n = 1 };
  og_cleanup_json struct og_json *root = NULL, *effective = NULL, *sources = NULL;
  og_cleanup_policy struct og_policy *base = NULL, *p = NULL;
  og_cleanup_free char *buf = og_xmalloc (size + 1);
  char *bufs[] = { buf, NULL };
  size_t lens[] = { size, 0 };
  struct og_error err = { 0 };

  memcpy (buf, data, size);
  buf[size] = '\0';
  if (og_json_parse (base_text, sizeof base_text - 1, &opts, &root, &err) < 0
      || og_policy_parse (base_text, sizeof base_text - 1, "base.json", &base, &err) < 0)
    violation ("the base does not load");
  if (og_layers_merge (root, "base.json", base->digest, &ls, bufs, lens, &p, &effective, &sources, &err) < 0)
    {
      if (err.msg == NULL || strstr (err.msg, name) == NULL)
        violation ("a refused layer without a message naming it");
      if (p != NULL)
        violation ("a refused layer with a policy");
      og_error_clear (&err);
      return 0;
    }
  check_tighter (base, p);
  check_effective (p, effective);
  check_profile (buf, size, root);
  return 0;
}
