/* SPDX-License-Identifier: Apache-2.0 */
/* argv splitting: what the engines send, in every spelling runc accepts. */
#include <config.h>
#include <check.h>

#include "helpers.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocigate.h"
#include "ocigate/util.h"

static int
parse (struct ocigate_cmdline *cl, struct og_error *err, ...)
{
  char *argv[64];
  int argc = 0;
  va_list ap;
  char *a;

  argv[argc++] = (char *)"ocigate";
  va_start (ap, err);
  while ((a = va_arg (ap, char *)) != NULL)
    argv[argc++] = a;
  va_end (ap);
  argv[argc] = NULL;
  return ocigate_cmdline_parse (argc, argv, cl, err);
}

static void
assert_argv (const struct ocigate_cmdline *cl, const char *joined)
{
  og_cleanup_free char *s = og_xstrdup ("");
  for (int i = 1; i < cl->argc; i++)
    {
      char *n = og_xasprintf ("%s%s%s", s, i > 1 ? " " : "", cl->argv[i]);
      free (s);
      s = n;
    }
  ck_assert_str_eq (s, joined);
  ck_assert_ptr_null (cl->argv[cl->argc]);
}

START_TEST (docker_create)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  ck_assert_int_eq (parse (&cl, &err, "--root", "/run/docker/runtime-runc/moby", "--log", "/b/log.json", "--log-format",
                           "json", "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "cid", NULL),
                    0);
  ck_assert_str_eq (cl.command, "create");
  ck_assert_str_eq (cl.bundle, "/b");
  ck_assert_str_eq (cl.id, "cid");
  ck_assert_str_eq (cl.log_path, "/b/log.json");
  ck_assert_str_eq (cl.log_format, "json");
  ck_assert_ptr_null (cl.policy_path);
  assert_argv (&cl, "--root /run/docker/runtime-runc/moby --log /b/log.json --log-format json create --bundle /b "
                    "--pid-file /b/init.pid cid");
  ocigate_cmdline_free (&cl);
}
END_TEST

START_TEST (own_options_removed)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  ck_assert_int_eq (parse (&cl, &err, "--ocigate-policy=/p.json", "--ocigate-runtime", "/usr/bin/runc.real",
                           "--log-format=json", "--log=/l", "create", "-b", "/b", "id1", NULL),
                    0);
  ck_assert_str_eq (cl.policy_path, "/p.json");
  ck_assert_str_eq (cl.runtime_path, "/usr/bin/runc.real");
  ck_assert_str_eq (cl.log_path, "/l");
  ck_assert_str_eq (cl.bundle, "/b");
  assert_argv (&cl, "--log-format=json --log=/l create -b /b id1");
  ocigate_cmdline_free (&cl);
}
END_TEST

START_TEST (flag_spellings)
{
  static const char *const forms[][3] = {
    { "--bundle=/x", NULL, NULL },
    { "-bundle", "/x", NULL },
    { "-b=/x", NULL, NULL },
    { "--bundle", "/x", NULL },
  };
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
    {
      struct ocigate_cmdline cl;
      struct og_error err = { 0 };
      int r = forms[i][1] ? parse (&cl, &err, "create", forms[i][0], forms[i][1], "id", NULL)
                          : parse (&cl, &err, "create", forms[i][0], "id", NULL);
      ck_assert_int_eq (r, 0);
      ck_assert_str_eq (cl.bundle, "/x");
      ck_assert_str_eq (cl.id, "id");
      ocigate_cmdline_free (&cl);
    }
}
END_TEST

START_TEST (flags_after_the_id)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  /* urfave/cli moves flags in front of the id: runc uses /late */
  ck_assert_int_eq (parse (&cl, &err, "-root", "/r", "--debug", "run", "id", "--bundle", "/late", "-d", NULL), 0);
  ck_assert_str_eq (cl.command, "run");
  ck_assert_str_eq (cl.bundle, "/late");
  ck_assert_str_eq (cl.id, "id");
  ocigate_cmdline_free (&cl);
}
END_TEST

