/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A GIOStream over another that counts the bytes written through it, for
 * a WebSocket's sends to complete once their frame was written: libsoup
 * 3.2's SoupWebsocketConnection queues frames and says nothing of their
 * writes. Reading, polling and closing are the base stream's. Used on the
 * thread-default main context it was made on.
 */
#define ASGIREF_TYPE_COUNTED_STREAM (_asgiref_counted_stream_get_type ())
G_DECLARE_FINAL_TYPE (AsgirefCountedStream, _asgiref_counted_stream, ASGIREF, COUNTED_STREAM, GIOStream)

/* Bytes went out: @written in all, through @stream. Called from inside
 * the writer's write. */
typedef void (*AsgirefCountedWrote) (AsgirefCountedStream *stream,
                                     guint64               written,
                                     gpointer              user_data);

/* @base's output stream must be pollable. */
AsgirefCountedStream *_asgiref_counted_stream_new         (GIOStream            *base,
                                                           AsgirefCountedWrote   wrote,
                                                           gpointer              user_data);
guint64               _asgiref_counted_stream_get_written (AsgirefCountedStream *self);
/* No more calls of wrote. */
void                  _asgiref_counted_stream_unwatch     (AsgirefCountedStream *self);

G_END_DECLS
