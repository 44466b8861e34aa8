/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/verify-target ROOT: what `ocigate-hook createRuntime|poststart`
 * checks in the bench, a process set up as runc sets up Docker's default
 * container.  bench/driver starts it in new user, mount, network, uts, pid
 * and ipc namespaces (0 mapped to 1000000, 65536 ids) and puts it in the
 * cgroups; here it makes ROOT its read-only root, keeps Docker's ten
 * default capabilities, sets no_new_privs and loads a seccomp filter, so
 * every check of the hook's default arguments passes.  It writes one byte
 * to stdout when ready, then waits to be killed.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Docker's defaults, as the rewritten config lists them */
static const int keep[] = { CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,     CAP_SETGID,
                            CAP_SETUID, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL };

static void __attribute__ ((noreturn)) fail (const char *what)
{
  perror (what);
  exit (1);
}

/* ROOT bound on itself read-only (keeping the flags a user namespace may
 * not clear), then the process's root. */
static void
readonly_root (const char *root)
{
  struct statvfs sv;
  unsigned long locked = 0;

  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    fail ("make the mounts private");
  if (mount (root, root, NULL, MS_BIND, NULL) < 0 || statvfs (root, &sv) < 0)
    fail ("bind the root");
  locked |= (sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0;
  locked |= (sv.f_flag & ST_NODEV) ? MS_NODEV : 0;
  locked |= (sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0;
  if (mount (NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked, NULL) < 0)
    fail ("remount the root read-only");
  if (chdir (root) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    fail ("chroot");
}

static void
capabilities (void)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct d[2] = { 0 };

  for (int c = 0; c <= CAP_LAST_CAP; c++)
    {
      int kept = 0;
      for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        kept |= keep[i] == c;
      if (!kept && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
        fail ("drop a bounding capability");
    }
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
    d[keep[i] / 32].effective = d[keep[i] / 32].permitted |= 1u << (keep[i] % 32);
  if (syscall (SYS_capset, &h, d) < 0)
    fail ("capset");
}

int
main (int argc, char **argv)
{
  struct sock_filter allow = BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = { .len = 1, .filter = &allow };

  if (argc != 2)
    {
      fputs ("usage: verify-target ROOT\n", stderr);
      return 2;
    }
  readonly_root (argv[1]);
  capabilities ();
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
    fail ("no_new_privs and seccomp");
  if (write (STDOUT_FILENO, "r", 1) != 1)
    fail ("ready");
  for (;;)
    pause ();
}
