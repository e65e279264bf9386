/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-executor-private.h"

G_BEGIN_DECLS

/*
 * What a thread blocked in async-to-sync waits on: the result of the
 * operation, handed in from any thread, and the thread-sensitive work
 * submitted to the waiting thread meanwhile, which it runs while it waits.
 *
 * It is an AsgirefExecutor's wait made cheap for the common case: most
 * waits never see a submission, so the executor that runs submitted work
 * (a GObject with a GSource on the waiting thread's main context) is made
 * only when the first job comes, and the result arrives here directly,
 * waking the waiting thread with g_main_context_wakeup(). Once the wait
 * returned, the waiter is finished and submissions fail, so that they go
 * to the outer waiter.
 */
typedef struct _AsgirefWaiter AsgirefWaiter;

/* Owned by the calling thread, for its thread-default main context. */
AsgirefWaiter *_asgiref_waiter_new              (AsgirefWaiter      *outer);
AsgirefWaiter *_asgiref_waiter_ref              (AsgirefWaiter      *self);
/* From any thread. */
void           _asgiref_waiter_unref            (AsgirefWaiter      *self);

AsgirefWaiter *_asgiref_waiter_get_outer        (AsgirefWaiter      *self);
GMainContext  *_asgiref_waiter_get_main_context (AsgirefWaiter      *self);
gboolean       _asgiref_waiter_get_finished     (AsgirefWaiter      *self);

/* Queues @job to run on the waiting thread, also from that thread (it then
 * runs in a later iteration). Returns FALSE, leaving @job alone, once the
 * wait returned. */
gboolean       _asgiref_waiter_submit           (AsgirefWaiter      *self,
                                                 AsgirefExecutorJob *job);

/* Hands in the result, from any thread, once. */
void           _asgiref_waiter_set_result       (AsgirefWaiter      *self,
                                                 GAsyncResult       *result);

/* On the owner thread, once: iterates its main context, running submitted
 * work, until the result is in; then runs the work submitted before that
 * and finishes. */
GAsyncResult  *_asgiref_waiter_wait             (AsgirefWaiter      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefWaiter, _asgiref_waiter_unref)

G_END_DECLS