START_TEST (ambiguity_refused)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  ck_assert_int_lt (parse (&cl, &err, "create", "--bundle", "/a", "-b", "/b", "id", NULL), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "more than once"));
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
  ck_assert_int_lt (parse (&cl, &err, "create", "--pid-file", "--bundle", "/b", "id", NULL), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "ambiguous"));
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
  ck_assert_int_lt (parse (&cl, &err, "--ocigate-policy", NULL), 0);
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
}
END_TEST

START_TEST (pass_through)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  ck_assert_int_eq (parse (&cl, &err, "--version", NULL), 0);
  ck_assert_ptr_null (cl.command);
  assert_argv (&cl, "--version");
  ocigate_cmdline_free (&cl);
  ck_assert_int_eq (parse (&cl, &err, "--root", "/r", "kill", "id", "9", NULL), 0);
  ck_assert_str_eq (cl.command, "kill");
  ck_assert (!ocigate_command_enforced (cl.command));
  assert_argv (&cl, "--root /r kill id 9");
  ocigate_cmdline_free (&cl);
  /* unknown global flags are kept verbatim */
  ck_assert_int_eq (parse (&cl, &err, "--future-flag", "state", "id", NULL), 0);
  ck_assert_str_eq (cl.command, "state");
  assert_argv (&cl, "--future-flag state id");
  ocigate_cmdline_free (&cl);
  ck_assert_int_eq (parse (&cl, &err, "--debug", "--systemd-cgroup", "delete", "--force", "id", NULL), 0);
  assert_argv (&cl, "--debug --systemd-cgroup delete --force id");
  ocigate_cmdline_free (&cl);
}
END_TEST

START_TEST (podman_forms)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  ck_assert_int_eq (parse (&cl, &err, "--systemd-cgroup", "--log-format=json", "--log", "/r/oci-log", "create",
                           "--bundle", "/b", "--pid-file", "/r/pidfile", "--preserve-fds", "2", "--no-pivot", "cid",
                           NULL),
                    0);
  ck_assert_str_eq (cl.bundle, "/b");
  ck_assert_str_eq (cl.id, "cid");
  ck_assert_str_eq (cl.log_path, "/r/oci-log");
  ocigate_cmdline_free (&cl);
}
END_TEST

START_TEST (exec_stops_at_the_id)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  /* runc exec does not reorder: after the id comes the command */
  ck_assert_int_eq (parse (&cl, &err, "exec", "--cap", "CAP_KILL", "-d", "cid", "/bin/sh", "-c", "--cap x", NULL), 0);
  ck_assert_str_eq (cl.id, "cid");
  ck_assert_uint_eq (cl.nflags, 2);
  ck_assert_str_eq (ocigate_cmdline_flag (&cl, "cap", "c"), "CAP_KILL");
  ocigate_cmdline_free (&cl);
  ck_assert_int_eq (parse (&cl, &err, "exec", "--process", "/tmp/p.json", "--detach", "cid", NULL), 0);
  ck_assert_str_eq (ocigate_cmdline_flag (&cl, "process", "p"), "/tmp/p.json");
  ocigate_cmdline_free (&cl);
  ck_assert_int_lt (parse (&cl, &err, "exec", "-p", "/a", "--process=/b", "cid", NULL), 0);
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
}
END_TEST

START_TEST (update_values)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  /* "-" is stdin and "-1" a number, not flags; update reorders */
  ck_assert_int_eq (parse (&cl, &err, "update", "--pids-limit", "-1", "--resources", "-", "cid", NULL), 0);
  ck_assert_str_eq (ocigate_cmdline_flag (&cl, "resources", "r"), "-");
  ck_assert_str_eq (ocigate_cmdline_flag (&cl, "pids-limit", NULL), "-1");
  ck_assert_str_eq (cl.id, "cid");
  ocigate_cmdline_free (&cl);
  ck_assert_int_lt (parse (&cl, &err, "update", "-r", "a", "--resources", "b", "cid", NULL), 0);
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
}
END_TEST

