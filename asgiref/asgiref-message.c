/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message.h"
#include "asgiref-message-private.h"
#include "asgiref-vardict-private.h"

/**
 * asgiref_message_new:
 * @type: the message's `type`, such as `"http.disconnect"`
 *
 * Builds an ASGI message that has no key but `type`: `http.disconnect`,
 * `lifespan.startup`, `lifespan.startup.complete`, `lifespan.shutdown`,
 * `lifespan.shutdown.complete` or `websocket.connect`, say.
 *
 * ASGI messages are [struct@GLib.Variant] dictionaries of type `a{sv}`
 * whose keys and value types follow the ASGI 3.0 specification (HTTP 2.3,
 * WebSocket 2.3, lifespan 2.0); see the [ASGI messages](asgi.html) guide.
 * Like every builder here, this one returns a new reference to a
 * variant that is not floating.
 *
 * @type is not checked: [func@Asgiref.message_validate] tells whether the
 * result is a message ASGI knows.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new (const char *type)
{
  GVariantDict dict;

  g_return_val_if_fail (type != NULL, NULL);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", type);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static GVariant *
new_body_message (const char *type,
                  GBytes     *body,
                  gboolean    more_body)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", type);
  g_variant_dict_insert_value (&dict, "body", _asgiref_bytes_value (body));
  g_variant_dict_insert (&dict, "more_body", "b", more_body);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_new_http_request:
 * @body: (nullable): the request body, or this chunk of it; %NULL for none
 * @more_body: whether more chunks of the body follow
 *
 * Builds an `http.request` message: a chunk of the request body, sent by
 * the server to the application.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_http_request (GBytes   *body,
                                  gboolean  more_body)
{
  return new_body_message ("http.request", body, more_body);
}

/**
 * asgiref_message_new_http_response_body:
 * @body: (nullable): the response body, or this chunk of it; %NULL for none
 * @more_body: whether more chunks of the body follow
 *
 * Builds an `http.response.body` message: a chunk of the response body,
 * sent by the application to the server after `http.response.start`.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_http_response_body (GBytes   *body,
                                        gboolean  more_body)
{
  return new_body_message ("http.response.body", body, more_body);
}

/* Fills @dict with what http.response.start and its WebSocket Denial
 * Response twin share; @headers (nullable, floating or not) is consumed
 * as g_variant_dict_insert_value() does. */
static void
response_start_dict_init (GVariantDict *dict,
                          const char   *type,
                          int           status,
                          GVariant     *headers)
{
  g_variant_dict_init (dict, NULL);
  g_variant_dict_insert (dict, "type", "s", type);
  g_variant_dict_insert (dict, "status", "i", status);
  g_variant_dict_insert_value (dict, "headers", headers != NULL ? headers : _asgiref_empty_headers ());
}

