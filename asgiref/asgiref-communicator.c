/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-bridge.h"
#include "asgiref-channel-private.h"
#include "asgiref-communicator.h"
#include "asgiref-context-private.h"
#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-lock-private.h"
#include "asgiref-task-private.h"
#include "asgiref-timeout.h"

/**
 * AsgirefCommunicator:
 *
 * Runs one instance of an [iface@Asgiref.Application] for a test and talks
 * to it as a server would: asgiref's `ApplicationCommunicator`.
 *
 * Creating the communicator starts the instance, on the calling thread's
 * thread-default main context and in a copy of the current
 * [struct@Asgiref.Context] (see
 * [method@Asgiref.Communicator.get_context]). The test then feeds it with
 * [method@Asgiref.Communicator.send_input], reads what it sends with
 * [method@Asgiref.Communicator.receive_output], checks that it stays quiet
 * with [method@Asgiref.Communicator.receive_nothing] and waits for it to
 * end with [method@Asgiref.Communicator.wait]. Messages go both ways in
 * order through unbounded queues, so the application never waits for the
 * test to read, and nothing it sent is lost when it ends. The test receives
 * the very [struct@Asgiref.Message]s the application sent, not copies.
 *
 * Each operation has an `_async` form, for tests that run a main loop (and
 * for Python and JavaScript), and a blocking twin that lets a C test read
 * top to bottom:
 *
 * ```c
 * g_autoptr(AsgirefCommunicator) comm = asgiref_communicator_new (app, scope);
 * g_autoptr(AsgirefMessage) request = asgiref_message_new_http_request (NULL, FALSE);
 * g_autoptr(AsgirefMessage) start = NULL;
 * g_autoptr(GError) error = NULL;
 *
 * asgiref_communicator_send_input (comm, request, &error);
 * start = asgiref_communicator_receive_output (comm, G_USEC_PER_SEC, NULL, &error);
 * g_assert_cmpint (asgiref_message_get_status (start), ==, 200);
 * ```
 *
 * A blocking call made on a thread that can own the instance's main
 * context (a test's main thread, say) iterates that context itself until
 * it is done, so the instance runs meanwhile. Made on a thread from which
 * another thread runs that context, it waits through
 * [method@Asgiref.Bridge.async_to_sync]; made from main-loop code, it
 * fails with %ASGIREF_ERROR_DEADLOCK, as blocking there would hang.
 *
 * Errors follow asgiref: receiving fails with %G_IO_ERROR_TIMED_OUT when
 * nothing arrives in time (and, as in asgiref, cancels the instance), and
 * every operation fails with the application's own error once it failed.
 * Dropping the communicator cancels an instance that still runs.
 */

typedef struct
{
  gatomicrefcount ref;

  /* Fixed at construction. */
  AsgirefChannel *channel;      /* the instance's */
  AsgirefChannel *outputs;      /* what the instance sent, as its inputs; no scope */
  AsgirefChannel *ended;        /* never fed; closed when the instance ended; no scope */
  GCancellable *cancellable;    /* the instance's */

  GMutex lock;
  /* Under lock. */
  GError *error;                /* what the instance failed with */
} State;

struct _AsgirefCommunicator
{
  GObject parent_instance;

  /* Fixed at construction. */
  AsgirefApplication *application;
  AsgirefContext *context;
  GMainContext *main_context;   /* where the instance runs */
  State *state;
};

G_DEFINE_FINAL_TYPE (AsgirefCommunicator, asgiref_communicator, G_TYPE_OBJECT)

