/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "asgiref-accept-loop-private.h"
#include "asgiref-channel-private.h"
#include "asgiref-connection-private.h"
#include "asgiref-context.h"
#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-http-exchange-private.h"
#include "asgiref-server-private.h"
#include "asgiref-websocket-exchange-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message.h"
#include "asgiref-message-private.h"
#include "asgiref-scope.h"
#include "asgiref-server.h"
#include "asgiref-task-private.h"

/**
 * AsgirefServer:
 *
 * Serves an [iface@Asgiref.Application] over HTTP/1.1 with libsoup, on
 * the main context of the thread that creates it.
 *
 * Each request becomes an `http` scope and one application instance, in a
 * [struct@Asgiref.Context] of its own (a copy of the one current when the
 * server was created), so concurrent requests never see each other's
 * [class@Asgiref.Local] values. The request body reaches the application
 * as it arrives, in `http.request` chunks. The response goes out as the
 * application sends it: a body that comes whole in its first
 * `http.response.body` is framed with `Content-Length` and written at
 * once, as a bare libsoup handler would; a streamed one goes chunked
 * (unless the application framed it), and each of its sends completes
 * only once libsoup wrote the chunk, so an application streaming a large
 * body keeps memory flat. Body bytes are the application's own
 * [struct@GLib.Bytes], never copied. A client that leaves produces
 * `http.disconnect`, as does a receive after the response was sent.
 *
 * ```c
 * static void
 * on_started (GObject *source, GAsyncResult *result, gpointer data)
 * {
 *   AsgirefServer *server = ASGIREF_SERVER (source);
 *   g_autoptr(GError) error = NULL;
 *
 *   // Listen once the application is ready (lifespan startup done).
 *   if (!asgiref_server_start_finish (server, result, &error) ||
 *       !asgiref_server_listen_local (server, 8000, &error))
 *     g_error ("%s", error->message);
 * }
 *
 * g_autoptr(AsgirefServer) server = asgiref_server_new (application);
 *
 * asgiref_server_start_async (server, NULL, on_started, NULL);
 * g_main_loop_run (loop);
 * ...
 * asgiref_server_stop_async (server, timeout_cancellable, on_stopped, NULL);
 * ```
 *
 * The lifespan protocol runs in [method@Asgiref.Server.start_async] and
 * [method@Asgiref.Server.stop_async]. An application that does not speak
 * it (its lifespan instance ends without answering `lifespan.startup`) is
 * served all the same, as uvicorn's `lifespan="auto"` does.
 *
 * A misbehaving application never takes the server down: an instance that
 * fails, sends a message the protocol does not allow, or returns without
 * a response gets a 500 (or, once its response went out in part, its
 * connection closed) and a warning in the log, and the server goes on
 * serving. A response it completed before failing stands, and the
 * failure is still logged.
 *
 * All of the server's methods are called on the main context it was
 * created on, and its callbacks run there; the application's may complete
 * from any thread, as [iface@Asgiref.Application] allows. A thread-safe
 * application can be served on several threads at once: see
 * [property@Asgiref.Server:serving-threads].
 */

/*
 * One SoupServer and what it serves, on one main context. A server has one
 * on its own main context, which serves when there is one serving thread;
 * with more, each thread has one of its own and the server's own serves
 * nothing (its SoupServer only holds the TLS settings the others take).
 * Everything in it but the fixed fields is used on its main context only.
 */
typedef struct
{
  AsgirefServer *server;         /* a reference, for a thread's loop */
  GMainContext *context;
  SoupServer *soup;
  GPtrArray *accept_loops;       /* AsgirefAcceptLoop: one per listening socket */
  GQueue http_exchanges;         /* the live ones, linked through their own links */
  GQueue websocket_exchanges;
  AsgirefHttpWatches *watches;   /* of their sockets */
  GHashTable *connections;       /* AsgirefConnection *: accepted, not closed */
  guint over_limit;              /* 503s not yet in a log line */
  gint64 over_limit_logged;      /* when the last such line went out */
  GThread *thread;               /* NULL for the server's own */
  gboolean shutting_down;        /* a thread's: it ends once its exchanges did */
} ServingLoop;

struct _AsgirefServer
{
  GObject parent_instance;

  /* Fixed at construction. */
  AsgirefApplication *application;
  SoupServer *soup;
  GMainContext *main_context;
  AsgirefContext *context;       /* instances run in copies of it */

  /* Settings: serving threads read them without a lock, so they are fixed
   * once the threads run. */
  guint64 max_request_body_size;
  guint response_timeout;        /* seconds; 0: none */
  guint header_timeout;          /* seconds; 0: none */
  guint keep_alive_timeout;      /* seconds; 0: none */
  guint max_instances;           /* 0: no limit */
  gboolean access_log;
  char *root_path;               /* nullable: none */
  guint64 max_websocket_message_size;
  guint serving_threads;

  guint port;                    /* of the first IP socket listened on */
  GPtrArray *listeners;          /* GSocket: the listening sockets */
  GPtrArray *loops;              /* ServingLoop: the server's own first */
  gint n_instances;              /* atomic: running instances, on every loop */
  gint n_connections;            /* atomic: open connections, on every loop */
  gint stopping;                 /* atomic: stop_async() was called */

  /* The lifespan instance, while it runs. */
  AsgirefChannel *lifespan;
  GCancellable *lifespan_cancellable;
  gboolean lifespan_ended;
  gboolean lifespan_shutting_down;

  /* Stopping: new requests get a 503 while the live ones end, then the
   * lifespan shuts down, then the loops close. */
  GTask *stop_task;
  gulong stop_handler;
  GTask *closing_task;           /* stop_task, once the loops close */
  GError *closing_error;
};

