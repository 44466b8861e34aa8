/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel audit record's text: fields, order, and how untrusted values
 * are encoded (runtime/kaudit.c; sending it is tested in
 * tests/integration/kaudit.bats). */
#include <config.h>
#include <check.h>

#include "helpers.h"
#include <string.h>

#include "kaudit.h"
#include "ocigate/util.h"

static char *
put (const char *value, size_t max)
{
  struct og_buf b = { 0 };

  ocigate_kaudit_put_untrusted (&b, "k", value, max);
  return b.buf;
}

START_TEST (untrusted_values)
{
  static const char *const cases[][2] = {
    { "web-1", "k=\"web-1\"" },
    { "", "k=\"\"" },
    { "a b", "k=612062" }, /* a space: hex */
    { "say \"hi\"", "k=73617920226869"
                    "22" },            /* a double quote: hex */
    { "x'y", "k=\"x'y\"" },            /* the kernel's msg='...' is not ended by it: the text ends at the NUL */
    { "caf\xc3\xa9", "k=636166C3A9" }, /* beyond ASCII: hex */
    { "a\nb", "k=610A62" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      og_cleanup_free char *s = put (cases[i][0], 0);
      ck_assert_str_eq (s, cases[i][1]);
    }
  {
    og_cleanup_free char *null = put (NULL, 0), *cut = put ("abcdef", 3), *cut_hex = put ("a bcdef", 3);
    ck_assert_str_eq (null, "k=?");
    ck_assert_str_eq (cut, "k=\"abc\"");
    ck_assert_str_eq (cut_hex, "k=612062");
  }
}
END_TEST

START_TEST (record_fields)
{
  struct og_decisions d = { 0 };
  struct ocigate_kaudit_event ev = { .op = "refuse",
                                     .command = "create",
                                     .id = "c1",
                                     .bundle = "/run/b 1",
                                     .policy_sha256 = "ab12",
                                     .mode = "enforce",
                                     .decisions = &d,
                                     .reason = "no",
                                     .failed = true };
  og_cleanup_free char *text = NULL, *bare = NULL;

  og_decisions_add (&d, "capabilities", OG_DECISION_MUTATE, "process.capabilities", NULL, NULL, "dropped");
  og_decisions_add (&d, "mounts", OG_DECISION_REFUSE, "mounts[0]", NULL, NULL, "host /");
  og_decisions_add (&d, "mounts", OG_DECISION_REFUSE, "mounts[1]", NULL, NULL, "host /etc");
  text = ocigate_kaudit_format (&ev);
  ck_assert_str_eq (text, "virt=oci op=refuse vm=\"c1\" command=\"create\" bundle=2F72756E2F622031 policy-sha256=ab12 "
                          "policy-mode=enforce mutated=1 refused=2 audited=0 rule=\"mounts\" reason=\"no\" res=failed");
  /* a policy that did not load, no command, learning */
  ev = (struct ocigate_kaudit_event){ .op = "create", .id = "c2", .seccomp_learn = true };
  bare = ocigate_kaudit_format (&ev);
  ck_assert_str_eq (bare, "virt=oci op=create vm=\"c2\" policy-sha256=? policy-mode=? mutated=0 refused=0 audited=0 "
                          "seccomp=learn res=success");
  og_decisions_clear (&d);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("kaudit");
  TCase *tc = tcase_create ("format");

  tcase_add_test (tc, untrusted_values);
  tcase_add_test (tc, record_fields);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
