/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-enums.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_BRIDGE (asgiref_bridge_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefBridge, asgiref_bridge, ASGIREF, BRIDGE, GObject)

/**
 * AsgirefAsyncFunc:
 * @task: the task to complete, whose callback runs on the calling thread's
 *   thread-default main context
 * @source_object: (type GObject): the bridge
 * @task_data: (nullable): the data given to
 *   [method@Asgiref.Bridge.async_to_sync]
 * @cancellable: (nullable): the operation's #GCancellable
 *
 * Starts an asynchronous operation that completes @task with one of the
 * `g_task_return_*()` functions, later or at once. It runs on the main
 * context the operation belongs to (see [method@Asgiref.Bridge.async_to_sync])
 * and must not block.
 */
typedef void (*AsgirefAsyncFunc) (GTask        *task,
                                  gpointer      source_object,
                                  gpointer      task_data,
                                  GCancellable *cancellable);

ASGIREF_AVAILABLE_IN_1_0
AsgirefBridge *asgiref_bridge_get_default         (void);
ASGIREF_AVAILABLE_IN_1_0
AsgirefBridge *asgiref_bridge_new                 (guint                 max_threads);
ASGIREF_AVAILABLE_IN_1_0
guint          asgiref_bridge_get_max_threads     (AsgirefBridge        *self);

ASGIREF_AVAILABLE_IN_1_0
void           asgiref_bridge_sync_to_async       (AsgirefBridge        *self,
                                                   GTaskThreadFunc       func,
                                                   gpointer              task_data,
                                                   GDestroyNotify        task_data_destroy,
                                                   AsgirefSyncFlags      flags,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
gpointer       asgiref_bridge_sync_to_async_finish (AsgirefBridge       *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

ASGIREF_AVAILABLE_IN_1_0
GAsyncResult  *asgiref_bridge_async_to_sync       (AsgirefBridge        *self,
                                                   AsgirefAsyncFunc      func,
                                                   gpointer              task_data,
                                                   GDestroyNotify        task_data_destroy,
                                                   GCancellable         *cancellable);

G_END_DECLS
