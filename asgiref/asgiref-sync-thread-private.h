/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-executor-private.h"

G_BEGIN_DECLS

/*
 * A thread of its own for thread-sensitive sync code: the bridge's shared
 * sync thread, and the thread of each ThreadSensitiveContext. It waits on
 * an executor of its own for its whole life, so the jobs it is given run
 * one at a time, in order, and a job that blocks in async-to-sync nests an
 * executor of its own on the same thread.
 */
typedef struct _AsgirefSyncThread AsgirefSyncThread;

AsgirefSyncThread *_asgiref_sync_thread_new        (const char         *name);
AsgirefSyncThread *_asgiref_sync_thread_ref        (AsgirefSyncThread  *self);
/* The last reference stops the thread once its queue is empty; nothing
 * waits for it to exit. */
void               _asgiref_sync_thread_unref      (AsgirefSyncThread  *self);
/* FALSE, leaving @job alone, once the thread is stopping. */
gboolean           _asgiref_sync_thread_submit     (AsgirefSyncThread  *self,
                                                    AsgirefExecutorJob *job);
GThread           *_asgiref_sync_thread_get_gthread (AsgirefSyncThread *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefSyncThread, _asgiref_sync_thread_unref)

G_END_DECLS
