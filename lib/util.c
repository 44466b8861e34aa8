/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"

static void __attribute__ ((noreturn)) oom (void)
{
  static const char msg[] = "ocigate: out of memory\n";
  (void)!write (STDERR_FILENO, msg, sizeof msg - 1);
  abort ();
}

void *
og_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
og_xcalloc (size_t nmemb, size_t n)
{
  void *p = calloc (nmemb ? nmemb : 1, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
og_xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
og_xstrdup (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    oom ();
  return r;
}

char *
og_xstrndup (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    oom ();
  return r;
}

char *
og_xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r < 0)
    oom ();
  return s;
}

void
og_freep (void *p)
{
  free (*(void **)p);
}

void
og_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

void
og_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
og_closedirp (DIR **d)
{
  if (*d)
    {
      int saved = errno;
      closedir (*d);
      errno = saved;
    }
}

DIR *
og_fdopendir (int fd)
{
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;

  if (d == NULL && fd >= 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
    }
  return d;
}

void
og_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
og_strvfreep (char ***v)
{
  og_strv_free (*v);
}

size_t
og_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

bool
og_strv_contains (char *const *v, const char *s)
{
  /* the first byte first: a call saved for most entries (lists of
   * capabilities and syscall names, searched once per name) */
  for (size_t i = 0; v && v[i]; i++)
    if (v[i][0] == s[0] && strcmp (v[i], s) == 0)
      return true;
  return false;
}

bool
og_file_trusted (const struct stat *st)
{
  return (st->st_mode & 002) == 0 && ((st->st_mode & 020) == 0 || st->st_gid == 0)
         && (st->st_uid == 0 || st->st_uid == geteuid ());
}

int
og_parse_int64 (const char *s, int64_t *out)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s || *end)
    return -1;
  *out = v;
  return 0;
}

/* Go's underscoreOK: '_' only between digits (a base prefix counts as one). */
static bool
go_underscores_ok (const char *s)
{
  char saw = '^';
  bool hex = false;
  size_t i = 0;

  if (*s == '+' || *s == '-')
    s++;
  if (s[0] == '0' && s[1] && strchr ("bBoOxX", s[1]))
    {
      i = 2;
      saw = '0';
      hex = s[1] == 'x' || s[1] == 'X';
    }
  for (; s[i]; i++)
    {
      if (isdigit ((unsigned char)s[i]) || (hex && isxdigit ((unsigned char)s[i])))
        saw = '0';
      else if (s[i] == '_')
        {
          if (saw != '0')
            return false;
          saw = '_';
        }
      else
        {
          if (saw == '_')
            return false;
          saw = '!';
        }
    }
  return saw != '_';
}

int
og_go_parse_int (const char *s0, int base, int64_t *out)
{
  const char *s = s0;
  bool neg = false, base0 = base == 0, underscores = false;
  uint64_t n = 0, limit;

  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  if (*s == '\0')
    return -1;
  if (base0)
    {
      base = 10;
      if (s[0] == '0')
        {
          size_t len = strlen (s);
          if (len >= 3 && (s[1] == 'b' || s[1] == 'B'))
            base = 2, s += 2;
          else if (len >= 3 && (s[1] == 'o' || s[1] == 'O'))
            base = 8, s += 2;
          else if (len >= 3 && (s[1] == 'x' || s[1] == 'X'))
            base = 16, s += 2;
          else
            base = 8, s += 1;
        }
    }
  limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; *s; s++)
    {
      int d;
      if (*s == '_' && base0)
        {
          underscores = true;
          continue;
        }
      if (isdigit ((unsigned char)*s))
        d = *s - '0';
      else if (isxdigit ((unsigned char)*s))
        d = tolower ((unsigned char)*s) - 'a' + 10;
      else
        return -1;
      if (d >= base || n > (limit - (uint64_t)d) / (uint64_t)base)
        return -1;
      n = n * (uint64_t)base + (uint64_t)d;
    }
  if (underscores && !go_underscores_ok (s0))
    return -1;
  *out = neg ? (int64_t)(0 - n) : (int64_t)n;
  return 0;
}

int
og_go_parse_bool (const char *s, bool *out)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False", NULL };

  if (s == NULL)
    return -1;
  if (og_strv_contains ((char *const *)yes, s))
    *out = true;
  else if (og_strv_contains ((char *const *)no, s))
    *out = false;
  else
    return -1;
  return 0;
}

bool
og_container_id_valid (const char *id)
{
  size_t n = 0;

  if (id == NULL)
    return false;
  for (const char *p = id; *p; p++, n++)
    if (!isalnum ((unsigned char)*p) && !strchr ("_+,-.", *p))
      return false;
  return n > 0 && n <= NAME_MAX && strcmp (id, ".") != 0 && strcmp (id, "..") != 0;
}

bool
og_same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

bool
og_same_file_path (const char *a, const char *b)
{
  struct stat sa, sb;

  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && og_same_file (&sa, &sb);
}

