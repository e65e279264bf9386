/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-application.h"

G_BEGIN_DECLS

/* How an instance ended: @error is %NULL for success, else owned by the
 * callee. */
typedef void (*AsgirefApplicationDone) (GError   *error,
                                        gpointer  data);

/*
 * asgiref_application_call_async() for the server's per-request path:
 * the implementation gets its task as always, but no task of the
 * caller's wraps it, and @channel is not tied to @cancellable (the
 * caller cancels the channel itself, with _asgiref_channel_cancel()).
 * @done runs on the caller's thread-default main context, in whatever
 * AsgirefContext is current there, maybe before this returns.
 */
void _asgiref_application_call (AsgirefApplication     *self,
                                AsgirefScope           *scope,
                                AsgirefChannel         *channel,
                                GCancellable           *cancellable,
                                AsgirefApplicationDone  done,
                                gpointer                data);

G_END_DECLS