static State *
state_ref (State *s)
{
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

static void
state_unref (State *s)
{
  if (!g_atomic_ref_count_dec (&s->ref))
    return;

  g_clear_object (&s->channel);
  g_clear_object (&s->outputs);
  g_clear_object (&s->ended);
  g_clear_object (&s->cancellable);
  g_clear_error (&s->error);
  g_mutex_clear (&s->lock);
  g_free (s);
}

/* With the lock held: sets @error to what the instance failed with. */
static gboolean
state_failed_locked (State   *s,
                     GError **error)
{
  if (s->error == NULL)
    return FALSE;
  if (error != NULL)
    *error = g_error_copy (s->error);
  return TRUE;
}

static void
asgiref_communicator_dispose (GObject *object)
{
  AsgirefCommunicator *self = ASGIREF_COMMUNICATOR (object);

  /* An instance left running would outlive its test. */
  if (self->state != NULL)
    g_cancellable_cancel (self->state->cancellable);
  g_clear_pointer (&self->state, state_unref);

  G_OBJECT_CLASS (asgiref_communicator_parent_class)->dispose (object);
}

static void
asgiref_communicator_finalize (GObject *object)
{
  AsgirefCommunicator *self = ASGIREF_COMMUNICATOR (object);

  g_clear_object (&self->application);
  g_clear_pointer (&self->context, asgiref_context_unref);
  g_clear_pointer (&self->main_context, g_main_context_unref);

  G_OBJECT_CLASS (asgiref_communicator_parent_class)->finalize (object);
}

static void
asgiref_communicator_class_init (AsgirefCommunicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = asgiref_communicator_dispose;
  object_class->finalize = asgiref_communicator_finalize;
}

static void
asgiref_communicator_init (AsgirefCommunicator *self)
{
}

/* The pump: moves each message the instance sends into outputs, so that
 * its sends complete at once and nothing waits for the test to read. */
static void pump (State *s);

static void
on_output (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  State *s = user_data;
  g_autoptr(AsgirefMessage) message = NULL;

  message = asgiref_channel_take_output_finish (s->channel, result, NULL);
  if (message != NULL)
    {
      /* Valid already; outputs is closed only below. */
      asgiref_channel_put_input (s->outputs, message, NULL);
      pump (s);
    }
  else
    {
      /* The instance ended and everything it sent is in outputs. */
      asgiref_channel_close (s->outputs);
    }
  state_unref (s);
}

static void
pump (State *s)
{
  asgiref_channel_take_output_async (s->channel, NULL, on_output, state_ref (s));
}

static void
on_instance_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  State *s = user_data;
  GError *error = NULL;

  asgiref_application_call_finish (ASGIREF_APPLICATION (source), result, &error);

  _asgiref_mutex_lock (&s->lock);
  s->error = error;
  _asgiref_mutex_unlock (&s->lock);

  _asgiref_channel_end_output (s->channel);
  /* Ends every wait, pending or to come. */
  asgiref_channel_close (s->ended);
  state_unref (s);
}

typedef struct
{
  AsgirefCommunicator *self;
  AsgirefScope *scope;
} StartData;

static void
start_instance (gpointer user_data)
{
  StartData *data = user_data;
  AsgirefCommunicator *self = data->self;
  State *s = self->state;

  asgiref_application_call_async (self->application, data->scope, s->channel,
                                  s->cancellable, on_instance_done, state_ref (s));
}

/**
 * asgiref_communicator_new:
 * @application: the application to test
 * @scope: the scope of the instance; the communicator keeps a reference
 *
 * Starts an instance of @application for @scope on the thread-default main
 * context of the calling thread, in a copy of the current context.
 *
 * Returns: (transfer full): a new #AsgirefCommunicator
 */
AsgirefCommunicator *
asgiref_communicator_new (AsgirefApplication *application,
                          AsgirefScope       *scope)
{
  AsgirefCommunicator *self;
  StartData data;
  State *s;

  g_return_val_if_fail (ASGIREF_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (scope != NULL, NULL);

  s = g_new0 (State, 1);
  g_atomic_ref_count_init (&s->ref);
  g_mutex_init (&s->lock);
  s->channel = asgiref_channel_new (scope);
  /* Without a scope: they only queue, and hold messages to no protocol order. */
  s->outputs = g_object_new (ASGIREF_TYPE_CHANNEL, NULL);
  s->ended = g_object_new (ASGIREF_TYPE_CHANNEL, NULL);
  s->cancellable = g_cancellable_new ();

  self = g_object_new (ASGIREF_TYPE_COMMUNICATOR, NULL);
  self->application = g_object_ref (application);
  self->context = asgiref_context_capture ();
  self->main_context = g_main_context_ref_thread_default ();
  self->state = s;

  pump (s);
  data.self = self;
  data.scope = scope;
  asgiref_context_run (self->context, start_instance, &data);

  return self;
}

/**
 * asgiref_communicator_get_context:
 * @self: a #AsgirefCommunicator
 *
 * Gets the context the instance was started in: a copy of the context that
 * was current when @self was created. Values the application sets there
 * are visible through it, and it never shares them with the test's own
 * context.
 *
 * Returns: (transfer none): the instance's context
 */
AsgirefContext *
asgiref_communicator_get_context (AsgirefCommunicator *self)
{
  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), NULL);

  return self->context;
}

