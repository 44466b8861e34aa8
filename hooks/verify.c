/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate-hook createRuntime | poststart: check the container's process
 * against what the rewritten config said (the hook's arguments).
 *
 * Nothing the container controls is trusted: the expectations come from
 * the config ocigate wrote, the process is read through /proc from the
 * host, pinned by its directory and start time, and with runc before the
 * container's own program has run (runc runs both stages while its init
 * waits; crun runs poststart after it started).  What cannot be read
 * counts as a mismatch.  In verify enforce a mismatch fails
 * the hook (runc then destroys the container) and the hook kills the
 * process itself too: the runtime-spec only asks a runtime to log a failed
 * poststart hook.
 */
#include <config.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hook.h"
#include "ocigate/util.h"
#include "verify.h"

#define STATE_MAX (1024u * 1024)

static int
read_state (struct og_json **out, struct og_error *err)
{
  const struct og_json_opts opts = { .max_size = STATE_MAX, .max_depth = 64 };
  og_cleanup_free char *buf = NULL;
  size_t len = 0;

  if (og_read_fd_bounded (STDIN_FILENO, STATE_MAX, &buf, &len) < 0)
    return errno == EFBIG ? og_error_set (err, 0, "the runtime's state is larger than %u bytes", STATE_MAX)
                          : og_error_set (err, errno, "cannot read the runtime's state on stdin");
  return og_json_parse (buf, len, &opts, out, err) < 0 ? og_error_wrap (err, "the runtime's state") : 0;
}

/* The state's pid, and its id: checked against --id when the hook was
 * given one, else taken for the record (the state outlives the record). */
static int
state_pid (struct verify_expect *e, const struct og_json *state, pid_t *pid, struct og_error *err)
{
  struct og_json *id = og_json_get_set (state, "id");
  int64_t v;

  if (og_json_int64 (og_json_get (state, "pid"), &v) < 0 || v <= 1 || v > INT32_MAX)
    return og_error_set (err, 0, "the runtime's state has no valid pid");
  if (e->id && (!og_json_is_string (id) || strcmp (id->text, e->id) != 0))
    return og_error_set (err, 0, "the runtime's state is of container %s, the hook was added for %s",
                         og_json_is_string (id) ? id->text : "(none)", e->id);
  if (e->id == NULL && og_json_is_string (id))
    e->id = id->text;
  *pid = (pid_t)v;
  return 0;
}

/* Whether the pid is the container's, before anything is judged or
 * killed: a pid reused by a host process must not be.  At createRuntime
 * the runtime that runs the hook is still waiting on the init it started
 * (its parent); at poststart crun runs the hook from `crun start`, whose
 * child it is not, so there the process must at least not share the
 * host's mount namespace (every container has its own). */
static bool
is_container (const struct verify_proc *p, bool create_runtime, const char *status, struct verify_result *r)
{
  struct stat theirs, ours;
  uint64_t ppid;

  if (create_runtime && (verify_status_value (status, "PPid", 10, &ppid) < 0 || ppid != (uint64_t)getppid ()))
    {
      verify_mismatch (r, "process %d is not a child of the runtime that runs this hook", (int)p->pid);
      return false;
    }
  if (fstatat (p->dir, "ns/mnt", &theirs, 0) < 0 || stat ("/proc/self/ns/mnt", &ours) < 0
      || (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino))
    {
      verify_mismatch (r, "process %d is not in a container (the host's mount namespace)", (int)p->pid);
      return false;
    }
  return true;
}

/* crun runs poststart hooks from `crun start`, while its init loads the
 * seccomp filter and sets no_new_privs just before it executes the
 * program: the hook may look first.  Each of these only ever tightens
 * (a filter stays, NoNewPrivs stays 1, capabilities only drop), so the
 * status is read again, for at most a second, until it complies; what
 * still differs then is a mismatch. */
static void
check_status_settled (const struct verify_expect *e, const struct verify_proc *p, const char *first,
                      struct verify_result *r)
{
  og_cleanup_free char *again = NULL;
  const char *status = first;

