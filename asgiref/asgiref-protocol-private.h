/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-message.h"
#include "asgiref-scope.h"

G_BEGIN_DECLS

/*
 * Where an ASGI application is in its side of the protocol of its scope
 * (http, websocket or lifespan): what it may send next. A plain struct,
 * kept under the lock of its AsgirefChannel.
 */
typedef struct
{
  guint8 protocol;
  guint8 stage;
  guint8 lifespan_asked;     /* events received and not answered yet */
  guint8 lifespan_answered;
  gboolean trailers;         /* http.response.start announced trailers */
  gboolean head;             /* the request is a HEAD: no body is sent */
  gint64 declared_length;    /* its content-length; -1 for none, or not binding */
  guint64 sent_length;       /* bytes of body sent so far */
} AsgirefProtocolState;

/* Starts at the beginning of @scope's protocol; with no @scope (NULL),
 * every valid message may be sent at any time. */
void     _asgiref_protocol_init          (AsgirefProtocolState  *self,
                                          AsgirefScope          *scope);

/* Whether the application may send @message (a valid message) now; if so,
 * moves on as sending it does, otherwise fails with ASGIREF_ERROR_PROTOCOL. */
gboolean _asgiref_protocol_check_send    (AsgirefProtocolState  *self,
                                          AsgirefMessage        *message,
                                          GError               **error);

/* The application receives @message now (a lifespan question, say). */
void     _asgiref_protocol_note_received (AsgirefProtocolState  *self,
                                          AsgirefMessage        *message);

G_END_DECLS
