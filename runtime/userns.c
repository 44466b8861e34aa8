/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User namespaces done so images still work: each container gets a host id
 * range from the policy pool, and its rootfs is presented through an
 * idmapped mount (open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount)
 * so files owned by host root appear owned by container root.  Engines keep
 * rootfs dirs under 0710 state dirs the mapped root could not traverse; the
 * staged mount lives in our own state dir instead.
 *
 * Bind sources are staged too, with user namespaces or without: each is
 * cloned from the descriptor the mounts rule judged, so runc mounts the
 * object that was checked, not whatever its path names later.
 *
 * State: <state>/lock (flock), <state>/userns/<key> one record per
 * container ("start size\nroot\nid\n"), <state>/stage/<key>/{rootfs,
 * binds/<index>, owner}.  <key> is root:<the container's root gid>, 0710:
 * the key is no secret (a hash of --root and the id), the directory is.
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocigate/sha256.h"
#include "ocigate/util.h"
#include "userns.h"

/* The new mount API (Linux 5.12 for idmapped mounts), spelled here: glibc
 * declares it in <sys/mount.h> only since 2.36, musl not at all, and
 * <linux/mount.h> clashes with glibc's <sys/mount.h>. */
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* struct mount_attr of mount_setattr(2) */
struct og_mount_attr
{
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static char *
key_of (const char *root, const char *id)
{
  og_cleanup_free char *both = og_xasprintf ("%s%c%s", root, '\0', id);
  char hex[65];

  /* root and id both matter: two runtimes may reuse an id */
  og_sha256_hex (both, strlen (root) + 1 + strlen (id), hex);
  hex[32] = '\0';
  return og_xstrdup (hex);
}

static void
set_paths (const char *state_dir, const char *root, const char *id, struct ocigate_userns *u)
{
  og_cleanup_free char *key = key_of (root, id);

  u->record = og_xasprintf ("%s/userns/%s", state_dir, key);
  u->stage_dir = og_xasprintf ("%s/stage/%s", state_dir, key);
  u->stage_root = og_xasprintf ("%s/rootfs", u->stage_dir);
}

static int
read_record (const char *path, int64_t *start, int64_t *size, char **root, char **id, pid_t *pid)
{
  char buf[8192];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  char *nl1, *nl2, *nl3;

  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  if (sscanf (buf, "%" SCNd64 " %" SCNd64, start, size) != 2 || (nl1 = strchr (buf, '\n')) == NULL
      || (nl2 = strchr (nl1 + 1, '\n')) == NULL || (nl3 = strchr (nl2 + 1, '\n')) == NULL)
    return -1;
  if (root)
    *root = og_xstrndup (nl1 + 1, (size_t)(nl2 - nl1 - 1));
  if (id)
    *id = og_xstrndup (nl2 + 1, (size_t)(nl3 - nl2 - 1));
  if (pid)
    *pid = (pid_t)atoi (nl3 + 1);
  return 0;
}

static int
write_record (const char *path, const struct og_userns_range *r, const char *root, const char *id, struct og_error *err)
{
  og_cleanup_free char *tmp = og_xasprintf ("%s.tmp-%d", path, (int)getpid ());
  /* the pid stays the same across the exec into runc: while it lives, the
   * create is in progress and gc leaves the record alone */
  og_cleanup_free char *text
      = og_xasprintf ("%" PRId64 " %" PRId64 "\n%s\n%s\n%d\n", r->host_start, r->size, root, id, (int)getpid ());
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0 || og_write_all (fd, text, strlen (text)) < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      unlink (tmp);
      return og_error_set (err, saved, "cannot write the user namespace record %s", path);
    }
  close (fd);
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return og_error_set (err, saved, "cannot write the user namespace record %s", path);
    }
  return 0;
}

