/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-lock-private.h"
#include "asgiref-task-private.h"

/*
 * Posting to a main context from another thread with an idle source of
 * its own costs the main context's lock, which the thread running it
 * holds for much of each iteration (a futex wait, and a futex wake for
 * the owner when it lets go), and a write to its wake-up descriptor each
 * time, whether it sleeps or not.
 *
 * Instead, each main context the library posts to gets one inbox: a
 * source of its own, attached once, with a lock of its own that only
 * posts and the inbox's dispatch take, briefly. A post wakes the main
 * context only when its thread may be about to block in poll(): the
 * inbox's prepare() found it empty, and nothing woke it since. A thread
 * blocks only after every source was prepared with none ready (GLib
 * prepares sources of lower priority than a ready one only when none is
 * ready), so a post is never left unseen; one that comes while the thread
 * is busy dispatching is seen at its next prepare() at no cost.
 *
 * Posts run in the order they were made, those present when the dispatch
 * began (later ones wait for the next iteration, as later idles would), and
 * the inbox may recurse: a post that runs a nested main loop still sees
 * the posts after it run, in order.
 *
 * The inbox's prepare() also runs what the context's own dispatch left
 * for the moment it is over (_asgiref_main_context_before_poll()).
 */

typedef struct
{
  GSourceFunc func;
  gpointer data;
  const char *name;
  GList link;
} Post;

typedef struct
{
  GSource source;
  GMainContext *context;   /* unowned: it owns the inbox */
  GMutex lock;
  /* Under lock. */
  GQueue posts;
  GQueue before_poll;      /* Post: to run at the next prepare */
  gboolean may_block;      /* prepared empty, and not woken since */
} Inbox;

/* The inbox of each main context that has one, under inboxes_lock. */
static GMutex inboxes_lock;
static GHashTable *inboxes;

/* Takes the first post of @queue and runs it, outside the lock (it may
 * post again); FALSE when @queue was empty. */
static gboolean
run_first (Inbox  *self,
           GQueue *queue)
{
  GList *link;
  Post *post;

  _asgiref_mutex_lock (&self->lock);
  link = g_queue_pop_head_link (queue);
  _asgiref_mutex_unlock (&self->lock);
  if (link == NULL)
    return FALSE;

  post = link->data;
  post->func (post->data);
  g_free (post);
  return TRUE;
}

static gboolean
inbox_prepare (GSource *source,
               gint    *timeout)
{
  Inbox *self = (Inbox *) source;
  gboolean ready;

  /* The dispatch is over: what waited for it. */
  while (run_first (self, &self->before_poll))
    ;

  *timeout = -1;
  _asgiref_mutex_lock (&self->lock);
  ready = !g_queue_is_empty (&self->posts);
  self->may_block = !ready;
  _asgiref_mutex_unlock (&self->lock);
  return ready;
}

static gboolean
inbox_check (GSource *source)
{
  Inbox *self = (Inbox *) source;
  gboolean ready;

  _asgiref_mutex_lock (&self->lock);
  ready = !g_queue_is_empty (&self->posts);
  self->may_block = FALSE;
  _asgiref_mutex_unlock (&self->lock);
  return ready;
}

static gboolean
inbox_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  Inbox *self = (Inbox *) source;
  guint n;

  _asgiref_mutex_lock (&self->lock);
  n = self->posts.length;
  self->may_block = FALSE;
  _asgiref_mutex_unlock (&self->lock);

  /* One at a time: a post may run a nested loop, which dispatches the
   * next ones itself. */
  while (n-- > 0 && run_first (self, &self->posts))
    ;

  return G_SOURCE_CONTINUE;
}

static void
inbox_finalize (GSource *source)
{
  Inbox *self = (Inbox *) source;
  GList *link;

  /* The main context is gone: posts that never ran are dropped, as the
   * idles they would have been. */
  _asgiref_mutex_lock (&inboxes_lock);
  if (g_hash_table_lookup (inboxes, self->context) == self)
    g_hash_table_remove (inboxes, self->context);
  _asgiref_mutex_unlock (&inboxes_lock);

  while ((link = g_queue_pop_head_link (&self->posts)) != NULL)
    g_free (link->data);
  while ((link = g_queue_pop_head_link (&self->before_poll)) != NULL)
    g_free (link->data);
  g_mutex_clear (&self->lock);
}

static GSourceFuncs inbox_funcs = {
  inbox_prepare,
  inbox_check,
  inbox_dispatch,
  inbox_finalize,
  NULL,
  NULL,
};

/* The inbox of @context, made on first use; it lives as long as
 * @context, which the caller holds. */
static Inbox *
inbox_get (GMainContext *context)
{
  Inbox *self;

  _asgiref_mutex_lock (&inboxes_lock);
  if (G_UNLIKELY (inboxes == NULL))
    inboxes = g_hash_table_new (NULL, NULL);
  self = g_hash_table_lookup (inboxes, context);
  if (self == NULL)
    {
      GSource *source = g_source_new (&inbox_funcs, sizeof (Inbox));

      self = (Inbox *) source;
      self->context = context;
      g_mutex_init (&self->lock);
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_can_recurse (source, TRUE);
      g_source_set_static_name (source, "[asgiref] main context inbox");
      g_hash_table_insert (inboxes, context, self);
      /* Attached under the registry's lock: no other thread posts to it
       * before. */
      g_source_attach (source, context);
      g_source_unref (source);
    }
  _asgiref_mutex_unlock (&inboxes_lock);

  return self;
}

static Post *
post_new (const char  *name,
          GSourceFunc  func,
          gpointer     data)
{
  Post *post = g_new (Post, 1);

  _asgiref_tsan_release (data);
  post->func = func;
  post->data = data;
  post->name = name;
  post->link.prev = post->link.next = NULL;
  post->link.data = post;
  return post;
}

void
_asgiref_main_context_post (GMainContext *context,
                            const char   *name,
                            GSourceFunc   func,
                            gpointer      data)
{
  Inbox *self;
  Post *post = post_new (name, func, data);
  gboolean wake;

  if (context == NULL)
    context = g_main_context_default ();
  self = inbox_get (context);

  _asgiref_mutex_lock (&self->lock);
  g_queue_push_tail_link (&self->posts, &post->link);
  wake = self->may_block;
  self->may_block = FALSE;
  _asgiref_mutex_unlock (&self->lock);

  if (wake)
    g_main_context_wakeup (context);
}

void
_asgiref_main_context_before_poll (GMainContext *context,
                                   const char   *name,
                                   GSourceFunc   func,
                                   gpointer      data)
{
  Inbox *self = inbox_get (context);
  Post *post = post_new (name, func, data);

  /* From the context's own dispatch: its next prepare comes, no wake-up
   * needed. */
  _asgiref_mutex_lock (&self->lock);
  g_queue_push_tail_link (&self->before_poll, &post->link);
  _asgiref_mutex_unlock (&self->lock);
}

void
_asgiref_main_context_received (gpointer data)
{
  _asgiref_tsan_acquire (data);
}

static gboolean
unref_task (gpointer data)
{
  _asgiref_main_context_received (data);
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

void
_asgiref_task_unref_on_its_context (GTask *task)
{
  GMainContext *context = g_task_get_context (task);

  if (g_main_context_is_owner (context))
    {
      g_object_unref (task);
      return;
    }

  _asgiref_main_context_post (context, "[asgiref] release task", unref_task, task);
}
