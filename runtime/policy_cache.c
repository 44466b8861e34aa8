/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled policy (og_policy_image_write), kept in the state dir under
 * the policy file's identity: reading, parsing, validating and hashing the
 * file is most of what an exec or an update costs, and a sixth of a create.
 *
 * STATE/policy-cache/DEV-INO holds one line -- the identity: size, mtime,
 * ctime and the path as given -- then a line per layer of policy.d (device,
 * inode, size, mtime, ctime, path: a new, removed or changed layer is a
 * miss), then the image.  An entry is used only
 * when every part of the identity matches (ctime cannot be set back by
 * anyone who could rewrite the policy without root, and a policy changed
 * less than two seconds ago is never stored: og_policy_cacheable), the
 * file is ours and not writable by others, and the image is one this build
 * wrote (og_policy_image_read checks format, layout and a checksum).
 * Anything else is a miss: the policy is read from its file.
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "ocigate.h"

/* far above any image: the policy itself is at most OG_POLICY_MAX_SIZE */
#define ENTRY_MAX (2u * OG_POLICY_MAX_SIZE)

/* The binaries that keep an entry: each reads back only images its own
 * build wrote, so each has its own (ocigate and ocigate-hook on one host
 * would otherwise overwrite each other's at every switch). */
static const char *const owners[] = { "ocigate", "ocigate-hook", NULL };

struct cache_dir
{
  const char *state_dir;
  const char *owner;
};

/* STATE/policy-cache/DEV-INO-OWNER */
static char *
entry_path (const char *state_dir, const struct stat *st, const char *owner)
{
  return og_xasprintf ("%s/policy-cache/%" PRIx64 "-%" PRIx64 "-%s", state_dir, (uint64_t)st->st_dev,
                       (uint64_t)st->st_ino, owner);
}

static char *
identity (const char *path, const struct stat *st)
{
  return og_xasprintf ("%lld %lld.%09ld %lld.%09ld %s\n", (long long)st->st_size, (long long)st->st_mtim.tv_sec,
                       st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, path);
}

/* The first line, then the layers' lines: only the first is the policy's
 * (ocigate_policy_cache_gc reads it); a changed layer changes the rest. */
static char *
key_of (const char *path, const struct stat *st, const char *layers)
{
  og_cleanup_free char *first = identity (path, st);
  return layers[0] ? og_xasprintf ("%s%s", first, layers) : og_steal_pointer (&first);
}