enum {
  PROP_0,
  PROP_APPLICATION,
  PROP_SOUP_SERVER,
  PROP_MAX_REQUEST_BODY_SIZE,
  PROP_RESPONSE_TIMEOUT,
  PROP_HEADER_TIMEOUT,
  PROP_KEEP_ALIVE_TIMEOUT,
  PROP_MAX_INSTANCES,
  PROP_ACCESS_LOG,
  PROP_ROOT_PATH,
  PROP_MAX_WEBSOCKET_MESSAGE_SIZE,
  PROP_SERVING_THREADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A server at its limit refuses many requests a second: one line for
 * them all, at most this often. */
#define OVER_LIMIT_LOG_INTERVAL (10 * G_USEC_PER_SEC)

/* Long enough for a slow client on a slow network, short enough that
 * clients which never finish (or never leave) do not pile up. */
#define DEFAULT_HEADER_TIMEOUT     30
#define DEFAULT_KEEP_ALIVE_TIMEOUT 60
/* Far more than cores: a thread per connection is not the design. */
#define MAX_SERVING_THREADS 256
/* As uvicorn's; libsoup's own is 128 KiB. */
#define DEFAULT_MAX_WEBSOCKET_MESSAGE_SIZE (16 * 1024 * 1024)

G_DEFINE_FINAL_TYPE (AsgirefServer, asgiref_server, G_TYPE_OBJECT)

/* ---- Requests ----------------------------------------------------------- */

static void stop_lifespan (AsgirefServer *self);

/* Stopping, and no instance runs any more: time for the lifespan's
 * shutdown, once. */
static void
shut_down_when_idle (AsgirefServer *self)
{
  if (self->stop_task == NULL || self->lifespan_shutting_down ||
      g_atomic_int_get (&self->n_instances) != 0)
    return;
  stop_lifespan (self);
}

static gboolean
shut_down_when_idle_posted (gpointer data)
{
  AsgirefServer *self = data;

  _asgiref_main_context_received (self);
  shut_down_when_idle (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
instance_ended (ServingLoop *loop)
{
  AsgirefServer *self = loop->server;

  if (!g_atomic_int_dec_and_test (&self->n_instances) || !g_atomic_int_get (&self->stopping))
    return;
  if (loop->thread == NULL)
    shut_down_when_idle (self);
  else
    _asgiref_main_context_post (self->main_context, "[asgiref] server instances ended",
                                shut_down_when_idle_posted, g_object_ref (self));
}

static void
on_http_exchange_done (gpointer exchange,
                       gpointer data)
{
  ServingLoop *loop = data;
  AsgirefServer *self = loop->server;

  g_queue_unlink (&loop->http_exchanges, _asgiref_http_exchange_get_link (exchange));
  instance_ended (loop);
  g_object_unref (self);
}

static void
on_websocket_exchange_done (gpointer exchange,
                            gpointer data)
{
  ServingLoop *loop = data;
  AsgirefServer *self = loop->server;

  g_queue_unlink (&loop->websocket_exchanges, _asgiref_websocket_exchange_get_link (exchange));
  instance_ended (loop);
  g_object_unref (self);
}

/* A request beyond max-instances: 503, and a line in the log that counts
 * them, so that an operator sees the limit bite without a line for each. */
static void
refuse_over_limit (ServingLoop       *loop,
                   SoupServerMessage *msg)
{
  gint64 now = g_get_monotonic_time ();

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
  _asgiref_http_refuse (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);

  loop->over_limit++;
  if (loop->over_limit_logged != 0 && now - loop->over_limit_logged < OVER_LIMIT_LOG_INTERVAL)
    return;
  g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
         _("Requests answered 503 since the last report, with max-instances (%u) running: %u"),
         loop->server->max_instances, loop->over_limit);
  loop->over_limit = 0;
  loop->over_limit_logged = now;
}

static void
on_request_headers (SoupServer        *soup,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           data)
{
  ServingLoop *loop = data;
  AsgirefServer *self = loop->server;
  AsgirefConnection *connection = _asgiref_connection_of_message (msg);
  g_auto(AsgirefHttpRequestHead) head = { NULL, };
  AsgirefHttpExchangeConfig config;
  gpointer exchange;
  GQueue *exchanges;
  GList *link;
  guint running;

  /* What libsoup parsed from a connection that timed out, or whose client
   * left: not a request anyone sent in full. */
  if (connection != NULL && !_asgiref_connection_headers_read (connection))
    {
      _asgiref_http_refuse (msg, SOUP_STATUS_REQUEST_TIMEOUT, NULL);
      return;
    }

  _asgiref_http_request_head_read (msg, &head);
  if (!head.framing_unambiguous)
    {
      _asgiref_http_refuse (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }

  /* Counted before the stop is checked, as stop_async() sets the stop
   * before it counts: on another thread, one of the two sees the other. */
  running = (guint) g_atomic_int_add (&self->n_instances, 1);
  if (g_atomic_int_get (&self->stopping))
    {
      instance_ended (loop);
      _asgiref_http_refuse (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      return;
    }
  if (self->max_instances != 0 && running >= self->max_instances)
    {
      instance_ended (loop);
      refuse_over_limit (loop, msg);
      return;
    }

  config.connection = connection;
  config.headers = head.headers;
  config.application = self->application;
  config.context = self->context;
  config.max_body_size = self->max_request_body_size;
  config.response_timeout = self->response_timeout;
  config.root_path = self->root_path;
  config.watches = loop->watches;
  config.user_data = loop;

  /* An exchange is done at the earliest once the message finished, after
   * this returned: it is in its list by then. */
  g_object_ref (self);
  if (head.websocket_upgrade)
    {
      config.max_body_size = self->max_websocket_message_size;
      config.done = on_websocket_exchange_done;
      exchange = _asgiref_websocket_exchange_start (msg, &config);
      link = exchange != NULL ? _asgiref_websocket_exchange_get_link (exchange) : NULL;
      exchanges = &loop->websocket_exchanges;
    }
  else
    {
      config.done = on_http_exchange_done;
      exchange = _asgiref_http_exchange_start (msg, &config);
      link = exchange != NULL ? _asgiref_http_exchange_get_link (exchange) : NULL;
      exchanges = &loop->http_exchanges;
    }

  if (exchange != NULL)
    {
      link->data = exchange;
      g_queue_push_tail_link (exchanges, link);
    }
  else
    {
      instance_ended (loop);
      g_object_unref (self);
    }
}

/* The log domain of the access log, which G_MESSAGES_DEBUG (or a log
 * writer) can pick out. */
#define ACCESS_LOG_DOMAIN "Asgiref-Access"

/* One line of the access log, in the Common Log Format:
 * host ident authuser [date] "request line" status bytes. */
static void
log_access (SoupServerMessage *msg)
{
  /* Not %b: the format wants English month names in every locale. */
  static const char * const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
  };
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  g_autofree char *host = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *zone = g_date_time_format (now, "%z");
  goffset bytes = soup_server_message_get_response_body (msg)->length;
  g_autofree char *size = bytes > 0 ? g_strdup_printf ("%" G_GOFFSET_FORMAT, bytes) : g_strdup ("-");

  if (G_IS_INET_SOCKET_ADDRESS (remote))
    host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));

  g_log (ACCESS_LOG_DOMAIN, G_LOG_LEVEL_INFO,
         "%s - - [%02d/%s/%04d:%02d:%02d:%02d %s] \"%s %s%s%s HTTP/1.%d\" %u %s",
         host != NULL ? host : "-",
         g_date_time_get_day_of_month (now), months[g_date_time_get_month (now) - 1],
         g_date_time_get_year (now), g_date_time_get_hour (now),
         g_date_time_get_minute (now), g_date_time_get_second (now), zone,
         soup_server_message_get_method (msg), g_uri_get_path (uri),
         g_uri_get_query (uri) != NULL ? "?" : "",
         g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "",
         soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ? 0 : 1,
         _asgiref_http_status_of (msg), size);
}

static void
on_request_done (SoupServer        *soup,
                 SoupServerMessage *msg,
                 gpointer           data)
{
  ServingLoop *loop = data;
  AsgirefConnection *connection = _asgiref_connection_of_message (msg);

  if (loop->server->access_log)
    log_access (msg);

  if (connection != NULL)
    _asgiref_connection_request_done (connection);
  _asgiref_http_exchange_finished (msg, connection);
}

static void
on_request_body (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           data)
{
  _asgiref_http_exchange_body_read (msg, _asgiref_connection_of_message (msg));
}

/* ---- Lifespan ----------------------------------------------------------- */

static void
on_lifespan_ended (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  AsgirefServer *self = data;
  g_autoptr(GError) error = NULL;

  if (!asgiref_application_call_finish (ASGIREF_APPLICATION (source), result, &error))
    g_debug ("The lifespan instance ended with an error: %s", error->message);
  self->lifespan_ended = TRUE;
  /* A question still waiting for an answer gets G_IO_ERROR_CLOSED. */
  _asgiref_channel_end_output (self->lifespan);
  g_object_unref (self);
}

/* What the application answered to lifespan.startup or .shutdown. */
static void
on_lifespan_answer (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(AsgirefMessage) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *why;

  answer = asgiref_channel_take_output_finish (ASGIREF_CHANNEL (source), result, &error);
  if (answer == NULL)
    {
      /* Ended without answering: it does not speak the protocol. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (answer->kind == ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE ||
      answer->kind == ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  why = asgiref_message_get_message (answer);
  g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                           answer->kind == ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED
                           ? _("The application failed to start: %s")
                           : _("The application failed to shut down: %s"),
                           why != NULL ? why : _("no reason given"));
}

/* Puts @question to the lifespan instance; @task gets its answer. */
static void
lifespan_ask (AsgirefServer      *self,
              AsgirefMessageKind question,
              GTask             *task)
{
  g_autoptr(AsgirefMessage) message = asgiref_message_new (question);

  asgiref_channel_put_input (self->lifespan, message, NULL);
  asgiref_channel_take_output_async (self->lifespan, g_task_get_cancellable (task),
                                     on_lifespan_answer, task);
}

static void
start_lifespan (gpointer data)
{
  AsgirefServer *self = data;
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_lifespan (NULL);

  self->lifespan = asgiref_channel_new (scope);
  self->lifespan_cancellable = g_cancellable_new ();
  asgiref_application_call_async (self->application, scope, self->lifespan,
                                  self->lifespan_cancellable, on_lifespan_ended,
                                  g_object_ref (self));
}

/**
 * asgiref_server_start_async:
 * @self: a server
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the application started
 * @user_data: (closure callback): data for @callback
 *
 * Runs the lifespan protocol's startup: starts the application's
 * `lifespan` instance and waits for its answer to `lifespan.startup`. Call
 * it once, before listening, so that no request arrives before the
 * application is ready.
 *
 * Fails with %ASGIREF_ERROR_FAILED when the application answers
 * `lifespan.startup.failed`, with the message it gave. An application
 * whose lifespan instance ends without answering does not use the
 * protocol: that is a success.
 */
void
asgiref_server_start_async (AsgirefServer       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(AsgirefContext) context = NULL;

  g_return_if_fail (ASGIREF_IS_SERVER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, asgiref_server_start_async);

  if (self->lifespan != NULL)
    {
      g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                               "%s", _("The server was started already"));
      return;
    }

  context = asgiref_context_copy (self->context);
  asgiref_context_run (context, start_lifespan, self);
  lifespan_ask (self, ASGIREF_MESSAGE_LIFESPAN_STARTUP, g_steal_pointer (&task));
}

/**
 * asgiref_server_start_finish:
 * @self: a server
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes [method@Asgiref.Server.start_async].
 *
 * Returns: whether the application started
 */
gboolean
asgiref_server_start_finish (AsgirefServer  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Stopping ----------------------------------------------------------- */

static void close_loops (AsgirefServer *self);

static void
stop_done (AsgirefServer *self,
           GError        *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->stop_task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }

  if (self->stop_handler != 0)
    g_cancellable_disconnect (g_task_get_cancellable (task), self->stop_handler);
  self->stop_handler = 0;

  /* Its channel is tied to the cancellable: its receives fail too. */
  if (self->lifespan_cancellable != NULL)
    g_cancellable_cancel (self->lifespan_cancellable);

  /* The task returns once every loop closed: at once for the server's own,
   * later for serving threads. */
  self->closing_task = g_steal_pointer (&task);
  self->closing_error = error;
  close_loops (self);
}

/* Every loop closed: the stop is over. */
static void
loops_closed (AsgirefServer *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->closing_task);
  GError *error = g_steal_pointer (&self->closing_error);

  for (guint i = 0; i < self->listeners->len; i++)
    g_socket_close (self->listeners->pdata[i], NULL);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_shut_down (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  AsgirefServer *self = ASGIREF_SERVER (source);
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  stop_done (self, error);
}

static void
stop_lifespan (AsgirefServer *self)
{
  GTask *answer;

  self->lifespan_shutting_down = TRUE;
  if (self->lifespan == NULL || self->lifespan_ended)
    {
      stop_done (self, NULL);
      return;
    }

  answer = g_task_new (self, NULL, on_shut_down, NULL);
  lifespan_ask (self, ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN, answer);
}

static void
cancel_exchanges (ServingLoop *loop)
{
  g_autoptr(GPtrArray) websocket = g_ptr_array_new ();
  g_autoptr(GPtrArray) http = g_ptr_array_new ();

  /* Cancelling may end an exchange, and take it out of its list. */
  for (GList *l = loop->websocket_exchanges.head; l != NULL; l = l->next)
    g_ptr_array_add (websocket, l->data);
  for (GList *l = loop->http_exchanges.head; l != NULL; l = l->next)
    g_ptr_array_add (http, l->data);
  for (guint i = 0; i < websocket->len; i++)
    _asgiref_websocket_exchange_cancel (websocket->pdata[i]);
  for (guint i = 0; i < http->len; i++)
    _asgiref_http_exchange_cancel (http->pdata[i]);
}

static gboolean
cancel_exchanges_posted (gpointer data)
{
  _asgiref_main_context_received (data);
  cancel_exchanges (data);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_cancelled (gpointer data)
{
  AsgirefServer *self = data;

  _asgiref_main_context_received (self);
  if (self->stop_task != NULL)
    {
      /* Whatever is still running goes, and the stop ends now (or, with
       * serving threads, once they did). */
      for (guint i = 0; i < self->loops->len; i++)
        {
          ServingLoop *loop = self->loops->pdata[i];

          if (loop->thread == NULL)
            cancel_exchanges (loop);
          else
            _asgiref_main_context_post (loop->context, "[asgiref] server exchanges cancelled",
                                        cancel_exchanges_posted, loop);
        }
      stop_done (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            _("The server stopped before its requests ended")));
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
on_stop_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  AsgirefServer *self = data;

  /* Possibly on another thread, and inside the cancellable's emission. */
  _asgiref_main_context_post (self->main_context, "[asgiref] server stop cancelled",
                              stop_cancelled, g_object_ref (self));
}

/**
 * asgiref_server_stop_async:
 * @self: a server
 * @cancellable: (nullable): cuts the wait for running requests short
 * @callback: (scope async): called when the server stopped
 * @user_data: (closure callback): data for @callback
 *
 * Stops @self gracefully: new requests get `503 Service Unavailable`, the
 * running ones are left to end, the lifespan protocol's shutdown runs,
 * then the listening sockets and every connection are closed.
 *
 * Cancelling @cancellable (an [class@Asgiref.Timeout]'s, say) cancels the
 * instances still running and stops the server at once; the stop then
 * fails with %G_IO_ERROR_CANCELLED, the server stopped all the same. It
 * fails with %ASGIREF_ERROR_FAILED when the application answers
 * `lifespan.shutdown.failed`.
 */
void
asgiref_server_stop_async (AsgirefServer       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ASGIREF_IS_SERVER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, asgiref_server_stop_async);
  /* Cancellation is handled here: the server stops in any case. */
  g_task_set_check_cancellable (task, FALSE);

  if (g_atomic_int_get (&self->stopping))
    {
      g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                               "%s", _("The server is stopping already"));
      return;
    }

  self->stop_task = g_steal_pointer (&task);
  /* Before the instances are counted: see on_request_headers(). */
  g_atomic_int_set (&self->stopping, TRUE);
  if (cancellable != NULL)
    self->stop_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_stop_cancelled),
                                                self, NULL);

  shut_down_when_idle (self);
}

