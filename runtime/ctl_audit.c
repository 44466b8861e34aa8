/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocigatectl audit: the audit log read the way an operator asks questions.
 * Records are selected by container id (or prefix), event, rule, action and
 * time range; shown one line each, with every decision (--verbose), as JSON
 * lines (--json) or summed up per rule and per container (--summary).  -f
 * follows the log across rotation; --rotated reads the rotated files first
 * (FILE.N, and FILE.N.gz through gzip -dc).
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/json.h"
#include "ocigate/policy.h"
#include "ocigate/util.h"
#include "ctl.h"

extern char **environ;

/* The largest record accepted; anything longer is counted as unreadable. */
#define RECORD_MAX (64u << 20)
#define FOLLOW_POLL_NS 200000000L

static const char *const actions[] = { "mutate", "refuse", "audit" };
/* "precreate" and "verify": ocigate-hook's records ("verify" has no
 * decisions: a stage, a result and the reason, shown as the message). */
static const char *const events[] = { "create", "exec", "update", "refuse", "error", "precreate", "verify" };
#define N_ACTIONS 3
#define N_EVENTS 7

struct rule_sum
{
  char *rule;
  unsigned long count[N_ACTIONS];
  char **ids; /* distinct containers, sorted */
  size_t n_ids, cap_ids;
};

struct container_sum
{
  char *id; /* NULL: records without an id */
  unsigned long events[N_EVENTS + 1], count[N_ACTIONS];
  char *first, *last;
};

struct audit
{
  /* filters */
  const char *id, *event, *rule, *action;
  int64_t since, until;
  bool has_since, has_until;
  /* output */
  bool json, verbose, summary, colour;
  /* state */
  struct og_buf partial;
  unsigned long unreadable, records;
  unsigned long events[N_EVENTS + 1];
  char *first, *last;
  struct rule_sum *rules;
  size_t n_rules;
  struct container_sum *containers; /* in order of first appearance */
  size_t n_containers, cap_containers;
  size_t *by_id; /* indexes into containers, sorted by id */
};

/* ---- time ------------------------------------------------------------------ */

/* RFC 3339 ("2026-12-06T03:20:01Z", "...+02:00", fractions ignored), a
 * date ("2026-12-06", midnight UTC), or an age before `now`: 90s, 15m, 1h,
 * 7d, 2w. */
static int
parse_time (const char *s, int64_t now, int64_t *out)
{
  struct tm tm = { 0 };
  const char *p;
  char *end;
  long long n;

  if (s[0] >= '0' && s[0] <= '9')
    {
      errno = 0;
      n = strtoll (s, &end, 10);
      if (errno == 0 && end != s && end[0] && end[1] == '\0' && strchr ("smhdw", end[0]) && n >= 0 && n < (1LL << 40))
        {
          static const int64_t unit[] = { ['s'] = 1, ['m'] = 60, ['h'] = 3600, ['d'] = 86400, ['w'] = 604800 };
          *out = now - (int64_t)n * unit[(unsigned char)end[0]];
          return 0;
        }
    }
  p = strptime (s, "%Y-%m-%d", &tm);
  if (p == NULL)
    return -1;
  if (*p == 'T' || *p == 't' || *p == ' ')
    {
      p = strptime (p + 1, "%H:%M:%S", &tm);
      if (p == NULL)
        return -1;
      if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
          ;
    }
  *out = (int64_t)timegm (&tm);
  if (*p == 'Z' || *p == 'z')
    p++;
  else if ((*p == '+' || *p == '-') && strlen (p) == 6 && p[3] == ':')
    {
      int h = (p[1] - '0') * 10 + (p[2] - '0'), m = (p[4] - '0') * 10 + (p[5] - '0');
      int64_t off = (int64_t)h * 3600 + m * 60;
      *out += *p == '+' ? -off : off;
      p += 6;
    }
  return *p == '\0' ? 0 : -1;
}

/* ---- summary --------------------------------------------------------------- */

static int
index_of (const char *const *names, size_t n, const char *s)
{
  for (size_t i = 0; s && i < n; i++)
    if (strcmp (names[i], s) == 0)
      return (int)i;
  return -1;
}