static bool
lookup (void *data, const char *path, const struct stat *st, const char *layers, char **image, size_t *len)
{
  const struct cache_dir *c = data;
  og_cleanup_free char *entry = entry_path (c->state_dir, st, c->owner), *id = key_of (path, st, layers), *buf = NULL;
  og_cleanup_close int fd = open (entry, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  size_t idlen = strlen (id);
  struct stat est;
  size_t n;

  if (fd < 0 || fstat (fd, &est) < 0 || !S_ISREG (est.st_mode) || est.st_uid != geteuid () || (est.st_mode & 022) != 0
      || est.st_size <= (off_t)idlen || est.st_size > (off_t)ENTRY_MAX)
    return false;
  if (og_read_fd_bounded (fd, (size_t)est.st_size, &buf, &n) < 0 || n != (size_t)est.st_size
      || memcmp (buf, id, idlen) != 0)
    return false;
  *len = n - idlen;
  memmove (buf, buf + idlen, *len);
  *image = og_steal_pointer (&buf);
  return true;
}

static void
store (void *data, const char *path, const struct stat *st, const char *layers, const char *image, size_t len)
{
  const struct cache_dir *c = data;
  og_cleanup_free char *dir = og_xasprintf ("%s/policy-cache", c->state_dir);
  og_cleanup_free char *entry = entry_path (c->state_dir, st, c->owner), *id = key_of (path, st, layers);
  og_cleanup_free char *tmp = og_xasprintf ("%s.%d", entry, (int)getpid ());
  bool ok;
  int fd;

  /* best effort: a cache that cannot be written only costs time */
  mkdir (c->state_dir, 0711);
  mkdir (dir, 0700);
  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  ok = og_write_all (fd, id, strlen (id)) == 0 && og_write_all (fd, image, len) == 0;
  if (close (fd) < 0 || !ok || rename (tmp, entry) < 0)
    unlink (tmp);
}

int
ocigate_policy_load (const char *path, const char *state_dir, const char *owner, struct og_policy **out,
                     struct og_error *err)
{
  struct cache_dir dir = { state_dir, owner };
  const struct og_policy_cache cache = { lookup, store, &dir };
  return og_policy_load_cached (path, state_dir ? &cache : NULL, out, err);
}

/* Whether the entry `name` of the cache is still the current one: its
 * policy file still exists with the identity the entry was written for. */
static bool
entry_current (const char *state_dir, const char *name)
{
  og_cleanup_free char *entry = og_xasprintf ("%s/policy-cache/%s", state_dir, name), *line = NULL;
  og_cleanup_free char *want_name = NULL, *want_id = NULL;
  const char *owner = strchr (name, '-');
  og_cleanup_file FILE *f = fopen (entry, "re");
  const char *path;
  size_t cap = 0;
  ssize_t n;
  struct stat st;

  /* DEV-INO-OWNER: an owner this version does not know is stale */
  owner = owner ? strchr (owner + 1, '-') : NULL;
  if (owner == NULL || !og_strv_contains ((char *const *)owners, owner + 1) || f == NULL)
    return false;
  n = getline (&line, &cap, f);
  /* "SIZE MTIME CTIME PATH\n": the path is what follows the third space */
  if (n <= 0 || line[n - 1] != '\n' || (path = strchr (line, ' ')) == NULL || (path = strchr (path + 1, ' ')) == NULL
      || (path = strchr (path + 1, ' ')) == NULL)
    return false;
  line[n - 1] = '\0';
  if (stat (path + 1, &st) < 0)
    return false;
  want_name = entry_path (state_dir, &st, owner + 1);
  want_id = identity (path + 1, &st);
  /* want_id ends with the newline that line lost */
  return strcmp (strrchr (want_name, '/') + 1, name) == 0 && strlen (want_id) == (size_t)n
         && memcmp (want_id, line, (size_t)n - 1) == 0;
}

/* Whether the writer whose pid ends a temporary entry's name still runs. */
static bool
writer_alive (const char *pid)
{
  char *end;
  long n = strtol (pid, &end, 10);

  if (end == pid || *end != '\0' || n <= 0 || n > INT32_MAX)
    return false;
  return kill ((pid_t)n, 0) == 0 || errno == EPERM;
}

/* The digest cache of earlier versions, all of it; how many files it held. */
static int
remove_digest_cache (const char *state_dir)
{
  og_cleanup_free char *old = og_xasprintf ("%s/policy-digest", state_dir);
  og_cleanup_dir DIR *d = opendir (old);
  struct dirent *e;
  int removed = 0;

  if (d == NULL)
    return 0;
  while ((e = readdir (d)) != NULL)
    if (e->d_name[0] != '.' && unlinkat (dirfd (d), e->d_name, 0) == 0)
      removed++;
  rmdir (old);
  return removed;
}

int
ocigate_policy_cache_gc (const char *state_dir, bool verbose)
{
  og_cleanup_free char *dir = og_xasprintf ("%s/policy-cache", state_dir);
  og_cleanup_dir DIR *d = NULL;
  struct dirent *e;
  int removed = remove_digest_cache (state_dir);

  if ((d = opendir (dir)) == NULL)
    return removed;
  while ((e = readdir (d)) != NULL)
    {
      const char *dot = strchr (e->d_name, '.');

      if (e->d_name[0] == '.')
        continue;
      /* DEV-INO.PID: the temporary file of a writer; kept while it runs */
      if (dot != NULL ? writer_alive (dot + 1) : entry_current (state_dir, e->d_name))
        continue;
      if (unlinkat (dirfd (d), e->d_name, 0) == 0)
        {
          removed++;
          if (verbose)
            printf ("removed policy cache entry %s\n", e->d_name);
        }
    }
  return removed;
}
