/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-enum-types.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message-private.h"

/**
 * AsgirefMessage:
 *
 * An ASGI message: an event that the server sends to an application
 * (`http.request`, `websocket.receive`, ...) or that the application sends
 * back (`http.response.start`, `websocket.send`, ...), as the ASGI 3.0
 * specification (HTTP 2.3, WebSocket 2.3, lifespan 2.0) names them.
 *
 * A message is immutable and refcounted, so it may be shared between
 * threads. Its fields are plain C values, set by the builder of its kind
 * and read by the accessors; a body is the caller's own [struct@GLib.Bytes],
 * never copied on its way to the network:
 *
 * ```c
 * static const char * const names[] = { "content-type", NULL };
 * static const char * const values[] = { "text/plain", NULL };
 * g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, NULL);
 * g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, headers, FALSE);
 * g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (hello, FALSE);
 *
 * asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
 * asgiref_channel_send_async (channel, body, cancellable, on_sent, self);
 * ```
 *
 * Builders do not check what they are given; [method@Asgiref.Message.validate]
 * does, and [class@Asgiref.Channel] calls it on every message an
 * application sends. The `a{sv}` [struct@GLib.Variant] form of ASGI's
 * dictionaries is there for bindings, logs and other programs:
 * [ctor@Asgiref.Message.new_from_variant] checks and reads one,
 * [method@Asgiref.Message.to_variant] writes one. See the
 * [ASGI messages and scopes](asgi.html) guide.
 */

G_DEFINE_BOXED_TYPE (AsgirefMessage, asgiref_message, asgiref_message_ref, asgiref_message_unref)

static const char * const type_names[] = {
  [ASGIREF_MESSAGE_HTTP_REQUEST] = "http.request",
  [ASGIREF_MESSAGE_HTTP_RESPONSE_START] = "http.response.start",
  [ASGIREF_MESSAGE_HTTP_RESPONSE_BODY] = "http.response.body",
  [ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS] = "http.response.trailers",
  [ASGIREF_MESSAGE_HTTP_DISCONNECT] = "http.disconnect",
  [ASGIREF_MESSAGE_LIFESPAN_STARTUP] = "lifespan.startup",
  [ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE] = "lifespan.startup.complete",
  [ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED] = "lifespan.startup.failed",
  [ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN] = "lifespan.shutdown",
  [ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE] = "lifespan.shutdown.complete",
  [ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED] = "lifespan.shutdown.failed",
  [ASGIREF_MESSAGE_WEBSOCKET_CONNECT] = "websocket.connect",
  [ASGIREF_MESSAGE_WEBSOCKET_ACCEPT] = "websocket.accept",
  [ASGIREF_MESSAGE_WEBSOCKET_RECEIVE] = "websocket.receive",
  [ASGIREF_MESSAGE_WEBSOCKET_SEND] = "websocket.send",
  [ASGIREF_MESSAGE_WEBSOCKET_CLOSE] = "websocket.close",
  [ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT] = "websocket.disconnect",
  [ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START] = "websocket.http.response.start",
  [ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY] = "websocket.http.response.body",
};
G_STATIC_ASSERT (G_N_ELEMENTS (type_names) == _ASGIREF_MESSAGE_N_KINDS);

static gboolean
kind_is_valid (AsgirefMessageKind kind)
{
  return (guint) kind < G_N_ELEMENTS (type_names);
}

gboolean
_asgiref_message_kind_from_type (const char         *type,
                                 AsgirefMessageKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (strcmp (type_names[i], type) == 0)
      {
        *kind = i;
        return TRUE;
      }
  return FALSE;
}

/* {{{ Life cycle */

