/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-lock-private.h"
#include "asgiref-context-private.h"
#include "asgiref-operation-private.h"
#include "asgiref-task-private.h"

typedef struct
{
  /* Fixed at creation. */
  GObject *source_object;        /* nullable */
  gpointer source_tag;
  GCancellable *cancellable;     /* nullable */
  GAsyncReadyCallback callback;  /* nullable */
  gpointer user_data;
  AsgirefContext *context;       /* where the callback runs; NULL without one */
  GMainContext *main_context;
  gint64 creation_time;

  /* Written once by the thread that completes the operation, read after
   * the completion reached the callback (through the completion source's
   * lock, or on the same thread). */
  AsgirefCompletion completion;
  AsgirefOperation *self;        /* the completion's way back */
  gboolean returned;
  gboolean value;
  gpointer result;
  GDestroyNotify result_destroy;
  GError *error;
} AsgirefOperationPrivate;

static void async_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_TYPE_WITH_CODE (AsgirefOperation, _asgiref_operation, G_TYPE_OBJECT,
                         G_ADD_PRIVATE (AsgirefOperation)
                         G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT, async_result_iface_init))

#define PRIV(self) ((AsgirefOperationPrivate *) _asgiref_operation_get_instance_private (self))

static gpointer
operation_get_user_data (GAsyncResult *result)
{
  return PRIV (ASGIREF_OPERATION (result))->user_data;
}

static GObject *
operation_get_source_object (GAsyncResult *result)
{
  AsgirefOperationPrivate *priv = PRIV (ASGIREF_OPERATION (result));

  return priv->source_object != NULL ? g_object_ref (priv->source_object) : NULL;
}

static gboolean
operation_is_tagged (GAsyncResult *result,
                     gpointer      source_tag)
{
  return PRIV (ASGIREF_OPERATION (result))->source_tag == source_tag;
}

static void
async_result_iface_init (GAsyncResultIface *iface)
{
  iface->get_user_data = operation_get_user_data;
  iface->get_source_object = operation_get_source_object;
  iface->is_tagged = operation_is_tagged;
}

static void
asgiref_operation_finalize (GObject *object)
{
  AsgirefOperationPrivate *priv = PRIV (ASGIREF_OPERATION (object));

  if (priv->result_destroy != NULL)
    priv->result_destroy (priv->result);
  g_clear_error (&priv->error);
  g_clear_object (&priv->source_object);
  g_clear_object (&priv->cancellable);
  g_clear_pointer (&priv->context, asgiref_context_unref);
  g_main_context_unref (priv->main_context);

  G_OBJECT_CLASS (_asgiref_operation_parent_class)->finalize (object);
}

static void
_asgiref_operation_class_init (AsgirefOperationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = asgiref_operation_finalize;
}

static void
_asgiref_operation_init (AsgirefOperation *self)
{
  PRIV (self)->self = self;
}

gpointer
_asgiref_operation_new (GType                type,
                        gpointer             source_object,
                        gpointer             source_tag,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  AsgirefOperation *self = g_object_new (type, NULL);
  AsgirefOperationPrivate *priv = PRIV (self);

  priv->source_object = source_object != NULL ? g_object_ref (source_object) : NULL;
  priv->source_tag = source_tag;
  priv->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  priv->callback = callback;
  priv->user_data = user_data;
  priv->main_context = g_main_context_ref_thread_default ();
  priv->creation_time = g_get_monotonic_time ();
  /* Only a callback needs a context to run in. */
  if (callback != NULL)
    priv->context = asgiref_context_ref (asgiref_context_get_current ());
  return self;
}

GCancellable *
_asgiref_operation_get_cancellable (AsgirefOperation *self)
{
  return PRIV (self)->cancellable;
}

AsgirefCompletionSource *
_asgiref_operation_get_completion_source (AsgirefOperation *self)
{
  return _asgiref_completion_source_get (PRIV (self)->main_context);
}

/* On the operation's main context: the callback, as GTask runs it (the
 * context thread-default around it), in the AsgirefContext captured when
 * the operation started. */
static void
invoke (AsgirefOperation *self)
{
  AsgirefOperationPrivate *priv = PRIV (self);
  GMainContext *thread_default = g_main_context_get_thread_default ();
  gboolean push = (thread_default != NULL ? thread_default : g_main_context_default ()) !=
                  priv->main_context;
  AsgirefContext *context = priv->context;
  AsgirefContext *copy = NULL;

  if (push)
    g_main_context_push_thread_default (priv->main_context);
  if (!_asgiref_context_try_enter (context))
    {
      context = copy = asgiref_context_copy (context);
      asgiref_context_enter (context);
    }

  priv->callback (priv->source_object, G_ASYNC_RESULT (self), priv->user_data);

  asgiref_context_leave (context);
  g_clear_pointer (&copy, asgiref_context_unref);
  if (push)
    g_main_context_pop_thread_default (priv->main_context);
}