START_TEST (trailing_value_flag)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  /* found by fuzz_cli: a value flag given last must not become a command */
  ck_assert_int_eq (parse (&cl, &err, "--root", "/r", "--log", NULL), 0);
  ck_assert_ptr_null (cl.command);
  assert_argv (&cl, "--root /r --log");
  ocigate_cmdline_free (&cl);
}
END_TEST

START_TEST (go_integers)
{
  static const struct
  {
    const char *s;
    int base;
    int ok;
    int64_t v;
  } cases[] = {
    { "42", 10, 1, 42 },
    { "+42", 10, 1, 42 },
    { "-42", 10, 1, -42 },
    { "007", 10, 1, 7 },
    { "0x10", 10, 0, 0 },
    { "1_000", 10, 0, 0 },
    { " 1", 10, 0, 0 },
    { "", 10, 0, 0 },
    { "-", 10, 0, 0 },
    { "0x10", 0, 1, 16 },
    { "010", 0, 1, 8 },
    { "0o17", 0, 1, 15 },
    { "0b101", 0, 1, 5 },
    { "1_000", 0, 1, 1000 },
    { "0x_1f", 0, 1, 31 },
    { "1__0", 0, 0, 0 },
    { "_1", 0, 0, 0 },
    { "1_", 0, 0, 0 },
    { "0x", 0, 0, 0 },
    { "08", 0, 0, 0 },
    { "0", 0, 1, 0 },
    { "9223372036854775807", 10, 1, INT64_MAX },
    { "9223372036854775808", 10, 0, 0 },
    { "-9223372036854775808", 10, 1, INT64_MIN },
    { "-9223372036854775809", 10, 0, 0 },
    { "4294967296", 10, 1, 4294967296LL },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      int64_t v = -12345;
      int r = og_go_parse_int (cases[i].s, cases[i].base, &v);
      ck_assert_msg ((r == 0) == cases[i].ok, "\"%s\" base %d: %d", cases[i].s, cases[i].base, r);
      if (cases[i].ok)
        ck_assert_msg (v == cases[i].v, "\"%s\" base %d read as %lld", cases[i].s, cases[i].base, (long long)v);
    }
}
END_TEST

START_TEST (container_ids)
{
  static const char *const good[] = { "abc", "a-b_c.d", ".a", "...", "-x", "a,b+c", "0", NULL };
  static const char *const bad[] = { "", ".", "..", "a/b", "x\n1", "x\n", "a b", "a:b", "\xff", "é", NULL };
  char longest[257];

  for (int i = 0; good[i]; i++)
    ck_assert_msg (og_container_id_valid (good[i]), "refused \"%s\"", good[i]);
  for (int i = 0; bad[i]; i++)
    ck_assert_msg (!og_container_id_valid (bad[i]), "accepted \"%s\"", bad[i]);
  memset (longest, 'a', 256);
  longest[256] = '\0';
  ck_assert (!og_container_id_valid (longest));
  longest[255] = '\0';
  ck_assert (og_container_id_valid (longest));
  {
    og_cleanup_free char *q = ocigate_id_quote ("x\n\"\\\xff");
    ck_assert_str_eq (q, "\"x\\x0a\\x22\\x5c\\xff\"");
  }
}
END_TEST

