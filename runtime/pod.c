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
 * So the sandbox gets the pod's user namespace and a network namespace
 * that user namespace owns, with CNI's interfaces moved in (pod_net.c);
 * the pod's other containers join both and share the sandbox's range
 * (userns.c).  A container of a pod whose sandbox has no user namespace
 * of ocigate's (it ran without one, or before this) cannot get one: it
 * runs without only as the policy's mode allows ("if-possible", recorded
 * loudly in the audit); "required" refuses it.
 */
#include <config.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "pod.h"

#define POD_NSFS_MAGIC 0x6e736673

const char *
ocigate_pod_joined_netns (const struct og_json *spec)
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

int
ocigate_pod_netns_open (const char *path)
{
  og_cleanup_close int pfd = open (path, O_PATH | O_CLOEXEC);
  struct stat st;
  char self[64];
  int fd;

  if (pfd < 0)
    return -1;
  snprintf (self, sizeof self, "/proc/self/fd/%d", pfd);
  /* O_PATH first: only an nsfs file is opened for real (a FIFO would block) */
  if (fstat (pfd, &st) < 0)
    return -1;
  if (!S_ISREG (st.st_mode))
    {
      errno = EINVAL; /* not a namespace file */
      return -1;
    }
  if ((fd = open (self, O_RDONLY | O_CLOEXEC)) < 0)
    return -1;
  if (ioctl (fd, NS_GET_NSTYPE) != CLONE_NEWNET)
    {
      close (fd);
      errno = EINVAL;
      return -1;
    }
  return fd;
}

/* Is the user namespace that owns the namespace open at fd the one
 * `want` (stat) describes?  (false when unknown) */
static bool
owner_is (int fd, const struct stat *want)
{
  og_cleanup_close int ufd = fd < 0 ? -1 : ioctl (fd, NS_GET_USERNS);
  struct stat owner;

  return ufd >= 0 && fstat (ufd, &owner) == 0 && og_same_file (&owner, want);
}

/* Unknown counts as the host's: a user namespace would fail the same way. */
bool
ocigate_pod_netns_fd_host_owned (int fd)
{
  og_cleanup_close int ufd = fd < 0 ? -1 : ioctl (fd, NS_GET_USERNS);
  struct stat owner, host;

  if (ufd < 0 || fstat (ufd, &owner) < 0 || stat ("/proc/self/ns/user", &host) < 0)
    return true;
  return og_same_file (&owner, &host);
}

bool
ocigate_pod_netns_host_owned (const char *path)
{
  og_cleanup_close int fd = ocigate_pod_netns_open (path);

  return ocigate_pod_netns_fd_host_owned (fd);
}

char *
ocigate_pod_netns_unmappable (const struct og_engine_facts *f, const struct og_json *spec)
{
  const char *net;

  if (!f->cri || f->cri_sandbox || (net = ocigate_pod_joined_netns (spec)) == NULL
      || !ocigate_pod_netns_host_owned (net))
    return NULL;
  return og_xasprintf ("the pod's network namespace %s belongs to the host's user namespace (its sandbox %s runs "
                       "without a user namespace of ocigate's): runc cannot mount sysfs, set the pod's network "
                       "sysctls or exec into the container from a user namespace of its own",
                       net, f->sandbox_id ? f->sandbox_id : "?");
}

const char *
ocigate_pod_netns_is_hosts (int fd)
{
  static const char *const hosts[] = { "/proc/1/ns/net", "/proc/self/ns/net" };
  static const char *const whose[] = { "pid 1's", "the runtime's own" };
  struct stat at, host;

  if (fstat (fd, &at) < 0)
    return "unknown"; /* never moved from */
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
    if (stat (hosts[i], &host) == 0 && og_same_file (&at, &host))
      return whose[i];
  return NULL;
}

bool
ocigate_pod_netns_owned_by (const char *path, int userns)
{
  og_cleanup_close int fd = ocigate_pod_netns_open (path);
  struct stat want;

  return userns > 0 && fstat (userns, &want) == 0 && owner_is (fd, &want);
}

/* A process whose network namespace is the one open at fd (0: none seen).
 * Threads that entered it alone (setns) are not seen: a namespace CNI has
 * just made has neither. */
static long
netns_holder (int fd)
{
  og_cleanup_dir DIR *d = opendir ("/proc");
  struct stat ns, st;
  struct dirent *e;
  char path[64];

  if (d == NULL || fstat (fd, &ns) < 0)
    return 0;
  while ((e = readdir (d)) != NULL)
    {
      if (!isdigit ((unsigned char)e->d_name[0]))
        continue;
      snprintf (path, sizeof path, "/proc/%.20s/ns/net", e->d_name);
      if (stat (path, &st) == 0 && og_same_file (&st, &ns))
        return strtol (e->d_name, NULL, 10);
    }
  return 0;
}

char *
ocigate_pod_netns_not_cni (const char *path, int fd)
{
  og_cleanup_close int at = open (path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat a, b;
  struct statfs sfs;
  long holder;

  /* what containerd keeps: the namespace bind-mounted at the path itself */
  if (at < 0 || fstatfs (at, &sfs) < 0 || sfs.f_type != POD_NSFS_MAGIC || fstat (at, &a) < 0 || fstat (fd, &b) < 0
      || !og_same_file (&a, &b))
    return og_xasprintf ("%s is not a network namespace mounted at that path (a symbolic link, a /proc/<pid>/ns/net "
                         "link or another file): not the one CNI made for the pod",
                         path);
  holder = netns_holder (fd);
  if (holder)
    return og_xasprintf ("the network namespace %s is in use by process %ld: not one CNI has just made for the pod",
                         path, holder);
  return NULL;
}
