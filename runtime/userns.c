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
 * container (a JSON object: start, size, root, id, pid, pid_start; key =
 * digest of root and id), <state>/stage/<key>/{rootfs, binds/<index>,
 * owner} and, for a container that shares another's user namespace,
 * <state>/stage/<key>/ns/user with the pid or network namespace it joins
 * for that (ns/pid, ns/net); a pod's sandbox has ns/user and ns/net.  <key> is root:<the container's root gid>,
 * 0710: the key is no secret (a hash of --root and the id), the directory is.
 */
#include <config.h>
#include <ctype.h>
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
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/sha256.h"
#include "ocigate/spec.h"
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

/* <linux/nsfs.h> */
#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO (0xb7, 0x1)
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO (0xb7, 0x3)
#endif
#define OG_NSFS_MAGIC 0x6e736673

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

/* One record, as written and as read back. */
struct record
{
  int64_t start, size;
  char *root, *id;
  int64_t pid;       /* the create that wrote it (the same process becomes runc) */
  int64_t pid_start; /* its start time: a recycled pid is not that create */
};

static void
record_clear (struct record *r)
{
  free (r->root);
  free (r->id);
  memset (r, 0, sizeof *r);
}

/* Records are JSON written by our writer and read by our strict parser:
 * no id or root, whatever its bytes, can add or change a field (a newline
 * in an id once forged the pid line: pid 1, always alive, leaked the range
 * for good).  The file name must be the key of the root and id inside, so
 * one container's record can never be taken for another's. */
static int
parse_record (const char *buf, size_t len, const char *name, struct record *r)
{
  static const char *const keys[] = { "start", "size", "root", "id", "pid", "pid_start" };
  const struct og_json_opts opts = { .max_size = 16384, .max_depth = 2 };
  og_cleanup_json struct og_json *j = NULL;
  struct og_json *root, *id;
  struct og_error err = { 0 };

  memset (r, 0, sizeof *r);
  if (og_json_parse (buf, len, &opts, &j, &err) < 0)
    {
      og_error_clear (&err);
      return -1;
    }
  if (j->type != OG_JSON_OBJECT || j->n != sizeof keys / sizeof keys[0])
    return -1;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (og_json_get (j, keys[i]) == NULL)
      return -1;
  root = og_json_get (j, "root");
  id = og_json_get (j, "id");
  if (og_json_int64 (og_json_get (j, "start"), &r->start) < 0 || og_json_int64 (og_json_get (j, "size"), &r->size) < 0
      || og_json_int64 (og_json_get (j, "pid"), &r->pid) < 0
      || og_json_int64 (og_json_get (j, "pid_start"), &r->pid_start) < 0 || r->start < 0 || r->size < 1
      || r->start > 4294967295LL - r->size || r->pid < 0 || r->pid > INT32_MAX || r->pid_start < 0
      || !og_json_is_string (root) || root->text[0] != '/' || !og_json_is_string (id)
      || !og_container_id_valid (id->text))
    return -1;
  if (name)
    {
      og_cleanup_free char *key = key_of (root->text, id->text);
      if (strcmp (key, name) != 0)
        return -1;
    }
  r->root = og_xstrdup (root->text);
  r->id = og_xstrdup (id->text);
  return 0;
}

static int
read_record (const char *path, struct record *r)
{
  const char *name = strrchr (path, '/');
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  char buf[16384];
  struct stat st;
  ssize_t n;

  memset (r, 0, sizeof *r);
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size >= (off_t)sizeof buf)
    return -1;
  n = read (fd, buf, sizeof buf);
  if (n <= 0 || n != st.st_size)
    return -1;
  return parse_record (buf, (size_t)n, name ? name + 1 : path, r);
}

/* Field 22 of /proc/<pid>/stat: when the process started (0: no such
 * process). */