AsgirefMessage *
_asgiref_message_alloc (AsgirefMessageKind kind)
{
  AsgirefMessage *self = g_new0 (AsgirefMessage, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  /* ASGI's defaults for the codes. */
  if (kind == ASGIREF_MESSAGE_WEBSOCKET_CLOSE)
    self->status = 1000;
  else if (kind == ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT)
    self->status = 1005;
  return self;
}

/**
 * asgiref_message_ref:
 * @message: a message
 *
 * Takes a reference to @message. Any thread may call it.
 *
 * Returns: (transfer full): @message
 */
AsgirefMessage *
asgiref_message_ref (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  g_atomic_ref_count_inc (&message->ref_count);
  return message;
}

/**
 * asgiref_message_unref:
 * @message: (transfer full): a message
 *
 * Drops a reference to @message, and frees it with the last one. Any
 * thread may call it.
 */
void
asgiref_message_unref (AsgirefMessage *message)
{
  g_return_if_fail (message != NULL);

  if (!g_atomic_ref_count_dec (&message->ref_count))
    return;

  g_clear_pointer (&message->body, g_bytes_unref);
  g_clear_pointer (&message->text, g_free);
  g_clear_pointer (&message->headers, asgiref_headers_unref);
  g_clear_pointer (&message->extra, g_variant_unref);
  g_clear_pointer (&message->view, g_variant_unref);
  g_free (message);
}

/* }}} */
/* {{{ Builders */

/**
 * asgiref_message_new:
 * @kind: the message's type
 *
 * Builds a message of @kind whose keys have their ASGI defaults: what
 * messages with no key but `type` need (`http.disconnect`,
 * `lifespan.startup`, `lifespan.startup.complete`, `lifespan.shutdown`,
 * `lifespan.shutdown.complete`, `websocket.connect`). The other kinds
 * have builders that take their keys.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new (AsgirefMessageKind kind)
{
  g_return_val_if_fail (kind_is_valid (kind), NULL);

  return _asgiref_message_alloc (kind);
}

static AsgirefMessage *
new_body_message (AsgirefMessageKind  kind,
                  GBytes             *body,
                  gboolean            more_body)
{
  AsgirefMessage *self = _asgiref_message_alloc (kind);

  self->body = body != NULL ? g_bytes_ref (body) : NULL;
  self->more = more_body != FALSE;
  return self;
}

static AsgirefHeaders *
headers_or_empty (AsgirefHeaders *headers)
{
  return asgiref_headers_ref (headers != NULL ? headers : _asgiref_headers_empty ());
}

/**
 * asgiref_message_new_http_request:
 * @body: (nullable): the request body, or this chunk of it; %NULL for none
 * @more_body: whether more chunks of the body follow
 *
 * Builds an `http.request` message: a chunk of the request body, sent by
 * the server to the application. @body is kept, not copied.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_http_request (GBytes   *body,
                                  gboolean  more_body)
{
  return new_body_message (ASGIREF_MESSAGE_HTTP_REQUEST, body, more_body);
}

/**
 * asgiref_message_new_http_response_start:
 * @status: the HTTP status code, from 100 to 599
 * @headers: (nullable): the response headers; %NULL for none
 * @trailers: whether the application will send trailers
 *   (`http.response.trailers`) after the body
 *
 * Builds an `http.response.start` message: the status and headers of the
 * response, sent by the application before the body.
 *
 * The status is not checked here: [method@Asgiref.Message.validate] does
 * that.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_http_response_start (int             status,
                                         AsgirefHeaders *headers,
                                         gboolean        trailers)
{
  AsgirefMessage *self = _asgiref_message_alloc (ASGIREF_MESSAGE_HTTP_RESPONSE_START);

  self->status = status;
  self->headers = headers_or_empty (headers);
  self->trailers = trailers != FALSE;
  return self;
}

/**
 * asgiref_message_new_http_response_body:
 * @body: (nullable): the response body, or this chunk of it; %NULL for none
 * @more_body: whether more chunks of the body follow
 *
 * Builds an `http.response.body` message: a chunk of the response body,
 * sent by the application to the server after `http.response.start`.
 * @body is kept, not copied: the server writes these very bytes.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_http_response_body (GBytes   *body,
                                        gboolean  more_body)
{
  return new_body_message (ASGIREF_MESSAGE_HTTP_RESPONSE_BODY, body, more_body);
}

/**
 * asgiref_message_new_http_response_trailers:
 * @headers: (nullable): the trailing headers; %NULL for none
 * @more_trailers: whether more `http.response.trailers` messages follow
 *
 * Builds an `http.response.trailers` message: headers sent after the last
 * chunk of the body, by an application that announced them with
 * `trailers` in `http.response.start`.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_http_response_trailers (AsgirefHeaders *headers,
                                            gboolean        more_trailers)
{
  AsgirefMessage *self = _asgiref_message_alloc (ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS);

  self->headers = headers_or_empty (headers);
  self->more = more_trailers != FALSE;
  return self;
}

static AsgirefMessage *
new_message_with_text (AsgirefMessageKind  kind,
                       const char         *text)
{
  AsgirefMessage *self = _asgiref_message_alloc (kind);

  self->text = g_strdup (text);
  return self;
}

/**
 * asgiref_message_new_lifespan_startup_failed:
 * @message: (nullable): why the startup failed; %NULL for no `message` key
 *
 * Builds a `lifespan.startup.failed` message, sent by the application when
 * its startup failed.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_lifespan_startup_failed (const char *message)
{
  return new_message_with_text (ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED, message);
}

/**
 * asgiref_message_new_lifespan_shutdown_failed:
 * @message: (nullable): why the shutdown failed; %NULL for no `message` key
 *
 * Builds a `lifespan.shutdown.failed` message, sent by the application when
 * its shutdown failed.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_lifespan_shutdown_failed (const char *message)
{
  return new_message_with_text (ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED, message);
}

/**
 * asgiref_message_new_websocket_accept:
 * @subprotocol: (nullable): the subprotocol the application chose among
 *   those the client offered; %NULL for none
 * @headers: (nullable): extra headers for the handshake response; %NULL for
 *   none. A `sec-websocket-protocol` header is not allowed: @subprotocol
 *   says that.
 *
 * Builds a `websocket.accept` message, sent by the application to accept
 * the connection.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_websocket_accept (const char     *subprotocol,
                                      AsgirefHeaders *headers)
{
  AsgirefMessage *self = new_message_with_text (ASGIREF_MESSAGE_WEBSOCKET_ACCEPT, subprotocol);

  self->headers = headers_or_empty (headers);
  return self;
}

static AsgirefMessage *
new_frame_message (AsgirefMessageKind  kind,
                   GBytes             *bytes,
                   const char         *text)
{
  AsgirefMessage *self = _asgiref_message_alloc (kind);

  self->body = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  self->text = g_strdup (text);
  return self;
}

/**
 * asgiref_message_new_websocket_send:
 * @bytes: (nullable): the payload of a binary frame, or %NULL
 * @text: (nullable): the payload of a text frame, or %NULL
 *
 * Builds a `websocket.send` message, sent by the application: a binary
 * frame (@bytes) or a text frame (@text). Exactly one of the two is given.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_websocket_send (GBytes     *bytes,
                                    const char *text)
{
  g_return_val_if_fail ((bytes == NULL) != (text == NULL), NULL);

  return new_frame_message (ASGIREF_MESSAGE_WEBSOCKET_SEND, bytes, text);
}

/**
 * asgiref_message_new_websocket_receive:
 * @bytes: (nullable): the payload of a binary frame, or %NULL
 * @text: (nullable): the payload of a text frame, or %NULL
 *
 * Builds a `websocket.receive` message, sent by the server: a binary frame
 * (@bytes) or a text frame (@text). Exactly one of the two is given.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_websocket_receive (GBytes     *bytes,
                                       const char *text)
{
  g_return_val_if_fail ((bytes == NULL) != (text == NULL), NULL);

  return new_frame_message (ASGIREF_MESSAGE_WEBSOCKET_RECEIVE, bytes, text);
}

/**
 * asgiref_message_new_websocket_close:
 * @code: the close code, 1000 for a normal closure
 * @reason: (nullable): why, for the peer; %NULL for no `reason` key
 *
 * Builds a `websocket.close` message, sent by the application to close the
 * connection (or, before `websocket.accept`, to refuse it).
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_websocket_close (int         code,
                                     const char *reason)
{
  AsgirefMessage *self = new_message_with_text (ASGIREF_MESSAGE_WEBSOCKET_CLOSE, reason);

  self->status = code;
  return self;
}

/**
 * asgiref_message_new_websocket_disconnect:
 * @code: the close code the connection ended with
 *
 * Builds a `websocket.disconnect` message, sent by the server when the
 * connection closed.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_websocket_disconnect (int code)
{
  AsgirefMessage *self = _asgiref_message_alloc (ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT);

  self->status = code;
  return self;
}

/**
 * asgiref_message_new_websocket_http_response_start:
 * @status: the HTTP status code of the denial, from 100 to 599
 * @headers: (nullable): the response headers; %NULL for none
 *
 * Builds a `websocket.http.response.start` message of the WebSocket Denial
 * Response extension: the application refuses the handshake with this
 * HTTP response.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_websocket_http_response_start (int             status,
                                                   AsgirefHeaders *headers)
{
  AsgirefMessage *self = _asgiref_message_alloc (ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START);

  self->status = status;
  self->headers = headers_or_empty (headers);
  return self;
}

/**
 * asgiref_message_new_websocket_http_response_body:
 * @body: (nullable): the body of the denial response, or this chunk of it
 * @more_body: whether more chunks of the body follow
 *
 * Builds a `websocket.http.response.body` message of the WebSocket Denial
 * Response extension.
 *
 * Returns: (transfer full): the message
 */
AsgirefMessage *
asgiref_message_new_websocket_http_response_body (GBytes   *body,
                                                  gboolean  more_body)
{
  return new_body_message (ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY, body, more_body);
}

/* }}} */
/* {{{ Accessors */

/**
 * asgiref_message_get_kind:
 * @message: a message
 *
 * Reads the message's `type` as an enum: what C code switches on, with no
 * string compared.
 *
 * Returns: the message's type, as an enum
 */
AsgirefMessageKind
asgiref_message_get_kind (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return message->kind;
}

/**
 * asgiref_message_get_type_name:
 * @message: a message
 *
 * Reads the message's `type`, such as `"http.request"`.
 *
 * Returns: (transfer none): the type, a static string
 */
const char *
asgiref_message_get_type_name (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return type_names[message->kind];
}

/**
 * asgiref_message_get_body:
 * @message: a message
 *
 * Reads the `body` of an `http.request`, `http.response.body` or
 * `websocket.http.response.body` message: the very bytes it was built
 * with, not a copy.
 *
 * Returns: (transfer full): the body; empty when there is none, or for a
 *   message of another kind
 */
GBytes *
asgiref_message_get_body (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  /* Frames keep their `bytes` in the same field. */
  if (message->body == NULL ||
      message->kind == ASGIREF_MESSAGE_WEBSOCKET_RECEIVE ||
      message->kind == ASGIREF_MESSAGE_WEBSOCKET_SEND)
    return g_bytes_new_static ("", 0);
  return g_bytes_ref (message->body);
}

/**
 * asgiref_message_get_more_body:
 * @message: a message
 *
 * Reads `more_body` of an `http.request`, `http.response.body` or
 * `websocket.http.response.body` message: whether more chunks of the body
 * follow.
 *
 * Returns: the value; %FALSE by default, as ASGI's says
 */
gboolean
asgiref_message_get_more_body (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return message->kind != ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS && message->more;
}

/**
 * asgiref_message_get_trailers:
 * @message: a message
 *
 * Reads `trailers` of an `http.response.start` message: whether trailers
 * follow the body.
 *
 * Returns: the value; %FALSE by default
 */
gboolean
asgiref_message_get_trailers (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return message->trailers;
}

/**
 * asgiref_message_get_more_trailers:
 * @message: a message
 *
 * Reads `more_trailers` of an `http.response.trailers` message: whether
 * more trailers follow.
 *
 * Returns: the value; %FALSE by default
 */
gboolean
asgiref_message_get_more_trailers (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return message->kind == ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS && message->more;
}

/**
 * asgiref_message_get_status:
 * @message: a message
 *
 * Reads the `status` of an `http.response.start` or
 * `websocket.http.response.start` message.
 *
 * Returns: the status; 0 for a message of another kind
 */
int
asgiref_message_get_status (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  if (message->kind != ASGIREF_MESSAGE_HTTP_RESPONSE_START &&
      message->kind != ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START)
    return 0;
  return message->status;
}

/**
 * asgiref_message_get_headers:
 * @message: a message
 *
 * Reads the `headers` of an `http.response.start`,
 * `http.response.trailers`, `websocket.accept` or
 * `websocket.http.response.start` message.
 *
 * Returns: (transfer none): the headers, valid as long as @message; an
 *   empty list when there are none
 */
AsgirefHeaders *
asgiref_message_get_headers (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->headers != NULL ? message->headers : _asgiref_headers_empty ();
}

static const char *
text_of (AsgirefMessage     *message,
         AsgirefMessageKind  kind1,
         AsgirefMessageKind  kind2)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->kind == kind1 || message->kind == kind2 ? message->text : NULL;
}

