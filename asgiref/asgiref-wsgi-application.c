/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-application.h"
#include "asgiref-bridge.h"
#include "asgiref-bridge-private.h"
#include "asgiref-channel-private.h"
#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message.h"
#include "asgiref-wsgi-application.h"
#include "asgiref-wsgi-private.h"

/**
 * AsgirefWsgiApplication:
 *
 * Serves a synchronous handler ([callback@Asgiref.WsgiHandler]) as an
 * [iface@Asgiref.Application]: asgiref's `WsgiToAsgi` for GLib.
 *
 * Each HTTP request runs the handler once, through
 * [method@Asgiref.Bridge.sync_to_async] on a worker thread of the
 * application's [property@Asgiref.WsgiApplication:bridge] (never on the
 * server's main loop), so a slow handler does not delay other requests;
 * it runs in the request's own [struct@Asgiref.Context], so the request's
 * [class@Asgiref.Local] values are there. With [property@Asgiref.WsgiApplication:thread-sensitive], all
 * handlers run on the one thread of thread-sensitive code instead.
 *
 * The handler gets the request's scope, its body as a blocking
 * #GInputStream fed with the `http.request` messages as they arrive (the
 * handler may start before the whole body came), and an
 * [class@Asgiref.WsgiResponse]:
 *
 * ```c
 * static gboolean
 * hello (AsgirefScope *scope, GInputStream *body, AsgirefWsgiResponse *response,
 *        gpointer user_data, GError **error)
 * {
 *   g_autoptr(GBytes) text = g_bytes_new_static ("Hello\n", 6);
 *
 *   return asgiref_wsgi_response_start (response, 200, NULL, error) &&
 *          asgiref_wsgi_response_write (response, text, NULL, error);
 * }
 *
 * server = asgiref_server_new (asgiref_wsgi_application_new (hello, NULL, NULL));
 * ```
 *
 * A handler that fails before its headers went out gets a 500 from the
 * server, which logs its error; one that fails later has its connection
 * closed. Lifespan and WebSocket scopes are not for WSGI handlers: the
 * lifespan instance ends at once (the server starts without it), and a
 * WebSocket is refused with 403.
 *
 * Handlers run on the bridge's threads, so a handler written in
 * JavaScript cannot be one: GJS refuses calls off its main thread.
 */

struct _AsgirefWsgiApplication
{
  GObject parent_instance;

  AsgirefWsgiHandler handler;
  gpointer user_data;
  GDestroyNotify destroy;
  gboolean thread_sensitive;

  GMutex lock;                /* for bridge: serving threads read it */
  AsgirefBridge *bridge;      /* NULL for the default one */
};

enum {
  PROP_0,
  PROP_THREAD_SENSITIVE,
  PROP_BRIDGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void application_iface_init (AsgirefApplicationInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AsgirefWsgiApplication, asgiref_wsgi_application, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ASGIREF_TYPE_APPLICATION, application_iface_init))

/* ---- Talking to the channel from the handler's thread ------------------- */

typedef struct
{
  AsgirefChannel *channel;
  AsgirefMessage *first;
  AsgirefMessage *last;
} Send;

static void
send_free (gpointer data)
{
  Send *send = data;

  g_object_unref (send->channel);
  g_clear_pointer (&send->first, asgiref_message_unref);
  asgiref_message_unref (send->last);
  g_free (send);
}

/* A send's callback: completes the GTask @data (taken over) with the
 * send's outcome. */