/* Host starts of every recorded range. */
static int64_t *
used_starts (const char *dir, size_t *n)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  int64_t *v = NULL;

  *n = 0;
  if (d == NULL)
    return NULL;
  while ((e = readdir (d)) != NULL)
    {
      og_cleanup_free char *path = NULL;
      int64_t start, size;

      if (e->d_name[0] == '.' || strchr (e->d_name, '.'))
        continue;
      path = og_xasprintf ("%s/%s", dir, e->d_name);
      if (read_record (path, &start, &size, NULL, NULL, NULL) < 0)
        continue;
      v = og_xrealloc (v, (*n + 1) * sizeof *v);
      v[(*n)++] = start;
    }
  closedir (d);
  return v;
}

static int
lock_state (const char *state_dir, struct og_error *err)
{
  og_cleanup_free char *lock = og_xasprintf ("%s/lock", state_dir);
  int fd;

  if (og_mkdir_p (state_dir, 0711, 0711) < 0)
    return og_error_set (err, errno, "cannot create the state directory %s", state_dir);
  fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return og_error_set (err, errno, "cannot open %s", lock);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        close (fd);
        return og_error_set (err, errno, "cannot lock %s", lock);
      }
  return fd;
}

int
ocigate_userns_allocate (const char *state_dir, const struct og_policy *p, const char *root, const char *id,
                         struct ocigate_userns *u, struct og_error *err)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/userns", state_dir);
  og_cleanup_free int64_t *used = NULL;
  og_cleanup_close int lock = -1;
  int64_t slots = p->userns.pool_size / p->userns.range_size, start, size;
  size_t n;

  memset (u, 0, sizeof *u);
  set_paths (state_dir, root, id, u);
  lock = lock_state (state_dir, err);
  if (lock < 0)
    return -1;
  if (og_mkdir_p (dir, 0700, 0700) < 0)
    return og_error_set (err, errno, "cannot create %s", dir);
  /* The same container created again (a retried create) keeps its range. */
  if (read_record (u->record, &start, &size, NULL, NULL, NULL) == 0 && size == p->userns.range_size)
    {
      u->range = (struct og_userns_range){ start, size };
      u->allocated = true;
      return write_record (u->record, &u->range, root, id, err);
    }
  u->range.size = p->userns.range_size;
  if (p->userns.shared)
    u->range.host_start = p->userns.pool_start;
  else
    {
      int64_t k;
      used = used_starts (dir, &n);
      for (k = 0; k < slots; k++)
        {
          int64_t s = p->userns.pool_start + k * p->userns.range_size;
          bool taken = false;
          for (size_t i = 0; i < n && !taken; i++)
            taken = used[i] == s;
          if (!taken)
            break;
        }
      if (k == slots)
        return og_error_set (err, 0, "the user namespace pool is exhausted (%" PRId64 " ranges in use)", slots);
      u->range.host_start = p->userns.pool_start + k * p->userns.range_size;
    }
  if (write_record (u->record, &u->range, root, id, err) < 0)
    return -1;
  u->allocated = true;
  return 0;
}

/* The child of userns_fd: born in the new user namespace (CLONE_NEWUSER),
 * sharing our memory (CLONE_VM: no page tables copied), it exits at once.
 * Raw syscall: it shares our TLS, so it must not touch errno or stdio. */
static int
userns_child (void *arg)
{
  (void)arg;
  syscall (SYS_exit, 0);
  return 0;
}

static int
write_map (pid_t pid, const char *map, const struct og_userns_range *r, struct og_error *err)
{
  char path[64], line[64];
  og_cleanup_close int fd = -1;
  int n;

  snprintf (path, sizeof path, "/proc/%d/%s", (int)pid, map);
  n = snprintf (line, sizeof line, "0 %" PRId64 " %" PRId64 "\n", r->host_start, r->size);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, line, (size_t)n) != n)
    return og_error_set (err, errno, "cannot write %s", path);
  return 0;
}

