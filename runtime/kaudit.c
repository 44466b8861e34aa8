/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel audit records over NETLINK_AUDIT (libmnl): the record's text, and
 * one bounded send.  See kaudit.h for the contract and ocigate(8) for the
 * fields.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "kaudit.h"
#include "ocigate.h"

/* The kernel keeps at most AUDIT_MESSAGE_TEXT_MAX (8560) bytes of a
 * user-space record; ours stay well below (a reason is cut at REASON_MAX). */
enum
{
  BUF_SIZE = 8192,
  TEXT_MAX = BUF_SIZE - 64,
  REASON_MAX = 1024,
};

/* What audit_encode_nv_string() in libaudit treats as needing hex: a quote,
 * a space or control character, or anything outside printable ASCII. */
static bool
needs_hex (const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (s[i] == '"' || (unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
      return true;
  return false;
}

void
ocigate_kaudit_put_untrusted (struct og_buf *b, const char *key, const char *value, size_t max)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t len;

  ocigate_kaudit_put_word (b, key, value ? "" : "?");
  if (value == NULL)
    return;
  len = strlen (value);
  if (max && len > max)
    len = max;
  /* An empty value is encoded as "" so the field still parses. */
  if (!needs_hex (value, len))
    {
      og_buf_put (b, "\"", 1);
      og_buf_put (b, value, len);
      og_buf_put (b, "\"", 1);
      return;
    }
  for (size_t i = 0; i < len; i++)
    {
      char pair[2] = { hex[(unsigned char)value[i] >> 4], hex[(unsigned char)value[i] & 15] };
      og_buf_put (b, pair, 2);
    }
}

void
ocigate_kaudit_put_word (struct og_buf *b, const char *key, const char *value)
{
  if (b->len)
    og_buf_put (b, " ", 1);
  og_buf_puts (b, key);
  og_buf_put (b, "=", 1);
  og_buf_puts (b, value ? value : "?");
}

static void
put_count (struct og_buf *b, const char *key, size_t n)
{
  char num[24];

  snprintf (num, sizeof num, "%zu", n);
  ocigate_kaudit_put_word (b, key, num);
}

/* How many decisions of each kind, and the first refusing rule: the file
 * record has the whole list, the kernel record enough to find it. */
static void
put_decisions (struct og_buf *b, const struct og_decisions *d)
{
  size_t kinds[3] = { 0 };
  const struct og_decision *first = d ? og_decisions_first_refusal (d) : NULL;

  for (size_t i = 0; d && i < d->n; i++)
    if ((unsigned)d->v[i].kind < 3)
      kinds[d->v[i].kind]++;
  put_count (b, "mutated", kinds[OG_DECISION_MUTATE]);
  put_count (b, "refused", kinds[OG_DECISION_REFUSE]);
  put_count (b, "audited", kinds[OG_DECISION_AUDIT]);
  if (first)
    ocigate_kaudit_put_untrusted (b, "rule", first->rule, 64);
}

char *
ocigate_kaudit_format (const struct ocigate_kaudit_event *ev)
{
  struct og_buf b = { 0 };

  ocigate_kaudit_put_word (&b, "virt", "oci");
  ocigate_kaudit_put_word (&b, "op", ev->op);
  ocigate_kaudit_put_untrusted (&b, "vm", ev->id, 256);
  if (ev->command)
    ocigate_kaudit_put_untrusted (&b, "command", ev->command, 32);
  if (ev->bundle)
    ocigate_kaudit_put_untrusted (&b, "bundle", ev->bundle, 1024);
  ocigate_kaudit_put_word (&b, "policy-sha256", ev->policy_sha256);
  ocigate_kaudit_put_word (&b, "policy-mode", ev->mode);
  put_decisions (&b, ev->decisions);
  if (ev->seccomp_learn)
    ocigate_kaudit_put_word (&b, "seccomp", "learn");
  if (ev->reason)
    ocigate_kaudit_put_untrusted (&b, "reason", ev->reason, REASON_MAX);
  ocigate_kaudit_put_word (&b, "res", ev->failed ? "failed" : "success");
  return b.buf;
}

static void
mnl_closep (struct mnl_socket **nl)
{
  if (*nl)
    mnl_socket_close (*nl);
}

enum
{
  SEQ_STATUS = 1,
  SEQ_RECORD = 2,
};

/* What came back for the two requests. */
struct replies
{
  bool acked;       /* the record's acknowledgement arrived */
  int error;        /* its errno (0: accepted) */
  bool status_done; /* the status reply (or its refusal) arrived */
  int status_error; /* why there is no status */
  uint32_t enabled; /* 0: audit off, the kernel drops user records */
  uint32_t auditd;  /* auditd's pid, 0 when none */
};

static void
take_reply (const struct nlmsghdr *nlh, struct replies *r)
{
  if (nlh->nlmsg_type == NLMSG_ERROR && mnl_nlmsg_get_payload_len (nlh) >= sizeof (struct nlmsgerr))
    {
      const struct nlmsgerr *e = mnl_nlmsg_get_payload (nlh);
      if (nlh->nlmsg_seq == SEQ_RECORD)
        r->acked = true, r->error = -e->error;
      else if (nlh->nlmsg_seq == SEQ_STATUS && e->error != 0)
        r->status_done = true, r->status_error = -e->error;
    }
  else if (nlh->nlmsg_type == AUDIT_GET && nlh->nlmsg_seq == SEQ_STATUS
           && mnl_nlmsg_get_payload_len (nlh) >= offsetof (struct audit_status, pid) + sizeof (uint32_t))
    {
      const struct audit_status *st = mnl_nlmsg_get_payload (nlh);
      r->status_done = true;
      r->enabled = st->enabled;
      r->auditd = st->pid;
    }
}

/* The record, after a request for the audit status when `ask` (so the
 * file record can say whether the record is kept: with audit off the
 * kernel acknowledges a user record and drops it), in one datagram. */
static int
send_record (struct mnl_socket *nl, bool ask, uint16_t type, const char *text, size_t len, char *buf)
{
  struct nlmsghdr *get = mnl_nlmsg_put_header (buf), *rec;
  char *payload;
  size_t get_len = 0;

  if (ask)
    {
      get->nlmsg_type = AUDIT_GET;
      get->nlmsg_flags = NLM_F_REQUEST;
      get->nlmsg_seq = SEQ_STATUS;
      get_len = get->nlmsg_len;
    }
  rec = mnl_nlmsg_put_header (buf + get_len);
  rec->nlmsg_type = type;
  rec->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  rec->nlmsg_seq = SEQ_RECORD;
  /* The kernel overwrites the payload's last byte with a NUL: send one. */
  payload = mnl_nlmsg_put_extra_header (rec, len + 1);
  memcpy (payload, text, len);
  payload[len] = '\0';
  return mnl_socket_sendto (nl, buf, get_len + rec->nlmsg_len) < 0 ? -1 : 0;
}

int
ocigate_kaudit_send (uint16_t type, const char *text, struct ocigate_kaudit_status *status, struct og_error *err)
{
  __attribute__ ((cleanup (mnl_closep))) struct mnl_socket *nl = NULL;
  /* the ack may quote the request: room for both */
  char buf[BUF_SIZE] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  struct timeval tv = { .tv_sec = 0, .tv_usec = OCIGATE_KAUDIT_ACK_MS * 1000 };
  struct replies r = { .status_done = status == NULL };
  size_t len = strlen (text);

  if (len > TEXT_MAX)
    len = TEXT_MAX;
  nl = mnl_socket_open2 (NETLINK_AUDIT, SOCK_CLOEXEC);
  if (nl == NULL)
    return og_error_set (err, errno, "cannot open a kernel audit socket");
  if (setsockopt (mnl_socket_get_fd (nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
    return og_error_set (err, errno, "cannot bound the wait for the kernel audit acknowledgement");
  if (send_record (nl, status != NULL, type, text, len, buf) < 0)
    return og_error_set (err, errno, "cannot send the kernel audit record");
  /* The kernel handles the record inside sendto and queues its verdict
   * before returning; the status reply comes from a kernel thread tens of
   * microseconds later.  At most three waits of OCIGATE_KAUDIT_ACK_MS: a
   * create never waits on audit for more than 15 ms, whatever the
   * kernel does. */
  for (int i = 0; i < 3 && !(r.acked && r.status_done); i++)
    {
      ssize_t n = mnl_socket_recvfrom (nl, buf, sizeof buf);
      const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
      int left = (int)n;

      if (n < 0)
        break;
      for (; mnl_nlmsg_ok (nlh, left); nlh = mnl_nlmsg_next (nlh, &left))
        take_reply (nlh, &r);
    }
  if (!r.acked)
    return og_error_set (err, ETIMEDOUT, "no kernel audit acknowledgement within %d ms", OCIGATE_KAUDIT_ACK_MS);
  if (r.error)
    return og_error_set (err, r.error, "the kernel refused the audit record");
  if (status == NULL)
    return 0;
  status->known = r.status_done && r.status_error == 0;
  status->error = r.status_done ? r.status_error : ETIMEDOUT;
  status->enabled = r.enabled != 0;
  status->auditd = r.auditd;
  return 0;
}

/* The audit status, kept for STATUS_TTL seconds in STATE/kaudit-status:
 * the kernel answers a status request from a kernel thread it starts for
 * it, which took 0.1 ms on an idle machine and 1 to 2 ms on a busy one,
 * while the record itself costs 35 microseconds.  The status changes when
 * an administrator starts auditd or runs auditctl -e, so a file record may
 * describe it as it was up to STATUS_TTL seconds earlier.  Same trust as
 * the policy cache beside it: ours, a regular file, not writable by
 * others. */
enum
{
  STATUS_TTL = 10,
};

static char *
status_path (const char *state_dir)
{
  return og_xasprintf ("%s/kaudit-status", state_dir);
}

static bool
status_cached (const char *state_dir, struct ocigate_kaudit_status *st)
{
  og_cleanup_free char *path = status_path (state_dir);
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  struct stat fst;
  char buf[64];
  unsigned enabled, auditd;
  ssize_t n;

  if (fd < 0 || fstat (fd, &fst) < 0 || !S_ISREG (fst.st_mode) || fst.st_uid != geteuid () || (fst.st_mode & 022) != 0
      || time (NULL) - fst.st_mtim.tv_sec > STATUS_TTL || time (NULL) < fst.st_mtim.tv_sec)
    return false;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  if (sscanf (buf, "enabled=%u auditd=%u", &enabled, &auditd) != 2)
    return false;
  *st = (struct ocigate_kaudit_status){ .known = true, .enabled = enabled != 0, .auditd = auditd };
  return true;
}

/* Best effort, like the policy cache: a status not kept costs time only. */
static void
status_store (const char *state_dir, const struct ocigate_kaudit_status *st)
{
  og_cleanup_free char *path = status_path (state_dir);
  og_cleanup_free char *tmp = og_xasprintf ("%s.%d", path, (int)getpid ());
  og_cleanup_free char *line = og_xasprintf ("enabled=%u auditd=%u\n", st->enabled ? 1u : 0u, (unsigned)st->auditd);
  bool ok;
  int fd;

  mkdir (state_dir, 0711);
  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  ok = og_write_all (fd, line, strlen (line)) == 0;
  if (close (fd) < 0 || !ok || rename (tmp, path) < 0)
    unlink (tmp);
}

/* What the file record says about the kernel record. */
static char *
describe (const struct ocigate_kaudit_status *st)
{
  if (!st->known)
    return og_xasprintf ("sent (audit state unknown: %s)", strerror (st->error));
  if (!st->enabled)
    return og_xstrdup ("dropped: kernel audit is disabled");
  if (st->auditd == 0)
    return og_xstrdup ("sent (no auditd: kernel log only)");
  return og_xstrdup ("sent");
}

static bool
learning (const struct og_decisions *d)
{
  for (size_t i = 0; d && i < d->n; i++)
    if (strcmp (d->v[i].rule, "seccomp_learn") == 0 && d->v[i].kind == OG_DECISION_MUTATE)
      return true;
  return false;
}

char *
ocigate_kaudit_audit (const struct ocigate_audit *a)
{
  const char *cmd = a->cl ? a->cl->command : NULL;
  bool has_bundle = cmd && strcmp (cmd, "exec") != 0 && strcmp (cmd, "update") != 0;
  struct ocigate_kaudit_event ev = {
    .op = a->event,
    .command = cmd,
    .id = a->cl ? a->cl->id : NULL,
    .bundle = has_bundle ? (a->cl->bundle ? a->cl->bundle : ".") : NULL,
    .policy_sha256 = a->policy ? a->policy->digest : NULL,
    .mode = a->policy ? (a->policy->audit_only ? "audit" : "enforce") : NULL,
    .decisions = a->decisions,
    .reason = a->message,
    .seccomp_learn = learning (a->decisions),
    .state_dir = a->cl ? a->cl->state_dir : NULL,
    .failed = strcmp (a->event, "refuse") == 0 || strcmp (a->event, "error") == 0,
  };

  return ocigate_kaudit_event (&ev);
}

char *
ocigate_kaudit_event (const struct ocigate_kaudit_event *ev)
{
  og_cleanup_free char *text = ocigate_kaudit_format (ev);
  struct ocigate_kaudit_status st = { 0 };
  bool cached = ev->state_dir && status_cached (ev->state_dir, &st);
  struct og_error err = { 0 };
  char *status;

  if (ocigate_kaudit_send (OCIGATE_KAUDIT_TYPE, text, cached ? NULL : &st, &err) == 0)
    {
      if (!cached && st.known && ev->state_dir)
        status_store (ev->state_dir, &st);
      return describe (&st);
    }
  status = og_xasprintf ("unavailable: %s", err.msg);
  og_error_clear (&err);
  return status;
}
