/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-application.h"
#include "asgiref-channel.h"
#include "asgiref-message.h"
#include "asgiref-scope.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_STATELESS_SERVER (asgiref_stateless_server_get_type ())
ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (AsgirefStatelessServer, asgiref_stateless_server, ASGIREF, STATELESS_SERVER, GObject)

/**
 * AsgirefStatelessServerClass:
 * @parent_class: the parent class
 * @handle: consumes the server's external stream (a socket, a message bus,
 *   standard input), handing what it reads to application instances with
 *   [method@Asgiref.StatelessServer.get_input_channel]; completes @task
 *   when the stream ended, or failed, or @task's cancellable (the one of
 *   [method@Asgiref.StatelessServer.run_async]) was cancelled. Called on
 *   the main context of `run_async()`.
 * @application_send: takes a message an instance of @scope sent, for the
 *   external stream; on the main context of `run_async()`. Returning
 *   %FALSE (with @error set) cancels that instance.
 *
 * The class of a stateless server: a subclass implements both.
 */
struct _AsgirefStatelessServerClass
{
  GObjectClass parent_class;

  void     (*handle)           (AsgirefStatelessServer  *self,
                                GTask                   *task);
  gboolean (*application_send) (AsgirefStatelessServer  *self,
                                AsgirefScope            *scope,
                                AsgirefMessage          *message,
                                GError                 **error);

  /*< private >*/
  gpointer padding[8];
};

ASGIREF_AVAILABLE_IN_1_0
AsgirefApplication *asgiref_stateless_server_get_application    (AsgirefStatelessServer  *self);
ASGIREF_AVAILABLE_IN_1_0
AsgirefChannel     *asgiref_stateless_server_get_input_channel  (AsgirefStatelessServer  *self,
                                                                 const char              *scope_id,
                                                                 AsgirefScope            *scope);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_stateless_server_delete_instance    (AsgirefStatelessServer  *self,
                                                                 const char              *scope_id);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_stateless_server_get_n_instances    (AsgirefStatelessServer  *self);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_stateless_server_get_max_instances  (AsgirefStatelessServer  *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_stateless_server_set_max_instances  (AsgirefStatelessServer  *self,
                                                                 guint                    max_instances);
ASGIREF_AVAILABLE_IN_1_0
guint               asgiref_stateless_server_get_checker_interval (AsgirefStatelessServer *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_stateless_server_set_checker_interval (AsgirefStatelessServer *self,
                                                                   guint                   interval_ms);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_stateless_server_run_async          (AsgirefStatelessServer  *self,
                                                                 GCancellable            *cancellable,
                                                                 GAsyncReadyCallback      callback,
                                                                 gpointer                 user_data);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_stateless_server_run_finish         (AsgirefStatelessServer  *self,
                                                                 GAsyncResult            *result,
                                                                 GError                 **error);

G_END_DECLS