/**
 * asgiref_message_new_http_response_start:
 * @status: the HTTP status code, from 100 to 599
 * @headers: (nullable): the response headers, of type `a(ayay)`, as
 *   [func@Asgiref.headers_new] builds them; %NULL for none. A floating
 *   reference is consumed.
 * @trailers: whether the application will send trailers
 *   (`http.response.trailers`) after the body
 *
 * Builds an `http.response.start` message: the status and headers of the
 * response, sent by the application before the body.
 *
 * Neither the status nor the headers are checked here:
 * [func@Asgiref.message_validate] does that.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_http_response_start (int       status,
                                         GVariant *headers,
                                         gboolean  trailers)
{
  GVariantDict dict;

  g_return_val_if_fail (headers == NULL ||
                        g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")), NULL);

  response_start_dict_init (&dict, "http.response.start", status, headers);
  g_variant_dict_insert (&dict, "trailers", "b", trailers);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_new_http_response_trailers:
 * @headers: (nullable): the trailing headers, of type `a(ayay)`, as
 *   [func@Asgiref.headers_new] builds them; %NULL for none. A floating
 *   reference is consumed.
 * @more_trailers: whether more `http.response.trailers` messages follow
 *
 * Builds an `http.response.trailers` message: headers sent after the last
 * chunk of the body, by an application that announced them with
 * `trailers` in `http.response.start`.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_http_response_trailers (GVariant *headers,
                                            gboolean  more_trailers)
{
  GVariantDict dict;

  g_return_val_if_fail (headers == NULL ||
                        g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")), NULL);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", "http.response.trailers");
  g_variant_dict_insert_value (&dict, "headers", headers != NULL ? headers : _asgiref_empty_headers ());
  g_variant_dict_insert (&dict, "more_trailers", "b", more_trailers);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static GVariant *
new_message_with_string (const char *type,
                         const char *key,
                         const char *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", type);
  if (value != NULL)
    g_variant_dict_insert (&dict, key, "s", value);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_new_lifespan_startup_failed:
 * @message: (nullable): why the startup failed; %NULL for no `message` key
 *
 * Builds a `lifespan.startup.failed` message, sent by the application when
 * its startup failed.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_lifespan_startup_failed (const char *message)
{
  return new_message_with_string ("lifespan.startup.failed", "message", message);
}

/**
 * asgiref_message_new_lifespan_shutdown_failed:
 * @message: (nullable): why the shutdown failed; %NULL for no `message` key
 *
 * Builds a `lifespan.shutdown.failed` message, sent by the application when
 * its shutdown failed.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_lifespan_shutdown_failed (const char *message)
{
  return new_message_with_string ("lifespan.shutdown.failed", "message", message);
}

/**
 * asgiref_message_new_websocket_accept:
 * @subprotocol: (nullable): the subprotocol the server accepts; %NULL for
 *   none
 * @headers: (nullable): extra headers of the handshake response, of type
 *   `a(ayay)`; %NULL for none. A floating reference is consumed.
 *
 * Builds a `websocket.accept` message, sent by the application to accept
 * the connection.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_websocket_accept (const char *subprotocol,
                                      GVariant   *headers)
{
  GVariantDict dict;

  g_return_val_if_fail (headers == NULL ||
                        g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")), NULL);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", "websocket.accept");
  if (subprotocol != NULL)
    g_variant_dict_insert (&dict, "subprotocol", "s", subprotocol);
  g_variant_dict_insert_value (&dict, "headers", headers != NULL ? headers : _asgiref_empty_headers ());
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static GVariant *
new_frame_message (const char *type,
                   GBytes     *bytes,
                   const char *text)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", type);
  if (bytes != NULL)
    g_variant_dict_insert_value (&dict, "bytes", _asgiref_bytes_value (bytes));
  else
    g_variant_dict_insert (&dict, "text", "s", text);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_new_websocket_send:
 * @bytes: (nullable): a binary frame's payload
 * @text: (nullable): a text frame's payload
 *
 * Builds a `websocket.send` message, sent by the application. Exactly one
 * of @bytes and @text must be given.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_websocket_send (GBytes     *bytes,
                                    const char *text)
{
  g_return_val_if_fail ((bytes == NULL) != (text == NULL), NULL);

  return new_frame_message ("websocket.send", bytes, text);
}

/**
 * asgiref_message_new_websocket_receive:
 * @bytes: (nullable): a binary frame's payload
 * @text: (nullable): a text frame's payload
 *
 * Builds a `websocket.receive` message, sent by the server. Exactly one of
 * @bytes and @text must be given.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_websocket_receive (GBytes     *bytes,
                                       const char *text)
{
  g_return_val_if_fail ((bytes == NULL) != (text == NULL), NULL);

  return new_frame_message ("websocket.receive", bytes, text);
}

/**
 * asgiref_message_new_websocket_close:
 * @code: the WebSocket close code (1000 is a normal closure)
 * @reason: (nullable): the reason for closing; %NULL for none
 *
 * Builds a `websocket.close` message, sent by the application to close
 * the connection or, before `websocket.accept`, to reject it.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_websocket_close (int         code,
                                     const char *reason)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", "websocket.close");
  g_variant_dict_insert (&dict, "code", "i", code);
  if (reason != NULL)
    g_variant_dict_insert (&dict, "reason", "s", reason);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_new_websocket_disconnect:
 * @code: the WebSocket close code the client sent (1005 when it sent none)
 *
 * Builds a `websocket.disconnect` message, sent by the server when the
 * connection closed.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_websocket_disconnect (int code)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", "websocket.disconnect");
  g_variant_dict_insert (&dict, "code", "i", code);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_new_websocket_http_response_start:
 * @status: the HTTP status code of the denial, from 100 to 599
 * @headers: (nullable): the response headers, of type `a(ayay)`; %NULL
 *   for none. A floating reference is consumed.
 *
 * Builds a `websocket.http.response.start` message, from the WebSocket
 * Denial Response extension: instead of `websocket.close`, an application
 * rejects the handshake with an HTTP response of its own, started by this
 * message and followed by `websocket.http.response.body` messages.
 *
 * Only send it when the scope's `extensions` announce
 * `websocket.http.response`, and before `websocket.accept`.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_websocket_http_response_start (int       status,
                                                   GVariant *headers)
{
  GVariantDict dict;

  g_return_val_if_fail (headers == NULL ||
                        g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")), NULL);

  response_start_dict_init (&dict, "websocket.http.response.start", status, headers);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_new_websocket_http_response_body:
 * @body: (nullable): the denial response's body, or this chunk of it;
 *   %NULL for none
 * @more_body: whether more chunks of the body follow
 *
 * Builds a `websocket.http.response.body` message, from the WebSocket
 * Denial Response extension: a chunk of the body of the response that
 * `websocket.http.response.start` started.
 *
 * Returns: (transfer full): the message, of type `a{sv}`
 */
