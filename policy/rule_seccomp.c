/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp: every container runs under a syscall filter.  A config without
 * one (`--security-opt seccomp=unconfined`, --privileged, an empty object)
 * gets the policy's default profile.  A profile the container brings is
 * judged by what it lets through, whatever its spelling: it may let through
 * no syscall that the default profile (the reference) denies or allows only
 * with argument filters, on no architecture the reference leaves out, with
 * no filter flag the reference does not set; the syscalls Docker's profile
 * unlocks for a capability count only while the container still has that
 * capability.  A seccomp agent (SCMP_ACT_NOTIFY, listenerPath) must be one
 * the policy names.  Every profile then refuses setting S_ISUID/S_ISGID.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "rule.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

static const char *const arch_names[] = { "SCMP_ARCH_X86_64",  "SCMP_ARCH_X86",     "SCMP_ARCH_X32",
                                          "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",     "SCMP_ARCH_PPC64LE",
                                          "SCMP_ARCH_S390X",   "SCMP_ARCH_RISCV64", NULL };
static const uint32_t arch_tokens[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86,     SCMP_ARCH_X32,   SCMP_ARCH_AARCH64,
                                        SCMP_ARCH_ARM,    SCMP_ARCH_PPC64LE, SCMP_ARCH_S390X, SCMP_ARCH_RISCV64 };

/* What Docker's default profile (moby profiles/seccomp/default.json,
 * includes.caps) unlocks for a capability: the generated profile carries
 * no key any more, so an allowance is matched by name.  unshare, mount,
 * setns and clone without the namespace mask are CAP_SYS_ADMIN's because
 * a new user namespace hands out every capability in it. */
static const struct
{
  const char *cap, *syscall;
} cap_syscalls[] = {
  { "CAP_DAC_READ_SEARCH", "open_by_handle_at" },
  { "CAP_SYS_ADMIN", "bpf" },
  { "CAP_SYS_ADMIN", "clone" },
  { "CAP_SYS_ADMIN", "clone3" },
  { "CAP_SYS_ADMIN", "fanotify_init" },
  { "CAP_SYS_ADMIN", "fsconfig" },
  { "CAP_SYS_ADMIN", "fsmount" },
  { "CAP_SYS_ADMIN", "fsopen" },
  { "CAP_SYS_ADMIN", "fspick" },
  { "CAP_SYS_ADMIN", "lookup_dcookie" },
  { "CAP_SYS_ADMIN", "mount" },
  { "CAP_SYS_ADMIN", "mount_setattr" },
  { "CAP_SYS_ADMIN", "move_mount" },
  { "CAP_SYS_ADMIN", "open_tree" },
  { "CAP_SYS_ADMIN", "perf_event_open" },
  { "CAP_SYS_ADMIN", "quotactl" },
  { "CAP_SYS_ADMIN", "quotactl_fd" },
  { "CAP_SYS_ADMIN", "setdomainname" },
  { "CAP_SYS_ADMIN", "sethostname" },
  { "CAP_SYS_ADMIN", "setns" },
  { "CAP_SYS_ADMIN", "syslog" },
  { "CAP_SYS_ADMIN", "umount" },
  { "CAP_SYS_ADMIN", "umount2" },
  { "CAP_SYS_ADMIN", "unshare" },
  { "CAP_SYS_BOOT", "reboot" },
  { "CAP_SYS_CHROOT", "chroot" },
  { "CAP_SYS_MODULE", "delete_module" },
  { "CAP_SYS_MODULE", "init_module" },
  { "CAP_SYS_MODULE", "finit_module" },
  { "CAP_SYS_PACCT", "acct" },
  { "CAP_SYS_PTRACE", "kcmp" },
  { "CAP_SYS_PTRACE", "pidfd_getfd" },
  { "CAP_SYS_PTRACE", "process_madvise" },
  { "CAP_SYS_PTRACE", "process_vm_readv" },
  { "CAP_SYS_PTRACE", "process_vm_writev" },
  { "CAP_SYS_PTRACE", "ptrace" },
  { "CAP_SYS_RAWIO", "iopl" },
  { "CAP_SYS_RAWIO", "ioperm" },
  { "CAP_SYS_TIME", "settimeofday" },
  { "CAP_SYS_TIME", "stime" },
  { "CAP_SYS_TIME", "clock_settime" },
  { "CAP_SYS_TIME", "clock_settime64" },
  { "CAP_SYS_TTY_CONFIG", "vhangup" },
  { "CAP_SYS_NICE", "get_mempolicy" },
  { "CAP_SYS_NICE", "mbind" },
  { "CAP_SYS_NICE", "set_mempolicy" },
  { "CAP_SYS_NICE", "set_mempolicy_home_node" },
  { "CAP_SYSLOG", "syslog" },
  { "CAP_BPF", "bpf" },
  { "CAP_PERFMON", "perf_event_open" },
};

/* The calls that can give a file S_ISUID/S_ISGID, with the index of their
 * mode argument. */
static const struct
{
  const char *name;
  int mode_arg;
} setid_calls[] = {
  { "chmod", 1 },     { "fchmod", 1 }, { "creat", 1 },   { "mknod", 1 },  { "fchmodat", 2 },
  { "fchmodat2", 2 }, { "open", 2 },   { "mknodat", 2 }, { "openat", 3 },
};
/* Their mode hides behind a pointer (openat2's struct open_how, io_uring's
 * IORING_OP_OPENAT): answered "not implemented", so libc falls back to
 * openat, which is filtered. */
static const char *const enosys_calls[] = { "openat2", "io_uring_setup", NULL };
#define OG_S_ISUID 04000
#define OG_S_ISGID 02000

/* A name no supported architecture knows is a typo that would silently
 * leave a hole (runc skips unknown names). */
bool
og_syscall_known (const char *name)
{
  for (size_t i = 0; i < sizeof arch_tokens / sizeof arch_tokens[0]; i++)
    if (seccomp_syscall_resolve_name_arch (arch_tokens[i], name) != __NR_SCMP_ERROR)
      return true;
  return false;
}

/* Does a rule (or default) action let the syscall run?  Judged by effect:
 * TRACE hands it to a tracer the container may own, NOTIFY to an agent
 * that may continue it, ERRNO 0 (runc keeps the low 16 bits of errnoRet)
 * skips it but reports success to code that checks it dropped privileges,
 * and an action runc does not know is not a denial we can vouch for. */
static bool
lets_through (const struct og_json *action, const struct og_json *errno_ret)
{
  static const char *const denials[]
      = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", NULL };
  int64_t v;

  if (!og_json_is_string (action))
    return true;
  if (og_strv_contains ((char *const *)denials, action->text))
    return false;
  if (strcmp (action->text, "SCMP_ACT_ERRNO") != 0)
    return true;
  if (errno_ret == NULL || errno_ret->type == OG_JSON_NULL)
    return false; /* runc's default: EPERM */
  return og_json_int64 (errno_ret, &v) < 0 || v < 0 || (v & 0xffff) == 0;
}

