/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-channel-private.h"
#include "asgiref-context.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-stateless-server.h"

/**
 * AsgirefStatelessServer:
 *
 * The base of a server for an external stream that is not HTTP (a chat
 * protocol, a message bus, a serial line), as asgiref's
 * `StatelessServer`: one application instance per *scope id* (a user, a
 * conversation, a device), created when its first message arrives and
 * kept for the next ones.
 *
 * A subclass implements two virtual functions:
 *
 * - `handle` reads the stream and hands each message to the instance of
 *   its scope id: [method@Asgiref.StatelessServer.get_input_channel]
 *   gives that instance's channel (starting the instance if it has none),
 *   on which the subclass puts the message with
 *   [method@Asgiref.Channel.put_input];
 * - `application_send` takes each message an instance sends, and writes
 *   it to the stream.
 *
 * At most [property@Asgiref.StatelessServer:max-instances] instances live
 * at once: making one more cancels the one used longest ago. A checker,
 * every [property@Asgiref.StatelessServer:checker-interval] milliseconds,
 * lets go of the instances that ended, logging the errors of those that
 * failed; [method@Asgiref.StatelessServer.delete_instance] cancels one at
 * once.
 *
 * [method@Asgiref.StatelessServer.run_async] runs `handle`. When it
 * completes because the stream ended, each WebSocket session gets
 * `websocket.disconnect` (1000) after what it was given, and ends as its
 * client left; any other instance is cancelled, as all are when the run's
 * cancellable was cancelled or `handle` failed. The run completes once
 * they all ended. Each instance runs in a [struct@Asgiref.Context] of its
 * own, a copy of the one current when the server was created.
 *
 * Everything happens on the main context that runs the server, where its
 * methods are called.
 */

typedef struct
{
  gint ref;
  AsgirefStatelessServer *server;  /* not a reference; NULL once let go */
  char *scope_id;
  AsgirefScope *scope;
  AsgirefChannel *channel;
  GCancellable *cancellable;
  guint64 last_used;
  gboolean ended;
  GError *error;                   /* of an instance that failed */
} Instance;

typedef struct
{
  AsgirefApplication *application;
  AsgirefContext *context;         /* instances run in copies of it */
  GHashTable *instances;           /* scope id -> Instance */
  guint64 uses;                    /* counts get_input_channel(), for "oldest" */
  guint max_instances;
  guint checker_interval;          /* ms */
  GSource *checker;
  GTask *run;                      /* while running */
  gboolean handled;                /* handle completed: the instances end */
  GError *handle_error;
} AsgirefStatelessServerPrivate;

enum {
  PROP_0,
  PROP_APPLICATION,
  PROP_MAX_INSTANCES,
  PROP_CHECKER_INTERVAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_MAX_INSTANCES    1000
#define DEFAULT_CHECKER_INTERVAL 100

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (AsgirefStatelessServer, asgiref_stateless_server, G_TYPE_OBJECT)

static void maybe_finish_run (AsgirefStatelessServer *self);

/* ---- Instances ---------------------------------------------------------- */

static Instance *
instance_ref (Instance *instance)
{
  instance->ref++;
  return instance;
}

static void
instance_unref (gpointer data)
{
  Instance *instance = data;

  if (--instance->ref > 0)
    return;
  g_free (instance->scope_id);
  asgiref_scope_unref (instance->scope);
  g_object_unref (instance->channel);
  g_object_unref (instance->cancellable);
  g_clear_error (&instance->error);
  g_free (instance);
}

/* asgiref_application_call_async() tied the channel to the cancellable:
 * the instance's receives and sends fail too. */
static void
instance_cancel (Instance *instance)
{
  g_cancellable_cancel (instance->cancellable);
}

/* The server lets go of @instance: it hears nothing of it any more. */
static void
instance_release (gpointer data)
{
  Instance *instance = data;

  instance->server = NULL;
  instance_unref (instance);
}

static void
on_instance_ended (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  Instance *instance = data;
  GError *error = NULL;

  if (!asgiref_application_call_finish (ASGIREF_APPLICATION (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    instance->error = g_steal_pointer (&error);
  g_clear_error (&error);
  instance->ended = TRUE;
  /* What it still has to send comes out; then its pump stops. */
  _asgiref_channel_end_output (instance->channel);
  instance_unref (instance);
}

static void
on_output (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Instance *instance = data;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  AsgirefStatelessServer *self = instance->server;

  message = asgiref_channel_take_output_finish (ASGIREF_CHANNEL (source), result, &error);
  if (message == NULL || self == NULL)
    {
      /* Ended (G_IO_ERROR_CLOSED), or let go of. */
      instance_unref (instance);
      return;
    }

  if (!ASGIREF_STATELESS_SERVER_GET_CLASS (self)->application_send (self, instance->scope, message, &error))
    {
      g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
             _("Cannot deliver what the application instance of “%s” sent: %s"),
             instance->scope_id, error != NULL ? error->message : _("no reason given"));
      instance_cancel (instance);
    }
  asgiref_channel_take_output_async (instance->channel, NULL, on_output, instance);
}

static void
start_instance (gpointer data)
{
  Instance *instance = data;
  AsgirefStatelessServerPrivate *priv =
    asgiref_stateless_server_get_instance_private (instance->server);

  asgiref_application_call_async (priv->application, instance->scope, instance->channel,
                                  instance->cancellable, on_instance_ended,
                                  instance_ref (instance));
}

/* An instance that ended is let go of: with its error in the log, if it
 * failed. */
static void
log_ended (Instance *instance)
{
  if (instance->error != NULL)
    g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
           _("The application instance of “%s” failed: %s"),
           instance->scope_id, instance->error->message);
}

static void
delete_oldest (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);
  GHashTableIter iter;
  gpointer value;
  Instance *oldest = NULL;

  g_hash_table_iter_init (&iter, priv->instances);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Instance *instance = value;

      if (oldest == NULL || instance->last_used < oldest->last_used)
        oldest = instance;
    }
  if (oldest != NULL)
    asgiref_stateless_server_delete_instance (self, oldest->scope_id);
}

