/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-bridge.h"
#include "asgiref-sync-thread-private.h"
#include "asgiref-waiter-private.h"

G_BEGIN_DECLS

/*
 * A sync function running on a sync thread: work it starts knows that the
 * thread is busy with its ancestor while running is set. thread is set
 * before running, and read only once running was seen set.
 */
typedef struct
{
  gatomicrefcount ref;
  GThread *thread;   /* atomic */
  gint running;      /* atomic */
} AsgirefSyncFrame;

/*
 * What the bridge needs to know about the work the current context belongs
 * to. It lives in the context, so it follows the work across every hop and
 * into wrapped callbacks, as asgiref keeps its executors in contextvars.
 * Immutable once set: changing it means setting a copy.
 */
typedef struct
{
  gatomicrefcount ref;
  /* The innermost async-to-sync wait this work serves, whose thread takes
   * its thread-sensitive calls. */
  AsgirefWaiter *waiter;
  /* The thread of the enclosing ThreadSensitiveContext. */
  AsgirefSyncThread *thread_sensitive;
  /* The sync function on a sync thread this work descends from. */
  AsgirefSyncFrame *frame;
  /* For sync code: the main context of the async code that called it,
   * where its async-to-sync calls run, and the waiter whose wait
   * iterates that main context, if one does. */
  GMainContext *origin;
  AsgirefWaiter *origin_waiter;
  /* The cancellable of the innermost hop, used when none is given. */
  GCancellable *cancellable;
} AsgirefBridgeScope;

AsgirefBridgeScope *_asgiref_bridge_scope_get_current (void);
AsgirefBridgeScope *_asgiref_bridge_scope_copy        (const AsgirefBridgeScope *scope);
AsgirefBridgeScope *_asgiref_bridge_scope_ref         (AsgirefBridgeScope       *scope);
void                _asgiref_bridge_scope_unref       (AsgirefBridgeScope       *scope);
/* Takes @scope; NULL removes it. */
void                _asgiref_bridge_scope_set_current (AsgirefBridgeScope       *scope);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefBridgeScope, _asgiref_bridge_scope_unref)

/*
 * asgiref_bridge_sync_to_async(), from a dispatch of @context (nullable),
 * a main context that goes on being iterated as long as the call is
 * pending, such as a server's: a call that is not thread-sensitive then
 * starts on a pool thread once that dispatch is over (before @context
 * polls again), not at once, so that the calls one dispatch makes (the
 * requests one poll() found) cost it one thread wake-up, not one each.
 * No call waits behind another; from anywhere else, this is
 * asgiref_bridge_sync_to_async().
 */
void _asgiref_bridge_sync_to_async_batched (AsgirefBridge       *self,
                                            GTaskThreadFunc      func,
                                            gpointer             task_data,
                                            GDestroyNotify       task_data_destroy,
                                            AsgirefSyncFlags     flags,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data,
                                            GMainContext        *context);

G_END_DECLS
