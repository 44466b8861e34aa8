/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A user namespace the CRI made: Kubernetes' hostUsers: false.  containerd
 * 2 pins one per pod with the kubelet's mapping (the sandbox joins
 * <state>/io.containerd.grpc.v1.cri/sandboxes/<id>/pinned-namespaces/user,
 * the pod's other containers /proc/<sandbox pid>/ns/user) and makes the
 * pod's network namespace inside it.  Its range is the kubelet's, not
 * from ocigate's pool; it is accepted only as the kernel has it, read
 * from inside the namespace: one mapping for uids and one for gids, the
 * same range, what the config says, no host id below 65536 (host root and
 * the host's own users: the kubelet never hands those out) and none of
 * ocigate's pool (another container's ids).
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "userns.h"

#define OG_NSFS_MAGIC 0x6e736673
#define LOWEST_HOST_ID 65536

/* The user namespace at path, opened for real only if it is one. */
static int
open_userns (const char *path, struct og_error *err)
{
  og_cleanup_close int pfd = open (path, O_PATH | O_CLOEXEC);
  struct statfs sfs;
  char self[64];
  int fd;

  if (pfd < 0)
    return og_error_set (err, errno, "cannot open the user namespace %s", path);
  snprintf (self, sizeof self, "/proc/self/fd/%d", pfd);
  if (fstatfs (pfd, &sfs) < 0 || sfs.f_type != OG_NSFS_MAGIC || (fd = open (self, O_RDONLY | O_CLOEXEC)) < 0)
    return og_error_set (err, 0, "%s is not a user namespace", path);
  if (ioctl (fd, NS_GET_NSTYPE) != CLONE_NEWUSER)
    {
      close (fd);
      return og_error_set (err, 0, "%s is not a user namespace", path);
    }
  return fd;
}

/* Is the host's user namespace the parent of the one open at fd? */
static bool
child_of_host (int fd)
{
  og_cleanup_close int parent = ioctl (fd, NS_GET_PARENT);
  struct stat a, b;

  return parent >= 0 && fstat (parent, &a) == 0 && stat ("/proc/self/ns/user", &b) == 0 && og_same_file (&a, &b);
}

/* In a child that joined the namespace: its own uid_map and gid_map, which
 * show the host's ids (the parent's), to out. */
static void
maps_child (int fd, int out)
{
  static const char *const maps[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
  char buf[512];

  if (setns (fd, CLONE_NEWUSER) < 0)
    _exit (1);
  for (size_t i = 0; i < 2; i++)
    {
      og_cleanup_close int m = open (maps[i], O_RDONLY | O_CLOEXEC);
      ssize_t n = m < 0 ? -1 : read (m, buf, sizeof buf - 1);
      if (n <= 0 || og_write_all (out, buf, (size_t)n) < 0 || og_write_all (out, "|", 1) < 0)
        _exit (1);
    }
  _exit (0);
}

static int
read_maps (int fd, char *buf, size_t len, struct og_error *err)
{
  int p[2], status;
  size_t got = 0;
  ssize_t n;
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return og_error_set (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return og_error_set (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (p[0]);
      maps_child (fd, p[1]);
    }
  close (p[1]);
  while (got < len - 1 && ((n = read (p[0], buf + got, len - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
    got += n > 0 ? (size_t)n : 0;
  buf[got] = '\0';
  close (p[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return og_error_set (err, 0, "cannot read the mapping of the user namespace from inside it");
  return 0;
}

/* One line "0 HOST SIZE" and nothing else. */
static bool
one_mapping (const char *s, const char *end, struct og_userns_range *r)
{
  int64_t c;
  int used = 0;

  return sscanf (s, " %" SCNd64 " %" SCNd64 " %" SCNd64 "\n%n", &c, &r->host_start, &r->size, &used) == 3 && c == 0
         && s + used == end && r->size > 0;
}

static int
check_range (const struct og_userns_range *r, const struct og_policy *p, const char *path, struct og_error *err)
{
  int64_t end = r->host_start + r->size, pool_end = p->userns.pool_start + p->userns.pool_size;

  if (r->host_start < LOWEST_HOST_ID)
    return og_error_set (err, 0,
                         "the user namespace %s maps container ids to host ids from %" PRId64
                         ": host ids below %d are host root's and the host's own users",
                         path, r->host_start, LOWEST_HOST_ID);
  if (r->host_start < pool_end && p->userns.pool_start < end)
    return og_error_set (err, 0,
                         "the user namespace %s maps to host ids %" PRId64 "-%" PRId64
                         ", which overlap ocigate's pool %" PRId64 "-%" PRId64
                         " (other containers' ids): give the kubelet and ocigate disjoint ranges",
                         path, r->host_start, end - 1, p->userns.pool_start, pool_end - 1);
  return 0;
}

int
ocigate_userns_engine_range (const char *path, const struct og_userns_range *config, const struct og_policy *p,
                             struct og_userns_range *r, struct og_error *err)
{
  og_cleanup_close int fd = open_userns (path, err);
  char buf[1100], *gid;
  struct og_userns_range g;

  if (fd < 0)
    return -1;
  if (!child_of_host (fd))
    return og_error_set (err, 0, "the user namespace %s is not a child of the host's", path);
  if (read_maps (fd, buf, sizeof buf, err) < 0)
    return og_error_wrap (err, "user namespace %s", path);
  gid = strchr (buf, '|');
  if (gid == NULL || !one_mapping (buf, gid, r) || !one_mapping (gid + 1, buf + strlen (buf) - 1, &g)
      || g.host_start != r->host_start || g.size != r->size)
    return og_error_set (err, 0, "the user namespace %s does not map uids and gids to one and the same range", path);
  if (config == NULL || config->host_start != r->host_start || config->size != r->size)
    return og_error_set (err, 0, "the user namespace %s maps to host ids from %" PRId64 ", not what the config says",
                         path, r->host_start);
  return check_range (r, p, path, err);
}