static void
on_completion (AsgirefCompletion *completion,
               gboolean           run)
{
  AsgirefOperationPrivate *priv = (AsgirefOperationPrivate *) ((guint8 *) completion -
                                                                G_STRUCT_OFFSET (AsgirefOperationPrivate,
                                                                                 completion));
  AsgirefOperation *self = priv->self;

  if (run)
    invoke (self);
  g_object_unref (self);
}

/* GTask's rule: at once only on the operation's main context, in a later
 * iteration than the one that started it, and, unless @in_dispatch says
 * that no cancellation handler is running, not once the cancellable was
 * cancelled, lest the callback run from within the handler (and
 * disconnect from the cancellable being cancelled, which waits for the
 * handler to return). */
static void
deliver (AsgirefOperation *self,
         gboolean          in_dispatch)
{
  AsgirefOperationPrivate *priv = PRIV (self);
  GSource *current;
  AsgirefCompletionSource *completions;

  if (priv->callback == NULL)
    return;

  current = g_main_current_source ();
  if (current != NULL && g_source_get_context (current) == priv->main_context &&
      g_source_get_time (current) > priv->creation_time &&
      (in_dispatch || !g_cancellable_is_cancelled (priv->cancellable)))
    {
      invoke (self);
      return;
    }

  priv->completion.func = on_completion;
  g_object_ref (self);   /* the completion's, released by on_completion() */
  completions = _asgiref_completion_source_get (priv->main_context);
  _asgiref_completion_source_queue (completions, &priv->completion);
  _asgiref_completion_source_unref (completions);
}

static void
operation_return (AsgirefOperation *self,
                  gboolean          in_dispatch)
{
  AsgirefOperationPrivate *priv = PRIV (self);

  g_return_if_fail (!priv->returned);
  priv->returned = TRUE;
  deliver (self, in_dispatch);
}

void
_asgiref_operation_return_boolean (AsgirefOperation *self,
                                   gboolean          value)
{
  PRIV (self)->value = value;
  operation_return (self, FALSE);
}

void
_asgiref_operation_return_pointer (AsgirefOperation *self,
                                   gpointer          result,
                                   GDestroyNotify    result_destroy)
{
  AsgirefOperationPrivate *priv = PRIV (self);

  priv->result = result;
  priv->result_destroy = result_destroy;
  operation_return (self, FALSE);
}

void
_asgiref_operation_return_error (AsgirefOperation *self,
                                 GError           *error)
{
  PRIV (self)->error = error;
  operation_return (self, FALSE);
}

void
_asgiref_operation_return_error_in_dispatch (AsgirefOperation *self,
                                             GError           *error)
{
  PRIV (self)->error = error;
  operation_return (self, TRUE);
}

void
_asgiref_operation_return_new_error (AsgirefOperation *self,
                                     GQuark            domain,
                                     gint              code,
                                     const char       *message)
{
  _asgiref_operation_return_error (self, g_error_new_literal (domain, code, message));
}

gboolean
_asgiref_operation_return_error_if_cancelled (AsgirefOperation *self)
{
  GError *error = NULL;

  if (!g_cancellable_set_error_if_cancelled (PRIV (self)->cancellable, &error))
    return FALSE;
  _asgiref_operation_return_error (self, error);
  return TRUE;
}

gboolean
_asgiref_operation_is_valid (gpointer result,
                             gpointer source_object,
                             gpointer source_tag)
{
  AsgirefOperationPrivate *priv;

  if (!ASGIREF_IS_OPERATION (result))
    return FALSE;
  priv = PRIV (result);
  return priv->source_object == source_object && priv->source_tag == source_tag;
}

/* What the callback (or a later caller) gets: the result is handed over
 * once, as GTask's propagate functions do. */
static gboolean
propagate_error (AsgirefOperationPrivate  *priv,
                 GError                  **error)
{
  if (priv->error == NULL)
    return FALSE;
  g_propagate_error (error, g_steal_pointer (&priv->error));
  return TRUE;
}

gboolean
_asgiref_operation_propagate_boolean (AsgirefOperation  *self,
                                      GError           **error)
{
  AsgirefOperationPrivate *priv = PRIV (self);

  g_return_val_if_fail (priv->returned, FALSE);

  if (propagate_error (priv, error))
    return FALSE;
  return priv->value;
}

gpointer
_asgiref_operation_propagate_pointer (AsgirefOperation  *self,
                                      GError           **error)
{
  AsgirefOperationPrivate *priv = PRIV (self);

  g_return_val_if_fail (priv->returned, NULL);

  if (propagate_error (priv, error))
    return NULL;
  priv->result_destroy = NULL;
  return g_steal_pointer (&priv->result);
}

static gboolean
unref_posted (gpointer data)
{
  _asgiref_main_context_received (data);
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

void
_asgiref_operation_unref_on_its_context (AsgirefOperation *self)
{
  GMainContext *context = PRIV (self)->main_context;

  if (g_main_context_is_owner (context))
    g_object_unref (self);
  else
    _asgiref_main_context_post (context, "[asgiref] release operation", unref_posted, self);
}
