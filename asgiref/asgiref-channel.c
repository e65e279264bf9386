/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-channel-private.h"
#include "asgiref-message-private.h"
#include "asgiref-context.h"
#include "asgiref-context-private.h"
#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-lock-private.h"
#include "asgiref-message.h"
#include "asgiref-protocol-private.h"
#include "asgiref-scope.h"
#include "asgiref-operation-private.h"
#include "asgiref-task-private.h"

/**
 * AsgirefChannel:
 *
 * The two message streams between one ASGI application instance and its
 * server: what asgiref passes as `receive` and `send`.
 *
 * The application reads the server's messages with
 * [method@Asgiref.Channel.receive_async] and answers with
 * [method@Asgiref.Channel.send_async]. The server (or an
 * [class@Asgiref.Communicator]) feeds it with
 * [method@Asgiref.Channel.put_input] and collects what it sends with
 * [method@Asgiref.Channel.take_output_async]:
 *
 * ```c
 * static void
 * on_request (GObject      *source,
 *             GAsyncResult *result,
 *             gpointer      user_data)
 * {
 *   AsgirefChannel *channel = ASGIREF_CHANNEL (source);
 *   g_autoptr(GTask) task = user_data;
 *   g_autoptr(AsgirefMessage) request = NULL;
 *   g_autoptr(AsgirefMessage) start = NULL;
 *   g_autoptr(AsgirefMessage) body = NULL;
 *   g_autoptr(GBytes) hello = g_bytes_new_static ("Hello", 5);
 *   g_autoptr(GError) error = NULL;
 *
 *   request = asgiref_channel_receive_finish (channel, result, &error);
 *   if (request == NULL)
 *     {
 *       g_task_return_error (task, g_steal_pointer (&error));
 *       return;
 *     }
 *
 *   // Sends are delivered in order; only the last one needs a callback.
 *   start = asgiref_message_new_http_response_start (200, NULL, FALSE);
 *   asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
 *   body = asgiref_message_new_http_response_body (hello, FALSE);
 *   asgiref_channel_send_async (channel, body, NULL, on_sent, g_steal_pointer (&task));
 * }
 * ```
 *
 * Messages are [struct@Asgiref.Message]s, immutable and reference
 * counted: they go through the channel by reference, never copied, so the
 * server gets the very message the application sent.
 *
 * Every message the application sends is checked twice before the server
 * sees it: against the specification ([method@Asgiref.Message.validate],
 * failing with %ASGIREF_ERROR_INVALID_MESSAGE) and against the protocol
 * of the channel's scope, failing with %ASGIREF_ERROR_PROTOCOL: an
 * `http.response.body` before `http.response.start`, a second
 * `http.response.start`, anything after the final body, a `websocket.send`
 * before `websocket.accept`, a lifespan answer to a question the
 * application was not asked, or a message of another protocol. So a server
 * never has to handle an out-of-order message, and the application learns
 * of its mistake where it made it.
 *
 * A send completes when the server has taken the message, which gives the
 * application back-pressure: a server that takes the next body chunk only
 * when the previous one is written keeps a streaming application from
 * running ahead of the network. Sends and receives are delivered in the
 * order they were made; nothing is dropped.
 *
 * When the server is gone it calls [method@Asgiref.Channel.close]: sends
 * then fail with %G_IO_ERROR_CLOSED, and receives too once the messages
 * already put have been received. When the instance is cancelled (the
 * #GCancellable given to [method@Asgiref.Application.call_async]), every
 * pending and later receive and send fails with %G_IO_ERROR_CANCELLED, so an
 * application waiting for a message that will never come ends.
 *
 * Every method may be called from any thread; callbacks run on the
 * thread-default main context of the thread that started the operation,
 * in the [struct@Asgiref.Context] that was current then.
 */

struct _AsgirefChannel
{
  GObject parent_instance;

  /* Fixed at construction. */
  AsgirefScope *scope;      /* nullable: a channel without a scope */

  GMutex lock;
  /* Under lock. */
  GQueue inputs;            /* AsgirefMessage: put and not yet received */
  GQueue receives;          /* Pending: receives waiting for an input */
  GQueue sends;             /* Pending: sends waiting to be taken */
  GQueue takes;             /* Pending: takes waiting for a send */
  AsgirefProtocolState protocol;
  gboolean closed;
  gboolean output_ended;
  gboolean instance_cancelled;
  GCancellable *instance_cancellable;
  gulong instance_handler;

  /* The server's sink, when it set one instead of taking: fixed once set,
   * called on sink_context only. */
  AsgirefChannelSink sink;
  gpointer sink_data;
  GMainContext *sink_context;
  GThread *sink_thread;     /* the thread that set the sink */
  /* Under lock. */
  gboolean sink_busy;       /* the sink holds a message, or is being called */
  gboolean sink_posted;     /* a drain is on its way to sink_context */
  gboolean sink_ended;      /* the sink was told the output ended */

  /* Under lock: the body bytes of the inputs queued, and whether the
   * server waits to hear that the queue emptied (_asgiref_channel_drained). */
  gsize input_bytes;
  gboolean drain_watched;
  AsgirefChannelDrained drained;   /* fixed once set; called on sink_context */

  /* Under lock: inputs after the queued ones that are only a type (see
   * _asgiref_channel_put_bare_input()), made when a receive gets them. */
  AsgirefMessageKind bare_inputs[2];
  guint n_bare_inputs;

  /* Under lock: why the first send the channel refused was refused, so
   * that the server can tell, whatever the application did with the
   * error its send failed with. */
  GError *rejection;
};

