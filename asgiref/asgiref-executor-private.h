/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-executor.h"

G_BEGIN_DECLS

/*
 * A unit of work for an executor, embedded in the caller's own struct.
 * run() is called on the owner thread; reject() instead, on whatever thread
 * finishes the executor, when it finished before running the job. Either
 * call ends the executor's use of the job.
 */
typedef struct _AsgirefExecutorJob AsgirefExecutorJob;

struct _AsgirefExecutorJob
{
  void (*run)    (AsgirefExecutorJob *job);
  void (*reject) (AsgirefExecutorJob *job);
  GList link;    /* the executor's, while queued */
};

/* Queues @job, also from the owner thread (it then runs in a later
 * iteration). Returns FALSE, leaving @job alone, once @self finished. */
gboolean _asgiref_executor_submit (AsgirefExecutor    *self,
                                   AsgirefExecutorJob *job);

/* An executor whose owner is whichever thread first waits on it: lets a
 * thread be handed its executor before it runs. */
AsgirefExecutor *_asgiref_executor_new_unowned (GMainContext *main_context);

/* Ends the wait under way or to come, as a result would, but makes it
 * return NULL without an error. */
void             _asgiref_executor_stop        (AsgirefExecutor *self);

/* Finishes @self as a wait that got its result does: the work queued and
 * not yet run runs now, on the calling thread, which must be the one that
 * serves @self. For a wait done by other means (AsgirefWaiter). */
void             _asgiref_executor_finish_running (AsgirefExecutor *self);

/* g_object_unref(), telling ThreadSanitizer that what this thread did with
 * the executor happens before its finalization: it cannot see the atomics
 * of the uninstrumented GObject. Used where executors cross threads. */
void             _asgiref_executor_unref       (gpointer         executor);

G_END_DECLS
