/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Accepts the connections of one listening socket on a main context, and
 * hands each over. Several loops may accept from one socket, each on the
 * main context of its own thread. It exists because libsoup 3.2's own
 * listener gives up for good at its first accept error: a process out of
 * descriptors never accepts again, even once some are free. This loop
 * backs off and retries, with a warning.
 */
typedef struct _AsgirefAcceptLoop AsgirefAcceptLoop;

/* Takes over @connection (transfer full). */
typedef void (*AsgirefAcceptFunc) (GSocketConnection *connection,
                                   gpointer           data);

/* @func runs on @context, as does _asgiref_accept_loop_free(). */
AsgirefAcceptLoop *_asgiref_accept_loop_new  (GSocket           *socket,
                                              GMainContext      *context,
                                              AsgirefAcceptFunc  func,
                                              gpointer           data);
/* Stops accepting. The socket stays open, for its other loops. */
void               _asgiref_accept_loop_free (AsgirefAcceptLoop *self);

G_END_DECLS
