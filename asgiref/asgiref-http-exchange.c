/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-channel-private.h"
#include "asgiref-http-exchange-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message.h"
#include "asgiref-scope-builder.h"

/*
 * The states of one exchange, all on the server's main context:
 *
 *   headers read ──► instance started, body chunks put as http.request
 *   body read    ──► final http.request put; the message is paused until
 *                    the application starts its response, and the socket
 *                    watched, because a paused message does not notice a
 *                    client that leaves (libsoup 3.2)
 *   response     ──► each body chunk appended; the next message is taken
 *                    from the application only once libsoup wrote it, so
 *                    a streaming application cannot run ahead of the
 *                    network
 *   finished     ──► libsoup is done with the message (written, or the
 *                    client left): http.disconnect is put, and the
 *                    message is never touched again
 *
 * The exchange ends once the instance returned, everything it sent was
 * taken, and the message finished. An application that fails, or returns
 * without a response, gets a 500 if nothing was sent yet; one that stops
 * in the middle of a response gets its connection closed, since HTTP/1.1
 * has no other way to say that a response is incomplete.
 */

#define EXCHANGE_KEY "asgiref-http-exchange"

struct _AsgirefHttpExchange
{
  int ref;                       /* one for each of: the message, the
                                  * instance, the take loop */
  SoupServerMessage *msg;        /* NULL once finished */
  AsgirefChannel *channel;
  GCancellable *cancellable;     /* the instance's */
  AsgirefHttpExchangeDone done;
  gpointer done_data;
  guint64 max_body_size;
  guint64 body_size;
  GSource *hangup;               /* watches for the client leaving */
  GError *error;                 /* what the instance failed with */

  gboolean body_read;
  gboolean refused;              /* the body was too large: not passed on */
  gboolean answered;             /* the server answered for the application */
  gboolean response_started;
  gboolean response_complete;
  gboolean writing;              /* a chunk is out, not yet written */
  gboolean disconnect_put;
};

static void take_next (AsgirefHttpExchange *self);

static AsgirefHttpExchange *
exchange_ref (AsgirefHttpExchange *self)
{
  self->ref++;
  return self;
}

static void
exchange_unref (AsgirefHttpExchange *self)
{
  if (--self->ref > 0)
    return;

  g_assert (self->msg == NULL && self->hangup == NULL);
  if (self->done != NULL)
    self->done (self, self->done_data);
  g_clear_error (&self->error);
  g_object_unref (self->cancellable);
  g_object_unref (self->channel);
  g_free (self);
}

/* ---- The scope ---------------------------------------------------------- */

static gboolean
address_split (GSocketAddress *address,
               char          **host,
               int            *port)
{
  GInetAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;

  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  *host = g_inet_address_to_string (inet);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  return TRUE;
}

static GVariant *
request_headers (SoupServerMessage  *msg,
                 GError            **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_ptr_array_add (names, (gpointer) name);
      g_ptr_array_add (values, (gpointer) value);
    }
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (values, NULL);

  return asgiref_headers_new ((const char * const *) names->pdata,
                              (const char * const *) values->pdata, error);
}

/* The server runs libsoup with raw paths, so that `raw_path` is what the
 * client sent; `path` is its decoding. */
static GVariant *
scope_from_message (SoupServerMessage  *msg,
                    GError            **error)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *raw_path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  g_autoptr(AsgirefScopeBuilder) builder = NULL;
  g_autoptr(GBytes) raw_path_bytes = NULL;
  g_autoptr(GVariant) headers = NULL;
  g_autofree char *decoded = NULL;
  g_autofree char *path = NULL;
  g_autofree char *host = NULL;
  int port;

  if (*raw_path == '\0')
    raw_path = "/";
  decoded = g_uri_unescape_string (raw_path, NULL);
  if (decoded == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The request path is not a valid percent-encoded string"));
      return NULL;
    }
  path = g_utf8_make_valid (decoded, -1);

  headers = request_headers (msg, error);
  if (headers == NULL)
    return NULL;

  builder = asgiref_scope_builder_new_http (soup_server_message_get_method (msg), path);
  asgiref_scope_builder_set_http_version (builder,
                                          soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ? "1.0" : "1.1");
  asgiref_scope_builder_set_scheme (builder, g_uri_get_scheme (uri));
  raw_path_bytes = g_bytes_new (raw_path, strlen (raw_path));
  asgiref_scope_builder_set_raw_path (builder, raw_path_bytes);
  if (query != NULL)
    {
      g_autoptr(GBytes) query_bytes = g_bytes_new (query, strlen (query));

      asgiref_scope_builder_set_query_string (builder, query_bytes);
    }
  asgiref_scope_builder_set_headers (builder, headers);

  if (address_split (soup_server_message_get_remote_address (msg), &host, &port))
    asgiref_scope_builder_set_client (builder, host, port);
  g_clear_pointer (&host, g_free);
  if (address_split (soup_server_message_get_local_address (msg), &host, &port))
    asgiref_scope_builder_set_server (builder, host, port);

  return asgiref_scope_builder_end (builder);
}