G_DEFINE_FINAL_TYPE (AsgirefChannel, asgiref_channel, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SCOPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* An operation of the channel: its result, and its entry in the queue it
 * waits in. */
#define ASGIREF_TYPE_CHANNEL_OP (_asgiref_channel_op_get_type ())
G_DECLARE_FINAL_TYPE (AsgirefChannelOp, _asgiref_channel_op, ASGIREF, CHANNEL_OP, AsgirefOperation)

struct _AsgirefChannelOp
{
  AsgirefOperation parent_instance;

  AsgirefChannel *channel;    /* unowned: the operation's source object */
  AsgirefMessage *message;    /* for a send: what it sends */
  GCancellable *cancellable;  /* unowned: the operation's */
  /* A send nobody waits for (see asgiref_channel_send_async()): no
   * callback, no cancellable, and no source object, so it keeps the
   * channel alive no more than it keeps a main context busy. */
  gboolean unwaited;
  /* Under the channel's lock. */
  gulong handler;
  GQueue *queue;              /* the queue it is in; NULL once out of it */
  GList link;
  gboolean cancelled;
  /* Its cancellation, on its way to its main context. */
  AsgirefCompletion cancellation;
};

typedef AsgirefChannelOp Pending;

G_DEFINE_FINAL_TYPE (AsgirefChannelOp, _asgiref_channel_op, ASGIREF_TYPE_OPERATION)

static void
asgiref_channel_op_finalize (GObject *object)
{
  AsgirefChannelOp *self = ASGIREF_CHANNEL_OP (object);

  g_clear_pointer (&self->message, asgiref_message_unref);

  G_OBJECT_CLASS (_asgiref_channel_op_parent_class)->finalize (object);
}

static void
_asgiref_channel_op_class_init (AsgirefChannelOpClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = asgiref_channel_op_finalize;
}

static void
_asgiref_channel_op_init (AsgirefChannelOp *self)
{
  self->link.data = self;
}

#define OP(p) ((AsgirefOperation *) (p))

/* Starts an operation of @self. Cancellation is the channel's to handle,
 * for an operation still waiting in a queue; a result is never turned
 * into G_IO_ERROR_CANCELLED afterwards (what GTask's check-cancellable
 * does), which would drop a message already taken out of its queue.
 * (transfer full) */
static Pending *
pending_new (AsgirefChannel      *self,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  Pending *p = _asgiref_operation_new (ASGIREF_TYPE_CHANNEL_OP, self, source_tag,
                                       cancellable, callback, user_data);

  p->channel = self;
  p->cancellable = cancellable;
  return p;
}

/* A send nobody waits for: an operation without a source object, so that
 * it holds no reference to the channel (finalize releases those never
 * taken), and without a callback, so that completing it runs nothing.
 * (transfer full) */
static Pending *
pending_new_unwaited (AsgirefChannel *self)
{
  Pending *p = _asgiref_operation_new (ASGIREF_TYPE_CHANNEL_OP, NULL,
                                       asgiref_channel_send_async, NULL, NULL, NULL);

  p->channel = self;
  p->unwaited = TRUE;
  return p;
}

static Pending *
pending_ref (Pending *p)
{
  g_object_ref (p);
  return p;
}

static void
pending_unref (gpointer data)
{
  Pending *p = data;

  /* One nobody waits for holds neither the channel nor an AsgirefContext:
   * any thread may drop it, and the server's thread does so without
   * posting to the context of the thread that sent it. */
  if (p->unwaited)
    g_object_unref (p);
  else
    _asgiref_operation_unref_on_its_context (OP (p));
}

/* With the lock held: takes @p out of the queue it waits in. Returns the
 * cancellable handler to disconnect once the lock is released. */
static gulong
pending_unlink_locked (Pending *p)
{
  gulong handler = p->handler;

  g_queue_unlink (p->queue, &p->link);
  p->queue = NULL;
  p->handler = 0;
  return handler;
}

static Pending *
pending_pop_locked (GQueue *queue,
                    gulong *handler)
{
  GList *link = g_queue_peek_head_link (queue);
  Pending *p;

  if (link == NULL)
    return NULL;

  p = link->data;
  *handler = pending_unlink_locked (p);
  return p;
}

/* Without the lock: the pending operation left its queue. Disconnecting
 * from a cancellable that is being cancelled would wait for the handler,
 * which may be this very thread; a handler that runs late finds the
 * operation out of its queue and does nothing. */
static void
pending_release (Pending *p,
                 gulong   handler)
{
  if (handler != 0 && !g_cancellable_is_cancelled (p->cancellable))
    g_cancellable_disconnect (p->cancellable, handler);
  pending_unref (p);
}

/* On the operation's main context, out of any cancellation handler. */
static void
pending_return_cancelled (AsgirefCompletion *completion,
                          gboolean           run)
{
  Pending *p = (Pending *) ((guint8 *) completion - G_STRUCT_OFFSET (Pending, cancellation));

  if (run)
    {
      GError *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("Operation was cancelled"));

      _asgiref_operation_return_error_in_dispatch (OP (p), error);
    }
  /* Out of any cancellation handler now, so this cannot wait for itself. */
  if (p->handler != 0)
    g_cancellable_disconnect (p->cancellable, p->handler);
  g_object_unref (p);
}

/* Completes @p, out of its queue, with G_IO_ERROR_CANCELLED from its main
 * context's completion source: a cancellation handler must not run user
 * callbacks, which could disconnect from the cancellable being cancelled.
 * Takes over the queue's reference; @handler is disconnected there. */
static void
pending_post_cancelled (Pending *p,
                        gulong   handler)
{
  AsgirefCompletionSource *completions;

  /* Nobody to tell: a send nobody waits for has no cancellable either. */
  if (p->unwaited)
    {
      pending_release (p, handler);
      return;
    }

  p->handler = handler;
  p->cancellation.func = pending_return_cancelled;
  completions = _asgiref_operation_get_completion_source (OP (p));
  _asgiref_completion_source_queue (completions, &p->cancellation);
  _asgiref_completion_source_unref (completions);
}

static void
pending_on_cancelled (GCancellable *cancellable,
                      gpointer      data)
{
  Pending *p = data;
  AsgirefChannel *self = p->channel;
  gboolean waiting;
  gulong handler = 0;

  _asgiref_mutex_lock (&self->lock);
  p->cancelled = TRUE;
  waiting = p->queue != NULL;
  if (waiting)
    handler = pending_unlink_locked (p);
  _asgiref_mutex_unlock (&self->lock);

  /* The queue's reference goes with the completion. */
  if (waiting)
    pending_post_cancelled (p, handler);
}

static gulong
pending_watch (Pending *p)
{
  if (p->cancellable == NULL)
    return 0;

  return g_cancellable_connect (p->cancellable, G_CALLBACK (pending_on_cancelled),
                                pending_ref (p), pending_unref);
}