/**
 * asgiref_stateless_server_get_input_channel:
 * @self: a stateless server
 * @scope_id: the id of the instance: a user, a conversation
 * @scope: the scope to start the instance with, if it has none yet
 *
 * Gets the channel of the application instance of @scope_id, starting
 * one for @scope first if there is none (cancelling the one used longest
 * ago when [property@Asgiref.StatelessServer:max-instances] run already).
 * Put the messages for the instance on it with
 * [method@Asgiref.Channel.put_input].
 *
 * A new instance of a `websocket` scope finds `websocket.connect` on its
 * channel first, as the protocol wants: a subclass that models sessions
 * as WebSockets puts only `websocket.receive` messages, and gets the
 * application's `websocket.accept` (or close) in `application_send` like
 * any other message.
 *
 * Returns: (transfer none): the instance's channel
 */
AsgirefChannel *
asgiref_stateless_server_get_input_channel (AsgirefStatelessServer *self,
                                            const char             *scope_id,
                                            AsgirefScope           *scope)
{
  AsgirefStatelessServerPrivate *priv;
  g_autoptr(AsgirefContext) context = NULL;
  Instance *instance;

  g_return_val_if_fail (ASGIREF_IS_STATELESS_SERVER (self), NULL);
  g_return_val_if_fail (scope_id != NULL, NULL);
  g_return_val_if_fail (scope != NULL, NULL);

  priv = asgiref_stateless_server_get_instance_private (self);
  instance = g_hash_table_lookup (priv->instances, scope_id);
  if (instance != NULL && !instance->ended)
    {
      instance->last_used = ++priv->uses;
      return instance->channel;
    }
  if (instance != NULL)
    {
      /* Ended: a new one. */
      log_ended (instance);
      g_hash_table_remove (priv->instances, scope_id);
    }

  while (priv->max_instances > 0 && g_hash_table_size (priv->instances) >= priv->max_instances)
    delete_oldest (self);

  instance = g_new0 (Instance, 1);
  instance->ref = 1;   /* the table's */
  instance->server = self;
  instance->scope_id = g_strdup (scope_id);
  instance->scope = asgiref_scope_ref (scope);
  instance->channel = asgiref_channel_new (scope);
  instance->cancellable = g_cancellable_new ();
  instance->last_used = ++priv->uses;
  g_hash_table_insert (priv->instances, instance->scope_id, instance);

  if (asgiref_scope_get_kind (scope) == ASGIREF_SCOPE_WEBSOCKET)
    {
      g_autoptr(AsgirefMessage) connect = asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_CONNECT);

      asgiref_channel_put_input (instance->channel, connect, NULL);
    }
  asgiref_channel_take_output_async (instance->channel, NULL, on_output, instance_ref (instance));
  context = asgiref_context_copy (priv->context);
  asgiref_context_run (context, start_instance, instance);
  return instance->channel;
}