static bool
rule_lets_through (const struct og_json *rule)
{
  return lets_through (og_json_get_set (rule, "action"), og_json_get (rule, "errnoRet"));
}

static bool
allows_by_default (const struct og_json *prof)
{
  return lets_through (og_json_get_set (prof, "defaultAction"), og_json_get (prof, "defaultErrnoRet"));
}

static bool
is_notify (const struct og_json *action)
{
  return og_json_is_string (action) && strcmp (action->text, "SCMP_ACT_NOTIFY") == 0;
}

int
og_seccomp_load_profile (const char *path, struct og_json **out, struct og_error *err)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not hang us */
  og_cleanup_free char *buf = NULL;
  og_cleanup_json struct og_json *prof = NULL;
  struct og_json *syscalls, *archs;
  struct stat st;
  size_t n;

  if (fd < 0)
    return og_error_set (err, errno, "cannot open seccomp profile %s", path);
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size > (off_t)OG_SPEC_MAX_SIZE)
    return og_error_set (err, 0, "seccomp profile %s is not a regular file of sane size", path);
  /* the profile is part of the policy: whoever could write it could allow
   * every syscall */
  if (!og_file_trusted (&st))
    return og_error_set (err, 0, "seccomp profile %s is writable by others or not owned by root; refusing to trust it",
                         path);
  /* a profile that grows or shrinks while it is read is not the one judged */
  if (og_read_fd_bounded (fd, (size_t)st.st_size, &buf, &n) < 0)
    return og_error_set (err, errno == EFBIG ? 0 : errno, "cannot read seccomp profile %s", path);
  if (n != (size_t)st.st_size)
    return og_error_set (err, 0, "cannot read seccomp profile %s", path);
  if (og_spec_parse (buf, n, &prof, err) < 0)
    return og_error_wrap (err, "seccomp profile %s", path);
  if (!og_json_is_string (og_json_get (prof, "defaultAction")))
    return og_error_set (err, 0, "seccomp profile %s has no defaultAction", path);
  if (allows_by_default (prof))
    return og_error_set (err, 0, "seccomp profile %s allows every syscall by default", path);
  archs = og_json_get_set (prof, "architectures");
  for (size_t i = 0; archs && i < archs->n; i++)
    if (!og_json_is_string (archs->vals[i]) || !og_strv_contains ((char *const *)arch_names, archs->vals[i]->text))
      return og_error_set (err, 0, "seccomp profile %s: unknown architecture %s", path,
                           og_json_is_string (archs->vals[i]) ? archs->vals[i]->text : "(not a string)");
  syscalls = og_json_get_set (prof, "syscalls");
  if (syscalls == NULL || syscalls->type != OG_JSON_ARRAY)
    return og_error_set (err, 0, "seccomp profile %s has no syscalls array", path);
  for (size_t i = 0; i < syscalls->n; i++)
    {
      struct og_json *names = og_json_get_set (syscalls->vals[i], "names");
      if (names == NULL || names->type != OG_JSON_ARRAY)
        return og_error_set (err, 0, "seccomp profile %s: syscalls[%zu] has no names", path, i);
      for (size_t k = 0; k < names->n; k++)
        if (!og_json_is_string (names->vals[k]) || !og_syscall_known (names->vals[k]->text))
          return og_error_set (err, 0, "seccomp profile %s: unknown syscall %s", path,
                               og_json_is_string (names->vals[k]) ? names->vals[k]->text : "(not a string)");
    }
  *out = og_steal_pointer (&prof);
  return 0;
}

/* ---- the reference: the policy's default profile --------------------- */

/* A copy of a rule with other names (takes `names`): its own may be the
 * whole allowlist, not worth copying. */
static struct og_json *
clone_with_names (const struct og_json *rule, struct og_json *names)
{
  struct og_json *r = og_json_new (OG_JSON_OBJECT);

  og_json_set (r, "names", names);
  for (size_t i = 0; i < rule->n; i++)
    if (strcmp (rule->keys[i], "names") != 0)
      og_json_set (r, rule->keys[i], og_json_clone (rule->vals[i]));
  return r;
}

struct ref_entry
{
  const char *name;
  const struct og_json *rule;
  bool allows;       /* the rule lets the call through */
  bool allows_plain; /* ... whatever the arguments */
};

struct reference
{
  struct og_json *prof;       /* owned */
  struct ref_entry *v;        /* every (name, rule) of the profile */
  size_t n;                   /* entries */
  size_t *next;               /* 1 + the next entry with the same name, 0: none */
  size_t *slots, nslots;      /* hash of names: 1 + the first entry of a name, 0: empty */
  const struct og_json *caps; /* the container's bounding set after the capability rule */
};

