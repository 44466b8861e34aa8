/* SPDX-License-Identifier: Apache-2.0 */
/* The admin policy (ocigate-policy(5)): model and loader. */
#ifndef OCIGATE_POLICY_H
#define OCIGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ocigate/error.h"

#define OG_POLICY_MAX_SIZE (1024u * 1024)

/* What a rule does with a container that does not comply. */
enum og_action
{
  OG_ACTION_ENFORCE, /* rewrite the config so it complies (refuse what cannot be rewritten) */
  OG_ACTION_DENY,    /* refuse the container */
  OG_ACTION_AUDIT,   /* record what would have been done, change nothing */
};

struct og_limit
{
  bool has_default, has_max;
  int64_t def, max;
};

struct og_policy
{
  char *path;      /* the file it was loaded from */
  char digest[65]; /* sha256 of the file, hex */
  bool audit_only; /* "mode": "audit" */
  char *audit_log; /* "audit": {"log": ...}; NULL disables the file */

  struct
  {
    enum og_action action;
  } nnp;

  struct
  {
    enum og_action action;
    char **allow; /* exact names, e.g. "CAP_CHOWN" */
  } caps;

  struct
  {
    enum og_action action;
    bool readonly;
    char **writable_tmpfs; /* destinations */
    char **tmpfs_options;
  } rootfs;

  struct
  {
    enum og_action action;
    struct og_limit memory; /* bytes */
    struct og_limit swap;   /* swap allowed on top of memory, bytes */
    struct og_limit cpu;    /* milli-CPUs */
    struct og_limit pids;
  } resources;

  struct
  {
    enum og_action action;
    bool deny_any_socket;
    char **deny_sockets;  /* daemon socket paths */
    char **deny_trees;    /* sensitive host trees */
    char **allow_sources; /* glob patterns; "{id}" is the container id */
    char **force_options; /* added to every bind mount */
    unsigned scan_max_entries;
    unsigned scan_max_depth;
  } mounts;

  struct
  {
    enum og_action action;
    char **allow; /* resolved executable paths */
  } hooks;
};

/* Load and validate a policy file.  Unknown keys, wrong types, bad values
 * and unreadable files are errors naming the file and the problem. */
int og_policy_load (const char *path, struct og_policy **out, struct og_error *err);
/* The same from memory (`name` is used in messages). */
int og_policy_parse (const char *buf, size_t len, const char *name, struct og_policy **out, struct og_error *err);
void og_policy_free (struct og_policy *p);
void og_policy_freep (struct og_policy **p);
#define og_cleanup_policy __attribute__ ((cleanup (og_policy_freep)))

const char *og_action_name (enum og_action a);

/* "512M", "2G", 1048576 -> bytes.  Exposed for ocigatectl and tests. */
int og_parse_size (const char *s, int64_t *out);
/* "1.5" -> 1500 milli-CPUs. */
int og_parse_millicpus (const char *s, int64_t *out);

#endif