/**
 * asgiref_message_get_message:
 * @message: a message
 *
 * Reads the `message` of a `lifespan.startup.failed` or
 * `lifespan.shutdown.failed` message.
 *
 * Returns: (transfer none) (nullable): the text, or %NULL when there is none
 */
const char *
asgiref_message_get_message (AsgirefMessage *message)
{
  return text_of (message, ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED,
                  ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED);
}

/**
 * asgiref_message_get_bytes:
 * @message: a message
 *
 * Reads the `bytes` of a `websocket.receive` or `websocket.send` message:
 * the payload of a binary frame.
 *
 * Returns: (transfer full) (nullable): the payload, or %NULL for a text frame
 */
GBytes *
asgiref_message_get_bytes (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  if (message->kind != ASGIREF_MESSAGE_WEBSOCKET_RECEIVE &&
      message->kind != ASGIREF_MESSAGE_WEBSOCKET_SEND)
    return NULL;
  return message->body != NULL ? g_bytes_ref (message->body) : NULL;
}

/**
 * asgiref_message_get_text:
 * @message: a message
 *
 * Reads the `text` of a `websocket.receive` or `websocket.send` message:
 * the payload of a text frame.
 *
 * Returns: (transfer none) (nullable): the payload, or %NULL for a binary
 *   frame
 */
