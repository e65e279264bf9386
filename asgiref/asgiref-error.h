/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

/**
 * ASGIREF_ERROR:
 *
 * The error domain of asgiref-glib. Codes are in [enum@Asgiref.Error].
 */
#define ASGIREF_ERROR (asgiref_error_quark ())

ASGIREF_AVAILABLE_IN_1_0
GQuark asgiref_error_quark (void);

G_END_DECLS