static int64_t
start_time (int64_t pid)
{
  char path[64], buf[1024], *p;
  og_cleanup_close int fd = -1;
  int64_t t = 0;
  ssize_t n;

  snprintf (path, sizeof path, "/proc/%" PRId64 "/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (n = read (fd, buf, sizeof buf - 1)) <= 0)
    return 0;
  buf[n] = '\0';
  /* the command name may hold spaces and parentheses: count from the last ')' */
  p = strrchr (buf, ')');
  for (int field = 2; p && field < 22; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL || sscanf (p + 1, "%" SCNd64, &t) != 1)
    return 0;
  return t;
}

/* The container is there as long as runc keeps <root>/<id>/state.json,
 * or while the create that wrote the record runs (runc writes its state
 * only part-way through). */
static bool
record_in_use (const struct record *r)
{
  og_cleanup_free char *state = og_xasprintf ("%s/%s/state.json", r->root, r->id);
  struct stat st;

  if (stat (state, &st) == 0)
    return true;
  return r->pid > 0 && r->pid_start > 0 && start_time (r->pid) == r->pid_start;
}

static int
write_record (const char *path, const struct og_userns_range *range, const char *root, const char *id,
              struct og_error *err)
{
  og_cleanup_free char *tmp = og_xasprintf ("%s.tmp-%d", path, (int)getpid ());
  og_cleanup_json struct og_json *j = og_json_new (OG_JSON_OBJECT);
  og_cleanup_free char *text = NULL;
  struct record check;
  size_t len;
  int fd;

  og_json_set (j, "start", og_json_new_number (range->host_start));
  og_json_set (j, "size", og_json_new_number (range->size));
  og_json_set (j, "root", og_json_new_string (root));
  og_json_set (j, "id", og_json_new_string (id));
  /* the pid stays the same across the exec into runc: while it lives, the
   * create is in progress and gc leaves the record alone */
  og_json_set (j, "pid", og_json_new_number (getpid ()));
  og_json_set (j, "pid_start", og_json_new_number (start_time (getpid ())));
  if (og_json_write (j, false, &text, &len, err) < 0)
    return og_error_wrap (err, "cannot write the user namespace record %s", path);
  /* Read back before it counts: a root that is not valid UTF-8 would make
   * a record nobody can read (a range handed out twice). */
  if (parse_record (text, len, strrchr (path, '/') + 1, &check) < 0)
    return og_error_set (err, 0, "cannot record the user namespace of container %s: runtime root %s is not valid UTF-8",
                         id, root);
  record_clear (&check);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || og_write_all (fd, text, len) < 0 || fsync (fd) < 0)
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

/* The start of a record an older ocigate wrote ("start size\n..."), or of
 * a damaged one: its range stays taken, never handed out twice; gc leaves
 * such a file to the admin. */
static int
legacy_start (const char *path, int64_t *start)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  char buf[64];
  ssize_t n;

  if (fd < 0 || (n = read (fd, buf, sizeof buf - 1)) <= 0)
    return -1;
  buf[n] = '\0';
  return sscanf (buf, "%" SCNd64, start) == 1 ? 0 : -1;
}

/* Host starts of every recorded range. */
static int64_t *
used_starts (const char *dir, size_t *n)
{
  og_cleanup_dir DIR *d = opendir (dir);
  struct dirent *e;
  int64_t *v = NULL;

  *n = 0;
  if (d == NULL)
    return NULL;
  while ((e = readdir (d)) != NULL)
    {
      og_cleanup_free char *path = NULL;
      struct record r;
      int64_t start;

      if (e->d_name[0] == '.' || strchr (e->d_name, '.'))
        continue;
      path = og_xasprintf ("%s/%s", dir, e->d_name);
      if (read_record (path, &r) == 0)
        start = r.start;
      else if (legacy_start (path, &start) < 0)
        continue;
      record_clear (&r);
      v = og_xrealloc (v, (*n + 1) * sizeof *v);
      v[(*n)++] = start;
    }
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

static int gc_locked (const char *state_dir, bool verbose, struct og_error *err);

/* A whole regular file of at most `max` bytes. */
static int
read_file (const char *path, size_t max, char **data, size_t *len)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || (size_t)st.st_size > max)
    return -1;
  return og_read_fd_bounded (fd, (size_t)st.st_size, data, len);
}

/* Is `r`'s container (still there, as runc's state says) running in the
 * user namespace `owner`, with r's range as its mapping? */
