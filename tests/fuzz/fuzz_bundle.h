/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bundle directory of the fuzz harnesses: a directory with an empty
 * "rootfs" subdirectory, so "root": {"path": "rootfs"} and relative bind
 * sources resolve.  run.sh passes one in $OCIGATE_FUZZ_BUNDLE (created and
 * kept in BUILDDIR: libFuzzer often leaves through _exit, so a temporary
 * directory made here would not always be removed); without it a
 * temporary directory is made and removed at a normal exit.
 */
#ifndef OCIGATE_FUZZ_BUNDLE_H
#define OCIGATE_FUZZ_BUNDLE_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_bundle[PATH_MAX];
static char fuzz_rootfs[PATH_MAX + 8];

static void
fuzz_bundle_cleanup (void)
{
  rmdir (fuzz_rootfs);
  rmdir (fuzz_bundle);
}

static void
fuzz_bundle_setup (const char *harness)
{
  const char *given = getenv ("OCIGATE_FUZZ_BUNDLE");
  const char *tmp = getenv ("TMPDIR");

  if (given && given[0])
    {
      snprintf (fuzz_bundle, sizeof fuzz_bundle, "%s", given);
      if (mkdir (fuzz_bundle, 0755) < 0 && errno != EEXIST)
        goto fail;
    }
  else
    {
      snprintf (fuzz_bundle, sizeof fuzz_bundle, "%s/ocigate-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
      if (mkdtemp (fuzz_bundle) == NULL)
        goto fail;
      atexit (fuzz_bundle_cleanup);
    }
  snprintf (fuzz_rootfs, sizeof fuzz_rootfs, "%s/rootfs", fuzz_bundle);
  if (mkdir (fuzz_rootfs, 0755) < 0 && errno != EEXIST)
    goto fail;
  return;
fail:
  fprintf (stderr, "%s: cannot create the bundle directory %s: %s\n", harness, fuzz_bundle, strerror (errno));
  exit (2);
}

#endif