/* A user namespace with the container's mapping, as an fd: a child is
 * cloned into a new user namespace, we write its maps and keep
 * /proc/<child>/ns/user.  The child exits at once, with nothing to wait
 * for: until it is reaped its credentials, and with them its user
 * namespace, stay, so the maps can be written and the namespace opened
 * whether it has exited yet or not.  It is reaped at the end of the create
 * (*holder), by which time it has long exited. */
static int
userns_fd (const struct og_userns_range *r, pid_t *holder, struct og_error *err)
{
  static char stack[16384] __attribute__ ((aligned (16)));
  int fd = -1;
  char ns[64];
  pid_t pid;

  pid = clone (userns_child, stack + sizeof stack, CLONE_NEWUSER | CLONE_VM | SIGCHLD, NULL);
  if (pid < 0)
    return og_error_set (err, errno, "clone (CLONE_NEWUSER)");
  *holder = pid;
  /* Let it run (and exit) now: on a host whose CPUs are busy, a child of
   * the normal class can wait a whole scheduler slice (3 ms seen) for its
   * first run, and the reap at the end would wait with it.  Best effort
   * (without CAP_SYS_NICE it stays in the normal class). */
  sched_setscheduler (pid, SCHED_FIFO, &(struct sched_param){ .sched_priority = 1 });
  if (write_map (pid, "uid_map", r, err) == 0 && write_map (pid, "gid_map", r, err) == 0)
    {
      snprintf (ns, sizeof ns, "/proc/%d/ns/user", (int)pid);
      fd = open (ns, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        og_error_set (err, errno, "cannot open %s", ns);
    }
  return fd;
}

/* runc opens the rootfs as the container's root, an unprivileged host
 * uid: every directory above the stage dir must be searchable by others
 * (the stage dir itself is searchable by the container's group only). */
static int
check_searchable (const char *path, struct og_error *err)
{
  og_cleanup_free char *p = og_xstrdup (path);
  char *slash;

  while ((slash = strrchr (p, '/')) != NULL && slash != p)
    {
      struct stat st;
      *slash = '\0';
      if (stat (p, &st) < 0)
        return og_error_set (err, errno, "cannot stat %s", p);
      if ((st.st_mode & S_IXOTH) == 0)
        return og_error_set (err, 0,
                             "%s is not searchable by the container's user (mode %03o); the state directory must "
                             "be reachable by unprivileged users",
                             p, (unsigned)(st.st_mode & 0777));
    }
  return 0;
}

/* Who created the stage, for gc: "root\nid\npid\n" (the pid lives on as
 * runc while the create is in progress). */
static int
write_owner (const struct ocigate_userns *u, const char *root, const char *id, struct og_error *err)
{
  og_cleanup_free char *path = og_xasprintf ("%s/owner", u->stage_dir);
  og_cleanup_free char *text = og_xasprintf ("%s\n%s\n%d\n", root, id, (int)getpid ());
  og_cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0 || og_write_all (fd, text, strlen (text)) < 0)
    return og_error_set (err, errno, "cannot write %s", path);
  return 0;
}

/* <state>/stage/<key>: root-owned, group `group`, 0710.  Staged mounts
 * are reachable by host root and by the container's own root (runc mounts
 * as that uid), not by other users or other containers' ids, whose paths
 * to every image and volume it would otherwise be. */