/**
 * asgiref_server_stop_finish:
 * @self: a server
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes [method@Asgiref.Server.stop_async].
 *
 * Returns: whether the server stopped gracefully
 */
gboolean
asgiref_server_stop_finish (AsgirefServer  *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Listening ---------------------------------------------------------- */

/* libsoup's own listening sockets keep GSocket's backlog of 10, which
 * makes a burst of clients retry their SYN after a second. */
#define LISTEN_BACKLOG 4096

/**
 * asgiref_server_listen:
 * @self: a server
 * @address: the address to listen on: an IPv4 or IPv6 address and port
 *   (0 for any free one), or a #GUnixSocketAddress
 * @error: return location for an error
 *
 * Listens on @address, as many times as needed for several addresses.
 * Requests are served as soon as the server's main context runs.
 *
 * Returns: whether @self listens on @address
 */
gboolean
asgiref_server_listen (AsgirefServer   *self,
                       GSocketAddress  *address,
                       GError         **error)
{
  g_autoptr(GSocket) socket = NULL;

  g_return_val_if_fail (ASGIREF_IS_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;

  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) ||
      !g_socket_listen (socket, error))
    return FALSE;

  return asgiref_server_listen_socket (self, socket, error);
}

/**
 * asgiref_server_listen_local:
 * @self: a server
 * @port: the port, or 0 for any free one (see [method@Asgiref.Server.get_port])
 * @error: return location for an error
 *
 * Listens on 127.0.0.1, which only programs on this machine reach.
 *
 * Returns: whether @self listens on @port
 */
