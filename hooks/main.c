/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate-hook STAGE [OPTIONS]: the policy of the ocigate runtime applied
 * from an engine's hooks instead of in place of the runtime.  argv[1]
 * names the stage; each stage is one function (hook.h).
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
} stages[] = {
  { "precreate", hook_precreate },
  { "createRuntime", hook_verify_create_runtime },
  { "poststart", hook_verify_poststart },
};

static int
usage (FILE *f)
{
  fprintf (f, "usage: ocigate-hook STAGE [OPTIONS]\nstages:");
  for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
    fprintf (f, " %s", stages[i].name);
  fprintf (f, "\nsee ocigate-hook(8)\n");
  return f == stdout ? EXIT_SUCCESS : 2;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    return usage (stderr);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return usage (stdout);
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("ocigate-hook %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
    if (strcmp (argv[1], stages[i].name) == 0)
      return stages[i].run (argc - 1, argv + 1);
  fprintf (stderr, "ocigate-hook: unknown stage \"%s\"\n", argv[1]);
  return usage (stderr);
}
