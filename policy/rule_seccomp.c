/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp: every container runs under a syscall filter.  A config without
 * one (`--security-opt seccomp=unconfined`, --privileged) gets the policy's
 * default profile; a profile that allows everything by default is refused;
 * the policy's denied syscalls are taken out of every profile's allow rules.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/enforce.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

static const char *const arch_names[] = { "SCMP_ARCH_X86_64",  "SCMP_ARCH_X86",     "SCMP_ARCH_X32",
                                          "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",     "SCMP_ARCH_PPC64LE",
                                          "SCMP_ARCH_S390X",   "SCMP_ARCH_RISCV64", NULL };
static const uint32_t arch_tokens[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86,     SCMP_ARCH_X32,   SCMP_ARCH_AARCH64,
                                        SCMP_ARCH_ARM,    SCMP_ARCH_PPC64LE, SCMP_ARCH_S390X, SCMP_ARCH_RISCV64 };

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

static bool
allows_by_default (const struct og_json *action)
{
  return og_json_is_string (action)
         && (strcmp (action->text, "SCMP_ACT_ALLOW") == 0 || strcmp (action->text, "SCMP_ACT_LOG") == 0);
}

int
og_seccomp_load_profile (const char *path, struct og_json **out, struct og_error *err)
{
  og_cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not hang us */
  og_cleanup_free char *buf = NULL;
  og_cleanup_json struct og_json *prof = NULL;
  struct og_json *syscalls, *archs;
  struct stat st;
  ssize_t n;

  if (fd < 0)
    return og_error_set (err, errno, "cannot open seccomp profile %s", path);
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size > (off_t)OG_SPEC_MAX_SIZE)
    return og_error_set (err, 0, "seccomp profile %s is not a regular file of sane size", path);
  /* the profile is part of the policy: whoever could write it could allow
   * every syscall */
  if (!og_file_trusted (&st))
    return og_error_set (err, 0, "seccomp profile %s is writable by others or not owned by root; refusing to trust it",
                         path);
  buf = og_xmalloc ((size_t)st.st_size + 1);
  n = read (fd, buf, (size_t)st.st_size);
  if (n != (ssize_t)st.st_size)
    return og_error_set (err, errno, "cannot read seccomp profile %s", path);
  if (og_spec_parse (buf, (size_t)n, &prof, err) < 0)
    return og_error_wrap (err, "seccomp profile %s", path);
  if (!og_json_is_string (og_json_get (prof, "defaultAction")))
    return og_error_set (err, 0, "seccomp profile %s has no defaultAction", path);
  if (allows_by_default (og_json_get (prof, "defaultAction")))
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

/* Take the policy's denied syscalls out of every allow rule. */
static void
remove_denied (const struct og_enforce_ctx *ctx, struct og_json *seccomp, struct og_decisions *d)
{
  char **deny = ctx->policy->seccomp.deny_syscalls;
  struct og_json *rules = og_json_get_set (seccomp, "syscalls");

  if (deny == NULL || rules == NULL || rules->type != OG_JSON_ARRAY)
    return;
  for (size_t i = rules->n; i-- > 0;)
    {
      struct og_json *rule = rules->vals[i];
      struct og_json *names = og_json_get_set (rule, "names");
      struct og_json *action = og_json_get_set (rule, "action");

      if (names == NULL || names->type != OG_JSON_ARRAY || !allows_by_default (action))
        continue;
      for (size_t k = names->n; k-- > 0;)
        {
          og_cleanup_free char *path = NULL;
          if (!og_json_is_string (names->vals[k]) || !og_strv_contains (deny, names->vals[k]->text))
            continue;
          path = og_xasprintf ("linux.seccomp.syscalls[%zu].names", i);
          if (og_rule_change (ctx, ctx->policy->seccomp.action, d, "seccomp", path, og_json_to_text (names->vals[k]),
                              NULL, "syscall %s is denied by the policy", names->vals[k]->text))
            og_json_remove_at (names, k);
        }
      if (names->n == 0)
        og_json_remove_at (rules, i);
    }
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

int
og_rule_seccomp (const struct og_enforce_ctx *ctx, struct og_json *spec, struct og_decisions *d, struct og_error *err)
{
  const struct og_policy *p = ctx->policy;
  struct og_json *linux_ = og_json_get_set (spec, "linux");
  struct og_json *seccomp = og_json_get_set (linux_, "seccomp");

  if (linux_ && linux_->type != OG_JSON_OBJECT)
    return 0; /* refused by the resources rule */
  if (seccomp == NULL)
    {
      og_cleanup_json struct og_json *prof = NULL;

      if (p->seccomp.default_profile == NULL)
        {
          og_rule_refuse (ctx, p->seccomp.action, d, "seccomp", "linux.seccomp", NULL,
                          "the container has no seccomp filter and the policy names no default profile");
          return 0;
        }
      if (og_seccomp_load_profile (p->seccomp.default_profile, &prof, err) < 0)
        return -1;
      remove_denied (ctx, prof, d);
      if (og_rule_change (ctx, p->seccomp.action, d, "seccomp", "linux.seccomp", NULL,
                          og_xasprintf ("\"%s\"", p->seccomp.default_profile),
                          "the container has no seccomp filter: the policy's default profile is applied"))
        og_json_set (og_json_ensure_object (spec, "linux"), "seccomp", og_steal_pointer (&prof));
      return 0;
    }
  if (seccomp->type != OG_JSON_OBJECT)
    {
      og_rule_malformed (d, "seccomp", "linux.seccomp", seccomp, "an object");
      return 0;
    }
  if (allows_by_default (og_json_get_set (seccomp, "defaultAction")))
    {
      if (!p->seccomp.allow_unconfined)
        {
          og_rule_refuse (ctx, p->seccomp.action, d, "seccomp", "linux.seccomp.defaultAction",
                          og_json_to_text (og_json_get (seccomp, "defaultAction")),
                          "a seccomp profile that allows every syscall by default is not allowed");
          return 0;
        }
      add_deny_rule (ctx, seccomp, d);
      return 0;
    }
  remove_denied (ctx, seccomp, d);
  return 0;
}