/* With the lock held: puts @p at the end of @queue, unless its
 * cancellable fired while it was being set up. Returns FALSE then. */
static gboolean
pending_wait_locked (Pending *p,
                     GQueue  *queue,
                     gulong   handler)
{
  if (p->cancelled)
    return FALSE;

  p->queue = queue;
  p->handler = handler;
  g_queue_push_tail_link (queue, &p->link);
  return TRUE;
}

static void
return_closed (Pending *p)
{
  _asgiref_operation_return_new_error (OP (p), G_IO_ERROR, G_IO_ERROR_CLOSED,
                                       _("The ASGI channel is closed"));
}

static void
return_cancelled (Pending *p)
{
  _asgiref_operation_return_new_error (OP (p), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("Operation was cancelled"));
}

static void
asgiref_channel_dispose (GObject *object)
{
  AsgirefChannel *self = ASGIREF_CHANNEL (object);

  /* Nothing can be waiting but sends nobody waits for (finalize releases
   * them): every other pending operation holds the channel as its source
   * object. */
  if (self->instance_handler != 0)
    g_cancellable_disconnect (self->instance_cancellable, self->instance_handler);
  self->instance_handler = 0;
  g_clear_object (&self->instance_cancellable);
  g_clear_pointer (&self->sink_context, g_main_context_unref);

  G_OBJECT_CLASS (asgiref_channel_parent_class)->dispose (object);
}

