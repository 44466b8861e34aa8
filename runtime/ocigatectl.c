/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigatectl: the admin's view of a policy.
 *   check --policy P [--bundle DIR] [--id ID] [--output FILE] CONFIG.json
 *   validate POLICY
 * Exit status of check: 0 allowed, 1 refused, 2 error.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "install.h"
#include "policy_cache.h"
#include "userns.h"

enum
{
  EXIT_ALLOWED = 0,
  EXIT_REFUSED = 1,
  EXIT_ERROR = 2,
};

static int
usage (FILE *f, int status)
{
  fprintf (f, "usage: ocigatectl check [--policy FILE] [--bundle DIR] [--id ID] [--output FILE] CONFIG.json\n"
              "       ocigatectl validate [FILE]\n"
              "       ocigatectl install-as-runc [--runc PATH] [--ocigate PATH]\n"
              "       ocigatectl gc [--state-dir DIR]\n"
              "       ocigatectl uninstall-as-runc [--runc PATH] [--ocigate PATH]\n"
              "       ocigatectl --version\n");
  return status;
}

static int
fail (const char *msg)
{
  fprintf (stderr, "ocigatectl: %s\n", msg);
  return EXIT_ERROR;
}

static int
read_file (const char *path, char **out, size_t *len, struct og_error *err)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  og_cleanup_free char *buf = NULL;
  size_t off = 0, cap = 0;

  if (fd < 0)
    return og_error_set (err, errno, "cannot open %s", path);
  for (;;)
    {
      ssize_t r;
      if (off == cap)
        {
          if (cap > OG_SPEC_MAX_SIZE)
            return og_error_set (err, EFBIG, "%s is larger than %u bytes", path, OG_SPEC_MAX_SIZE);
          cap = cap ? cap * 2 : 65536;
          buf = og_xrealloc (buf, cap + 1);
        }
      r = read (fd, buf + off, cap - off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return og_error_set (err, errno, "cannot read %s", path);
      if (r == 0)
        break;
      off += (size_t)r;
    }
  buf[off] = '\0';
  *len = off;
  *out = og_steal_pointer (&buf);
  return 0;
}

static void
print_decisions (const struct og_decisions *d)
{
  for (size_t i = 0; i < d->n; i++)
    {
      const struct og_decision *e = &d->v[i];
      printf ("%-7s %-18s %s: %s\n", og_decision_kind_name (e->kind), e->rule, e->path, e->reason);
      if (e->before || e->after)
        printf ("        before: %s\n        after:  %s\n", e->before ? e->before : "(absent)",
                e->after ? e->after : "(unchanged)");
    }
}

