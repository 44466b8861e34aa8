/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update: resource changes of a running container are held to the same
 * maxima as at create, so `docker update --pids-limit -1` cannot lift a
 * limit.  The resources come as JSON (--resources FILE or "-" for stdin) or
 * as inline flags; runc ignores the flags when --resources is given.
 * runc keeps what an update does not send, so a period or swap sent alone
 * is judged with the container's current limits, read from its cgroup only
 * then.
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"
#include "ocigate.h"

#define UPDATE_MAX_SIZE (1024 * 1024)

static char *
read_stdin (size_t *len, struct og_error *err)
{
  char *buf;

  if (og_read_fd_bounded (STDIN_FILENO, UPDATE_MAX_SIZE, &buf, len) < 0)
    {
      og_error_set (err, 0,
                    errno == EFBIG ? "update resources on stdin are larger than 1 MiB"
                                   : "cannot read the update resources from stdin");
      return NULL;
    }
  return buf;
}

/* Hand the rewritten resources to runc on stdin, from a memfd (no size
 * limit, nothing left on disk). */
static int
feed_stdin (const char *data, size_t len, struct og_error *err)
{
  og_cleanup_close int fd = memfd_create ("ocigate-update", MFD_CLOEXEC);

  if (fd < 0 || og_write_all (fd, data, len) < 0 || lseek (fd, 0, SEEK_SET) < 0 || dup2 (fd, STDIN_FILENO) < 0)
    return og_error_set (err, 0, "cannot pass the update resources to the runtime");
  return 0;
}

/* One integer (or "max", -1) at the start of a cgroup file of `dir`. */
static int
cgroup_read (const char *dir, const char *file, int64_t *v, int64_t *second)
{
  og_cleanup_free char *path = og_xasprintf ("%s/%s", dir, file);
  char buf[64], *end;

  if (og_read_short (path, buf, sizeof buf) < 0)
    return -1;
  if (strncmp (buf, "max", 3) == 0)
    {
      *v = -1;
      end = buf + 3;
    }
  else
    {
      errno = 0;
      *v = strtoll (buf, &end, 10);
      if (errno || end == buf)
        return -1;
    }
  if (second)
    {
      char *p = end;
      errno = 0;
      *second = strtoll (p, &end, 10);
      if (errno || end == p)
        return -1;
    }
  return 0;
}

/* The container's cgroup directory for `controller` ("" on cgroup v2), as
 * runc recorded it in its state (root-owned, under --root; the container
 * cannot move it).  Caller-owned; NULL when unknown. */
static char *
cgroup_dir (const struct ocigate_run *r, const char *controller, bool *v2)
{
  const struct og_json_opts opts = { .max_size = OG_SPEC_MAX_SIZE, .max_depth = OG_SPEC_MAX_DEPTH };
  struct ocigate_bundle doc = { .dirfd = -1 };
  og_cleanup_json struct og_json *state = NULL;
  og_cleanup_free char *path = NULL;
  struct og_json *v1, *unified;
  struct og_error err = { 0 };

  if (r->cl.id == NULL || strchr (r->cl.id, '/') || r->cl.id[0] == '.')
    return NULL;
  path = og_xasprintf ("%s/%s/state.json", r->cl.root, r->cl.id);
  if (ocigate_doc_open_path (path, &doc, &err) < 0 || og_json_parse (doc.data, doc.len, &opts, &state, &err) < 0)
    {
      og_error_clear (&err);
      ocigate_bundle_close (&doc);
      return NULL;
    }
  ocigate_bundle_close (&doc);
  v1 = og_json_path (state, "cgroup_paths", controller, NULL);
  unified = og_json_path (state, "cgroup_paths", "", NULL);
  *v2 = !og_json_is_string (v1);
  if (*v2)
    v1 = unified;
  if (og_json_is_string (v1) && og_path_under (v1->text, "/sys/fs/cgroup"))
    return og_xstrdup (v1->text);
  return NULL;
}

/* The CFS quota and period as the kernel holds them now: runc keeps the
 * file's quota when an update sends a period alone. */
static int
cpu_now (void *arg, int64_t *quota, int64_t *period)
{
  bool v2;
  og_cleanup_free char *dir = cgroup_dir (arg, "cpu", &v2);

  if (dir == NULL)
    return -1;
  if (v2)
    return cgroup_read (dir, "cpu.max", quota, period);
  return cgroup_read (dir, "cpu.cfs_quota_us", quota, NULL) < 0
                 || cgroup_read (dir, "cpu.cfs_period_us", period, NULL) < 0
             ? -1
             : 0;
}

static int
memory_now (void *arg, int64_t *limit)
{
  bool v2;
  og_cleanup_free char *dir = cgroup_dir (arg, "memory", &v2);

  if (dir == NULL)
    return -1;
  return cgroup_read (dir, v2 ? "memory.max" : "memory.limit_in_bytes", limit, NULL);
}

/* runc now reads what was checked from stdin, whatever the file holds. */
static void
resources_from_stdin (struct ocigate_run *r)
{
  for (size_t k = 0; k < r->cl.nflags; k++)
    {
      const struct ocigate_flag *f = &r->cl.flags[k];
      if (strcmp (f->name, "resources") != 0 && strcmp (f->name, "r") != 0)
        continue;
      if (f->value_index >= 0)
        r->cl.argv[f->value_index] = (char *)"-";
      else
        r->cl.argv[f->index] = (char *)"--resources=-";
    }
}

