/* SPDX-License-Identifier: Apache-2.0 */
#ifndef OCIGATE_INSTALL_H
#define OCIGATE_INSTALL_H

#include "ocigate/error.h"

/* Divert runc to runc.real and put a symlink to ocigate in its place. */
int ocigate_install_as_runc (const char *runc, const char *ocigate, struct og_error *err);
/* Undo it: remove the symlink, restore runc.real to runc. */
int ocigate_uninstall_as_runc (const char *runc, const char *ocigate, struct og_error *err);

#endif
