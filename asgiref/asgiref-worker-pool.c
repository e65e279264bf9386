/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-lock-private.h"
#include "asgiref-task-private.h"
#include "asgiref-worker-pool-private.h"

/* How long an idle thread sleeps before it exits. */
#define IDLE_USEC (10 * G_USEC_PER_SEC)

typedef struct
{
  AsgirefWorkerPool *pool;
  GCond cond;
  gpointer job;        /* handed over by a push or a waking thread; under
                        * the pool's lock */
  GList link;          /* in sleeping, under the pool's lock */
  gint signalling;     /* atomic: wake-ups about to signal cond */
  gboolean unstarted;  /* its thread is yet to be made */
} Worker;

struct _AsgirefWorkerPool
{
  gint ref;              /* atomic: the owner's, and one for each thread;
                          * inline atomics, which ThreadSanitizer sees */
  char *name;
  AsgirefWorkerFunc func;
  guint max_threads;

  GMutex lock;
  /* Under lock. */
  GQueue queue;          /* jobs waiting for a thread */
  GQueue sleeping;       /* Worker: idle, most recently idle first */
  guint n_threads;       /* running, or being started */
  guint waking;          /* of them, handed a job and not running yet */
  GMainContext *flushing;  /* whose next poll wakes a thread for the queue
                            * (_asgiref_worker_pool_push_batched()) */
  gboolean stopping;
};

static void
pool_unref (AsgirefWorkerPool *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref))
    return;

  g_assert (g_queue_is_empty (&self->queue));
  g_mutex_clear (&self->lock);
  g_free (self->name);
  g_free (self);
}

static gpointer worker_main (gpointer data);

/* With the lock held: gives @job to an idle thread, or to a new one while
 * there are fewer than the bound, and counts it as waking. Returns the
 * thread to signal (or to start, when its thread is not there yet) once
 * the lock is released; NULL when every thread is busy. */
static Worker *
hand_over_locked (AsgirefWorkerPool *self,
                  gpointer           job)
{
  GList *link = g_queue_pop_head_link (&self->sleeping);
  Worker *worker;

  if (link != NULL)
    {
      worker = link->data;
      /* Signalled after the lock is released, or the thread would wake
       * only to wait for the lock. It may take the job, run it and go
       * idle again before then, but does not exit while signalling is
       * set. */
      g_atomic_int_inc (&worker->signalling);
    }
  else if (self->n_threads < self->max_threads)
    {
      worker = g_new0 (Worker, 1);
      worker->pool = self;
      g_cond_init (&worker->cond);
      worker->link.data = worker;
      worker->unstarted = TRUE;
      self->n_threads++;
      g_atomic_int_inc (&self->ref);
    }
  else
    return NULL;

  worker->job = job;
  self->waking++;
  return worker;
}

/* Without the lock: wakes @worker, or starts its thread. FALSE when its
 * thread could not be made and no other is left to run its job. */
static gboolean
wake (Worker  *worker,
      GError **error)
{
  AsgirefWorkerPool *self = worker->pool;
  GThread *thread;
  gboolean queued;

  if (!worker->unstarted)
    {
      g_cond_signal (&worker->cond);
      g_atomic_int_dec_and_test (&worker->signalling);
      return TRUE;
    }

  worker->unstarted = FALSE;
  thread = g_thread_try_new (self->name, worker_main, worker, error);
  if (thread != NULL)
    {
      g_thread_unref (thread);
      return TRUE;
    }

  /* Another thread takes the job later, if there is one. */
  _asgiref_mutex_lock (&self->lock);
  self->n_threads--;
  self->waking--;
  queued = self->n_threads > 0;
  if (queued)
    g_queue_push_head (&self->queue, worker->job);
  _asgiref_mutex_unlock (&self->lock);
  g_cond_clear (&worker->cond);
  g_free (worker);
  pool_unref (self);
  if (queued)
    g_clear_error (error);
  return queued;
}

/*
 * With the lock held, by a thread that was handed a job and now runs:
 * it no longer counts as waking. Jobs pushed meanwhile waited for it
 * (a push wakes no thread while one is waking, so that a burst of pushes
 * from a main loop costs that loop one wake-up, not one each): each goes
 * to a thread of its own now, so that none waits behind the job this
 * thread is about to run. Fills @wakes with the threads to wake.
 */
static void
distribute_locked (AsgirefWorkerPool *self,
                   GPtrArray         *wakes)
{
  self->waking--;
  while (!g_queue_is_empty (&self->queue))
    {
      Worker *worker = hand_over_locked (self, g_queue_peek_head (&self->queue));

      if (worker == NULL)
        break;
      g_queue_pop_head (&self->queue);
      g_ptr_array_add (wakes, worker);
    }
}

static void
wake_all (GPtrArray *wakes)
{
  for (guint i = 0; i < wakes->len; i++)
    wake (wakes->pdata[i], NULL);
  g_ptr_array_set_size (wakes, 0);
}

/* The thread's next job, after one it ran; NULL when it is to exit. Sets
 * *woken when the job was handed over while it slept. */