const char *
asgiref_message_get_text (AsgirefMessage *message)
{
  return text_of (message, ASGIREF_MESSAGE_WEBSOCKET_RECEIVE, ASGIREF_MESSAGE_WEBSOCKET_SEND);
}

/**
 * asgiref_message_get_subprotocol:
 * @message: a message
 *
 * Reads the `subprotocol` of a `websocket.accept` message.
 *
 * Returns: (transfer none) (nullable): the subprotocol, or %NULL for none
 */
const char *
asgiref_message_get_subprotocol (AsgirefMessage *message)
{
  return text_of (message, ASGIREF_MESSAGE_WEBSOCKET_ACCEPT, ASGIREF_MESSAGE_WEBSOCKET_ACCEPT);
}

/**
 * asgiref_message_get_code:
 * @message: a message
 *
 * Reads the `code` of a `websocket.close` or `websocket.disconnect`
 * message.
 *
 * Returns: the code; ASGI's defaults are 1000 for `websocket.close` and
 *   1005 for `websocket.disconnect`
 */
int
asgiref_message_get_code (AsgirefMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  if (message->kind != ASGIREF_MESSAGE_WEBSOCKET_CLOSE &&
      message->kind != ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT)
    return 0;
  return message->status;
}

/**
 * asgiref_message_get_reason:
 * @message: a message
 *
 * Reads the `reason` of a `websocket.close` message.
 *
 * Returns: (transfer none) (nullable): the reason, or %NULL for none
 */
