/* SPDX-License-Identifier: Apache-2.0 */
/* Internal interfaces of the ocigate binary (runtime/). */
#ifndef OCIGATE_RUNTIME_H
#define OCIGATE_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>

#include "ocigate/decision.h"
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
  const struct og_decisions *decisions;
  const char *message;
  const char *kernel_audit; /* what became of the kernel record (kaudit.h) */
};

/* Append one JSON line to the policy's audit log. */
int ocigate_audit_write (const struct ocigate_audit *a, struct og_error *err);
/* The line itself (caller-owned), for tests and ocigatectl. */
char *ocigate_audit_line (const struct ocigate_audit *a);

/* ---- main.c and the commands ------------------------------------------- */

/* One enforced call. */
struct ocigate_userns;

struct ocigate_run
{
  struct ocigate_cmdline cl;
  const char *policy_path;
  struct og_policy *policy;
  struct og_decisions decisions;
  struct ocigate_userns *staged; /* released if the runtime cannot be exec'd */
};

/* Tell the engine, record it in the audit log, exit 1. */
void ocigate_refuse (struct ocigate_run *r, const char *event, const char *msg) __attribute__ ((noreturn));
/* Refuse with the policy's verdict when a rule refused. */
void ocigate_refuse_if_refused (struct ocigate_run *r);
/* Record the accepted call in the audit log (refusing when that fails). */
void ocigate_audit_accepted (struct ocigate_run *r, const char *event);

void ocigate_cmd_create (struct ocigate_run *r);
void ocigate_cmd_exec (struct ocigate_run *r);
void ocigate_cmd_update (struct ocigate_run *r);
/* restore: allowed by the policy at all, and its own options judged
 * (spec: the parsed config.json); refuses, or returns. */
void ocigate_restore_judge (struct ocigate_run *r, const struct og_json *spec);

/* Remove argv[i] (and shift the rest). */
void ocigate_argv_remove (struct ocigate_cmdline *cl, int i);
/* Insert s at argv[i]; argv grows by one. */
void ocigate_argv_insert (struct ocigate_cmdline *cl, int i, char *s);

/* ---- exec.c ------------------------------------------------------------- */

/* execv the real runtime; returns only on failure. */
int ocigate_exec_runtime (const char *runtime, struct ocigate_cmdline *cl, struct og_error *err);

#endif