static bool
record_owns (const struct record *r, const struct stat *owner)
{
  og_cleanup_free char *state_path = og_xasprintf ("%s/%s/state.json", r->root, r->id);
  og_cleanup_free char *want = NULL, *ns = NULL, *map = NULL;
  og_cleanup_json struct og_json *state = NULL;
  const struct og_json_opts opts = { .max_size = OG_SPEC_MAX_SIZE, .max_depth = OG_SPEC_MAX_DEPTH };
  og_cleanup_free char *data = NULL;
  struct og_error err = { 0 };
  og_cleanup_close int fd = -1;
  char buf[256];
  int64_t pid;
  ssize_t n;
  size_t len;
  struct stat st;

  if (read_file (state_path, OG_SPEC_MAX_SIZE, &data, &len) < 0 || og_json_parse (data, len, &opts, &state, &err) < 0
      || og_json_int64 (og_json_get (state, "init_process_pid"), &pid) < 0 || pid <= 0 || pid > INT32_MAX)
    {
      og_error_clear (&err);
      return false;
    }
  ns = og_xasprintf ("/proc/%" PRId64 "/ns/user", pid);
  map = og_xasprintf ("/proc/%" PRId64 "/uid_map", pid);
  if (stat (ns, &st) < 0 || !og_same_file (&st, owner))
    return false;
  fd = open (map, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || (n = read (fd, buf, sizeof buf - 1)) <= 0)
    return false;
  buf[n] = '\0';
  {
    int64_t c, h, sz;
    int used = 0;
    /* one line, the record's range: a namespace someone mapped otherwise is not this container's */
    return sscanf (buf, " %" SCNd64 " %" SCNd64 " %" SCNd64 "%n", &c, &h, &sz, &used) == 3 && c == 0 && h == r->start
           && sz == r->size && buf[used] == '\n' && buf[used + 1] == '\0';
  }
}

/* If the record at `rec` is that of the container running in the user
 * namespace *ufd (stat `owner`): its range and id, and the namespace. */
static void
take_owner (const char *rec, const struct stat *owner, int *ufd, struct ocigate_userns *u)
{
  struct record r;

  if (read_record (rec, &r) < 0)
    return;
  if (record_owns (&r, owner))
    {
      u->range = (struct og_userns_range){ r.start, r.size };
      u->owner_id = og_steal_pointer (&r.id);
      u->join_fd = og_steal_fd (ufd);
      u->foreign_pidns = false;
    }
  record_clear (&r);
}

/* The namespace judged by joined_owner, kept to be pinned: runc (1.2 and
 * later) joins the other namespaces before the user namespace, as host
 * root, so a path that names another namespace by then (a recycled pid in
 * /proc/<pid>/ns/...) would be joined whatever owns it. */
static int
keep_joined (struct ocigate_userns *u, int *fd, int type)
{
  u->joined_fd = og_steal_fd (fd);
  u->joined_name = type == CLONE_NEWNET ? "net" : "pid";
  return 0;
}

/* A container that joins the pid namespace at `path` must share the user
 * namespace that owns it (procfs is mounted for the pid namespace, which
 * only its owner may do); so must one that joins its pod's network
 * namespace (sysfs, the pod's sysctls and `runc exec` need its owner; see
 * pod.c).  That is allowed when the owner is a user namespace ocigate made
 * for an existing container: the new one gets the same range and joins it
 * (u->join_fd, pinned by pin_userns so runc joins exactly the namespace
 * judged here, not what a recycled pid names later).  Anything else (the
 * host's, an engine's, a dead container's) fails, with u->foreign_pidns
 * set. */
static int
joined_owner (const char *state_dir, const char *root, const char *path, int type, const char *owner,
              struct ocigate_userns *u, struct og_error *err)
{
  const char *what = type == CLONE_NEWNET ? "network" : "pid";
  og_cleanup_free char *dir = og_xasprintf ("%s/userns", state_dir);
  og_cleanup_close int pfd = -1, fd = -1, ufd = -1;
  char self[64];
  struct statfs sfs;
  struct stat owner_st, host;
  og_cleanup_dir DIR *d = NULL;
  struct dirent *e;

