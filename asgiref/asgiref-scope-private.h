/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the scope functions and AsgirefScopeBuilder share. */

/* A scope's "asgi" dictionary: version 3.0 and @spec_version; floating. */
GVariant *_asgiref_scope_asgi_value (const char *spec_version);

/* Sinks @scope and serialises it, which every scope this library returns
 * is: see the comment on the definition. Returns @scope (transfer full). */
GVariant *_asgiref_scope_finish     (GVariant   *scope);

G_END_DECLS
