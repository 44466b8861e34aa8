/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only reference reader for fuzz_json: the strict JSON reading that
 * ocigate did over yajl before it had its own parser.  It builds heap
 * nodes with the public constructors, so it shares no parsing code with
 * lib/json.c.  fuzz_json runs both on every input: where both accept,
 * the trees must serialise identically; where they disagree on accepting,
 * the difference must be one of the documented ones (ref_json_parse's
 * comment).
 */
#include <config.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "ocigate/json.h"
#include "ocigate/util.h"
#include "yajl_ref.h"

struct ref
{
  struct og_json *root;
  struct og_json *stack[1100];
  size_t depth;
  unsigned max_depth;
  char *key;
  bool failed;
};

/* Go's utf8.Valid, written out independently of json.c. */
static bool
ref_utf8_valid (const unsigned char *s, size_t len)
{
  for (size_t i = 0; i < len;)
    {
      unsigned c = s[i];
      size_t need;
      uint32_t cp, min;

      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        need = 1, cp = c & 0x1f, min = 0x80;
      else if (c >= 0xe0 && c <= 0xef)
        need = 2, cp = c & 0x0f, min = 0x800;
      else if (c >= 0xf0 && c <= 0xf4)
        need = 3, cp = c & 0x07, min = 0x10000;
      else
        return false;
      if (i + need >= len)
        return false;
      for (size_t k = 1; k <= need; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return false;
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += need + 1;
    }
  return true;
}

static int
ref_text_ok (struct ref *r, const unsigned char *s, size_t len)
{
  if (memchr (s, '\0', len) || !ref_utf8_valid (s, len))
    r->failed = true;
  return !r->failed;
}

static int
ref_add (struct ref *r, struct og_json *v)
{
  struct og_json *parent;

  if (r->depth == 0)
    {
      r->root = v;
      return 1;
    }
  parent = r->stack[r->depth - 1];
  if (parent->type == OG_JSON_ARRAY)
    og_json_append (parent, v);
  else
    {
      if (og_json_get (parent, r->key) != NULL) /* exact duplicate */
        {
          og_json_free (v);
          r->failed = true;
          return 0;
        }
      og_json_set (parent, r->key, v);
    }
  free (r->key);
  r->key = NULL;
  return 1;
}

static int
ref_null (void *ctx)
{
  return ref_add (ctx, og_json_new (OG_JSON_NULL));
}

static int
ref_bool (void *ctx, int v)
{
  return ref_add (ctx, og_json_new_bool (v));
}

static int
ref_number (void *ctx, const char *s, size_t len)
{
  struct og_json *j = og_json_new (OG_JSON_NUMBER);

  j->text = og_xstrndup (s, len);
  j->len = len;
  return ref_add (ctx, j);
}

static int
ref_string (void *ctx, const unsigned char *s, size_t len)
{
  struct og_json *j;

  if (!ref_text_ok (ctx, s, len))
    return 0;
  j = og_json_new (OG_JSON_STRING);
  j->text = og_xstrndup ((const char *)s, len);
  j->len = len;
  return ref_add (ctx, j);
}

static int
ref_key (void *ctx, const unsigned char *s, size_t len)
{
  struct ref *r = ctx;

  if (!ref_text_ok (r, s, len))
    return 0;
  r->key = og_xstrndup ((const char *)s, len);
  return 1;
}

static int
ref_open (struct ref *r, enum og_json_type type)
{
  struct og_json *c;

  if (r->depth >= r->max_depth)
    {
      r->failed = true;
      return 0;
    }
  c = og_json_new (type);
  if (!ref_add (r, c))
    return 0;
  r->stack[r->depth++] = c;
  return 1;
}

static int
ref_start_map (void *ctx)
{
  return ref_open (ctx, OG_JSON_OBJECT);
}

static int
ref_start_array (void *ctx)
{
  return ref_open (ctx, OG_JSON_ARRAY);
}

static int
ref_end (void *ctx)
{
  struct ref *r = ctx;
  r->depth--;
  return 1;
}

static const yajl_callbacks ref_callbacks = {
  .yajl_null = ref_null,
  .yajl_boolean = ref_bool,
  .yajl_number = ref_number,
  .yajl_string = ref_string,
  .yajl_start_map = ref_start_map,
  .yajl_map_key = ref_key,
  .yajl_end_map = ref_end,
  .yajl_start_array = ref_start_array,
  .yajl_end_array = ref_end,
};

static int
ref_hex4 (const unsigned char *p, const unsigned char *end)
{
  int v = 0;

  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int c = p[i];
      v *= 16;
      if (c >= '0' && c <= '9')
        v += c - '0';
      else if (c >= 'a' && c <= 'f')
        v += c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v += c - 'A' + 10;
      else
        return -1;
    }
  return v;
}

/* yajl pairs a high surrogate escape with any \u escape and turns unpaired
 * ones into '?', and it decodes \u0000 to a NUL byte; Go produces U+FFFD
 * and keeps the NUL.  Scan the string bodies (outside comments) for \u
 * escapes that are not a well-formed pair. */
bool
ref_bad_escape (const unsigned char *p, size_t size)
{
  const unsigned char *end = p + size;
  bool in_string = false;

  while (p < end)
    {
      int cp, lo;

      if (!in_string)
        {
          if (*p == '/' && end - p >= 2 && p[1] == '/')
            {
              while (p < end && *p != '\n')
                p++;
              continue;
            }
          if (*p == '/' && end - p >= 2 && p[1] == '*')
            {
              p += 2;
              while (end - p >= 2 && !(p[0] == '*' && p[1] == '/'))
                p++;
              p += 2;
              continue;
            }
          in_string = *p++ == '"';
          continue;
        }
      if (*p == '"')
        {
          in_string = false;
          p++;
          continue;
        }
      if (*p != '\\')
        {
          p++;
          continue;
        }
      if (end - p < 2 || p[1] != 'u')
        {
          p += 2;
          continue;
        }
      cp = ref_hex4 (p + 2, end);
      if (cp >= 0xdc00 && cp <= 0xdfff)
        return true;
      if (cp >= 0xd800 && cp <= 0xdbff)
        {
          lo = (end - p >= 12 && p[6] == '\\' && p[7] == 'u') ? ref_hex4 (p + 8, end) : -1;
          if (lo < 0xdc00 || lo > 0xdfff)
            return true;
          p += 12;
          continue;
        }
      p += 6;
    }
  return false;
}

int
ref_json_parse (const unsigned char *buf, size_t len, unsigned max_depth, bool comments, struct og_json **out)
{
  struct ref r = { .max_depth = max_depth ? max_depth : 1024 };
  yajl_handle h;
  yajl_status st;

  *out = NULL;
  if (ref_bad_escape (buf, len))
    return -1;
  h = yajl_alloc (&ref_callbacks, NULL, &r);
  if (h == NULL)
    abort ();
  yajl_config (h, yajl_allow_comments, comments ? 1 : 0);
  yajl_config (h, yajl_dont_validate_strings, 0);
  st = yajl_parse (h, buf, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  yajl_free (h);
  free (r.key);
  if (st != yajl_status_ok || r.failed || r.root == NULL)
    {
      og_json_free (r.root);
      return -1;
    }
  *out = r.root;
  return 0;
}