static int
cmd_check (int argc, char **argv)
{
  static const struct option opts[] = {
    { "policy", required_argument, NULL, 'p' }, { "bundle", required_argument, NULL, 'b' },
    { "id", required_argument, NULL, 'i' },     { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
  };
  const char *policy_path = OG_POLICY_DEFAULT, *bundle = NULL, *id = NULL, *output = NULL;
  og_cleanup_policy struct og_policy *policy = NULL;
  og_cleanup_json struct og_json *spec = NULL;
  og_cleanup_free char *data = NULL, *out = NULL, *cfg_copy = NULL;
  struct og_decisions d = { 0 };
  struct og_error err = { 0 };
  size_t len = 0, out_len = 0;
  int c, status;

  while ((c = getopt_long (argc, argv, "p:b:i:o:h", opts, NULL)) != -1)
    switch (c)
      {
        case 'p':
          policy_path = optarg;
          break;
        case 'b':
          bundle = optarg;
          break;
        case 'i':
          id = optarg;
          break;
        case 'o':
          output = optarg;
          break;
        case 'h':
          return usage (stdout, EXIT_ALLOWED);
        default:
          return usage (stderr, EXIT_ERROR);
      }
  if (optind + 1 != argc)
    return usage (stderr, EXIT_ERROR);
  if (bundle == NULL)
    {
      cfg_copy = og_xstrdup (argv[optind]);
      bundle = dirname (cfg_copy);
    }
  if (og_policy_load (policy_path, &policy, &err) < 0 || read_file (argv[optind], &data, &len, &err) < 0
      || og_spec_parse (data, len, &spec, &err) < 0)
    {
      status = fail (err.msg);
      og_error_clear (&err);
      return status;
    }
  {
    struct og_enforce_ctx ctx = { .policy = policy, .bundle = bundle, .container_id = id };
    if (og_enforce_config (&ctx, spec, &d, &err) < 0)
      {
        status = fail (err.msg);
        og_error_clear (&err);
        og_decisions_clear (&d);
        return status;
      }
  }
  print_decisions (&d);
  status = og_decisions_refused (&d) ? EXIT_REFUSED : EXIT_ALLOWED;
  printf ("%s\n", status == EXIT_REFUSED ? "refused" : "allowed");
  og_decisions_clear (&d);
  if (output && status == EXIT_ALLOWED)
    {
      FILE *f;
      if (og_json_write (spec, true, &out, &out_len, &err) < 0)
        {
          status = fail (err.msg);
          og_error_clear (&err);
          return status;
        }
      f = fopen (output, "we");
      if (f == NULL || fwrite (out, 1, out_len, f) != out_len || fclose (f) != 0)
        return fail ("cannot write the output file");
    }
  return status;
}

static int
cmd_validate (int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : OG_POLICY_DEFAULT;
  og_cleanup_policy struct og_policy *policy = NULL;
  struct og_error err = { 0 };
  int status;

  if (argc > 2)
    return usage (stderr, EXIT_ERROR);
  if (og_policy_load (path, &policy, &err) < 0)
    {
      status = fail (err.msg);
      og_error_clear (&err);
      return status;
    }
  if (policy->seccomp.default_profile)
    {
      og_cleanup_json struct og_json *prof = NULL;
      if (og_seccomp_load_profile (policy->seccomp.default_profile, &prof, &err) < 0)
        {
          status = fail (err.msg);
          og_error_clear (&err);
          return status;
        }
    }
  printf ("%s: valid (sha256 %s)\n", path, policy->digest);
  return EXIT_ALLOWED;
}

static int
cmd_runc_mode (int argc, char **argv, bool install)
{
  static const struct option opts[] = {
    { "runc", required_argument, NULL, 'r' },
    { "ocigate", required_argument, NULL, 'o' },
    { NULL, 0, NULL, 0 },
  };
  const char *runc = OG_DEFAULT_RUNTIME, *ocigate = OG_SBINDIR "/ocigate";
  struct og_error err = { 0 };
  int c, status;

  while ((c = getopt_long (argc, argv, "r:o:", opts, NULL)) != -1)
    switch (c)
      {
        case 'r':
          runc = optarg;
          break;
        case 'o':
          ocigate = optarg;
          break;
        default:
          return usage (stderr, EXIT_ERROR);
      }
  if (optind != argc || ocigate[0] != '/' || runc[0] != '/')
    return usage (stderr, EXIT_ERROR);
  if ((install ? ocigate_install_as_runc : ocigate_uninstall_as_runc) (runc, ocigate, &err) < 0)
    {
      status = fail (err.msg);
      og_error_clear (&err);
      return status;
    }
  printf (install ? "%s now runs ocigate; the real runtime is %s.real\n" : "%s restored\n", runc, runc);
  return EXIT_ALLOWED;
}

/* Release the id ranges and staged mounts of containers whose delete never
 * came (a killed create, a daemon restart); drop the compiled policies of
 * files that are gone or changed. */
static int
cmd_gc (int argc, char **argv)
{
  static const struct option opts[] = { { "state-dir", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
  const char *state_dir = OG_STATE_DIR;
  struct og_error err = { 0 };
  int c, n;

  while ((c = getopt_long (argc, argv, "s:", opts, NULL)) != -1)
    if (c == 's')
      state_dir = optarg;
    else
      return usage (stderr, EXIT_ERROR);
  if (optind != argc)
    return usage (stderr, EXIT_ERROR);
  n = ocigate_userns_gc (state_dir, true, &err);
  if (n >= 0)
    {
      int staged = ocigate_stage_gc (state_dir, true, &err);
      n = staged < 0 ? -1 : n + staged;
    }
  if (n < 0)
    {
      int status = fail (err.msg);
      og_error_clear (&err);
      return status;
    }
  printf ("gc: %d released\n", n);
  n = ocigate_policy_cache_gc (state_dir, true);
  if (n > 0)
    printf ("gc: %d stale policy cache entries removed\n", n);
  return EXIT_ALLOWED;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    return usage (stderr, EXIT_ERROR);
  if (strcmp (argv[1], "--version") == 0)
    {
      /* the compiled-in paths, for admins and scripts */
      printf ("ocigatectl %s\npolicy: %s\nruntime: %s\nstate: %s\naudit: %s\n", PACKAGE_VERSION, OG_POLICY_DEFAULT,
              OG_DEFAULT_RUNTIME, OG_STATE_DIR, OG_AUDIT_LOG_DEFAULT);
      return EXIT_ALLOWED;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return usage (stdout, EXIT_ALLOWED);
  if (strcmp (argv[1], "check") == 0)
    return cmd_check (argc - 1, argv + 1);
  if (strcmp (argv[1], "validate") == 0)
    return cmd_validate (argc - 1, argv + 1);
  if (strcmp (argv[1], "gc") == 0)
    return cmd_gc (argc - 1, argv + 1);
  if (strcmp (argv[1], "install-as-runc") == 0)
    return cmd_runc_mode (argc - 1, argv + 1, true);
  if (strcmp (argv[1], "uninstall-as-runc") == 0)
    return cmd_runc_mode (argc - 1, argv + 1, false);
  return usage (stderr, EXIT_ERROR);
}