START_TEST (id_where_runc_takes_it)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  /* exec: Go's flag package ends at "--"; the first argument is the id */
  ck_assert_int_eq (parse (&cl, &err, "exec", "--user", "0", "--", "victim", "sh", "-c", "id", "decoy", NULL), 0);
  ck_assert_str_eq (cl.id, "victim");
  ck_assert_str_eq (ocigate_cmdline_flag (&cl, "user", "u"), "0");
  ocigate_cmdline_free (&cl);
  ck_assert_int_eq (parse (&cl, &err, "exec", "--", "-x", "true", NULL), 0);
  ck_assert_str_eq (cl.id, "-x");
  ocigate_cmdline_free (&cl);
  /* create reorders: flags after the id move before it */
  ck_assert_int_eq (parse (&cl, &err, "create", "--", "cid", NULL), 0);
  ck_assert_str_eq (cl.id, "cid");
  ocigate_cmdline_free (&cl);
  ck_assert_int_eq (parse (&cl, &err, "create", "cid", "--no-pivot", "-b", "/b", NULL), 0);
  ck_assert_str_eq (cl.id, "cid");
  ck_assert_str_eq (cl.bundle, "/b");
  ocigate_cmdline_free (&cl);
  /* urfave/cli 1.22.1 reads "/b" as the id and "-" ... : readings differ */
  ck_assert_int_lt (parse (&cl, &err, "create", "cid", "--bundle", "-", NULL), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "ambiguous"));
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
  ck_assert_int_lt (parse (&cl, &err, "update", "--resources", "-", "cid", "--pids-limit", "-1", NULL), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "ambiguous"));
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
  /* delete reads its id the same way; one it cannot be sure of is no id
   * (nothing of ours cleaned up), and runc still gets the call */
  ck_assert_int_eq (parse (&cl, &err, "delete", "cid", "--force", NULL), 0);
  ck_assert_str_eq (cl.id, "cid");
  ocigate_cmdline_free (&cl);
  ck_assert_int_eq (parse (&cl, &err, "delete", "--force=maybe", "cid", NULL), 0);
  ck_assert_ptr_null (cl.id);
  ocigate_cmdline_free (&cl);
}
END_TEST

START_TEST (usage_errors_as_runc)
{
  static const char *const lines[][8] = {
    { "create", "--frobnicate", "cid", NULL },                         /* unknown flag */
    { "create", "--bundle", "/b", NULL },                              /* no id */
    { "create", "--bundle", "/b", "a", "b", NULL },                    /* two ids */
    { "create", "--no-pivot=maybe", "cid", NULL },                     /* ParseBool */
    { "create", "--preserve-fds", "x", "cid", NULL },                  /* ParseInt */
    { "exec", "--additional-gids", "0x1", "cid", "true", NULL },       /* base 10 */
    { "exec", "--user", NULL },                                        /* no value */
    { "exec", NULL },                                                  /* no id */
    { "run", "---bundle", "/b", "cid", NULL },                         /* bad syntax */
    { "exec", "--cap", "CAP_KILL", "-c", "CAP_CHOWN", "cid", "true" }, /* two forms */
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    {
      struct ocigate_cmdline cl;
      struct og_error err = { 0 };
      char *argv[10] = { (char *)"ocigate" };
      int argc = 1;

      for (int j = 0; j < 8 && lines[i][j]; j++)
        argv[argc++] = (char *)lines[i][j];
      ck_assert_msg (ocigate_cmdline_parse (argc, argv, &cl, &err) == 0, "line %zu: %s", i, err.msg);
      ck_assert_msg (cl.usage_error != NULL, "line %zu: no usage error", i);
      ck_assert_ptr_null (cl.id);
      ocigate_cmdline_free (&cl);
    }
}
END_TEST

START_TEST (go_numbers_in_flags)
{
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  /* runc's IntFlag reads 010 as 8: a judged number must read the same */
  ck_assert_int_lt (parse (&cl, &err, "update", "--pids-limit", "010", "cid", NULL), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "as 8"));
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
  ck_assert_int_lt (parse (&cl, &err, "update", "--pids-limit=0x10", "cid", NULL), 0);
  ocigate_cmdline_free (&cl);
  og_error_clear (&err);
  ck_assert_int_eq (parse (&cl, &err, "update", "--pids-limit", "+007", "cid", NULL), 0);
  ck_assert_ptr_null (cl.usage_error);
  ocigate_cmdline_free (&cl);
  ck_assert_int_eq (parse (&cl, &err, "exec", "--user", "4294967296", "cid", "id", NULL), 0);
  ck_assert_str_eq (ocigate_cmdline_flag (&cl, "user", "u"), "4294967296");
  ck_assert_str_eq (cl.id, "cid");
  ocigate_cmdline_free (&cl);
}
END_TEST

