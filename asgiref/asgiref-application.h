/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-channel.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_APPLICATION (asgiref_application_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_INTERFACE (AsgirefApplication, asgiref_application, ASGIREF, APPLICATION, GObject)

/**
 * AsgirefApplicationInterface:
 * @call: runs one application instance for @scope, talking to the server
 *   through @channel, and completes @task with
 *   `g_task_return_boolean (task, TRUE)` when the instance is done or with
 *   `g_task_return_error()` when it failed. @task's cancellable is the
 *   instance's; @task's callback runs on the main context that called
 *   [method@Asgiref.Application.call_async], so @call may complete it from
 *   any thread. Bindings implement it as `do_call` (Python) or `vfunc_call`
 *   (GJS).
 *
 * The interface of an ASGI application.
 */
struct _AsgirefApplicationInterface
{
  GTypeInterface g_iface;

  void (*call) (AsgirefApplication *self,
                AsgirefScope       *scope,
                AsgirefChannel     *channel,
                GTask              *task);

  /*< private >*/
  gpointer padding[8];
};

ASGIREF_AVAILABLE_IN_1_0
void     asgiref_application_call_async               (AsgirefApplication   *self,
                                                       AsgirefScope         *scope,
                                                       AsgirefChannel       *channel,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
gboolean asgiref_application_call_finish              (AsgirefApplication   *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

ASGIREF_AVAILABLE_IN_1_0
gboolean asgiref_application_type_is_double_callable  (GType                 type);
ASGIREF_AVAILABLE_IN_1_0
void     asgiref_application_set_thread_safe          (AsgirefApplication   *self,
                                                       gboolean              thread_safe);
ASGIREF_AVAILABLE_IN_1_0
gboolean asgiref_application_get_thread_safe          (AsgirefApplication   *self);

G_END_DECLS
