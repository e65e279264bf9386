/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The header rules of asgiref_message_validate(), shared with
 * asgiref_scope_validate(). @headers must be of type a(ayay); the error
 * names the header by index, and callers prefix it with whose headers
 * they are. */
gboolean asgiref_headers_validate (GVariant  *headers,
                                   GError   **error);

G_END_DECLS