gboolean
asgiref_server_listen_local (AsgirefServer  *self,
                             guint           port,
                             GError        **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (ASGIREF_IS_SERVER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  address = g_inet_socket_address_new (loopback, (guint16) port);
  return asgiref_server_listen (self, address, error);
}

/* ---- Serving loops ------------------------------------------------------ */

static void
on_connection_closed (AsgirefConnection *connection,
                      gpointer           data)
{
  ServingLoop *loop = data;

  if (g_hash_table_remove (loop->connections, connection))
    g_atomic_int_add (&loop->server->n_connections, -1);
}

static void
on_accepted (GSocketConnection *accepted,
             gpointer           data)
{
  ServingLoop *loop = data;
  AsgirefServer *self = loop->server;
  g_autoptr(GSocketConnection) base = accepted;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (base, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (base, NULL);
  g_autoptr(AsgirefConnection) connection = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  if (local == NULL || remote == NULL)
    return;   /* gone already */

  /* What libsoup's listener would do with a certificate set on the
   * SoupServer (the server's own, for every loop). The handshake happens
   * on the first read. */
  certificate = soup_server_get_tls_certificate (self->soup);
  if (certificate != NULL)
    {
      stream = g_tls_server_connection_new (G_IO_STREAM (base), certificate, &error);
      if (stream == NULL)
        {
          g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, _("Cannot serve a connection: %s"), error->message);
          return;
        }
      g_object_set (stream,
                    "database", soup_server_get_tls_database (self->soup),
                    "authentication-mode", soup_server_get_tls_auth_mode (self->soup),
                    "require-close-notify", FALSE,
                    NULL);
    }
  else
    stream = G_IO_STREAM (g_object_ref (base));

  connection = _asgiref_connection_new (stream, g_socket_connection_get_socket (base), remote,
                                        self->header_timeout, self->keep_alive_timeout,
                                        on_connection_closed, loop);
  g_hash_table_add (loop->connections, connection);
  g_atomic_int_inc (&self->n_connections);
  if (!soup_server_accept_iostream (loop->soup, G_IO_STREAM (connection), local, remote, &error))
    {
      g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, _("Cannot serve a connection: %s"), error->message);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
}

/* libsoup 3.2 keeps a connection alive after a response only while the
 * SoupServer has a listener of its own (soup-server.c, request_finished()):
 * one that can never be reached, a Unix socket whose path is gone, keeps
 * keep-alive on for the connections our accept loops hand over. Its
 * source goes to the thread-default main context. */
static gboolean
add_keep_alive_listener (SoupServer  *soup,
                         GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  GSList *listeners = soup_server_get_listeners (soup);
  gboolean ok;

  if (listeners != NULL)
    {
      g_slist_free (listeners);
      return TRUE;
    }

  dir = g_dir_make_tmp ("asgiref-XXXXXX", error);
  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "unreachable", NULL);
  address = g_unix_socket_address_new (path);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  ok = socket != NULL &&
       g_socket_bind (socket, address, FALSE, error) &&
       g_socket_listen (socket, error) &&
       soup_server_listen_socket (soup, socket, 0, error);
  g_unlink (path);
  g_rmdir (dir);
  return ok;
}

/* Takes @soup over. */
static ServingLoop *
serving_loop_new (AsgirefServer *self,
                  GMainContext  *context,
                  SoupServer    *soup)
{
  ServingLoop *loop = g_new0 (ServingLoop, 1);

  loop->server = self;
  loop->context = g_main_context_ref (context);
  loop->soup = soup;
  loop->accept_loops = g_ptr_array_new_with_free_func ((GDestroyNotify) _asgiref_accept_loop_free);
  g_queue_init (&loop->http_exchanges);
  g_queue_init (&loop->websocket_exchanges);
  loop->watches = _asgiref_http_watches_new (context);
  loop->connections = g_hash_table_new (NULL, NULL);

  soup_server_add_early_handler (soup, NULL, on_request_headers, loop, NULL);
  soup_server_add_handler (soup, NULL, on_request_body, loop, NULL);
  /* Once for the server, not for each message. */
  g_signal_connect (soup, "request-finished", G_CALLBACK (on_request_done), loop);
  g_signal_connect (soup, "request-aborted", G_CALLBACK (on_request_done), loop);
  return loop;
}

/* Closes the connections libsoup still holds, such as the ones a
 * WebSocket took over: none outlives the server, and none tells it of
 * its end afterwards. */
static void
close_connections (ServingLoop *loop)
{
  while (g_hash_table_size (loop->connections) > 0)
    {
      GHashTableIter iter;
      gpointer connection;

      g_hash_table_iter_init (&iter, loop->connections);
      g_hash_table_iter_next (&iter, &connection, NULL);
      g_hash_table_iter_remove (&iter);
      g_atomic_int_add (&loop->server->n_connections, -1);
      _asgiref_connection_close_now (connection);
    }
}

/* Stops accepting and closes every connection, on the loop's context.
 * The HTTP requests still live end as if their clients left; WebSocket
 * exchanges learn it from their connections. */
static void
serving_loop_close (ServingLoop *loop)
{
  g_autoptr(GPtrArray) abandoned = g_ptr_array_new ();

  g_ptr_array_set_size (loop->accept_loops, 0);
  if (loop->soup != NULL)
    {
      soup_server_remove_handler (loop->soup, NULL);
      soup_server_disconnect (loop->soup);
    }
  close_connections (loop);

  /* Abandoning may end an exchange, and take it out of the list. */
  for (GList *l = loop->http_exchanges.head; l != NULL; l = l->next)
    g_ptr_array_add (abandoned, l->data);
  for (guint i = 0; i < abandoned->len; i++)
    _asgiref_http_exchange_abandon (abandoned->pdata[i]);
}

