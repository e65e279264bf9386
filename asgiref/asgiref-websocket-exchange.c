/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-application-private.h"
#include "asgiref-channel-private.h"
#include "asgiref-connection-private.h"
#include "asgiref-counted-stream-private.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message-private.h"
#include "asgiref-scope-builder.h"
#include "asgiref-scope-private.h"
#include "asgiref-websocket-exchange-private.h"

/*
 * The request is held (paused) from its headers until the application
 * answers websocket.connect. Accepting sets the handshake's 101 on the
 * request; once libsoup wrote it, the exchange steals the connection and
 * makes a SoupWebsocketConnection of it. Denying (websocket.close before
 * accepting, or the denial response extension) answers the request as an
 * ordinary HTTP response instead.
 */

struct _AsgirefWebsocketExchange
{
  gint ref;                      /* the instance's, the request's or the
                                  * connection's, and the sink's */
  SoupServerMessage *msg;        /* until the handshake is answered */
  AsgirefChannel *channel;
  GCancellable *cancellable;
  SoupWebsocketConnection *ws;   /* once accepted */
  AsgirefCountedStream *counted; /* ws's, counting what it writes */
  guint64 frames_end;            /* where the last frame sent ends, in the
                                  * bytes written through counted */
  guint64 max_message_size;      /* 0: libsoup's own */
  AsgirefHttpExchangeDone done;
  gpointer done_data;
  GList link;                    /* the server's, in its list of exchanges */

  /* The denial response, while its body comes. */
  GByteArray *denial_body;

  GError *error;                 /* the instance's */
  gushort error_code;            /* of libsoup's closing on an error */
  gboolean answered;             /* accepted, denied, or given up */
  gboolean accepted;
  gboolean disconnect_put;
  gboolean instance_done;
  gboolean failed;               /* the instance ended with an error */
  gboolean sink_held;            /* the next messages wait: for the
                                  * connection, or for a frame's writing */
  gboolean connection_done;      /* closed, or never to be */
  gboolean reported;             /* done was called */
};

static AsgirefWebsocketExchange *
exchange_ref (AsgirefWebsocketExchange *self)
{
  self->ref++;
  return self;
}

static void
exchange_unref (AsgirefWebsocketExchange *self)
{
  if (--self->ref > 0)
    return;

  g_clear_object (&self->msg);
  g_clear_object (&self->ws);
  g_clear_object (&self->counted);
  g_clear_object (&self->channel);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->denial_body, g_byte_array_unref);
  g_clear_error (&self->error);
  g_free (self);
}

/* Both ended: the server may forget the exchange. */
static void
maybe_done (AsgirefWebsocketExchange *self)
{
  if (self->reported || !self->instance_done || !self->connection_done)
    return;
  self->reported = TRUE;
  self->done (self, self->done_data);
}

static void
put (AsgirefWebsocketExchange *self,
     AsgirefMessage           *message)
{
  g_autoptr(AsgirefMessage) owned = message;

  asgiref_channel_put_input (self->channel, owned, NULL);
}

static void
put_disconnect (AsgirefWebsocketExchange *self,
                int                       code)
{
  if (self->disconnect_put)
    return;
  self->disconnect_put = TRUE;
  put (self, asgiref_message_new_websocket_disconnect (code));
}

/* ---- The scope ---------------------------------------------------------- */

