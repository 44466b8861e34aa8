/* SPDX-License-Identifier: Apache-2.0 */
/* Known-answer vectors for og_sha256_hex, run against the implementation
 * that ships: FIPS 180-2's examples and the padding edges (a message that
 * leaves 55, 56, 63, 64 and 65 bytes for the last block decides whether the
 * length goes in the same block or the next).  Expected digests from
 * sha256sum. */
#include <config.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/sha256.h"
#include "ocigate/util.h"
#include "helpers.h"

static void
expect (const void *buf, size_t len, const char *want)
{
  char hex[65];

  memset (hex, 'x', sizeof hex);
  og_sha256_hex (buf, len, hex);
  ck_assert_str_eq (hex, want);
}

START_TEST (fips_empty)
{
  expect ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST (fips_abc)
{
  expect ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* 448 bits: two blocks, the second holding only padding and the length */
START_TEST (fips_two_blocks)
{
  static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

  ck_assert_uint_eq (strlen (msg) * 8, 448);
  expect (msg, strlen (msg), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST (fips_million_a)
{
  og_cleanup_free char *a = og_xmalloc (1000000);

  memset (a, 'a', 1000000);
  expect (a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

static const struct
{
  size_t len;
  const char *digest;
} edges[] = {
  { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
  { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
  { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
  { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
  { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
};

/* 'a' repeated len times */
START_TEST (padding_edges)
{
  char a[65];

  memset (a, 'a', sizeof a);
  expect (a, edges[_i].len, edges[_i].digest);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("sha256");
  TCase *tc = tcase_create ("vectors");

  tcase_add_test (tc, fips_empty);
  tcase_add_test (tc, fips_abc);
  tcase_add_test (tc, fips_two_blocks);
  tcase_add_test (tc, fips_million_a);
  tcase_add_loop_test (tc, padding_edges, 0, sizeof edges / sizeof edges[0]);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
