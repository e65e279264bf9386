/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib-object.h>

#include "asgiref-enums.h"
#include "asgiref-headers.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_SCOPE (asgiref_scope_get_type ())

typedef struct _AsgirefScope AsgirefScope;

ASGIREF_AVAILABLE_IN_1_0
GType                asgiref_scope_get_type                  (void) G_GNUC_CONST;
ASGIREF_AVAILABLE_IN_1_0
AsgirefScope        *asgiref_scope_ref                       (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_unref                     (AsgirefScope        *scope);

/* Builders: every one returns a new scope (transfer full). */

ASGIREF_AVAILABLE_IN_1_0
AsgirefScope        *asgiref_scope_new_http                  (const char          *method,
                                                              const char          *path,
                                                              GBytes              *query_string,
                                                              AsgirefHeaders      *headers);
ASGIREF_AVAILABLE_IN_1_0
AsgirefScope        *asgiref_scope_new_websocket             (const char          *path,
                                                              GBytes              *query_string,
                                                              AsgirefHeaders      *headers,
                                                              const char * const  *subprotocols);
ASGIREF_AVAILABLE_IN_1_0
AsgirefScope        *asgiref_scope_new_lifespan              (GVariant            *state);

/* Accessors. */

ASGIREF_AVAILABLE_IN_1_0
AsgirefScopeKind     asgiref_scope_get_kind                  (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_type_name             (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_asgi_version          (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_spec_version          (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_http_version          (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_method                (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_scheme                (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_path                  (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
GBytes              *asgiref_scope_get_raw_path              (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
GBytes              *asgiref_scope_get_query_string          (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
const char          *asgiref_scope_get_root_path             (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
AsgirefHeaders      *asgiref_scope_get_headers               (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_get_client                (AsgirefScope        *scope,
                                                              const char         **host,
                                                              int                 *port);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_get_server                (AsgirefScope        *scope,
                                                              const char         **host,
                                                              int                 *port);
ASGIREF_AVAILABLE_IN_1_0
char               **asgiref_scope_get_subprotocols          (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_get_state                 (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_get_extensions            (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_has_extension             (AsgirefScope        *scope,
                                                              const char          *name);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_get_extra                 (AsgirefScope        *scope);

/* Validation. */

ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_scope_validate                  (AsgirefScope        *scope,
                                                              GError             **error);

/* The a{sv} form, for bindings, logging and interoperation. */

ASGIREF_AVAILABLE_IN_1_0
AsgirefScope        *asgiref_scope_new_from_variant          (GVariant            *variant,
                                                              GError             **error);
ASGIREF_AVAILABLE_IN_1_0
GVariant            *asgiref_scope_to_variant                (AsgirefScope        *scope);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefScope, asgiref_scope_unref)

G_END_DECLS