static void
serving_loop_free (ServingLoop *loop)
{
  g_assert (g_queue_is_empty (&loop->http_exchanges) &&
            g_queue_is_empty (&loop->websocket_exchanges));

  if (loop->soup != NULL)
    g_signal_handlers_disconnect_by_data (loop->soup, loop);
  g_clear_object (&loop->soup);
  g_ptr_array_unref (loop->accept_loops);
  _asgiref_http_watches_free (loop->watches);
  g_hash_table_unref (loop->connections);
  g_main_context_unref (loop->context);
  g_free (loop);
}

static gboolean
serving_thread_ended (gpointer data)
{
  ServingLoop *loop = data;
  AsgirefServer *self = loop->server;

  _asgiref_main_context_received (loop);
  g_thread_join (loop->thread);
  g_ptr_array_remove_fast (self->loops, loop);   /* frees it */
  if (self->loops->len == 1)
    loops_closed (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static gpointer
serve_on_thread (gpointer data)
{
  ServingLoop *loop = data;

  g_main_context_push_thread_default (loop->context);
  while (!loop->shutting_down || !g_queue_is_empty (&loop->http_exchanges) ||
         !g_queue_is_empty (&loop->websocket_exchanges))
    g_main_context_iteration (loop->context, TRUE);
  /* What its last exchanges left to do, such as dropping a reference. */
  while (g_main_context_iteration (loop->context, FALSE))
    ;
  g_clear_object (&loop->soup);
  g_main_context_pop_thread_default (loop->context);

  _asgiref_main_context_post (loop->server->main_context, "[asgiref] serving thread ended",
                              serving_thread_ended, loop);
  return NULL;
}

static gboolean
shut_down_posted (gpointer data)
{
  ServingLoop *loop = data;

  _asgiref_main_context_received (loop);
  serving_loop_close (loop);
  loop->shutting_down = TRUE;
  return G_SOURCE_REMOVE;
}

/* Closes every loop, then loops_closed(). */
static void
close_loops (AsgirefServer *self)
{
  serving_loop_close (self->loops->pdata[0]);
  if (self->loops->len == 1)
    {
      loops_closed (self);
      return;
    }
  for (guint i = 1; i < self->loops->len; i++)
    {
      ServingLoop *loop = self->loops->pdata[i];

      _asgiref_main_context_post (loop->context, "[asgiref] serving thread shut down",
                                  shut_down_posted, loop);
    }
}

static SoupServer *
new_soup_server (void)
{
  /* Raw paths: the scope's raw_path is what the client sent. */
  return soup_server_new ("raw-paths", TRUE, "server-header", "asgiref-glib ", NULL);
}

/* The serving threads, on the first listen. Each holds a reference to
 * the server until it ended, after the stop: nothing has the server go
 * while a thread still serves. */
static gboolean
start_serving_threads (AsgirefServer  *self,
                       GError        **error)
{
  if (self->serving_threads <= 1 || self->loops->len > 1)
    return TRUE;

  if (!asgiref_application_get_thread_safe (self->application))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                   _("Cannot serve on %u threads: the application is not thread-safe "
                     "(see asgiref_application_set_thread_safe())"),
                   self->serving_threads);
      return FALSE;
    }

  for (guint i = 0; i < self->serving_threads; i++)
    {
      g_autoptr(GMainContext) context = g_main_context_new ();
      g_autofree char *name = g_strdup_printf ("asgiref-serve-%u", i + 1);
      ServingLoop *loop = serving_loop_new (self, context, new_soup_server ());
      gboolean ok;

      /* Its keep-alive listener's source goes to the thread's context,
       * which no thread runs yet. */
      g_main_context_push_thread_default (context);
      ok = add_keep_alive_listener (loop->soup, error);
      g_main_context_pop_thread_default (context);
      if (ok)
        loop->thread = g_thread_try_new (name, serve_on_thread, loop, error);
      if (loop->thread == NULL)
        {
          serving_loop_free (loop);
          return FALSE;   /* the threads started serve nothing until the stop */
        }
      g_object_ref (self);
      g_ptr_array_add (self->loops, loop);
    }
  return TRUE;
}

/**
 * asgiref_server_get_n_connections:
 * @self: a server
 *
 * Counts the client connections open on the sockets @self listens on:
 * those serving a request and the idle ones kept alive.
 *
 * Returns: how many connections are open
 */
guint
asgiref_server_get_n_connections (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return (guint) g_atomic_int_get (&self->n_connections);
}

/**
 * asgiref_server_listen_socket:
 * @self: a server
 * @socket: a bound, listening socket, such as one inherited from systemd
 * @error: return location for an error
 *
 * Serves the connections @socket accepts.
 *
 * With more than one of [property@Asgiref.Server:serving-threads], the
 * first call starts the threads; it fails with %ASGIREF_ERROR_FAILED when
 * the application did not declare itself thread-safe.
 *
 * Returns: whether @self took @socket
 */
gboolean
asgiref_server_listen_socket (AsgirefServer  *self,
                              GSocket        *socket,
                              GError        **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  guint first;

  g_return_val_if_fail (ASGIREF_IS_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);

  if (g_atomic_int_get (&self->stopping))
    {
      g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED,
                           _("The server was stopped"));
      return FALSE;
    }

  if (!start_serving_threads (self, error))
    return FALSE;
  if (self->loops->len == 1 && !add_keep_alive_listener (self->soup, error))
    return FALSE;

  /* Our own accept loops, not soup_server_listen_socket(): see
   * asgiref-accept-loop-private.h. With serving threads, one on each. */
  g_socket_set_blocking (socket, FALSE);
  g_ptr_array_add (self->listeners, g_object_ref (socket));
  first = self->loops->len == 1 ? 0 : 1;
  for (guint i = first; i < self->loops->len; i++)
    {
      ServingLoop *loop = self->loops->pdata[i];

      g_ptr_array_add (loop->accept_loops, _asgiref_accept_loop_new (socket, loop->context, on_accepted, loop));
    }

  /* Not through soup_server_get_uris(): libsoup 3.2 leaks the address it
   * makes for each listener there. */
  address = g_socket_get_local_address (socket, NULL);
  if (self->port == 0 && G_IS_INET_SOCKET_ADDRESS (address))
    self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  return TRUE;
}

/* The first descriptor systemd passes (sd_listen_fds(3)). */
#define SYSTEMD_FIRST_FD 3

