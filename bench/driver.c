/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/driver: paired wall-time, CPU-time and peak-RSS measurement of two
 * commands (`make bench`, see bench/README.md).
 *
 *   driver [options] -- CMD_A [ARGS...] [--vs CMD_B [ARGS...]]
 *
 * Each command is fork/exec'd N times, the two alternating (A B, B A, A B,
 * ...), so the drift of a shared, noisy machine hits both alike.  Before
 * every run the files given with -r are restored (untimed); after every run
 * the -c shell command runs (untimed).  One run is the time from just before
 * fork() to the return of wait4(), from CLOCK_MONOTONIC, plus what wait4()
 * reports of the child: CPU time (user + system), minor page faults and
 * ru_maxrss (the kernel's high-water RSS over all the child's execs: for
 * ocigate, the larger of ocigate itself and the runtime it execs).  Build
 * the driver static: a forked child starts with a copy of the driver's
 * resident memory, which counts in its peak RSS.
 *
 * Options:
 *   -n N          measured runs per command (default 21)
 *   -w N          warm-up runs per command, not recorded (default 2)
 *   -r SRC:DST    copy SRC over DST before every run (repeatable)
 *   -i FILE       the child's stdin (reopened for every run; default /dev/null)
 *   -l FILE       append the children's stdout and stderr here (default /dev/null)
 *   -c CMD        /bin/sh -c CMD after every run (cleanup), untimed
 *   -x CODE       exit status expected of A (default 0); B must exit 0
 *   -o FILE       every run as "label run wall_ns cpu_ns minflt maxrss_kb" (tabs)
 *   -p PROG:ROOT  before the runs, start PROG ROOT as the driver's own child
 *                 in new user (ids mapped by -m), mount, network,
 *                 uts, pid and ipc namespaces, as a runtime starts a
 *                 container's init, and wait for its one byte on stdout;
 *                 killed at the end.  For ocigate-hook createRuntime, which
 *                 checks that the process is its parent's child.
 *   -m MAP        its uid and gid map (default "0 1000000 65536")
 *   -g FILE       write that child's pid to FILE (cgroup.procs; repeatable)
 *   -s FILE       write a runtime state naming that child to FILE (then
 *                 give it as -i)
 *
 * Prints one JSON object:
 *   {"n":N,
 *    "a":{"median_ns":..,"min_ns":..,"max_ns":..,"mean_ns":..,"cpu_median_ns":..,
 *         "minflt_median":..,
 *         "rss_kb_median":..,"rss_kb_max":..},
 *    "b":{...},
 *    "diff_median_ns":..,            median(A) - median(B)
 *    "paired_diff_median_ns":..,     median of A_i - B_i (wall)
 *    "cpu_paired_diff_median_ns":..} median of A_i - B_i (user + sys)
 * CPU time is less sensitive than wall time to waiting for a CPU on a busy
 * machine.  (Its split into user and system time is not reported: for
 * processes shorter than a scheduler tick it is a guess of the kernel.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESTORE 8

struct restore
{
  const char *src, *dst;
};

struct sample
{
  int64_t wall, cpu, minflt, rss_kb;
};

struct arm
{
  char **argv;
  struct sample *s;
};

static struct restore restores[MAX_RESTORE];
static int nrestores;
static const char *stdin_path = "/dev/null";
static const char *log_path = "/dev/null";
static const char *cleanup_cmd;
static int expect_a;

static void __attribute__ ((noreturn, format (printf, 1, 2))) die (const char *fmt, ...)
{
  va_list ap;

  fputs ("driver: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (2);
}

static void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n, size);

  if (p == NULL)
    die ("out of memory");
  return p;
}

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
tv_ns (struct timeval tv)
{
  return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

/* Copy through the kernel where possible: no large buffer in the driver. */
static void
copy_file (const char *src, const char *dst)
{
  char buf[16384];
  struct stat st;
  int in = open (src, O_RDONLY | O_CLOEXEC);
  int out;
  off_t left;

  if (in < 0 || fstat (in, &st) < 0)
    die ("cannot open %s: %s", src, strerror (errno));
  unlink (dst);
  out = open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777);
  if (out < 0)
    die ("cannot create %s: %s", dst, strerror (errno));
  left = st.st_size;
  while (left > 0)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, (size_t)left, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
        {
          n = read (in, buf, sizeof buf);
          if (n > 0 && write (out, buf, (size_t)n) != n)
            die ("cannot write %s: %s", dst, strerror (errno));
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        die ("cannot copy %s to %s: %s", src, dst, n < 0 ? strerror (errno) : "short file");
      left -= n;
    }
  close (in);
  if (close (out) < 0)
    die ("cannot write %s: %s", dst, strerror (errno));
}