static void
asgiref_channel_finalize (GObject *object)
{
  AsgirefChannel *self = ASGIREF_CHANNEL (object);
  GList *link;

  /* Sends nobody waits for hold no reference to the channel (see
   * asgiref_channel_send_async()): those never taken go with it. */
  while ((link = g_queue_pop_head_link (&self->sends)) != NULL)
    {
      Pending *p = link->data;

      g_assert (p->unwaited);
      p->queue = NULL;
      pending_unref (p);
    }
  g_queue_clear_full (&self->inputs, (GDestroyNotify) asgiref_message_unref);
  g_clear_error (&self->rejection);
  g_clear_pointer (&self->scope, asgiref_scope_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (asgiref_channel_parent_class)->finalize (object);
}

static void
asgiref_channel_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  AsgirefChannel *self = ASGIREF_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_SCOPE:
      g_value_set_boxed (value, self->scope);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_channel_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  AsgirefChannel *self = ASGIREF_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_SCOPE:
      self->scope = g_value_dup_boxed (value);
      _asgiref_protocol_init (&self->protocol, self->scope);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_channel_class_init (AsgirefChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = asgiref_channel_dispose;
  object_class->finalize = asgiref_channel_finalize;
  object_class->get_property = asgiref_channel_get_property;
  object_class->set_property = asgiref_channel_set_property;

  /**
   * AsgirefChannel:scope:
   *
   * The [struct@Asgiref.Scope] of the application instance the channel
   * serves. Its kind (`http`, `websocket` or `lifespan`) says which
   * protocol the channel holds the application to; a channel made without
   * a scope (%NULL, the default) checks only that messages are valid.
   */
  properties[PROP_SCOPE] =
    g_param_spec_boxed ("scope", NULL, NULL,
                        ASGIREF_TYPE_SCOPE,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_channel_init (AsgirefChannel *self)
{
  g_mutex_init (&self->lock);
}

/**
 * asgiref_channel_new:
 * @scope: the instance's scope; the channel keeps a reference
 *
 * Creates the channel for one application instance of @scope.
 *
 * Returns: (transfer full): a new #AsgirefChannel
 */
AsgirefChannel *
asgiref_channel_new (AsgirefScope *scope)
{
  AsgirefChannel *self;

  g_return_val_if_fail (scope != NULL, NULL);

  /* What setting the construct-only property does, without the GValue:
   * the server makes a channel for every request. */
  self = g_object_new (ASGIREF_TYPE_CHANNEL, NULL);
  self->scope = asgiref_scope_ref (scope);
  _asgiref_protocol_init (&self->protocol, self->scope);
  return self;
}

/**
 * asgiref_channel_get_scope:
 * @self: a #AsgirefChannel
 *
 * Gets the scope of the instance @self serves.
 *
 * Returns: (transfer none) (nullable): the scope, or %NULL for a channel
 *   made without one (by `g_object_new()` with no
 *   [property@Asgiref.Channel:scope])
 */
AsgirefScope *
asgiref_channel_get_scope (AsgirefChannel *self)
{
  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), NULL);

  return self->scope;
}

/* A message goes from the thread that built it to the one that receives
 * it, through the channel's lock or through a completion source, whose hand-off
 * happens inside the uninstrumented GLib: ThreadSanitizer is told of it
 * (messages are immutable once built). */
static AsgirefMessage *
published (AsgirefMessage *message)
{
  _asgiref_tsan_release (message);
  return message;
}

static AsgirefMessage *
received (AsgirefMessage *message)
{
  if (message != NULL)
    _asgiref_tsan_acquire (message);
  return message;
}

/* What a queued input weighs: its body. */
static gsize
input_size (AsgirefMessage *message)
{
  return message->kind == ASGIREF_MESSAGE_HTTP_REQUEST && message->body != NULL
         ? g_bytes_get_size (message->body) : 0;
}

/* Whether this thread runs the sink's context. A sync function on another
 * thread (a WSGI handler, say) cannot be running it: it learns so without
 * taking the context's lock, which the context's own thread holds for
 * much of each iteration. */
static gboolean
sink_is_here (AsgirefChannel *self)
{
  if (g_thread_self () != self->sink_thread && _asgiref_thread_runs_sync_code ())
    return FALSE;
  return g_main_context_is_owner (self->sink_context);
}

static gboolean
drained_posted (gpointer data)
{
  AsgirefChannel *self = data;

  _asgiref_main_context_received (self);
  self->drained (self->sink_data);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* The application received everything put: the server may read more. */
static void
notify_drained (AsgirefChannel *self)
{
  if (sink_is_here (self))
    self->drained (self->sink_data);
  else
    _asgiref_main_context_post (self->sink_context, "[asgiref] channel input drained",
                                drained_posted, g_object_ref (self));
}

gboolean
_asgiref_channel_watch_drain (AsgirefChannel *self,
                              gsize           above)
{
  gboolean watched;

  _asgiref_mutex_lock (&self->lock);
  watched = self->drain_watched = self->input_bytes > above;
  _asgiref_mutex_unlock (&self->lock);
  return watched;
}

void
_asgiref_channel_watch_receive (AsgirefChannel *self)
{
  _asgiref_mutex_lock (&self->lock);
  self->drain_watched = TRUE;
  _asgiref_mutex_unlock (&self->lock);
}

void
_asgiref_channel_unwatch_drain (AsgirefChannel *self)
{
  _asgiref_mutex_lock (&self->lock);
  self->drain_watched = FALSE;
  _asgiref_mutex_unlock (&self->lock);
}

/* With the lock held: the next bare input, made now. */
static AsgirefMessage *
take_bare_input_locked (AsgirefChannel *self)
{
  AsgirefMessage *message = asgiref_message_new (self->bare_inputs[0]);

  self->n_bare_inputs--;
  memmove (self->bare_inputs, self->bare_inputs + 1, self->n_bare_inputs * sizeof self->bare_inputs[0]);
  return message;
}

/* With the lock held: an input is put after the bare ones, which go in
 * line first. */
static void
queue_bare_inputs_locked (AsgirefChannel *self)
{
  while (self->n_bare_inputs > 0)
    g_queue_push_tail (&self->inputs, take_bare_input_locked (self));
}

/* With the lock held: the next input, made now if it is bare, or NULL
 * when none is there. Sets @drained when the server that watches the
 * inputs is to hear of it: the application took the last one, or looked
 * for one while none was there and the channel is open. */
static AsgirefMessage *
next_input_locked (AsgirefChannel *self,
                   gboolean       *drained)
{
  AsgirefMessage *message = g_queue_pop_head (&self->inputs);

  if (message == NULL && self->n_bare_inputs > 0)
    message = take_bare_input_locked (self);
  if (message != NULL)
    {
      _asgiref_protocol_note_received (&self->protocol, message);
      self->input_bytes -= input_size (message);
      *drained = self->drain_watched && g_queue_is_empty (&self->inputs);
    }
  else
    *drained = self->drain_watched && !self->closed;
  if (*drained)
    self->drain_watched = FALSE;
  return message;
}

/**
 * asgiref_channel_receive_async:
 * @self: a #AsgirefChannel
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the next message
 * @user_data: (closure callback): data for @callback
 *
 * Receives the next message the server put, waiting for one if none is
 * there yet: asgiref's `await receive()`. Receives complete in the order
 * they were started, each with its own message.
 *
 * Fails with %G_IO_ERROR_CLOSED once the server closed the channel and
 * every message it put has been received, and with
 * %G_IO_ERROR_CANCELLED when @cancellable or the instance is cancelled.
 */
void
asgiref_channel_receive_async (AsgirefChannel      *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  AsgirefMessage *message = NULL;
  Pending *p;
  gulong handler;
  gboolean waiting = FALSE;
  gboolean closed = FALSE;
  gboolean drained = FALSE;
  gboolean cancelled;

  g_return_if_fail (ASGIREF_IS_CHANNEL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  p = pending_new (self, asgiref_channel_receive_async, cancellable, callback, user_data);
  if (_asgiref_operation_return_error_if_cancelled (OP (p)))
    {
      pending_unref (p);
      return;
    }
  handler = pending_watch (p);

  _asgiref_mutex_lock (&self->lock);
  cancelled = p->cancelled || self->instance_cancelled;
  if (!cancelled)
    {
      message = next_input_locked (self, &drained);
      if (message == NULL && self->closed)
        closed = TRUE;
      else if (message == NULL)
        waiting = pending_wait_locked (p, &self->receives, handler);
    }
  _asgiref_mutex_unlock (&self->lock);

  if (drained)
    notify_drained (self);
  if (waiting)
    return;

  if (message != NULL)
    _asgiref_operation_return_pointer (OP (p), message, (GDestroyNotify) asgiref_message_unref);
  else if (closed)
    return_closed (p);
  else
    return_cancelled (p);
  pending_release (p, handler);
}

/**
 * asgiref_channel_receive_finish:
 * @self: a #AsgirefChannel
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Asgiref.Channel.receive_async].
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
AsgirefMessage *
asgiref_channel_receive_finish (AsgirefChannel  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (_asgiref_operation_is_valid (result, self, asgiref_channel_receive_async), NULL);

  return received (_asgiref_operation_propagate_pointer (ASGIREF_OPERATION (result), error));
}

/**
 * asgiref_channel_try_receive:
 * @self: a #AsgirefChannel
 * @error: return location for a #GError
 *
 * Receives the next message the server put if one is there, and fails
 * with %G_IO_ERROR_WOULD_BLOCK otherwise: the non-blocking twin of
 * [method@Asgiref.Channel.receive_async], as
 * [method@Gio.PollableInputStream.read_nonblocking] is of
 * [method@Gio.InputStream.read_async]. A request's body that the server
 * has already read, or the `http.request` of a request without one, is
 * there at once, and costs no #GAsyncResult and no turn of the main loop.
 *
 * It would wait, and fails with %G_IO_ERROR_WOULD_BLOCK, when no message
 * is there yet, or when a receive started earlier still waits (that one
 * gets the next message). It may be called from any thread. Like a
 * receive that finds nothing, it tells the server that the application
 * wants the body, for a client that waits for `100 Continue`. The other
 * errors are those of [method@Asgiref.Channel.receive_finish]:
 * %G_IO_ERROR_CLOSED once the server closed the channel and every
 * message it put has been received, %G_IO_ERROR_CANCELLED once the
 * instance was cancelled.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 *   set
 */
AsgirefMessage *
asgiref_channel_try_receive (AsgirefChannel  *self,
                             GError         **error)
{
  AsgirefMessage *message = NULL;
  gboolean drained = FALSE;
  gboolean closed = FALSE;
  gboolean cancelled;

  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _asgiref_mutex_lock (&self->lock);
  cancelled = self->instance_cancelled;
  if (!cancelled && g_queue_is_empty (&self->receives))
    {
      message = next_input_locked (self, &drained);
      closed = message == NULL && self->closed;
    }
  _asgiref_mutex_unlock (&self->lock);

  if (drained)
    notify_drained (self);
  if (message != NULL)
    return received (message);

  if (cancelled)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
  else if (closed)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("The ASGI channel is closed"));
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                         _("No ASGI message has come yet"));
  return NULL;
}

/* Keeps the first message refusal of the instance. */
static void
note_rejection (AsgirefChannel *self,
                const GError   *error)
{
  _asgiref_mutex_lock (&self->lock);
  if (self->rejection == NULL)
    self->rejection = g_error_copy (error);
  _asgiref_mutex_unlock (&self->lock);
}

/**
 * asgiref_channel_note_refused:
 * @self: a #AsgirefChannel
 * @error: why the message was refused
 *
 * Tells the channel that a message the application meant to send was
 * refused before it became an [struct@Asgiref.Message]: for bindings,
 * whose applications send dictionaries or objects that the binding
 * converts first (Python's `message_from_dict()`, GJS's
 * `messageFromObject()`). The channel treats it as a send it refused
 * itself: the first refusal of an instance is what
 * [class@Asgiref.Server] reports when the instance ends, whatever the
 * application did with the error.
 *
 * Any thread may call this function.
 */
void
asgiref_channel_note_refused (AsgirefChannel *self,
                              const GError   *error)
{
  g_return_if_fail (ASGIREF_IS_CHANNEL (self));
  g_return_if_fail (error != NULL);

  note_rejection (self, error);
}

GError *
_asgiref_channel_dup_rejection (AsgirefChannel *self)
{
  GError *error;

  _asgiref_mutex_lock (&self->lock);
  error = self->rejection != NULL ? g_error_copy (self->rejection) : NULL;
  _asgiref_mutex_unlock (&self->lock);
  return error;
}

/* ---- The server's sink --------------------------------------------------- */

/* Hands @message (or the end of the output, for %NULL) to the sink, which
 * sink_busy reserves for this call. */
static void
sink_deliver (AsgirefChannel *self,
              AsgirefMessage *message)
{
  gboolean ready = self->sink (received (message), self->sink_data);

  if (ready && message != NULL)
    {
      _asgiref_mutex_lock (&self->lock);
      self->sink_busy = FALSE;
      _asgiref_mutex_unlock (&self->lock);
    }
}

/* On the sink's context: hands the sink what waits for it, in order,
 * while it takes more, and the end of the output after the last message. */
static void
sink_drain (AsgirefChannel *self)
{
  for (;;)
    {
      g_autoptr(AsgirefMessage) message = NULL;
      Pending *send;
      gulong handler;
      gboolean end = FALSE;

      _asgiref_mutex_lock (&self->lock);
      if (self->sink_busy || self->sink_ended)
        {
          _asgiref_mutex_unlock (&self->lock);
          return;
        }
      send = pending_pop_locked (&self->sends, &handler);
      if (send != NULL)
        self->sink_busy = TRUE;
      else if (self->output_ended || self->closed)
        end = self->sink_ended = TRUE;
      _asgiref_mutex_unlock (&self->lock);

      if (send == NULL)
        {
          if (end)
            sink_deliver (self, NULL);
          return;
        }

      message = g_steal_pointer (&send->message);
      sink_deliver (self, message);
      _asgiref_operation_return_boolean (OP (send), TRUE);
      pending_release (send, handler);
    }
}

static gboolean
sink_drain_posted (gpointer data)
{
  AsgirefChannel *self = data;

  _asgiref_main_context_received (self);
  _asgiref_mutex_lock (&self->lock);
  self->sink_posted = FALSE;
  _asgiref_mutex_unlock (&self->lock);
  sink_drain (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Drains now when this thread runs the sink's context, else from an idle
 * there (at most one on its way). */
static void
sink_wake (AsgirefChannel *self)
{
  gboolean post;

  if (sink_is_here (self))
    {
      sink_drain (self);
      return;
    }

  _asgiref_mutex_lock (&self->lock);
  post = !self->sink_posted;
  self->sink_posted = TRUE;
  _asgiref_mutex_unlock (&self->lock);
  if (post)
    _asgiref_main_context_post (self->sink_context, "[asgiref] channel output",
                                sink_drain_posted, g_object_ref (self));
}

/* With the lock held: whether the sink, on this thread, takes a message
 * right away, ahead of nothing. */
static gboolean
sink_takes_now_locked (AsgirefChannel *self)
{
  return !self->sink_busy && g_queue_is_empty (&self->sends) &&
         sink_is_here (self);
}

void
_asgiref_channel_set_sink (AsgirefChannel        *self,
                           AsgirefChannelSink     sink,
                           AsgirefChannelDrained  drained,
                           gpointer               data)
{
  g_return_if_fail (self->sink == NULL);

  self->sink = sink;
  self->drained = drained;
  self->sink_data = data;
  self->sink_context = g_main_context_ref_thread_default ();
  self->sink_thread = g_thread_self ();
}

GMainContext *
_asgiref_channel_get_sink_context (AsgirefChannel *self)
{
  return self->sink_context;
}

void
_asgiref_channel_sink_ready (AsgirefChannel *self)
{
  _asgiref_mutex_lock (&self->lock);
  self->sink_busy = FALSE;
  _asgiref_mutex_unlock (&self->lock);
  sink_drain (self);
}

/**
 * asgiref_channel_send_async:
 * @self: a #AsgirefChannel
 * @message: the message to send; the channel keeps a reference until the
 *   server took it
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (nullable): called when the server took the
 *   message
 * @user_data: (closure callback): data for @callback
 *
 * Sends @message to the server: asgiref's `await send(message)`. The
 * server gets @message itself, not a copy.
 *
 * The message is checked first: if it is not a valid ASGI message the send
 * fails with %ASGIREF_ERROR_INVALID_MESSAGE, and if the protocol does not
 * allow it now (see [class@Asgiref.Channel]) with %ASGIREF_ERROR_PROTOCOL;
 * either way the server never sees it. Otherwise the send completes when
 * the server takes the message, or fails with %G_IO_ERROR_CLOSED if the
 * server closed the channel first, or %G_IO_ERROR_CANCELLED. A message
 * whose send was cancelled before the server took it is not delivered, but
 * the protocol counts it as sent.
 */
void
asgiref_channel_send_async (AsgirefChannel      *self,
                            AsgirefMessage      *message,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GError) error = NULL;
  Pending *p;
  Pending *take = NULL;
  gulong handler;
  gulong take_handler = 0;
  gboolean waiting = FALSE;
  gboolean to_sink = FALSE;
  gboolean wake_sink = FALSE;
  gboolean closed = FALSE;
  gboolean cancelled = FALSE;
  gboolean ended = FALSE;

  g_return_if_fail (ASGIREF_IS_CHANNEL (self));
  g_return_if_fail (message != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* A send nobody waits for, to a server free to take it on this
   * thread, needs no result at all. What cannot go at once (an invalid
   * message too) takes the full path, which says what went wrong. */
  if (callback == NULL && cancellable == NULL && self->sink != NULL &&
      asgiref_channel_try_send (self, message, NULL))
    return;

  /* A send nobody waits for, and that nothing cancels but the instance,
   * needs no callback, context or channel of its own: what would complete
   * it has nobody to tell, and a rejection is noted all the same. From a
   * handler's thread, it then costs the server's thread nothing to
   * complete and free on the handler's context. */
  if (callback == NULL && cancellable == NULL)
    p = pending_new_unwaited (self);
  else
    p = pending_new (self, asgiref_channel_send_async, cancellable, callback, user_data);
  if (_asgiref_operation_return_error_if_cancelled (OP (p)))
    {
      pending_unref (p);
      return;
    }

  if (!asgiref_message_validate (message, &error))
    {
      note_rejection (self, error);
      _asgiref_operation_return_error (OP (p), g_steal_pointer (&error));
      pending_unref (p);
      return;
    }

  p->message = asgiref_message_ref (published (message));
  handler = pending_watch (p);

  _asgiref_mutex_lock (&self->lock);
  if (p->cancelled || self->instance_cancelled)
    cancelled = TRUE;
  else if (self->closed)
    closed = TRUE;
  else if (self->output_ended)
    ended = TRUE;
  else if (_asgiref_protocol_check_send (&self->protocol, p->message, &error))
    {
      /* On the server's thread, a sink that is free takes the message
       * right away: the common case costs no queue and no main loop
       * iteration. */
      if (self->sink != NULL && sink_takes_now_locked (self))
        to_sink = self->sink_busy = TRUE;
      else if (self->sink != NULL)
        {
          waiting = pending_wait_locked (p, &self->sends, handler);
          wake_sink = waiting && !self->sink_busy;
        }
      else
        {
          take = pending_pop_locked (&self->takes, &take_handler);
          if (take == NULL)
            waiting = pending_wait_locked (p, &self->sends, handler);
        }
    }
  _asgiref_mutex_unlock (&self->lock);

  if (wake_sink)
    sink_wake (self);
  if (waiting)
    return;

  if (to_sink)
    {
      g_autoptr(AsgirefMessage) taken = g_steal_pointer (&p->message);

      sink_deliver (self, taken);
      _asgiref_operation_return_boolean (OP (p), TRUE);
      /* Sends from other threads may have queued meanwhile. */
      sink_drain (self);
    }
  else if (take != NULL)
    {
      /* The send is done with its message: it goes on to the take. */
      _asgiref_operation_return_pointer (OP (take), g_steal_pointer (&p->message),
                                         (GDestroyNotify) asgiref_message_unref);
      pending_release (take, take_handler);
      _asgiref_operation_return_boolean (OP (p), TRUE);
    }
  else if (error != NULL)
    {
      note_rejection (self, error);
      _asgiref_operation_return_error (OP (p), g_steal_pointer (&error));
    }
  else if (p->unwaited)
    ;   /* closed, ended or cancelled: nobody to tell */
  else if (closed)
    return_closed (p);
  else if (ended)
    _asgiref_operation_return_new_error (OP (p), ASGIREF_ERROR, ASGIREF_ERROR_FINISHED,
                                         _("The ASGI application instance has already returned"));
  else
    {
      g_assert (cancelled);
      return_cancelled (p);
    }
  pending_release (p, handler);
}

/**
 * asgiref_channel_send_finish:
 * @self: a #AsgirefChannel
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Asgiref.Channel.send_async].
 *
 * Returns: %TRUE once the server took the message, %FALSE with @error set
 */
gboolean
asgiref_channel_send_finish (AsgirefChannel  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (_asgiref_operation_is_valid (result, self, asgiref_channel_send_async), FALSE);

  return _asgiref_operation_propagate_boolean (ASGIREF_OPERATION (result), error);
}

/**
 * asgiref_channel_try_send:
 * @self: a #AsgirefChannel
 * @message: the message to send
 * @error: return location for a #GError
 *
 * Sends @message if the server can take it at once, and fails with
 * %G_IO_ERROR_WOULD_BLOCK otherwise: the non-blocking twin of
 * [method@Asgiref.Channel.send_async], as
 * [method@Gio.PollableOutputStream.write_nonblocking] is of
 * [method@Gio.OutputStream.write_async]. A send that succeeds here is one
 * whose `await` would not have waited; it costs no #GAsyncResult and no
 * turn of the main loop, and it reports every mistake in @message at the
 * call.
 *
 * The server takes a message at once when it is free for it, nothing
 * sent earlier still waits, and the caller runs on the thread that
 * serves the instance (its main context's owner). That is how an
 * application on the server's main context answers: the response's start
 * and a whole body are always taken at once. It is not the case while
 * the server writes a streamed chunk, nor from another thread. A channel
 * without a server takes a message at once when a
 * [method@Asgiref.Channel.take_output_async] waits for it.
 *
 * @message is checked as [method@Asgiref.Channel.send_async] checks it,
 * against what was sent before it, whether or not it would wait: the
 * errors are those of [method@Asgiref.Channel.send_finish],
 * %ASGIREF_ERROR_INVALID_MESSAGE and %ASGIREF_ERROR_PROTOCOL (which the
 * server also reports when the instance ends, as for any send),
 * %G_IO_ERROR_CLOSED, %G_IO_ERROR_CANCELLED once the server cancelled the
 * instance, and %ASGIREF_ERROR_FINISHED after it returned. A valid
 * message that would wait fails with %G_IO_ERROR_WOULD_BLOCK, and then
 * nothing happened: it was not sent, and the protocol does not count it;
 * send it with [method@Asgiref.Channel.send_async].
 *
 * Returns: %TRUE if the server took @message, %FALSE with @error set
 */
gboolean
asgiref_channel_try_send (AsgirefChannel  *self,
                          AsgirefMessage  *message,
                          GError         **error)
{
  GError *refused = NULL;
  Pending *take = NULL;
  gulong take_handler = 0;
  gboolean to_sink = FALSE;
  gboolean would_block = FALSE;

  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!asgiref_message_validate (message, &refused))
    {
      note_rejection (self, refused);
      g_propagate_error (error, refused);
      return FALSE;
    }

  _asgiref_mutex_lock (&self->lock);
  if (self->instance_cancelled)
    g_set_error_literal (&refused, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                         _("Operation was cancelled"));
  else if (self->closed)
    g_set_error_literal (&refused, G_IO_ERROR, G_IO_ERROR_CLOSED,
                         _("The ASGI channel is closed"));
  else if (self->output_ended)
    g_set_error_literal (&refused, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED,
                         _("The ASGI application instance has already returned"));
  else
    {
      /* Checked against what was sent before, as send_async() checks, but
       * on a copy: a message that would wait leaves the protocol as it
       * was. */
      AsgirefProtocolState after = self->protocol;

      if (!_asgiref_protocol_check_send (&after, message, &refused))
        ;
      else if (self->sink != NULL ? !sink_takes_now_locked (self)
                                  : !g_queue_is_empty (&self->sends) ||
                                    g_queue_is_empty (&self->takes))
        would_block = TRUE;
      else
        {
          self->protocol = after;
          if (self->sink != NULL)
            to_sink = self->sink_busy = TRUE;
          else
            take = pending_pop_locked (&self->takes, &take_handler);
        }
    }
  _asgiref_mutex_unlock (&self->lock);

  if (to_sink)
    {
      sink_deliver (self, message);
      sink_drain (self);
      return TRUE;
    }
  if (take != NULL)
    {
      _asgiref_operation_return_pointer (OP (take), asgiref_message_ref (published (message)),
                                         (GDestroyNotify) asgiref_message_unref);
      pending_release (take, take_handler);
      return TRUE;
    }

  /* Common for a streamed body, and made only for a caller that asks. */
  if (would_block)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           _("The ASGI server cannot take the message now"));
      return FALSE;
    }
  if (g_error_matches (refused, ASGIREF_ERROR, ASGIREF_ERROR_PROTOCOL))
    note_rejection (self, refused);
  g_propagate_error (error, refused);
  return FALSE;
}

