/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel audit records: each decision ocigate (or ocigate-hook) makes is
 * also sent to the kernel audit subsystem over NETLINK_AUDIT, as an
 * AUDIT_VIRT_CONTROL (2500) user-space record that auditd stores and
 * ausearch reads (`ausearch -m VIRT_CONTROL --vm-name ID`).  The format is
 * in ocigate(8), KERNEL AUDIT RECORDS.
 *
 * Sending never waits: the kernel handles the message inside sendto(2) and
 * its acknowledgement is read with a receive timeout of
 * OCIGATE_KAUDIT_ACK_MS.  When audit is not there (no CAP_AUDIT_WRITE, a
 * user namespace, a kernel without audit) the caller gets a short status
 * to put in its file record instead.
 */
#ifndef OCIGATE_KAUDIT_H
#define OCIGATE_KAUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "ocigate/decision.h"
#include "ocigate/error.h"
#include "ocigate/json.h"

/* The record type: "Start, Pause, Stop VM/container" in libaudit.h, the
 * type libvirt uses for its domains and its LXC containers. */
#define OCIGATE_KAUDIT_TYPE 2500
#define OCIGATE_KAUDIT_ACK_MS 5

/* One decision, as the kernel record shows it. */
struct ocigate_kaudit_event
{
  const char *op;                       /* create, exec, update, refuse, error; ocigate-hook: precreate, verify */
  const char *command;                  /* the runtime's command word (create, run, exec...), or NULL */
  const char *id;                       /* the container id (untrusted: encoded) */
  const char *bundle;                   /* NULL when the command has none */
  const char *policy_sha256;            /* NULL when the policy did not load */
  const char *mode;                     /* enforce / audit, or NULL */
  const struct og_decisions *decisions; /* may be NULL */
  const char *reason;                   /* why it was refused or failed, or NULL */
  bool seccomp_learn;                   /* the container runs with a learning seccomp profile */
  bool failed;                          /* res=failed (refused, error, verification failed) */
  const char *state_dir;                /* where the audit status is cached (NULL: asked every time) */
};

/* Append ` key=value` the way audit encodes a field that may hold anything:
 * "value" in double quotes when it is printable ASCII without a space or
 * quote, else its bytes as upper-case hex (auparse decodes both); "?" for
 * NULL.  Values longer than `max` bytes (0: no limit) are cut first. */
void ocigate_kaudit_put_untrusted (struct og_buf *b, const char *key, const char *value, size_t max);
/* Append ` key=value` for a value ocigate itself chose (a word, a number). */
void ocigate_kaudit_put_word (struct og_buf *b, const char *key, const char *value);

/* The record's text (caller-owned). */
char *ocigate_kaudit_format (const struct ocigate_kaudit_event *ev);

/* Whether a record the kernel accepted is kept. */
struct ocigate_kaudit_status
{
  bool known;      /* the kernel told (needs CAP_AUDIT_CONTROL, the initial pid namespace) */
  int error;       /* why it did not, when !known */
  bool enabled;    /* off: the kernel drops user records after acknowledging them */
  uint32_t auditd; /* auditd's pid; 0: records go to the kernel log (and multicast readers) only */
};

/* Send `text` as one record of `type`.  0 when the kernel accepted it (and
 * *status says whether it is kept; NULL: not asked); -1 with err saying why not
 * (err->errnum: EPERM without CAP_AUDIT_WRITE, ECONNREFUSED in a user
 * namespace, EPROTONOSUPPORT without audit, ETIMEDOUT when no
 * acknowledgement came in time). */
int ocigate_kaudit_send (uint16_t type, const char *text, struct ocigate_kaudit_status *status, struct og_error *err);

/* Format and send; returns what the file record should say about it
 * (caller-owned): "sent", "sent (no auditd: kernel log only)", "dropped:
 * kernel audit is disabled", or "unavailable: <why>". */
char *ocigate_kaudit_event (const struct ocigate_kaudit_event *ev);

/* The kernel record of one ocigate call (runtime/audit.c). */
struct ocigate_audit;
char *ocigate_kaudit_audit (const struct ocigate_audit *a);

#endif