/* FNV-1a: the reference is looked up once per name of a profile. */
static size_t
name_hash (const char *s)
{
  uint32_t h = 2166136261u;

  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static void
reference_index (struct reference *ref)
{
  ref->nslots = 64;
  while (ref->nslots < 2 * ref->n)
    ref->nslots *= 2;
  ref->slots = og_xcalloc (ref->nslots, sizeof *ref->slots);
  ref->next = og_xcalloc (ref->n ? ref->n : 1, sizeof *ref->next);
  /* backwards, so that each name's chain is in profile order */
  for (size_t i = ref->n; i-- > 0;)
    {
      size_t h = name_hash (ref->v[i].name) & (ref->nslots - 1);
      while (ref->slots[h] && strcmp (ref->v[ref->slots[h] - 1].name, ref->v[i].name) != 0)
        h = (h + 1) & (ref->nslots - 1);
      ref->next[i] = ref->slots[h];
      ref->slots[h] = i + 1;
    }
}

static bool
no_args (const struct og_json *rule)
{
  const struct og_json *args = og_json_get_set (rule, "args");
  return args == NULL || (args->type == OG_JSON_ARRAY && args->n == 0);
}

static void
reference_init (struct reference *ref, struct og_json *prof, const struct og_json *spec)
{
  const struct og_json *rules = og_json_get_set (prof, "syscalls");
  size_t cap = 0;

  ref->prof = prof;
  for (size_t i = 0; rules && i < rules->n; i++)
    {
      const struct og_json *names = og_json_get_set (rules->vals[i], "names");
      bool allows = rule_lets_through (rules->vals[i]), plain = allows && no_args (rules->vals[i]);
      for (size_t k = 0; names && k < names->n; k++)
        {
          if (ref->n == cap)
            {
              cap = cap ? cap * 2 : 512;
              ref->v = og_xrealloc (ref->v, cap * sizeof *ref->v);
            }
          ref->v[ref->n++] = (struct ref_entry){ names->vals[k]->text, rules->vals[i], allows, plain };
        }
    }
  reference_index (ref);
  ref->caps = og_json_path (spec, "process", "capabilities", "bounding", NULL);
}

static void
reference_free (struct reference *ref)
{
  free (ref->v);
  free (ref->next);
  free (ref->slots);
  og_json_free (ref->prof);
}

/* 1 + the reference's first entry for `name` (then ref->next), 0: none. */
static size_t
reference_first (const struct reference *ref, const char *name)
{
  size_t h = name_hash (name) & (ref->nslots - 1);

  for (; ref->slots[h]; h = (h + 1) & (ref->nslots - 1))
    if (strcmp (ref->v[ref->slots[h] - 1].name, name) == 0)
      return ref->slots[h];
  return 0;
}

static bool
cap_unlocks (const struct reference *ref, const char *name)
{
  for (size_t i = 0; i < sizeof cap_syscalls / sizeof cap_syscalls[0]; i++)
    if (strcmp (cap_syscalls[i].syscall, name) == 0 && og_json_array_has_string (ref->caps, cap_syscalls[i].cap))
      return true;
  return false;
}

/* The reference lets `name` run whatever its arguments. */
static bool
reference_allows_plainly (const struct reference *ref, const char *name)
{
  for (size_t i = reference_first (ref, name); i; i = ref->next[i - 1])
    if (ref->v[i - 1].allows_plain)
      return true;
  return cap_unlocks (ref, name);
}

/* ---- argument filters ------------------------------------------------ */

/* Two comparisons are the same when runc hands libseccomp the same
 * condition: index, operator, value and valueTwo (0 when absent), as the
 * integers Go decodes (a number that is not one makes runc fail). */
static bool
cond_value_eq (const struct og_json *a, const struct og_json *b)
{
  const char *ta = a && a->type == OG_JSON_NUMBER ? a->text : (a == NULL || a->type == OG_JSON_NULL ? "0" : NULL);
  const char *tb = b && b->type == OG_JSON_NUMBER ? b->text : (b == NULL || b->type == OG_JSON_NULL ? "0" : NULL);
  return ta && tb && strcmp (ta, tb) == 0;
}

static bool
cond_eq (const struct og_json *a, const struct og_json *b)
{
  const struct og_json *opa = og_json_get_set (a, "op"), *opb = og_json_get_set (b, "op");
  int64_t ia, ib;

  return og_json_int64 (og_json_get (a, "index"), &ia) == 0 && og_json_int64 (og_json_get (b, "index"), &ib) == 0
         && ia == ib && og_json_is_string (opa) && og_json_is_string (opb) && strcmp (opa->text, opb->text) == 0
         && og_json_get (a, "value") && cond_value_eq (og_json_get (a, "value"), og_json_get (b, "value"))
         && cond_value_eq (og_json_get (a, "valueTwo"), og_json_get (b, "valueTwo"));
}

/* runc 1.1 adds the comparisons of a rule that names one argument twice as
 * separate rules (OR), otherwise as one (AND). */
static bool
repeats_an_index (const struct og_json *args)
{
  unsigned seen = 0;

  for (size_t i = 0; i < args->n; i++)
    {
      int64_t idx;
      if (og_json_int64 (og_json_get (args->vals[i], "index"), &idx) < 0 || idx < 0 || idx > 5)
        return true; /* judged one comparison at a time, each then fails to match */
      if (seen & (1u << idx))
        return true;
      seen |= 1u << idx;
    }
  return false;
}

static bool
has_cond (const struct og_json *conds, size_t first, size_t count, const struct og_json *c)
{
  for (size_t i = first; i < first + count; i++)
    if (cond_eq (conds->vals[i], c))
      return true;
  return false;
}

/* Is everything conds[first, first + count) (ANDed) lets through also let
 * through by the reference rule `ref_args`? */
static bool
within_reference_rule (const struct og_json *ref_args, const struct og_json *conds, size_t first, size_t count)
{
  if (ref_args == NULL || ref_args->type != OG_JSON_ARRAY || ref_args->n == 0)
    return false;
  if (repeats_an_index (ref_args))
    {
      for (size_t i = 0; i < ref_args->n; i++)
        if (has_cond (conds, first, count, ref_args->vals[i]))
          return true;
      return false;
    }
  for (size_t i = 0; i < ref_args->n; i++)
    if (!has_cond (conds, first, count, ref_args->vals[i]))
      return false;
  return true;
}

static bool
within_reference (const struct reference *ref, const char *name, const struct og_json *conds, size_t first,
                  size_t count)
{
  for (size_t i = reference_first (ref, name); i; i = ref->next[i - 1])
    if (ref->v[i - 1].allows
        && within_reference_rule (og_json_get_set (ref->v[i - 1].rule, "args"), conds, first, count))
      return true;
  return false;
}

/* Does the reference let through all that this allowing rule does for
 * `name`? */
static bool
covered (const struct reference *ref, const char *name, const struct og_json *rule)
{
  const struct og_json *args = og_json_get_set (rule, "args");

  if (reference_allows_plainly (ref, name))
    return true;
  if (args == NULL || args->type != OG_JSON_ARRAY || args->n == 0)
    return false;
  if (!repeats_an_index (args))
    return within_reference (ref, name, args, 0, args->n);
  for (size_t i = 0; i < args->n; i++)
    if (!within_reference (ref, name, args, i, 1))
      return false;
  return true;
}

/* ---- holding a profile to the reference ------------------------------ */

static char *
string_text (const char *s)
{
  og_cleanup_json struct og_json *j = og_json_new_string (s);
  return og_json_to_text (j);
}

/* Drop, in one pass, the names of a rule that `drop` says go (a profile
 * may hold millions of names: no quadratic removal). */
static void
compact_names (struct og_json *names, bool (*drop) (const char *name, const void *data), const void *data)
{
  size_t w = 0;

  for (size_t k = 0; k < names->n; k++)
    {
      if (og_json_is_string (names->vals[k]) && drop (names->vals[k]->text, data))
        og_json_free (names->vals[k]);
      else
        names->vals[w++] = names->vals[k];
    }
  names->n = w;
}

/* Apply compact_names to every rule; a rule left with no name goes. */
static void
drop_names (struct og_json *rules, bool (*drop) (const char *name, const void *data), const void *data)
{
  size_t w = 0;

  for (size_t i = 0; i < rules->n; i++)
    {
      struct og_json *names = og_json_get_set (rules->vals[i], "names");

      if (names && names->type == OG_JSON_ARRAY)
        {
          size_t before = names->n;
          compact_names (names, drop, data);
          if (names->n == 0 && before > 0)
            {
              og_json_free (rules->vals[i]);
              continue;
            }
        }
      rules->vals[w++] = rules->vals[i];
    }
  rules->n = w;
}

static bool
is_name (const char *name, const void *data)
{
  return strcmp (name, data) == 0;
}

static void
drop_name (struct og_json *rules, const char *name)
{
  drop_names (rules, is_name, name);
}

static int
str_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* A sorted name list. */
struct name_set
{
  char **v;
  size_t n, cap;
};

static void
name_set_add (struct name_set *s, const char *name)
{
  if (s->n + 1 >= s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 16;
      s->v = og_xrealloc (s->v, s->cap * sizeof *s->v);
    }
  s->v[s->n++] = og_xstrdup (name);
  s->v[s->n] = NULL;
}

/* Sort and drop duplicates. */
static void
name_set_seal (struct name_set *s)
{
  size_t w = 0;

  if (s->n == 0)
    return;
  qsort (s->v, s->n, sizeof *s->v, str_cmp);
  for (size_t i = 0; i < s->n; i++)
    {
      if (w > 0 && strcmp (s->v[w - 1], s->v[i]) == 0)
        free (s->v[i]);
      else
        s->v[w++] = s->v[i];
    }
  s->n = w;
  s->v[w] = NULL;
}

static bool
in_name_set (const char *name, const void *data)
{
  const struct name_set *s = data;
  return s->n > 0 && bsearch (&name, s->v, s->n, sizeof *s->v, str_cmp) != NULL;
}

static void
name_set_free (struct name_set *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
}

/* The reference's own rules for `name` (its argument-filtered allowances
 * and its answers such as clone3's ENOSYS), each naming only `name`. */
static struct og_json *
reference_rules_for (const struct reference *ref, const char *name)
{
  struct og_json *out = og_json_new (OG_JSON_ARRAY);

  for (size_t i = reference_first (ref, name); i; i = ref->next[i - 1])
    {
      struct og_json *names = og_json_new (OG_JSON_ARRAY);
      og_json_append (names, og_json_new_string (name));
      og_json_append (out, clone_with_names (ref->v[i - 1].rule, names));
    }
  return out;
}

/* Each name beyond the reference is recorded (the first ones one by one,
 * the rest together: a profile may hold millions), then taken out of every
 * rule and given the reference's rules for it. */
#define OG_SECCOMP_DECISIONS 32

static void
replace_with_reference (const struct og_enforce_ctx *ctx, const struct reference *ref, struct og_json *rules,
                        struct name_set *beyond, struct og_decisions *d)
{
  struct name_set gone = { 0 };
  size_t n = beyond->n;

  for (size_t i = 0; i < n && i < OG_SECCOMP_DECISIONS; i++)
    {
      og_cleanup_json struct og_json *repl = reference_rules_for (ref, beyond->v[i]);
      if (og_rule_change (ctx, ctx->policy->seccomp.action, d, "seccomp", "linux.seccomp.syscalls",
                          string_text (beyond->v[i]), repl->n ? og_json_to_text (repl) : NULL,
                          "the profile lets %s through where the reference profile %s %s", beyond->v[i],
                          ctx->policy->seccomp.default_profile,
                          repl->n ? "allows it only with these rules" : "denies it"))
        name_set_add (&gone, beyond->v[i]);
    }
  if (n > OG_SECCOMP_DECISIONS
      && og_rule_change (ctx, ctx->policy->seccomp.action, d, "seccomp", "linux.seccomp.syscalls", NULL, NULL,
                         "the profile lets %zu more syscalls through (%s, ...) that the reference profile %s denies "
                         "or filters",
                         n - OG_SECCOMP_DECISIONS, beyond->v[OG_SECCOMP_DECISIONS],
                         ctx->policy->seccomp.default_profile))
    for (size_t i = OG_SECCOMP_DECISIONS; i < n; i++)
      name_set_add (&gone, beyond->v[i]);
  name_set_seal (&gone);
  drop_names (rules, in_name_set, &gone);
  for (size_t i = 0; i < gone.n; i++)
    {
      og_cleanup_json struct og_json *repl = reference_rules_for (ref, gone.v[i]);
      for (size_t k = 0; k < repl->n; k++)
        og_json_append (rules, og_steal_pointer (&repl->vals[k]));
      repl->n = 0;
    }
  name_set_free (&gone);
}

/* Every name an allowing rule lets through beyond the reference; false
 * after recording a rule runc could not decode. */
static bool
names_beyond_reference (const struct reference *ref, const struct og_json *rules, bool trust_notify,
                        struct name_set *out, struct og_decisions *d)
{
  for (size_t i = 0; i < rules->n; i++)
    {
      const struct og_json *rule = rules->vals[i], *names = og_json_get_set (rule, "names");

      if (rule->type != OG_JSON_OBJECT || (names && names->type != OG_JSON_ARRAY))
        {
          og_cleanup_free char *path = og_xasprintf ("linux.seccomp.syscalls[%zu]", i);
          og_rule_malformed (d, "seccomp", path, rule, "an object with an array of names");
          return false;
        }
      if (!rule_lets_through (rule) || (trust_notify && is_notify (og_json_get_set (rule, "action"))))
        continue;
      for (size_t k = 0; names && k < names->n; k++)
        {
          const struct og_json *nm = names->vals[k];
          if (!og_json_is_string (nm))
            {
              og_cleanup_free char *path = og_xasprintf ("linux.seccomp.syscalls[%zu].names[%zu]", i, k);
              og_rule_malformed (d, "seccomp", path, nm, "a string");
              return false;
            }
          if (!covered (ref, nm->text, rule))
            name_set_add (out, nm->text);
        }
    }
  name_set_seal (out);
  return true;
}

static bool
listed (const struct og_json *v, char *const *allowed)
{
  return og_json_is_string (v) && og_strv_contains (allowed, v->text);
}

/* Keep the members of linux.seccomp.KEY that the reference has: one
 * decision, one pass (the list may be millions long). */
static void
hold_list (const struct og_enforce_ctx *ctx, struct og_json *seccomp, const char *key, char *const *allowed,
           const char *what, struct og_decisions *d)
{
  struct og_json *list = og_json_get_set (seccomp, key);
  og_cleanup_free char *path = og_xasprintf ("linux.seccomp.%s", key);
  size_t bad = 0, first = 0, w = 0;

  if (list == NULL)
    return;
  if (list->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "seccomp", path, list, "an array of strings");
      return;
    }
  for (size_t i = list->n; i-- > 0;)
    if (!listed (list->vals[i], allowed))
      {
        bad++;
        first = i;
      }
  if (bad == 0
      || !og_rule_change (ctx, ctx->policy->seccomp.action, d, "seccomp", path, og_json_to_text (list->vals[first]),
                          NULL, "%s %s is not in the reference profile %s%s", what,
                          og_json_is_string (list->vals[first]) ? list->vals[first]->text : "(not a string)",
                          ctx->policy->seccomp.default_profile, bad > 1 ? " (nor are others of the list)" : ""))
    return;
  for (size_t i = 0; i < list->n; i++)
    {
      if (listed (list->vals[i], allowed))
        list->vals[w++] = list->vals[i];
      else
        og_json_free (list->vals[i]);
    }
  list->n = w;
}