/**
 * asgiref_stateless_server_delete_instance:
 * @self: a stateless server
 * @scope_id: the id of an instance
 *
 * Cancels the application instance of @scope_id (its receives and sends
 * fail with %G_IO_ERROR_CANCELLED) and lets go of it: what it sends from
 * now on is dropped.
 *
 * Returns: whether @scope_id had an instance
 */
gboolean
asgiref_stateless_server_delete_instance (AsgirefStatelessServer *self,
                                          const char             *scope_id)
{
  AsgirefStatelessServerPrivate *priv;
  Instance *instance;

  g_return_val_if_fail (ASGIREF_IS_STATELESS_SERVER (self), FALSE);
  g_return_val_if_fail (scope_id != NULL, FALSE);

  priv = asgiref_stateless_server_get_instance_private (self);
  instance = g_hash_table_lookup (priv->instances, scope_id);
  if (instance == NULL)
    return FALSE;
  instance_cancel (instance);
  g_hash_table_remove (priv->instances, scope_id);
  maybe_finish_run (self);
  return TRUE;
}

/**
 * asgiref_stateless_server_get_n_instances:
 * @self: a stateless server
 *
 * Counts the application instances the server holds: the running ones,
 * and the ended ones the checker did not let go of yet.
 *
 * Returns: how many instances the server holds
 */
guint
asgiref_stateless_server_get_n_instances (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv;

  g_return_val_if_fail (ASGIREF_IS_STATELESS_SERVER (self), 0);

  priv = asgiref_stateless_server_get_instance_private (self);
  return g_hash_table_size (priv->instances);
}

/* ---- The checker -------------------------------------------------------- */

static gboolean
check_instances (gpointer data)
{
  AsgirefStatelessServer *self = data;
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, priv->instances);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Instance *instance = value;

      if (!instance->ended)
        continue;
      log_ended (instance);
      g_hash_table_iter_remove (&iter);
    }
  maybe_finish_run (self);
  return G_SOURCE_CONTINUE;
}

static void
start_checker (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);

  priv->checker = g_timeout_source_new (priv->checker_interval);
  g_source_set_static_name (priv->checker, "[asgiref] stateless server checker");
  g_source_set_callback (priv->checker, check_instances, self, NULL);
  g_source_attach (priv->checker, g_main_context_get_thread_default ());
}

static void
stop_checker (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);

  if (priv->checker == NULL)
    return;
  g_source_destroy (priv->checker);
  g_clear_pointer (&priv->checker, g_source_unref);
}

/* ---- Running ------------------------------------------------------------ */

/* Once handle completed and every instance ended and was let go of. */
static void
maybe_finish_run (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);
  g_autoptr(GTask) run = NULL;

  if (priv->run == NULL || !priv->handled || g_hash_table_size (priv->instances) > 0)
    return;

  run = g_steal_pointer (&priv->run);
  stop_checker (self);
  priv->handled = FALSE;
  if (priv->handle_error != NULL)
    g_task_return_error (run, g_steal_pointer (&priv->handle_error));
  else
    g_task_return_boolean (run, TRUE);
}

static void
on_handled (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  AsgirefStatelessServer *self = ASGIREF_STATELESS_SERVER (source);
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);
  GHashTableIter iter;
  gpointer value;

  gboolean stopped = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &priv->handle_error) &&
      g_error_matches (priv->handle_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&priv->handle_error);   /* a stop, not a failure */
      stopped = TRUE;
    }

  /* The instances still running end now; the checker lets go of them.
   * Where the stream just ended, a WebSocket session first reads what it
   * was given, then hears that its client left. */
  priv->handled = TRUE;
  g_hash_table_iter_init (&iter, priv->instances);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Instance *instance = value;

      if (!stopped && priv->handle_error == NULL &&
          asgiref_scope_get_kind (instance->scope) == ASGIREF_SCOPE_WEBSOCKET)
        {
          g_autoptr(AsgirefMessage) gone = asgiref_message_new_websocket_disconnect (1000);

          if (asgiref_channel_put_input (instance->channel, gone, NULL))
            continue;
        }
      instance_cancel (instance);
    }
  maybe_finish_run (self);
}