/**
 * asgiref_communicator_send_input:
 * @self: a #AsgirefCommunicator
 * @message: a message for the application; the communicator keeps a
 *   reference until the application received it
 * @error: return location for a #GError
 *
 * Queues @message for the application's next receive. The queue has no
 * bound, so this never waits.
 *
 * Fails with %ASGIREF_ERROR_INVALID_MESSAGE for a message that is not
 * valid ASGI.
 *
 * Returns: %TRUE if @message was queued
 */
gboolean
asgiref_communicator_send_input (AsgirefCommunicator  *self,
                                 AsgirefMessage       *message,
                                 GError              **error)
{
  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  return asgiref_channel_put_input (self->state->channel, message, error);
}

static AsgirefTimeout *
timeout_for (gint64        timeout_us,
             GCancellable *cancellable)
{
  if (timeout_us < 0)
    return asgiref_timeout_new_infinite (cancellable);
  return asgiref_timeout_new (timeout_us, cancellable);
}

static void
on_output_received (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AsgirefCommunicator *self = g_task_get_source_object (task);
  AsgirefTimeout *timeout = g_task_get_task_data (task);
  State *s = self->state;
  AsgirefMessage *message;
  GError *error = NULL;
  gboolean failed;

  message = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, &error);
  if (message != NULL)
    {
      g_task_return_pointer (task, message, (GDestroyNotify) asgiref_message_unref);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    {
      g_clear_error (&error);
      _asgiref_mutex_lock (&s->lock);
      failed = state_failed_locked (s, &error);
      _asgiref_mutex_unlock (&s->lock);
      if (!failed)
        error = g_error_new_literal (ASGIREF_ERROR, ASGIREF_ERROR_FINISHED,
                                     _("The ASGI application returned without sending another message"));
    }
  else if (asgiref_timeout_get_expired (timeout))
    {
      /* asgiref cancels an instance that keeps a test waiting, unless it
       * failed meanwhile: then its error is the news. */
      g_clear_error (&error);
      _asgiref_mutex_lock (&s->lock);
      failed = state_failed_locked (s, &error);
      _asgiref_mutex_unlock (&s->lock);
      if (!failed)
        {
          g_cancellable_cancel (s->cancellable);
          error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                       _("The ASGI application sent nothing in time"));
        }
    }

  g_task_return_error (task, error);
}

/**
 * asgiref_communicator_receive_output_async:
 * @self: a #AsgirefCommunicator
 * @timeout_us: how long to wait, in microseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the message
 * @user_data: (closure callback): data for @callback
 *
 * Receives the next message the application sent, waiting up to
 * @timeout_us for one.
 *
 * Messages it sent before it ended are still received. After them, fails
 * with the application's error if it failed, or %ASGIREF_ERROR_FINISHED if
 * it returned. When nothing arrives in time, fails with
 * %G_IO_ERROR_TIMED_OUT and cancels the instance, as asgiref does.
 */