/**
 * asgiref_channel_put_input:
 * @self: a #AsgirefChannel
 * @message: the message for the application; the channel keeps a
 *   reference until the application received it
 * @error: return location for a #GError
 *
 * Gives @message to the application: the oldest waiting
 * [method@Asgiref.Channel.receive_async] completes with it, or the next
 * one will. Messages are received in the order they were put; the queue
 * has no bound, so this never waits.
 *
 * Fails with %ASGIREF_ERROR_INVALID_MESSAGE if @message is not a valid
 * ASGI message and with %G_IO_ERROR_CLOSED after
 * [method@Asgiref.Channel.close].
 *
 * Returns: %TRUE if the message was queued or delivered
 */
gboolean
asgiref_channel_put_input (AsgirefChannel  *self,
                           AsgirefMessage  *message,
                           GError         **error)
{
  g_autoptr(AsgirefMessage) owned = NULL;
  Pending *receive = NULL;
  gulong handler = 0;
  gboolean closed;

  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!asgiref_message_validate (message, error))
    return FALSE;

  owned = asgiref_message_ref (published (message));

  _asgiref_mutex_lock (&self->lock);
  closed = self->closed;
  if (!closed)
    queue_bare_inputs_locked (self);
  if (!closed)
    {
      receive = pending_pop_locked (&self->receives, &handler);
      if (receive != NULL)
        _asgiref_protocol_note_received (&self->protocol, owned);
      else
        {
          self->input_bytes += input_size (owned);
          g_queue_push_tail (&self->inputs, g_steal_pointer (&owned));
        }
    }
  _asgiref_mutex_unlock (&self->lock);

  if (closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           _("The ASGI channel is closed"));
      return FALSE;
    }

  if (receive != NULL)
    {
      _asgiref_operation_return_pointer (OP (receive), g_steal_pointer (&owned),
                                         (GDestroyNotify) asgiref_message_unref);
      pending_release (receive, handler);
    }
  return TRUE;
}

