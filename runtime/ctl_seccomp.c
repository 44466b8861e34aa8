/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigatectl seccomp learn: a minimal seccomp profile from what a container
 * did.  The container runs with the learning profile (policy seccomp.learn:
 * every syscall allowed and logged), so the kernel emits one SECCOMP record
 * (type 1326) per syscall.  They are read from the NETLINK_AUDIT multicast
 * group (CAP_AUDIT_READ; no auditd or audit rule needed), or from /dev/kmsg
 * when that group cannot be joined (the kernel prints audit records there
 * while audit is on and no auditd runs).  A record names a host pid: it
 * counts when that process is in the container's pid namespace, looked up
 * as the record arrives.  Numbers become names per architecture with
 * libseccomp; the profile allows exactly those (plus what runc itself calls
 * between installing the filter and exec) and answers EPERM to the rest.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "ctl.h"

#define RUNC_ROOT_DEFAULT "/run/runc"
#define BUF_SIZE 16384

/* What the runtime itself calls between installing the filter and the
 * execve of the container's process, so the workload still starts under
 * a runtime other than the one observed.  Observed (records of comm
 * "runc:[2:INIT]" in a learning run, runc 1.1.5, no_new_privileges set so
 * the filter comes last): it closes its descriptors by listing
 * /proc/self/fd (openat, fstatfs, getdents64, close), writes to the sync
 * pipe, checks its pid, waits on the exec fifo (epoll_ctl) and execs.  The
 * rest is what Go's runtime may call from any thread at any time
 * (scheduling, signals, memory), and close_range/fcntl that newer runc
 * use to mark descriptors close-on-exec. */
static const char *const runtime_needs[] = {
  "close",       "close_range", "epoll_ctl",  "epoll_pwait", "execve", "exit",         "exit_group",     "fcntl",
  "fstat",       "fstatfs",     "futex",      "getdents64",  "getpid", "gettid",       "madvise",        "mmap",
  "munmap",      "nanosleep",   "newfstatat", "openat",      "read",   "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
  "sched_yield", "sigaltstack", "tgkill",     "write",       NULL
};

/* OCI's names of the architectures libseccomp knows by their AUDIT_ARCH
 * value (a SECCOMP record's arch= field). */