void
asgiref_communicator_receive_output_async (AsgirefCommunicator *self,
                                           gint64               timeout_us,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  AsgirefTimeout *timeout;

  g_return_if_fail (ASGIREF_IS_COMMUNICATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = asgiref_context_create_task (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, asgiref_communicator_receive_output_async);
  timeout = timeout_for (timeout_us, cancellable);
  g_task_set_task_data (task, timeout, g_object_unref);

  asgiref_channel_receive_async (self->state->outputs,
                                 asgiref_timeout_get_cancellable (timeout),
                                 on_output_received, g_object_ref (task));
}

/**
 * asgiref_communicator_receive_output_finish:
 * @self: a #AsgirefCommunicator
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Asgiref.Communicator.receive_output_async].
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
AsgirefMessage *
asgiref_communicator_receive_output_finish (AsgirefCommunicator  *self,
                                            GAsyncResult         *result,
                                            GError              **error)
{
  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  gint64 deadline;
  gint64 interval_us;
  GSource *timer;
} Quiet;

static void
quiet_free (gpointer data)
{
  Quiet *quiet = data;

  if (quiet->timer != NULL)
    {
      g_source_destroy (quiet->timer);
      g_source_unref (quiet->timer);
    }
  g_free (quiet);
}

static gboolean
quiet_check (gpointer user_data)
{
  GTask *task = user_data;
  AsgirefCommunicator *self = g_task_get_source_object (task);
  Quiet *quiet = g_task_get_task_data (task);
  gint64 now;

  if (_asgiref_channel_has_input (self->state->outputs))
    {
      g_task_return_boolean (task, FALSE);
      return G_SOURCE_REMOVE;
    }
  if (g_task_return_error_if_cancelled (task))
    return G_SOURCE_REMOVE;

  now = g_get_monotonic_time ();
  if (now >= quiet->deadline)
    {
      g_task_return_boolean (task, TRUE);
      return G_SOURCE_REMOVE;
    }

  g_source_set_ready_time (quiet->timer, MIN (now + quiet->interval_us, quiet->deadline));
  return G_SOURCE_CONTINUE;
}

/**
 * asgiref_communicator_receive_nothing_async:
 * @self: a #AsgirefCommunicator
 * @timeout_us: how long the application must stay quiet, in microseconds
 * @interval_us: how often to look, in microseconds
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: (closure callback): data for @callback
 *
 * Checks that the application sends nothing for @timeout_us, looking every
 * @interval_us and answering at the first look that finds a message, as
 * asgiref's `receive_nothing()` does. What arrived stays queued for
 * [method@Asgiref.Communicator.receive_output].
 *
 * Fails at once with the application's error if it failed.
 */
void
asgiref_communicator_receive_nothing_async (AsgirefCommunicator *self,
                                            gint64               timeout_us,
                                            gint64               interval_us,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GMainContext) main_context = NULL;
  GError *error = NULL;
  Quiet *quiet;
  gboolean failed;

  g_return_if_fail (ASGIREF_IS_COMMUNICATOR (self));
  g_return_if_fail (timeout_us >= 0);
  g_return_if_fail (interval_us > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = asgiref_context_create_task (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, asgiref_communicator_receive_nothing_async);

  _asgiref_mutex_lock (&self->state->lock);
  failed = state_failed_locked (self->state, &error);
  _asgiref_mutex_unlock (&self->state->lock);
  if (failed)
    {
      g_task_return_error (task, error);
      return;
    }

  quiet = g_new0 (Quiet, 1);
  quiet->deadline = g_get_monotonic_time () + timeout_us;
  quiet->interval_us = interval_us;
  quiet->timer = g_timeout_source_new (0);
  g_task_set_task_data (task, quiet, quiet_free);

  /* Looks at once (at the next iteration), then every interval. */
  g_source_set_static_name (quiet->timer, "[asgiref] communicator receive_nothing");
  g_source_set_callback (quiet->timer, quiet_check, g_object_ref (task), g_object_unref);
  main_context = g_main_context_ref_thread_default ();
  g_source_attach (quiet->timer, main_context);
}

/**
 * asgiref_communicator_receive_nothing_finish:
 * @self: a #AsgirefCommunicator
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Asgiref.Communicator.receive_nothing_async].
 *
 * Returns: %TRUE if the application sent nothing; %FALSE if it sent
 *   something, or with @error set if it failed or the call was cancelled
 */
gboolean
asgiref_communicator_receive_nothing_finish (AsgirefCommunicator  *self,
                                             GAsyncResult         *result,
                                             GError              **error)
{
  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  AsgirefTimeout *timeout;
  gboolean timed_out;
} Wait;

static void
wait_free (gpointer data)
{
  Wait *wait = data;

  g_object_unref (wait->timeout);
  g_free (wait);
}

/* A wait is a receive on the ended channel, which nothing feeds: it fails
 * with G_IO_ERROR_CLOSED once the instance ended, or with
 * G_IO_ERROR_CANCELLED when the timeout (or the caller) cancels it. */
static void
on_ended (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AsgirefCommunicator *self = g_task_get_source_object (task);
  Wait *wait = g_task_get_task_data (task);
  State *s = self->state;
  g_autoptr(AsgirefMessage) nothing = NULL;
  GError *error = NULL;

  nothing = asgiref_channel_receive_finish (s->ended, result, &error);
  g_assert (nothing == NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (!asgiref_timeout_get_expired (wait->timeout))
        {
          g_task_return_error (task, error);
          return;
        }

      /* As asgiref's wait(): cancel the instance, then wait (with no
       * limit) for it to end. */
      g_clear_error (&error);
      wait->timed_out = TRUE;
      g_cancellable_cancel (s->cancellable);
      asgiref_channel_receive_async (s->ended, NULL, on_ended, g_steal_pointer (&task));
      return;
    }

  /* Closed: the instance ended, and its error no longer changes. */
  g_clear_error (&error);
  _asgiref_mutex_lock (&s->lock);
  state_failed_locked (s, &error);
  _asgiref_mutex_unlock (&s->lock);

  /* As asgiref swallows the CancelledError of an instance it cancelled. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      g_cancellable_is_cancelled (s->cancellable))
    g_clear_error (&error);

  if (wait->timed_out && error == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                             _("The ASGI application did not finish in time"));
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * asgiref_communicator_wait_async:
 * @self: a #AsgirefCommunicator
 * @timeout_us: how long to wait, in microseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the instance ended
 * @user_data: (closure callback): data for @callback
 *
 * Waits for the application instance to end, for up to @timeout_us.
 *
 * If it has not ended by then, cancels it (as asgiref's `wait()` does),
 * waits for it to end, and fails with %G_IO_ERROR_TIMED_OUT. Fails with the
 * application's error if it failed. Cancelling @cancellable ends the wait
 * with %G_IO_ERROR_CANCELLED and leaves the instance running.
 */
void
asgiref_communicator_wait_async (AsgirefCommunicator *self,
                                 gint64               timeout_us,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Wait *wait;

  g_return_if_fail (ASGIREF_IS_COMMUNICATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = asgiref_context_create_task (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, asgiref_communicator_wait_async);
  wait = g_new0 (Wait, 1);
  wait->timeout = timeout_for (timeout_us, cancellable);
  g_task_set_task_data (task, wait, wait_free);

  asgiref_channel_receive_async (self->state->ended,
                                 asgiref_timeout_get_cancellable (wait->timeout),
                                 on_ended, g_object_ref (task));
}

/**
 * asgiref_communicator_wait_finish:
 * @self: a #AsgirefCommunicator
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Asgiref.Communicator.wait_async].
 *
 * Returns: %TRUE if the instance ended normally in time
 */
gboolean
asgiref_communicator_wait_finish (AsgirefCommunicator  *self,
                                  GAsyncResult         *result,
                                  GError              **error)
{
  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The blocking twins. */

typedef void (*StartFunc) (AsgirefCommunicator *self,
                           gint64               timeout_us,
                           gint64               interval_us,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data);

typedef struct
{
  AsgirefCommunicator *self;
  StartFunc start;
  gint64 timeout_us;
  gint64 interval_us;
  GAsyncResult *result;
} SyncCall;

static void
start_receive_output (AsgirefCommunicator *self,
                      gint64               timeout_us,
                      gint64               interval_us,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  asgiref_communicator_receive_output_async (self, timeout_us, cancellable, callback, user_data);
}

static void
start_wait (AsgirefCommunicator *self,
            gint64               timeout_us,
            gint64               interval_us,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  asgiref_communicator_wait_async (self, timeout_us, cancellable, callback, user_data);
}

static void
sync_call_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SyncCall *call = user_data;

  call->result = g_object_ref (result);
}

static void
bridged_call_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_pointer (task, g_object_ref (result), g_object_unref);
}

static void
bridged_call (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SyncCall *call = task_data;

  call->start (call->self, call->timeout_us, call->interval_us, cancellable,
               bridged_call_done, g_object_ref (task));
}

/* Runs @call to the end and returns its result, or NULL with @error set
 * if it could not be waited for. */
static GAsyncResult *
run_sync (SyncCall      *call,
          GCancellable  *cancellable,
          GError       **error)
{
  GMainContext *main_context = call->self->main_context;
  g_autoptr(GAsyncResult) bridged = NULL;

  /* GIO's sync wrapper, on the instance's own main context, so the
   * instance runs while this thread waits. */
  if (!_asgiref_thread_in_async_code () && g_main_context_acquire (main_context))
    {
      g_main_context_push_thread_default (main_context);
      call->start (call->self, call->timeout_us, call->interval_us, cancellable,
                   sync_call_done, call);
      while (call->result == NULL)
        g_main_context_iteration (main_context, TRUE);
      g_main_context_pop_thread_default (main_context);
      g_main_context_release (main_context);
      return call->result;
    }

  /* Another thread runs the instance: wait as the bridge does, which
   * also refuses to block main-loop code. */
  bridged = asgiref_bridge_async_to_sync (asgiref_bridge_get_default (), bridged_call,
                                          call, NULL, cancellable);
  return g_task_propagate_pointer (G_TASK (bridged), error);
}

/**
 * asgiref_communicator_receive_output:
 * @self: a #AsgirefCommunicator
 * @timeout_us: how long to wait, in microseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking twin of [method@Asgiref.Communicator.receive_output_async]
 * (see [class@Asgiref.Communicator] for where it may be called).
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
AsgirefMessage *
asgiref_communicator_receive_output (AsgirefCommunicator  *self,
                                     gint64                timeout_us,
                                     GCancellable         *cancellable,
                                     GError              **error)
{
  SyncCall call = { self, start_receive_output, timeout_us, 0, NULL };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  result = run_sync (&call, cancellable, error);
  if (result == NULL)
    return NULL;
  return asgiref_communicator_receive_output_finish (self, result, error);
}

/**
 * asgiref_communicator_receive_nothing:
 * @self: a #AsgirefCommunicator
 * @timeout_us: how long the application must stay quiet, in microseconds
 * @interval_us: how often to look, in microseconds
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking twin of [method@Asgiref.Communicator.receive_nothing_async]
 * (see [class@Asgiref.Communicator] for where it may be called).
 *
 * Returns: %TRUE if the application sent nothing; %FALSE if it sent
 *   something, or with @error set
 */
gboolean
asgiref_communicator_receive_nothing (AsgirefCommunicator  *self,
                                      gint64                timeout_us,
                                      gint64                interval_us,
                                      GCancellable         *cancellable,
                                      GError              **error)
{
  SyncCall call = { self, asgiref_communicator_receive_nothing_async, timeout_us, interval_us, NULL };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), FALSE);
  g_return_val_if_fail (timeout_us >= 0, FALSE);
  g_return_val_if_fail (interval_us > 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  result = run_sync (&call, cancellable, error);
  if (result == NULL)
    return FALSE;
  return asgiref_communicator_receive_nothing_finish (self, result, error);
}

/**
 * asgiref_communicator_wait:
 * @self: a #AsgirefCommunicator
 * @timeout_us: how long to wait, in microseconds; -1 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking twin of [method@Asgiref.Communicator.wait_async] (see
 * [class@Asgiref.Communicator] for where it may be called).
 *
 * Returns: %TRUE if the instance ended normally in time
 */
gboolean
asgiref_communicator_wait (AsgirefCommunicator  *self,
                           gint64                timeout_us,
                           GCancellable         *cancellable,
                           GError              **error)
{
  SyncCall call = { self, start_wait, timeout_us, 0, NULL };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (ASGIREF_IS_COMMUNICATOR (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  result = run_sync (&call, cancellable, error);
  if (result == NULL)
    return FALSE;
  return asgiref_communicator_wait_finish (self, result, error);
}
