/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The header rules of asgiref_message_validate(), shared with
 * asgiref_scope_validate(). @headers must be of type a(ayay); the error
 * names the header by index, and callers prefix it with whose headers
 * they are. */
gboolean _asgiref_headers_validate (GVariant  *headers,
                                   GError   **error);

/* The message's type, without serialising it first as the public
 * accessor does: valid only until @message is serialised (by
 * g_variant_get_data() or g_variant_equal(), say), so for a quick look. */
const char *_asgiref_message_peek_type (GVariant *message);

G_END_DECLS
