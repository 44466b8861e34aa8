/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy's sha256 goes into every audit record; hashing the file costs
 * more than the rest of a pass-through call.  It is cached in the state dir
 * under the file's identity: device, inode, size, mtime and ctime (ctime
 * cannot be set back by anyone who could rewrite the policy without root).
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "ocigate.h"

static char *
entry_path (const char *state_dir, const struct stat *st)
{
  return og_xasprintf ("%s/policy-digest/%" PRIx64 "-%" PRIx64, state_dir, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
}

static char *
identity (const struct stat *st)
{
  return og_xasprintf ("%lld %lld.%09ld %lld.%09ld", (long long)st->st_size, (long long)st->st_mtim.tv_sec,
                       st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

static bool
lookup (void *data, const struct stat *st, char hex[65])
{
  og_cleanup_free char *path = entry_path (data, st), *id = identity (st);
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  char buf[256];
  struct stat cst;
  size_t idlen = strlen (id);
  ssize_t n;

  if (fd < 0 || fstat (fd, &cst) < 0 || cst.st_uid != geteuid () || (cst.st_mode & 022) != 0)
    return false;
  n = read (fd, buf, sizeof buf - 1);
  if (n != (ssize_t)(idlen + 1 + 64 + 1))
    return false;
  buf[n] = '\0';
  if (strncmp (buf, id, idlen) != 0 || buf[idlen] != ' ' || buf[n - 1] != '\n')
    return false;
  memcpy (hex, buf + idlen + 1, 64);
  hex[64] = '\0';
  return strspn (hex, "0123456789abcdef") == 64;
}

static void
store (void *data, const struct stat *st, const char hex[65])
{
  og_cleanup_free char *dir = og_xasprintf ("%s/policy-digest", (const char *)data);
  og_cleanup_free char *path = entry_path (data, st), *id = identity (st);
  og_cleanup_free char *tmp = og_xasprintf ("%s.%d", path, (int)getpid ());
  og_cleanup_free char *line = og_xasprintf ("%s %s\n", id, hex);
  int fd;

  /* best effort: a cache that cannot be written only costs time */
  mkdir (data, 0711);
  mkdir (dir, 0700);
  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  if (og_write_all (fd, line, strlen (line)) < 0 || close (fd) < 0 || rename (tmp, path) < 0)
    unlink (tmp);
}

int
ocigate_policy_load (const char *path, const char *state_dir, struct og_policy **out, struct og_error *err)
{
  const struct og_digest_cache cache = { lookup, store, (void *)state_dir };
  return og_policy_load_cached (path, state_dir ? &cache : NULL, out, err);
}