/**
 * asgiref_channel_take_output_async:
 * @self: a #AsgirefChannel
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the next message the application
 *   sent
 * @user_data: (closure callback): data for @callback
 *
 * Takes the next message the application sent, waiting for one if need
 * be; taking it completes the application's send. Messages come in the
 * order they were sent, already checked against the specification and
 * the protocol.
 *
 * Fails with %G_IO_ERROR_CLOSED after [method@Asgiref.Channel.close] and
 * with %G_IO_ERROR_CANCELLED when @cancellable is cancelled.
 */
void
asgiref_channel_take_output_async (AsgirefChannel      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Pending *p;
  Pending *send = NULL;
  gulong handler;
  gulong send_handler = 0;
  gboolean waiting = FALSE;
  gboolean closed = FALSE;

  g_return_if_fail (ASGIREF_IS_CHANNEL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  p = pending_new (self, asgiref_channel_take_output_async, cancellable, callback, user_data);
  if (_asgiref_operation_return_error_if_cancelled (OP (p)))
    {
      pending_unref (p);
      return;
    }
  handler = pending_watch (p);

  _asgiref_mutex_lock (&self->lock);
  if (!p->cancelled)
    {
      send = pending_pop_locked (&self->sends, &send_handler);
      if (send == NULL && (self->closed || self->output_ended))
        closed = TRUE;
      else if (send == NULL)
        waiting = pending_wait_locked (p, &self->takes, handler);
    }
  _asgiref_mutex_unlock (&self->lock);

  if (waiting)
    return;

  if (send != NULL)
    {
      /* The send is done with its message: it goes on to the take. */
      _asgiref_operation_return_pointer (OP (p), g_steal_pointer (&send->message),
                                         (GDestroyNotify) asgiref_message_unref);
      _asgiref_operation_return_boolean (OP (send), TRUE);
      pending_release (send, send_handler);
    }
  else if (closed)
    return_closed (p);
  else
    return_cancelled (p);
  pending_release (p, handler);
}

/**
 * asgiref_channel_take_output_finish:
 * @self: a #AsgirefChannel
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Asgiref.Channel.take_output_async].
 *
 * Returns: (transfer full): the message the application sent, or %NULL
 *   with @error set
 */
AsgirefMessage *
asgiref_channel_take_output_finish (AsgirefChannel  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), NULL);
  g_return_val_if_fail (_asgiref_operation_is_valid (result, self, asgiref_channel_take_output_async), NULL);

  return received (_asgiref_operation_propagate_pointer (ASGIREF_OPERATION (result), error));
}

