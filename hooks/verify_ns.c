/* SPDX-License-Identifier: Apache-2.0 */
/* createRuntime: each namespace the config makes new is neither the
 * runtime's own (runc runs the hook in its namespaces, which a container
 * shares when the runtime skipped one) nor the host init's (/proc/1, when
 * this host lets us read it): a skipped namespace leaves the container
 * the host's network, pids or mounts. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "verify.h"

void
verify_check_namespaces (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r)
{
  for (size_t i = 0; i < e->n_new_ns; i++)
    {
      static const char *const refs[] = { "/proc/self/ns/", "/proc/1/ns/" };
      char link[64];
      struct stat theirs;

      snprintf (link, sizeof link, "ns/%s", e->new_ns[i]);
      if (fstatat (p->dir, link, &theirs, 0) < 0)
        {
          verify_mismatch (r, "cannot read the %s namespace of process %d (%s)", e->new_ns[i], (int)p->pid,
                           strerror (errno));
          continue;
        }
      for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++)
        {
          char host[64];
          struct stat ours;
          snprintf (host, sizeof host, "%s%s", refs[k], e->new_ns[i]);
          /* pid 1 may be closed to us; the runtime's own is always readable */
          if (stat (host, &ours) == 0 && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
            {
              verify_mismatch (r, "the %s namespace is the host's, the config asks for a new one", e->new_ns[i]);
              break;
            }
        }
    }
}