bool
og_path_under (const char *path, const char *dir)
{
  size_t n;

  if (dir[0] == '/' && dir[1] == '\0')
    return path[0] == '/';
  n = strlen (dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  /* the first two bytes first: the mounts rule asks this of every mount
   * point of the host for every source, and most differ there */
  if (n >= 2 && (path[0] != dir[0] || path[1] != dir[1]))
    return false;
  return strncmp (path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int
og_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= (size_t)w;
    }
  return 0;
}

/* "/proc/self/fd/N" for a descriptor (>= 0) into link[32], without printf:
 * every path the mounts rule resolves (forty a create) goes through it. */
static void
fd_link (char link[32], int fd)
{
  static const char prefix[] = "/proc/self/fd/";
  char digits[12];
  size_t n = 0;
  unsigned v = (unsigned)fd;

  do
    digits[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  memcpy (link, prefix, sizeof prefix - 1);
  for (size_t k = 0; k < n; k++)
    link[sizeof prefix - 1 + k] = digits[n - 1 - k];
  link[sizeof prefix - 1 + n] = '\0';
}

char *
og_realpath (const char *path)
{
  static const char deleted[] = " (deleted)";
  char link[32], buf[PATH_MAX];
  ssize_t n;
  int fd;

  fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  fd_link (link, fd);
  n = readlink (link, buf, sizeof buf);
  close (fd);
  /* unreachable from our root, renamed away meanwhile, or no /proc */
  if (n <= 0 || (size_t)n >= sizeof buf || buf[0] != '/'
      || ((size_t)n >= sizeof deleted - 1 && memcmp (buf + n - (sizeof deleted - 1), deleted, sizeof deleted - 1) == 0))
    return realpath (path, NULL);
  buf[n] = '\0';
  return og_xstrdup (buf);
}

int
og_mkdir_p (const char *path, mode_t parents, mode_t mode)
{
  og_cleanup_free char *parent = NULL;
  char *slash;

  if (mkdir (path, mode) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return -1;
  /* only the missing ancestors: up from the path, not down from the root */
  parent = og_xstrdup (path);
  slash = strrchr (parent, '/');
  if (slash == NULL || slash == parent)
    return -1;
  *slash = '\0';
  if (og_mkdir_p (parent, parents, parents) < 0)
    return -1;
  return mkdir (path, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (the civil-from-days
 * algorithm: eras of 400 years, March-based years). */
static void
civil_from_days (int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
  int64_t era;
  unsigned doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void
og_format_utc (int64_t t, char buf[OG_UTC_LEN])
{
  int64_t days = t / 86400, secs = t % 86400, y;
  unsigned m, d;

  if (secs < 0)
    {
      secs += 86400;
      days--;
    }
  civil_from_days (days, &y, &m, &d);
  snprintf (buf, OG_UTC_LEN, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d, (unsigned)(secs / 3600),
            (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

char *
og_realpath_open (const char *path, int *fd)
{
  char link[32], buf[PATH_MAX];
  char *resolved;
  struct stat a, b;
  ssize_t n;
  int again;

  *fd = open (path, O_PATH | O_CLOEXEC);
  if (*fd < 0)
    return NULL;
  fd_link (link, *fd);
  n = readlink (link, buf, sizeof buf);
  if (n > 0 && (size_t)n < sizeof buf && buf[0] == '/')
    {
      buf[n] = '\0';
      /* the name the descriptor has now; a deleted object has none */
      if (fstat (*fd, &a) == 0 && a.st_nlink > 0 && lstat (buf, &b) == 0 && og_same_file (&a, &b))
        return og_xstrdup (buf);
    }
  /* no /proc (or a name that no longer leads to it): the path realpath(3)
   * gives, if it still names what was opened */
  resolved = realpath (path, NULL);
  again = resolved ? open (resolved, O_PATH | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (again >= 0 && fstat (*fd, &a) == 0 && fstat (again, &b) == 0 && og_same_file (&a, &b))
    {
      close (again);
      return resolved;
    }
  if (again >= 0)
    close (again);
  free (resolved);
  close (*fd);
  *fd = -1;
  errno = EAGAIN;
  return NULL;
}

ssize_t
og_read_short (const char *path, char *buf, size_t size)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  ssize_t n;

  if (fd < 0 || size == 0)
    return -1;
  n = read (fd, buf, size - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return n;
}

/* A first buffer this large, doubled as needed: a small file costs one
 * read, a large one a few reallocs (which glibc does with mremap). */
#define OG_READ_FIRST (64 * 1024)

int
og_read_fd_bounded (int fd, size_t max, char **out, size_t *len)
{
  og_cleanup_free char *buf = NULL;
  size_t off = 0, cap = 0;

  if (max > SIZE_MAX / 4) /* no allocation gets that far; cap * 2 stays exact */
    max = SIZE_MAX / 4;
  for (;;)
    {
      ssize_t r;
      if (off == cap)
        {
          if (cap > max)
            {
              errno = EFBIG;
              return -1;
            }
          /* one byte more than max is room enough to see a file that is too large */
          cap = cap == 0 ? (max < OG_READ_FIRST ? max : OG_READ_FIRST) + 1 : cap * 2;
          if (cap > max + 1)
            cap = max + 1;
          buf = og_xrealloc (buf, cap + 1);
        }
      r = read (fd, buf + off, cap - off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      off += (size_t)r;
    }
  buf[off] = '\0';
  *len = off;
  *out = og_steal_pointer (&buf);
  return 0;
}

bool
og_path_normalized (const char *p)
{
  if (p == NULL || p[0] != '/' || p[1] == '\0')
    return false;
  for (const char *c = p + 1;;)
    {
      size_t n = strcspn (c, "/");
      if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        return false;
      if (c[n] == '\0')
        return true;
      c += n + 1;
    }
}
