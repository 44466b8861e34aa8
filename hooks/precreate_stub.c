/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the precreate stage is merged: it fails, so a hooks.d
 * entry naming it never passes a config through unenforced. */
#include <config.h>
#include <stdio.h>

#include "hook.h"

int
hook_precreate (int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf (stderr, "ocigate-hook: precreate: not built into this ocigate-hook\n");
  return 1;
}
