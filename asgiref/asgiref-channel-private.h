/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-channel.h"

G_BEGIN_DECLS

/*
 * Ties @self to the instance it serves: when @cancellable is cancelled,
 * the application's pending and later receives and sends fail with
 * G_IO_ERROR_CANCELLED. Once per channel.
 */
void _asgiref_channel_cancel_with (AsgirefChannel *self,
                                   GCancellable   *cancellable);

/* What cancelling the instance's cancellable does with
 * _asgiref_channel_cancel_with(), for a caller that cancels the instance
 * itself. */
void _asgiref_channel_cancel      (AsgirefChannel *self);

/*
 * The application will send nothing more (its call returned): takes get
 * the messages it already sent, then fail with G_IO_ERROR_CLOSED, and
 * later sends fail with ASGIREF_ERROR_FINISHED. Unlike close(), nothing
 * sent is lost.
 */
void     _asgiref_channel_end_output (AsgirefChannel *self);

/*
 * The server's side without takes, for the per-request path: @sink gets
 * every message the application sends, in order, on the thread-default
 * main context of the caller of _asgiref_channel_set_sink(), then %NULL
 * once the output ended (the instance returned, or the channel closed)
 * and everything sent was delivered. Getting a message completes its
 * send. The sink returns TRUE to get the next message as soon as there is
 * one, FALSE to hold the next ones back (back-pressure) until it calls
 * _asgiref_channel_sink_ready(), on that same context, never from within
 * the sink. Set once, before the instance starts; takes are not used
 * then.
 */
typedef gboolean (*AsgirefChannelSink) (AsgirefMessage *message,
                                        gpointer        data);

/* The application received every input put, after
 * _asgiref_channel_watch_drain() asked to hear of it; on the sink's
 * context, maybe from within a receive the application made there. */
typedef void     (*AsgirefChannelDrained) (gpointer data);

void     _asgiref_channel_set_sink   (AsgirefChannel        *self,
                                      AsgirefChannelSink     sink,
                                      AsgirefChannelDrained  drained,
                                      gpointer               data);

/*
 * Request-body back-pressure: when the inputs the application has not
 * received yet hold more than @above bytes of body, the sink's drained
 * callback will be called (once) when it received them all, and this
 * returns TRUE; otherwise nothing will be called.
 */
gboolean _asgiref_channel_watch_drain   (AsgirefChannel *self,
                                         gsize           above);
/*
 * For `Expect: 100-continue`: the sink's drained callback will be called
 * (once) at the application's next receive, which finds nothing waiting.
 */
void     _asgiref_channel_watch_receive (AsgirefChannel *self);
/* Not to be called after either. */
void     _asgiref_channel_unwatch_drain (AsgirefChannel *self);
void     _asgiref_channel_sink_ready (AsgirefChannel     *self);

/* The main context of the sink (the server's), or %NULL without one. */
GMainContext *_asgiref_channel_get_sink_context (AsgirefChannel *self);

/*
 * Why the first message the application sent was refused (invalid, or
 * against the protocol), or %NULL when none was: the error its send
 * failed with, which an application that passed no callback never saw.
 * (transfer full)
 */
GError  *_asgiref_channel_dup_rejection (AsgirefChannel *self);

/*
 * Puts a message of @kind that is nothing but its type (an http.request
 * without a body, http.disconnect): what put_input() does with
 * asgiref_message_new (@kind), except that the message is made only when
 * a receive gets it. A request's only http.request and its closing
 * http.disconnect are often never received: an application that ignores
 * an empty request, or that sent its response, rarely asks. In order with
 * the inputs put before and after it; ignored on a closed channel.
 */
void     _asgiref_channel_put_bare_input (AsgirefChannel     *self,
                                          AsgirefMessageKind  kind);

/* Whether a message was put and not received yet. */
gboolean _asgiref_channel_has_input  (AsgirefChannel *self);

G_END_DECLS
