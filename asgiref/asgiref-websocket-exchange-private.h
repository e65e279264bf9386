/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "asgiref-http-exchange-private.h"

G_BEGIN_DECLS

/*
 * One WebSocket connection and the application instance that serves it,
 * from the upgrade request to the close: what turns the request into a
 * `websocket` scope and `websocket.connect`, answers the handshake only
 * when the application accepts (or denies it, with 403 or its own
 * response), and carries frames both ways afterwards. libsoup's own
 * WebSocket handler completes the handshake before anyone is asked, so
 * the exchange holds the request itself and builds the connection from
 * the stolen stream. Lives on the server's main context.
 */
typedef struct _AsgirefWebsocketExchange AsgirefWebsocketExchange;

/* From the early handler: starts the instance. @config's done is called
 * (with the exchange) once the instance ended and the connection closed;
 * its max_body_size is the largest incoming message. NULL when the
 * request was answered at once (a handshake that is not one). */
AsgirefWebsocketExchange *_asgiref_websocket_exchange_start      (SoupServerMessage               *msg,
                                                                  const AsgirefHttpExchangeConfig *config);

/* A list link for the server, valid until the exchange is done. */
GList                    *_asgiref_websocket_exchange_get_link   (AsgirefWebsocketExchange        *self);

/* Cancels the instance, and closes the connection (1001, going away). */
void                      _asgiref_websocket_exchange_cancel     (AsgirefWebsocketExchange        *self);

G_END_DECLS