const char *
asgiref_message_get_reason (AsgirefMessage *message)
{
  return text_of (message, ASGIREF_MESSAGE_WEBSOCKET_CLOSE, ASGIREF_MESSAGE_WEBSOCKET_CLOSE);
}

/* }}} */
/* {{{ Validation */

static gboolean
check_status (AsgirefMessage  *message,
              GError         **error)
{
  if (message->status >= 100 && message->status <= 599)
    return TRUE;

  g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
               _("The status %d of the ASGI message “%s” is outside 100–599"),
               message->status, type_names[message->kind]);
  return FALSE;
}

/* The value of a content-length header, or -1 when it is not 1 to 18
 * digits (which any body fits). */
static gint64
parse_length (const AsgirefHeader *header)
{
  gint64 length = 0;

  if (header->value_len == 0 || header->value_len > 18)
    return -1;
  for (guint32 i = 0; i < header->value_len; i++)
    {
      if (!g_ascii_isdigit (header->value[i]))
        return -1;
      length = length * 10 + (header->value[i] - '0');
    }
  return length;
}

gint64
_asgiref_message_content_length (AsgirefMessage *message)
{
  AsgirefHeaders *headers = message->headers;

  for (guint i = 0; headers != NULL && i < headers->length; i++)
    if (strcmp (headers->headers[i].name, "content-length") == 0)
      return parse_length (&headers->headers[i]);
  return -1;
}

