/* SPDX-License-Identifier: Apache-2.0 */
/* The container's process, pinned by its /proc directory.  The pid in the
 * runtime's state could, in principle, be reused between the runtime
 * writing it and the hook reading it; the directory descriptor keeps
 * naming the process that was opened (reads through it fail with ESRCH
 * once that process is gone), and its start time is compared at the end
 * so a process that died meanwhile is never taken for verified. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "verify.h"

int
verify_stat_starttime (const char *stat, uint64_t *out)
{
  /* comm is between the first '(' and the LAST ')': a process may name
   * itself ") 0 0 ..." to shift the fields a naive split reads */
  const char *p = strrchr (stat, ')');
  int field = 2;

  if (p == NULL)
    return -1;
  p++;
  while (*p && field < 22)
    {
      while (*p == ' ')
        p++;
      field++;
      if (field == 22)
        break;
      while (*p && *p != ' ')
        p++;
    }
  if (field != 22 || *p < '0' || *p > '9')
    return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull (p, &end, 10);
  if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
    return -1;
  *out = v;
  return 0;
}

static int
read_start (const struct verify_proc *p, uint64_t *start, struct og_error *err)
{
  og_cleanup_free char *stat = NULL;
  size_t len;

  if (verify_proc_read (p, "stat", 4096, &stat, &len, err) < 0)
    return -1;
  if (verify_stat_starttime (stat, start) < 0)
    return og_error_set (err, 0, "/proc/%d/stat: no start time in field 22", (int)p->pid);
  return 0;
}

int
verify_proc_open (pid_t pid, struct verify_proc *p, struct og_error *err)
{
  char path[64];

  p->pid = pid;
  snprintf (path, sizeof path, "/proc/%d", (int)pid);
  p->dir = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (p->dir < 0)
    return og_error_set (err, errno, "cannot open %s", path);
  return read_start (p, &p->start, err);
}

void
verify_proc_close (struct verify_proc *p)
{
  if (p->dir >= 0)
    close (p->dir);
  p->dir = -1;
}

int
verify_proc_read (const struct verify_proc *p, const char *name, size_t max, char **out, size_t *len,
                  struct og_error *err)
{
  og_cleanup_close int fd = openat (p->dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  og_cleanup_free char *buf = NULL;
  size_t n = 0, cap = 4096;

  if (fd < 0)
    return og_error_set (err, errno, "cannot open /proc/%d/%s", (int)p->pid, name);
  buf = og_xmalloc (cap + 1);
  for (;;)
    {
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return og_error_set (err, errno, "cannot read /proc/%d/%s", (int)p->pid, name);
      if (r == 0)
        break;
      n += (size_t)r;
      if (n == cap)
        {
          if (cap >= max)
            return og_error_set (err, 0, "/proc/%d/%s is larger than %zu bytes", (int)p->pid, name, max);
          cap = cap * 2 > max ? max : cap * 2;
          buf = og_xrealloc (buf, cap + 1);
        }
    }
  buf[n] = '\0';
  *len = n;
  *out = og_steal_pointer (&buf);
  return 0;
}

int
verify_proc_same (const struct verify_proc *p, struct og_error *err)
{
  uint64_t now;

  if (read_start (p, &now, err) < 0)
    return og_error_wrap (err, "process %d is gone", (int)p->pid);
  if (now != p->start)
    return og_error_set (err, 0, "process %d changed (start time %" PRIu64 ", now %" PRIu64 ")", (int)p->pid, p->start,
                         now);
  return 0;
}
