/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-completion-private.h"
#include "asgiref-lock-private.h"

/*
 * One source per main context, found through a registry that does not
 * keep it alive: the context owns it (it is attached until the context
 * goes away, which destroys it), and its dispose function takes it out
 * of the registry under the registry's lock, where a lookup may still
 * take a new reference (what g_source_set_dispose_function() is for).
 * Each thread remembers the source it used last, for the common case of
 * operations started again and again on one context.
 */

struct _AsgirefCompletionSource
{
  GSource source;
  GMainContext *context;         /* the registry's key; not a reference */

  GMutex lock;
  /* Under lock. */
  AsgirefCompletion *head;
  AsgirefCompletion *tail;
  /* Atomic (written under lock): entries wait. Read by prepare and check
   * without the lock. */
  gint pending;
};

static GMutex registry_lock;
static GHashTable *registry;     /* GMainContext * -> AsgirefCompletionSource * */

typedef struct
{
  GMainContext *context;         /* not a reference */
  AsgirefCompletionSource *source;
} ThreadCache;

static void
thread_cache_free (gpointer data)
{
  ThreadCache *cache = data;

  g_source_unref ((GSource *) cache->source);
  g_free (cache);
}

static GPrivate thread_cache_key = G_PRIVATE_INIT (thread_cache_free);

static gboolean
completion_prepare (GSource *source,
                    gint    *timeout)
{
  AsgirefCompletionSource *self = (AsgirefCompletionSource *) source;

  *timeout = -1;
  return g_atomic_int_get (&self->pending);
}

static gboolean
completion_check (GSource *source)
{
  AsgirefCompletionSource *self = (AsgirefCompletionSource *) source;

  return g_atomic_int_get (&self->pending);
}

static void
run_all (AsgirefCompletion *completion,
         gboolean           run)
{
  while (completion != NULL)
    {
      AsgirefCompletion *next = completion->next;

      _asgiref_tsan_acquire (completion);
      completion->next = NULL;
      completion->func (completion, run);
      completion = next;
    }
}

static gboolean
completion_dispatch (GSource     *source,
                     GSourceFunc  callback,
                     gpointer     data)
{
  AsgirefCompletionSource *self = (AsgirefCompletionSource *) source;
  AsgirefCompletion *head;

  /* What was queued until now; what these queue runs in a later
   * iteration, as GTask's idle would. */
  _asgiref_mutex_lock (&self->lock);
  head = self->head;
  self->head = self->tail = NULL;
  g_atomic_int_set (&self->pending, FALSE);
  _asgiref_mutex_unlock (&self->lock);

  run_all (head, TRUE);
  return G_SOURCE_CONTINUE;
}

static void
completion_dispose (GSource *source)
{
  AsgirefCompletionSource *self = (AsgirefCompletionSource *) source;

  g_mutex_lock (&registry_lock);
  if (registry != NULL && g_hash_table_lookup (registry, self->context) == self)
    g_hash_table_remove (registry, self->context);
  g_mutex_unlock (&registry_lock);
}

static void
completion_finalize (GSource *source)
{
  AsgirefCompletionSource *self = (AsgirefCompletionSource *) source;
  AsgirefCompletion *head;

  /* Entries hold their context alive, so none should be left: if some
   * are, their context is gone, and they can only be released. */
  _asgiref_mutex_lock (&self->lock);
  head = self->head;
  self->head = self->tail = NULL;
  _asgiref_mutex_unlock (&self->lock);
  run_all (head, FALSE);

  g_mutex_clear (&self->lock);
}

static GSourceFuncs completion_funcs = {
  .prepare = completion_prepare,
  .check = completion_check,
  .dispatch = completion_dispatch,
  .finalize = completion_finalize,
};

/* With registry_lock held. */
static AsgirefCompletionSource *
completion_source_new_locked (GMainContext *context)
{
  GSource *source = g_source_new (&completion_funcs, sizeof (AsgirefCompletionSource));
  AsgirefCompletionSource *self = (AsgirefCompletionSource *) source;

  self->context = context;
  g_mutex_init (&self->lock);
  g_source_set_static_name (source, "[asgiref] completions");
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_dispose_function (source, completion_dispose);
  g_source_attach (source, context);

  if (registry == NULL)
    registry = g_hash_table_new (NULL, NULL);
  g_hash_table_replace (registry, context, self);
  return self;
}

AsgirefCompletionSource *
_asgiref_completion_source_get (GMainContext *context)
{
  ThreadCache *cache = g_private_get (&thread_cache_key);
  AsgirefCompletionSource *self;

  if (cache != NULL && cache->context == context &&
      !g_source_is_destroyed ((GSource *) cache->source))
    {
      g_source_ref ((GSource *) cache->source);
      return cache->source;
    }

  g_mutex_lock (&registry_lock);
  self = registry != NULL ? g_hash_table_lookup (registry, context) : NULL;
  /* A destroyed one is its context's last: a context now at the same
   * address is a new one. */
  if (self != NULL && !g_source_is_destroyed ((GSource *) self))
    g_source_ref ((GSource *) self);
  else
    self = completion_source_new_locked (context);   /* the context's reference, and ours */
  g_mutex_unlock (&registry_lock);

  if (cache == NULL)
    {
      cache = g_new0 (ThreadCache, 1);
      g_private_set (&thread_cache_key, cache);
    }
  else
    g_source_unref ((GSource *) cache->source);
  cache->context = context;
  cache->source = self;
  g_source_ref ((GSource *) self);
  return self;
}

void
_asgiref_completion_source_unref (AsgirefCompletionSource *self)
{
  g_source_unref ((GSource *) self);
}

void
_asgiref_completion_source_queue (AsgirefCompletionSource *self,
                                  AsgirefCompletion       *completion)
{
  gboolean was_pending;

  completion->next = NULL;
  _asgiref_tsan_release (completion);

  _asgiref_mutex_lock (&self->lock);
  if (self->tail != NULL)
    self->tail->next = completion;
  else
    self->head = completion;
  self->tail = completion;
  was_pending = g_atomic_int_get (&self->pending);
  g_atomic_int_set (&self->pending, TRUE);
  _asgiref_mutex_unlock (&self->lock);

  /* The thread that iterates the context runs prepare before it polls
   * again, and sees the entry then: only a context another thread may be
   * polling needs waking, once for what is pending. */
  if (!was_pending && !g_main_context_is_owner (self->context))
    g_main_context_wakeup (self->context);
}
