/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict JSON reader and canonical writer over yajl.
 *
 * Strictness exists to remove parser differentials with runc (Go's
 * encoding/json): we only accept input whose meaning both readers agree on,
 * and runc then reads our canonical output, never the original bytes.
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "ocigate/json.h"
#include "ocigate/util.h"

/* ---- arena --------------------------------------------------------------- */

/* Parsed documents are allocated in blocks: one malloc per 64 KiB instead
 * of three per value.  Child arrays stay on the heap (they grow). */
struct og_arena_block
{
  struct og_arena_block *next;
  size_t used, size;
  char data[];
};

struct og_arena
{
  struct og_arena_block *head;
};

static void *
arena_alloc (struct og_arena *a, size_t n)
{
  struct og_arena_block *blk = a->head;
  void *p;

  n = (n + 15) & ~(size_t)15;
  if (blk == NULL || blk->size - blk->used < n)
    {
      size_t size = n > 65536 ? n : 65536;
      blk = og_xmalloc (sizeof *blk + size);
      blk->next = a->head;
      blk->used = 0;
      blk->size = size;
      a->head = blk;
    }
  p = blk->data + blk->used;
  blk->used += n;
  return p;
}

static char *
arena_strndup (struct og_arena *a, const char *s, size_t n)
{
  char *d = arena_alloc (a, n + 1);
  memcpy (d, s, n);
  d[n] = '\0';
  return d;
}

static void
arena_destroy (struct og_arena *a)
{
  struct og_arena_block *b = a ? a->head : NULL;

  while (b)
    {
      struct og_arena_block *next = b->next;
      free (b);
      b = next;
    }
  free (a);
}

/* ---- nodes -------------------------------------------------------------- */

struct og_json *
og_json_new (enum og_json_type type)
{
  struct og_json *j = og_xcalloc (1, sizeof *j);
  j->type = type;
  return j;
}

static struct og_json *
new_text (enum og_json_type type, const char *s, size_t len)
{
  struct og_json *j = og_json_new (type);
  j->text = og_xstrndup (s, len);
  j->len = len;
  return j;
}

struct og_json *
og_json_new_string (const char *s)
{
  return new_text (OG_JSON_STRING, s, strlen (s));
}

struct og_json *
og_json_new_number (int64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRId64, v);
  return new_text (OG_JSON_NUMBER, buf, (size_t)n);
}

struct og_json *
og_json_new_bool (bool v)
{
  return og_json_new (v ? OG_JSON_TRUE : OG_JSON_FALSE);
}

void
og_json_free (struct og_json *j)
{
  struct og_arena *owned;

  if (j == NULL)
    return;
  owned = j->owns_arena ? j->arena : NULL;
  for (size_t i = 0; i < j->n; i++)
    {
      if (j->keys && j->arena == NULL)
        free (j->keys[i]);
      og_json_free (j->vals[i]);
    }
  free (j->keys);
  free (j->vals);
  if (j->arena == NULL)
    {
      free (j->text);
      free (j);
    }
  arena_destroy (owned);
}

void
og_json_freep (struct og_json **j)
{
  og_json_free (*j);
}

static void
grow (struct og_json *c)
{
  if (c->n < c->cap)
    return;
  c->cap = c->cap ? c->cap * 2 : 4;
  c->vals = og_xrealloc (c->vals, c->cap * sizeof *c->vals);
  if (c->type == OG_JSON_OBJECT)
    c->keys = og_xrealloc (c->keys, c->cap * sizeof *c->keys);
}

/* Takes key (heap); an arena object keeps its keys in the arena. */
static void
add_member (struct og_json *obj, char *key, struct og_json *val)
{
  if (obj->arena)
    {
      char *k = arena_strndup (obj->arena, key, strlen (key));
      free (key);
      key = k;
    }
  grow (obj);
  obj->keys[obj->n] = key;
  obj->vals[obj->n] = val;
  obj->n++;
}