GVariant *
asgiref_message_new_websocket_http_response_body (GBytes   *body,
                                                  gboolean  more_body)
{
  return new_body_message ("websocket.http.response.body", body, more_body);
}

/**
 * asgiref_headers_new:
 * @names: (array zero-terminated=1): the header names
 * @values: (array zero-terminated=1): the header values, as many as
 *   @names, in the same order
 * @error: return location for a #GError
 *
 * Builds an ASGI header list, of type `a(ayay)`, from pairs of names and
 * values, in order; a name may repeat. Names are lower-cased (ASCII
 * only), as ASGI requires; values are kept as they are. Neither has the
 * terminating NUL.
 *
 * Fails with %ASGIREF_ERROR_INVALID_MESSAGE when a name or a value has a
 * carriage return or a line feed, which would split the header.
 *
 * Returns: (transfer full): the headers, a new variant that is not
 *   floating, or %NULL on error
 */
GVariant *
asgiref_headers_new (const char * const  *names,
                     const char * const  *values,
                     GError             **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ayay)"));
  guint n;

  g_return_val_if_fail (names != NULL, NULL);
  g_return_val_if_fail (values != NULL, NULL);
  g_return_val_if_fail (g_strv_length ((char **) names) == g_strv_length ((char **) values), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (n = 0; names[n] != NULL; n++)
    {
      g_autofree char *name = g_ascii_strdown (names[n], -1);
      size_t name_len = strlen (name);
      size_t value_len = strlen (values[n]);

      if (strpbrk (name, "\r\n") != NULL || strpbrk (values[n], "\r\n") != NULL)
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("Header %u has a carriage return or a line feed in its name or value"),
                       n);
          return NULL;
        }

      g_variant_builder_add (&builder, "(@ay@ay)",
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, name, name_len, 1),
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, values[n], value_len, 1));
    }

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* {{{ Accessors */

const char *
_asgiref_message_peek_type (GVariant *message)
{
  const char *type = NULL;

  g_variant_lookup (message, "type", "&s", &type);
  return type;
}

/**
 * asgiref_message_get_type_name:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the message's `type`, such as `"http.request"`.
 *
 * Returns: (nullable): the type, valid as long as @message is; %NULL
 *   when the message has no `type` string
 */
const char *
asgiref_message_get_type_name (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_string (message, "type");
}

/**
 * asgiref_message_get_body:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `body` of an `http.request`, `http.response.body` or
 * `websocket.http.response.body` message.
 *
 * Returns: (transfer full): the body; empty when the message has no `body`
 *   of type `ay`, as ASGI's default says
 */
GBytes *
asgiref_message_get_body (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_bytes (message, "body", TRUE);
}

/**
 * asgiref_message_get_more_body:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads `more_body` of an `http.request`, `http.response.body` or
 * `websocket.http.response.body` message: whether more chunks of the body
 * follow.
 *
 * Returns: the value; %FALSE when the message has no `more_body` boolean,
 *   as ASGI's default says
 */
gboolean
asgiref_message_get_more_body (GVariant *message)
{
  gboolean more_body = FALSE;

  _asgiref_return_val_if_not_vardict (message, FALSE);

  g_variant_lookup (message, "more_body", "b", &more_body);
  return more_body;
}

/**
 * asgiref_message_get_trailers:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads `trailers` of an `http.response.start` message: whether trailers
 * follow the body.
 *
 * Returns: the value; %FALSE when the message has no `trailers` boolean
 */
gboolean
asgiref_message_get_trailers (GVariant *message)
{
  gboolean trailers = FALSE;

  _asgiref_return_val_if_not_vardict (message, FALSE);

  g_variant_lookup (message, "trailers", "b", &trailers);
  return trailers;
}

/**
 * asgiref_message_get_more_trailers:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads `more_trailers` of an `http.response.trailers` message: whether
 * more trailers follow.
 *
 * Returns: the value; %FALSE when the message has no `more_trailers`
 *   boolean, as ASGI's default says
 */
gboolean
asgiref_message_get_more_trailers (GVariant *message)
{
  gboolean more_trailers = FALSE;

  _asgiref_return_val_if_not_vardict (message, FALSE);

  g_variant_lookup (message, "more_trailers", "b", &more_trailers);
  return more_trailers;
}

/**
 * asgiref_message_get_status:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `status` of an `http.response.start` or
 * `websocket.http.response.start` message.
 *
 * Returns: the status; 0 when the message has no `status` of type `i`
 */
int
asgiref_message_get_status (GVariant *message)
{
  gint32 status = 0;

  _asgiref_return_val_if_not_vardict (message, 0);

  g_variant_lookup (message, "status", "i", &status);
  return status;
}

/**
 * asgiref_message_get_headers:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `headers` of a message: `http.response.start`,
 * `http.response.trailers`, `websocket.accept` or
 * `websocket.http.response.start`.
 *
 * Returns: (transfer full): the headers, of type `a(ayay)`; an empty list
 *   when the message has no `headers` of that type
 */
GVariant *
asgiref_message_get_headers (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_headers (message);
}

/**
 * asgiref_message_get_message:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `message` of a `lifespan.startup.failed` or
 * `lifespan.shutdown.failed` message: why it failed.
 *
 * Returns: (nullable): the text, valid as long as @message is; %NULL when
 *   there is no `message` string
 */
const char *
asgiref_message_get_message (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_string (message, "message");
}

/**
 * asgiref_message_get_bytes:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `bytes` of a `websocket.receive` or `websocket.send` message.
 *
 * Returns: (transfer full) (nullable): the payload, or %NULL when the
 *   message has no `bytes` of type `ay` (a text frame)
 */
GBytes *
asgiref_message_get_bytes (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_bytes (message, "bytes", FALSE);
}

/**
 * asgiref_message_get_text:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `text` of a `websocket.receive` or `websocket.send` message.
 *
 * Returns: (nullable): the payload, valid as long as @message is; %NULL
 *   when the message has no `text` string (a binary frame)
 */
const char *
asgiref_message_get_text (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_string (message, "text");
}

/**
 * asgiref_message_get_subprotocol:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `subprotocol` of a `websocket.accept` message.
 *
 * Returns: (nullable): the subprotocol, valid as long as @message is;
 *   %NULL when there is none
 */
const char *
asgiref_message_get_subprotocol (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_string (message, "subprotocol");
}

/**
 * asgiref_message_get_code:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the close `code` of a `websocket.close` or `websocket.disconnect`
 * message.
 *
 * Returns: the code; when the message has no `code` of type `i`, ASGI's
 *   default: 1000 for `websocket.close`, 1005 otherwise
 */
int
asgiref_message_get_code (GVariant *message)
{
  gint32 code;

  _asgiref_return_val_if_not_vardict (message, 0);

  if (g_variant_lookup (message, "code", "i", &code))
    return code;
  return g_strcmp0 (_asgiref_vardict_lookup_string (message, "type"), "websocket.close") == 0 ? 1000 : 1005;
}

/**
 * asgiref_message_get_reason:
 * @message: an ASGI message, of type `a{sv}`
 *
 * Reads the `reason` of a `websocket.close` message.
 *
 * Returns: (nullable): the reason, valid as long as @message is; %NULL
 *   when there is none
 */
const char *
asgiref_message_get_reason (GVariant *message)
{
  _asgiref_return_val_if_not_vardict (message, NULL);

  return _asgiref_vardict_lookup_string (message, "reason");
}

/* }}} */

/* {{{ Validation */

typedef enum
{
  CHECK_NONE           = 0,
  CHECK_STATUS         = 1 << 0,  /* "status" in 100..599 */
  CHECK_BYTES_XOR_TEXT = 1 << 1,  /* exactly one of "bytes" and "text" */
  CHECK_NO_PROTOCOL_HEADER = 1 << 2,  /* no sec-websocket-protocol header */
} Checks;

typedef struct
{
  const char    *type;
  const AsgirefKeySpec *keys;  /* NULL-key terminated, or NULL for none */
  Checks         checks;
} MessageSpec;

/* Headers are checked as soon as their type is, in the order of the
 * message's keys. */
static gboolean
check_headers (GVariant    *headers,
               const char  *type,
               GError     **error)
{
  if (!_asgiref_headers_validate (headers, error))
    {
      g_prefix_error (error, _("In the ASGI message “%s”: "), type);
      return FALSE;
    }
  return TRUE;
}

static const AsgirefKeySpec body_keys[] = {
  { "body", "ay", FALSE, NULL },
  { "more_body", "b", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec response_start_keys[] = {
  { "status", "i", TRUE, NULL },
  { "headers", "a(ayay)", FALSE, check_headers },
  { "trailers", "b", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec response_trailers_keys[] = {
  { "headers", "a(ayay)", FALSE, check_headers },
  { "more_trailers", "b", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec denial_start_keys[] = {
  { "status", "i", TRUE, NULL },
  { "headers", "a(ayay)", FALSE, check_headers },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec failed_keys[] = {
  { "message", "s", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec accept_keys[] = {
  { "subprotocol", "s", FALSE, NULL },
  { "headers", "a(ayay)", FALSE, check_headers },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec frame_keys[] = {
  { "bytes", "ay", FALSE, NULL },
  { "text", "s", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec close_keys[] = {
  { "code", "i", FALSE, NULL },
  { "reason", "s", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const MessageSpec message_specs[] = {
  { "http.request", body_keys, CHECK_NONE },
  { "http.response.start", response_start_keys, CHECK_STATUS },
  { "http.response.body", body_keys, CHECK_NONE },
  { "http.response.trailers", response_trailers_keys, CHECK_NONE },
  { "http.disconnect", NULL, CHECK_NONE },
  { "lifespan.startup", NULL, CHECK_NONE },
  { "lifespan.startup.complete", NULL, CHECK_NONE },
  { "lifespan.startup.failed", failed_keys, CHECK_NONE },
  { "lifespan.shutdown", NULL, CHECK_NONE },
  { "lifespan.shutdown.complete", NULL, CHECK_NONE },
  { "lifespan.shutdown.failed", failed_keys, CHECK_NONE },
  { "websocket.connect", NULL, CHECK_NONE },
  { "websocket.accept", accept_keys, CHECK_NO_PROTOCOL_HEADER },
  { "websocket.receive", frame_keys, CHECK_BYTES_XOR_TEXT },
  { "websocket.send", frame_keys, CHECK_BYTES_XOR_TEXT },
  { "websocket.close", close_keys, CHECK_NONE },
  { "websocket.disconnect", close_keys, CHECK_NONE },
  /* The WebSocket Denial Response extension. */
  { "websocket.http.response.start", denial_start_keys, CHECK_STATUS },
  { "websocket.http.response.body", body_keys, CHECK_NONE },
};

static gboolean
has_key (GVariant   *message,
         const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (message, key, NULL);

  return value != NULL;
}

/* RFC 9110's tchar: what a header name may be made of. A colon is not
 * one, which keeps HTTP/2 pseudo-headers (":authority") out, as ASGI
 * asks; neither is a space, which would let a name smuggle in a value. */
static gboolean
is_token_char (guint8 c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Checks one header list against ASGI's rules, the same for messages and
 * scopes; the caller prefixes the error with what the list belongs to. */
gboolean
_asgiref_headers_validate (GVariant  *headers,
                          GError   **error)
{
  gsize n_headers = g_variant_n_children (headers);

  for (gsize i = 0; i < n_headers; i++)
    {
      g_autoptr(GVariant) name = NULL;
      g_autoptr(GVariant) value = NULL;
      const guint8 *name_data, *value_data;
      gsize name_len, value_len;

      g_variant_get_child (headers, i, "(@ay@ay)", &name, &value);
      name_data = g_variant_get_fixed_array (name, &name_len, 1);
      value_data = g_variant_get_fixed_array (value, &value_len, 1);

      if (name_len == 0)
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("Header %u has an empty name"), (guint) i);
          return FALSE;
        }
      for (gsize j = 0; j < name_len; j++)
        if (name_data[j] == '\r' || name_data[j] == '\n' || name_data[j] == '\0')
          {
            g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                         _("Header %u has a CR, LF or NUL byte in its name"), (guint) i);
            return FALSE;
          }
      for (gsize j = 0; j < name_len; j++)
        if (g_ascii_isupper (name_data[j]))
          {
            g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                         _("Header %u has a name that is not lower-case"), (guint) i);
            return FALSE;
          }
      for (gsize j = 0; j < name_len; j++)
        if (!is_token_char (name_data[j]))
          {
            g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                         _("Header %u has a name with a byte that HTTP does not allow in one (0x%02x)"),
                         (guint) i, name_data[j]);
            return FALSE;
          }
      for (gsize j = 0; j < value_len; j++)
        if (value_data[j] == '\r' || value_data[j] == '\n' || value_data[j] == '\0')
          {
            g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                         _("Header %u has a CR, LF or NUL byte in its value"), (guint) i);
            return FALSE;
          }
    }

  return TRUE;
}

/* Whether @headers has one named @name (lower-case). */
static gboolean
headers_contain (GVariant   *headers,
                 const char *name)
{
  gsize n_headers = g_variant_n_children (headers);
  size_t len = strlen (name);

  for (gsize i = 0; i < n_headers; i++)
    {
      g_autoptr(GVariant) pair = g_variant_get_child_value (headers, i);
      g_autoptr(GVariant) child = g_variant_get_child_value (pair, 0);
      gsize child_len;
      const guint8 *data = g_variant_get_fixed_array (child, &child_len, 1);

      if (child_len == len && memcmp (data, name, len) == 0)
        return TRUE;
    }
  return FALSE;
}

/**
 * asgiref_message_validate:
 * @message: a candidate ASGI message
 * @error: return location for a #GError
 *
 * Checks that @message is an ASGI 3.0 message that this library knows:
 * HTTP (`http.request`, `http.response.start`, `http.response.body`,
 * `http.response.trailers`, `http.disconnect`), WebSocket
 * (`websocket.connect`, `websocket.accept`, `websocket.receive`,
 * `websocket.send`, `websocket.close`, `websocket.disconnect`, and
 * `websocket.http.response.start` and `websocket.http.response.body` of
 * the WebSocket Denial Response extension) or lifespan
 * (`lifespan.startup`, `lifespan.shutdown` and their `.complete` and
 * `.failed` replies).
 *
 * On the first rule broken it fails with %ASGIREF_ERROR_INVALID_MESSAGE
 * and a message that names the rule, the key and the types involved:
 *
 * - @message is not of type `a{sv}`;
 * - it has no `type` key, or `type` is not a string (`s`);
 * - the type is not one of the above;
 * - a required key is missing (`status` of `http.response.start` and
 *   `websocket.http.response.start`);
 * - a known key has a value of the wrong type: `body` and `bytes` must be
 *   `ay`, `more_body`, `trailers` and `more_trailers` `b`, `status` and
 *   `code` `i`, `headers` `a(ayay)`, `message`, `text`, `subprotocol` and
 *   `reason` `s`;
 * - a `status` is outside 100–599;
 * - a header name is empty, has a CR, LF or NUL byte, an upper-case
 *   ASCII letter or another byte that HTTP does not allow in a name
 *   (such as the colon of an HTTP/2 pseudo-header, or a space), or a
 *   header value has a CR, LF or NUL byte;
 * - a `websocket.accept` has a `sec-websocket-protocol` header (the
 *   `subprotocol` key says that);
 * - a `websocket.send` or `websocket.receive` has both or neither of
 *   `bytes` and `text`.
 *
 * Keys the specification does not name are allowed, as ASGI extensions
 * add keys of their own. Checking the order of messages (no body before
 * the start of a response, say) is not this function's business.
 *
 * Any thread may call this function. It does not consume a floating
 * reference.
 *
 * Returns: %TRUE if @message is valid
 */
gboolean
asgiref_message_validate (GVariant  *message,
                          GError   **error)
{
  g_autoptr(GVariant) type_value = NULL;
  const MessageSpec *spec = NULL;
  const char *type;

  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type_value = _asgiref_vardict_check_type (message, ASGIREF_VARDICT_MESSAGE, error);
  if (type_value == NULL)
    return FALSE;

  type = g_variant_get_string (type_value, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (message_specs); i++)
    if (strcmp (message_specs[i].type, type) == 0)
      {
        spec = &message_specs[i];
        break;
      }
  if (spec == NULL)
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Unknown ASGI message type “%s”"), type);
      return FALSE;
    }

  if (!_asgiref_vardict_check_keys (message, ASGIREF_VARDICT_MESSAGE, type, spec->keys, error))
    return FALSE;

  if (spec->checks & CHECK_STATUS)
    {
      gint32 status = 0;

      g_variant_lookup (message, "status", "i", &status);
      if (status < 100 || status > 599)
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("The status %d of the ASGI message “%s” is outside 100–599"),
                       status, type);
          return FALSE;
        }
    }

  if (spec->checks & CHECK_NO_PROTOCOL_HEADER)
    {
      g_autoptr(GVariant) headers = g_variant_lookup_value (message, "headers", G_VARIANT_TYPE ("a(ayay)"));

      /* The subprotocol goes in its own key, so that the server can
       * check it against what the client offered. */
      if (headers != NULL && headers_contain (headers, "sec-websocket-protocol"))
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("The ASGI message “%s” must not have a “sec-websocket-protocol” header: "
                         "use its “subprotocol” key"),
                       type);
          return FALSE;
        }
    }

  if (spec->checks & CHECK_BYTES_XOR_TEXT)
    {
      gboolean has_bytes = has_key (message, "bytes");
      gboolean has_text = has_key (message, "text");

      if (has_bytes == has_text)
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("The ASGI message “%s” must have exactly one of the keys “bytes” and “text”"),
                       type);
          return FALSE;
        }
    }

  return TRUE;
}

/* }}} */