static char **
string_list (const struct og_json *arr, const char *extra)
{
  char **out = og_xcalloc ((arr ? arr->n : 0) + 2, sizeof *out);
  size_t n = 0;

  for (size_t i = 0; arr && arr->type == OG_JSON_ARRAY && i < arr->n; i++)
    if (og_json_is_string (arr->vals[i]))
      out[n++] = og_xstrdup (arr->vals[i]->text);
  if (extra)
    out[n++] = og_xstrdup (extra);
  return out;
}

static void
hold_to_reference (const struct og_enforce_ctx *ctx, const struct reference *ref, struct og_json *seccomp,
                   bool trust_notify, struct og_decisions *d)
{
  struct og_json *rules = og_json_get_set (seccomp, "syscalls");
  og_cleanup_strv char **archs = string_list (og_json_get_set (ref->prof, "architectures"), NULL);
  og_cleanup_strv char **flags = string_list (og_json_get_set (ref->prof, "flags"),
                                              trust_notify ? "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" : NULL);

  /* A syscall name is resolved on every listed architecture: one the
   * reference leaves out runs the container's rules on a table nobody
   * judged. */
  hold_list (ctx, seccomp, "architectures", archs, "architecture", d);
  /* SPEC_ALLOW turns the speculative store bypass mitigation off. */
  hold_list (ctx, seccomp, "flags", flags, "filter flag", d);
  if (rules == NULL)
    return;
  if (rules->type != OG_JSON_ARRAY)
    {
      og_rule_malformed (d, "seccomp", "linux.seccomp.syscalls", rules, "an array");
      return;
    }
  {
    struct name_set beyond = { 0 };
    if (names_beyond_reference (ref, rules, trust_notify, &beyond, d))
      replace_with_reference (ctx, ref, rules, &beyond, d);
    name_set_free (&beyond);
  }
}

