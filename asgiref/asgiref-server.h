/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "asgiref-application.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_SERVER (asgiref_server_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefServer, asgiref_server, ASGIREF, SERVER, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefServer      *asgiref_server_new                (AsgirefApplication   *application);

ASGIREF_AVAILABLE_IN_1_0
AsgirefApplication *asgiref_server_get_application    (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
SoupServer         *asgiref_server_get_soup_server    (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
guint64             asgiref_server_get_max_request_body_size (AsgirefServer *self);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_server_get_response_timeout (AsgirefServer *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_response_timeout (AsgirefServer *self,
                                                         guint          seconds);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_max_request_body_size (AsgirefServer *self,
                                                              guint64        size);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_server_get_header_timeout (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_header_timeout (AsgirefServer        *self,
                                                       guint                 seconds);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_server_get_keep_alive_timeout (AsgirefServer    *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_keep_alive_timeout (AsgirefServer    *self,
                                                           guint             seconds);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_server_get_n_connections  (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
guint64             asgiref_server_get_max_websocket_message_size (AsgirefServer *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_max_websocket_message_size (AsgirefServer *self,
                                                                   guint64        size);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_server_get_serving_threads (AsgirefServer *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_serving_threads (AsgirefServer *self,
                                                        guint          n_threads);
ASGIREF_AVAILABLE_IN_1_0
const char         *asgiref_server_get_root_path      (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_root_path      (AsgirefServer        *self,
                                                       const char           *root_path);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_server_get_access_log     (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_access_log     (AsgirefServer        *self,
                                                       gboolean              access_log);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_server_get_max_instances  (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_set_max_instances  (AsgirefServer        *self,
                                                       guint                 max_instances);

ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_server_listen_local       (AsgirefServer        *self,
                                                       guint                 port,
                                                       GError              **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_server_listen             (AsgirefServer        *self,
                                                       GSocketAddress       *address,
                                                       GError              **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_server_listen_socket      (AsgirefServer        *self,
                                                       GSocket              *socket,
                                                       GError              **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_server_listen_systemd     (AsgirefServer        *self,
                                                       GError              **error);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_server_get_port           (AsgirefServer        *self);
ASGIREF_AVAILABLE_IN_1_0
GSList             *asgiref_server_get_uris           (AsgirefServer        *self);

ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_start_async        (AsgirefServer        *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_server_start_finish       (AsgirefServer        *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

ASGIREF_AVAILABLE_IN_1_0
void                asgiref_server_stop_async         (AsgirefServer        *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_server_stop_finish        (AsgirefServer        *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

G_END_DECLS