/**
 * asgiref_stateless_server_run_async:
 * @self: a stateless server
 * @cancellable: (nullable): stops the server: the `handle` virtual
 *   function gets it, and should complete once it is cancelled
 * @callback: (scope async): called when the server stopped
 * @user_data: (closure callback): data for @callback
 *
 * Runs the server: starts the checker and calls `handle`. When `handle`
 * completed, the instances still running end (WebSocket sessions hear
 * `websocket.disconnect` after their last input when the stream ended;
 * the others are cancelled), and the run completes once they all ended:
 * with `handle`'s error if it failed, successfully if it completed or
 * was cancelled.
 */
void
asgiref_stateless_server_run_async (AsgirefStatelessServer *self,
                                    GCancellable           *cancellable,
                                    GAsyncReadyCallback     callback,
                                    gpointer                user_data)
{
  AsgirefStatelessServerPrivate *priv;
  g_autoptr(GTask) task = NULL;
  GTask *handle;

  g_return_if_fail (ASGIREF_IS_STATELESS_SERVER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = asgiref_stateless_server_get_instance_private (self);
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, asgiref_stateless_server_run_async);
  if (priv->run != NULL)
    {
      g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_FAILED, "%s",
                               _("The server runs already"));
      return;
    }
  if (ASGIREF_STATELESS_SERVER_GET_CLASS (self)->handle == NULL ||
      ASGIREF_STATELESS_SERVER_GET_CLASS (self)->application_send == NULL)
    {
      g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                               _("%s does not implement handle and application_send"),
                               G_OBJECT_TYPE_NAME (self));
      return;
    }

  priv->run = g_steal_pointer (&task);
  start_checker (self);
  handle = g_task_new (self, cancellable, on_handled, NULL);
  g_task_set_check_cancellable (handle, FALSE);
  ASGIREF_STATELESS_SERVER_GET_CLASS (self)->handle (self, handle);
  g_object_unref (handle);
}

/**
 * asgiref_stateless_server_run_finish:
 * @self: a stateless server
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes [method@Asgiref.StatelessServer.run_async].
 *
 * Returns: whether the server ran and stopped without an error of `handle`
 */
gboolean
asgiref_stateless_server_run_finish (AsgirefStatelessServer  *self,
                                     GAsyncResult            *result,
                                     GError                 **error)
{
  g_return_val_if_fail (ASGIREF_IS_STATELESS_SERVER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- The object --------------------------------------------------------- */

/**
 * asgiref_stateless_server_get_application:
 * @self: a stateless server
 *
 * Gets the application whose instances the server runs.
 *
 * Returns: (transfer none): the application
 */
AsgirefApplication *
asgiref_stateless_server_get_application (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv;

  g_return_val_if_fail (ASGIREF_IS_STATELESS_SERVER (self), NULL);

  priv = asgiref_stateless_server_get_instance_private (self);
  return priv->application;
}

/**
 * asgiref_stateless_server_get_max_instances:
 * @self: a stateless server
 *
 * Gets [property@Asgiref.StatelessServer:max-instances].
 *
 * Returns: how many instances may live at once; 0 for no limit
 */
guint
asgiref_stateless_server_get_max_instances (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv;

  g_return_val_if_fail (ASGIREF_IS_STATELESS_SERVER (self), 0);

  priv = asgiref_stateless_server_get_instance_private (self);
  return priv->max_instances;
}

/**
 * asgiref_stateless_server_set_max_instances:
 * @self: a stateless server
 * @max_instances: how many instances may live at once; 0 for no limit
 *
 * Sets [property@Asgiref.StatelessServer:max-instances], for the
 * instances started from now on.
 */
void
asgiref_stateless_server_set_max_instances (AsgirefStatelessServer *self,
                                            guint                   max_instances)
{
  AsgirefStatelessServerPrivate *priv;

  g_return_if_fail (ASGIREF_IS_STATELESS_SERVER (self));

  priv = asgiref_stateless_server_get_instance_private (self);
  if (priv->max_instances == max_instances)
    return;
  priv->max_instances = max_instances;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_INSTANCES]);
}

/**
 * asgiref_stateless_server_get_checker_interval:
 * @self: a stateless server
 *
 * Gets [property@Asgiref.StatelessServer:checker-interval].
 *
 * Returns: the checker's interval, in milliseconds
 */