static const struct
{
  uint32_t token;
  const char *name;
} arches[] = {
  { SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64" }, { SCMP_ARCH_X86, "SCMP_ARCH_X86" },
  { SCMP_ARCH_X32, "SCMP_ARCH_X32" },       { SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64" },
  { SCMP_ARCH_ARM, "SCMP_ARCH_ARM" },       { SCMP_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE" },
  { SCMP_ARCH_S390X, "SCMP_ARCH_S390X" },   { SCMP_ARCH_RISCV64, "SCMP_ARCH_RISCV64" },
};

/* One syscall seen from one pid namespace. */
struct seen
{
  uint64_t pidns;
  uint32_t arch;
  int nr;
};

struct learn
{
  /* options */
  const char *id, *root, *output;
  pid_t pid;
  double seconds;
  /* the container */
  uint64_t pidns; /* 0 until known */
  pid_t init;
  /* what was read */
  struct seen *seen;
  size_t n_seen, cap_seen;
  unsigned long records, gone, lost;
  const char *source;
};

/* ---- the records ---------------------------------------------------------- */

/* The value of ` key=` in an audit record's text. */
static const char *
field (const char *text, const char *key)
{
  size_t klen = strlen (key);

  for (const char *p = strstr (text, key); p; p = strstr (p + 1, key))
    if ((p == text || p[-1] == ' ') && p[klen] == '=')
      return p + klen + 1;
  return NULL;
}

static uint64_t
pidns_of (pid_t pid)
{
  char path[64];
  struct stat st;

  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int)pid);
  return stat (path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static void
remember (struct learn *l, uint64_t ns, uint32_t arch, int nr)
{
  for (size_t i = 0; i < l->n_seen; i++)
    if (l->seen[i].pidns == ns && l->seen[i].arch == arch && l->seen[i].nr == nr)
      return;
  if (l->n_seen == l->cap_seen)
    {
      l->cap_seen = l->cap_seen ? l->cap_seen * 2 : 64;
      l->seen = og_xrealloc (l->seen, l->cap_seen * sizeof *l->seen);
    }
  l->seen[l->n_seen++] = (struct seen){ ns, arch, nr };
}

/* One SECCOMP record's text ("audit(...): auid=... pid=N ... arch=HEX
 * syscall=N ..."): the process's pid namespace is looked up now, while it
 * still runs. */
static void
take_record (struct learn *l, const char *text)
{
  const char *pid = field (text, "pid"), *arch = field (text, "arch"), *nr = field (text, "syscall");
  uint64_t ns;

  if (pid == NULL || arch == NULL || nr == NULL)
    return;
  l->records++;
  ns = pidns_of ((pid_t)strtol (pid, NULL, 10));
  if (ns == 0)
    {
      l->gone++;
      return;
    }
  remember (l, ns, (uint32_t)strtoul (arch, NULL, 16), (int)strtol (nr, NULL, 10));
}

/* ---- the sources ---------------------------------------------------------- */

static int
open_multicast (struct mnl_socket **out, struct og_error *err)
{
  struct mnl_socket *nl = mnl_socket_open2 (NETLINK_AUDIT, SOCK_CLOEXEC);
  int size = 4 << 20;

  if (nl == NULL)
    return og_error_set (err, errno, "cannot open a kernel audit socket");
  /* a burst of records must not overflow the socket before it is read */
  setsockopt (mnl_socket_get_fd (nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  if (mnl_socket_bind (nl, 1 << (AUDIT_NLGRP_READLOG - 1), MNL_SOCKET_AUTOPID) < 0)
    {
      og_error_set (err, errno, "cannot join the kernel audit multicast group (needs CAP_AUDIT_READ)");
      mnl_socket_close (nl);
      return -1;
    }
  *out = nl;
  return 0;
}

/* Everything queued: one record per datagram.  A full socket buffer drops
 * records (ENOBUFS): counted, since the profile may then miss a call. */
static void
read_multicast (struct learn *l, struct mnl_socket *nl)
{
  char buf[BUF_SIZE] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  ssize_t n;

  while ((n = recv (mnl_socket_get_fd (nl), buf, sizeof buf, MSG_DONTWAIT)) > 0 || (n < 0 && errno == ENOBUFS))
    {
      const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
      int left = (int)n;

      if (n < 0)
        {
          l->lost++;
          continue;
        }
      for (; mnl_nlmsg_ok (nlh, left); nlh = mnl_nlmsg_next (nlh, &left))
        if (nlh->nlmsg_type == AUDIT_SECCOMP)
          {
            og_cleanup_free char *text = og_xstrndup (mnl_nlmsg_get_payload (nlh), mnl_nlmsg_get_payload_len (nlh));
            take_record (l, text);
          }
    }
}

/* /dev/kmsg from now on: one record per read, "prio,seq,usec,flags;text". */
static int
open_kmsg (struct og_error *err)
{
  int fd = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    return og_error_set (err, errno, "cannot read /dev/kmsg");
  lseek (fd, 0, SEEK_END);
  return fd;
}

static void
read_kmsg (struct learn *l, int fd)
{
  char buf[BUF_SIZE];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf - 1)) > 0 || (n < 0 && errno == EPIPE))
    {
      const char *text;
      if (n < 0)
        continue; /* overwritten before it was read: go on with the next */
      buf[n] = '\0';
      text = strchr (buf, ';');
      if (text && strstr (text, "audit: type=1326 "))
        take_record (l, text);
    }
}

/* ---- the container -------------------------------------------------------- */

/* runc's state.json: the container's init pid, once it exists. */
static pid_t
runc_init_pid (const struct learn *l)
{
  og_cleanup_free char *path = og_xasprintf ("%s/%s/state.json", l->root, l->id);
  og_cleanup_free char *data = NULL;
  og_cleanup_json struct og_json *state = NULL;
  struct og_json_opts opts = { .max_size = 16 << 20, .max_depth = 64 };
  struct og_error err = { 0 };
  const struct og_json *pid;
  int64_t v = 0;
  size_t len;

  if (ctl_read_regular (path, 16 << 20, &data, &len, &err) < 0 || og_json_parse (data, len, &opts, &state, &err) < 0)
    {
      og_error_clear (&err);
      return 0;
    }
  pid = og_json_get (state, "init_process_pid");
  return pid && og_json_int64 (pid, &v) == 0 && v > 0 ? (pid_t)v : 0;
}

/* Learn the container's pid namespace once its init runs.  One shared
 * with ocigatectl's (the host's) cannot tell the container's records from
 * anyone else's: refused. */
static int
find_container (struct learn *l, struct og_error *err)
{
  pid_t pid = l->pid ? l->pid : runc_init_pid (l);

  if (pid == 0 || l->pidns)
    return 0;
  l->init = pid;
  l->pidns = pidns_of (pid);
  if (l->pidns == 0)
    return og_error_set (err, errno, "cannot read the pid namespace of the container's process %d", (int)pid);
  if (l->pidns == pidns_of (getpid ()))
    return og_error_set (err, 0,
                         "the container's process %d shares this pid namespace: its records cannot be told apart "
                         "from the host's (learn needs a container with its own pid namespace)",
                         (int)pid);
  return 0;
}

static bool
container_exited (const struct learn *l)
{
  return l->init && kill (l->init, 0) < 0 && errno == ESRCH;
}

/* ---- the profile ---------------------------------------------------------- */

static const char *
arch_name (uint32_t token)
{
  for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
    if (arches[i].token == token)
      return arches[i].name;
  return NULL;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
add_name (char ***names, size_t *n, const char *name)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp ((*names)[i], name) == 0)
      return;
  *names = og_xrealloc (*names, (*n + 2) * sizeof **names);
  (*names)[(*n)++] = og_xstrdup (name);
  (*names)[*n] = NULL;
}

/* The syscalls the container made, by name, sorted; its architectures. */
static int
names_seen (const struct learn *l, char ***names, size_t *n, struct og_json *archs, struct og_error *err)
{
  for (size_t i = 0; i < l->n_seen; i++)
    {
      const struct seen *s = &l->seen[i];
      const char *arch = arch_name (s->arch);
      char *name;

      if (s->pidns != l->pidns)
        continue;
      if (arch == NULL)
        return og_error_set (
            err, 0, "a record of an architecture libseccomp does not know (AUDIT_ARCH 0x%08" PRIx32 ")", s->arch);
      name = seccomp_syscall_resolve_num_arch (s->arch, s->nr);
      if (name == NULL)
        return og_error_set (err, 0, "syscall %d of %s has no name in libseccomp %u.%u", s->nr, arch,
                             seccomp_version ()->major, seccomp_version ()->minor);
      add_name (names, n, name);
      free (name);
      if (!og_json_array_has_string (archs, arch))
        og_json_append (archs, og_json_new_string (arch));
    }
  return 0;
}

static int
write_profile (const struct learn *l, size_t *count, struct og_error *err)
{
  og_cleanup_json struct og_json *prof = og_json_new (OG_JSON_OBJECT);
  struct og_json *archs = og_json_new (OG_JSON_ARRAY), *rule, *list, *rules;
  og_cleanup_strv char **names = NULL;
  og_cleanup_free char *out = NULL;
  og_cleanup_close int fd = -1;
  size_t n = 0, len;

  og_json_set (prof, "defaultAction", og_json_new_string ("SCMP_ACT_ERRNO"));
  og_json_set (prof, "defaultErrnoRet", og_json_new_number (EPERM));
  og_json_set (prof, "architectures", archs);
  if (names_seen (l, &names, &n, archs, err) < 0)
    return -1;
  if (n == 0)
    return og_error_set (err, 0,
                         "no SECCOMP record of the container was read (is it running with the learning "
                         "profile, policy seccomp.learn?)");
  for (const char *const *r = runtime_needs; *r; r++)
    add_name (&names, &n, *r);
  qsort (names, n, sizeof *names, cmp_str);
  list = og_json_new (OG_JSON_ARRAY);
  for (size_t i = 0; i < n; i++)
    og_json_append (list, og_json_new_string (names[i]));
  rule = og_json_new (OG_JSON_OBJECT);
  og_json_set (rule, "names", list);
  og_json_set (rule, "action", og_json_new_string ("SCMP_ACT_ALLOW"));
  rules = og_json_new (OG_JSON_ARRAY);
  og_json_append (rules, rule);
  og_json_set (prof, "syscalls", rules);
  if (og_json_write (prof, true, &out, &len, err) < 0)
    return -1;
  fd = l->output ? open (l->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644) : dup (STDOUT_FILENO);
  if (fd < 0 || og_write_all (fd, out, len) < 0 || og_write_all (fd, "\n", 1) < 0)
    return og_error_set (err, errno, "cannot write %s", l->output ? l->output : "the profile");
  *count = n;
  return 0;
}

/* ---- the command ---------------------------------------------------------- */

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read records until the window ends or the container's init exits (and
 * what it left in flight is read). */