static void
redirect_output (void)
{
  int out = open (log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

  if (out < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0)
    _exit (126);
}

static int
run_shell (const char *cmd)
{
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    die ("fork: %s", strerror (errno));
  if (pid == 0)
    {
      redirect_output ();
      execl ("/bin/sh", "sh", "-c", cmd, (char *)NULL);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      die ("waitpid: %s", strerror (errno));
  return status;
}

/* One timed run; returns the wait status. */
static int
run_once (char **argv, struct sample *s)
{
  struct rusage ru;
  int status;
  int64_t t0, t1;
  pid_t pid;

  for (int i = 0; i < nrestores; i++)
    copy_file (restores[i].src, restores[i].dst);

  t0 = now_ns ();
  pid = fork ();
  if (pid < 0)
    die ("fork: %s", strerror (errno));
  if (pid == 0)
    {
      int in = open (stdin_path, O_RDONLY | O_CLOEXEC);
      if (in < 0 || dup2 (in, 0) < 0)
        _exit (126);
      redirect_output ();
      execvp (argv[0], argv);
      dprintf (2, "driver: cannot execute %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  while (wait4 (pid, &status, 0, &ru) < 0)
    if (errno != EINTR)
      die ("wait4: %s", strerror (errno));
  t1 = now_ns ();
  *s = (struct sample){
    .wall = t1 - t0, .cpu = tv_ns (ru.ru_utime) + tv_ns (ru.ru_stime), .minflt = ru.ru_minflt, .rss_kb = ru.ru_maxrss
  };

  if (cleanup_cmd)
    {
      int st = run_shell (cleanup_cmd);
      if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
        die ("cleanup command failed (status %d): %s (output in %s)", st, cleanup_cmd, log_path);
    }
  return status;
}

static void
check_status (const char *label, char **argv, int status, int expected, int run)
{
  if (WIFEXITED (status) && WEXITSTATUS (status) == expected)
    return;
  if (WIFEXITED (status))
    die ("%s (%s) run %d exited with %d, expected %d (output in %s)", label, argv[0], run, WEXITSTATUS (status),
         expected, log_path);
  die ("%s (%s) run %d killed by signal %d (output in %s)", label, argv[0], run, WTERMSIG (status), log_path);
}

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Median of one field of n samples, or of the per-pair difference a - b. */
static int64_t
median (const struct sample *a, const struct sample *b, int n, size_t field)
{
  int64_t *v = xcalloc ((size_t)n, sizeof *v), m;

  for (int i = 0; i < n; i++)
    {
      v[i] = *(const int64_t *)((const char *)&a[i] + field);
      if (b)
        v[i] -= *(const int64_t *)((const char *)&b[i] + field);
    }
  qsort (v, (size_t)n, sizeof *v, cmp_i64);
  m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  free (v);
  return m;
}

static void
print_arm (const char *key, const struct arm *a, int n)
{
  int64_t min = a->s[0].wall, max = a->s[0].wall, sum = 0, rmax = 0;

  for (int i = 0; i < n; i++)
    {
      min = a->s[i].wall < min ? a->s[i].wall : min;
      max = a->s[i].wall > max ? a->s[i].wall : max;
      rmax = a->s[i].rss_kb > rmax ? a->s[i].rss_kb : rmax;
      sum += a->s[i].wall;
    }
  printf ("\"%s\":{\"median_ns\":%lld,\"min_ns\":%lld,\"max_ns\":%lld,\"mean_ns\":%lld,\"cpu_median_ns\":%lld,"
          "\"minflt_median\":%lld,"
          "\"rss_kb_median\":%lld,\"rss_kb_max\":%lld}",
          key, (long long)median (a->s, NULL, n, offsetof (struct sample, wall)), (long long)min, (long long)max,
          (long long)(sum / n), (long long)median (a->s, NULL, n, offsetof (struct sample, cpu)),
          (long long)median (a->s, NULL, n, offsetof (struct sample, minflt)),
          (long long)median (a->s, NULL, n, offsetof (struct sample, rss_kb)), (long long)rmax);
}

static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t)strlen (text) || close (fd) < 0)
    die ("cannot write %s: %s", path, strerror (errno));
}

#define MAX_CGROUPS 8

/* The -p child: cloned into new namespaces (a pid namespace takes a clone,
 * not unshare), held until its id maps are written, then PROG ROOT. */
static const char *target_map = "0 1000000 65536";

static pid_t
start_target (char *spec, const char *const *cgroups, int ncgroups, const char *state_path)
{
  const unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWIPC;
  char *colon = strchr (spec, ':'), path[64], buf[256];
  int go[2], ready[2];
  pid_t pid;

  if (colon == NULL)
    die ("-p takes PROG:ROOT");
  *colon = '\0';
  if (pipe2 (go, O_CLOEXEC) < 0 || pipe2 (ready, O_CLOEXEC) < 0)
    die ("pipe: %s", strerror (errno));
  pid = (pid_t)syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    die ("clone into new namespaces: %s", strerror (errno));
  if (pid == 0)
    {
      char c;
      /* root of the new user namespace, as a runtime's init becomes */
      if (read (go[0], &c, 1) != 1 || dup2 (ready[1], STDOUT_FILENO) < 0 || setgroups (0, NULL) < 0
          || setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        _exit (126);
      execl (spec, spec, colon + 1, (char *)NULL);
      _exit (127);
    }
  for (int i = 0; i < 2; i++)
    {
      snprintf (path, sizeof path, "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
      write_file (path, target_map);
    }
  snprintf (buf, sizeof buf, "%d\n", (int)pid);
  for (int i = 0; i < ncgroups; i++)
    write_file (cgroups[i], buf);
  close (ready[1]);
  if (write (go[1], "g", 1) != 1 || read (ready[0], buf, 1) != 1)
    die ("%s did not start", spec);
  close (go[0]), close (go[1]), close (ready[0]);
  if (state_path)
    {
      snprintf (buf, sizeof buf,
                "{\"ociVersion\":\"1.0.2\",\"id\":\"bench0\",\"status\":\"creating\",\"pid\":%d,\"bundle\":\"/\"}\n",
                (int)pid);
      write_file (state_path, buf);
    }
  return pid;
}

static void __attribute__ ((noreturn)) usage (void)
{
  fputs ("usage: driver [-n N] [-w N] [-r SRC:DST]... [-i FILE] [-l FILE] [-c CMD] [-x CODE] [-o FILE]\n"
         "              [-p PROG:ROOT [-m MAP] [-g FILE]... [-s FILE]]\n"
         "              -- CMD_A [ARGS...] [--vs CMD_B [ARGS...]]\n",
         stderr);
  exit (2);
}

int
main (int argc, char **argv)
{
  struct arm a = { 0 }, b = { 0 };
  const char *raw_path = NULL;
  int n = 21, warm = 2, opt, vs = -1;
  FILE *raw = NULL;
  char *target = NULL;
  const char *cgroups[MAX_CGROUPS], *state_path = NULL;
  int ncgroups = 0;
  pid_t target_pid = 0;

  while ((opt = getopt (argc, argv, "+n:w:r:i:l:c:x:o:p:m:g:s:")) != -1)
    switch (opt)
      {
        case 'n':
          n = atoi (optarg);
          break;
        case 'w':
          warm = atoi (optarg);
          break;
        case 'r':
          {
            char *colon = strchr (optarg, ':');
            if (colon == NULL || nrestores == MAX_RESTORE)
              usage ();
            *colon = '\0';
            restores[nrestores++] = (struct restore){ optarg, colon + 1 };
            break;
          }
        case 'i':
          stdin_path = optarg;
          break;
        case 'l':
          log_path = optarg;
          break;
        case 'c':
          cleanup_cmd = optarg;
          break;
        case 'x':
          expect_a = atoi (optarg);
          break;
        case 'o':
          raw_path = optarg;
          break;
        case 'p':
          target = optarg;
          break;
        case 'm':
          target_map = optarg;
          break;
        case 'g':
          if (ncgroups == MAX_CGROUPS)
            usage ();
          cgroups[ncgroups++] = optarg;
          break;
        case 's':
          state_path = optarg;
          break;
        default:
          usage ();
      }
  if (n < 1 || warm < 0 || optind >= argc)
    usage ();
  for (int i = optind; i < argc; i++)
    if (strcmp (argv[i], "--vs") == 0)
      {
        vs = i;
        argv[i] = NULL;
        break;
      }
  if (vs == optind || vs == argc - 1)
    usage ();
  a.argv = &argv[optind];
  b.argv = vs > 0 ? &argv[vs + 1] : NULL;
  a.s = xcalloc ((size_t)n, sizeof *a.s);
  b.s = xcalloc ((size_t)n, sizeof *b.s);
  if (raw_path && (raw = fopen (raw_path, "w")) == NULL)
    die ("cannot create %s: %s", raw_path, strerror (errno));
  if (target)
    target_pid = start_target (target, cgroups, ncgroups, state_path);

  for (int i = -warm; i < n; i++)
    /* A B, then B A: neither command always runs right after the other. */
    for (int k = 0; k < 2; k++)
      {
        int is_a = (i & 1) ? k == 1 : k == 0;
        struct arm *arm = is_a ? &a : &b;
        struct sample s;

        if (!is_a && b.argv == NULL)
          continue;
        check_status (is_a ? "A" : "B", arm->argv, run_once (arm->argv, &s), is_a ? expect_a : 0, i);
        if (i < 0)
          continue;
        arm->s[i] = s;
        if (raw)
          fprintf (raw, "%s\t%d\t%lld\t%lld\t%lld\t%lld\n", is_a ? "A" : "B", i, (long long)s.wall, (long long)s.cpu,
                   (long long)s.minflt, (long long)s.rss_kb);
      }
  if (raw && fclose (raw) != 0)
    die ("cannot write %s", raw_path);
  if (target_pid > 0)
    {
      kill (target_pid, SIGKILL);
      waitpid (target_pid, NULL, 0);
    }

  printf ("{\"n\":%d,", n);
  print_arm ("a", &a, n);
  if (b.argv)
    {
      putchar (',');
      print_arm ("b", &b, n);
      printf (",\"diff_median_ns\":%lld,\"paired_diff_median_ns\":%lld,\"cpu_paired_diff_median_ns\":%lld",
              (long long)(median (a.s, NULL, n, offsetof (struct sample, wall))
                          - median (b.s, NULL, n, offsetof (struct sample, wall))),
              (long long)median (a.s, b.s, n, offsetof (struct sample, wall)),
              (long long)median (a.s, b.s, n, offsetof (struct sample, cpu)));
    }
  printf ("}\n");
  return 0;
}
