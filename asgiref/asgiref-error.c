/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-error.h"

/**
 * asgiref_error_quark:
 *
 * The quark behind %ASGIREF_ERROR.
 *
 * Returns: the error domain of asgiref-glib
 */
G_DEFINE_QUARK (asgiref-error-quark, asgiref_error)
