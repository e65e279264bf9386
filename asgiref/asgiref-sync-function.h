/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-bridge.h"
#include "asgiref-enums.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_SYNC_FUNCTION (asgiref_sync_function_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_INTERFACE (AsgirefSyncFunction, asgiref_sync_function, ASGIREF, SYNC_FUNCTION, GObject)

/**
 * AsgirefSyncFunctionInterface:
 * @g_iface: the parent interface
 * @call: runs the blocking function and sets @result to its value; runs on
 *   whichever thread the caller picked, with the bridge on one of the
 *   bridge's threads (see [iface@Asgiref.SyncFunction])
 *
 * The interface of a blocking function object.
 */
struct _AsgirefSyncFunctionInterface
{
  GTypeInterface g_iface;

  /*< public >*/
  gboolean (*call) (AsgirefSyncFunction  *self,
                    GCancellable         *cancellable,
                    GValue               *result,
                    GError              **error);
};

ASGIREF_AVAILABLE_IN_1_0
gboolean      asgiref_sync_function_call        (AsgirefSyncFunction  *self,
                                                 GCancellable         *cancellable,
                                                 GValue               *result,
                                                 GError              **error);

ASGIREF_AVAILABLE_IN_1_0
void          asgiref_sync_function_call_async  (AsgirefSyncFunction  *self,
                                                 AsgirefBridge        *bridge,
                                                 AsgirefSyncFlags      flags,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
ASGIREF_AVAILABLE_IN_1_0
const GValue *asgiref_sync_function_call_finish (AsgirefSyncFunction  *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

G_END_DECLS
