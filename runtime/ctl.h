/* SPDX-License-Identifier: Apache-2.0 */
/* What the ocigatectl subcommands share (runtime/ocigatectl.c, ctl_*.c). */
#ifndef OCIGATE_CTL_H
#define OCIGATE_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "ocigate/error.h"

enum
{
  CTL_EXIT_ALLOWED = 0, /* also: done */
  CTL_EXIT_REFUSED = 1,
  CTL_EXIT_ERROR = 2,
};

/* Print "ocigatectl: <msg>" on stderr, clear err, return CTL_EXIT_ERROR. */
int ctl_fail (struct og_error *err);

/* Print s on standard output for a person, at most `max` bytes (0: all; a
 * cut ends in "…" on a character boundary).  Control characters (C0, DEL,
 * C1) are shown as \xNN: container ids, paths and reasons come from
 * configs and logs others wrote, and an escape sequence in them must not
 * reach the admin's terminal. */
void ctl_put_text (const char *s, size_t max);

/* Colour on standard output: a terminal, and NO_COLOR unset. */
bool ctl_use_colour (void);

/* Read a whole regular file of at most `max` bytes.  A FIFO, device or
 * directory is refused without blocking.  *out is NUL-terminated, owned. */
int ctl_read_regular (const char *path, size_t max, char **out, size_t *len, struct og_error *err);

int ctl_check (int argc, char **argv);
int ctl_explain (int argc, char **argv);
int ctl_audit (int argc, char **argv);
int ctl_seccomp (int argc, char **argv);
int ctl_show (int argc, char **argv);

#endif
