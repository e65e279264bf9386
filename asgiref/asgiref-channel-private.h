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

/*
 * The application will send nothing more (its call returned): takes get
 * the messages it already sent, then fail with G_IO_ERROR_CLOSED, and
 * later sends fail with ASGIREF_ERROR_FINISHED. Unlike close(), nothing
 * sent is lost.
 */
void     _asgiref_channel_end_output (AsgirefChannel *self);

/* Whether a message was put and not received yet. */
gboolean _asgiref_channel_has_input  (AsgirefChannel *self);

G_END_DECLS