/* The framing headers of a response: what a server writes as they are,
 * so that a client reads this response and not the next one into it. */
static gboolean
check_framing (AsgirefMessage  *message,
               GError         **error)
{
  AsgirefHeaders *headers = message->headers;
  guint lengths = 0, encodings = 0;

  for (guint i = 0; headers != NULL && i < headers->length; i++)
    {
      const AsgirefHeader *header = &headers->headers[i];

      if (strcmp (header->name, "content-length") == 0)
        {
          if (parse_length (header) < 0)
            {
              g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                           _("The content-length “%s” of the ASGI message “%s” is not a number of bytes"),
                           header->value, type_names[message->kind]);
              return FALSE;
            }
          lengths++;
        }
      else if (strcmp (header->name, "transfer-encoding") == 0)
        {
          if (g_ascii_strcasecmp (header->value, "chunked") != 0)
            {
              g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                           _("The transfer-encoding “%s” of the ASGI message “%s” is not “chunked”, "
                             "the only one a server can frame a body with"),
                           header->value, type_names[message->kind]);
              return FALSE;
            }
          encodings++;
        }
    }

  if (lengths > 1 || encodings > 1 || (lengths > 0 && encodings > 0))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The ASGI message “%s” frames its body more than once: give one "
                     "content-length or one transfer-encoding, not both or several"),
                   type_names[message->kind]);
      return FALSE;
    }
  return TRUE;
}

/**
 * asgiref_message_validate:
 * @message: a message
 * @error: return location for a #GError
 *
 * Checks what the builders leave to the caller, and fails with
 * %ASGIREF_ERROR_INVALID_MESSAGE and a message naming the rule broken:
 *
 * - the `status` of `http.response.start` or
 *   `websocket.http.response.start` is outside 100–599;
 * - their headers frame the body wrongly: a `content-length` that is not
 *   a number of bytes, a `transfer-encoding` other than `chunked`, or more
 *   than one of them;
 * - a `websocket.accept` has a `sec-websocket-protocol` header (the
 *   `subprotocol` says that, so that the server can check it against
 *   what the client offered);
 * - a `websocket.send` or `websocket.receive` has both or neither of
 *   `bytes` and `text`.
 *
 * The rules of headers were checked when they were made (see
 * [ctor@Asgiref.Headers.new]); those of the `a{sv}` form by
 * [ctor@Asgiref.Message.new_from_variant]. Checking the order of messages
 * (no body before the start of a response, say) is not this function's
 * business but [class@Asgiref.Channel]'s.
 *
 * Any thread may call this function.
 *
 * Returns: %TRUE if @message is valid
 */
gboolean
asgiref_message_validate (AsgirefMessage  *message,
                          GError         **error)
{
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (message->kind)
    {
    case ASGIREF_MESSAGE_HTTP_RESPONSE_START:
    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START:
      return check_status (message, error) && check_framing (message, error);

    case ASGIREF_MESSAGE_WEBSOCKET_ACCEPT:
      if (message->headers != NULL && _asgiref_headers_contain (message->headers, "sec-websocket-protocol"))
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("The ASGI message “%s” must not have a “sec-websocket-protocol” header: "
                         "use its “subprotocol” key"),
                       type_names[message->kind]);
          return FALSE;
        }
      return TRUE;

    case ASGIREF_MESSAGE_WEBSOCKET_RECEIVE:
    case ASGIREF_MESSAGE_WEBSOCKET_SEND:
      if ((message->body != NULL) == (message->text != NULL))
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("The ASGI message “%s” must have exactly one of the keys “bytes” and “text”"),
                       type_names[message->kind]);
          return FALSE;
        }
      return TRUE;

    default:
      return TRUE;
    }
}

/* }}} */
