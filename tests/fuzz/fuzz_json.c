/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness: the strict JSON reader and the canonical writer.
 *
 * Each input is parsed twice: with the engine-document options (no
 * comments, depth 64, as og_spec_parse uses) and with the policy options
 * (comments allowed, depth 16).  Whenever a parse succeeds:
 *   - og_json_write (compact and pretty) must succeed;
 *   - the compact output must parse again with the strict options (it is
 *     what runc will read: no comments, valid UTF-8, no duplicates ...);
 *   - write -> parse -> write must reproduce the same bytes (the canonical
 *     form is a fixed point), and the pretty form must read back to the
 *     same compact bytes;
 *   - (strict mode) the input has no \u escape outside a well-formed
 *     surrogate pair (checked by yajl_ref.c's independent scanner).
 * Differential: every input also goes to yajl_ref.c, the strict reading
 * ocigate did over yajl before it had its own parser.  When both accept,
 * the two trees must serialise to the same bytes; the only inputs one may
 * accept and the other refuse are those with a vertical tab or form feed
 * (yajl takes them as whitespace, Go and ocigate do not) and those with
 * an unterminated token after the document (yajl's complete_parse does not
 * look at it; Go and ocigate refuse it).
 * Anything else is an abort().
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "yajl_ref.h"

static const struct og_json_opts strict_opts = { .max_size = 32u * 1024 * 1024, .max_depth = 64 };
static const struct og_json_opts policy_opts = { .max_size = 1024u * 1024, .max_depth = 16, .allow_comments = true };

static void __attribute__ ((noreturn)) die (const char *what, const char *detail)
{
  fprintf (stderr, "fuzz_json: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  abort ();
}

static void
check_round_trip (const struct og_json *tree)
{
  struct og_error err = { 0 };
  char *w1 = NULL, *w2 = NULL, *pretty = NULL, *w3 = NULL;
  size_t l1 = 0, l2 = 0, lp = 0, l3 = 0;
  struct og_json *t2 = NULL, *t3 = NULL;

  if (og_json_write (tree, false, &w1, &l1, &err) < 0)
    die ("og_json_write failed on a parsed tree", err.msg);
  if (strlen (w1) != l1)
    die ("og_json_write output contains a NUL byte", w1);
  if (og_json_parse (w1, l1, &strict_opts, &t2, &err) < 0)
    {
      fprintf (stderr, "output: %s\n", w1);
      die ("canonical output is not accepted by the strict parser", err.msg);
    }
  if (og_json_write (t2, false, &w2, &l2, &err) < 0)
    die ("og_json_write failed on the re-parsed tree", err.msg);
  if (l1 != l2 || memcmp (w1, w2, l1) != 0)
    {
      fprintf (stderr, "first:  %s\nsecond: %s\n", w1, w2);
      die ("write -> parse -> write is not stable", NULL);
    }

  if (og_json_write (tree, true, &pretty, &lp, &err) < 0)
    die ("og_json_write (pretty) failed on a parsed tree", err.msg);
  if (og_json_parse (pretty, lp, &strict_opts, &t3, &err) < 0)
    {
      fprintf (stderr, "output: %s\n", pretty);
      die ("pretty output is not accepted by the strict parser", err.msg);
    }
  if (og_json_write (t3, false, &w3, &l3, &err) < 0)
    die ("og_json_write failed on the re-parsed pretty tree", err.msg);
  if (l1 != l3 || memcmp (w1, w3, l1) != 0)
    {
      fprintf (stderr, "compact:        %s\nvia pretty:     %s\n", w1, w3);
      die ("pretty output does not read back to the same document", NULL);
    }

  /* The clone must serialise identically (used by the rules). */
  {
    struct og_json *c = og_json_clone (tree);
    char *wc = NULL;
    size_t lc = 0;
    if (og_json_write (c, false, &wc, &lc, &err) < 0 || lc != l1 || memcmp (wc, w1, l1) != 0)
      die ("og_json_clone does not serialise like the original", NULL);
    free (wc);
    og_json_free (c);
  }

  free (w1);
  free (w2);
  free (w3);
  free (pretty);
  og_json_free (t2);
  og_json_free (t3);
  og_error_clear (&err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const struct og_json_opts *modes[] = { &strict_opts, &policy_opts };

  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
    {
      struct og_error err = { 0 };
      struct og_json *tree = NULL;

      struct og_json *ref = NULL;
      int ours = og_json_parse ((const char *)data, size, modes[m], &tree, &err);
      int theirs = ref_json_parse (data, size, modes[m]->max_depth, modes[m]->allow_comments, &ref);

      if (ours == 0 && theirs == 0)
        {
          char *a = NULL, *b = NULL;
          size_t la = 0, lb = 0;
          if (og_json_write (tree, false, &a, &la, NULL) < 0 || og_json_write (ref, false, &b, &lb, NULL) < 0)
            die ("a tree accepted by both readers does not serialise", NULL);
          if (la != lb || memcmp (a, b, la) != 0)
            {
              fprintf (stderr, "ocigate: %s\nyajl:    %s\n", a, b);
              die ("ocigate's parser and the yajl reference read the document differently", NULL);
            }
          free (a);
          free (b);
        }
      else if ((ours == 0) != (theirs == 0) && !memchr (data, '\v', size) && !memchr (data, '\f', size)
               && !(ours < 0 && strstr (err.msg, "trailing garbage")))
        die (ours == 0 ? "ocigate's parser accepts a document the yajl reference refuses"
                       : "ocigate's parser refuses a document the yajl reference accepts",
             ours == 0 ? NULL : err.msg);
      og_json_free (ref);

      if (ours == 0)
        {
          if (tree == NULL)
            die ("og_json_parse succeeded without a tree", NULL);
          if (err.msg != NULL)
            die ("og_json_parse succeeded but left an error message", err.msg);
          if (modes[m] == &strict_opts && ref_bad_escape (data, size))
            die ("the strict parser accepted an unpaired surrogate escape", NULL);
          check_round_trip (tree);
          og_json_free (tree);
        }
      else
        {
          if (err.msg == NULL)
            die ("og_json_parse failed without an error message", NULL);
          if (tree != NULL)
            die ("og_json_parse failed but set the output tree", NULL);
        }
      og_error_clear (&err);
    }
  return 0;
}