/* ---- seccomp agents ---------------------------------------------------- */

static bool
uses_notify (const struct og_json *seccomp)
{
  const struct og_json *rules = og_json_get_set (seccomp, "syscalls");

  if (is_notify (og_json_get_set (seccomp, "defaultAction")))
    return true;
  for (size_t i = 0; rules && rules->type == OG_JSON_ARRAY && i < rules->n; i++)
    if (is_notify (og_json_get_set (rules->vals[i], "action")))
      return true;
  return false;
}

/* The listener socket, resolved as runc will connect to it (relative to
 * the bundle, symlinks followed), when it is one of the policy's
 * allow_listeners (same device and inode); NULL otherwise. */
static char *
allowed_listener (const struct og_enforce_ctx *ctx, const char *path)
{
  og_cleanup_free char *joined
      = path[0] == '/' || ctx->bundle == NULL ? NULL : og_xasprintf ("%s/%s", ctx->bundle, path);
  og_cleanup_free char *resolved = og_realpath (joined ? joined : path);
  struct stat st, ast;

  if (resolved == NULL || stat (resolved, &st) < 0 || !S_ISSOCK (st.st_mode))
    return NULL;
  for (char **a = ctx->policy->seccomp.allow_listeners; a && *a; a++)
    if (stat (*a, &ast) == 0 && S_ISSOCK (ast.st_mode) && og_same_file (&ast, &st))
      return og_steal_pointer (&resolved);
  return NULL;
}

/* A seccomp agent emulates syscalls for the container with its own
 * privileges (runc hands it the notify fd): choosing the agent is choosing
 * privileges, so only the policy's sockets are accepted.  Returns whether
 * the container's agent is one of them. */
static bool
judge_listener (const struct og_enforce_ctx *ctx, struct og_json *seccomp, struct og_decisions *d)
{
  const struct og_json *path = og_json_get_set (seccomp, "listenerPath");
  og_cleanup_free char *resolved = NULL;

  if (!uses_notify (seccomp) && path == NULL && og_json_get_set (seccomp, "listenerMetadata") == NULL)
    return false;
  if (!og_json_is_string (path) || path->text[0] == '\0')
    {
      og_rule_refuse (ctx, ctx->policy->seccomp.action, d, "seccomp", "linux.seccomp.listenerPath",
                      path ? og_json_to_text (path) : NULL,
                      "a seccomp agent (SCMP_ACT_NOTIFY, listenerMetadata) needs a listenerPath from the policy's "
                      "seccomp.allow_listeners");
      return false;
    }
  resolved = allowed_listener (ctx, path->text);
  if (resolved == NULL)
    {
      og_rule_refuse (ctx, ctx->policy->seccomp.action, d, "seccomp", "linux.seccomp.listenerPath",
                      og_json_to_text (path),
                      "the seccomp agent socket %s is not on the policy's seccomp.allow_listeners (an agent acts "
                      "for the container with its own privileges)",
                      path->text);
      return false;
    }
  if (strcmp (resolved, path->text) != 0
      && og_rule_change (ctx, ctx->policy->seccomp.action, d, "seccomp", "linux.seccomp.listenerPath",
                         og_json_to_text (path), string_text (resolved),
                         "the agent socket is given to runc by the path that was checked"))
    og_json_set (seccomp, "listenerPath", og_json_new_string (resolved));
  return true;
}

/* ---- no setuid/setgid files ------------------------------------------- */

static struct og_json *
mode_cond (int index, int64_t mask, int64_t value)
{
  struct og_json *c = og_json_new (OG_JSON_OBJECT);

  og_json_set (c, "index", og_json_new_number (index));
  og_json_set (c, "value", og_json_new_number (mask));
  og_json_set (c, "valueTwo", og_json_new_number (value));
  og_json_set (c, "op", og_json_new_string ("SCMP_CMP_MASKED_EQ"));
  return c;
}

