/* SPDX-License-Identifier: Apache-2.0 */
/* The strict reader and canonical writer, and every parser-differential
 * case of design.md: each must be refused. */
#include <config.h>
#include <check.h>

#include "helpers.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/spec.h"
#include "ocigate/util.h"

static const char *const fixtures[] = {
  "docker-20.10/default.config.json",
  "docker-20.10/privileged.config.json",
  "docker-20.10/hostns.config.json",
  "docker-20.10/sock.config.json",
  "docker-20.10/hardened.config.json",
  "docker-20.10/capall.config.json",
  "docker-20.10/exec.config.json",
  "docker-20.10/exec.process.json",
  "docker-20.10/exec-privileged.process.json",
  "docker-20.10/update.update.json",
  "containerd-1.6/create-1.config.json",
  "containerd-1.6/exec-5.process.json",
  "podman-4.3/create-2.config.json",
  "podman-4.3/create-3.config.json",
  "podman-4.3/create-4.config.json",
  "podman-4.3/exec-6.process.json",
};

static char *
read_fixture (const char *name, size_t *len)
{
  og_cleanup_free char *path = og_xasprintf ("%s/engines/%s", FIXTURES, name);
  FILE *f = fopen (path, "re");
  char *buf;
  long n;

  ck_assert_ptr_nonnull (f);
  fseek (f, 0, SEEK_END);
  n = ftell (f);
  rewind (f);
  buf = og_xmalloc ((size_t)n + 1);
  ck_assert_int_eq (fread (buf, 1, (size_t)n, f), (size_t)n);
  fclose (f);
  buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

static bool
json_equal (const struct og_json *a, const struct og_json *b)
{
  if (a->type != b->type || a->n != b->n)
    return false;
  if (a->text && (b->text == NULL || a->len != b->len || memcmp (a->text, b->text, a->len) != 0))
    return false;
  for (size_t i = 0; i < a->n; i++)
    {
      if (a->type == OG_JSON_OBJECT && strcmp (a->keys[i], b->keys[i]) != 0)
        return false;
      if (!json_equal (a->vals[i], b->vals[i]))
        return false;
    }
  return true;
}

/* Parse, write, parse again: same tree, and writing is stable. */
START_TEST (fixture_round_trip)
{
  const char *name = fixtures[_i];
  og_cleanup_free char *buf = NULL, *out1 = NULL, *out2 = NULL;
  og_cleanup_json struct og_json *a = NULL, *b = NULL;
  struct og_error err = { 0 };
  size_t len, l1, l2;

  buf = read_fixture (name, &len);
  ck_assert_msg (og_spec_parse (buf, len, &a, &err) == 0, "%s: %s", name, err.msg);
  ck_assert_int_eq (og_json_write (a, false, &out1, &l1, &err), 0);
  ck_assert_int_eq (og_spec_parse (out1, l1, &b, &err), 0);
  ck_assert_msg (json_equal (a, b), "%s does not round-trip", name);
  ck_assert_int_eq (og_json_write (b, false, &out2, &l2, &err), 0);
  ck_assert_str_eq (out1, out2);
}
END_TEST

static int
parse (const char *text, struct og_json **out, struct og_error *err)
{
  return og_spec_parse (text, strlen (text), out, err);
}

static void
assert_refused (const char *text, const char *needle)
{
  struct og_json *j = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (parse (text, &j, &err) < 0, "accepted: %s", text);
  ck_assert_ptr_null (j);
  ck_assert_ptr_nonnull (err.msg);
  ck_assert_msg (strstr (err.msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err.msg, needle);
  og_error_clear (&err);
}

static void
assert_accepted (const char *text)
{
  og_cleanup_json struct og_json *j = NULL;
  struct og_error err = { 0 };

  ck_assert_msg (parse (text, &j, &err) == 0, "refused %s: %s", text, err.msg);
}

START_TEST (numbers_keep_their_text)
{
  const char *text = "{\"a\":1.50,\"b\":1e3,\"c\":-0,\"d\":123456789012345678901234567890,\"e\":0.1E-7}";
  og_cleanup_json struct og_json *j = NULL;
  og_cleanup_free char *out = NULL;
  struct og_error err = { 0 };

  ck_assert_int_eq (parse (text, &j, &err), 0);
  ck_assert_int_eq (og_json_write (j, false, &out, NULL, &err), 0);
  ck_assert_str_eq (out, text);
}
END_TEST

START_TEST (unknown_fields_preserved)
{
  const char *text = "{\"ociVersion\":\"1.0.2\",\"x-vendor\":{\"deep\":[1,{\"k\":null}],\"t\":true},"
                     "\"annotations\":{\"Foo\":\"1\",\"foo\":\"2\"}}";
  og_cleanup_json struct og_json *j = NULL;
  og_cleanup_free char *out = NULL;
  struct og_error err = { 0 };

  ck_assert_int_eq (parse (text, &j, &err), 0);
  ck_assert_int_eq (og_json_write (j, false, &out, NULL, &err), 0);
  ck_assert_str_eq (out, text);
}
END_TEST

START_TEST (duplicate_keys_refused)
{
  assert_refused ("{\"process\":{},\"process\":{}}", "duplicate key \"process\"");
  assert_refused ("{\"linux\":{\"resources\":{\"pids\":{\"limit\":1,\"limit\":2}}}}", "duplicate key \"limit\"");
  /* more than 16 members takes the sorted path */
  assert_refused ("{\"a1\":1,\"a2\":1,\"a3\":1,\"a4\":1,\"a5\":1,\"a6\":1,\"a7\":1,\"a8\":1,\"a9\":1,\"b1\":1,"
                  "\"b2\":1,\"b3\":1,\"b4\":1,\"b5\":1,\"b6\":1,\"b7\":1,\"b8\":1,\"a5\":2}",
                  "duplicate key \"a5\"");
  /* map members too: Go keeps the last one */
  assert_refused ("{\"annotations\":{\"x\":\"1\",\"x\":\"2\"}}", "duplicate key");
  /* the same key spelled with an escape is still the same key */
  assert_refused ("{\"process\":{},\"\\u0070rocess\":{}}", "duplicate key");
}
END_TEST

START_TEST (case_folded_keys_refused)
{
  /* Go's encoding/json matches "Process" to the process field. */
  assert_refused ("{\"Process\":{}}", "exact spelling");
  assert_refused ("{\"process\":{\"NoNewPrivileges\":false}}", "exact spelling");
  assert_refused ("{\"process\":{},\"PROCESS\":{}}", "exact spelling");
  assert_refused ("{\"\\u0050rocess\":{}}", "exact spelling");
  /* U+017F LATIN SMALL LETTER LONG S folds to s, literal and escaped */
  assert_refused ("{\"process\":{\"noNewPrivilege\xc5\xbf\":false}}", "exact spelling");
  assert_refused ("{\"process\":{\"noNewPrivilege\\u017f\":false}}", "exact spelling");
  /* U+212A KELVIN SIGN folds to k */
  assert_refused ("{\"hoo\xe2\x84\xaas\":{}}", "exact spelling");
  assert_refused ("{\"linux\":{\"resources\":{\"memory\":{\"\\u212Aernel\":1}}}}", "exact spelling");
  assert_refused ("{\"mounts\":[{\"destination\":\"/x\",\"\\u017fource\":\"/\",\"type\":\"bind\"}]}", "exact spelling");
}
END_TEST

START_TEST (folded_keys_everywhere_runc_decodes)
{
  /* found by the differential test: struct values of a map, and the
   * windows/solaris/vm structs, are decoded by runc too */
  assert_refused ("{\"linux\":{\"resources\":{\"rdma\":{\"sysctl\":{\"HCAHANDLES\":5}}}}}", "exact spelling");
  assert_refused ("{\"windows\":{\"LAYERFOLDERS\":[\"/x\"]}}", "exact spelling");
  assert_refused ("{\"vm\":{\"Hypervisor\":{}}}", "exact spelling");
  assert_accepted ("{\"linux\":{\"resources\":{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3}}}}}");
}
END_TEST

START_TEST (folding_in_maps_is_exact)
{
  /* annotations and sysctl are Go maps: keys are distinct there. */
  assert_accepted ("{\"annotations\":{\"Process\":\"x\",\"process\":\"y\"}}");
  assert_accepted ("{\"linux\":{\"sysctl\":{\"Net.Core\":\"1\",\"net.core\":\"2\"}}}");
  assert_accepted ("{\"x-vendor\":{\"something\":1}}");
}
END_TEST

START_TEST (invalid_utf8_refused)
{
  assert_refused ("{\"hostname\":\"\xff\"}", "");
  assert_refused ("{\"hostname\":\"\xc0\xaf\"}", "");         /* overlong "/" */
  assert_refused ("{\"hostname\":\"\xed\xa0\x80\"}", "");     /* encoded surrogate */
  assert_refused ("{\"hostname\":\"\xf4\x90\x80\x80\"}", ""); /* above U+10FFFF */
  assert_refused ("{\"host\xffname\":\"x\"}", "");
  assert_refused ("{\"hostname\":\"\xe2\x82\"}", ""); /* truncated sequence */
  assert_accepted ("{\"hostname\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
}
END_TEST

START_TEST (surrogate_escapes)
{
  assert_refused ("{\"hostname\":\"\\ud800\"}", "unpaired surrogate");
  assert_refused ("{\"hostname\":\"\\udc00\"}", "unpaired surrogate");
  assert_refused ("{\"hostname\":\"\\ud800\\u0041\"}", "unpaired surrogate");
  assert_refused ("{\"hostname\":\"\\ud800x\"}", "unpaired surrogate");
  assert_accepted ("{\"hostname\":\"\\ud83d\\ude00\"}");
  /* an escaped backslash followed by text that looks like an escape */
  assert_accepted ("{\"hostname\":\"\\\\ud800\"}");
}
END_TEST

START_TEST (nul_refused)
{
  assert_refused ("{\"hostname\":\"a\\u0000b\"}", "NUL");
  assert_refused ("{\"a\\u0000\":1}", "NUL");
}
END_TEST

START_TEST (structure_refused)
{
  assert_refused ("{\"a\":1} {}", "");     /* trailing data */
  assert_refused ("{\"a\":1,}", "");       /* trailing comma */
  assert_refused ("{\"a\":1 // c\n}", ""); /* comments: Go refuses them */
  assert_refused ("[1,2]", "not a json object");
  assert_refused ("", "");
  assert_refused ("{\"a\":tru}", "");
  assert_refused ("{\"a\":01}", "");
}
END_TEST

START_TEST (depth_limited)
{
  char buf[512];
  size_t n = 0;

  buf[n++] = '{';
  buf[n++] = '"';
  buf[n++] = 'a';
  buf[n++] = '"';
  buf[n++] = ':';
  for (int i = 0; i < 70; i++)
    buf[n++] = '[';
  for (int i = 0; i < 70; i++)
    buf[n++] = ']';
  buf[n++] = '}';
  buf[n] = '\0';
  assert_refused (buf, "nesting deeper than 64");
  /* 60 levels are fine */
  memset (buf, 0, sizeof buf);
  n = 0;
  buf[n++] = '{';
  memcpy (buf + n, "\"a\":", 4);
  n += 4;
  for (int i = 0; i < 60; i++)
    buf[n++] = '[';
  for (int i = 0; i < 60; i++)
    buf[n++] = ']';
  buf[n++] = '}';
  assert_accepted (buf);
}
END_TEST

START_TEST (size_limited)
{
  const struct og_json_opts opts = { .max_size = 16 };
  struct og_json *j = NULL;
  struct og_error err = { 0 };

  ck_assert_int_lt (og_json_parse ("{\"aaaaaaaaaaaaaaaaaaa\":1}", 24, &opts, &j, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "exceeds the limit"));
  og_error_clear (&err);
}
END_TEST

START_TEST (comments_for_policies_only)
{
  const struct og_json_opts opts = { .allow_comments = true };
  og_cleanup_json struct og_json *j = NULL;
  struct og_error err = { 0 };
  const char *text = "// policy\n{ /* c */ \"a\": 1 // x\n}";

  ck_assert_int_eq (og_json_parse (text, strlen (text), &opts, &j, &err), 0);
  ck_assert_str_eq (og_json_get (j, "a")->text, "1");
}
END_TEST

START_TEST (tree_edits)
{
  og_cleanup_json struct og_json *o = og_json_new (OG_JSON_OBJECT);
  og_cleanup_free char *out = NULL;
  struct og_error err = { 0 };
  int64_t v;

  og_json_set (o, "a", og_json_new_number (-5));
  og_json_set (o, "b", og_json_new_string ("q\"\n"));
  og_json_set (o, "a", og_json_new_bool (true));
  ck_assert_ptr_nonnull (og_json_ensure_object (o, "c"));
  ck_assert_ptr_null (og_json_ensure_object (o, "b"));
  ck_assert_int_eq (og_json_write (o, false, &out, NULL, &err), 0);
  ck_assert_str_eq (out, "{\"a\":true,\"b\":\"q\\\"\\n\",\"c\":{}}");
  ck_assert_int_lt (og_json_int64 (og_json_get (o, "a"), &v), 0);
  og_json_set (o, "n", og_json_new_number (INT64_MAX));
  ck_assert_int_eq (og_json_int64 (og_json_get (o, "n"), &v), 0);
  ck_assert (v == INT64_MAX);
  og_json_remove_at (o, 0);
  ck_assert_ptr_null (og_json_get (o, "a"));
  ck_assert_uint_eq (o->n, 3);
}
END_TEST

/* og_json_new_number writes what "%" PRId64 writes, the extremes too. */
START_TEST (new_number_text)
{
  static const int64_t values[] = { 0, 1, -1, 9, 10, -10, 4095, 3072, INT64_MAX, INT64_MIN, INT64_MIN + 1 };

  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
    {
      og_cleanup_json struct og_json *n = og_json_new_number (values[i]);
      char want[32];
      int64_t back;

      snprintf (want, sizeof want, "%" PRId64, values[i]);
      ck_assert_str_eq (n->text, want);
      ck_assert_uint_eq (n->len, strlen (want));
      ck_assert_int_eq (og_json_int64 (n, &back), 0);
      ck_assert (back == values[i]);
    }
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("json");
  TCase *tc = tcase_create ("core");

  tcase_add_loop_test (tc, fixture_round_trip, 0, sizeof fixtures / sizeof fixtures[0]);
  tcase_add_test (tc, numbers_keep_their_text);
  tcase_add_test (tc, new_number_text);
  tcase_add_test (tc, unknown_fields_preserved);
  tcase_add_test (tc, duplicate_keys_refused);
  tcase_add_test (tc, case_folded_keys_refused);
  tcase_add_test (tc, folding_in_maps_is_exact);
  tcase_add_test (tc, folded_keys_everywhere_runc_decodes);
  tcase_add_test (tc, invalid_utf8_refused);
  tcase_add_test (tc, surrogate_escapes);
  tcase_add_test (tc, nul_refused);
  tcase_add_test (tc, structure_refused);
  tcase_add_test (tc, depth_limited);
  tcase_add_test (tc, size_limited);
  tcase_add_test (tc, comments_for_policies_only);
  tcase_add_test (tc, tree_edits);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
