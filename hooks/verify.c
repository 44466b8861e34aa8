/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigate-hook createRuntime | poststart: check the container's process
 * against what the rewritten config said (the hook's arguments).
 *
 * Nothing the container controls is trusted: the expectations come from
 * the config ocigate wrote, the process is read through /proc from the
 * host, pinned by its directory and start time, before the container's own
 * program has run (runc runs both stages while its init waits).  What
 * cannot be read counts as a mismatch.  In verify enforce a mismatch fails
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
  og_cleanup_free char *buf = og_xmalloc (STATE_MAX + 1);
  size_t len = 0;

  for (;;)
    {
      ssize_t r = read (STDIN_FILENO, buf + len, STATE_MAX + 1 - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return og_error_set (err, errno, "cannot read the runtime's state on stdin");
      if (r == 0)
        break;
      if ((len += (size_t)r) > STATE_MAX)
        return og_error_set (err, 0, "the runtime's state is larger than %u bytes", STATE_MAX);
    }
  return og_json_parse (buf, len, &opts, out, err) < 0 ? og_error_wrap (err, "the runtime's state") : 0;
}

/* The state's pid, checked against the hook's --id. */
static int
state_pid (const struct verify_expect *e, const struct og_json *state, pid_t *pid, struct og_error *err)
{
  struct og_json *id = og_json_get_set (state, "id");
  int64_t v;

  if (og_json_int64 (og_json_get (state, "pid"), &v) < 0 || v <= 1 || v > INT32_MAX)
    return og_error_set (err, 0, "the runtime's state has no valid pid");
  if (e->id && (!og_json_is_string (id) || strcmp (id->text, e->id) != 0))
    return og_error_set (err, 0, "the runtime's state is of container %s, the hook was added for %s",
                         og_json_is_string (id) ? id->text : "(none)", e->id);
  *pid = (pid_t)v;
  return 0;
}

/* The runtime runs the hook and started the container's init itself: a
 * pid that is not its child is not the container (a reused pid, a state
 * that lies). */
static void
check_parent (const struct verify_proc *p, const char *status, struct verify_result *r)
{
  uint64_t ppid;

  if (verify_status_value (status, "PPid", 10, &ppid) < 0 || ppid != (uint64_t)getppid ())
    verify_mismatch (r, "process %d is not a child of the runtime that runs this hook", (int)p->pid);
}

static void
check_stage (const struct verify_expect *e, bool create_runtime, const struct verify_proc *p, struct verify_result *r)
{
  og_cleanup_free char *status = NULL;
  struct og_error err = { 0 };
  size_t len;

  if (verify_proc_read (p, "status", 65536, &status, &len, &err) < 0)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
      return;
    }
  check_parent (p, status, r);
  if (create_runtime)
    {
      verify_check_namespaces (e, p, r);
      verify_check_ids (e, p, r);
      verify_check_cgroups (e, p, r);
      verify_check_netlink (e, p, r);
    }
  else
    {
      verify_check_status (e, status, r);
      verify_check_mounts (e, p, r);
    }
  if (verify_proc_same (p, &err) < 0)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
    }
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

static int
verdict (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r)
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
  if (rc != 0)
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
    check_stage (&e, create_runtime, &p, &r);
  rc = verdict (&e, &p, &r);
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
