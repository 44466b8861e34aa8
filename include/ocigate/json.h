/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON tree that keeps what runc's reader would keep: member order,
 * unknown members, and the exact text of every number.  Read by our own
 * strict parser, written back canonically by our own writer.
 */
#ifndef OCIGATE_JSON_H
#define OCIGATE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ocigate/error.h"

enum og_json_type
{
  OG_JSON_NULL,
  OG_JSON_FALSE,
  OG_JSON_TRUE,
  OG_JSON_NUMBER,
  OG_JSON_STRING,
  OG_JSON_OBJECT,
  OG_JSON_ARRAY,
};

struct og_json
{
  enum og_json_type type;
  char *text;             /* string value or number text, NUL-terminated */
  size_t len;             /* length of text */
  size_t n, cap;          /* members of an object / elements of an array */
  char **keys;            /* object keys (NUL-free, NUL-terminated) */
  struct og_json **vals;  /* object values / array elements */
  struct og_arena *arena; /* parsed nodes: node, text and keys live here */
  bool owns_arena;        /* the root of a parsed document frees it */
  bool kids_in_arena;     /* keys/vals are arena arrays (until they grow) */
  bool plain;             /* parsed string with no byte to escape */
};

struct og_json_opts
{
  size_t max_size;     /* bytes; 0 = no limit */
  unsigned max_depth;  /* nesting; 0 = no limit */
  bool allow_comments; /* policy files only: Go rejects comments */
};

/* Parse `len` bytes.  Rejects invalid UTF-8, NUL in strings or keys, trailing
 * data, excessive size or depth, and exact duplicate keys in any object.
 * On success *out is owned by the caller (og_json_free). */
int og_json_parse (const char *buf, size_t len, const struct og_json_opts *opts, struct og_json **out,
                   struct og_error *err);
void og_json_free (struct og_json *j);
void og_json_freep (struct og_json **j);
#define og_cleanup_json __attribute__ ((cleanup (og_json_freep)))

/* A growing text buffer (data is NUL-terminated once anything was put). */
struct og_buf
{
  char *buf;
  size_t len, cap;
};
void og_buf_put (struct og_buf *b, const char *s, size_t n);
void og_buf_puts (struct og_buf *b, const char *s);
/* s as a quoted, escaped JSON string ("null" for NULL). */
void og_buf_put_json_string (struct og_buf *b, const char *s);

/* Serialise.  *out is NUL-terminated and owned by the caller. */
int og_json_write (const struct og_json *j, bool pretty, char **out, size_t *out_len, struct og_error *err);

/* Lookups return borrowed pointers (NULL when absent). */
struct og_json *og_json_get (const struct og_json *obj, const char *key);
/* Like og_json_get but NULL also for a JSON null (Go leaves the field unset). */
struct og_json *og_json_get_set (const struct og_json *obj, const char *key);
/* Walk a NULL-terminated list of keys; NULL if any step is missing/null. */
struct og_json *og_json_path (const struct og_json *root, ...) __attribute__ ((sentinel));

/* Constructors return new, caller-owned nodes. */
struct og_json *og_json_new (enum og_json_type type);
struct og_json *og_json_new_string (const char *s);
struct og_json *og_json_new_number (int64_t v);
struct og_json *og_json_new_bool (bool v);
struct og_json *og_json_clone (const struct og_json *j);

/* Set obj[key] = val (takes val; replaces and frees an existing member). */
void og_json_set (struct og_json *obj, const char *key, struct og_json *val);
/* Get obj[key] as an object, creating (or replacing a null with) {} if needed.
 * Returns NULL if the member exists with another type. */
struct og_json *og_json_ensure_object (struct og_json *obj, const char *key);
void og_json_append (struct og_json *arr, struct og_json *val);
void og_json_remove_at (struct og_json *container, size_t i);
/* Remove obj[key] if there is one (an object's member). */
void og_json_remove (struct og_json *obj, const char *key);

bool og_json_is_string (const struct og_json *j);
bool og_json_is_bool (const struct og_json *j);
bool og_json_is_true (const struct og_json *j);
/* Integer number text (Go's int64 decoding accepts no fraction or exponent). */
int og_json_int64 (const struct og_json *j, int64_t *out);
/* Compact JSON text of a node, caller-owned (for decisions); NULL for NULL. */
char *og_json_to_text (const struct og_json *j);
/* True for an array of strings that contains s. */
bool og_json_array_has_string (const struct og_json *arr, const char *s);

#endif