static int
setid_mode_arg (const char *name)
{
  /* every name of every profile passes here: most go at the first two
   * letters (ch, cr, fc, mk, op) */
  bool maybe;

  switch (name[0])
    {
      case 'c':
        maybe = name[1] == 'h' || name[1] == 'r';
        break;
      case 'f':
        maybe = name[1] == 'c';
        break;
      case 'm':
        maybe = name[1] == 'k';
        break;
      case 'o':
        maybe = name[1] == 'p';
        break;
      default:
        maybe = false;
    }
  if (!maybe)
    return -1;
  for (size_t i = 0; i < sizeof setid_calls / sizeof setid_calls[0]; i++)
    if (strcmp (setid_calls[i].name, name) == 0)
      return setid_calls[i].mode_arg;
  return -1;
}

static bool
filters_arg (const struct og_json *args, int index)
{
  for (size_t i = 0; args && i < args->n; i++)
    {
      int64_t idx;
      if (og_json_int64 (og_json_get (args->vals[i], "index"), &idx) < 0 || idx == index)
        return true;
    }
  return false;
}

/* What an allowing rule's argument filters make of a setid call whose mode
 * is argument m. */
enum setid_state
{
  SETID_NARROWED, /* already limited to a mode without the bits (a rewritten profile is a fixed point) */
  SETID_NARROW,   /* to be limited */
  SETID_DROP,     /* filters the mode already, or names an argument twice (runc ORs): the name goes */
};

static enum setid_state
setid_state (const struct og_json *args, int m)
{
  og_cleanup_json struct og_json *mask = NULL;

  if (args == NULL || args->type != OG_JSON_ARRAY)
    return SETID_NARROW;
  if (repeats_an_index (args))
    return SETID_DROP;
  mask = mode_cond (m, OG_S_ISUID | OG_S_ISGID, 0);
  for (size_t i = 0; i < args->n; i++)
    if (cond_eq (args->vals[i], mask))
      return SETID_NARROWED;
  return filters_arg (args, m) ? SETID_DROP : SETID_NARROW;
}

static void
setid_states (const struct og_json *rule, enum setid_state states[4])
{
  const struct og_json *args = og_json_get_set (rule, "args");

  for (int m = 1; m <= 3; m++)
    states[m] = setid_state (args, m);
}

static bool
setid_unnarrowed (const char *name, const void *data)
{
  const enum setid_state *states = data;
  int m = setid_mode_arg (name);
  return m > 0 && states[m] != SETID_NARROWED;
}

/* Does an allowing rule let some setid call through unnarrowed? */
static bool
needs_narrowing (const struct og_json *rule)
{
  const struct og_json *names = og_json_get_set (rule, "names");
  enum setid_state states[4];

  bool named = false;

  if (names == NULL || names->type != OG_JSON_ARRAY || !rule_lets_through (rule))
    return false;
  for (size_t k = 0; k < names->n && !named; k++)
    named = og_json_is_string (names->vals[k]) && setid_mode_arg (names->vals[k]->text) > 0;
  if (!named)
    return false;
  setid_states (rule, states);
  for (size_t k = 0; k < names->n; k++)
    if (og_json_is_string (names->vals[k]) && setid_unnarrowed (names->vals[k]->text, states))
      return true;
  return false;
}

/* An allowing rule for the chmod/create family keeps its names only for a
 * mode without S_ISUID/S_ISGID: libseccomp lets an unconditional rule for a
 * syscall swallow every conditional one (whatever the order or action), so
 * an errno rule beside it would never fire.  A rule that already filters
 * the mode argument (or names an argument twice: runc then ORs) loses the
 * name instead. */
static void
narrow_allow_rule (struct og_json *rule, struct og_json *out)
{
  struct og_json *names = og_json_get_set (rule, "names");
  const struct og_json *args = og_json_get_set (rule, "args");
  struct og_json *groups[4] = { NULL, NULL, NULL, NULL };
  enum setid_state states[4];

  setid_states (rule, states);
  for (size_t k = 0; k < names->n; k++)
    {
      int m = og_json_is_string (names->vals[k]) ? setid_mode_arg (names->vals[k]->text) : -1;
      if (m < 0 || states[m] != SETID_NARROW)
        continue;
      if (groups[m] == NULL)
        groups[m] = og_json_new (OG_JSON_ARRAY);
      og_json_append (groups[m], og_json_clone (names->vals[k]));
    }
  compact_names (names, setid_unnarrowed, states);
  for (int m = 1; m <= 3; m++)
    {
      struct og_json *r, *a;
      if (groups[m] == NULL)
        continue;
      r = clone_with_names (rule, groups[m]);
      a = args && args->type == OG_JSON_ARRAY ? og_json_clone (args) : og_json_new (OG_JSON_ARRAY);
      og_json_append (a, mode_cond (m, OG_S_ISUID | OG_S_ISGID, 0));
      og_json_set (r, "args", a);
      og_json_append (out, r);
    }
}

static bool
enosys_needed (const struct og_json *seccomp, const struct og_json *rules, const char *name)
{
  if (allows_by_default (seccomp))
    return true;
  for (size_t i = 0; i < rules->n; i++)
    if (rule_lets_through (rules->vals[i])
        && og_json_array_has_string (og_json_get_set (rules->vals[i], "names"), name))
      return true;
  return false;
}

/* The openat2/io_uring_setup answer: ENOSYS, in place of every rule. */
static void
answer_enosys (struct og_json *seccomp, struct og_json *rules)
{
  struct og_json *names = og_json_new (OG_JSON_ARRAY), *rule = og_json_new (OG_JSON_OBJECT);

  for (const char *const *s = enosys_calls; *s; s++)
    {
      if (!enosys_needed (seccomp, rules, *s))
        continue;
      drop_name (rules, *s);
      og_json_append (names, og_json_new_string (*s));
    }
  og_json_set (rule, "names", names);
  og_json_set (rule, "action", og_json_new_string ("SCMP_ACT_ERRNO"));
  og_json_set (rule, "errnoRet", og_json_new_number (ENOSYS));
  if (names->n)
    og_json_append (rules, rule);
  else
    og_json_free (rule);
}

static struct og_json *
setid_errno_rule (int m, int64_t bit)
{
  struct og_json *rule = og_json_new (OG_JSON_OBJECT), *names = og_json_new (OG_JSON_ARRAY),
                 *args = og_json_new (OG_JSON_ARRAY);

  for (size_t i = 0; i < sizeof setid_calls / sizeof setid_calls[0]; i++)
    if (setid_calls[i].mode_arg == m)
      og_json_append (names, og_json_new_string (setid_calls[i].name));
  og_json_append (args, mode_cond (m, bit, bit));
  og_json_set (rule, "names", names);
  og_json_set (rule, "action", og_json_new_string ("SCMP_ACT_ERRNO"));
  og_json_set (rule, "errnoRet", og_json_new_number (EPERM));
  og_json_set (rule, "args", args);
  return rule;
}