  u->foreign_pidns = true; /* until the owner is found: every failure here refuses alike */
  /* O_PATH first: opening whatever the config names for reading (a FIFO,
   * a device) could block or act; only an nsfs file is opened for real */
  pfd = open (path, O_PATH | O_CLOEXEC);
  if (pfd < 0)
    return og_error_set (err, errno, "cannot open the %s namespace %s", what, path);
  snprintf (self, sizeof self, "/proc/self/fd/%d", pfd);
  if (fstatfs (pfd, &sfs) < 0 || sfs.f_type != OG_NSFS_MAGIC || (fd = open (self, O_RDONLY | O_CLOEXEC)) < 0
      || ioctl (fd, NS_GET_NSTYPE) != type)
    return og_error_set (err, 0, "%s is not a %s namespace", path, what);
  ufd = ioctl (fd, NS_GET_USERNS);
  if (ufd < 0 || fstat (ufd, &owner_st) < 0)
    return og_error_set (err, errno, "cannot find the user namespace that owns the %s namespace %s", what, path);
  if (stat ("/proc/self/ns/user", &host) == 0 && og_same_file (&owner_st, &host))
    return og_error_set (err, 0, "the %s namespace %s belongs to the host's user namespace", what, path);
  if (owner)
    {
      /* a pod's container: its own sandbox's record, no other (the pod's
       * other containers share the namespace too) */
      og_cleanup_free char *key = key_of (root, owner);
      og_cleanup_free char *rec = og_xasprintf ("%s/%s", dir, key);
      take_owner (rec, &owner_st, &ufd, u);
      if (u->foreign_pidns)
        return og_error_set (err, 0,
                             "the %s namespace %s does not belong to the user namespace ocigate gave to container %s",
                             what, path, owner);
      return keep_joined (u, &fd, type);
    }
  d = opendir (dir);
  while (d && u->foreign_pidns && (e = readdir (d)) != NULL)
    {
      og_cleanup_free char *rec = NULL;

      if (e->d_name[0] == '.' || strchr (e->d_name, '.'))
        continue;
      rec = og_xasprintf ("%s/%s", dir, e->d_name);
      take_owner (rec, &owner_st, &ufd, u);
    }
  if (u->foreign_pidns)
    return og_error_set (err, 0,
                         "the %s namespace %s belongs to a user namespace that ocigate did not give to an existing "
                         "container",
                         what, path);
  return keep_joined (u, &fd, type);
}

/* Bind the namespace open at fd at <stage>/ns/<name>: runc joins the
 * namespace judged, and it stays as long as the staging does. */
static int
pin_ns (struct ocigate_userns *u, int fd, const char *name, char **pinned, struct og_error *err)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/ns", u->stage_dir);
  og_cleanup_free char *target = og_xasprintf ("%s/%s", dir, name);
  char self[64];
  int tfd;

  if (og_mkdir_p (dir, 0711, 0711) < 0)
    return og_error_set (err, errno, "cannot create %s", dir);
  umount2 (target, MNT_DETACH); /* a leftover of a create that died */
  tfd = open (target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (tfd < 0)
    return og_error_set (err, errno, "cannot create %s", target);
  close (tfd);
  snprintf (self, sizeof self, "/proc/self/fd/%d", fd);
  if (mount (self, target, NULL, MS_BIND, NULL) < 0)
    return og_error_set (err, errno, "cannot bind the %s namespace of container %s at %s", name, u->owner_id, target);
  *pinned = og_steal_pointer (&target);
  return 0;
}

static int
pin_userns (struct ocigate_userns *u, struct og_error *err)
{
  return pin_ns (u, u->join_fd, "user", &u->join_path, err);
}

static void
release_pins (const char *stage_dir)
{
  static const char *const names[] = { "user", "net", "pid" };
  og_cleanup_free char *dir = og_xasprintf ("%s/ns", stage_dir);

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      og_cleanup_free char *pin = og_xasprintf ("%s/%s", dir, names[i]);
      umount2 (pin, MNT_DETACH);
      unlink (pin);
    }
  rmdir (dir);
}

/* The first free range of the pool; -1 when every range is taken. */
static int64_t
free_slot (const char *dir, const struct og_policy *p)
{
  og_cleanup_free int64_t *used = NULL;
  int64_t slots = p->userns.pool_size / p->userns.range_size;
  size_t n;

  used = used_starts (dir, &n);
  for (int64_t k = 0; k < slots; k++)
    {
      int64_t s = p->userns.pool_start + k * p->userns.range_size;
      bool taken = false;
      for (size_t i = 0; i < n && !taken; i++)
        taken = used[i] == s;
      if (!taken)
        return s;
    }
  return -1;
}

