/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "asgiref-application.h"
#include "asgiref-connection-private.h"
#include "asgiref-context.h"
#include "asgiref-headers.h"

G_BEGIN_DECLS

/*
 * One HTTP request and its response, served by one application instance:
 * what turns a SoupServerMessage into an `http` scope and messages, and
 * the application's messages back into a response. Lives on the server's
 * main context, where every one of its functions is called.
 */
typedef struct _AsgirefHttpExchange AsgirefHttpExchange;

/*
 * The watches a main context's exchanges set on their sockets for the
 * client leaving, set only for the exchanges still waiting for their
 * response a little while after the request was read (see
 * asgiref-http-exchange.c). One per serving main context, freed once its
 * exchanges ended.
 */
typedef struct _AsgirefHttpWatches AsgirefHttpWatches;

AsgirefHttpWatches  *_asgiref_http_watches_new      (GMainContext       *context);
void                 _asgiref_http_watches_free     (AsgirefHttpWatches *watches);

/* Called once the instance ended and libsoup is done with the message. */
typedef void (*AsgirefHttpExchangeDone) (gpointer             exchange,
                                         gpointer             user_data);

typedef struct
{
  AsgirefConnection *connection;  /* the message's; NULL for one libsoup
                                   * accepted itself */
  AsgirefHeaders *headers;        /* the request's, unchecked */
  AsgirefApplication *application;
  AsgirefContext *context;        /* the instance runs in a copy */
  guint64 max_body_size;          /* 0: no limit */
  guint response_timeout;         /* seconds; 0: none */
  const char *root_path;          /* nullable: none */
  AsgirefHttpWatches *watches;    /* nullable: a watch is set at once */
  AsgirefHttpExchangeDone done;
  gpointer user_data;
} AsgirefHttpExchangeConfig;

/* From the early handler, when the request headers arrived: starts the
 * instance, which reads the body as it comes. */
AsgirefHttpExchange *_asgiref_http_exchange_start   (SoupServerMessage               *msg,
                                                     const AsgirefHttpExchangeConfig *config);

/* From the handler, when the whole body was read before the application
 * started its response. Does nothing for a message without an exchange. */
void                 _asgiref_http_exchange_body_read (SoupServerMessage            *msg,
                                                       AsgirefConnection            *connection);

/* When libsoup is done with the message: from SoupServer::request-finished
 * and ::request-aborted. Does nothing for a message without an exchange. */
void                 _asgiref_http_exchange_finished  (SoupServerMessage            *msg,
                                                       AsgirefConnection            *connection);

/* A list link for the server, valid until the exchange is done: keeping
 * its exchanges in a list costs the server no allocation. */
GList               *_asgiref_http_exchange_get_link (AsgirefHttpExchange            *self);

/* Cancels the instance: its receives and sends fail with
 * G_IO_ERROR_CANCELLED. */
void                 _asgiref_http_exchange_cancel  (AsgirefHttpExchange             *self);

/* The server closed the request's connection: libsoup 3.2 does not say
 * that its message finished, so this does, once. */
void                 _asgiref_http_exchange_abandon (AsgirefHttpExchange             *self);

/* Answers @msg with @status (and @reason, nullable) before the request was
 * read, and closes the connection afterwards: what follows on it is the
 * rest of a body nobody wants, or not to be trusted. On a connection the
 * server accepted, the answer goes out at once, without reading the
 * body first as libsoup would. */
void                 _asgiref_http_refuse           (SoupServerMessage             *msg,
                                                     guint                          status,
                                                     const char                    *reason);

/*
 * What the server needs of a request's headers before it serves it, read
 * in one walk through them: the headers as a list (not checked yet), and
 * whether the body's framing is one every reader agrees on (a
 * Content-Length with a Transfer-Encoding, several lengths, or an
 * encoding other than chunked open the door to request smuggling), and
 * whether it asks for a WebSocket.
 */
typedef struct
{
  AsgirefHeaders *headers;
  gboolean framing_unambiguous;
  gboolean websocket_upgrade;
} AsgirefHttpRequestHead;

void                 _asgiref_http_request_head_read  (SoupServerMessage             *msg,
                                                       AsgirefHttpRequestHead        *head);
void                 _asgiref_http_request_head_clear (AsgirefHttpRequestHead        *head);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AsgirefHttpRequestHead, _asgiref_http_request_head_clear)

/* The request headers of @msg, checked by ASGI's rules. */
AsgirefHeaders      *_asgiref_http_request_headers  (SoupServerMessage             *msg,
                                                     GError                       **error);

/* Whether @msg came over TLS: libsoup knows only for the connections it
 * accepted itself, and gives the others `http` URIs. */
gboolean             _asgiref_http_is_tls           (SoupServerMessage             *msg);

/* The status @msg was answered with: the one it was refused with, where
 * libsoup, failing to read a body no one wanted, reports a 500. */
guint                _asgiref_http_status_of        (SoupServerMessage             *msg);

G_END_DECLS