static AsgirefScope *
scope_from_message (SoupServerMessage  *msg,
                    const char         *root_path,
                    GError            **error)
{
  GUri *uri = soup_server_message_get_uri (msg);
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  g_autoptr(AsgirefScopeBuilder) builder = NULL;
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(AsgirefHeaders) headers = NULL;
  g_autoptr(GPtrArray) subprotocols = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  const char *protocols = soup_message_headers_get_list (request_headers, "Sec-WebSocket-Protocol");
  const char *query = g_uri_get_query (uri);
  GSocketAddress *address;

  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The request path is not a valid percent-encoded string"));
      return NULL;
    }

  /* Bytes that are not UTF-8 become U+FFFD, as in an http scope. */
  {
    g_autofree char *valid = g_utf8_make_valid (path, -1);

    builder = asgiref_scope_builder_new_websocket (valid);
  }
  if (_asgiref_http_is_tls (msg))
    asgiref_scope_builder_set_scheme (builder, "wss");
  asgiref_scope_builder_set_http_version (builder,
                                          soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ? "1.0" : "1.1");
  {
    g_autoptr(GBytes) raw_path = g_bytes_new (g_uri_get_path (uri), strlen (g_uri_get_path (uri)));

    asgiref_scope_builder_set_raw_path (builder, raw_path);
  }
  if (query != NULL)
    {
      g_autoptr(GBytes) query_string = g_bytes_new (query, strlen (query));

      asgiref_scope_builder_set_query_string (builder, query_string);
    }
  if (root_path != NULL)
    asgiref_scope_builder_set_root_path (builder, root_path);

  headers = _asgiref_http_request_headers (msg, error);
  if (headers == NULL)
    return NULL;
  asgiref_scope_builder_set_headers (builder, headers);

  if (protocols != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (protocols, ",", -1);

      for (guint i = 0; parts[i] != NULL; i++)
        {
          char *protocol = g_strstrip (parts[i]);

          if (*protocol != '\0')
            g_ptr_array_add (subprotocols, g_strdup (protocol));
        }
    }
  g_ptr_array_add (subprotocols, NULL);
  asgiref_scope_builder_set_subprotocols (builder, (const char * const *) subprotocols->pdata);

  address = soup_server_message_get_remote_address (msg);
  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));

      asgiref_scope_builder_set_client (builder, host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
    }
  address = soup_server_message_get_local_address (msg);
  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));

      asgiref_scope_builder_set_server (builder, host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
    }

  scope = asgiref_scope_builder_end (builder);
  if (!asgiref_scope_validate (scope, error))
    return NULL;
  return g_steal_pointer (&scope);
}

/* ---- The connection, once accepted -------------------------------------- */

static gboolean
on_sink_released (gpointer data)
{
  AsgirefWebsocketExchange *self = data;

  _asgiref_channel_sink_ready (self->channel);
  exchange_unref (self);
  return G_SOURCE_REMOVE;
}

/* The messages after websocket.accept waited for the connection, which
 * exists now (or never will: then they go nowhere, and their sends
 * complete all the same). From an idle: this is called from inside
 * libsoup's writing. */
static void
release_sink (AsgirefWebsocketExchange *self)
{
  g_autoptr(GSource) idle = NULL;

  if (!self->sink_held)
    return;
  self->sink_held = FALSE;
  /* The exchange's own main context: a serving thread's, maybe. */
  idle = g_idle_source_new ();
  g_source_set_priority (idle, G_PRIORITY_HIGH);
  g_source_set_static_name (idle, "[asgiref] websocket sink released");
  g_source_set_callback (idle, on_sink_released, exchange_ref (self), NULL);
  g_source_attach (idle, g_main_context_get_thread_default ());
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               SoupWebsocketDataType    type,
               GBytes                  *message,
               gpointer                 data)
{
  AsgirefWebsocketExchange *self = data;

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    {
      gsize size;
      const char *text = g_bytes_get_data (message, &size);
      g_autofree char *string = g_strndup (text, size);

      /* libsoup closed the connection already for text that is not UTF-8. */
      put (self, asgiref_message_new_websocket_receive (NULL, string));
    }
  else
    put (self, asgiref_message_new_websocket_receive (message, NULL));
}

/* libsoup closes on its own for a protocol error or a message over the
 * size limit (1009), without a close frame for the latter: the code the
 * application hears comes from here. */
static void
on_ws_error (SoupWebsocketConnection *ws,
             GError                  *error,
             gpointer                 data)
{
  AsgirefWebsocketExchange *self = data;

  if (error->domain == SOUP_WEBSOCKET_ERROR && self->error_code == 0)
    self->error_code = (gushort) error->code;
}

/* From inside libsoup's writing (release_sink() goes through an idle). */
static void
on_written (AsgirefCountedStream *stream,
            guint64               written,
            gpointer              data)
{
  AsgirefWebsocketExchange *self = data;

  if (written >= self->frames_end)
    release_sink (self);
}