/* The runtime root names a container's user namespace record: it is
 * taken as runc 1.1.5 resolves it (filepath.Abs, lexically cleaned; an
 * empty one is the working directory; refused on create, where runc 1.1
 * and 1.3 disagree). */
START_TEST (runtime_root_as_runc_resolves_it)
{
  static const char *const cases[][2] = {
    { "/run/docker/runtime-runc/moby", "/run/docker/runtime-runc/moby" },
    { "/run//runc/./x/../y/", "/run/runc/y" },
    { "/..", "/" },
    { "state", "@/state" },
    { "./a/../b", "@/b" },
    { "", "@" },
  };
  og_cleanup_free char *cwd = getcwd (NULL, 0);
  struct ocigate_cmdline cl;
  struct og_error err = { 0 };

  setenv ("PWD", cwd, 1);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_free char *want
          = cases[i][1][0] == '@' ? og_xasprintf ("%s%s", cwd, cases[i][1] + 1) : og_xstrdup (cases[i][1]);
      ck_assert_int_eq (parse (&cl, &err, "--root", cases[i][0], "delete", "id", NULL), 0);
      ck_assert_msg (strcmp (cl.root, want) == 0, "--root \"%s\": %s, not %s", cases[i][0], cl.root, want);
      ocigate_cmdline_free (&cl);
    }
  /* the last one counts, as in Go */
  ck_assert_int_eq (parse (&cl, &err, "--root", "/a", "--root=/b", "delete", "id", NULL), 0);
  ck_assert_str_eq (cl.root, "/b");
  ocigate_cmdline_free (&cl);
  /* a call passed on (state, kill, start) resolves nothing */
  ck_assert_int_eq (parse (&cl, &err, "--root", "rel", "state", "id", NULL), 0);
  ck_assert_ptr_null (cl.root);
  ocigate_cmdline_free (&cl);
  /* an empty root on an enforced call: runc 1.1 reads the bundle (it
   * changes into it first), runc 1.3 the working directory: refused */
  ck_assert_int_eq (parse (&cl, &err, "--root", "", "create", "--bundle", "/", "id", NULL), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "an empty --root"));
  og_error_clear (&err);
  ocigate_cmdline_free (&cl);
  /* no --root: runc's default (root in the host's user namespace ignores
   * $XDG_RUNTIME_DIR) */
  if (geteuid () == 0)
    {
      setenv ("XDG_RUNTIME_DIR", "/run/user/0", 1);
      setenv ("USER", "root", 1);
      ck_assert_int_eq (parse (&cl, &err, "delete", "id", NULL), 0);
      ck_assert_str_eq (cl.root, "/run/runc");
      ocigate_cmdline_free (&cl);
      unsetenv ("XDG_RUNTIME_DIR");
    }
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("cli");
  TCase *tc = tcase_create ("argv");

  tcase_add_test (tc, docker_create);
  tcase_add_test (tc, own_options_removed);
  tcase_add_test (tc, flag_spellings);
  tcase_add_test (tc, flags_after_the_id);
  tcase_add_test (tc, ambiguity_refused);
  tcase_add_test (tc, pass_through);
  tcase_add_test (tc, podman_forms);
  tcase_add_test (tc, exec_stops_at_the_id);
  tcase_add_test (tc, update_values);
  tcase_add_test (tc, trailing_value_flag);
  tcase_add_test (tc, go_integers);
  tcase_add_test (tc, container_ids);
  tcase_add_test (tc, id_where_runc_takes_it);
  tcase_add_test (tc, usage_errors_as_runc);
  tcase_add_test (tc, go_numbers_in_flags);
  tcase_add_test (tc, runtime_root_as_runc_resolves_it);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