void
og_json_append (struct og_json *arr, struct og_json *val)
{
  grow (arr);
  arr->vals[arr->n++] = val;
}

void
og_json_remove_at (struct og_json *c, size_t i)
{
  if (i >= c->n)
    return;
  og_json_free (c->vals[i]);
  if (c->keys && c->arena == NULL)
    free (c->keys[i]);
  memmove (&c->vals[i], &c->vals[i + 1], (c->n - i - 1) * sizeof *c->vals);
  if (c->keys)
    memmove (&c->keys[i], &c->keys[i + 1], (c->n - i - 1) * sizeof *c->keys);
  c->n--;
}

struct og_json *
og_json_clone (const struct og_json *j)
{
  struct og_json *c = og_json_new (j->type);

  if (j->text)
    {
      c->text = og_xstrndup (j->text, j->len);
      c->len = j->len;
    }
  for (size_t i = 0; i < j->n; i++)
    {
      if (j->type == OG_JSON_OBJECT)
        add_member (c, og_xstrdup (j->keys[i]), og_json_clone (j->vals[i]));
      else
        og_json_append (c, og_json_clone (j->vals[i]));
    }
  return c;
}

struct og_json *
og_json_get (const struct og_json *obj, const char *key)
{
  if (obj == NULL || obj->type != OG_JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return obj->vals[i];
  return NULL;
}

struct og_json *
og_json_get_set (const struct og_json *obj, const char *key)
{
  struct og_json *v = og_json_get (obj, key);
  return v && v->type != OG_JSON_NULL ? v : NULL;
}

struct og_json *
og_json_path (const struct og_json *root, ...)
{
  va_list ap;
  const char *k;
  struct og_json *cur = (struct og_json *)root;

  va_start (ap, root);
  while (cur && (k = va_arg (ap, const char *)) != NULL)
    cur = og_json_get_set (cur, k);
  va_end (ap);
  return cur;
}

void
og_json_set (struct og_json *obj, const char *key, struct og_json *val)
{
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      {
        og_json_free (obj->vals[i]);
        obj->vals[i] = val;
        return;
      }
  add_member (obj, og_xstrdup (key), val);
}

struct og_json *
og_json_ensure_object (struct og_json *obj, const char *key)
{
  struct og_json *v = og_json_get (obj, key);

  if (v && v->type == OG_JSON_OBJECT)
    return v;
  if (v && v->type != OG_JSON_NULL)
    return NULL;
  v = og_json_new (OG_JSON_OBJECT);
  og_json_set (obj, key, v);
  return v;
}

bool
og_json_is_string (const struct og_json *j)
{
  return j && j->type == OG_JSON_STRING;
}

bool
og_json_is_bool (const struct og_json *j)
{
  return j && (j->type == OG_JSON_TRUE || j->type == OG_JSON_FALSE);
}

bool
og_json_is_true (const struct og_json *j)
{
  return j && j->type == OG_JSON_TRUE;
}

int
og_json_int64 (const struct og_json *j, int64_t *out)
{
  char *end;
  long long v;

  if (j == NULL || j->type != OG_JSON_NUMBER)
    return -1;
  if (strpbrk (j->text, ".eE"))
    return -1;
  errno = 0;
  v = strtoll (j->text, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

bool
og_json_array_has_string (const struct og_json *arr, const char *s)
{
  if (arr == NULL || arr->type != OG_JSON_ARRAY)
    return false;
  for (size_t i = 0; i < arr->n; i++)
    if (og_json_is_string (arr->vals[i]) && strcmp (arr->vals[i]->text, s) == 0)
      return true;
  return false;
}

/* ---- strict text checks ------------------------------------------------- */

/* Go's utf8.Valid: no overlongs, no surrogates, nothing above U+10FFFF.
 * Go silently replaces such bytes with U+FFFD, so accepting them would let
 * ocigate and runc read different strings. */
static bool
utf8_valid (const unsigned char *s, size_t len)
{
  size_t i = 0;

  while (i < len)
    {
      unsigned c;
      size_t need;
      uint32_t cp, min;

      /* ASCII eight bytes at a time */
      while (i + 8 <= len)
        {
          uint64_t w;
          memcpy (&w, s + i, 8);
          if (w & 0x8080808080808080ULL)
            break;
          i += 8;
        }
      if (i >= len)
        break;
      c = s[i];
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
hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static long
read_u4 (const char *p, const char *end)
{
  long v = 0;
  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int h = hexval ((unsigned char)p[i]);
      if (h < 0)
        return -1;
      v = v * 16 + h;
    }
  return v;
}

/* yajl turns an unpaired high surrogate escape into '?' and pairs a high
 * surrogate with any following \u escape; Go produces U+FFFD instead.  Reject
 * every \u escape that is not a well-formed pair.  Only valid for input
 * without comments (a backslash inside a comment would confuse the scan). */
static int
check_surrogate_escapes (const char *buf, size_t len, struct og_error *err)
{
  const char *p = buf, *end = buf + len;

  /* A backslash is only valid inside a string, so every one found starts
   * an escape (invalid documents are reported by yajl anyway). */
  while (p < end && (p = memchr (p, '\\', (size_t)(end - p))) != NULL)
    {
      long cp, lo;

      if (end - p < 2 || p[1] != 'u' || (cp = read_u4 (p + 2, end)) < 0)
        {
          p += 2;
          continue;
        }
      if (cp >= 0xdc00 && cp <= 0xdfff)
        return og_error_set (err, 0, "invalid json: unpaired surrogate escape \\u%04lx at byte %zu", cp,
                             (size_t)(p - buf));
      if (cp < 0xd800 || cp > 0xdbff)
        {
          p += 6;
          continue;
        }
      lo = (end - p >= 12 && p[6] == '\\' && p[7] == 'u') ? read_u4 (p + 8, end) : -1;
      if (lo < 0xdc00 || lo > 0xdfff)
        return og_error_set (err, 0, "invalid json: unpaired surrogate escape \\u%04lx at byte %zu", cp,
                             (size_t)(p - buf));
      p += 12;
    }
  return 0;
}

/* ---- parser ------------------------------------------------------------- */

struct builder
{
  struct og_arena *arena;
  struct og_json *root;
  struct og_json **stack; /* open containers */
  size_t depth, cap;
  unsigned max_depth;
  char *key; /* pending key of the innermost object */
  struct og_error *err;
  bool failed;
};

static int fail (struct builder *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
fail (struct builder *b, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  og_error_set (b->err, 0, "invalid json: %s", msg);
  free (msg);
  b->failed = true;
  return 0; /* tells yajl to stop */
}

static bool
has_nul (const unsigned char *s, size_t len)
{
  return memchr (s, '\0', len) != NULL;
}

static int
check_text (struct builder *b, const unsigned char *s, size_t len, const char *what)
{
  if (has_nul (s, len))
    return fail (b, "%s contains a NUL character", what);
  if (!utf8_valid (s, len))
    return fail (b, "%s is not valid UTF-8", what);
  return 1;
}

static struct og_json *
node (struct builder *b, enum og_json_type type)
{
  struct og_json *j = arena_alloc (b->arena, sizeof *j);

  memset (j, 0, sizeof *j);
  j->type = type;
  j->arena = b->arena;
  return j;
}

static struct og_json *
text_node (struct builder *b, enum og_json_type type, const char *s, size_t len)
{
  struct og_json *j = node (b, type);

  j->text = arena_strndup (b->arena, s, len);
  j->len = len;
  return j;
}

static int
add_value (struct builder *b, struct og_json *v)
{
  struct og_json *parent;

  if (b->depth == 0)
    {
      b->root = v;
      v->owns_arena = true;
      return 1;
    }
  parent = b->stack[b->depth - 1];
  if (parent->type == OG_JSON_ARRAY)
    og_json_append (parent, v);
  else
    {
      /* the key is already in the arena */
      grow (parent);
      parent->keys[parent->n] = b->key;
      parent->vals[parent->n++] = v;
      b->key = NULL;
    }
  return 1;
}

static int
push (struct builder *b, enum og_json_type type)
{
  struct og_json *c;

  if (b->max_depth && b->depth >= b->max_depth)
    return fail (b, "nesting deeper than %u levels", b->max_depth);
  c = node (b, type);
  add_value (b, c);
  if (b->depth == b->cap)
    {
      b->cap = b->cap ? b->cap * 2 : 16;
      b->stack = og_xrealloc (b->stack, b->cap * sizeof *b->stack);
    }
  b->stack[b->depth++] = c;
  return 1;
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Go keeps the last of two equal keys; a reader that keeps the first would
 * disagree, so duplicates are refused outright. */
static const char *
find_duplicate_key (const struct og_json *obj)
{
  og_cleanup_free char **sorted = NULL;

  if (obj->n < 2)
    return NULL;
  if (obj->n <= 16)
    {
      for (size_t i = 0; i < obj->n; i++)
        for (size_t k = i + 1; k < obj->n; k++)
          if (strcmp (obj->keys[i], obj->keys[k]) == 0)
            return obj->keys[i];
      return NULL;
    }
  sorted = og_xmalloc (obj->n * sizeof *sorted);
  memcpy (sorted, obj->keys, obj->n * sizeof *sorted);
  qsort (sorted, obj->n, sizeof *sorted, cmp_strp);
  for (size_t i = 1; i < obj->n; i++)
    if (strcmp (sorted[i - 1], sorted[i]) == 0)
      return sorted[i];
  return NULL;
}

static int
pop (struct builder *b)
{
  struct og_json *c = b->stack[--b->depth];
  const char *dup;

  if (c->type == OG_JSON_OBJECT && (dup = find_duplicate_key (c)) != NULL)
    return fail (b, "duplicate key \"%s\"", dup);
  return 1;
}

static int
cb_null (void *ctx)
{
  return add_value (ctx, node (ctx, OG_JSON_NULL));
}

static int
cb_boolean (void *ctx, int v)
{
  return add_value (ctx, node (ctx, v ? OG_JSON_TRUE : OG_JSON_FALSE));
}

static int
cb_number (void *ctx, const char *s, size_t len)
{
  return add_value (ctx, text_node (ctx, OG_JSON_NUMBER, s, len));
}

static int
cb_string (void *ctx, const unsigned char *s, size_t len)
{
  if (!check_text (ctx, s, len, "a string"))
    return 0;
  return add_value (ctx, text_node (ctx, OG_JSON_STRING, (const char *)s, len));
}

static int
cb_start_map (void *ctx)
{
  return push (ctx, OG_JSON_OBJECT);
}

static int
cb_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct builder *b = ctx;

  if (!check_text (b, s, len, "an object key"))
    return 0;
  b->key = arena_strndup (b->arena, (const char *)s, len);
  return 1;
}

static int
cb_end (void *ctx)
{
  return pop (ctx);
}

static int
cb_start_array (void *ctx)
{
  return push (ctx, OG_JSON_ARRAY);
}

static const yajl_callbacks callbacks = {
  .yajl_null = cb_null,
  .yajl_boolean = cb_boolean,
  .yajl_number = cb_number,
  .yajl_string = cb_string,
  .yajl_start_map = cb_start_map,
  .yajl_map_key = cb_map_key,
  .yajl_end_map = cb_end,
  .yajl_start_array = cb_start_array,
  .yajl_end_array = cb_end,
};

static void
yajl_message (yajl_handle h, const char *buf, size_t len, struct og_error *err)
{
  unsigned char *m = yajl_get_error (h, 0, (const unsigned char *)buf, len);
  size_t off = yajl_get_bytes_consumed (h);
  char *nl;

  if (m && (nl = strchr ((char *)m, '\n')))
    *nl = '\0';
  og_error_set (err, 0, "invalid json near byte %zu: %s", off, m ? (char *)m : "parse error");
  yajl_free_error (h, m);
}

int
og_json_parse (const char *buf, size_t len, const struct og_json_opts *opts, struct og_json **out, struct og_error *err)
{
  struct builder b = { .max_depth = opts ? opts->max_depth : 0, .err = err };
  yajl_handle h;
  yajl_status st;

  if (opts && opts->max_size && len > opts->max_size)
    return og_error_set (err, EFBIG, "json document of %zu bytes exceeds the limit of %zu bytes", len, opts->max_size);
  if (!(opts && opts->allow_comments) && check_surrogate_escapes (buf, len, err) < 0)
    return -1;
  h = yajl_alloc (&callbacks, NULL, &b);
  if (h == NULL)
    return og_error_set (err, ENOMEM, "yajl_alloc");
  b.arena = og_xcalloc (1, sizeof *b.arena);
  yajl_config (h, yajl_allow_comments, opts && opts->allow_comments ? 1 : 0);
  yajl_config (h, yajl_dont_validate_strings, 0);
  st = yajl_parse (h, (const unsigned char *)buf, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  if (st != yajl_status_ok && !b.failed)
    yajl_message (h, buf, len, err);
  yajl_free (h);
  free (b.stack);
  if (st != yajl_status_ok || b.failed || b.root == NULL)
    {
      if (b.root)
        og_json_free (b.root); /* frees the arena */
      else
        arena_destroy (b.arena);
      if (!b.failed && st == yajl_status_ok)
        return og_error_set (err, 0, "invalid json: empty document");
      return -1;
    }
  *out = b.root;
  return 0;
}

/* ---- writer ------------------------------------------------------------- */

/* A direct serialiser: one pass, one growing buffer, strings copied in runs
 * between the few bytes that need escaping.  Input strings were validated
 * as UTF-8 and NUL-free when parsed; constructed ones come from us. */
#define out og_buf

static void
reserve (struct out *o, size_t n)
{
  if (o->len + n + 1 <= o->cap)
    return;
  while (o->len + n + 1 > o->cap)
    o->cap = o->cap ? o->cap * 2 : 4096;
  o->buf = og_xrealloc (o->buf, o->cap);
}

static void
put (struct out *o, const char *s, size_t n)
{
  reserve (o, n);
  memcpy (o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static inline void
put_char (struct out *o, char c)
{
  if (o->len + 2 > o->cap)
    reserve (o, 1);
  o->buf[o->len++] = c;
  o->buf[o->len] = '\0';
}

void
og_buf_put (struct og_buf *b, const char *s, size_t n)
{
  put (b, s, n);
}

void
og_buf_puts (struct og_buf *b, const char *s)
{
  put (b, s, strlen (s));
}

static void
put_string (struct out *o, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  size_t i = 0;
  char *d;

  /* worst case: every byte becomes \u00XX */
  reserve (o, 6 * n + 2);
  d = o->buf + o->len;
  *d++ = '"';
  while (i < n)
    {
      unsigned char c;

      /* copy eight bytes at a time while none is a control character, a
       * quote or a backslash */
      while (i + 8 <= n)
        {
          uint64_t w, q, b;
          memcpy (&w, s + i, 8);
          q = w ^ (ones * '"');
          b = w ^ (ones * '\\');
          if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs)
            break;
          memcpy (d, s + i, 8);
          d += 8;
          i += 8;
        }
      if (i >= n)
        break;
      c = (unsigned char)s[i++];
      if (c >= 0x20 && c != '"' && c != '\\')
        {
          *d++ = (char)c;
          continue;
        }
      *d++ = '\\';
      switch (c)
        {
          case '"':
            *d++ = '"';
            break;
          case '\\':
            *d++ = '\\';
            break;
          case '\n':
            *d++ = 'n';
            break;
          case '\t':
            *d++ = 't';
            break;
          case '\r':
            *d++ = 'r';
            break;
          case '\b':
            *d++ = 'b';
            break;
          case '\f':
            *d++ = 'f';
            break;
          default:
            memcpy (d, "u00", 3);
            d[3] = hex[c >> 4];
            d[4] = hex[c & 15];
            d += 5;
        }
    }
  *d++ = '"';
  o->len = (size_t)(d - o->buf);
  o->buf[o->len] = '\0';
}

void
og_buf_put_json_string (struct og_buf *b, const char *s)
{
  if (s == NULL)
    put (b, "null", 4);
  else
    put_string (b, s, strlen (s));
}

static void
newline (struct out *o, bool pretty, unsigned depth)
{
  if (!pretty)
    return;
  reserve (o, 1 + 4 * (size_t)depth);
  o->buf[o->len++] = '\n';
  for (unsigned i = 0; i < depth; i++)
    {
      memcpy (o->buf + o->len, "    ", 4);
      o->len += 4;
    }
}

static int
write_node (struct out *o, const struct og_json *j, bool pretty, unsigned depth)
{
  if (depth > 1024)
    return -1;
  switch (j->type)
    {
      case OG_JSON_NULL:
        put (o, "null", 4);
        return 0;
      case OG_JSON_FALSE:
        put (o, "false", 5);
        return 0;
      case OG_JSON_TRUE:
        put (o, "true", 4);
        return 0;
      case OG_JSON_NUMBER:
        put (o, j->text, j->len);
        return 0;
      case OG_JSON_STRING:
        /* runc would read invalid UTF-8 as U+FFFD: a path resolved on the host
         * with such bytes would not be the path that was checked */
        if (j->arena == NULL
            && (!utf8_valid ((const unsigned char *)j->text, j->len) || memchr (j->text, '\0', j->len)))
          return -1; /* parsed strings were checked by the parser */
        put_string (o, j->text, j->len);
        return 0;
      case OG_JSON_OBJECT:
      case OG_JSON_ARRAY:
        put_char (o, j->type == OG_JSON_OBJECT ? '{' : '[');
        for (size_t i = 0; i < j->n; i++)
          {
            if (i)
              put_char (o, ',');
            newline (o, pretty, depth + 1);
            if (j->type == OG_JSON_OBJECT)
              {
                size_t klen = strlen (j->keys[i]);
                if (j->arena == NULL && !utf8_valid ((const unsigned char *)j->keys[i], klen))
                  return -1;
                put_string (o, j->keys[i], klen);
                if (pretty)
                  put (o, ": ", 2);
                else
                  put_char (o, ':');
              }
            if (write_node (o, j->vals[i], pretty, depth + 1) < 0)
              return -1;
          }
        if (j->n)
          newline (o, pretty, depth);
        put_char (o, j->type == OG_JSON_OBJECT ? '}' : ']');
        return 0;
    }
  return -1;
}

int
og_json_write (const struct og_json *j, bool pretty, char **out, size_t *out_len, struct og_error *err)
{
  struct out o = { 0 };

  if (write_node (&o, j, pretty, 0) < 0)
    {
      free (o.buf);
      return og_error_set (err, 0, "cannot serialise json: a string is not valid UTF-8, or the tree is too deep");
    }
  if (pretty)
    put (&o, "\n", 1);
  reserve (&o, 0);
  o.buf[o.len] = '\0';
  *out = o.buf;
  if (out_len)
    *out_len = o.len;
  return 0;
}

char *
og_json_to_text (const struct og_json *j)
{
  char *s = NULL;

  if (j == NULL)
    return NULL;
  if (og_json_write (j, false, &s, NULL, NULL) < 0)
    return og_xstrdup ("(unprintable)");
  return s;
}
