/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include "asgiref-application.h"
#include "asgiref-context.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_COMMUNICATOR (asgiref_communicator_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefCommunicator, asgiref_communicator, ASGIREF, COMMUNICATOR, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefCommunicator *asgiref_communicator_new                    (AsgirefApplication   *application,
                                                                  AsgirefScope         *scope);
ASGIREF_AVAILABLE_IN_1_0
AsgirefContext      *asgiref_communicator_get_context            (AsgirefCommunicator  *self);

ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_communicator_send_input             (AsgirefCommunicator  *self,
                                                                  AsgirefMessage       *message,
                                                                  GError              **error);

ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_communicator_receive_output_async   (AsgirefCommunicator  *self,
                                                                  gint64                timeout_us,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage      *asgiref_communicator_receive_output_finish  (AsgirefCommunicator  *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
ASGIREF_AVAILABLE_IN_1_0
AsgirefMessage      *asgiref_communicator_receive_output         (AsgirefCommunicator  *self,
                                                                  gint64                timeout_us,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error);

ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_communicator_receive_nothing_async  (AsgirefCommunicator  *self,
                                                                  gint64                timeout_us,
                                                                  gint64                interval_us,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_communicator_receive_nothing_finish (AsgirefCommunicator  *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_communicator_receive_nothing        (AsgirefCommunicator  *self,
                                                                  gint64                timeout_us,
                                                                  gint64                interval_us,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error);

ASGIREF_AVAILABLE_IN_1_0
void                 asgiref_communicator_wait_async             (AsgirefCommunicator  *self,
                                                                  gint64                timeout_us,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_communicator_wait_finish            (AsgirefCommunicator  *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean             asgiref_communicator_wait                   (AsgirefCommunicator  *self,
                                                                  gint64                timeout_us,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error);

G_END_DECLS