static int
collect (struct learn *l, struct mnl_socket *nl, int kmsg, struct og_error *err)
{
  struct pollfd pfd = { .fd = nl ? mnl_socket_get_fd (nl) : kmsg, .events = POLLIN };
  double end = now () + l->seconds, exited = 0;

  for (double t = now (); t < end && (exited == 0 || t < exited + 0.2); t = now ())
    {
      if (poll (&pfd, 1, 50) < 0 && errno != EINTR)
        return og_error_set (err, errno, "cannot wait for audit records");
      if (nl)
        read_multicast (l, nl);
      else
        read_kmsg (l, kmsg);
      if (find_container (l, err) < 0)
        return -1;
      if (exited == 0 && container_exited (l))
        exited = now ();
    }
  if (l->pidns == 0)
    return og_error_set (err, 0, "container %s did not start within %g s", l->id ? l->id : "?", l->seconds);
  return 0;
}

static int
usage_learn (void)
{
  fprintf (stderr, "usage: ocigatectl seccomp learn (--id ID [--root DIR] | --pid PID) [--timeout SECONDS]\n"
                   "                                [--output FILE]\n");
  return CTL_EXIT_ERROR;
}

static int
cmd_learn (int argc, char **argv)
{
  static const struct option opts[] = {
    { "id", required_argument, NULL, 'i' },     { "root", required_argument, NULL, 'r' },
    { "pid", required_argument, NULL, 'p' },    { "timeout", required_argument, NULL, 't' },
    { "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
  };
  struct learn l = { .root = RUNC_ROOT_DEFAULT, .seconds = 60 };
  __attribute__ ((cleanup (og_freep))) struct seen *seen = NULL;
  struct mnl_socket *nl = NULL;
  struct og_error err = { 0 }, why = { 0 };
  og_cleanup_close int kmsg = -1;
  size_t count = 0;
  int c, rc;

  while ((c = getopt_long (argc, argv, "i:r:p:t:o:", opts, NULL)) != -1)
    switch (c)
      {
        case 'i':
          l.id = optarg;
          break;
        case 'r':
          l.root = optarg;
          break;
        case 'p':
          l.pid = (pid_t)atoi (optarg);
          break;
        case 't':
          l.seconds = atof (optarg);
          break;
        case 'o':
          l.output = optarg;
          break;
        default:
          return usage_learn ();
      }
  if (optind != argc || (l.id == NULL) == (l.pid <= 0) || l.seconds <= 0)
    return usage_learn ();
  l.source = "audit multicast";
  if (open_multicast (&nl, &why) < 0)
    {
      fprintf (stderr, "ocigatectl: %s; reading /dev/kmsg instead (needs kernel audit on, no auditd)\n", why.msg);
      og_error_clear (&why);
      l.source = "/dev/kmsg";
      if ((kmsg = open_kmsg (&err)) < 0)
        return ctl_fail (&err);
    }
  /* the caller may start the container now */
  fprintf (stderr, "ocigatectl: learning from %s\n", l.source);
  rc = collect (&l, nl, kmsg, &err);
  seen = l.seen;
  if (nl)
    mnl_socket_close (nl);
  if (rc < 0 || write_profile (&l, &count, &err) < 0)
    return ctl_fail (&err);
  fprintf (stderr,
           "ocigatectl: %zu syscalls allowed, from %lu SECCOMP records (%s); %lu from processes gone before "
           "they could be attributed\n",
           count, l.records, l.source, l.gone);
  if (l.lost)
    fprintf (stderr,
             "ocigatectl: warning: records were lost %lu times (socket buffer full): the profile may miss "
             "calls; learn again\n",
             l.lost);
  return CTL_EXIT_ALLOWED;
}

int
ctl_seccomp (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "learn") == 0)
    return cmd_learn (argc - 1, argv + 1);
  return usage_learn ();
}