static int
prepare_stage_dir (struct ocigate_userns *u, gid_t group, const char *root, const char *id, struct og_error *err)
{
  og_cleanup_free char *parent = og_xstrdup (u->stage_dir);
  og_cleanup_close int fd = -1;
  struct stat st;

  *strrchr (parent, '/') = '\0';
  if (og_mkdir_p (parent, 0711, 0711) < 0)
    return og_error_set (err, errno, "cannot create %s", parent);
  if (mkdir (u->stage_dir, 0700) < 0 && errno != EEXIST)
    return og_error_set (err, errno, "cannot create %s", u->stage_dir);
  fd = open (u->stage_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    return og_error_set (err, errno, "cannot open %s", u->stage_dir);
  if ((st.st_uid != 0 || st.st_gid != group) && fchown (fd, 0, group) < 0)
    return og_error_set (err, errno, "cannot give %s to group %u", u->stage_dir, (unsigned)group);
  if ((st.st_mode & 07777) != 0710 && fchmod (fd, 0710) < 0)
    return og_error_set (err, errno, "cannot chmod %s", u->stage_dir);
  if (group != 0 && check_searchable (u->stage_dir, err) < 0)
    return -1;
  return write_owner (u, root, id, err);
}

/* A detached clone of the tree at (dirfd, path); with `recursive`, its
 * submounts too (what runc's rbind would see). */
static int
clone_tree (int dirfd, const char *path, bool recursive, struct og_error *err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (path[0] ? 0 : AT_EMPTY_PATH) | (recursive ? AT_RECURSIVE : 0);
  int tree = (int)syscall (SYS_open_tree, dirfd, path, flags);

  if (tree < 0)
    og_error_set (err, errno, "open_tree %s", path[0] ? path : "of the checked source");
  return tree;
}

/* Present the top mount of `tree` through the mapping of user namespace
 * `ns`.  Only the top one: a mount below the image or the volume is some
 * other filesystem, not the engine's files, and idmapped it would give
 * container root host root's power over it; it keeps the host's owners
 * (nobody inside), as any bind source that is not the engine's does. */
static int
idmap_tree (int tree, int ns, struct og_error *err)
{
  struct og_mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns };

  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return og_error_set (err, errno, "idmapped mounts are not supported here (mount_setattr)");
  return 0;
}

