/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "ocigate.h"

/* A runtime path that leads back to ocigate (a runc symlink to us, a
 * mistaken --ocigate-runtime) would loop forever. */
static bool
is_self (const char *runtime)
{
  return og_same_file_path ("/proc/self/exe", runtime);
}

int
ocigate_exec_runtime (const char *runtime, struct ocigate_cmdline *cl, struct og_error *err)
{
  if (is_self (runtime))
    return og_error_set (err, 0, "the runtime %s is ocigate itself; set --ocigate-runtime to the real runc", runtime);
  cl->argv[0] = (char *)runtime;
  execv (runtime, cl->argv);
  return og_error_set (err, errno, "cannot execute the runtime %s", runtime);
}