/* ---- Input -------------------------------------------------------------- */

static void
put (AsgirefHttpExchange *self,
     GVariant            *message)
{
  g_autoptr(GVariant) owned = message;

  asgiref_channel_put_input (self->channel, owned, NULL);
}

static void
put_disconnect (AsgirefHttpExchange *self)
{
  if (self->disconnect_put)
    return;

  self->disconnect_put = TRUE;
  put (self, asgiref_message_new ("http.disconnect"));
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           data)
{
  AsgirefHttpExchange *self = data;

  if (self->refused)
    return;

  self->body_size += g_bytes_get_size (chunk);
  if (self->max_body_size != 0 && self->body_size > self->max_body_size)
    {
      /* libsoup reads and drops the rest (the body does not accumulate),
       * then sends the answer, unless the application answered already. */
      self->refused = TRUE;
      if (!self->response_started)
        {
          self->answered = TRUE;
          soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
        }
      g_cancellable_cancel (self->cancellable);
      return;
    }

  put (self, asgiref_message_new_http_request (chunk, TRUE));
}

static gboolean
on_socket_ready (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      data)
{
  AsgirefHttpExchange *self = data;
  g_autoptr(GError) error = NULL;
  GInputVector vector;
  char byte;
  int flags = G_SOCKET_MSG_PEEK;
  gssize n;

  vector.buffer = &byte;
  vector.size = 1;
  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;

  /* Data is a pipelined request, for libsoup to read later: the client is
   * there. An end of stream or an error means it left. */
  if (n <= 0)
    put_disconnect (self);
  g_clear_pointer (&self->hangup, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
watch_socket (AsgirefHttpExchange *self)
{
  GSocket *socket = soup_server_message_get_socket (self->msg);

  if (socket == NULL || self->hangup != NULL)
    return;

  self->hangup = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_static_name (self->hangup, "[asgiref] client hang-up");
  g_source_set_callback (self->hangup, G_SOURCE_FUNC (on_socket_ready), self, NULL);
  g_source_attach (self->hangup, g_main_context_get_thread_default ());
}

static void
stop_watching (AsgirefHttpExchange *self)
{
  if (self->hangup == NULL)
    return;

  g_source_destroy (self->hangup);
  g_clear_pointer (&self->hangup, g_source_unref);
}

static void
on_got_body (SoupServerMessage *msg,
             gpointer           data)
{
  AsgirefHttpExchange *self = data;

  self->body_read = TRUE;
  if (!self->refused)
    put (self, asgiref_message_new_http_request (NULL, FALSE));
  if (!self->response_complete)
    watch_socket (self);
}

void
_asgiref_http_exchange_body_read (SoupServerMessage *msg)
{
  AsgirefHttpExchange *self = g_object_get_data (G_OBJECT (msg), EXCHANGE_KEY);

  /* libsoup only calls the handler while no status is set: the
   * application has not started its response yet. */
  if (self != NULL)
    soup_server_message_pause (msg);
}

/* ---- Output ------------------------------------------------------------- */

static char *
dup_bytes_variant (GVariant *bytes)
{
  gsize length;
  const char *data = g_variant_get_fixed_array (bytes, &length, 1);

  return g_strndup (data, length);
}

/* The channel validated @start: every header name and value is one that
 * HTTP/1.1 can carry. */
static void
begin_response (AsgirefHttpExchange *self,
                GVariant            *start)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (self->msg);
  g_autoptr(GVariant) list = asgiref_message_get_headers (start);
  int status = asgiref_message_get_status (start);
  gboolean framed = FALSE;

  for (gsize i = 0; i < g_variant_n_children (list); i++)
    {
      g_autoptr(GVariant) header = g_variant_get_child_value (list, i);
      g_autoptr(GVariant) name_bytes = g_variant_get_child_value (header, 0);
      g_autoptr(GVariant) value_bytes = g_variant_get_child_value (header, 1);
      g_autofree char *name = dup_bytes_variant (name_bytes);
      g_autofree char *value = dup_bytes_variant (value_bytes);

      if (g_ascii_strcasecmp (name, "content-length") == 0 ||
          g_ascii_strcasecmp (name, "transfer-encoding") == 0)
        framed = TRUE;

      /* The application's own Date or Server replaces libsoup's. */
      if (g_ascii_strcasecmp (name, "date") == 0 || g_ascii_strcasecmp (name, "server") == 0)
        soup_message_headers_replace (headers, name, value);
      else
        soup_message_headers_append (headers, name, value);
    }

  /* Without a length, the body goes as it comes: chunked, or until the
   * connection closes for an HTTP/1.0 client. */
  if (status < 200 || status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_NONE);
  else if (!framed)
    soup_message_headers_set_encoding (headers,
                                       soup_server_message_get_http_version (self->msg) == SOUP_HTTP_1_0
                                       ? SOUP_ENCODING_EOF : SOUP_ENCODING_CHUNKED);

  soup_message_body_set_accumulate (soup_server_message_get_response_body (self->msg), FALSE);
  soup_server_message_set_status (self->msg, (guint) status, NULL);
  self->response_started = TRUE;
}

static void
send_body (AsgirefHttpExchange *self,
           GVariant            *message)
{
  SoupMessageBody *body = soup_server_message_get_response_body (self->msg);
  g_autoptr(GBytes) chunk = asgiref_message_get_body (message);

  if (g_bytes_get_size (chunk) > 0)
    {
      soup_message_body_append_bytes (body, chunk);
      self->writing = TRUE;
    }
  if (!asgiref_message_get_more_body (message))
    {
      soup_message_body_complete (body);
      self->response_complete = TRUE;
      self->writing = FALSE;
      stop_watching (self);
    }
}

/* libsoup writes a chunked or streamed response as its chunks come, and
 * pauses the message while it has none: each new one unpauses it. */
static void
resume_writing (AsgirefHttpExchange *self)
{
  if (self->body_read)
    soup_server_message_unpause (self->msg);
}

static void
respond_error (AsgirefHttpExchange *self)
{
  static const char body[] = "Internal Server Error\n";

  self->answered = TRUE;
  soup_server_message_set_status (self->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
  soup_server_message_set_response (self->msg, "text/plain; charset=utf-8",
                                    SOUP_MEMORY_STATIC, body, sizeof body - 1);
  resume_writing (self);
}

/* Ends a response that cannot be completed: closing the connection is how
 * HTTP/1.1 tells the client that it did not get all of it. libsoup's
 * next write then fails and finishes the message. */
static void
abort_response (AsgirefHttpExchange *self)
{
  GSocket *socket = soup_server_message_get_socket (self->msg);

  self->answered = TRUE;
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  soup_message_body_complete (soup_server_message_get_response_body (self->msg));
  self->response_complete = TRUE;
  stop_watching (self);
  resume_writing (self);
}

/* The instance returned and everything it sent was taken: whatever it
 * left unanswered, the server answers. */
static void
conclude (AsgirefHttpExchange *self)
{
  /* Cancelled by the server, or the client went away first: not the
   * application's fault, and nobody to tell. */
  gboolean quiet = self->disconnect_put ||
                   g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  const char *why = NULL;

  if (self->msg == NULL || self->answered)
    return;

  if (self->error != NULL)
    why = self->error->message;
  else if (!self->response_started)
    why = _("the application returned without starting a response");
  else if (!self->response_complete)
    why = _("the application returned without completing its response");

  /* g_log() rather than g_warning(), which G_LOG_USE_STRUCTURED makes a
   * structured message: GLib 2.74's g_test_expect_message() only sees the
   * others, and tests expect this one. */
  if (why != NULL && !quiet)
    g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, _("ASGI application error on %s %s: %s"),
           soup_server_message_get_method (self->msg),
           g_uri_get_path (soup_server_message_get_uri (self->msg)), why);

  /* A response the application completed stands, even if it failed
   * afterwards. */
  if (!self->response_started)
    respond_error (self);
  else if (!self->response_complete)
    abort_response (self);
}

static void
on_output (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  AsgirefHttpExchange *self = data;
  g_autoptr(GVariant) message = NULL;
  const char *type;

  /* Takes fail only once the instance ended (on_instance_done() ended
   * the channel's output) and everything it sent was taken. */
  message = asgiref_channel_take_output_finish (self->channel, result, NULL);
  if (message == NULL)
    {
      conclude (self);
      goto out;
    }

  /* Late sends, after the client left or the server answered: taking them
   * lets the application's sends complete. */
  if (self->msg == NULL || self->answered)
    {
      take_next (self);
      goto out;
    }

  /* The channel let through only what the protocol allows here. */
  type = asgiref_message_get_type_name (message);
  if (g_str_equal (type, "http.response.start"))
    {
      begin_response (self, message);
      resume_writing (self);
    }
  else if (g_str_equal (type, "http.response.body"))
    {
      send_body (self, message);
      resume_writing (self);
    }

  /* Back-pressure: a chunk handed to libsoup is taken as sent once written. */
  if (!self->writing)
    take_next (self);

out:
  exchange_unref (self);
}

static void
take_next (AsgirefHttpExchange *self)
{
  asgiref_channel_take_output_async (self->channel, NULL, on_output, exchange_ref (self));
}

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           data)
{
  AsgirefHttpExchange *self = data;

  if (!self->writing)
    return;

  self->writing = FALSE;
  take_next (self);
}