guint
asgiref_stateless_server_get_checker_interval (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv;

  g_return_val_if_fail (ASGIREF_IS_STATELESS_SERVER (self), 0);

  priv = asgiref_stateless_server_get_instance_private (self);
  return priv->checker_interval;
}

/**
 * asgiref_stateless_server_set_checker_interval:
 * @self: a stateless server that does not run
 * @interval_ms: the checker's interval, in milliseconds
 *
 * Sets [property@Asgiref.StatelessServer:checker-interval], for the next
 * run.
 */
void
asgiref_stateless_server_set_checker_interval (AsgirefStatelessServer *self,
                                               guint                   interval_ms)
{
  AsgirefStatelessServerPrivate *priv;

  g_return_if_fail (ASGIREF_IS_STATELESS_SERVER (self));
  g_return_if_fail (interval_ms > 0);

  priv = asgiref_stateless_server_get_instance_private (self);
  if (priv->checker_interval == interval_ms)
    return;
  priv->checker_interval = interval_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKER_INTERVAL]);
}

static void
asgiref_stateless_server_dispose (GObject *object)
{
  AsgirefStatelessServer *self = ASGIREF_STATELESS_SERVER (object);
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);
  GHashTableIter iter;
  gpointer value;

  stop_checker (self);
  g_hash_table_iter_init (&iter, priv->instances);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    instance_cancel (value);
  g_hash_table_remove_all (priv->instances);
  g_clear_object (&priv->application);

  G_OBJECT_CLASS (asgiref_stateless_server_parent_class)->dispose (object);
}

static void
asgiref_stateless_server_finalize (GObject *object)
{
  AsgirefStatelessServer *self = ASGIREF_STATELESS_SERVER (object);
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);

  g_hash_table_unref (priv->instances);
  asgiref_context_unref (priv->context);
  g_clear_error (&priv->handle_error);

  G_OBJECT_CLASS (asgiref_stateless_server_parent_class)->finalize (object);
}

static void
asgiref_stateless_server_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  AsgirefStatelessServer *self = ASGIREF_STATELESS_SERVER (object);
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, priv->application);
      break;
    case PROP_MAX_INSTANCES:
      g_value_set_uint (value, priv->max_instances);
      break;
    case PROP_CHECKER_INTERVAL:
      g_value_set_uint (value, priv->checker_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_stateless_server_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  AsgirefStatelessServer *self = ASGIREF_STATELESS_SERVER (object);
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      priv->application = g_value_dup_object (value);
      break;
    case PROP_MAX_INSTANCES:
      asgiref_stateless_server_set_max_instances (self, g_value_get_uint (value));
      break;
    case PROP_CHECKER_INTERVAL:
      asgiref_stateless_server_set_checker_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_stateless_server_class_init (AsgirefStatelessServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = asgiref_stateless_server_dispose;
  object_class->finalize = asgiref_stateless_server_finalize;
  object_class->get_property = asgiref_stateless_server_get_property;
  object_class->set_property = asgiref_stateless_server_set_property;

  /**
   * AsgirefStatelessServer:application:
   *
   * The application whose instances the server runs, one per scope id.
   */
  properties[PROP_APPLICATION] =
    g_param_spec_object ("application", NULL, NULL, ASGIREF_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefStatelessServer:max-instances:
   *
   * How many application instances may live at once; 0 for no limit. The
   * default is 1000, as asgiref's. Starting one more cancels the one used
   * longest ago.
   */
  properties[PROP_MAX_INSTANCES] =
    g_param_spec_uint ("max-instances", NULL, NULL, 0, G_MAXUINT, DEFAULT_MAX_INSTANCES,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefStatelessServer:checker-interval:
   *
   * How often, in milliseconds, the server lets go of the instances that
   * ended and logs the errors of those that failed. The default is 100.
   */
  properties[PROP_CHECKER_INTERVAL] =
    g_param_spec_uint ("checker-interval", NULL, NULL, 1, G_MAXUINT, DEFAULT_CHECKER_INTERVAL,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_stateless_server_init (AsgirefStatelessServer *self)
{
  AsgirefStatelessServerPrivate *priv = asgiref_stateless_server_get_instance_private (self);

  priv->context = asgiref_context_capture ();
  priv->instances = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, instance_release);
  priv->max_instances = DEFAULT_MAX_INSTANCES;
  priv->checker_interval = DEFAULT_CHECKER_INTERVAL;
}
