/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib-object.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

/* Builders: every one returns a new, non-floating a{sv} (transfer full). */

ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_new_http                  (const char          *method,
                                                              const char          *path,
                                                              GBytes              *query_string,
                                                              GVariant            *headers);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_new_websocket             (const char          *path,
                                                              GBytes              *query_string,
                                                              GVariant            *headers,
                                                              const char * const  *subprotocols);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_new_lifespan              (GVariant            *state);

/* Accessors. */

ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_type_name             (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_asgi_version          (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_spec_version          (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_http_version          (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_method                (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_scheme                (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_path                  (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
GBytes              *asgiref_scope_get_raw_path              (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
GBytes              *asgiref_scope_get_query_string          (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_root_path             (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_get_headers               (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_get_client                (GVariant            *scope,
                                                              const char         **host,
                                                              int                 *port);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_get_server                (GVariant            *scope,
                                                              const char         **host,
                                                              int                 *port);
ASGIREF_AVAILABLE_IN_1_0
char               **asgiref_scope_get_subprotocols          (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_get_state                 (GVariant            *scope);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_has_extension             (GVariant            *scope,
                                                              const char          *name);

/* Validation. */

ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_validate                  (GVariant            *scope,
                                                              GError             **error);

G_END_DECLS