int
ocigate_userns_allocate (const char *state_dir, const struct og_policy *p, const char *root, const char *id,
                         const char *join, int join_type, const char *join_owner, struct ocigate_userns *u,
                         struct og_error *err)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/userns", state_dir);
  og_cleanup_close int lock = -1;
  struct record old;
  struct stat st;

  memset (u, 0, sizeof *u);
  if (!og_container_id_valid (id) || root[0] != '/')
    {
      u->in_use = true; /* refused, never a reason to run without one */
      return og_error_set (err, 0, "no user namespace record for container id %s under runtime root %s", id, root);
    }
  set_paths (state_dir, root, id, u);
  lock = lock_state (state_dir, err);
  if (lock < 0)
    return -1;
  if (og_mkdir_p (dir, 0700, 0700) < 0)
    return og_error_set (err, errno, "cannot create %s", dir);
  /* A record for this very container: refused while it belongs to a
   * container that exists or a create that runs (a duplicate create must
   * not take, restage or release what is someone else's); a leftover of a
   * create that died is cleaned up and the range allocated afresh. */
  if (read_record (u->record, &old) == 0)
    {
      bool in_use = record_in_use (&old);
      record_clear (&old);
      if (in_use)
        {
          u->in_use = true;
          return og_error_set (err, 0, "container %s already has a user namespace range under runtime root %s", id,
                               root);
        }
      if (ocigate_userns_release (u, err) < 0)
        return -1;
    }
  else if (lstat (u->record, &st) == 0)
    {
      u->in_use = true;
      return og_error_set (err, 0,
                           "the user namespace record %s of container %s cannot be read; remove it once the "
                           "container is gone",
                           u->record, id);
    }
  u->range.size = p->userns.range_size;
  if (join)
    {
      /* under the lock: the owner cannot be deleted and its range handed
       * out again before this record keeps the range taken too */
      if (joined_owner (state_dir, root, join, join_type, join_owner, u, err) < 0)
        return -1;
    }
  else if (p->userns.shared)
    u->range.host_start = p->userns.pool_start;
  else
    {
      int64_t s = free_slot (dir, p);
      struct og_error ignored = { 0 };
      /* Full: first give back the ranges of containers that are gone
       * (deleted without us, or whose create failed in runc). */
      if (s < 0 && gc_locked (state_dir, false, &ignored) > 0)
        s = free_slot (dir, p);
      og_error_clear (&ignored);
      if (s < 0)
        {
          u->exhausted = true;
          return og_error_set (err, 0,
                               "the user namespace pool is exhausted: all %" PRId64 " ranges of %" PRId64
                               " host ids from %" PRId64 " belong to existing containers",
                               p->userns.pool_size / p->userns.range_size, p->userns.range_size, p->userns.pool_start);
        }
      u->range.host_start = s;
    }
  if (write_record (u->record, &u->range, root, id, err) < 0)
    return -1;
  u->allocated = true;
  if ((u->join_fd > 0 && pin_userns (u, err) < 0)
      || (u->joined_fd > 0 && pin_ns (u, u->joined_fd, u->joined_name, &u->joined_path, err) < 0))
    {
      struct og_error ignored = { 0 };
      ocigate_userns_release (u, &ignored);
      og_error_clear (&ignored);
      return -1;
    }
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

/* The child of pod_namespaces: born in a new user namespace and a network
 * namespace that user namespace owns; it waits to be killed, since a
 * network namespace, unlike a user namespace, goes with the exit. */
static int
hold_child (void *arg)
{
  (void)arg;
  for (;;)
    syscall (SYS_pause);
  return 0;
}

/* The pod's user namespace (the sandbox's range) in u->nsfd, and a network
 * namespace it owns in u->netfd. */
static int
pod_namespaces (struct ocigate_userns *u, struct og_error *err)
{
  static char stack[16384] __attribute__ ((aligned (16)));
  char ns[64];
  pid_t pid;
  int r = 0;

  pid = clone (hold_child, stack + sizeof stack, CLONE_NEWUSER | CLONE_NEWNET | CLONE_VM | SIGCHLD, NULL);
  if (pid < 0)
    return og_error_set (err, errno, "clone (CLONE_NEWUSER | CLONE_NEWNET)");
  u->holder = pid;
  if (write_map (pid, "uid_map", &u->range, err) < 0 || write_map (pid, "gid_map", &u->range, err) < 0)
    r = -1;
  for (int i = 0; r == 0 && i < 2; i++)
    {
      int *fd = i ? &u->netfd : &u->nsfd;
      snprintf (ns, sizeof ns, "/proc/%d/ns/%s", (int)pid, i ? "net" : "user");
      *fd = open (ns, O_RDONLY | O_CLOEXEC);
      if (*fd < 0)
        r = og_error_set (err, errno, "cannot open %s", ns);
    }
  kill (pid, SIGKILL); /* reaped with the create's other holder */
  return r;
}