gboolean
_asgiref_server_listen_systemd_from (AsgirefServer  *self,
                                     int             first_fd,
                                     GError        **error)
{
  const char *pid = g_getenv ("LISTEN_PID");
  const char *fds = g_getenv ("LISTEN_FDS");
  guint64 n = 0;

  /* The variables are for this process only: not for the ones it starts,
   * nor for a second call. */
  if (pid != NULL && fds != NULL &&
      g_ascii_strtoull (pid, NULL, 10) == (guint64) getpid ())
    n = g_ascii_strtoull (fds, NULL, 10);
  g_unsetenv ("LISTEN_PID");
  g_unsetenv ("LISTEN_FDS");
  g_unsetenv ("LISTEN_FDNAMES");

  if (n == 0 || n > (guint64) (G_MAXINT - first_fd))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The process was given no listening socket (LISTEN_FDS and LISTEN_PID)"));
      return FALSE;
    }

  for (int fd = first_fd; fd < first_fd + (int) n; fd++)
    {
      g_autoptr(GSocket) socket = NULL;

      fcntl (fd, F_SETFD, FD_CLOEXEC);
      socket = g_socket_new_from_fd (fd, error);
      if (socket == NULL || !asgiref_server_listen_socket (self, socket, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * asgiref_server_listen_systemd:
 * @self: a server
 * @error: return location for an error
 *
 * Listens on the sockets systemd passed to the process for socket
 * activation (`LISTEN_FDS` and `LISTEN_PID`, as `sd_listen_fds()` reads
 * them), and unsets those variables so that child processes do not take
 * the sockets for theirs.
 *
 * Returns: whether @self listens on at least one passed socket; fails with
 *   %G_IO_ERROR_NOT_FOUND when none was passed
 */
gboolean
asgiref_server_listen_systemd (AsgirefServer  *self,
                               GError        **error)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return _asgiref_server_listen_systemd_from (self, SYSTEMD_FIRST_FD, error);
}

/**
 * asgiref_server_get_uris:
 * @self: a server
 *
 * Gets the URIs of the IP addresses @self listens on, with the ports the
 * system chose for port 0, `https` when a TLS certificate is set on the
 * [property@Asgiref.Server:soup-server]. Unix sockets have no such URI,
 * and are left out.
 *
 * Returns: (transfer full) (element-type GUri): the URIs, one per IP
 *   listening socket, in the order they were added
 */
GSList *
asgiref_server_get_uris (AsgirefServer *self)
{
  const char *scheme;
  GSList *uris = NULL;

  g_return_val_if_fail (ASGIREF_IS_SERVER (self), NULL);

  scheme = soup_server_get_tls_certificate (self->soup) != NULL ? "https" : "http";
  for (guint i = 0; i < self->listeners->len; i++)
    {
      GSocket *socket = self->listeners->pdata[i];
      g_autoptr(GSocketAddress) address = g_socket_get_local_address (socket, NULL);
      g_autofree char *host = NULL;

      if (!G_IS_INET_SOCKET_ADDRESS (address))
        continue;
      host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
      uris = g_slist_prepend (uris, g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, host,
                                                 g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)),
                                                 "/", NULL, NULL));
    }
  return g_slist_reverse (uris);
}

/**
 * asgiref_server_get_port:
 * @self: a server
 *
 * Gets the port @self listens on, the one the system chose for port 0.
 *
 * Returns: the port of the first IP address @self listens on, or 0
 */
guint
asgiref_server_get_port (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->port;
}

/* ---- The object --------------------------------------------------------- */

/* Serving threads read the settings without a lock. */
static gboolean
settings_changeable (AsgirefServer *self,
                     const char    *name)
{
  if (self->loops->len <= 1)
    return TRUE;
  g_critical ("AsgirefServer:%s cannot change once the server serves on threads: "
              "set it before listening", name);
  return FALSE;
}

static void
asgiref_server_constructed (GObject *object)
{
  AsgirefServer *self = ASGIREF_SERVER (object);

  G_OBJECT_CLASS (asgiref_server_parent_class)->constructed (object);

  g_return_if_fail (self->application != NULL);

  self->soup = new_soup_server ();
  g_ptr_array_add (self->loops, serving_loop_new (self, self->main_context, g_object_ref (self->soup)));
}

static void
asgiref_server_dispose (GObject *object)
{
  AsgirefServer *self = ASGIREF_SERVER (object);

  /* Every live exchange, serving thread and the lifespan instance hold a
   * reference: none is left, and the server's own loop is the only one. */
  if (self->loops->len > 0)
    {
      g_assert (self->loops->len == 1);
      serving_loop_close (self->loops->pdata[0]);
      g_ptr_array_set_size (self->loops, 0);
    }
  for (guint i = 0; i < self->listeners->len; i++)
    g_socket_close (self->listeners->pdata[i], NULL);
  g_ptr_array_set_size (self->listeners, 0);
  g_clear_object (&self->soup);
  g_clear_object (&self->lifespan);
  g_clear_object (&self->lifespan_cancellable);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (asgiref_server_parent_class)->dispose (object);
}

static void
asgiref_server_finalize (GObject *object)
{
  AsgirefServer *self = ASGIREF_SERVER (object);

  g_free (self->root_path);
  g_ptr_array_unref (self->loops);
  g_ptr_array_unref (self->listeners);
  asgiref_context_unref (self->context);
  g_main_context_unref (self->main_context);

  G_OBJECT_CLASS (asgiref_server_parent_class)->finalize (object);
}