static void
return_sent (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* On the main context: the sends themselves. */
static void
start_send (GTask        *task,
            gpointer      source,
            gpointer      data,
            GCancellable *cancellable)
{
  Send *send = data;

  /* The second fails as the first would, if the client left. */
  if (send->first != NULL)
    asgiref_channel_send_async (send->channel, send->first, NULL, NULL, NULL);
  asgiref_channel_send_async (send->channel, send->last, cancellable, return_sent,
                              g_object_ref (task));
}

gboolean
_asgiref_wsgi_send (AsgirefChannel  *channel,
                    AsgirefMessage  *first,
                    AsgirefMessage  *last,
                    GCancellable    *cancellable,
                    GError         **error)
{
  Send *send = g_new0 (Send, 1);
  g_autoptr(GAsyncResult) result = NULL;

  send->channel = g_object_ref (channel);
  send->first = first != NULL ? asgiref_message_ref (first) : NULL;
  send->last = asgiref_message_ref (last);
  result = asgiref_bridge_async_to_sync (asgiref_bridge_get_default (), start_send,
                                         send, send_free, cancellable);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_received (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;
  AsgirefMessage *message = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, &error);

  if (message != NULL)
    g_task_return_pointer (task, message, (GDestroyNotify) asgiref_message_unref);
  else
    g_task_return_error (task, error);
}

static void
start_receive (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  asgiref_channel_receive_async (data, cancellable, on_received, g_object_ref (task));
}

AsgirefMessage *
_asgiref_wsgi_receive (AsgirefChannel  *channel,
                       GCancellable    *cancellable,
                       GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  result = asgiref_bridge_async_to_sync (asgiref_bridge_get_default (), start_receive,
                                         g_object_ref (channel), g_object_unref, cancellable);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- One request -------------------------------------------------------- */

typedef struct
{
  AsgirefWsgiApplication *self;
  AsgirefScope *scope;
  AsgirefChannel *channel;
  GCancellable *cancellable;     /* the instance's */
  GTask *task;                   /* the instance's */
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->self);
  asgiref_scope_unref (request->scope);
  g_object_unref (request->channel);
  g_clear_object (&request->cancellable);
  g_object_unref (request->task);
  g_free (request);
}

/*
 * On the bridge's thread: the handler, and all that goes with it that
 * does not need the server's thread, which serves every request and so
 * is the one to spare: the body and response objects are made and
 * dropped here, and what is left of the response (the headers, if no
 * body went out, and the end of the body) is sent from here, as the last
 * write is, without waiting: nothing follows it that would wait for the
 * client.
 */
static void
run_handler (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  Request *request = data;
  AsgirefWsgiApplication *self = request->self;
  g_autoptr(GInputStream) body = _asgiref_wsgi_input_new (request->channel, request->cancellable);
  g_autoptr(AsgirefWsgiResponse) response = _asgiref_wsgi_response_new (request->channel,
                                                                        request->cancellable);
  GError *error = NULL;

  if (!self->handler (request->scope, body, response, self->user_data, &error))
    {
      if (error == NULL)
        error = g_error_new_literal (ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                                     _("The WSGI handler failed without saying why"));
      g_task_return_error (task, error);
      return;
    }
  if (!_asgiref_wsgi_response_conclude (response, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* Any pointer but NULL: the bridge's finish gives it back as success. */
  g_task_return_pointer (task, GINT_TO_POINTER (TRUE), NULL);
}

/* Back on the server's main context. */
static void
on_handler_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Request *request = data;
  GError *error = NULL;

  /* The server answers 500, or closes the connection once the response
   * began, and logs the error. */
  if (asgiref_bridge_sync_to_async_finish (ASGIREF_BRIDGE (source), result, &error) == NULL)
    g_task_return_error (request->task, error);
  else
    g_task_return_boolean (request->task, TRUE);
  request_free (request);
}

static void
asgiref_wsgi_application_call (AsgirefApplication *application,
                               AsgirefScope       *scope,
                               AsgirefChannel     *channel,
                               GTask              *task)
{
  AsgirefWsgiApplication *self = ASGIREF_WSGI_APPLICATION (application);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(AsgirefBridge) bridge = NULL;
  Request *request;

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      /* Not WSGI's: ending at once declines it. */
      g_task_return_boolean (task, TRUE);
      return;
    }

  request = g_new0 (Request, 1);
  request->self = g_object_ref (self);
  request->scope = asgiref_scope_ref (scope);
  request->channel = g_object_ref (channel);
  request->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  request->task = g_object_ref (task);
  g_mutex_lock (&self->lock);
  bridge = g_object_ref (self->bridge != NULL ? self->bridge : asgiref_bridge_get_default ());
  g_mutex_unlock (&self->lock);
  /* A server's requests, from its main context: those one poll() found
   * cost it one wake-up of the bridge's threads. */
  _asgiref_bridge_sync_to_async_batched (bridge, run_handler, request, NULL,
                                         self->thread_sensitive ? ASGIREF_SYNC_FLAGS_NONE
                                                                : ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE,
                                         cancellable, on_handler_done, request,
                                         _asgiref_channel_get_sink_context (channel));
}

static void
application_iface_init (AsgirefApplicationInterface *iface)
{
  iface->call = asgiref_wsgi_application_call;
}

/* ---- The object --------------------------------------------------------- */

static void
asgiref_wsgi_application_finalize (GObject *object)
{
  AsgirefWsgiApplication *self = ASGIREF_WSGI_APPLICATION (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_clear_object (&self->bridge);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (asgiref_wsgi_application_parent_class)->finalize (object);
}

static void
asgiref_wsgi_application_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  AsgirefWsgiApplication *self = ASGIREF_WSGI_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_THREAD_SENSITIVE:
      g_value_set_boolean (value, self->thread_sensitive);
      break;
    case PROP_BRIDGE:
      g_value_take_object (value, asgiref_wsgi_application_get_bridge (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_wsgi_application_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  AsgirefWsgiApplication *self = ASGIREF_WSGI_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_THREAD_SENSITIVE:
      asgiref_wsgi_application_set_thread_sensitive (self, g_value_get_boolean (value));
      break;
    case PROP_BRIDGE:
      asgiref_wsgi_application_set_bridge (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_wsgi_application_class_init (AsgirefWsgiApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = asgiref_wsgi_application_finalize;
  object_class->get_property = asgiref_wsgi_application_get_property;
  object_class->set_property = asgiref_wsgi_application_set_property;

  /**
   * AsgirefWsgiApplication:thread-sensitive:
   *
   * Whether every handler runs on the one thread of thread-sensitive
   * code ([method@Asgiref.Bridge.sync_to_async] without
   * %ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE), for a handler that is not
   * thread-safe, one request at a time. Off by default: handlers run on
   * the bridge's pool of worker threads, several at once.
   */
  properties[PROP_THREAD_SENSITIVE] =
    g_param_spec_boolean ("thread-sensitive", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefWsgiApplication:bridge:
   *
   * The [class@Asgiref.Bridge] whose worker threads run the handlers;
   * %NULL (the default) for [func@Asgiref.Bridge.get_default]. A bridge
   * of the application's own bounds how many handlers run at once, to
   * its [property@Asgiref.Bridge:max-threads]: more lets more handlers
   * wait on I/O at the same time, fewer costs less where they compete
   * for a lock, such as Python's interpreter lock.
   */
  properties[PROP_BRIDGE] =
    g_param_spec_object ("bridge", NULL, NULL, ASGIREF_TYPE_BRIDGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_wsgi_application_init (AsgirefWsgiApplication *self)
{
  g_mutex_init (&self->lock);
}

/**
 * asgiref_wsgi_application_new:
 * @handler: (scope notified) (closure user_data) (destroy destroy): the
 *   handler, called on a worker thread once per request
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data with the application
 *
 * Creates an application that serves each HTTP request with @handler.
 *
 * Returns: (transfer full): a new application
 */
AsgirefApplication *
asgiref_wsgi_application_new (AsgirefWsgiHandler handler,
                              gpointer           user_data,
                              GDestroyNotify     destroy)
{
  AsgirefWsgiApplication *self;

  g_return_val_if_fail (handler != NULL, NULL);

  self = g_object_new (ASGIREF_TYPE_WSGI_APPLICATION, NULL);
  self->handler = handler;
  self->user_data = user_data;
  self->destroy = destroy;
  return ASGIREF_APPLICATION (self);
}

/**
 * asgiref_wsgi_application_get_thread_sensitive:
 * @self: an application
 *
 * Gets [property@Asgiref.WsgiApplication:thread-sensitive].
 *
 * Returns: whether handlers run on the thread of thread-sensitive code
 */
gboolean
asgiref_wsgi_application_get_thread_sensitive (AsgirefWsgiApplication *self)
{
  g_return_val_if_fail (ASGIREF_IS_WSGI_APPLICATION (self), FALSE);

  return self->thread_sensitive;
}

/**
 * asgiref_wsgi_application_set_thread_sensitive:
 * @self: an application
 * @thread_sensitive: whether handlers run on the thread of
 *   thread-sensitive code
 *
 * Sets [property@Asgiref.WsgiApplication:thread-sensitive], for the
 * requests that arrive from now on.
 */
void
asgiref_wsgi_application_set_thread_sensitive (AsgirefWsgiApplication *self,
                                               gboolean                thread_sensitive)
{
  g_return_if_fail (ASGIREF_IS_WSGI_APPLICATION (self));

  thread_sensitive = !!thread_sensitive;
  if (self->thread_sensitive == thread_sensitive)
    return;

  self->thread_sensitive = thread_sensitive;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THREAD_SENSITIVE]);
}

/**
 * asgiref_wsgi_application_get_bridge:
 * @self: an application
 *
 * Gets [property@Asgiref.WsgiApplication:bridge].
 *
 * Returns: (transfer full) (nullable): the bridge that runs the handlers,
 *   or %NULL for the default one
 */
AsgirefBridge *
asgiref_wsgi_application_get_bridge (AsgirefWsgiApplication *self)
{
  AsgirefBridge *bridge;

  g_return_val_if_fail (ASGIREF_IS_WSGI_APPLICATION (self), NULL);

  g_mutex_lock (&self->lock);
  bridge = self->bridge != NULL ? g_object_ref (self->bridge) : NULL;
  g_mutex_unlock (&self->lock);
  return bridge;
}

/**
 * asgiref_wsgi_application_set_bridge:
 * @self: an application
 * @bridge: (nullable): the bridge whose threads run the handlers, or
 *   %NULL for the default one
 *
 * Sets [property@Asgiref.WsgiApplication:bridge], for the requests that
 * arrive from now on.
 */
void
asgiref_wsgi_application_set_bridge (AsgirefWsgiApplication *self,
                                     AsgirefBridge          *bridge)
{
  gboolean changed;

  g_return_if_fail (ASGIREF_IS_WSGI_APPLICATION (self));
  g_return_if_fail (bridge == NULL || ASGIREF_IS_BRIDGE (bridge));

  g_mutex_lock (&self->lock);
  changed = g_set_object (&self->bridge, bridge);
  g_mutex_unlock (&self->lock);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BRIDGE]);
}
