/* SPDX-License-Identifier: Apache-2.0 */
/* Internal interfaces of the ocigate binary (runtime/). */
#ifndef OCIGATE_RUNTIME_H
#define OCIGATE_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>

#include "ocigate/decision.h"
#include "ocigate/enforce.h"
#include "ocigate/error.h"
#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "policy_cache.h"

/* ---- cli.c: runc-compatible argv ---------------------------------------- */

/* One flag of the command's own arguments, as runc will read it. */
struct ocigate_flag
{
  char *name;        /* without dashes */
  const char *value; /* NULL for a boolean flag */
  int index;         /* argv index of the flag token */
  int value_index;   /* argv index of a separate value token, or -1 */
};

struct ocigate_cmdline
{
  const char *policy_path;  /* --ocigate-policy */
  const char *runtime_path; /* --ocigate-runtime */
  const char *state_dir;    /* --ocigate-state-dir (default OG_STATE_DIR) */
  const char *root;         /* runc's state dir, absolute, as runc resolves --root (owned) */
  char **argv;              /* argv for the runtime (ours removed), NULL-terminated; argv[0] is replaced */
  int argc;
  int cmd_index;              /* index of the command word in argv, -1 if none */
  const char *command;        /* NULL for global-only calls (--version, --help) */
  const char *log_path;       /* runc's --log */
  const char *log_format;     /* runc's --log-format */
  const char *bundle;         /* --bundle / -b of create, run, restore (NULL: cwd) */
  const char *id;             /* the container id: runc's first argument (NULL on a usage error) */
  struct ocigate_flag *flags; /* the command's flags (exec, update, create...) */
  size_t nflags;
  char *usage_error; /* runc 1.1.5 would stop at this usage error (unknown flag, bad value, argument count) */
};

/* The value of a command flag (any of its names), NULL when absent. */
const char *ocigate_cmdline_flag (const struct ocigate_cmdline *cl, const char *name, const char *alias);
bool ocigate_cmdline_has (const struct ocigate_cmdline *cl, const char *name, const char *alias);

/* Split argv.  Fails on ambiguous input (a repeated --bundle, a flag value
 * that looks like a flag) that runc might read differently. */
int ocigate_cmdline_parse (int argc, char **argv, struct ocigate_cmdline *cl, struct og_error *err);
void ocigate_cmdline_free (struct ocigate_cmdline *cl);
/* Commands whose config.json is enforced. */
bool ocigate_command_enforced (const char *command);
/* The id quoted for a message: printable ASCII kept, the rest \xNN
 * (caller-owned; long ids are cut). */
char *ocigate_id_quote (const char *id);

/* ---- bundle.c ----------------------------------------------------------- */

struct ocigate_bundle
{
  int dirfd;
  char *dir;  /* as given (or ".") */
  char *name; /* file name inside dir */
  char *data; /* original config.json bytes */
  size_t len;
  mode_t mode; /* of config.json, reused for the rewrite */
};

/* Open <dir>/<name> without following a symlink, bounded in size. */
int ocigate_doc_open (const char *dir, const char *name, struct ocigate_bundle *b, struct og_error *err);
int ocigate_doc_open_path (const char *path, struct ocigate_bundle *b, struct og_error *err);
/* <dir>/config.json */
int ocigate_bundle_open (const char *dir, struct ocigate_bundle *b, struct og_error *err);
/* Replace the file atomically (temp + fsync + rename + fsync dir). */
int ocigate_bundle_write (struct ocigate_bundle *b, const char *data, size_t len, struct og_error *err);
void ocigate_bundle_close (struct ocigate_bundle *b);
#define ocigate_cleanup_bundle __attribute__ ((cleanup (ocigate_bundle_close)))

/* ---- runclog.c: what the engine shows the user --------------------------- */

/* One runc-format line in --log (json or text), or plain text on stderr
 * when there is no --log.  `msg` gets the "ocigate: " prefix. */
void ocigate_report_error (const struct ocigate_cmdline *cl, const char *msg);
/* The current time as RFC 3339 UTC ("2026-11-27T14:53:50Z"). */
void ocigate_utc_now (char buf[OG_UTC_LEN]);

/* ---- audit.c ------------------------------------------------------------ */