/* Steals every operation of @queue into @into, with its handler. */
static void
steal_queue_locked (GQueue *queue,
                    GQueue *into)
{
  Pending *p;
  gulong handler;

  while ((p = pending_pop_locked (queue, &handler)) != NULL)
    {
      g_queue_push_tail (into, p);
      g_queue_push_tail (into, GSIZE_TO_POINTER (handler));
    }
}

typedef void (*ReturnFunc) (Pending *p);

static void
return_all (GQueue     *stolen,
            ReturnFunc  func)
{
  Pending *p;

  while ((p = g_queue_pop_head (stolen)) != NULL)
    {
      gulong handler = GPOINTER_TO_SIZE (g_queue_pop_head (stolen));

      func (p);
      pending_release (p, handler);
    }
}

/**
 * asgiref_channel_close:
 * @self: a #AsgirefChannel
 *
 * Tells the application that the server is gone: pending and later sends
 * and takes fail with %G_IO_ERROR_CLOSED, and so do receives once the
 * messages already put are received. Messages sent and not taken yet are
 * dropped. Closing twice does nothing.
 */
void
asgiref_channel_close (AsgirefChannel *self)
{
  GQueue stolen = G_QUEUE_INIT;

  g_return_if_fail (ASGIREF_IS_CHANNEL (self));

  _asgiref_mutex_lock (&self->lock);
  if (!self->closed)
    {
      self->closed = TRUE;
      steal_queue_locked (&self->sends, &stolen);
      steal_queue_locked (&self->takes, &stolen);
      steal_queue_locked (&self->receives, &stolen);
    }
  _asgiref_mutex_unlock (&self->lock);

  return_all (&stolen, return_closed);
  if (self->sink != NULL)
    sink_wake (self);
}

