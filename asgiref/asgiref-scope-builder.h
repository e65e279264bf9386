/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib-object.h>

#include "asgiref-headers.h"
#include "asgiref-scope.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_SCOPE_BUILDER (asgiref_scope_builder_get_type ())

typedef struct _AsgirefScopeBuilder AsgirefScopeBuilder;

ASGIREF_AVAILABLE_IN_1_0
GType                asgiref_scope_builder_get_type          (void) G_GNUC_CONST;

ASGIREF_AVAILABLE_IN_1_0
AsgirefScopeBuilder *asgiref_scope_builder_new_http          (const char          *method,
                                                              const char          *path);
ASGIREF_AVAILABLE_IN_1_0
AsgirefScopeBuilder *asgiref_scope_builder_new_websocket     (const char          *path);
ASGIREF_AVAILABLE_IN_1_0
AsgirefScopeBuilder *asgiref_scope_builder_ref               (AsgirefScopeBuilder *builder);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_unref             (AsgirefScopeBuilder *builder);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_spec_version  (AsgirefScopeBuilder *builder,
                                                              const char          *spec_version);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_http_version  (AsgirefScopeBuilder *builder,
                                                              const char          *http_version);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_scheme        (AsgirefScopeBuilder *builder,
                                                              const char          *scheme);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_raw_path      (AsgirefScopeBuilder *builder,
                                                              GBytes              *raw_path);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_query_string  (AsgirefScopeBuilder *builder,
                                                              GBytes              *query_string);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_root_path     (AsgirefScopeBuilder *builder,
                                                              const char          *root_path);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_headers       (AsgirefScopeBuilder *builder,
                                                              AsgirefHeaders      *headers);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_client        (AsgirefScopeBuilder *builder,
                                                              const char          *host,
                                                              int                  port);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_server        (AsgirefScopeBuilder *builder,
                                                              const char          *host,
                                                              int                  port);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_subprotocols  (AsgirefScopeBuilder *builder,
                                                              const char * const  *subprotocols);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_set_state         (AsgirefScopeBuilder *builder,
                                                              GVariant            *state);
ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_scope_builder_add_extension     (AsgirefScopeBuilder *builder,
                                                              const char          *name,
                                                              GVariant            *info);
ASGIREF_AVAILABLE_IN_1_0
AsgirefScope        *asgiref_scope_builder_end               (AsgirefScopeBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefScopeBuilder, asgiref_scope_builder_unref)

G_END_DECLS
