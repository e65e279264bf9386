/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-channel.h"
#include "asgiref-wsgi-response.h"

G_BEGIN_DECLS

/*
 * What the WSGI adapter shares between its files. A handler runs on a
 * thread of the bridge, blocking; these talk to its instance's channel,
 * which lives on the server's main context, through
 * asgiref_bridge_async_to_sync(): each returns once the server took the
 * message (or gave one), which is the back-pressure a handler feels.
 */

/* Sends @first (nullable) then @last, and waits until @last was sent. */
gboolean             _asgiref_wsgi_send              (AsgirefChannel       *channel,
                                                      AsgirefMessage       *first,
                                                      AsgirefMessage       *last,
                                                      GCancellable         *cancellable,
                                                      GError              **error);
/* Waits for the next message of the server. */
AsgirefMessage      *_asgiref_wsgi_receive           (AsgirefChannel       *channel,
                                                      GCancellable         *cancellable,
                                                      GError              **error);

/* The request body as the handler reads it: http.request chunks, asked
 * for one at a time as the handler reads. (transfer full) */
GInputStream        *_asgiref_wsgi_input_new         (AsgirefChannel       *channel,
                                                      GCancellable         *cancellable);

AsgirefWsgiResponse *_asgiref_wsgi_response_new      (AsgirefChannel       *channel,
                                                      GCancellable         *cancellable);
/* After the handler returned, on its thread: sends what is left of the
 * response without waiting, the headers if no body went out and the end
 * of the body. Fails when the handler started no response. */
gboolean             _asgiref_wsgi_response_conclude (AsgirefWsgiResponse  *self,
                                                      GError              **error);

G_END_DECLS