struct ocigate_audit
{
  const char *event; /* "create", "refuse", "error" */
  const struct ocigate_cmdline *cl;
  const struct og_policy *policy; /* may be NULL (policy failed to load) */
  const char *policy_path;
  const char *profile; /* the policy's profile the create got; NULL: the base */
  const struct og_decisions *decisions;
  const char *message;
  const char *kernel_audit; /* what became of the kernel record (kaudit.h) */
};

/* Append one JSON line to the policy's audit log. */
int ocigate_audit_write (const struct ocigate_audit *a, struct og_error *err);
/* The line itself (caller-owned), for tests and ocigatectl. */
char *ocigate_audit_line (const struct ocigate_audit *a);

/* ---- the commands (cmd_*.c), found through main.c's table ------------- */

/* One enforced call. */
struct ocigate_userns;

struct ocigate_run
{
  struct ocigate_cmdline cl;
  const char *policy_path;
  struct og_policy *policy;
  const char *profile;           /* create, exec, update: the profile chosen (policy->profiles), NULL for the base */
  const struct og_policy *rules; /* exec, update: that profile, or policy */
  struct og_decisions decisions;
  struct ocigate_userns *staged; /* released if the runtime cannot be exec'd */
  struct og_json *spec;          /* create: the judged config, kept for the exec to discard */
};

/* What a command handler returns.  It never exits: ocigate_fail turns a
 * failure into the engine's message, the audit record and the status. */
enum
{
  OCIGATE_ACCEPTED = 0, /* run the runtime with r->cl.argv */
  OCIGATE_ERROR = -1,   /* err says what failed ("error" record) */
  /* refused ("refuse" record): err's message, or with none the policy's
   * verdict (the first refusal in r->decisions) */
  OCIGATE_REFUSED = OG_ENFORCE_REFUSED,
};

int ocigate_cmd_create (struct ocigate_run *r, struct og_error *err);
int ocigate_cmd_restore (struct ocigate_run *r, struct og_error *err);
int ocigate_cmd_exec (struct ocigate_run *r, struct og_error *err);
int ocigate_cmd_update (struct ocigate_run *r, struct og_error *err);
/* running_profile.c: for exec and update, r->rules = the profile the
 * container was created under (r->profile its name), or the policy. */
int ocigate_running_profile (struct ocigate_run *r, struct og_error *err);
/* restore: allowed by the policy at all, and its own options judged
 * (spec: the parsed config.json); OCIGATE_REFUSED or OCIGATE_ERROR, or 0. */
int ocigate_restore_judge (struct ocigate_run *r, const struct og_json *spec, struct og_error *err);
/* delete of a container whose rootfs we staged: runc runs as a child and
 * the staging is released after it.  Returns 1 with runc's exit status in
 * *status, 0 when nothing of ours is staged (exec runc as for any other
 * command), -1 with err. */
int ocigate_cmd_delete (struct ocigate_run *r, const char *runtime, int *status, struct og_error *err);

/* ---- outcome.c: the one place a call ends ------------------------------ */

/* Tell the engine (runc-format log line), record the failure in the audit
 * log for an enforced command, and return the exit status.  rc is what a
 * handler returned (OCIGATE_ERROR or OCIGATE_REFUSED). */
int ocigate_fail (struct ocigate_run *r, int rc, const struct og_error *err);
/* Record the accepted call (event "create", "exec", "update"). */
int ocigate_accept (struct ocigate_run *r, const char *event, struct og_error *err);

/* ---- argv.c: the command line handed to the runtime -------------------- */

/* Remove argv[i] (and shift the rest). */
void ocigate_argv_remove (struct ocigate_cmdline *cl, int i);
/* Insert s at argv[i]; argv grows by one. */
void ocigate_argv_insert (struct ocigate_cmdline *cl, int i, char *s);
/* Give flag f a new value in place (its value token, or "--name=value"). */
void ocigate_argv_set_flag (struct ocigate_cmdline *cl, const struct ocigate_flag *f, const char *value);
/* Remove flag f and its separate value token. */
void ocigate_argv_drop_flag (struct ocigate_cmdline *cl, const struct ocigate_flag *f);
/* Apply the policy's changes to flags[] (one per out->v entry, in
 * command-line order). */
void ocigate_argv_apply (struct ocigate_cmdline *cl, const struct ocigate_flag *const *flags,
                         const struct og_flags_out *out);

/* ---- exec.c ------------------------------------------------------------- */

/* execv the real runtime; returns only on failure. */
int ocigate_exec_runtime (const char *runtime, struct ocigate_cmdline *cl, struct og_error *err);

#endif
