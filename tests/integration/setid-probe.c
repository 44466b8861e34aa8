/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Built static by tests/integration/seccomp.bats and run inside a
 * container: tries each way to give a file in DIR S_ISUID/S_ISGID and
 * prints "NAME: ok" or "NAME: <errno name>", one line each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

static void
report (const char *name, long r)
{
  printf ("%s: %s\n", name, r < 0 ? strerrorname_np (errno) : "ok");
}

/* The i386 ABI from a 64-bit process (int $0x80: the kernel's compat
 * table, seccomp's AUDIT_ARCH_I386): chmod is 15 there.  Last, since a
 * profile without SCMP_ARCH_X86 kills the process. */
static long
chmod_i386 (const char *p, unsigned mode)
{
#if defined(__x86_64__)
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(15), "b"(p), "c"(mode) : "memory");
  if (r < 0)
    {
      errno = (int)-r;
      return -1;
    }
  return r;
#else
  (void)p;
  (void)mode;
  errno = ENOSYS;
  return -1;
#endif
}

static const char *
path (const char *dir, const char *name)
{
  static char buf[4096];
  snprintf (buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

int
main (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "/v";
  struct
  {
    unsigned long long flags, mode, resolve;
  } how = { O_CREAT | O_WRONLY, 04755, 0 };
  long params[32] = { 0 };
  int fd;

  fd = open (path (dir, "plain"), O_CREAT | O_WRONLY, 0644);
  report ("open-0644", fd);
  report ("chmod-0755", chmod (path (dir, "plain"), 0755));
  report ("chmod-4755", chmod (path (dir, "plain"), 04755));
  report ("chmod-2755", chmod (path (dir, "plain"), 02755));
  report ("fchmod-4755", fd < 0 ? -1 : fchmod (fd, 04755));
  report ("fchmodat-6755", fchmodat (AT_FDCWD, path (dir, "plain"), 06755, 0));
  report ("fchmodat2-4755", syscall (SYS_fchmodat2, AT_FDCWD, path (dir, "plain"), 04755, 0));
  /* bits above the 16 the kernel keeps must not hide the setuid bit */
  report ("chmod-high-4755", syscall (SYS_chmod, path (dir, "plain"), (1ULL << 32) | 04755));
  report ("open-creat-4755", open (path (dir, "o"), O_CREAT | O_WRONLY, 04755));
  report ("openat-creat-2755", openat (AT_FDCWD, path (dir, "oa"), O_CREAT | O_WRONLY, 02755));
  report ("creat-4755", creat (path (dir, "c"), 04755));
  report ("mknod-4755", mknod (path (dir, "n"), S_IFREG | 04755, 0));
  report ("mknodat-2755", mknodat (AT_FDCWD, path (dir, "na"), S_IFREG | 02755, 0));
  report ("openat2", syscall (SYS_openat2, AT_FDCWD, path (dir, "o2"), &how, sizeof how));
  report ("io_uring_setup", syscall (SYS_io_uring_setup, 4, params));
  {
    /* what setcap writes: VFS_CAP_REVISION_2, effective, CAP_NET_RAW */
    static const unsigned char cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x20 };
    report ("setfcap", setxattr (path (dir, "plain"), "security.capability", cap, sizeof cap, 0));
  }
  fflush (stdout);
  report ("chmod-i386-4755", chmod_i386 (path (dir, "plain"), 04755));
  return 0;
}
