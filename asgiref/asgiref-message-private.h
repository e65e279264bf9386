/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-headers-private.h"
#include "asgiref-message.h"

G_BEGIN_DECLS

/*
 * An ASGI message: immutable once built, so any thread may read it
 * without locks. Which fields mean something depends on @kind; the
 * others stay zero. The library reads the fields directly; the public
 * accessors are for applications and bindings.
 */
struct _AsgirefMessage
{
  gatomicrefcount     ref_count;
  AsgirefMessageKind  kind;
  int                 status;       /* status, or code (websocket.close/.disconnect) */
  guint               more : 1;     /* more_body, or more_trailers */
  guint               trailers : 1; /* http.response.start */
  GBytes             *body;         /* body, or bytes (websocket frames); nullable */
  char               *text;         /* text, message, subprotocol or reason; nullable */
  AsgirefHeaders     *headers;      /* nullable: none */
  GVariant           *extra;        /* a{sv} of keys ASGI extensions add; nullable */
  GVariant           *view;         /* the a{sv} form, built on demand; set once, atomically */
};

/* How many kinds of message there are: the size of a table indexed by kind. */
#define _ASGIREF_MESSAGE_N_KINDS (ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY + 1)

/* A new message of @kind with every field zero (transfer full). */
AsgirefMessage *_asgiref_message_alloc          (AsgirefMessageKind  kind);

/* The kind whose ASGI `type` is @type, for the a{sv} form; FALSE if none. */
gboolean        _asgiref_message_kind_from_type (const char         *type,
                                                 AsgirefMessageKind *kind);

/* The content-length header of @message, a validated response start; -1
 * when it has none. */
gint64 _asgiref_message_content_length (AsgirefMessage *message);

G_END_DECLS