/* The profile has this errno rule already (it was rewritten before). */
static bool
has_rule (const struct og_json *rules, const struct og_json *want)
{
  const struct og_json *wargs = og_json_get (want, "args"), *wnames = og_json_get (want, "names");

  for (size_t i = 0; i < rules->n; i++)
    {
      const struct og_json *r = rules->vals[i], *args = og_json_get_set (r, "args");
      const struct og_json *act = og_json_get_set (r, "action"), *names = og_json_get_set (r, "names");
      bool all = true;
      int64_t e;

      if (!og_json_is_string (act) || strcmp (act->text, "SCMP_ACT_ERRNO") != 0
          || og_json_int64 (og_json_get (r, "errnoRet"), &e) < 0 || e != EPERM || args == NULL
          || args->type != OG_JSON_ARRAY || args->n != 1 || !cond_eq (args->vals[0], wargs->vals[0]))
        continue;
      for (size_t k = 0; k < wnames->n && all; k++)
        all = og_json_array_has_string (names, wnames->vals[k]->text);
      if (all)
        return true;
    }
  return false;
}

/* The EPERM rules for each bit and mode position that the profile lacks. */
static struct og_json *
missing_setid_errno (const struct og_json *rules)
{
  static const int64_t bits[] = { OG_S_ISUID, OG_S_ISGID };
  struct og_json *out = og_json_new (OG_JSON_ARRAY);

  for (int m = 1; m <= 3; m++)
    for (size_t b = 0; b < 2; b++)
      {
        struct og_json *rule = setid_errno_rule (m, bits[b]);
        if (has_rule (rules, rule))
          og_json_free (rule);
        else
          og_json_append (out, rule);
      }
  return out;
}

/* Container root is host root on an idmapped bind source: a setuid-root
 * file made there is a host root shell for any host user who reaches it. */
static void
refuse_setid_files (const struct og_enforce_ctx *ctx, struct og_json *seccomp, struct og_decisions *d)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *rules = og_json_get_set (seccomp, "syscalls");
  og_cleanup_json struct og_json *narrowed = og_json_new (OG_JSON_ARRAY);
  og_cleanup_json struct og_json *missing = NULL, *fresh = NULL;
  bool need;

  if (p->seccomp.allow_setid_files)
    return;
  if (rules == NULL)
    rules = fresh = og_json_new (OG_JSON_ARRAY);
  if (rules->type != OG_JSON_ARRAY)
    return; /* refused as malformed */
  missing = missing_setid_errno (rules);
  need = missing->n > 0;
  for (const char *const *s = enosys_calls; *s && !need; s++)
    need = enosys_needed (seccomp, rules, *s);
  for (size_t i = 0; i < rules->n && !need; i++)
    need = needs_narrowing (rules->vals[i]);
  /* Added even under "deny": it takes away only what no container needs. */
  if (!need
      || !og_rule_change (ctx, p->seccomp.action == OG_ACTION_DENY ? OG_ACTION_ENFORCE : p->seccomp.action, d,
                          "seccomp", "linux.seccomp.syscalls", NULL, NULL,
                          "setting S_ISUID/S_ISGID (chmod family, open/creat/mknod modes) is refused with EPERM, "
                          "openat2 and io_uring_setup answer ENOSYS (seccomp.allow_setid_files is off)"))
    return;
  if (fresh)
    og_json_set (seccomp, "syscalls", og_steal_pointer (&fresh));
  answer_enosys (seccomp, rules);
  {
    size_t w = 0;
    for (size_t i = 0; i < rules->n; i++)
      {
        struct og_json *names = og_json_get_set (rules->vals[i], "names");
        if (needs_narrowing (rules->vals[i]))
          {
            narrow_allow_rule (rules->vals[i], narrowed);
            if (names->n == 0)
              {
                og_json_free (rules->vals[i]);
                continue;
              }
          }
        rules->vals[w++] = rules->vals[i];
      }
    rules->n = w;
  }
  for (size_t i = 0; i < narrowed->n; i++)
    og_json_append (rules, og_steal_pointer (&narrowed->vals[i]));
  narrowed->n = 0;
  for (size_t i = 0; i < missing->n; i++)
    og_json_append (rules, og_steal_pointer (&missing->vals[i]));
  missing->n = 0;
}

/* ---- the policy's own denials ------------------------------------------ */

static bool
in_strv (const char *name, const void *data)
{
  return og_strv_contains ((char *const *)data, name);
}

/* Take the policy's denied syscalls out of every allowing rule (one
 * decision per name, one pass per rule). */
static void
remove_denied (const struct og_enforce_ctx *ctx, struct og_json *seccomp, struct og_decisions *d)
{
  char **deny = ctx->policy->seccomp.deny_syscalls;
  struct og_json *rules = og_json_get_set (seccomp, "syscalls");
  og_cleanup_strv char **gone = og_xcalloc (og_strv_len (deny) + 1, sizeof *gone);
  size_t ngone = 0, w = 0;

  if (deny == NULL || rules == NULL || rules->type != OG_JSON_ARRAY)
    return;
  for (char **s = deny; *s; s++)
    {
      bool allowed = false;
      for (size_t i = 0; i < rules->n && !allowed; i++)
        allowed = rule_lets_through (rules->vals[i])
                  && og_json_array_has_string (og_json_get_set (rules->vals[i], "names"), *s);
      if (allowed
          && og_rule_change (ctx, ctx->policy->seccomp.action, d, "seccomp", "linux.seccomp.syscalls", string_text (*s),
                             NULL, "syscall %s is denied by the policy", *s))
        gone[ngone++] = og_xstrdup (*s);
    }
  if (ngone == 0)
    return;
  for (size_t i = 0; i < rules->n; i++)
    {
      struct og_json *names = og_json_get_set (rules->vals[i], "names");
      if (names && names->type == OG_JSON_ARRAY && names->n > 0 && rule_lets_through (rules->vals[i]))
        {
          compact_names (names, in_strv, gone);
          if (names->n == 0)
            {
              og_json_free (rules->vals[i]);
              continue;
            }
        }
      rules->vals[w++] = rules->vals[i];
    }
  rules->n = w;
}

/* An allow-by-default profile (allowed by the policy) gets an explicit
 * errno rule for the denied syscalls. */
