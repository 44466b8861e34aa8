/* SPDX-License-Identifier: Apache-2.0 */
/* ocigate-hook <stage> [options]: the stage picks the entry point. */
#include <config.h>
#include <stdio.h>
#include <string.h>

#include "hook.h"

static const struct
{
  const char *stage;
  int (*run) (int argc, char **argv);
} stages[] = {
  { "precreate", hook_precreate },
  { "createRuntime", hook_verify_create_runtime },
  { "poststart", hook_verify_poststart },
};

int
main (int argc, char **argv)
{
  for (size_t i = 0; argc >= 2 && i < sizeof stages / sizeof stages[0]; i++)
    if (strcmp (argv[1], stages[i].stage) == 0)
      return stages[i].run (argc, argv);
  fprintf (stderr, "usage: ocigate-hook precreate|createRuntime|poststart [options]\n");
  return 2;
}