static void
asgiref_server_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  AsgirefServer *self = ASGIREF_SERVER (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;
    case PROP_SOUP_SERVER:
      g_value_set_object (value, self->soup);
      break;
    case PROP_MAX_REQUEST_BODY_SIZE:
      g_value_set_uint64 (value, self->max_request_body_size);
      break;
    case PROP_RESPONSE_TIMEOUT:
      g_value_set_uint (value, self->response_timeout);
      break;
    case PROP_HEADER_TIMEOUT:
      g_value_set_uint (value, self->header_timeout);
      break;
    case PROP_KEEP_ALIVE_TIMEOUT:
      g_value_set_uint (value, self->keep_alive_timeout);
      break;
    case PROP_MAX_INSTANCES:
      g_value_set_uint (value, self->max_instances);
      break;
    case PROP_ACCESS_LOG:
      g_value_set_boolean (value, self->access_log);
      break;
    case PROP_ROOT_PATH:
      g_value_set_string (value, self->root_path);
      break;
    case PROP_MAX_WEBSOCKET_MESSAGE_SIZE:
      g_value_set_uint64 (value, self->max_websocket_message_size);
      break;
    case PROP_SERVING_THREADS:
      g_value_set_uint (value, self->serving_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_server_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  AsgirefServer *self = ASGIREF_SERVER (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      self->application = g_value_dup_object (value);
      break;
    case PROP_MAX_REQUEST_BODY_SIZE:
      asgiref_server_set_max_request_body_size (self, g_value_get_uint64 (value));
      break;
    case PROP_RESPONSE_TIMEOUT:
      asgiref_server_set_response_timeout (self, g_value_get_uint (value));
      break;
    case PROP_HEADER_TIMEOUT:
      asgiref_server_set_header_timeout (self, g_value_get_uint (value));
      break;
    case PROP_KEEP_ALIVE_TIMEOUT:
      asgiref_server_set_keep_alive_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_INSTANCES:
      asgiref_server_set_max_instances (self, g_value_get_uint (value));
      break;
    case PROP_ACCESS_LOG:
      asgiref_server_set_access_log (self, g_value_get_boolean (value));
      break;
    case PROP_ROOT_PATH:
      asgiref_server_set_root_path (self, g_value_get_string (value));
      break;
    case PROP_MAX_WEBSOCKET_MESSAGE_SIZE:
      asgiref_server_set_max_websocket_message_size (self, g_value_get_uint64 (value));
      break;
    case PROP_SERVING_THREADS:
      asgiref_server_set_serving_threads (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_server_class_init (AsgirefServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = asgiref_server_constructed;
  object_class->dispose = asgiref_server_dispose;
  object_class->finalize = asgiref_server_finalize;
  object_class->get_property = asgiref_server_get_property;
  object_class->set_property = asgiref_server_set_property;

  /**
   * AsgirefServer:application:
   *
   * The application the server runs.
   */
  properties[PROP_APPLICATION] =
    g_param_spec_object ("application", NULL, NULL,
                         ASGIREF_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:soup-server:
   *
   * The libsoup server underneath, for what this class does not wrap: TLS
   * certificates, authentication domains. Its handlers are the server's.
   */
  properties[PROP_SOUP_SERVER] =
    g_param_spec_object ("soup-server", NULL, NULL,
                         SOUP_TYPE_SERVER,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:max-request-body-size:
   *
   * The largest request body, in bytes, the server passes on; 0 for no
   * limit. A larger one is answered with `413 Content Too Large` (and
   * its instance cancelled, if the body was already being read).
   */
  properties[PROP_MAX_REQUEST_BODY_SIZE] =
    g_param_spec_uint64 ("max-request-body-size", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:response-timeout:
   *
   * How long, in seconds, an application instance may take before any of
   * its response goes out; 0 (the default) for no limit. One that takes
   * longer is cancelled, its client answered `504 Gateway Timeout`, and
   * a warning names the request: an application that never answers does
   * not keep a client waiting for ever.
   */
  properties[PROP_RESPONSE_TIMEOUT] =
    g_param_spec_uint ("response-timeout", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:header-timeout:
   *
   * How long, in seconds, a client has to send the headers of a request,
   * counted from its connection or from the first byte of its next
   * request; 0 for no limit. The default is 30. A client that takes
   * longer, such as one sending a byte at a time to hold a connection
   * open, is disconnected without an answer, and no application instance
   * starts.
   */
  properties[PROP_HEADER_TIMEOUT] =
    g_param_spec_uint ("header-timeout", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_HEADER_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:keep-alive-timeout:
   *
   * How long, in seconds, a connection may wait idle for its next request
   * after a response; 0 for no limit. The default is 60. An idle
   * connection that its client closed is closed at once either way.
   */
  properties[PROP_KEEP_ALIVE_TIMEOUT] =
    g_param_spec_uint ("keep-alive-timeout", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_KEEP_ALIVE_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:max-instances:
   *
   * How many application instances may run at once; 0 (the default) for
   * no limit. A request beyond it is answered `503 Service Unavailable`
   * with `Retry-After: 1`, without starting an instance, and a warning
   * counts such answers (one line every 10 seconds at most). A limit
   * keeps a burst of slow requests from taking all the memory or threads
   * an application has.
   */
  properties[PROP_MAX_INSTANCES] =
    g_param_spec_uint ("max-instances", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:access-log:
   *
   * Whether each request is logged when its response was written (or the
   * connection ended), as a line in the Common Log Format
   * (`127.0.0.1 - - [02/Dec/2026:21:00:00 +0000] "GET /path?query HTTP/1.1" 200 5`)
   * at %G_LOG_LEVEL_INFO in the log domain `Asgiref-Access`: shown with
   * `G_MESSAGES_DEBUG=Asgiref-Access`, or taken by a structured log
   * writer (the journal gets it with `GLIB_DOMAIN=Asgiref-Access`).
   * Off by default.
   */
  properties[PROP_ACCESS_LOG] =
    g_param_spec_boolean ("access-log", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:root-path:
   *
   * The path the application is mounted at behind a proxy that removed it
   * (WSGI's `SCRIPT_NAME`): the `root_path` of every scope, empty or
   * starting with `/`. %NULL (the default) for none. The scope's `path`
   * stays the path of the request as it came.
   */
  properties[PROP_ROOT_PATH] =
    g_param_spec_string ("root-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:max-websocket-message-size:
   *
   * The largest WebSocket message, in bytes, a client may send (after
   * reassembling its frames); 16 MiB by default, as uvicorn's. A larger
   * one closes the connection with 1009 (too big), and the application
   * receives `websocket.disconnect` with that code.
   */
  properties[PROP_MAX_WEBSOCKET_MESSAGE_SIZE] =
    g_param_spec_uint64 ("max-websocket-message-size", NULL, NULL,
                         1, G_MAXUINT64, DEFAULT_MAX_WEBSOCKET_MESSAGE_SIZE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefServer:serving-threads:
   *
   * How many threads serve requests. With 1 (the default), the server
   * serves on the main context it was created on, and its application is
   * called there. With more, the first listen starts that many threads,
   * each with a main context and a #SoupServer of its own, accepting
   * connections from the same listening sockets; the application's
   * instances run on them, several at once, and the server's main context
   * runs only the lifespan protocol and the server's own callbacks. Only
   * an application declared thread-safe
   * ([method@Asgiref.Application.set_thread_safe]) is served so: Python and
   * JavaScript applications stay on their main context.
   *
   * Each instance still runs in a [struct@Asgiref.Context] of its own, a
   * copy of the server's, so [class@Asgiref.Local] values stay with their
   * request on any thread; the lifespan instance runs once, on the
   * server's main context.
   *
   * A server with serving threads keeps itself alive until
   * [method@Asgiref.Server.stop_async] ended them, and its settings are
   * fixed once it listens. The threads' servers take the TLS certificate,
   * database and authentication mode of
   * [property@Asgiref.Server:soup-server], and nothing else of it.
   */
  properties[PROP_SERVING_THREADS] =
    g_param_spec_uint ("serving-threads", NULL, NULL,
                       1, MAX_SERVING_THREADS, 1,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_server_init (AsgirefServer *self)
{
  self->main_context = g_main_context_ref_thread_default ();
  self->context = asgiref_context_capture ();
  self->loops = g_ptr_array_new_with_free_func ((GDestroyNotify) serving_loop_free);
  self->listeners = g_ptr_array_new_with_free_func (g_object_unref);
  self->serving_threads = 1;
  self->header_timeout = DEFAULT_HEADER_TIMEOUT;
  self->max_websocket_message_size = DEFAULT_MAX_WEBSOCKET_MESSAGE_SIZE;
  self->keep_alive_timeout = DEFAULT_KEEP_ALIVE_TIMEOUT;
}

/**
 * asgiref_server_new:
 * @application: the application to serve
 *
 * Creates a server for @application on the calling thread's
 * thread-default main context. It listens nowhere yet.
 *
 * Returns: (transfer full): a new server
 */
AsgirefServer *
asgiref_server_new (AsgirefApplication *application)
{
  g_return_val_if_fail (ASGIREF_IS_APPLICATION (application), NULL);

  return g_object_new (ASGIREF_TYPE_SERVER, "application", application, NULL);
}

/**
 * asgiref_server_get_application:
 * @self: a server
 *
 * Gets the application @self runs.
 *
 * Returns: (transfer none): the application
 */
AsgirefApplication *
asgiref_server_get_application (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), NULL);

  return self->application;
}

/**
 * asgiref_server_get_soup_server:
 * @self: a server
 *
 * Gets the libsoup server underneath.
 *
 * Returns: (transfer none): the #SoupServer
 */
SoupServer *
asgiref_server_get_soup_server (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), NULL);

  return self->soup;
}

/**
 * asgiref_server_get_max_request_body_size:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:max-request-body-size].
 *
 * Returns: the largest request body passed on, 0 for no limit
 */
guint64
asgiref_server_get_max_request_body_size (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->max_request_body_size;
}

/**
 * asgiref_server_set_max_request_body_size:
 * @self: a server
 * @size: the largest request body, in bytes; 0 for no limit
 *
 * Sets [property@Asgiref.Server:max-request-body-size], for the requests
 * that arrive from now on.
 */
void
asgiref_server_set_max_request_body_size (AsgirefServer *self,
                                          guint64        size)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "max-request-body-size"))
    return;

  if (self->max_request_body_size == size)
    return;

  self->max_request_body_size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_REQUEST_BODY_SIZE]);
}

/**
 * asgiref_server_get_response_timeout:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:response-timeout].
 *
 * Returns: the time an instance has to start its response, in seconds; 0
 *   for no limit
 */
guint
asgiref_server_get_response_timeout (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->response_timeout;
}

/**
 * asgiref_server_set_response_timeout:
 * @self: a server
 * @seconds: the time an instance has to start its response; 0 for no
 *   limit
 *
 * Sets [property@Asgiref.Server:response-timeout], for the requests that
 * arrive from now on.
 */
void
asgiref_server_set_response_timeout (AsgirefServer *self,
                                     guint          seconds)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "response-timeout"))
    return;

  if (self->response_timeout == seconds)
    return;

  self->response_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESPONSE_TIMEOUT]);
}

/**
 * asgiref_server_get_header_timeout:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:header-timeout].
 *
 * Returns: the time a client has to send request headers, in seconds; 0
 *   for no limit
 */
guint
asgiref_server_get_header_timeout (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->header_timeout;
}

/**
 * asgiref_server_set_header_timeout:
 * @self: a server
 * @seconds: the time a client has to send request headers; 0 for no limit
 *
 * Sets [property@Asgiref.Server:header-timeout], for the connections
 * accepted from now on.
 */
void
asgiref_server_set_header_timeout (AsgirefServer *self,
                                   guint          seconds)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "header-timeout"))
    return;

  if (self->header_timeout == seconds)
    return;

  self->header_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEADER_TIMEOUT]);
}

