/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigatectl: the admin's view of a policy and of what it did.
 *   check [--policy P] [--verbose | --json] [--output FILE] CONFIG.json
 *                                 (runtime/ctl_check.c)
 *   audit [filters] [--summary] [-f] [--json]   (runtime/ctl_audit.c)
 *   validate [POLICY]
 *   show --effective [--policy P]     (runtime/ctl_show.c)
 *   explain [--policy P] CONFIG.json  (runtime/ctl_check.c)
 *   seccomp learn (--id ID [--root DIR] | --pid PID)   (runtime/ctl_seccomp.c)
 *   gc [--state-dir DIR]
 *   install-as-runc / uninstall-as-runc [--runc PATH] [--ocigate PATH]
 * Exit status: 0 allowed or done, 1 refused (check), 2 error.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ctl.h"
#include "install.h"
#include "policy_cache.h"
#include "userns.h"

enum
{
  EXIT_ALLOWED = CTL_EXIT_ALLOWED,
  EXIT_ERROR = CTL_EXIT_ERROR,
};

static int
usage (FILE *f, int status)
{
  fprintf (f, "usage: ocigatectl check [--policy FILE] [--bundle DIR] [--id ID] [--output FILE]\n"
              "                        [--verbose | --json] CONFIG.json\n"
              "       ocigatectl audit [--log FILE | --policy FILE] [--rotated] [--id ID] [--event E]\n"
              "                        [--rule R] [--action A] [--since T] [--until T]\n"
              "                        [--summary] [--verbose] [--json] [-f]\n"
              "       ocigatectl validate [FILE]\n"
              "       ocigatectl show --effective [--policy FILE]\n"
              "       ocigatectl explain [--policy FILE] [--bundle DIR] [--id ID] CONFIG.json\n"
              "       ocigatectl seccomp learn (--id ID [--root DIR] | --pid PID) [--timeout S] [--output FILE]\n"
              "       ocigatectl install-as-runc [--runc PATH] [--ocigate PATH]\n"
              "       ocigatectl gc [--state-dir DIR]\n"
              "       ocigatectl uninstall-as-runc [--runc PATH] [--ocigate PATH]\n"
              "       ocigatectl --version\n");
  return status;
}

static int
cmd_validate (int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : OG_POLICY_DEFAULT;
  og_cleanup_policy struct og_policy *policy = NULL;
  struct og_error err = { 0 };

  if (argc > 2)
    return usage (stderr, EXIT_ERROR);
  if (og_policy_load (path, &policy, &err) < 0)
    return ctl_fail (&err);
  if (og_policy_check_files (policy, &err) < 0)
    return ctl_fail (&err);
  /* valid, but not everything it allows can be had on this host */
  og_cleanup_strv char **warnings = og_policy_host_warnings (policy);
  for (char **w = warnings; w && *w; w++)
    fprintf (stderr, "ocigatectl: warning: %s\n", *w);
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
  int c;

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
    return ctl_fail (&err);
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
    return ctl_fail (&err);
  printf ("gc: %d released\n", n);
  n = ocigate_policy_cache_gc (state_dir, true);
  if (n > 0)
    printf ("gc: %d stale policy cache entries removed\n", n);
  return EXIT_ALLOWED;
}

static int
cmd_install (int argc, char **argv)
{
  return cmd_runc_mode (argc, argv, true);
}

static int
cmd_uninstall (int argc, char **argv)
{
  return cmd_runc_mode (argc, argv, false);
}

/* Each subcommand gets argv from its own name on. */
static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
} commands[] = {
  { "check", ctl_check },
  { "audit", ctl_audit },
  { "validate", cmd_validate },
  { "explain", ctl_explain },
  { "show", ctl_show },
  { "seccomp", ctl_seccomp },
  { "gc", cmd_gc },
  { "install-as-runc", cmd_install },
  { "uninstall-as-runc", cmd_uninstall },
};

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
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  return usage (stderr, EXIT_ERROR);
}
