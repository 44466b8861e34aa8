/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading and rewriting <bundle>/config.json.  The file is opened relative
 * to the bundle directory without following a final symlink (a link to a
 * host file would otherwise be read, then replaced by our rewrite), and
 * replaced atomically so runc never reads a half-written config.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"

int
ocigate_bundle_open (const char *dir, struct ocigate_bundle *b, struct og_error *err)
{
  return ocigate_doc_open (dir ? dir : ".", "config.json", b, err);
}

int
ocigate_doc_open_path (const char *path, struct ocigate_bundle *b, struct og_error *err)
{
  og_cleanup_free char *copy = og_xstrdup (path);
  char *slash = strrchr (copy, '/');

  if (slash == NULL)
    return ocigate_doc_open (".", copy, b, err);
  if (slash[1] == '\0')
    return og_error_set (err, 0, "%s is not a file name", path);
  *slash = '\0';
  return ocigate_doc_open (slash == copy ? "/" : copy, slash + 1, b, err);
}

int
ocigate_doc_open (const char *dir, const char *name, struct ocigate_bundle *b, struct og_error *err)
{
  og_cleanup_close int fd = -1;
  struct stat st;

  memset (b, 0, sizeof *b);
  b->dirfd = -1;
  b->dir = og_xstrdup (dir);
  b->name = og_xstrdup (name);
  b->dirfd = open (b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (b->dirfd < 0)
    return og_error_set (err, errno, "cannot open directory %s", b->dir);
  fd = openat (b->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return og_error_set (err, errno, "cannot open %s/%s%s", b->dir, name, errno == ELOOP ? " (it is a symlink)" : "");
  if (fstat (fd, &st) < 0)
    return og_error_set (err, errno, "cannot stat %s/%s", b->dir, name);
  if (!S_ISREG (st.st_mode))
    return og_error_set (err, 0, "%s/%s is not a regular file", b->dir, name);
  if (st.st_size > (off_t)OG_SPEC_MAX_SIZE)
    return og_error_set (err, EFBIG, "%s/%s is %lld bytes, above the limit of %u", b->dir, name, (long long)st.st_size,
                         OG_SPEC_MAX_SIZE);
  b->mode = st.st_mode & 07777;
  /* Read to EOF but never past the size fstat gave: the file may grow meanwhile. */
  if (og_read_fd_bounded (fd, (size_t)st.st_size, &b->data, &b->len) < 0)
    return errno == EFBIG ? og_error_set (err, 0, "%s/%s changed while it was read", b->dir, name)
                          : og_error_set (err, errno, "cannot read %s/%s", b->dir, name);
  return 0;
}

/* An unnamed file in the bundle (O_TMPFILE): a create killed while it
 * writes leaves nothing behind.  -1 where the filesystem has no O_TMPFILE. */
static int
open_unnamed (struct ocigate_bundle *b)
{
  return openat (b->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, b->mode ? b->mode : 0600);
}

static void
temp_name (char tmp[64], int attempt)
{
  snprintf (tmp, 64, ".ocigate-%d-%d.json", (int)getpid (), attempt);
}

/* A named temporary file, created exclusively; *tmp is its name. */
static int
open_named (struct ocigate_bundle *b, char tmp[64])
{
  for (int attempt = 0; attempt <= 100; attempt++)
    {
      int fd;

      temp_name (tmp, attempt);
      fd = openat (b->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, b->mode ? b->mode : 0600);
      if (fd >= 0 || errno != EEXIST)
        return fd;
    }
  return -1;
}

/* Give the unnamed file fd a temporary name (through /proc/self/fd: no
 * capability needed, unlike AT_EMPTY_PATH). */
static int
link_unnamed (struct ocigate_bundle *b, int fd, char tmp[64])
{
  char proc[64];

  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  for (int attempt = 0; attempt <= 100; attempt++)
    {
      temp_name (tmp, attempt);
      if (linkat (AT_FDCWD, proc, b->dirfd, tmp, AT_SYMLINK_FOLLOW) == 0)
        return 0;
      if (errno != EEXIST)
        return -1;
    }
  return -1;
}

/* Replace the document atomically: written and synced under a temporary
 * name, renamed over it, the directory synced.  The temporary file has no
 * name until it is complete (O_TMPFILE, where the filesystem has it), so a
 * SIGKILL leaves at most a complete copy for the instant between link and
 * rename. */
int
ocigate_bundle_write (struct ocigate_bundle *b, const char *data, size_t len, struct og_error *err)
{
  char tmp[64] = "";
  og_cleanup_close int fd = open_unnamed (b);
  bool named = false;

  if (fd < 0)
    {
      fd = open_named (b, tmp);
      if (fd < 0)
        return og_error_set (err, errno, "cannot create a temporary file in %s", b->dir);
      named = true;
    }
  if (fchmod (fd, b->mode ? b->mode : 0600) < 0 || og_write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      if (named)
        unlinkat (b->dirfd, tmp, 0);
      return og_error_set (err, saved, "cannot write the rewritten %s in %s", b->name, b->dir);
    }
  if (!named && link_unnamed (b, fd, tmp) < 0)
    return og_error_set (err, errno, "cannot create a temporary file in %s", b->dir);
  if (renameat (b->dirfd, tmp, b->dirfd, b->name) < 0)
    {
      int saved = errno;
      unlinkat (b->dirfd, tmp, 0);
      return og_error_set (err, saved, "cannot replace %s/%s", b->dir, b->name);
    }
  if (fsync (b->dirfd) < 0)
    return og_error_set (err, errno, "cannot sync directory %s", b->dir);
  return 0;
}

void
ocigate_bundle_close (struct ocigate_bundle *b)
{
  if (b->dirfd >= 0)
    close (b->dirfd);
  free (b->dir);
  free (b->name);
  free (b->data);
  memset (b, 0, sizeof *b);
  b->dirfd = -1;
}