/**
 * asgiref_channel_is_closed:
 * @self: a #AsgirefChannel
 *
 * Whether [method@Asgiref.Channel.close] was called.
 *
 * Returns: %TRUE if @self is closed
 */
gboolean
asgiref_channel_is_closed (AsgirefChannel *self)
{
  gboolean closed;

  g_return_val_if_fail (ASGIREF_IS_CHANNEL (self), FALSE);

  _asgiref_mutex_lock (&self->lock);
  closed = self->closed;
  _asgiref_mutex_unlock (&self->lock);
  return closed;
}

static void
on_instance_cancelled (GCancellable *cancellable,
                       gpointer      data)
{
  AsgirefChannel *self = data;
  GQueue stolen = G_QUEUE_INIT;
  Pending *p;

  _asgiref_mutex_lock (&self->lock);
  self->instance_cancelled = TRUE;
  steal_queue_locked (&self->sends, &stolen);
  steal_queue_locked (&self->receives, &stolen);
  _asgiref_mutex_unlock (&self->lock);

  while ((p = g_queue_pop_head (&stolen)) != NULL)
    pending_post_cancelled (p, GPOINTER_TO_SIZE (g_queue_pop_head (&stolen)));
}

void
_asgiref_channel_cancel (AsgirefChannel *self)
{
  on_instance_cancelled (NULL, self);
}

void
_asgiref_channel_cancel_with (AsgirefChannel *self,
                              GCancellable   *cancellable)
{
  gulong handler;

  g_return_if_fail (self->instance_cancellable == NULL);

  self->instance_cancellable = g_object_ref (cancellable);
  /* The channel outlives the connection: dispose disconnects it. */
  handler = g_cancellable_connect (cancellable, G_CALLBACK (on_instance_cancelled),
                                   self, NULL);
  self->instance_handler = handler;
}

void
_asgiref_channel_end_output (AsgirefChannel *self)
{
  GQueue stolen = G_QUEUE_INIT;

  _asgiref_mutex_lock (&self->lock);
  self->output_ended = TRUE;
  /* A take waits only while nothing is queued, so these saw everything. */
  steal_queue_locked (&self->takes, &stolen);
  _asgiref_mutex_unlock (&self->lock);

  return_all (&stolen, return_closed);
  if (self->sink != NULL)
    sink_wake (self);
}

void
_asgiref_channel_put_bare_input (AsgirefChannel     *self,
                                 AsgirefMessageKind  kind)
{
  AsgirefMessage *message = NULL;
  Pending *receive = NULL;
  gulong handler = 0;

  _asgiref_mutex_lock (&self->lock);
  if (!self->closed)
    {
      /* A receive waits only while nothing is queued. */
      receive = pending_pop_locked (&self->receives, &handler);
      if (receive != NULL)
        {
          message = asgiref_message_new (kind);
          _asgiref_protocol_note_received (&self->protocol, message);
        }
      else
        {
          if (self->n_bare_inputs == G_N_ELEMENTS (self->bare_inputs))
            queue_bare_inputs_locked (self);
          self->bare_inputs[self->n_bare_inputs++] = kind;
        }
    }
  _asgiref_mutex_unlock (&self->lock);

  if (receive != NULL)
    {
      _asgiref_operation_return_pointer (OP (receive), message,
                                         (GDestroyNotify) asgiref_message_unref);
      pending_release (receive, handler);
    }
}

gboolean
_asgiref_channel_has_input (AsgirefChannel *self)
{
  gboolean has_input;

  _asgiref_mutex_lock (&self->lock);
  has_input = !g_queue_is_empty (&self->inputs) || self->n_bare_inputs > 0;
  _asgiref_mutex_unlock (&self->lock);
  return has_input;
}
