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

#define ASGIREF_TYPE_MESSAGE (asgiref_message_get_type ())

typedef struct _AsgirefMessage AsgirefMessage;

ASGIREF_AVAILABLE_IN_1_0
GType       asgiref_message_get_type                      (void) G_GNUC_CONST;
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_ref                       (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
void        asgiref_message_unref                         (AsgirefMessage      *message);

/* Builders: every one returns a new message (transfer full). */

ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new                       (AsgirefMessageKind   kind);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_http_request              (GBytes              *body,
                                                           gboolean             more_body);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_http_response_start       (int                  status,
                                                           AsgirefHeaders      *headers,
                                                           gboolean             trailers);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_http_response_body        (GBytes              *body,
                                                           gboolean             more_body);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_http_response_trailers    (AsgirefHeaders      *headers,
                                                           gboolean             more_trailers);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_lifespan_startup_failed   (const char          *message);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_lifespan_shutdown_failed  (const char          *message);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_websocket_accept          (const char          *subprotocol,
                                                           AsgirefHeaders      *headers);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_websocket_send            (GBytes              *bytes,
                                                           const char          *text);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_websocket_receive         (GBytes              *bytes,
                                                           const char          *text);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_websocket_close           (int                  code,
                                                           const char          *reason);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_websocket_disconnect      (int                  code);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_websocket_http_response_start (int               status,
                                                               AsgirefHeaders   *headers);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_websocket_http_response_body  (GBytes           *body,
                                                               gboolean          more_body);

/* Accessors. */

ASGIREF_AVAILABLE_IN_1_0
AsgirefMessageKind asgiref_message_get_kind               (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_type_name                 (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
GBytes     *asgiref_message_get_body                      (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_get_more_body                 (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
int         asgiref_message_get_status                    (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
AsgirefHeaders *asgiref_message_get_headers                   (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_get_trailers                  (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_get_more_trailers             (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_message                   (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
GBytes     *asgiref_message_get_bytes                     (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_text                      (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_subprotocol               (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
int         asgiref_message_get_code                      (AsgirefMessage      *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_reason                    (AsgirefMessage      *message);

/* Validation. */

ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_validate                      (AsgirefMessage      *message,
                                                           GError             **error);

/* The a{sv} form, for bindings, logging and interoperation. */

ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_message_new_from_variant          (GVariant            *variant,
                                                           GError             **error);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_to_variant                    (AsgirefMessage      *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefMessage, asgiref_message_unref)

G_END_DECLS