/* The config's ro, nosuid, nodev, noexec on every mount of `tree`. */
static int
harden_tree (int tree, unsigned flags, bool recursive, struct og_error *err)
{
  struct og_mount_attr attr = { 0 };

  attr.attr_set |= (flags & OCIGATE_STAGE_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
  attr.attr_set |= (flags & OCIGATE_STAGE_NOSUID) ? MOUNT_ATTR_NOSUID : 0;
  attr.attr_set |= (flags & OCIGATE_STAGE_NODEV) ? MOUNT_ATTR_NODEV : 0;
  attr.attr_set |= (flags & OCIGATE_STAGE_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0;
  if (attr.attr_set == 0)
    return 0;
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return og_error_set (err, errno, "mount_setattr of the staged clone");
  return 0;
}

static int
attach_tree (int tree, const char *target, struct og_error *err)
{
  if (syscall (SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return og_error_set (err, errno, "move_mount to %s", target);
  return 0;
}

int
ocigate_userns_stage (struct ocigate_userns *u, int rootfs, const char *root, const char *id, struct og_error *err)
{
  og_cleanup_close int tree = -1;

  if (prepare_stage_dir (u, (gid_t)u->range.host_start, root, id, err) < 0)
    return -1;
  if (mkdir (u->stage_root, 0711) < 0 && errno != EEXIST)
    return og_error_set (err, errno, "cannot create %s", u->stage_root);
  umount2 (u->stage_root, MNT_DETACH); /* a leftover of a create that died */
  if (u->nsfd <= 0)
    u->nsfd = userns_fd (&u->range, &u->holder, err);
  if (u->nsfd < 0)
    return -1;
  /* runc binds the rootfs recursively: the container sees the tree */
  tree = clone_tree (rootfs, "", true, err);
  if (tree < 0 || idmap_tree (tree, u->nsfd, err) < 0 || attach_tree (tree, u->stage_root, err) < 0)
    return -1;
  u->staged = true;
  return 0;
}

int
ocigate_stage_prepare (struct ocigate_userns *u, const char *state_dir, const char *root, const char *id, gid_t group,
                       struct og_error *err)
{
  if (u->staged)
    return 0; /* prepared for the rootfs */
  if (u->stage_dir == NULL)
    set_paths (state_dir, root, id, u);
  return prepare_stage_dir (u, group, root, id, err);
}

/* The mount point of a staged bind: a new directory or empty file.  One
 * that exists is a leftover of a create that died, maybe still mounted. */
static int
make_mount_point (const char *target, bool dir)
{
  int fd;

  if (dir ? mkdir (target, 0711) == 0
          : (fd = open (target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0 && close (fd) == 0)
    return 0;
  if (errno != EEXIST)
    return -1;
  umount2 (target, MNT_DETACH);
  return 0;
}

/* The mount flags of the mount `fd` is on, as mount(2) flags: a bind
 * remount sets exactly the flags it is given. */
static unsigned long
current_flags (int fd)
{
  struct statvfs sv;
  unsigned long f = 0;

  if (fstatvfs (fd, &sv) < 0)
    return MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;
  f |= (sv.f_flag & ST_RDONLY) ? MS_RDONLY : 0;
  f |= (sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0;
  f |= (sv.f_flag & ST_NODEV) ? MS_NODEV : 0;
  f |= (sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0;
  f |= (sv.f_flag & ST_NOATIME) ? MS_NOATIME : 0;
  f |= (sv.f_flag & ST_NODIRATIME) ? MS_NODIRATIME : 0;
  f |= (sv.f_flag & ST_RELATIME) ? MS_RELATIME : 0;
  return f;
}

/* Without open_tree (kernels before 5.2; valgrind): a bind of the
 * descriptor's /proc/self/fd link is the same object, never its path
 * again; the config's flags go on the top mount only (no mount_setattr),
 * and nothing is idmapped. */
static int
legacy_stage_bind (struct ocigate_userns *u, int fd, unsigned flags, bool dir, char *target, char **staged, char **why,
                   struct og_error *err)
{
  unsigned long f = current_flags (fd);
  char src[32];

  f |= (flags & OCIGATE_STAGE_RDONLY) ? MS_RDONLY : 0;
  f |= (flags & OCIGATE_STAGE_NOSUID) ? MS_NOSUID : 0;
  f |= (flags & OCIGATE_STAGE_NODEV) ? MS_NODEV : 0;
  f |= (flags & OCIGATE_STAGE_NOEXEC) ? MS_NOEXEC : 0;
  snprintf (src, sizeof src, "/proc/self/fd/%d", fd);
  if (make_mount_point (target, dir) < 0)
    return og_error_set (err, errno, "cannot create %s", target);
  if (mount (src, target, NULL, MS_BIND | ((flags & OCIGATE_STAGE_RECURSIVE) ? MS_REC : 0), NULL) < 0)
    {
      og_error_set (err, errno, "bind of the checked source to %s", target);
      remove (target);
      return -1;
    }
  if (mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | f, NULL) < 0)
    {
      og_error_set (err, errno, "remount of %s", target);
      umount2 (target, MNT_DETACH);
      remove (target);
      return -1;
    }
  if (flags & OCIGATE_STAGE_IDMAP)
    *why = og_xstrdup ("idmapped mounts are not supported here (no open_tree)");
  u->binds_staged = true;
  *staged = og_xstrdup (target);
  return 0;
}

/* A clone of the judged source `fd` at <stage>/binds/<index>: runc binds
 * that clone, so what it mounts is what was checked.  Idmapped only when
 * asked (the engine's own files and named volumes): anywhere else the
 * mapping would let container root act as host root on the host's files
 * (open a root-owned binary for writing).  A filesystem that cannot be
 * idmapped is staged plainly, *why saying so. */
int
ocigate_userns_stage_bind (struct ocigate_userns *u, size_t index, int fd, unsigned flags, char **staged, char **why,
                           struct og_error *err)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/binds", u->stage_dir);
  og_cleanup_free char *target = og_xasprintf ("%s/%zu", dir, index);
  og_cleanup_close int tree = -1;
  bool recursive = (flags & OCIGATE_STAGE_RECURSIVE) != 0;
  struct stat st;

  *why = NULL;
  if (fstat (fd, &st) < 0)
    return og_error_set (err, errno, "cannot stat the checked source");
  if (mkdir (dir, 0711) < 0 && errno != EEXIST)
    return og_error_set (err, errno, "cannot create %s", dir);
  tree = clone_tree (fd, "", recursive, err);
  if (tree >= 0 && harden_tree (tree, flags, recursive, err) < 0)
    close (og_steal_fd (&tree));
  if (tree < 0 && err->errnum == ENOSYS)
    {
      og_error_clear (err);
      return legacy_stage_bind (u, fd, flags, S_ISDIR (st.st_mode), target, staged, why, err);
    }
  if (tree < 0)
    return -1;
  if (flags & OCIGATE_STAGE_IDMAP)
    {
      struct og_error e = { 0 };

      if (u->nsfd <= 0)
        u->nsfd = userns_fd (&u->range, &u->holder, err);
      if (u->nsfd < 0)
        return -1;
      if (idmap_tree (tree, u->nsfd, &e) < 0)
        *why = og_steal_pointer (&e.msg);
      og_error_clear (&e);
    }
  if (make_mount_point (target, S_ISDIR (st.st_mode)) < 0)
    return og_error_set (err, errno, "cannot create %s", target);
  if (attach_tree (tree, target, err) < 0)
    {
      remove (target);
      free (og_steal_pointer (why));
      return -1;
    }
  u->binds_staged = true;
  *staged = og_steal_pointer (&target);
  return 0;
}

static void
release_binds (const char *stage_dir)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/binds", stage_dir);
  DIR *d = opendir (dir);
  struct dirent *e;

  if (d == NULL)
    return;
  while ((e = readdir (d)) != NULL)
    {
      og_cleanup_free char *path = NULL;
      if (e->d_name[0] == '.')
        continue;
      path = og_xasprintf ("%s/%s", dir, e->d_name);
      umount2 (path, MNT_DETACH);
      remove (path);
    }
  closedir (d);
  rmdir (dir);
}

void
ocigate_userns_reap (struct ocigate_userns *u)
{
  int status;

  if (u->holder <= 0)
    return;
  while (waitpid (u->holder, &status, 0) < 0 && errno == EINTR)
    ;
  u->holder = 0;
}

int
ocigate_userns_release (struct ocigate_userns *u, struct og_error *err)
{
  int r = 0;

  ocigate_userns_reap (u);
  if (u->stage_dir)
    release_binds (u->stage_dir);
  if (u->stage_root && umount2 (u->stage_root, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    r = og_error_set (err, errno, "cannot unmount %s", u->stage_root);
  if (u->stage_root)
    rmdir (u->stage_root);
  if (u->stage_dir)
    {
      og_cleanup_free char *owner = og_xasprintf ("%s/owner", u->stage_dir);
      unlink (owner);
      rmdir (u->stage_dir);
    }
  if (u->record && unlink (u->record) < 0 && errno != ENOENT)
    r = og_error_set (err, errno, "cannot remove %s", u->record);
  u->staged = u->allocated = u->binds_staged = false;
  return r;
}

void
ocigate_userns_free (struct ocigate_userns *u)
{
  ocigate_userns_reap (u);
  if (u->nsfd > 0)
    close (u->nsfd);
  free (u->record);
  free (u->stage_dir);
  free (u->stage_root);
  memset (u, 0, sizeof *u);
}

bool
ocigate_userns_lookup (const char *state_dir, const char *root, const char *id, struct ocigate_userns *u)
{
  struct stat st;

  memset (u, 0, sizeof *u);
  set_paths (state_dir, root, id, u);
  if (lstat (u->record, &st) == 0 || lstat (u->stage_dir, &st) == 0)
    return true;
  ocigate_userns_free (u);
  return false;
}

int
ocigate_userns_gc (const char *state_dir, bool verbose, struct og_error *err)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/userns", state_dir);
  og_cleanup_close int lock = -1;
  DIR *d;
  struct dirent *e;
  int released = 0;

  lock = lock_state (state_dir, err);
  if (lock < 0)
    return -1;
  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : og_error_set (err, errno, "cannot read %s", dir);
  while ((e = readdir (d)) != NULL)
    {
      og_cleanup_free char *path = NULL, *root = NULL, *id = NULL, *state = NULL;
      struct ocigate_userns u;
      int64_t start, size;
      pid_t pid = 0;
      struct stat st;

      if (e->d_name[0] == '.' || strchr (e->d_name, '.'))
        continue;
      path = og_xasprintf ("%s/%s", dir, e->d_name);
      if (read_record (path, &start, &size, &root, &id, &pid) < 0)
        continue;
      /* runc keeps <root>/<id>/state.json while the container exists */
      state = og_xasprintf ("%s/%s/state.json", root, id);
      if (stat (state, &st) == 0)
        continue;
      if (pid > 0 && kill (pid, 0) == 0)
        continue; /* its create is still running */
      memset (&u, 0, sizeof u);
      set_paths (state_dir, root, id, &u);
      if (ocigate_userns_release (&u, err) == 0)
        {
          released++;
          if (verbose)
            printf ("released %s (root %s): host ids %" PRId64 "-%" PRId64 "\n", id, root, start, start + size - 1);
        }
      ocigate_userns_free (&u);
    }
  closedir (d);
  return released;
}

/* The owner of a stage dir without a range record: root, id, pid. */
static int
read_owner (const char *stage_dir, char **root, char **id, pid_t *pid)
{
  og_cleanup_free char *path = og_xasprintf ("%s/owner", stage_dir);
  char buf[8192], *nl1, *nl2;
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  if ((nl1 = strchr (buf, '\n')) == NULL || (nl2 = strchr (nl1 + 1, '\n')) == NULL)
    return -1;
  *root = og_xstrndup (buf, (size_t)(nl1 - buf));
  *id = og_xstrndup (nl1 + 1, (size_t)(nl2 - nl1 - 1));
  *pid = (pid_t)atoi (nl2 + 1);
  return 0;
}

int
ocigate_stage_gc (const char *state_dir, bool verbose, struct og_error *err)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/stage", state_dir);
  og_cleanup_close int lock = -1;
  DIR *d;
  struct dirent *e;
  int released = 0;

  lock = lock_state (state_dir, err);
  if (lock < 0)
    return -1;
  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : og_error_set (err, errno, "cannot read %s", dir);
  while ((e = readdir (d)) != NULL)
    {
      og_cleanup_free char *record = NULL, *stage = NULL, *root = NULL, *id = NULL, *state = NULL;
      struct ocigate_userns u;
      pid_t pid = 0;
      struct stat st;

      if (e->d_name[0] == '.')
        continue;
      /* with a range record, ocigate_userns_gc decides */
      record = og_xasprintf ("%s/userns/%s", state_dir, e->d_name);
      stage = og_xasprintf ("%s/%s", dir, e->d_name);
      if (lstat (record, &st) == 0 || read_owner (stage, &root, &id, &pid) < 0)
        continue;
      state = og_xasprintf ("%s/%s/state.json", root, id);
      if (stat (state, &st) == 0 || (pid > 0 && kill (pid, 0) == 0))
        continue;
      memset (&u, 0, sizeof u);
      set_paths (state_dir, root, id, &u);
      if (strcmp (u.stage_dir, stage) == 0 && ocigate_userns_release (&u, err) == 0)
        {
          released++;
          if (verbose)
            printf ("released the staged mounts of %s (root %s)\n", id, root);
        }
      ocigate_userns_free (&u);
    }
  closedir (d);
  return released;
}
