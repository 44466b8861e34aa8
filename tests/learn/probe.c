#define _GNU_SOURCE
/* Calls syscalls nginx never makes and says what the kernel answered. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void
report (const char *name, long r)
{
  printf ("%s: %s\n", name, r == 0 ? "ok" : strerror (errno));
}

int
main (void)
{
  report ("chroot", syscall (SYS_chroot, "/"));
  report ("unshare", syscall (SYS_unshare, CLONE_NEWUTS));
  return 0;
}