static gpointer
worker_next (Worker   *worker,
             gboolean *woken)
{
  AsgirefWorkerPool *self = worker->pool;
  gpointer job;
  gint64 deadline;

  *woken = FALSE;
  _asgiref_mutex_lock (&self->lock);

  job = g_queue_pop_head (&self->queue);
  if (job != NULL || self->stopping)
    goto out;

  g_queue_push_head_link (&self->sleeping, &worker->link);
  deadline = g_get_monotonic_time () + IDLE_USEC;
  while ((job = worker->job) == NULL && !self->stopping)
    {
      gboolean signalled;

      _asgiref_tsan_release (&self->lock);
      signalled = g_cond_wait_until (&worker->cond, &self->lock, deadline);
      _asgiref_tsan_acquire (&self->lock);
      if (!signalled)
        {
          job = worker->job;
          break;
        }
    }
  if (job != NULL)
    {
      /* The hand-over took this thread out of sleeping. */
      worker->job = NULL;
      *woken = TRUE;
      _asgiref_mutex_unlock (&self->lock);
      return job;
    }
  g_queue_unlink (&self->sleeping, &worker->link);

out:
  if (job == NULL)
    self->n_threads--;
  _asgiref_mutex_unlock (&self->lock);
  return job;
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  AsgirefWorkerPool *self = worker->pool;
  g_autoptr(GPtrArray) wakes = g_ptr_array_new ();
  gboolean woken = TRUE;
  gpointer job;

  _asgiref_mutex_lock (&self->lock);
  job = worker->job;
  worker->job = NULL;
  _asgiref_mutex_unlock (&self->lock);

  while (job != NULL)
    {
      if (woken)
        {
          _asgiref_mutex_lock (&self->lock);
          distribute_locked (self, wakes);
          _asgiref_mutex_unlock (&self->lock);
          wake_all (wakes);
        }
      self->func (job);
      job = worker_next (worker, &woken);
    }

  /* A push that handed this thread a job long ago may not have signalled
   * it yet. */
  while (g_atomic_int_get (&worker->signalling) > 0)
    g_thread_yield ();
  g_cond_clear (&worker->cond);
  g_free (worker);
  pool_unref (self);
  return NULL;
}

AsgirefWorkerPool *
_asgiref_worker_pool_new (const char        *name,
                          guint              max_threads,
                          AsgirefWorkerFunc  func)
{
  AsgirefWorkerPool *self;

  g_return_val_if_fail (max_threads >= 1, NULL);

  self = g_new0 (AsgirefWorkerPool, 1);
  self->ref = 1;
  self->name = g_strdup (name);
  self->func = func;
  self->max_threads = max_threads;
  g_mutex_init (&self->lock);
  return self;
}

gboolean
_asgiref_worker_pool_push (AsgirefWorkerPool  *self,
                           gpointer            job,
                           GError            **error)
{
  Worker *worker = NULL;

  g_return_val_if_fail (job != NULL, FALSE);

  _asgiref_mutex_lock (&self->lock);
  g_assert (!self->stopping);
  /* A thread on its way takes it, or gives it to another. */
  if (self->waking == 0)
    worker = hand_over_locked (self, job);
  if (worker == NULL)
    g_queue_push_tail (&self->queue, job);
  _asgiref_mutex_unlock (&self->lock);

  if (worker != NULL && !wake (worker, error))
    return FALSE;
  return TRUE;
}

/* Before the main context that batched jobs polls: a thread for them,
 * which gives the others to threads of their own. */
static gboolean
flush (gpointer data)
{
  AsgirefWorkerPool *self = data;
  Worker *worker = NULL;
  GMainContext *context;

  _asgiref_mutex_lock (&self->lock);
  context = g_steal_pointer (&self->flushing);
  /* A thread on its way, or one that finished a job, may have them. */
  if (self->waking == 0 && !g_queue_is_empty (&self->queue))
    {
      worker = hand_over_locked (self, g_queue_peek_head (&self->queue));
      if (worker != NULL)
        g_queue_pop_head (&self->queue);
    }
  _asgiref_mutex_unlock (&self->lock);

  if (worker != NULL)
    wake (worker, NULL);
  g_main_context_unref (context);
  pool_unref (self);
  return G_SOURCE_REMOVE;
}

gboolean
_asgiref_worker_pool_push_batched (AsgirefWorkerPool  *self,
                                   gpointer            job,
                                   GMainContext       *context,
                                   GError            **error)
{
  gboolean flush_later;

  g_return_val_if_fail (job != NULL, FALSE);

  _asgiref_mutex_lock (&self->lock);
  g_assert (!self->stopping);
  /* Another context's flush is not this one's to wait for; with every
   * thread busy, nothing is to be woken. */
  if (self->waking == 0 &&
      (self->flushing != NULL ? self->flushing != context
                              : g_queue_is_empty (&self->sleeping) &&
                                self->n_threads >= self->max_threads))
    {
      _asgiref_mutex_unlock (&self->lock);
      return _asgiref_worker_pool_push (self, job, error);
    }

  g_queue_push_tail (&self->queue, job);
  flush_later = self->waking == 0 && self->flushing == NULL;
  if (flush_later)
    {
      self->flushing = g_main_context_ref (context);
      g_atomic_int_inc (&self->ref);
    }
  _asgiref_mutex_unlock (&self->lock);

  if (flush_later)
    _asgiref_main_context_before_poll (context, "[asgiref] worker pool flush", flush, self);
  return TRUE;
}

void
_asgiref_worker_pool_free (AsgirefWorkerPool *self)
{
  _asgiref_mutex_lock (&self->lock);
  self->stopping = TRUE;
  for (GList *l = self->sleeping.head; l != NULL; l = l->next)
    g_cond_signal (&((Worker *) l->data)->cond);
  _asgiref_mutex_unlock (&self->lock);

  pool_unref (self);
}
