/* SPDX-License-Identifier: Apache-2.0 */
/* The verification hook's parts: what the config asked for (the hook's
 * arguments, written by policy/rule_verify.c), the container's process as
 * /proc shows it, and one checker per concern.  Each checker appends what
 * differs to a verify_result; an error reading the process is a mismatch
 * too (what cannot be checked is not trusted). */
#ifndef OCIGATE_HOOK_VERIFY_H
#define OCIGATE_HOOK_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ocigate/error.h"
#include "ocigate/json.h"

/* Reads of the container's /proc files stop here: a mountinfo of 10,000
 * mounts is ~1.5 MB. */
#define VERIFY_READ_MAX (4u * 1024 * 1024)

struct verify_idmap
{
  int64_t inside, outside, size;
};

struct verify_idmaps
{
  struct verify_idmap *v;
  size_t n;
};

enum verify_capset
{
  VERIFY_CAP_BND,
  VERIFY_CAP_EFF,
  VERIFY_CAP_PRM,
  VERIFY_CAP_INH,
  VERIFY_CAP_AMB,
  VERIFY_CAP_SETS
};

struct verify_expect
{
  const char *stage;
  bool enforce;          /* --mode=enforce */
  const char *audit_log; /* --audit-log= (NULL: stderr only) */
  const char *id;        /* --id=, else the state's */
  /* createRuntime */
  const char **new_ns; /* /proc/<pid>/ns names, NULL-terminated */
  size_t n_new_ns;
  bool net_only_lo;
  const char **net_allow; /* interfaces linux.netDevices moves in */
  size_t n_net_allow;
  struct verify_idmaps uid_map, gid_map;
  bool has_uid_map, has_gid_map;
  int64_t memory, pids, cpu_quota, cpu_period; /* 0: not limited */
  /* poststart */
  bool readonly_root, nnp, seccomp;
  bool has_caps;
  uint64_t caps[VERIFY_CAP_SETS];
};

/* argv[2..] into *e (argv[1] is the stage).  Borrows the strings. */
int verify_args_parse (int argc, char **argv, struct verify_expect *e, struct og_error *err);
void verify_expect_free (struct verify_expect *e);

/* What differs, one sentence each, joined with "; ". */
struct verify_result
{
  struct og_buf reasons;
  size_t n;
};
void verify_mismatch (struct verify_result *r, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* The container's process, pinned: every read goes through the /proc/<pid>
 * directory opened once, which fails (ESRCH) once that process is gone,
 * so a pid reused by another process is never read. */
struct verify_proc
{
  pid_t pid;
  int dir;
  uint64_t start; /* field 22 of stat: start time in clock ticks */
};
int verify_proc_open (pid_t pid, struct verify_proc *p, struct og_error *err);
void verify_proc_close (struct verify_proc *p);
/* <name> under /proc/<pid>, NUL-terminated, at most `max` bytes (caller-owned). */
int verify_proc_read (const struct verify_proc *p, const char *name, size_t max, char **out, size_t *len,
                      struct og_error *err);
/* Still the process that was opened (same start time). */
int verify_proc_same (const struct verify_proc *p, struct og_error *err);
/* Field 22 of a /proc/<pid>/stat line (comm may hold spaces and ')'). */
int verify_stat_starttime (const char *stat, uint64_t *out);

/* verify_status.c: capabilities, NoNewPrivs, Seccomp */
/* The value of "<key>:" in status text as an unsigned number (base 16 for
 * the Cap* lines, 10 otherwise); -1 when the line is absent or malformed. */
int verify_status_value (const char *status, const char *key, int base, uint64_t *out);
/* "CAP_CHOWN,CAP_KILL" -> bit mask; -1 with err naming an unknown name. */
int verify_cap_mask (const char *list, uint64_t *mask, struct og_error *err);
void verify_check_status (const struct verify_expect *e, const char *status, struct verify_result *r);

/* verify_ids.c: uid_map / gid_map */
int verify_idmap_parse (const char *text, struct verify_idmaps *out, struct og_error *err);
/* "0:100000:65536" */
int verify_idmap_parse_arg (const char *arg, struct verify_idmap *out);
void verify_check_idmap (const char *what, const struct verify_idmaps *want, const char *text, struct verify_result *r);
void verify_check_ids (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r);

/* verify_ns.c */
void verify_check_namespaces (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r);

/* verify_cgroups.c */
/* The cgroup directory of `controller` ("" for v2) in /proc/<pid>/cgroup
 * text (caller-owned), or NULL. */
char *verify_cgroup_path (const char *text, const char *controller);
void verify_check_cgroups (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r);

/* verify_mounts.c */
/* The per-mount options of the topmost mount at `point` in mountinfo text
 * (caller-owned), or NULL when nothing is mounted there. */
char *verify_mountinfo_options (const char *text, const char *point);
/* True when a comma-separated option list holds `opt` exactly. */
bool verify_has_option (const char *options, const char *opt);
void verify_check_mounts (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r);

/* verify_netlink.c */
void verify_check_netlink (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r);

/* verify_audit.c: one line in the audit log (and stderr, which runc shows). */
int verify_audit_write (const struct verify_expect *e, const struct verify_proc *p, const char *result,
                        const char *reason, struct og_error *err);

#endif