int
ocigate_userns_pod_network (struct ocigate_userns *u, const char *id, struct og_error *err)
{
  if (pod_namespaces (u, err) < 0)
    return -1;
  u->join_fd = fcntl (u->nsfd, F_DUPFD_CLOEXEC, 3);
  if (u->join_fd < 0)
    return og_error_set (err, errno, "cannot keep the pod's user namespace");
  u->owner_id = og_xstrdup (id);
  if (pin_userns (u, err) < 0 || pin_ns (u, u->netfd, "net", &u->net_path, err) < 0)
    return -1;
  return 0;
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
  og_cleanup_dir DIR *d = opendir (dir);
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
  rmdir (dir); /* empty now; the open stream does not keep it */
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
    release_pins (u->stage_dir);
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
  if (u->join_fd > 0)
    close (u->join_fd);
  if (u->netfd > 0)
    close (u->netfd);
  if (u->joined_fd > 0)
    close (u->joined_fd);
  free (u->joined_path);
  free (u->net_path);
  free (u->record);
  free (u->stage_dir);
  free (u->stage_root);
  free (u->join_path);
  free (u->owner_id);
  memset (u, 0, sizeof *u);
}

bool
ocigate_userns_lookup (const char *state_dir, const char *root, const char *id, struct ocigate_userns *u)
{
  struct record r;
  struct stat st;

  memset (u, 0, sizeof *u);
  if (!og_container_id_valid (id))
    return false;
  set_paths (state_dir, root, id, u);
  if (read_record (u->record, &r) == 0)
    {
      u->range = (struct og_userns_range){ r.start, r.size };
      u->creator = r.pid;
      u->creator_start = r.pid_start;
      record_clear (&r);
      return true;
    }
  if (lstat (u->record, &st) == 0 || lstat (u->stage_dir, &st) == 0)
    return true;
  ocigate_userns_free (u);
  return false;
}

bool
ocigate_userns_in_use (const char *root, const char *id, const struct ocigate_userns *u)
{
  struct record r = { .root = (char *)root, .id = (char *)id, .pid = u->creator, .pid_start = u->creator_start };

  return record_in_use (&r);
}

static int
gc_locked (const char *state_dir, bool verbose, struct og_error *err)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/userns", state_dir);
  og_cleanup_dir DIR *d = NULL;
  struct dirent *e;
  int released = 0;

  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : og_error_set (err, errno, "cannot read %s", dir);
  while ((e = readdir (d)) != NULL)
    {
      og_cleanup_free char *path = NULL;
      struct ocigate_userns u;
      struct record r;

      if (e->d_name[0] == '.' || strchr (e->d_name, '.'))
        continue;
      path = og_xasprintf ("%s/%s", dir, e->d_name);
      /* an unreadable record is nobody's to free (see legacy_start) */
      if (read_record (path, &r) < 0)
        {
          if (verbose)
            printf ("kept %s: not a record this ocigate can read; remove it once its container is gone\n", path);
          continue;
        }
      if (record_in_use (&r))
        {
          record_clear (&r);
          continue;
        }
      memset (&u, 0, sizeof u);
      set_paths (state_dir, r.root, r.id, &u);
      if (ocigate_userns_release (&u, err) == 0)
        {
          released++;
          if (verbose)
            printf ("released %s (root %s): host ids %" PRId64 "-%" PRId64 "\n", r.id, r.root, r.start,
                    r.start + r.size - 1);
        }
      ocigate_userns_free (&u);
      record_clear (&r);
    }
  return released;
}

/* The owner of a stage dir without a range record: root, id, pid. */
static int
read_owner (const char *stage_dir, char **root, char **id, pid_t *pid)
{
  og_cleanup_free char *path = og_xasprintf ("%s/owner", stage_dir);
  char buf[8192], *nl1, *nl2;

  if (og_read_short (path, buf, sizeof buf) < 0)
    return -1;
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
  og_cleanup_dir DIR *d = NULL;
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
  return released;
}

int
ocigate_userns_gc (const char *state_dir, bool verbose, struct og_error *err)
{
  og_cleanup_close int lock = -1;

  lock = lock_state (state_dir, err);
  if (lock < 0)
    return -1;
  return gc_locked (state_dir, verbose, err);
}