  for (int tries = 0;; tries++)
    {
      struct verify_result now = { 0 };
      struct og_error err = { 0 };
      size_t len;

      verify_check_status (e, status, &now);
      if (now.n == 0 || tries == 50)
        {
          if (now.n)
            verify_mismatch (r, "%s", now.reasons.buf);
          free (now.reasons.buf);
          return;
        }
      free (now.reasons.buf);
      usleep (20000);
      free (again);
      again = NULL;
      if (verify_proc_read (p, "status", 65536, &again, &len, &err) < 0)
        {
          verify_mismatch (r, "%s", err.msg);
          og_error_clear (&err);
          return;
        }
      status = again;
    }
}

/* False when the pid is not the container's, or is gone. */
static bool
check_stage (const struct verify_expect *e, bool create_runtime, const struct verify_proc *p, struct verify_result *r)
{
  og_cleanup_free char *status = NULL;
  struct og_error err = { 0 };
  size_t len;

  if (verify_proc_read (p, "status", 65536, &status, &len, &err) < 0)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
      return false;
    }
  if (!is_container (p, create_runtime, status, r))
    return false;
  if (create_runtime)
    {
      verify_check_namespaces (e, p, r);
      verify_check_ids (e, p, r);
      verify_check_cgroups (e, p, r);
      verify_check_netlink (e, p, r);
    }
  else
    {
      check_status_settled (e, p, status, r);
      verify_check_mounts (e, p, r);
    }
  if (verify_proc_same (p, &err) < 0)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
      return false;
    }
  return true;
}

/* SIGKILL through a pidfd of the very process that was checked. */
static void
stop (const struct verify_proc *p)
{
  struct og_error err = { 0 };
  og_cleanup_close int pidfd = -1;

  if (p->dir < 0)
    return;
  pidfd = (int)syscall (SYS_pidfd_open, p->pid, 0);
  if (pidfd < 0 || verify_proc_same (p, &err) < 0)
    {
      og_error_clear (&err);
      return;
    }
  if (syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
    fprintf (stderr, "ocigate-hook: cannot kill process %d: %s\n", (int)p->pid, strerror (errno));
}

/* mine: the process was found to be the container's, so it may be killed. */
static int
verdict (const struct verify_expect *e, const struct verify_proc *p, bool mine, struct verify_result *r)
{
  struct og_error err = { 0 };
  int rc = e->enforce ? 1 : 0;

  if (r->n == 0)
    return 0;
  if (verify_audit_write (e, p, e->enforce ? "stopped" : "allowed (verify audit)", r->reasons.buf, &err) < 0)
    {
      fprintf (stderr, "ocigate-hook: %s\n", err.msg);
      og_error_clear (&err);
      rc = 1; /* a mismatch nobody can read about is not let through */
    }
  if (rc != 0 && mine)
    stop (p);
  return rc;
}

static int
run (int argc, char **argv, bool create_runtime)
{
  struct verify_expect e = { 0 };
  struct verify_result r = { 0 };
  struct verify_proc p = { .dir = -1 };
  og_cleanup_json struct og_json *state = NULL;
  struct og_error err = { 0 };
  pid_t pid = 0;
  bool mine = false;
  int rc;

  if (verify_args_parse (argc, argv, &e, &err) < 0)
    {
      /* without its arguments the hook knows neither the mode nor what to
       * check: it fails, whatever the mode was meant to be */
      fprintf (stderr, "ocigate-hook: %s: %s\n", e.stage, err.msg);
      og_error_clear (&err);
      verify_expect_free (&e);
      return 1;
    }
  if (read_state (&state, &err) < 0 || state_pid (&e, state, &pid, &err) < 0 || verify_proc_open (pid, &p, &err) < 0)
    {
      verify_mismatch (&r, "%s", err.msg);
      og_error_clear (&err);
    }
  else
    mine = check_stage (&e, create_runtime, &p, &r);
  rc = verdict (&e, &p, mine, &r);
  verify_proc_close (&p);
  verify_expect_free (&e);
  free (r.reasons.buf);
  return rc;
}

int
hook_verify_create_runtime (int argc, char **argv)
{
  return run (argc, argv, true);
}

int
hook_verify_poststart (int argc, char **argv)
{
  return run (argc, argv, false);
}