/**
 * asgiref_server_get_keep_alive_timeout:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:keep-alive-timeout].
 *
 * Returns: the time an idle connection is kept, in seconds; 0 for no limit
 */
guint
asgiref_server_get_keep_alive_timeout (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->keep_alive_timeout;
}

/**
 * asgiref_server_set_keep_alive_timeout:
 * @self: a server
 * @seconds: the time an idle connection is kept; 0 for no limit
 *
 * Sets [property@Asgiref.Server:keep-alive-timeout], for the connections
 * accepted from now on.
 */
void
asgiref_server_set_keep_alive_timeout (AsgirefServer *self,
                                       guint          seconds)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "keep-alive-timeout"))
    return;

  if (self->keep_alive_timeout == seconds)
    return;

  self->keep_alive_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEEP_ALIVE_TIMEOUT]);
}

/**
 * asgiref_server_get_max_instances:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:max-instances].
 *
 * Returns: how many application instances may run at once; 0 for no limit
 */
guint
asgiref_server_get_max_instances (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->max_instances;
}

/**
 * asgiref_server_set_max_instances:
 * @self: a server
 * @max_instances: how many application instances may run at once; 0 for
 *   no limit
 *
 * Sets [property@Asgiref.Server:max-instances], for the requests that
 * arrive from now on.
 */
void
asgiref_server_set_max_instances (AsgirefServer *self,
                                  guint          max_instances)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "max-instances"))
    return;

  if (self->max_instances == max_instances)
    return;

  self->max_instances = max_instances;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_INSTANCES]);
}

/**
 * asgiref_server_get_access_log:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:access-log].
 *
 * Returns: whether requests are logged
 */
gboolean
asgiref_server_get_access_log (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), FALSE);

  return self->access_log;
}

/**
 * asgiref_server_set_access_log:
 * @self: a server
 * @access_log: whether to log requests
 *
 * Sets [property@Asgiref.Server:access-log].
 */
void
asgiref_server_set_access_log (AsgirefServer *self,
                               gboolean       access_log)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "access-log"))
    return;

  access_log = !!access_log;
  if (self->access_log == access_log)
    return;

  self->access_log = access_log;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCESS_LOG]);
}

/**
 * asgiref_server_get_root_path:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:root-path].
 *
 * Returns: (nullable): the path the application is mounted at
 */
const char *
asgiref_server_get_root_path (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), NULL);

  return self->root_path;
}

/**
 * asgiref_server_set_root_path:
 * @self: a server
 * @root_path: (nullable): the path the application is mounted at: empty
 *   or starting with `/`; %NULL for none
 *
 * Sets [property@Asgiref.Server:root-path], for the requests that arrive
 * from now on.
 */
void
asgiref_server_set_root_path (AsgirefServer *self,
                              const char    *root_path)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "root-path"))
    return;
  g_return_if_fail (root_path == NULL || root_path[0] == '\0' || root_path[0] == '/');

  if (root_path != NULL && root_path[0] == '\0')
    root_path = NULL;
  if (g_strcmp0 (self->root_path, root_path) == 0)
    return;

  g_free (self->root_path);
  self->root_path = g_strdup (root_path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOT_PATH]);
}

/**
 * asgiref_server_get_max_websocket_message_size:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:max-websocket-message-size].
 *
 * Returns: the largest WebSocket message a client may send, in bytes
 */
guint64
asgiref_server_get_max_websocket_message_size (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->max_websocket_message_size;
}

/**
 * asgiref_server_set_max_websocket_message_size:
 * @self: a server
 * @size: the largest WebSocket message a client may send, in bytes
 *
 * Sets [property@Asgiref.Server:max-websocket-message-size], for the
 * connections accepted from now on.
 */
void
asgiref_server_set_max_websocket_message_size (AsgirefServer *self,
                                               guint64        size)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  if (!settings_changeable (self, "max-websocket-message-size"))
    return;
  g_return_if_fail (size > 0);

  if (self->max_websocket_message_size == size)
    return;

  self->max_websocket_message_size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_WEBSOCKET_MESSAGE_SIZE]);
}

/**
 * asgiref_server_get_serving_threads:
 * @self: a server
 *
 * Gets [property@Asgiref.Server:serving-threads].
 *
 * Returns: how many threads serve requests
 */
guint
asgiref_server_get_serving_threads (AsgirefServer *self)
{
  g_return_val_if_fail (ASGIREF_IS_SERVER (self), 0);

  return self->serving_threads;
}

/**
 * asgiref_server_set_serving_threads:
 * @self: a server that does not listen yet
 * @n_threads: how many threads serve requests, from 1 (the server's main
 *   context) to 256
 *
 * Sets [property@Asgiref.Server:serving-threads], before the server
 * listens.
 */
void
asgiref_server_set_serving_threads (AsgirefServer *self,
                                    guint          n_threads)
{
  g_return_if_fail (ASGIREF_IS_SERVER (self));
  g_return_if_fail (n_threads >= 1 && n_threads <= MAX_SERVING_THREADS);
  g_return_if_fail (self->listeners->len == 0);

  if (self->serving_threads == n_threads)
    return;

  self->serving_threads = n_threads;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVING_THREADS]);
}