static bool
same_id (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

static const char *
member (const struct og_json *rec, const char *key)
{
  const struct og_json *v = og_json_get (rec, key);
  return og_json_is_string (v) ? v->text : NULL;
}

static struct rule_sum *
rule_sum (struct audit *a, const char *rule)
{
  for (size_t i = 0; i < a->n_rules; i++)
    if (strcmp (a->rules[i].rule, rule) == 0)
      return &a->rules[i];
  a->rules = og_xrealloc (a->rules, (a->n_rules + 1) * sizeof *a->rules);
  a->rules[a->n_rules] = (struct rule_sum){ .rule = og_xstrdup (rule) };
  return &a->rules[a->n_rules++];
}

/* A week of a busy host's log is tens of thousands of containers: the
 * per-rule and per-container tables are looked up by binary search. */
static size_t
lower_bound (size_t n, const char *key, const char *(*at) (const void *, size_t), const void *ctx)
{
  size_t lo = 0, hi = n;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (strcmp (at (ctx, mid), key) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static const char *
rule_id_at (const void *ctx, size_t i)
{
  return ((const struct rule_sum *)ctx)->ids[i];
}

static void
rule_sum_id (struct rule_sum *r, const char *id)
{
  const char *key = id ? id : "";
  size_t at = lower_bound (r->n_ids, key, rule_id_at, r);

  if (at < r->n_ids && strcmp (r->ids[at], key) == 0)
    return;
  if (r->n_ids == r->cap_ids)
    {
      r->cap_ids = r->cap_ids ? r->cap_ids * 2 : 8;
      r->ids = og_xrealloc (r->ids, r->cap_ids * sizeof *r->ids);
    }
  memmove (r->ids + at + 1, r->ids + at, (r->n_ids - at) * sizeof *r->ids);
  r->ids[at] = og_xstrdup (key);
  r->n_ids++;
}

static const char *
container_id_at (const void *ctx, size_t i)
{
  const struct audit *a = ctx;
  const char *id = a->containers[a->by_id[i]].id;
  return id ? id : "";
}

static struct container_sum *
container_sum (struct audit *a, const char *id)
{
  const char *key = id ? id : "";
  size_t at = lower_bound (a->n_containers, key, container_id_at, a);

  if (at < a->n_containers && strcmp (container_id_at (a, at), key) == 0)
    return &a->containers[a->by_id[at]];
  if (a->n_containers == a->cap_containers)
    {
      a->cap_containers = a->cap_containers ? a->cap_containers * 2 : 16;
      a->containers = og_xrealloc (a->containers, a->cap_containers * sizeof *a->containers);
      a->by_id = og_xrealloc (a->by_id, a->cap_containers * sizeof *a->by_id);
    }
  memmove (a->by_id + at + 1, a->by_id + at, (a->n_containers - at) * sizeof *a->by_id);
  a->by_id[at] = a->n_containers;
  a->containers[a->n_containers] = (struct container_sum){ .id = id ? og_xstrdup (id) : NULL };
  return &a->containers[a->n_containers++];
}

static void
set_time (char **slot, const char *t, bool first)
{
  if (t == NULL)
    return;
  if (*slot == NULL || (first ? strcmp (t, *slot) < 0 : strcmp (t, *slot) > 0))
    {
      free (*slot);
      *slot = og_xstrdup (t);
    }
}

static void
add_to_summary (struct audit *a, const char *time, const char *event, const char *id, const struct og_json *decisions)
{
  struct container_sum *c = container_sum (a, id);
  int ev = index_of (events, N_EVENTS, event);

  ev = ev < 0 ? N_EVENTS : ev;
  a->events[ev]++;
  c->events[ev]++;
  set_time (&a->first, time, true);
  set_time (&a->last, time, false);
  set_time (&c->first, time, true);
  set_time (&c->last, time, false);
  for (size_t i = 0; decisions && i < decisions->n; i++)
    {
      const char *rule = member (decisions->vals[i], "rule");
      int act = index_of (actions, N_ACTIONS, member (decisions->vals[i], "action"));
      struct rule_sum *r;

      if (act < 0 || rule == NULL)
        continue;
      r = rule_sum (a, rule);
      r->count[act]++;
      rule_sum_id (r, id);
      c->count[act]++;
    }
}

/* A column of `width` characters: a longer value (a 64-hex container id)
 * is cut with "…". */
static void
put_padded (const char *s, size_t width)
{
  size_t len = s ? strlen (s) : 0;

  ctl_put_text (s ? s : "-", len > width ? width - 1 : 0);
  for (size_t i = len; i < width; i++)
    putchar (' ');
}

static void
print_summary_text (const struct audit *a)
{
  printf ("%lu records", a->records);
  if (a->first)
    {
      fputs (" from ", stdout);
      ctl_put_text (a->first, 0);
      fputs (" to ", stdout);
      ctl_put_text (a->last, 0);
    }
  printf (":");
  for (int i = 0, shown = 0; i <= N_EVENTS; i++)
    if (a->events[i])
      printf ("%s %s %lu", shown++ ? "," : "", i < N_EVENTS ? events[i] : "other", a->events[i]);
  printf ("\n\n%-24s %8s %8s %8s %11s\n", "rule", "mutate", "refuse", "audit", "containers");
  for (size_t i = 0; i < a->n_rules; i++)
    {
      put_padded (a->rules[i].rule, 24);
      printf (" %8lu %8lu %8lu %11zu\n", a->rules[i].count[0], a->rules[i].count[1], a->rules[i].count[2],
              a->rules[i].n_ids);
    }
  printf ("\n%-24s %6s %6s %6s %6s %6s %8s %8s %8s  %s\n", "container", "create", "exec", "update", "refuse", "error",
          "mutate", "refuse", "audit", "last");
  for (size_t i = 0; i < a->n_containers; i++)
    {
      const struct container_sum *c = &a->containers[i];
      put_padded (c->id ? c->id : "(no id)", 24);
      printf (" %6lu %6lu %6lu %6lu %6lu %8lu %8lu %8lu  ", c->events[0], c->events[1], c->events[2], c->events[3],
              c->events[4], c->count[0], c->count[1], c->count[2]);
      ctl_put_text (c->last ? c->last : "-", 0);
      putchar ('\n');
    }
}

static void
put_counts (struct og_buf *b, const char *const *names, size_t n, const unsigned long *v)
{
  char num[32];
  og_buf_puts (b, "{");
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        og_buf_puts (b, ",");
      og_buf_put_json_string (b, names[i]);
      snprintf (num, sizeof num, ":%lu", v[i]);
      og_buf_puts (b, num);
    }
  og_buf_puts (b, "}");
}

static void
print_summary_json (const struct audit *a)
{
  struct og_buf b = { 0 };
  char num[64];

  snprintf (num, sizeof num, "{\"records\":%lu,\"first\":", a->records);
  og_buf_puts (&b, num);
  og_buf_put_json_string (&b, a->first);
  og_buf_puts (&b, ",\"last\":");
  og_buf_put_json_string (&b, a->last);
  og_buf_puts (&b, ",\"events\":");
  put_counts (&b, events, N_EVENTS, a->events);
  og_buf_puts (&b, ",\"rules\":[");
  for (size_t i = 0; i < a->n_rules; i++)
    {
      og_buf_puts (&b, i ? ",{\"rule\":" : "{\"rule\":");
      og_buf_put_json_string (&b, a->rules[i].rule);
      og_buf_puts (&b, ",\"actions\":");
      put_counts (&b, actions, N_ACTIONS, a->rules[i].count);
      snprintf (num, sizeof num, ",\"containers\":%zu}", a->rules[i].n_ids);
      og_buf_puts (&b, num);
    }
  og_buf_puts (&b, "],\"containers\":[");
  for (size_t i = 0; i < a->n_containers; i++)
    {
      const struct container_sum *c = &a->containers[i];
      og_buf_puts (&b, i ? ",{\"id\":" : "{\"id\":");
      og_buf_put_json_string (&b, c->id);
      og_buf_puts (&b, ",\"events\":");
      put_counts (&b, events, N_EVENTS, c->events);
      og_buf_puts (&b, ",\"actions\":");
      put_counts (&b, actions, N_ACTIONS, c->count);
      og_buf_puts (&b, ",\"first\":");
      og_buf_put_json_string (&b, c->first);
      og_buf_puts (&b, ",\"last\":");
      og_buf_put_json_string (&b, c->last);
      og_buf_puts (&b, "}");
    }
  og_buf_puts (&b, "]}\n");
  fwrite (b.buf, 1, b.len, stdout);
  free (b.buf);
}

static void
audit_free (struct audit *a)
{
  for (size_t i = 0; i < a->n_rules; i++)
    {
      for (size_t k = 0; k < a->rules[i].n_ids; k++)
        free (a->rules[i].ids[k]);
      free (a->rules[i].ids);
      free (a->rules[i].rule);
    }
  for (size_t i = 0; i < a->n_containers; i++)
    {
      free (a->containers[i].id);
      free (a->containers[i].first);
      free (a->containers[i].last);
    }
  free (a->rules);
  free (a->containers);
  free (a->by_id);
  free (a->first);
  free (a->last);
  free (a->partial.buf);
}

/* ---- one record -------------------------------------------------------------- */

static bool
decision_selected (const struct audit *a, const struct og_json *dec)
{
  return (a->rule == NULL || same_id (member (dec, "rule"), a->rule))
         && (a->action == NULL || same_id (member (dec, "action"), a->action));
}

static void
print_record_text (const struct audit *a, const char *time, const char *event, const char *id,
                   const struct og_json *rec, const struct og_json *decisions)
{
  static const char *const shown[N_ACTIONS] = { "changed", "refused", "noted" };
  bool verify = event && strcmp (event, "verify") == 0;
  const char *message = member (rec, verify ? "reason" : "message");
  bool bad = event
             && (strcmp (event, "refuse") == 0 || strcmp (event, "error") == 0
                 || (verify && !same_id (member (rec, "result"), "allowed (verify audit)")));
  unsigned long count[N_ACTIONS] = { 0 };
  bool any = false;

  for (size_t i = 0; decisions && i < decisions->n; i++)
    {
      int act = index_of (actions, N_ACTIONS, member (decisions->vals[i], "action"));
      if (act >= 0)
        count[act]++;
    }
  ctl_put_text (time ? time : "-", 0);
  printf ("  %s", a->colour && bad ? "\033[1;31m" : "");
  printf ("%-7s", event && index_of (events, N_EVENTS, event) >= 0 ? event : "-");
  printf ("%s ", a->colour && bad ? "\033[0m" : "");
  ctl_put_text (id ? id : "(no id)", 0);
  putchar (' ');
  for (int k = 0; k < N_ACTIONS; k++)
    if (count[k])
      {
        printf ("%s%lu %s", any ? ", " : " ", count[k], shown[k]);
        any = true;
      }
  if (verify)
    {
      printf (" %s %s", member (rec, "stage") ?: "-", member (rec, "result") ?: "-");
      any = true;
    }
  if (message)
    {
      fputs (any ? ": " : " ", stdout);
      ctl_put_text (message, 0);
    }
  putchar ('\n');
  if (!a->verbose)
    return;
  for (size_t i = 0; decisions && i < decisions->n; i++)
    {
      const struct og_json *dec = decisions->vals[i];
      const char *before = member (dec, "before"), *after = member (dec, "after");
      printf ("    %-7s ", index_of (actions, N_ACTIONS, member (dec, "action")) >= 0 ? member (dec, "action") : "-");
      put_padded (member (dec, "rule"), 18);
      putchar (' ');
      ctl_put_text (member (dec, "path") ?: "-", 0);
      fputs (": ", stdout);
      ctl_put_text (member (dec, "reason") ?: "", 0);
      putchar ('\n');
      if (before || after)
        {
          fputs ("            before: ", stdout);
          ctl_put_text (before ?: "(absent)", 0);
          fputs ("\n            after:  ", stdout);
          ctl_put_text (after ?: "(unchanged)", 0);
          putchar ('\n');
        }
    }
}

static void
handle_record (struct audit *a, const char *line, size_t len)
{
  og_cleanup_json struct og_json *rec = NULL;
  struct og_json *decisions;
  struct og_error err = { 0 };
  const char *time, *event, *id;
  int64_t t = 0;

  if (len == 0)
    return;
  if (og_json_parse (line, len, NULL, &rec, &err) < 0 || rec->type != OG_JSON_OBJECT)
    {
      og_error_clear (&err);
      a->unreadable++;
      return;
    }
  time = member (rec, "time");
  event = member (rec, "event");
  id = member (rec, "id");
  decisions = og_json_get (rec, "decisions");
  if (decisions && decisions->type != OG_JSON_ARRAY)
    decisions = NULL;
  if ((a->has_since || a->has_until) && (time == NULL || parse_time (time, 0, &t) < 0))
    return;
  if ((a->has_since && t < a->since) || (a->has_until && t > a->until))
    return;
  /* a prefix, as `docker ps` shows ids */
  if (a->id && (id == NULL || strncmp (id, a->id, strlen (a->id)) != 0))
    return;
  if (a->event && !same_id (event, a->event))
    return;
  if (a->rule || a->action)
    {
      for (size_t i = decisions ? decisions->n : 0; i > 0; i--)
        if (!decision_selected (a, decisions->vals[i - 1]))
          og_json_remove_at (decisions, i - 1);
      if (decisions == NULL || decisions->n == 0)
        return;
    }
  a->records++;
  if (a->summary)
    add_to_summary (a, time, event, id, decisions);
  else if (a->json)
    {
      og_cleanup_free char *out = NULL;
      size_t out_len = 0;
      if (og_json_write (rec, false, &out, &out_len, &err) < 0)
        {
          og_error_clear (&err);
          a->unreadable++;
          return;
        }
      fwrite (out, 1, out_len, stdout);
      putchar ('\n');
    }
  else
    print_record_text (a, time, event, id, rec, decisions);
}

/* Split `data` into lines; a partial last line waits for the rest. */
static void
feed (struct audit *a, const char *data, size_t n)
{
  while (n > 0)
    {
      const char *nl = memchr (data, '\n', n);
      size_t take = nl ? (size_t)(nl - data) : n;

      if (a->partial.len + take <= RECORD_MAX)
        og_buf_put (&a->partial, data, take);
      else
        a->partial.len = RECORD_MAX + 1;
      if (nl == NULL)
        return;
      if (a->partial.len > RECORD_MAX)
        a->unreadable++;
      else if (a->partial.len > 0)
        handle_record (a, a->partial.buf, a->partial.len);
      a->partial.len = 0;
      data = nl + 1;
      n -= take + 1;
    }
}

/* The end of a file: a line without its newline is a torn record (a writer
 * killed mid-write) unless more comes (follow mode). */
static void
feed_end (struct audit *a)
{
  if (a->partial.len > RECORD_MAX)
    a->unreadable++;
  else if (a->partial.len > 0)
    handle_record (a, a->partial.buf, a->partial.len);
  a->partial.len = 0;
}

static int
drain (struct audit *a, int fd, const char *path, struct og_error *err)
{
  char buf[65536];
  for (;;)
    {
      ssize_t r = read (fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return og_error_set (err, errno, "cannot read audit log %s", path);
      if (r == 0)
        return 0;
      feed (a, buf, (size_t)r);
    }
}

/* A log is root's file: a FIFO or device planted in its place is not read
 * (and does not block us). */
static int
open_log (const char *path, struct stat *st, struct og_error *err)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return og_error_set (err, errno, "cannot open audit log %s", path);
  if (fstat (fd, st) < 0 || !S_ISREG (st->st_mode))
    {
      close (fd);
      return og_error_set (err, 0, "audit log %s is not a regular file", path);
    }
  return fd;
}

static int
read_plain (struct audit *a, const char *path, struct og_error *err)
{
  struct stat st;
  og_cleanup_close int fd = open_log (path, &st, err);

  if (fd < 0)
    return -1;
  if (drain (a, fd, path, err) < 0)
    return -1;
  feed_end (a);
  return 0;
}

/* A compressed rotation (logrotate's compress): decompressed by gzip(1),
 * which ocigatectl runs without a shell. */
static int
read_gzip (struct audit *a, const char *path, struct og_error *err)
{
  char *argv[] = { (char *)"gzip", (char *)"-dc", (char *)"--", (char *)path, NULL };
  posix_spawn_file_actions_t fa;
  og_cleanup_close int rd = -1;
  int pipefd[2], status, rc;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return og_error_set (err, errno, "cannot decompress %s", path);
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, pipefd[1], STDOUT_FILENO);
  rc = posix_spawnp (&pid, "gzip", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (pipefd[1]);
  rd = pipefd[0];
  if (rc != 0)
    return og_error_set (err, rc, "cannot run gzip to read %s", path);
  rc = drain (a, rd, path, err);
  feed_end (a);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (rc == 0 && !(WIFEXITED (status) && WEXITSTATUS (status) == 0))
    return og_error_set (err, 0, "gzip could not decompress %s", path);
  return rc;
}

/* FILE.N (or FILE.N.gz), oldest first, then nothing else: the live file is
 * read by the caller. */
static int
read_rotated (struct audit *a, const char *log, struct og_error *err)
{
  struct stat st;
  int last = 0;

  for (int n = 1; n < 10000; n++)
    {
      og_cleanup_free char *plain = og_xasprintf ("%s.%d", log, n), *gz = og_xasprintf ("%s.%d.gz", log, n);
      if (stat (plain, &st) < 0 && stat (gz, &st) < 0)
        break;
      last = n;
    }
  for (int n = last; n >= 1; n--)
    {
      og_cleanup_free char *plain = og_xasprintf ("%s.%d", log, n), *gz = og_xasprintf ("%s.%d.gz", log, n);
      if (lstat (plain, &st) == 0)
        {
          if (read_plain (a, plain, err) < 0)
            return -1;
        }
      else if (read_gzip (a, gz, err) < 0)
        return -1;
    }
  return 0;
}

/* -f: read what is appended; when the file is replaced (rotation by rename)
 * finish the old one and start the new one from its beginning; when it is
 * truncated in place (copytruncate) start again from 0. */
static int
follow (struct audit *a, const char *path, int fd, struct og_error *err)
{
  const struct timespec pause = { 0, FOLLOW_POLL_NS };
  og_cleanup_close int cur = fd;

  for (;;)
    {
      struct stat now, mine;
      if (drain (a, cur, path, err) < 0)
        return -1;
      if (fflush (stdout) != 0)
        return og_error_set (err, errno, "cannot write to standard output");
      nanosleep (&pause, NULL);
      if (stat (path, &now) < 0 || fstat (cur, &mine) < 0)
        continue; /* rotated away, the new file is not there yet */
      if (!og_same_file (&now, &mine))
        {
          struct stat st;
          int next;
          if (drain (a, cur, path, err) < 0)
            return -1;
          feed_end (a);
          next = open_log (path, &st, err);
          if (next < 0)
            return -1;
          close (cur);
          cur = next;
        }
      else if (now.st_size < lseek (cur, 0, SEEK_CUR))
        {
          a->partial.len = 0;
          lseek (cur, 0, SEEK_SET);
        }
    }
}

/* ---- the command --------------------------------------------------------- */

static int
audit_usage (FILE *f, int status)
{
  fprintf (f, "usage: ocigatectl audit [--log FILE | --policy FILE] [--rotated] [--id ID] [--event EVENT]\n"
              "                        [--rule RULE] [--action ACTION] [--since TIME] [--until TIME]\n"
              "                        [--summary] [--verbose] [--json] [-f]\n"
              "TIME: RFC 3339 (2026-12-06T03:20:01Z), a date (2026-12-06) or an age (90s, 15m, 1h, 7d, 2w)\n");
  return status;
}

/* --log, else the policy's audit.log, else the compiled-in default when the
 * installed policy cannot be read. */
static int
log_path (const char *log, const char *policy_path, char **out, struct og_error *err)
{
  og_cleanup_policy struct og_policy *policy = NULL;

  if (log)
    {
      *out = og_xstrdup (log);
      return 0;
    }
  if (og_policy_load (policy_path ? policy_path : OG_POLICY_DEFAULT, &policy, err) < 0)
    {
      if (policy_path)
        return -1;
      og_error_clear (err);
      *out = og_xstrdup (OG_AUDIT_LOG_DEFAULT);
      return 0;
    }
  if (policy->audit_log == NULL)
    return og_error_set (err, 0, "policy %s writes no audit log (no audit.log key): use --log FILE",
                         policy_path ? policy_path : OG_POLICY_DEFAULT);
  *out = og_xstrdup (policy->audit_log);
  return 0;
}

static int
bad_value (const char *what, const char *value)
{
  fprintf (stderr, "ocigatectl: audit: %s %s\n", what, value);
  return audit_usage (stderr, CTL_EXIT_ERROR);
}

int
ctl_audit (int argc, char **argv)
{
  static const struct option opts[] = {
    { "log", required_argument, NULL, 'l' },
    { "policy", required_argument, NULL, 'p' },
    { "id", required_argument, NULL, 'i' },
    { "event", required_argument, NULL, 'e' },
    { "rule", required_argument, NULL, 'r' },
    { "action", required_argument, NULL, 'a' },
    { "since", required_argument, NULL, 's' },
    { "until", required_argument, NULL, 'u' },
    { "summary", no_argument, NULL, 'S' },
    { "verbose", no_argument, NULL, 'v' },
    { "json", no_argument, NULL, 'j' },
    { "follow", no_argument, NULL, 'f' },
    { "rotated", no_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *log = NULL, *policy_path = NULL;
  og_cleanup_free char *path = NULL;
  struct audit a = { 0 };
  struct og_error err = { 0 };
  bool follow_mode = false, rotated = false;
  int64_t now = (int64_t)time (NULL);
  int opt, status = CTL_EXIT_ALLOWED;

  while ((opt = getopt_long (argc, argv, "l:p:i:e:r:a:s:u:Svjfh", opts, NULL)) != -1)
    switch (opt)
      {
        case 'l':
          log = optarg;
          break;
        case 'p':
          policy_path = optarg;
          break;
        case 'i':
          a.id = optarg;
          break;
        case 'e':
          if (index_of (events, N_EVENTS, optarg) < 0)
            return bad_value ("unknown --event (create, exec, update, refuse, error, verify):", optarg);
          a.event = optarg;
          break;
        case 'r':
          a.rule = optarg;
          break;
        case 'a':
          if (index_of (actions, N_ACTIONS, optarg) < 0)
            return bad_value ("unknown --action (mutate, refuse, audit):", optarg);
          a.action = optarg;
          break;
        case 's':
          if (parse_time (optarg, now, &a.since) < 0)
            return bad_value ("--since: not a time:", optarg);
          a.has_since = true;
          break;
        case 'u':
          if (parse_time (optarg, now, &a.until) < 0)
            return bad_value ("--until: not a time:", optarg);
          a.has_until = true;
          break;
        case 'S':
          a.summary = true;
          break;
        case 'v':
          a.verbose = true;
          break;
        case 'j':
          a.json = true;
          break;
        case 'f':
          follow_mode = true;
          break;
        case 'R':
          rotated = true;
          break;
        case 'h':
          return audit_usage (stdout, CTL_EXIT_ALLOWED);
        default:
          return audit_usage (stderr, CTL_EXIT_ERROR);
      }
  if (optind != argc || (follow_mode && a.summary) || (log && policy_path))
    return audit_usage (stderr, CTL_EXIT_ERROR);
  a.colour = !a.json && ctl_use_colour ();
  if (log_path (log, policy_path, &path, &err) < 0)
    return ctl_fail (&err);
  if (rotated && read_rotated (&a, path, &err) < 0)
    status = ctl_fail (&err);
  else if (follow_mode)
    {
      struct stat st;
      int fd = open_log (path, &st, &err);
      if (fd < 0 || follow (&a, path, fd, &err) < 0)
        status = ctl_fail (&err);
    }
  else if (read_plain (&a, path, &err) < 0)
    status = ctl_fail (&err);
  if (status == CTL_EXIT_ALLOWED && a.summary)
    (a.json ? print_summary_json : print_summary_text) (&a);
  if (a.unreadable)
    fprintf (stderr, "ocigatectl: audit: %lu unreadable line%s skipped (a torn record or not JSON)\n", a.unreadable,
             a.unreadable == 1 ? "" : "s");
  if (fflush (stdout) != 0 && status == CTL_EXIT_ALLOWED)
    {
      og_error_set (&err, errno, "cannot write to standard output");
      status = ctl_fail (&err);
    }
  audit_free (&a);
  return status;
}
