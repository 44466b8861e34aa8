/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one error convention of ocigate.
 *
 * A fallible function takes a `struct og_error *err` as its last argument and
 * returns a negative int (or NULL) on failure after filling `err` with
 * og_error_set().  The message is lowercase, names the path or rule, and says
 * what went wrong; only the front ends (runtime/) turn an error into an exit.
 */
#ifndef OCIGATE_ERROR_H
#define OCIGATE_ERROR_H

struct og_error
{
  int errnum; /* errno that caused it, 0 when none */
  char *msg;  /* owned; NULL when no error */
};

/* Set *err (replacing any earlier message).  Appends strerror(errnum) when
 * errnum != 0.  Always returns -1 so callers can `return og_error_set (...)`. */
int og_error_set (struct og_error *err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Prefix the current message with more context: "<prefix>: <old msg>". */
int og_error_wrap (struct og_error *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

void og_error_clear (struct og_error *err);

#endif
