/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

/* Builders: every one returns a new, non-floating a{sv} (transfer full). */

ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new                           (const char          *type);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_http_request              (GBytes              *body,
                                                           gboolean             more_body);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_http_response_start       (int                  status,
                                                           GVariant            *headers,
                                                           gboolean             trailers);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_http_response_body        (GBytes              *body,
                                                           gboolean             more_body);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_http_response_trailers    (GVariant            *headers,
                                                           gboolean             more_trailers);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_lifespan_startup_failed   (const char          *message);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_lifespan_shutdown_failed  (const char          *message);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_websocket_accept          (const char          *subprotocol,
                                                           GVariant            *headers);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_websocket_send            (GBytes              *bytes,
                                                           const char          *text);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_websocket_receive         (GBytes              *bytes,
                                                           const char          *text);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_websocket_close           (int                  code,
                                                           const char          *reason);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_websocket_disconnect      (int                  code);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_websocket_http_response_start (int               status,
                                                               GVariant         *headers);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_new_websocket_http_response_body  (GBytes           *body,
                                                               gboolean          more_body);

ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_headers_new                           (const char * const  *names,
                                                           const char * const  *values,
                                                           GError             **error);

/* Accessors. */

ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_type_name                 (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
GBytes     *asgiref_message_get_body                      (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_get_more_body                 (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
int         asgiref_message_get_status                    (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
GVariant   *asgiref_message_get_headers                   (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_get_trailers                  (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_get_more_trailers             (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_message                   (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
GBytes     *asgiref_message_get_bytes                     (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_text                      (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_subprotocol               (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
int         asgiref_message_get_code                      (GVariant            *message);
ASGIREF_AVAILABLE_IN_1_0
const char *asgiref_message_get_reason                    (GVariant            *message);

/* Validation. */

ASGIREF_AVAILABLE_IN_1_0
gboolean    asgiref_message_validate                      (GVariant            *message,
                                                           GError             **error);

G_END_DECLS
