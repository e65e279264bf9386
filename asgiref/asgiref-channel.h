/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-message.h"
#include "asgiref-scope.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_CHANNEL (asgiref_channel_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefChannel, asgiref_channel, ASGIREF, CHANNEL, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefChannel *asgiref_channel_new                 (AsgirefScope        *scope);
ASGIREF_AVAILABLE_IN_1_0
AsgirefScope   *asgiref_channel_get_scope           (AsgirefChannel      *self);

/* The application's side. */

ASGIREF_AVAILABLE_IN_1_0
void            asgiref_channel_receive_async       (AsgirefChannel      *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_channel_receive_finish      (AsgirefChannel      *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_channel_try_receive         (AsgirefChannel      *self,
                                                     GError             **error);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_channel_send_async          (AsgirefChannel      *self,
                                                     AsgirefMessage      *message,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_channel_send_finish         (AsgirefChannel      *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_channel_try_send            (AsgirefChannel      *self,
                                                     AsgirefMessage      *message,
                                                     GError             **error);

/* The server's side. */

ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_channel_put_input           (AsgirefChannel      *self,
                                                     AsgirefMessage      *message,
                                                     GError             **error);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_channel_take_output_async   (AsgirefChannel      *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage *asgiref_channel_take_output_finish  (AsgirefChannel      *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_channel_close               (AsgirefChannel      *self);
ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_channel_is_closed           (AsgirefChannel      *self);

ASGIREF_AVAILABLE_IN_1_0
void            asgiref_channel_note_refused        (AsgirefChannel      *self,
                                                     const GError        *error);

G_END_DECLS
