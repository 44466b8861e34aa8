/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: og_policy_parse on arbitrary bytes.
 *
 * Must never crash or leak (ASan/LSan/UBSan).  When a policy is accepted:
 *   - every capability on the allowlist starts with "CAP_";
 *   - every resource limit has default <= max when both are set, and no
 *     negative values;
 *   - every path list that the loader requires to be absolute is absolute;
 *   - the digest is 64 hex characters.
 * An accepted policy is then applied to a small fixed config (bundle with a
 * "rootfs" dir, fuzz_bundle.h) to exercise the rules with odd
 * policies: og_enforce_config may fail only with a message (fail closed,
 * e.g. an unreadable seccomp profile), and the enforced tree must still be
 * accepted by og_spec_parse once written.
 * Every accepted policy is also compiled (og_policy_image_write) and read
 * back: the image of the copy must be the same bytes, and the copy is what
 * the rules are applied with.  The input itself is also fed to
 * og_policy_image_read, which must refuse it (it cannot carry this build's
 * fingerprint and checksum by chance) without crashing.
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/decision.h"
#include "ocigate/enforce.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

#include "fuzz_bundle.h"

/* The policy's name is its path: files it names (the seccomp profile) are
 * found next to it, so name it as if it sat beside the shipped profiles. */
static char policy_name[4096] = "fuzz.json";

#ifndef FUZZ_POLICY_PATH
#define FUZZ_POLICY_PATH "policy/profiles/default.json"
#endif

static const char config[]
    = "{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
      "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"],\"effective\":[\"CAP_CHOWN\"]},"
      "\"noNewPrivileges\":false},\"root\":{\"path\":\"rootfs\"},"
      "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
      "{\"destination\":\"/tmp/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
      "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"rootfs\",\"options\":[\"rbind\",\"suid\"]}],"
      "\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\"}]},"
      "\"linux\":{\"resources\":{\"memory\":{\"limit\":-1,\"swap\":0},\"cpu\":{\"quota\":200000,\"period\":100000},"
      "\"pids\":{\"limit\":0}}}}";

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  fuzz_bundle_setup ("fuzz_policy");
  {
    const char *slash = strrchr (FUZZ_POLICY_PATH, '/');
    if (slash)
      snprintf (policy_name, sizeof policy_name, "%.*s/fuzz.json", (int)(slash - FUZZ_POLICY_PATH), FUZZ_POLICY_PATH);
  }
  return 0;
}

static void __attribute__ ((noreturn)) violation (const char *what)
{
  fprintf (stderr, "fuzz_policy: invariant violated: %s\n", what);
  abort ();
}

static void
check_limit (const struct og_limit *l, const char *what)
{
  if ((l->has_default && l->def < 0) || (l->has_max && l->max < 0))
    violation (what);
  if (l->has_default && l->has_max && l->def > l->max)
    violation (what);
}

static void
check_abs (char **v, const char *what)
{
  for (; v && *v; v++)
    if ((*v)[0] != '/')
      violation (what);
}

static void
check_policy (const struct og_policy *p)
{
  if (p->caps.allow == NULL)
    violation ("accepted policy has no capability allowlist");
  for (char **c = p->caps.allow; *c; c++)
    if (strncmp (*c, "CAP_", 4) != 0)
      violation ("capability allowlist entry without CAP_");
  check_limit (&p->resources.memory, "memory limit");
  check_limit (&p->resources.swap, "swap limit");
  check_limit (&p->resources.cpu, "cpu limit");
  check_limit (&p->resources.pids, "pids limit");
  check_abs (p->rootfs.writable_tmpfs, "rootfs.writable_tmpfs not absolute");
  check_abs (p->mounts.deny_sockets, "mounts.deny_sockets not absolute");
  check_abs (p->mounts.deny_trees, "mounts.deny_trees not absolute");
  check_abs (p->mounts.allow_sources, "mounts.allow_sources not absolute");
  check_abs (p->mounts.allow_roots, "mounts.allow_roots not absolute");
  check_abs (p->hooks.allow, "hooks.allow not absolute");
  if (p->audit_log && p->audit_log[0] != '/')
    violation ("audit.log not absolute");
  if (strlen (p->digest) != 64)
    violation ("digest is not 64 characters");
  for (int i = 0; i < 64; i++)
    if (!isxdigit ((unsigned char)p->digest[i]))
      violation ("digest is not hex");
}

/* The policy as it comes back from its compiled image. */
static struct og_policy *
through_image (const struct og_policy *p)
{
  struct og_error err = { 0 };
  struct og_policy *q = NULL;
  char *img = NULL, *img2 = NULL;
  size_t len = 0, len2 = 0;

  if (og_policy_image_write (p, &img, &len) < 0)
    violation ("og_policy_image_write failed");
  if (og_policy_image_read (img, len, &q, &err) < 0)
    violation ("og_policy_image_read refuses a fresh image");
  if (og_policy_image_write (q, &img2, &len2) < 0 || len2 != len || memcmp (img, img2, len) != 0)
    violation ("the image of the read-back policy differs");
  free (img);
  free (img2);
  return q;
}

static void
apply (struct og_policy *p)
{
  const struct og_enforce_ctx ctx = { .policy = p, .bundle = fuzz_bundle, .container_id = "fuzz" };
  struct og_error err = { 0 };
  struct og_json *spec = NULL, *back = NULL;
  struct og_decisions d = { 0 };
  char *out = NULL;
  size_t len = 0;

  /* Keep the filesystem scan small whatever the policy says. */
  if (p->mounts.scan_max_entries > 64)
    p->mounts.scan_max_entries = 64;
  if (og_spec_parse (config, sizeof config - 1, &spec, &err) < 0)
    {
      fprintf (stderr, "fuzz_policy: the built-in config does not parse: %s\n", err.msg);
      abort ();
    }
  /* An internal error (e.g. the policy names a seccomp profile that cannot
   * be read) is the fail-closed path: fine, as long as it says why. */
  if (og_enforce_config (&ctx, spec, &d, &err) < 0)
    {
      if (err.msg == NULL)
        violation ("og_enforce_config failed without an error message");
      og_json_free (spec);
      og_decisions_clear (&d);
      og_error_clear (&err);
      return;
    }
  if (og_json_write (spec, false, &out, &len, &err) < 0)
    violation ("og_json_write of the enforced tree failed");
  if (og_spec_parse (out, len, &back, &err) < 0)
    violation ("og_spec_parse refuses the enforced tree");
  free (out);
  og_json_free (back);
  og_json_free (spec);
  og_decisions_clear (&d);
  og_error_clear (&err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct og_error err = { 0 };
  struct og_policy *p = NULL;

  if (og_policy_parse ((const char *)data, size, policy_name, &p, &err) == 0)
    {
      if (p == NULL)
        violation ("og_policy_parse succeeded without a policy");
      struct og_policy *q;

      check_policy (p);
      q = through_image (p);
      og_policy_free (p);
      p = NULL;
      check_policy (q);
      apply (q);
      og_policy_free (q);
    }
  else
    {
      if (err.msg == NULL)
        violation ("og_policy_parse failed without an error message");
      if (p != NULL)
        violation ("og_policy_parse failed but set the output");
    }
  og_error_clear (&err);
  if (og_policy_image_read ((const char *)data, size, &p, &err) == 0)
    violation ("og_policy_image_read accepted the raw input");
  if (p != NULL || err.msg == NULL)
    violation ("og_policy_image_read failed without a message, or set the output");
  og_error_clear (&err);
  return 0;
}
