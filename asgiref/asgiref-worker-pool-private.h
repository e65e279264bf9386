/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The bridge's bounded pool of threads for sync code that is not
 * thread-sensitive.
 *
 * Every job pushed gets a thread of its own at once (an idle one, or a
 * new one while there are fewer than the bound), and waits only while
 * every thread runs a job: a slow job never holds up one that a thread
 * is free for. What it does better than GThreadPool for short jobs pushed
 * from a main loop, where a futex wake-up costs more than the job itself
 * (on a virtual machine, most of all):
 *
 * - A push wakes no thread while another one it woke is on its way: that
 *   one, once it runs, gives each job pushed meanwhile to a thread of its
 *   own before it runs its job. A main loop pushing a burst of jobs (the
 *   requests one poll() found) pays one wake-up; the thread it woke pays
 *   for the others, off the main loop.
 * - The wake-up is a signal on a condition of the thread's own, after the
 *   pool's lock was released: the thread does not wake to find the lock
 *   taken, and no other thread wakes to find nothing to do.
 * - Idle threads are woken last-in first-out: the one woken is the one
 *   whose cache is warm.
 *
 * Threads that stayed idle for a while exit; the pool starts them again as
 * needed.
 */
typedef struct _AsgirefWorkerPool AsgirefWorkerPool;

typedef void (*AsgirefWorkerFunc) (gpointer job);

AsgirefWorkerPool *_asgiref_worker_pool_new  (const char        *name,
                                              guint              max_threads,
                                              AsgirefWorkerFunc  func);
/* Runs @func (@job) on a thread of the pool. Returns FALSE with @error
 * set when there was no thread and none could be made. */
gboolean           _asgiref_worker_pool_push (AsgirefWorkerPool *self,
                                              gpointer           job,
                                              GError           **error);
/* As _asgiref_worker_pool_push(), from a dispatch of @context, on its
 * thread, a context that goes on being iterated: when a thread would be
 * woken for @job, it is woken before @context next polls instead, for
 * all the jobs pushed meanwhile (it gives the others to threads of their
 * own), so that the jobs one dispatch pushes cost it one wake-up. */
gboolean           _asgiref_worker_pool_push_batched (AsgirefWorkerPool *self,
                                                      gpointer           job,
                                                      GMainContext      *context,
                                                      GError           **error);
/* Lets the threads exit once the jobs pushed before ran; does not wait
 * for them. No job may be pushed after. */
void               _asgiref_worker_pool_free (AsgirefWorkerPool *self);

G_END_DECLS