static void
add_deny_rule (const struct og_enforce_ctx *ctx, struct og_json *seccomp, struct og_decisions *d)
{
  char **deny = ctx->policy->seccomp.deny_syscalls;
  struct og_json *rules, *rule, *names;

  if (deny == NULL || deny[0] == NULL)
    return;
  rule = og_json_new (OG_JSON_OBJECT);
  names = og_json_new (OG_JSON_ARRAY);
  for (char **s = deny; *s; s++)
    og_json_append (names, og_json_new_string (*s));
  og_json_set (rule, "names", names);
  og_json_set (rule, "action", og_json_new_string ("SCMP_ACT_ERRNO"));
  og_json_set (rule, "errnoRet", og_json_new_number (EPERM));
  if (!og_rule_change (ctx, ctx->policy->seccomp.action, d, "seccomp", "linux.seccomp.syscalls", NULL,
                       og_json_to_text (rule), "the policy's denied syscalls are added to the profile"))
    {
      og_json_free (rule);
      return;
    }
  rules = og_json_get_set (seccomp, "syscalls");
  if (rules == NULL)
    {
      rules = og_json_new (OG_JSON_ARRAY);
      og_json_set (seccomp, "syscalls", rules);
    }
  og_json_append (rules, rule);
}

/* ---- learning ------------------------------------------------------------ */

/* The policy's seccomp.learn names this container's bundle directory.  The
 * engine chooses that path (its state root, its namespace, the id), the
 * container's user does not; nothing in the config (annotations
 * included) can turn learning on. */
static bool
learning_selected (const struct og_enforce_ctx *ctx)
{
  og_cleanup_free char *bundle = NULL;

  if (ctx->policy->seccomp.learn == NULL || ctx->policy->seccomp.learn[0] == NULL)
    return false;
  bundle = og_realpath (ctx->bundle ? ctx->bundle : ".");
  if (bundle == NULL)
    return false;
  for (char *const *pat = ctx->policy->seccomp.learn; *pat; pat++)
    if (fnmatch (*pat, bundle, FNM_PATHNAME) == 0)
      return true;
  return false;
}

/* Learning (ocigatectl seccomp learn), for a bundle learning_selected():
 * every syscall is let through and
 * logged (SECCOMP record, type 1326), allowed ones included, since the
 * profile learned from the records must list every call the workload
 * makes, not only those the current profile denies.  Comes before the
 * S_ISUID/S_ISGID filter, which stays: it guards the host, not the
 * workload. */
static void
learn (const struct og_enforce_ctx *ctx, struct og_json *seccomp, struct og_decisions *d)
{
  struct og_json *errno_ret;

  if (!og_rule_change (ctx, OG_ACTION_ENFORCE, d, "seccomp_learn", "linux.seccomp.defaultAction",
                       og_json_to_text (og_json_get (seccomp, "defaultAction")), og_xstrdup ("\"SCMP_ACT_LOG\""),
                       "learning mode (policy seccomp.learn names this bundle): every syscall is allowed and "
                       "logged, the profile's rules are dropped"))
    return;
  og_json_set (seccomp, "defaultAction", og_json_new_string ("SCMP_ACT_LOG"));
  og_json_set (seccomp, "syscalls", og_json_new (OG_JSON_ARRAY));
  errno_ret = og_json_get (seccomp, "defaultErrnoRet");
  for (size_t i = 0; errno_ret && i < seccomp->n; i++)
    if (seccomp->vals[i] == errno_ret)
      og_json_remove_at (seccomp, i);
}

/* ---- the rule ------------------------------------------------------------ */

/* runc runs no filter for an object with neither a defaultAction nor a
 * syscall rule (`"seccomp": {}`). */
static bool
filter_disabled (const struct og_json *seccomp)
{
  const struct og_json *a = og_json_get_set (seccomp, "defaultAction"), *rules = og_json_get_set (seccomp, "syscalls");

  return (a == NULL || (og_json_is_string (a) && a->text[0] == '\0'))
         && (rules == NULL || (rules->type == OG_JSON_ARRAY && rules->n == 0));
}

static int
apply_default_profile (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d,
                       struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  og_cleanup_json struct og_json *prof = NULL;
  struct og_json *linux_;

  if (p->seccomp.default_profile == NULL)
    {
      og_rule_refuse (ctx, p->seccomp.action, d, "seccomp", "linux.seccomp", NULL,
                      "the container has no seccomp filter and the policy names no default profile");
      return 0;
    }
  if (og_seccomp_load_profile (p->seccomp.default_profile, &prof, err) < 0)
    return -1;
  remove_denied (ctx, prof, d);
  if (!og_rule_change (ctx, p->seccomp.action, d, "seccomp", "linux.seccomp", NULL,
                       og_xasprintf ("\"%s\"", p->seccomp.default_profile),
                       "the container has no seccomp filter: the policy's default profile is applied"))
    return 0;
  if (learning_selected (ctx))
    learn (ctx, prof, d);
  refuse_setid_files (ctx, prof, d);
  linux_ = og_json_ensure_object (spec, "linux");
  og_json_set (linux_, "seccomp", og_steal_pointer (&prof));
  return 0;
}

int
og_rule_seccomp (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *linux_ = og_json_get_set (spec, "linux");
  struct og_json *seccomp = og_json_get_set (linux_, "seccomp");
  bool trust_notify;

  if (linux_ && linux_->type != OG_JSON_OBJECT)
    return 0; /* refused by the resources rule */
  if (seccomp == NULL || (seccomp->type == OG_JSON_OBJECT && filter_disabled (seccomp)))
    return apply_default_profile (ctx, spec, d, err);
  if (seccomp->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, "seccomp", "linux.seccomp", seccomp, "an object");
      return 0;
    }
  trust_notify = judge_listener (ctx, seccomp, d);
  /* Learning drops the profile's rules and default action: there is
   * nothing left in them to judge (an allow-by-default profile included). */
  if (learning_selected (ctx))
    {
      learn (ctx, seccomp, d);
      refuse_setid_files (ctx, seccomp, d);
      return 0;
    }
  if (allows_by_default (seccomp))
    {
      if (!p->seccomp.allow_unconfined)
        {
          og_rule_refuse (ctx, p->seccomp.action, d, "seccomp", "linux.seccomp.defaultAction",
                          og_json_to_text (og_json_get (seccomp, "defaultAction")),
                          "a seccomp profile that lets every syscall through by default is not allowed "
                          "(SCMP_ACT_ALLOW, LOG, TRACE, NOTIFY, ERRNO with errno 0, or an unknown action)");
          return 0;
        }
      add_deny_rule (ctx, seccomp, d);
      refuse_setid_files (ctx, seccomp, d);
      return 0;
    }
  if (p->seccomp.default_profile)
    {
      struct reference ref = { 0 };
      struct og_json *prof = NULL;

      if (og_seccomp_load_profile (p->seccomp.default_profile, &prof, err) < 0)
        return -1;
      reference_init (&ref, prof, spec);
      hold_to_reference (ctx, &ref, seccomp, trust_notify, d);
      reference_free (&ref);
    }
  remove_denied (ctx, seccomp, d);
  refuse_setid_files (ctx, seccomp, d);
  return 0;
}
