/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Accepts the connections of one listening socket on the thread-default
 * main context, and hands each over. It exists because libsoup 3.2's own
 * listener gives up for good at its first accept error: a process out of
 * descriptors never accepts again, even once some are free. This loop
 * backs off and retries, with a warning.
 */
typedef struct _AsgirefAcceptLoop AsgirefAcceptLoop;

/* Takes over @connection (transfer full). */
typedef void (*AsgirefAcceptFunc) (GSocketConnection *connection,
                                   gpointer           data);

AsgirefAcceptLoop *_asgiref_accept_loop_new    (GSocket           *socket,
                                                AsgirefAcceptFunc  func,
                                                gpointer           data);
/* Stops accepting and closes the listening socket. */
void               _asgiref_accept_loop_free   (AsgirefAcceptLoop *self);
/* The listening socket. (transfer none) */
GSocket           *_asgiref_accept_loop_get_socket (AsgirefAcceptLoop *self);

G_END_DECLS