static void
on_finished (SoupServerMessage *msg,
             gpointer           data)
{
  AsgirefHttpExchange *self = data;

  stop_watching (self);
  g_signal_handlers_disconnect_by_data (msg, self);
  g_object_set_data (G_OBJECT (msg), EXCHANGE_KEY, NULL);
  g_clear_object (&self->msg);

  /* After the response, or instead of it when the client left. */
  put_disconnect (self);

  /* A chunk that was never written will not be: release the take loop. */
  if (self->writing)
    {
      self->writing = FALSE;
      take_next (self);
    }
  exchange_unref (self);
}

/* ---- The instance ------------------------------------------------------- */

static void
on_instance_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  AsgirefHttpExchange *self = data;

  asgiref_application_call_finish (ASGIREF_APPLICATION (source), result, &self->error);
  /* The take loop learns of it once it took what was sent before, and
   * concludes the exchange there. */
  _asgiref_channel_end_output (self->channel);
  exchange_unref (self);
}

static void
start_instance (gpointer data)
{
  gpointer *args = data;
  AsgirefHttpExchange *self = args[0];
  AsgirefApplication *application = args[1];
  GVariant *scope = args[2];

  asgiref_application_call_async (application, scope, self->channel, self->cancellable,
                                  on_instance_done, exchange_ref (self));
}