static int
update_json (struct ocigate_run *r, const char *source, struct og_error *err)
{
  const struct og_enforce_ctx ctx
      = { .policy = r->rules, .container_id = r->cl.id, .cpu_now = cpu_now, .memory_now = memory_now, .now_arg = r };
  og_cleanup_json struct og_json *res = NULL;
  og_cleanup_free char *data = NULL, *out = NULL;
  ocigate_cleanup_bundle struct ocigate_bundle doc = { .dirfd = -1 };
  size_t len, out_len;

  if (strcmp (source, "-") == 0)
    {
      if ((data = read_stdin (&len, err)) == NULL)
        return OCIGATE_ERROR;
    }
  else
    {
      if (ocigate_doc_open_path (source, &doc, err) < 0)
        return og_error_wrap (err, "update resources %s", source);
      data = og_steal_pointer (&doc.data);
      len = doc.len;
    }
  if (og_spec_parse (data, len, &res, err) < 0)
    return og_error_wrap (err, "update resources %s", source);
  if (og_enforce_update (&ctx, res, &r->decisions, err) < 0)
    return OCIGATE_ERROR;
  if (og_decisions_refused (&r->decisions))
    return OCIGATE_REFUSED;
  if (og_json_write (res, false, &out, &out_len, err) < 0 || feed_stdin (out, out_len, err) < 0)
    return OCIGATE_ERROR;
  resources_from_stdin (r);
  return OCIGATE_ACCEPTED;
}

/* docker/go-units RAMInBytes: "100m", "1.5GiB", "512 kb" (binary units). */
static int
ram_in_bytes (const char *s, int64_t *out)
{
  static const char units[] = "kmgtp";
  char *end;
  double v;
  int shift = 0;

  if (!isdigit ((unsigned char)*s))
    return -1;
  errno = 0;
  v = strtod (s, &end);
  if (errno || end == s)
    return -1;
  if (*end == ' ')
    end++;
  if (*end)
    {
      const char *u = strchr (units, tolower ((unsigned char)*end));
      if (u == NULL)
        return -1;
      shift = 10 * (int)(u - units + 1);
      end++;
    }
  if (*end == 'i' || *end == 'I')
    end++;
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end)
    return -1;
  v = v * (double)(1LL << shift);
  if (!(v < 9.2e18))
    return -1;
  *out = (int64_t)v;
  return 0;
}

struct inline_flag
{
  const char *flag;
  const char *section, *key;
  int (*parse) (const char *, int64_t *);
};

static int
parse_mem (const char *s, int64_t *out)
{
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  return ram_in_bytes (s, out);
}

static const struct inline_flag inline_flags[] = {
  { "memory", "memory", "limit", parse_mem },        { "memory-swap", "memory", "swap", parse_mem },
  { "cpu-quota", "cpu", "quota", og_parse_int64 },   { "cpu-period", "cpu", "period", og_parse_int64 },
  { "pids-limit", "pids", "limit", og_parse_int64 }, { "cpu-rt-runtime", "cpu", "realtimeRuntime", og_parse_int64 },
};

/* Inline flags become a resources object, are judged like JSON, and are
 * written back as --flag=value. */
static int
update_inline (struct ocigate_run *r, struct og_error *err)
{
  const struct og_enforce_ctx ctx
      = { .policy = r->rules, .container_id = r->cl.id, .cpu_now = cpu_now, .memory_now = memory_now, .now_arg = r };
  og_cleanup_json struct og_json *res = og_json_new (OG_JSON_OBJECT);
  bool any = false;

  for (size_t i = 0; i < sizeof inline_flags / sizeof inline_flags[0]; i++)
    {
      const char *v = ocigate_cmdline_flag (&r->cl, inline_flags[i].flag, NULL);
      struct og_json *sec;
      int64_t n;

      if (v == NULL || v[0] == '\0')
        continue;
      if (inline_flags[i].parse (v, &n) < 0)
        return og_error_set (err, 0, "update --%s: invalid value \"%s\"", inline_flags[i].flag, v);
      sec = og_json_ensure_object (res, inline_flags[i].section);
      og_json_set (sec, inline_flags[i].key, og_json_new_number (n));
      any = true;
    }
  if (!any)
    return OCIGATE_ACCEPTED;
  if (og_enforce_update (&ctx, res, &r->decisions, err) < 0)
    return OCIGATE_ERROR;
  if (og_decisions_refused (&r->decisions))
    return OCIGATE_REFUSED;
  /* Drop every occurrence of the judged flags (last one wins in runc) and
   * append the judged values; urfave/cli reads flags after the id too. */
  for (size_t k = r->cl.nflags; k-- > 0;)
    for (size_t i = 0; i < sizeof inline_flags / sizeof inline_flags[0]; i++)
      if (strcmp (r->cl.flags[k].name, inline_flags[i].flag) == 0)
        {
          ocigate_argv_drop_flag (&r->cl, &r->cl.flags[k]);
          break;
        }
  for (size_t i = 0; i < sizeof inline_flags / sizeof inline_flags[0]; i++)
    {
      struct og_json *v = og_json_path (res, inline_flags[i].section, inline_flags[i].key, NULL);
      if (v)
        ocigate_argv_insert (&r->cl, r->cl.cmd_index + 1, og_xasprintf ("--%s=%s", inline_flags[i].flag, v->text));
    }
  return OCIGATE_ACCEPTED;
}

int
ocigate_cmd_update (struct ocigate_run *r, struct og_error *err)
{
  const char *source = ocigate_cmdline_flag (&r->cl, "resources", "r");

  if (ocigate_running_profile (r, err) < 0)
    return OCIGATE_ERROR;
  if (source && source[0])
    return update_json (r, source, err);
  return update_inline (r, err);
}
