/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pod's network namespace is made by CNI in the host's user namespace
 * before the sandbox starts, and every container of the pod joins it.  A
 * container in a new user namespace cannot do what runc then does there,
 * measured through the CRI: mount sysfs ("operation not permitted": only
 * the network namespace's owner may; runc 1.1.5 and 1.3.6), write the
 * net.ipv4.ping_group_range sysctl containerd 2.1 sets ("permission
 * denied", runc 1.3.6); and with those replaced, `runc exec` (probes,
 * kubectl exec) failed "error executing setns process" (runc 1.1.5): runc
 * joins the user namespace first and then cannot join namespaces the
 * host's (or the sandbox's) user namespace owns.
 * Such a container runs without a user namespace only as the policy's mode
 * allows for a host that cannot set one up ("if-possible", recorded loudly
 * in the audit); "required" refuses it.  The CRI's own user namespaces
 * (Kubernetes hostUsers: false; containerd 2 makes the pod's network
 * namespace inside the pod's) are the way to a mapped pod.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "pod.h"

static const char *
joined_netns (const struct og_json *spec)
{
  struct og_json *ns = og_json_path (spec, "linux", "namespaces", NULL);

  for (size_t i = 0; ns && ns->type == OG_JSON_ARRAY && i < ns->n; i++)
    {
      struct og_json *t = og_json_get_set (ns->vals[i], "type"), *path = og_json_get_set (ns->vals[i], "path");
      if (og_json_is_string (t) && strcmp (t->text, "network") == 0)
        return og_json_is_string (path) && path->len > 0 ? path->text : NULL;
    }
  return NULL;
}

/* Is the namespace at path owned by our own (the host's) user namespace?
 * Unknown counts as yes: the user namespace would fail the same way. */
static bool
owned_by_host (const char *path)
{
  og_cleanup_close int pfd = open (path, O_PATH | O_CLOEXEC), fd = -1, ufd = -1;
  struct stat owner, host;
  char self[64];

  if (pfd < 0)
    return true;
  snprintf (self, sizeof self, "/proc/self/fd/%d", pfd);
  /* O_PATH first: only an nsfs file is opened for real (a FIFO would block) */
  if (fstat (pfd, &owner) < 0 || !S_ISREG (owner.st_mode) || (fd = open (self, O_RDONLY | O_CLOEXEC)) < 0
      || ioctl (fd, NS_GET_NSTYPE) != CLONE_NEWNET)
    return true;
  ufd = ioctl (fd, NS_GET_USERNS);
  if (ufd < 0 || fstat (ufd, &owner) < 0 || stat ("/proc/self/ns/user", &host) < 0)
    return true;
  return owner.st_dev == host.st_dev && owner.st_ino == host.st_ino;
}

char *
ocigate_pod_netns_unmappable (const struct og_engine_facts *f, const struct og_json *spec)
{
  const char *net;

  if (!f->cri || (net = joined_netns (spec)) == NULL || !owned_by_host (net))
    return NULL;
  return og_xasprintf ("the pod's network namespace %s belongs to the host's user namespace (made by CNI): runc "
                       "cannot mount sysfs, set the pod's network sysctls or exec into the container from a user "
                       "namespace of its own",
                       net);
}