AsgirefHttpExchange *
_asgiref_http_exchange_start (SoupServerMessage               *msg,
                              const AsgirefHttpExchangeConfig *config)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  g_autoptr(AsgirefContext) context = NULL;
  g_autoptr(GVariant) scope = NULL;
  g_autoptr(GError) error = NULL;
  AsgirefHttpExchange *self;
  gpointer args[3];

  scope = scope_from_message (msg, &error);
  if (scope == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return NULL;
    }

  if (config->max_body_size != 0 &&
      soup_message_headers_get_encoding (request_headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (request_headers) > config->max_body_size)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
      return NULL;
    }

  self = g_new0 (AsgirefHttpExchange, 1);
  self->ref = 1;   /* the message's, until it finished */
  self->msg = g_object_ref (msg);
  self->channel = asgiref_channel_new (scope);
  self->cancellable = g_cancellable_new ();
  self->max_body_size = config->max_body_size;
  self->done = config->done;
  self->done_data = config->user_data;

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_object_set_data (G_OBJECT (msg), EXCHANGE_KEY, self);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), self);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), self);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), self);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), self);
  /* A paused message whose connection closes (the server disconnecting,
   * say) never finishes. */
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_finished), self);

  take_next (self);

  context = asgiref_context_copy (config->context);
  args[0] = self;
  args[1] = config->application;
  args[2] = scope;
  asgiref_context_run (context, start_instance, args);

  return self;
}

void
_asgiref_http_exchange_cancel (AsgirefHttpExchange *self)
{
  g_cancellable_cancel (self->cancellable);
}