/* The bytes a frame with @size bytes of payload takes from the server: a
 * two-byte header, the longer length, no mask (RFC 6455, 5.2). */
static guint64
frame_size (gsize size)
{
  return 2 + (size < 126 ? 0 : size <= G_MAXUINT16 ? 2 : 8) + (guint64) size;
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 data)
{
  AsgirefWebsocketExchange *self = data;
  gushort code = soup_websocket_connection_get_close_code (ws);

  _asgiref_counted_stream_unwatch (self->counted);
  /* What was not written never will be: the sends go on, and fail. */
  release_sink (self);

  /* The client's code; else the error's; else 1006: no close frame. */
  if (code == 0)
    code = self->error_code != 0 ? self->error_code : SOUP_WEBSOCKET_CLOSE_ABNORMAL;
  put_disconnect (self, code);
  g_signal_handlers_disconnect_by_data (ws, self);
  self->connection_done = TRUE;
  maybe_done (self);
  exchange_unref (self);   /* the connection's */
}

static void
on_handshake_written (SoupServerMessage *msg,
                      gpointer           data)
{
  AsgirefWebsocketExchange *self = data;
  AsgirefConnection *connection = _asgiref_connection_of_message (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GIOStream) stolen = NULL;

  /* Stealing ends the request without finishing it ("disconnected"). */
  g_signal_handlers_disconnect_by_data (msg, self);
  /* What follows on the connection is frames, not requests. */
  if (connection != NULL)
    _asgiref_connection_upgraded (connection);
  stolen = soup_server_message_steal_connection (msg);
  /* What the connection writes is counted, for the sends' back-pressure. */
  self->counted = _asgiref_counted_stream_new (stolen, on_written, self);
  self->ws = soup_websocket_connection_new (G_IO_STREAM (self->counted), soup_server_message_get_uri (msg),
                                            SOUP_WEBSOCKET_CONNECTION_SERVER,
                                            soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin"),
                                            soup_message_headers_get_one (response_headers, "Sec-WebSocket-Protocol"),
                                            NULL);
  if (self->max_message_size != 0)
    soup_websocket_connection_set_max_incoming_payload_size (self->ws, self->max_message_size);
  g_signal_connect (self->ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (self->ws, "error", G_CALLBACK (on_ws_error), self);
  g_signal_connect (self->ws, "closed", G_CALLBACK (on_ws_closed), exchange_ref (self));
  release_sink (self);
  g_clear_object (&self->msg);
  exchange_unref (self);   /* the request's */
}

/* ---- Answering the handshake ------------------------------------------- */

/* The request goes as an ordinary HTTP response: no connection follows. */
static void
answer_http (AsgirefWebsocketExchange *self,
             guint                     status)
{
  self->answered = TRUE;
  soup_message_headers_replace (soup_server_message_get_response_headers (self->msg),
                                "Connection", "close");
  soup_server_message_set_status (self->msg, status, NULL);
  soup_server_message_unpause (self->msg);
  put_disconnect (self, 1006);
}

static void
accept (AsgirefWebsocketExchange *self,
        AsgirefMessage           *message)
{
  const char *subprotocol = asgiref_message_get_subprotocol (message);
  char *protocols[] = { (char *) subprotocol, NULL };
  AsgirefHeaders *headers = asgiref_message_get_headers (message);
  AsgirefScope *scope = asgiref_channel_get_scope (self->channel);

  if (subprotocol != NULL &&
      (scope->subprotocols == NULL || !g_strv_contains ((const char * const *) scope->subprotocols, subprotocol)))
    {
      g_set_error (&self->error, ASGIREF_ERROR, ASGIREF_ERROR_PROTOCOL,
                   _("The subprotocol “%s” of websocket.accept is not one the client offered"), subprotocol);
      answer_http (self, SOUP_STATUS_INTERNAL_SERVER_ERROR);
      return;
    }

  if (!soup_websocket_server_process_handshake (self->msg, NULL, subprotocol != NULL ? protocols : NULL,
                                                NULL, NULL))
    {
      /* Checked when the request came: only a mistake of ours gets here. */
      answer_http (self, SOUP_STATUS_INTERNAL_SERVER_ERROR);
      return;
    }
  if (headers != NULL)
    for (guint i = 0; i < asgiref_headers_get_length (headers); i++)
      soup_message_headers_append (soup_server_message_get_response_headers (self->msg),
                                   asgiref_headers_get_name (headers, i),
                                   asgiref_headers_get_value (headers, i));

  self->answered = TRUE;
  self->accepted = TRUE;
  g_signal_connect (self->msg, "wrote-informational", G_CALLBACK (on_handshake_written), self);
  soup_server_message_unpause (self->msg);
}

/* The instance ended, and everything it sent went to libsoup. */
static void
conclude (AsgirefWebsocketExchange *self)
{
  if (self->ws != NULL &&
      soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    /* ASGI: a server closes what the application left open. */
    soup_websocket_connection_close (self->ws,
                                     self->failed ? SOUP_WEBSOCKET_CLOSE_SERVER_ERROR
                                                  : SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  else if (self->msg != NULL && !self->answered)
    /* Returned without accepting: 403, as ASGI says; a failure: 500. */
    answer_http (self, self->failed ? SOUP_STATUS_INTERNAL_SERVER_ERROR : SOUP_STATUS_FORBIDDEN);
}

/* The channel's sink: each message the application sent. */
static gboolean
on_output (AsgirefMessage *message,
           gpointer        data)
{
  AsgirefWebsocketExchange *self = data;

  if (message == NULL)
    {
      conclude (self);
      exchange_unref (self);   /* the sink's */
      return FALSE;
    }

  switch (message->kind)
    {
    case ASGIREF_MESSAGE_WEBSOCKET_ACCEPT:
      if (self->msg != NULL && !self->answered)
        {
          accept (self, message);
          /* What the application sends next needs the connection, which
           * exists once libsoup wrote the handshake's answer. */
          if (self->accepted)
            {
              self->sink_held = TRUE;
              return FALSE;
            }
        }
      break;

    case ASGIREF_MESSAGE_WEBSOCKET_CLOSE:
      if (self->ws != NULL)
        soup_websocket_connection_close (self->ws, (gushort) asgiref_message_get_code (message),
                                         asgiref_message_get_reason (message));
      else if (self->msg != NULL && !self->answered)
        answer_http (self, SOUP_STATUS_FORBIDDEN);
      break;

    case ASGIREF_MESSAGE_WEBSOCKET_SEND:
      if (self->ws != NULL &&
          soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        {
          if (message->body != NULL)
            {
              self->frames_end += frame_size (g_bytes_get_size (message->body));
              soup_websocket_connection_send_message (self->ws, SOUP_WEBSOCKET_DATA_BINARY, message->body);
            }
          else
            {
              self->frames_end += frame_size (strlen (asgiref_message_get_text (message)));
              soup_websocket_connection_send_text (self->ws, asgiref_message_get_text (message));
            }
          /* Back-pressure: the next message waits until this frame was
           * written (the control frames libsoup adds only make it come
           * sooner). */
          if (_asgiref_counted_stream_get_written (self->counted) < self->frames_end)
            {
              self->sink_held = TRUE;
              return FALSE;
            }
        }
      break;

    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START:
      if (self->msg != NULL && !self->answered)
        {
          AsgirefHeaders *headers = asgiref_message_get_headers (message);

          soup_message_headers_replace (soup_server_message_get_response_headers (self->msg),
                                        "Connection", "close");
          for (guint i = 0; i < asgiref_headers_get_length (headers); i++)
            soup_message_headers_append (soup_server_message_get_response_headers (self->msg),
                                         asgiref_headers_get_name (headers, i),
                                         asgiref_headers_get_value (headers, i));
          soup_server_message_set_status (self->msg, (guint) asgiref_message_get_status (message), NULL);
          self->denial_body = g_byte_array_new ();
        }
      break;

    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY:
      if (self->msg != NULL && self->denial_body != NULL && !self->answered)
        {
          GBytes *body = message->body;

          if (body != NULL)
            g_byte_array_append (self->denial_body, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
          if (!asgiref_message_get_more_body (message))
            {
              g_autoptr(GBytes) whole = g_byte_array_free_to_bytes (g_steal_pointer (&self->denial_body));

              self->answered = TRUE;
              soup_message_body_append_bytes (soup_server_message_get_response_body (self->msg), whole);
              soup_server_message_unpause (self->msg);
              put_disconnect (self, 1006);
            }
        }
      break;

    default:
      break;
    }
  return TRUE;
}

/* ---- The instance ------------------------------------------------------- */

static void
on_instance_done (GError   *error,
                  gpointer  data)
{
  AsgirefWebsocketExchange *self = data;
  AsgirefScope *scope = asgiref_channel_get_scope (self->channel);
  g_autoptr(GError) rejection = _asgiref_channel_dup_rejection (self->channel);
  gboolean quiet = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  const char *why = NULL;

  if (self->error == NULL)
    self->error = error;
  else
    g_clear_error (&error);
  self->instance_done = TRUE;

  if (self->error != NULL)
    why = self->error->message;
  else if (rejection != NULL)
    why = rejection->message;
  if (why != NULL && !quiet)
    g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, _("ASGI application error on %s %s: %s"),
           "WEBSOCKET", scope->path, why);
  self->failed = why != NULL;

  /* The sink learns of the end once it got what was sent before, and
   * concludes there: closing now could overtake the last messages. */
  _asgiref_channel_end_output (self->channel);
  maybe_done (self);
  exchange_unref (self);   /* the instance's */
}

static void
start_instance (gpointer data)
{
  gpointer *args = data;
  AsgirefWebsocketExchange *self = args[0];

  _asgiref_application_call (args[1], args[2], self->channel, self->cancellable,
                             on_instance_done, exchange_ref (self));
}

/* libsoup is done with the request: it was answered (denied), or the
 * client left before the answer. Not called for an accepted one, whose
 * connection was stolen. */
static void
on_request_finished (SoupServerMessage *msg,
                     gpointer           data)
{
  AsgirefWebsocketExchange *self = data;

  g_signal_handlers_disconnect_by_data (msg, self);
  if (self->accepted && self->ws != NULL)
    return;
  release_sink (self);
  put_disconnect (self, 1006);
  g_clear_object (&self->msg);
  self->connection_done = TRUE;
  maybe_done (self);
  exchange_unref (self);   /* the request's */
}

AsgirefWebsocketExchange *
_asgiref_websocket_exchange_start (SoupServerMessage               *msg,
                                   const AsgirefHttpExchangeConfig *config)
{
  g_autoptr(AsgirefContext) context = NULL;
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(GError) error = NULL;
  AsgirefWebsocketExchange *self;
  gpointer args[3];

  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error) ||
      (scope = scope_from_message (msg, config->root_path, &error)) == NULL)
    {
      _asgiref_http_refuse (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return NULL;
    }

  self = g_new0 (AsgirefWebsocketExchange, 1);
  self->ref = 1;   /* the request's, until libsoup is done with it */
  self->msg = g_object_ref (msg);
  self->channel = asgiref_channel_new (scope);
  self->cancellable = g_cancellable_new ();
  self->max_message_size = config->max_body_size;
  self->done = config->done;
  self->done_data = config->user_data;

  /* Held until the application answers websocket.connect. */
  soup_server_message_pause (msg);
  g_signal_connect (msg, "finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_request_finished), self);

  put (self, asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_CONNECT));
  _asgiref_channel_set_sink (self->channel, on_output, NULL, exchange_ref (self));

  context = asgiref_context_copy (config->context);
  args[0] = self;
  args[1] = config->application;
  args[2] = scope;
  asgiref_context_run (context, start_instance, args);
  return self;
}

GList *
_asgiref_websocket_exchange_get_link (AsgirefWebsocketExchange *self)
{
  return &self->link;
}

void
_asgiref_websocket_exchange_cancel (AsgirefWebsocketExchange *self)
{
  g_cancellable_cancel (self->cancellable);
  _asgiref_channel_cancel (self->channel);
  if (self->ws != NULL &&
      soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
}
