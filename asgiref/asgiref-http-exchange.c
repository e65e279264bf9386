/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-application-private.h"
#include "asgiref-channel-private.h"
#include "asgiref-connection-private.h"
#include "asgiref-http-exchange-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message-private.h"
#include "asgiref-scope-private.h"

/*
 * The states of one exchange, all on the server's main context:
 *
 *   headers read ──► instance started; a request without a body gets its
 *                    only http.request at once, the chunks of one with a
 *                    body are put as they come
 *   body read    ──► final http.request put. If the application has not
 *                    started its response, libsoup calls the handler,
 *                    which pauses the message until it did, and the
 *                    socket is watched, because a paused message does
 *                    not notice a client that leaves (libsoup 3.2)
 *   response     ──► http.response.start is held until the first body
 *                    message: a body that comes whole is framed with its
 *                    length and written at once, as a bare handler's;
 *                    a streamed one goes chunked, and the next message
 *                    is taken from the application only once libsoup
 *                    wrote the last chunk, so that it cannot run ahead
 *                    of the network
 *   finished     ──► libsoup is done with the message (written, or the
 *                    client left): http.disconnect is put, and the
 *                    message is never touched again
 *
 * The exchange ends once the instance returned, everything it sent was
 * taken, and the message finished. An application that fails, or returns
 * without a response, gets a 500 if nothing was written yet; one that
 * stops in the middle of a response gets its connection closed, since
 * HTTP/1.1 has no other way to say that a response is incomplete.
 *
 * This runs for every request, so it costs what it must and no more: the
 * messages go through the channel's sink (no task, no main loop
 * iteration), the server's own signals say when a message finished, and
 * a message's signals are connected only where needed.
 */

/* The exchange of a message, found by the server's signal handlers. */
static GQuark
exchange_quark (void)
{
  static GQuark quark;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("asgiref-http-exchange");
  return quark;
}

struct _AsgirefHttpExchange
{
  int ref;                       /* one for each of: the message, the
                                  * instance, the channel's sink */
  SoupServerMessage *msg;        /* NULL once finished */
  AsgirefConnection *connection; /* msg's, while it lives; NULL for one
                                  * libsoup accepted itself */
  AsgirefChannel *channel;
  GCancellable *cancellable;     /* the instance's */
  AsgirefHttpExchangeDone done;
  gpointer done_data;
  GList link;                    /* the server's, in its list of exchanges */
  guint64 max_body_size;
  guint64 body_size;
  guint response_timeout;        /* seconds */
  GSource *hangup;               /* watches for the client leaving */
  AsgirefHttpWatches *watches;   /* nullable: where hangup waits to be set */
  GList watch_link;              /* in watches, while hangup waits */
  gint64 watch_due;              /* when hangup is to be set */
  GSource *timeout;              /* for the response to start; NULL: none */
  GError *error;                 /* what the instance failed with */
  AsgirefMessage *start;         /* http.response.start, until the first body message */

  gboolean input_done;           /* the last http.request was put */
  gboolean refused;              /* the body was too large: not passed on */
  gboolean answered;             /* the server answered for the application */
  gboolean response_started;
  gboolean response_complete;
  gboolean writing;              /* a chunk is out, not yet written */
  gboolean paused;               /* by us, until the response goes out */
  gboolean writes_watched;       /* wrote-chunk is connected */
  gboolean handlers;             /* a signal of the message is connected to us */
  gboolean client_left;          /* before the response was complete */
  gboolean instance_done;
  gboolean reading_paused;       /* back-pressure on the request body */
  gboolean awaiting_continue;    /* Expect: 100-continue, and the body
                                  * not asked for yet */
  gboolean disconnect_put;
};

/* The socket of the message's connection: libsoup knows it only for the
 * ones it accepted itself. */
static GSocket *
message_socket (AsgirefHttpExchange *self)
{
  return self->connection != NULL ? _asgiref_connection_get_socket (self->connection)
                                  : soup_server_message_get_socket (self->msg);
}

/* The exchange of @msg, served on @connection (nullable). */
static AsgirefHttpExchange *
exchange_of (SoupServerMessage *msg,
             AsgirefConnection *connection)
{
  if (connection != NULL)
    return _asgiref_connection_get_message_data (connection, msg);
  return g_object_get_qdata (G_OBJECT (msg), exchange_quark ());
}

static void
exchange_set (SoupServerMessage   *msg,
              AsgirefConnection   *connection,
              AsgirefHttpExchange *self)
{
  if (connection != NULL)
    _asgiref_connection_set_message_data (connection, msg, self);
  else
    g_object_set_qdata (G_OBJECT (msg), exchange_quark (), self);
}

static G_DEFINE_QUARK (asgiref-http-refused-with, refused_with)

/* Whether a request body is still to be read from the client. */
static gboolean
body_follows (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_NONE:
      return FALSE;
    case SOUP_ENCODING_CONTENT_LENGTH:
      return soup_message_headers_get_content_length (headers) > 0;
    default:
      return TRUE;
    }
}

/* The answer as it goes on the wire, for _asgiref_connection_answer_early():
 * the headers set so far (libsoup's Server, a Retry-After), a Date, no
 * body. */
static GString *
early_answer (SoupServerMessage *msg,
              guint              status,
              const char        *reason)
{
  GString *answer = g_string_sized_new (256);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_string_append_printf (answer, "HTTP/1.%d %u %s\r\n",
                          soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ? 0 : 1,
                          status, reason != NULL ? reason : soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, soup_server_message_get_response_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (answer, "%s: %s\r\n", name, value);
  g_string_append_printf (answer, "Date: %s\r\nContent-Length: 0\r\n\r\n", date);
  return answer;
}

void
_asgiref_http_refuse (SoupServerMessage *msg,
                      guint              status,
                      const char        *reason)
{
  AsgirefConnection *connection = _asgiref_connection_of_message (msg);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  soup_server_message_set_status (msg, status, reason);
  g_object_set_qdata (G_OBJECT (msg), refused_with_quark (), GUINT_TO_POINTER (status));

  /* libsoup would read (and keep) the whole body before answering. */
  if (connection != NULL && body_follows (msg))
    {
      g_autoptr(GString) answer = early_answer (msg, status, reason);

      _asgiref_connection_answer_early (connection, answer->str, answer->len);
    }
}

guint
_asgiref_http_status_of (SoupServerMessage *msg)
{
  guint refused = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (msg), refused_with_quark ()));

  return refused != 0 ? refused : soup_server_message_get_status (msg);
}

/* How much request body may wait for the application before libsoup stops
 * reading from the socket. */
#define MAX_QUEUED_BODY (256 * 1024)

/* The application started its response (sent or held). */
static gboolean
response_begun (AsgirefHttpExchange *self)
{
  return self->response_started || self->start != NULL;
}

/* Fails the instance's receives and sends, and tells it through its
 * task's cancellable. */
static void
cancel_instance (AsgirefHttpExchange *self)
{
  g_cancellable_cancel (self->cancellable);
  _asgiref_channel_cancel (self->channel);
}

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

  g_assert (self->msg == NULL && self->hangup == NULL && self->timeout == NULL &&
            self->watch_link.data == NULL);
  if (self->done != NULL)
    self->done (self, self->done_data);
  g_clear_error (&self->error);
  g_clear_pointer (&self->start, asgiref_message_unref);
  g_object_unref (self->cancellable);
  g_object_unref (self->channel);
  g_free (self);
}

/* ---- The scope ---------------------------------------------------------- */

/* Percent-decodes @raw (@len bytes) into @out, which has room for 3 * @len
 * + 1 bytes, and makes it valid UTF-8. FALSE for an escape that is not
 * one, or that decodes to NUL. */
static gboolean
decode_path (const char *raw,
             gsize       len,
             char       *out)
{
  char *end = out;

  for (gsize i = 0; i < len; i++)
    {
      int hi, lo;

      if (raw[i] != '%')
        {
          *end++ = raw[i];
          continue;
        }
      if (i + 2 >= len)
        return FALSE;
      hi = g_ascii_xdigit_value (raw[i + 1]);
      lo = hi < 0 ? -1 : g_ascii_xdigit_value (raw[i + 2]);
      if (lo < 0 || (hi == 0 && lo == 0))
        return FALSE;
      *end++ = (char) (hi << 4 | lo);
      i += 2;
    }
  *end = '\0';

  /* Bytes that are not UTF-8 become U+FFFD, three bytes at most for each:
   * the room is there. */
  if (!g_utf8_validate (out, end - out, NULL))
    {
      g_autofree char *valid = g_utf8_make_valid (out, end - out);

      strcpy (out, valid);
    }
  return TRUE;
}

gboolean
_asgiref_http_is_tls (SoupServerMessage *msg)
{
  AsgirefConnection *connection = _asgiref_connection_of_message (msg);

  if (connection != NULL)
    return _asgiref_connection_is_tls (connection);
  return g_strcmp0 (g_uri_get_scheme (soup_server_message_get_uri (msg)), "https") == 0;
}

/* The request headers as a list, unchecked, and what the server needs to
 * know of them, from one walk through libsoup's (a lookup of a header by
 * name costs about as much). */
void
_asgiref_http_request_head_read (SoupServerMessage     *msg,
                                 AsgirefHttpRequestHead *head)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  const char *length = NULL;
  const char *encoding = NULL;
  const char *upgrade = NULL;
  guint lengths = 0, encodings = 0, upgrades = 0;
  gsize string_size = 0;
  guint n = 0;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      string_size += strlen (name) + strlen (value);
      n++;
      if (g_ascii_strcasecmp (name, "Content-Length") == 0)
        length = value, lengths++;
      else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
        encoding = value, encodings++;
      else if (g_ascii_strcasecmp (name, "Upgrade") == 0)
        upgrade = value, upgrades++;
    }

  head->headers = _asgiref_headers_alloc (n, string_size);
  soup_message_headers_iter_init (&iter, headers);
  for (guint i = 0; soup_message_headers_iter_next (&iter, &name, &value); i++)
    _asgiref_headers_put (head->headers, i, name, strlen (name), value, strlen (value), TRUE);

  /* The body has one length that every reader agrees on. Request
   * smuggling lives on the others: a Content-Length with a
   * Transfer-Encoding, several lengths, an encoding other than chunked; a
   * proxy in front may frame the body one way and libsoup another, reading
   * the rest as a request of its own. (libsoup 3.2 takes the chunked body
   * and the last length.) Several headers of a name count as their values
   * joined with commas, as libsoup's lookups give them. */
  head->framing_unambiguous =
    !(lengths > 0 && encodings > 0) &&
    lengths <= 1 && (length == NULL || strchr (length, ',') == NULL) &&
    (encodings == 0 || (encodings == 1 && g_ascii_strcasecmp (encoding, "chunked") == 0));
  head->websocket_upgrade = soup_server_message_get_method (msg) == SOUP_METHOD_GET &&
                            upgrades == 1 && g_ascii_strcasecmp (upgrade, "websocket") == 0;
}

void
_asgiref_http_request_head_clear (AsgirefHttpRequestHead *head)
{
  g_clear_pointer (&head->headers, asgiref_headers_unref);
}

/* libsoup parsed the request headers, so neither names nor values carry a
 * CR or LF; the check still runs, for the rest of ASGI's rules. */
AsgirefHeaders *
_asgiref_http_request_headers (SoupServerMessage  *msg,
                               GError            **error)
{
  AsgirefHttpRequestHead head;

  _asgiref_http_request_head_read (msg, &head);
  if (!_asgiref_headers_check (head.headers, error))
    {
      _asgiref_http_request_head_clear (&head);
      return NULL;
    }
  return head.headers;
}

static void
unref_uri (gpointer uri)
{
  g_uri_unref (uri);
}

/* A part of @uri's text as bytes, without a copy: the bytes hold @uri. */
static GBytes *
uri_bytes (GUri       *uri,
           const char *part)
{
  return g_bytes_new_with_free_func (part, strlen (part), unref_uri, g_uri_ref (uri));
}

/* The server runs libsoup with raw paths, so that `raw_path` is what the
 * client sent; `path` is its decoding. The scope is filled in directly,
 * with its strings in its own allocation: this runs for every request.
 * @headers are the request's, unchecked. */
static AsgirefScope *
scope_from_message (SoupServerMessage  *msg,
                    AsgirefConnection  *connection,
                    AsgirefHeaders     *headers,
                    const char         *root_path,
                    GError            **error)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *raw_path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(AsgirefScope) scope = NULL;
  AsgirefConnectionAddresses own;
  const AsgirefConnectionAddresses *addresses;
  gsize raw_path_len, method_len;
  char *strings;

  if (*raw_path == '\0')
    raw_path = "/";
  raw_path_len = strlen (raw_path);
  method_len = strlen (method);

  scope = _asgiref_scope_alloc_with_strings (ASGIREF_SCOPE_HTTP,
                                             method_len + 1 + 3 * raw_path_len + 1 +
                                             2 * ASGIREF_HOST_SIZE,
                                             &strings);
  scope->method = memcpy (strings, method, method_len + 1);
  strings += method_len + 1;

  scope->path = strings;
  if (!decode_path (raw_path, raw_path_len, scope->path))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The request path is not a valid percent-encoded string"));
      return NULL;
    }
  strings += 3 * raw_path_len + 1;

  /* A connection's addresses are formatted once, for all its requests. */
  if (connection != NULL)
    addresses = _asgiref_connection_get_addresses (connection, msg);
  else
    {
      own.client_port = _asgiref_socket_address_split (soup_server_message_get_remote_address (msg),
                                                       own.client_host);
      own.server_port = _asgiref_socket_address_split (soup_server_message_get_local_address (msg),
                                                       own.server_host);
      addresses = &own;
    }
  if (addresses->client_port >= 0)
    {
      scope->client_host = strcpy (strings, addresses->client_host);
      scope->client_port = addresses->client_port;
    }
  strings += ASGIREF_HOST_SIZE;
  if (addresses->server_port >= 0)
    {
      scope->server_host = strcpy (strings, addresses->server_host);
      scope->server_port = addresses->server_port;
    }

  if (!_asgiref_headers_check (headers, error))
    return NULL;
  scope->headers = asgiref_headers_ref (headers);

  scope->spec_version = "2.3";
  scope->http_version = soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ? "1.0" : "1.1";
  if (connection != NULL)
    scope->scheme = _asgiref_connection_is_tls (connection) ? "https" : "http";
  else
    scope->scheme = _asgiref_http_is_tls (msg) ? "https" : "http";
  scope->raw_path = uri_bytes (uri, raw_path);
  scope->root_path = g_strdup (root_path);
  scope->query_string = query != NULL ? uri_bytes (uri, query) : _asgiref_scope_empty_bytes ();

  return g_steal_pointer (&scope);
}

/* ---- Input -------------------------------------------------------------- */

static void
put (AsgirefHttpExchange *self,
     AsgirefMessage      *message)
{
  g_autoptr(AsgirefMessage) owned = message;

  asgiref_channel_put_input (self->channel, owned, NULL);
}

static void
put_disconnect (AsgirefHttpExchange *self)
{
  if (self->disconnect_put)
    return;

  self->disconnect_put = TRUE;
  _asgiref_channel_put_bare_input (self->channel, ASGIREF_MESSAGE_HTTP_DISCONNECT);
}

/* The client went away before the response was complete: the application
 * hears of it from its next receive (http.disconnect), and its sends fail
 * from now on, as ASGI's HTTP 2.4 asks, so that a loop streaming to
 * nobody ends. */
static void
client_leaves (AsgirefHttpExchange *self)
{
  self->client_left = TRUE;
  put_disconnect (self);
  asgiref_channel_close (self->channel);
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           data)
{
  AsgirefHttpExchange *self = data;

  /* Nobody will read them: an instance that ended, or a body refused. */
  if (self->refused || self->instance_done)
    return;

  self->body_size += g_bytes_get_size (chunk);
  if (self->max_body_size != 0 && self->body_size > self->max_body_size)
    {
      /* libsoup reads and drops the rest (the body does not accumulate),
       * then sends the answer, unless the application answered already. */
      self->refused = TRUE;
      if (!self->response_started)
        {
          g_clear_pointer (&self->start, asgiref_message_unref);
          self->answered = TRUE;
          _asgiref_http_refuse (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
        }
      cancel_instance (self);
      return;
    }

  put (self, asgiref_message_new_http_request (chunk, TRUE));

  /* Back-pressure: a client sending faster than the application reads
   * waits, rather than the server's memory filling up. Not once the
   * response started: libsoup writes it only after reading the body. */
  if (!self->reading_paused && !response_begun (self) &&
      _asgiref_channel_watch_drain (self->channel, MAX_QUEUED_BODY))
    {
      soup_server_message_pause (msg);
      self->reading_paused = TRUE;
    }
}

/* The application received what was queued, or will not read any more:
 * libsoup may read on. */
static void
resume_reading (AsgirefHttpExchange *self)
{
  if (!self->reading_paused)
    return;

  self->reading_paused = FALSE;
  _asgiref_channel_unwatch_drain (self->channel);
  if (self->msg != NULL)
    soup_server_message_unpause (self->msg);
}

static void
on_input_drained (gpointer data)
{
  AsgirefHttpExchange *self = data;

  /* At a receive: libsoup answers 100 Continue now, if it was expected. */
  self->awaiting_continue = FALSE;
  resume_reading (self);
}

/* Answered instead of 100 Continue: the client may still send the body
 * it was holding back (it need not wait), and no one could tell that
 * body from a request of its own. */
static void
close_if_continue_awaited (AsgirefHttpExchange *self)
{
  if (self->awaiting_continue)
    soup_message_headers_replace (soup_server_message_get_response_headers (self->msg),
                                  "Connection", "close");
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
    client_leaves (self);
  g_clear_pointer (&self->hangup, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
watch_socket (AsgirefHttpExchange *self)
{
  GSocket *socket = message_socket (self);

  if (socket == NULL || self->hangup != NULL)
    return;

  self->hangup = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_static_name (self->hangup, "[asgiref] client hang-up");
  g_source_set_callback (self->hangup, G_SOURCE_FUNC (on_socket_ready), self, NULL);
  g_source_attach (self->hangup, g_main_context_get_thread_default ());
}

/*
 * A watch on the socket costs a source made, attached and destroyed, and
 * two writes to the main context's wake-up descriptor (GLib writes one
 * for every descriptor added to or removed from a context), about a
 * tenth of what a small request costs the server's thread. Most
 * responses come soon after the request: a response from a handler on
 * another thread, from an application that answers after a main loop
 * iteration. So an exchange whose response has not begun waits
 * WATCH_DELAY_USEC before it watches its socket, in a queue its response
 * takes it out of; one source per main context sets the watches that
 * are due, and costs nothing per request. A client leaving is noticed
 * that much later, which only a response that is slow in coming can see.
 */
#define WATCH_DELAY_USEC (20 * 1000)

struct _AsgirefHttpWatches
{
  GSource source;
  GQueue waiting;                /* AsgirefHttpExchange, by watch_due */
};

static void watch_socket (AsgirefHttpExchange *self);

static gboolean
watches_dispatch (GSource     *source,
                  GSourceFunc  callback,
                  gpointer     data)
{
  AsgirefHttpWatches *self = (AsgirefHttpWatches *) source;
  gint64 now = g_source_get_time (source);
  AsgirefHttpExchange *exchange;

  while ((exchange = g_queue_peek_head (&self->waiting)) != NULL && exchange->watch_due <= now)
    {
      g_queue_unlink (&self->waiting, &exchange->watch_link);
      exchange->watch_link.data = NULL;
      watch_socket (exchange);
    }
  /* While dispatching, this wakes nothing. */
  g_source_set_ready_time (source, exchange != NULL ? exchange->watch_due : -1);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs watches_funcs = {
  .dispatch = watches_dispatch,
};

AsgirefHttpWatches *
_asgiref_http_watches_new (GMainContext *context)
{
  GSource *source = g_source_new (&watches_funcs, sizeof (AsgirefHttpWatches));

  g_source_set_static_name (source, "[asgiref] client hang-up watches");
  g_source_attach (source, context);
  return (AsgirefHttpWatches *) source;
}

void
_asgiref_http_watches_free (AsgirefHttpWatches *self)
{
  g_assert (g_queue_is_empty (&self->waiting));
  g_source_destroy (&self->source);
  g_source_unref (&self->source);
}

/* Watches the socket for the client leaving, soon (see above). */
static void
watch_socket_soon (AsgirefHttpExchange *self)
{
  AsgirefHttpWatches *watches = self->watches;

  if (watches == NULL)
    {
      watch_socket (self);
      return;
    }
  if (self->hangup != NULL || self->watch_link.data != NULL)
    return;

  self->watch_due = g_get_monotonic_time () + WATCH_DELAY_USEC;
  self->watch_link.data = self;
  g_queue_push_tail_link (&watches->waiting, &self->watch_link);
  if (g_source_get_ready_time (&watches->source) == -1)
    g_source_set_ready_time (&watches->source, self->watch_due);
}

static void
stop_timeout (AsgirefHttpExchange *self)
{
  if (self->timeout == NULL)
    return;

  g_source_destroy (self->timeout);
  g_clear_pointer (&self->timeout, g_source_unref);
}

static void respond_error (AsgirefHttpExchange *self,
                           guint                status,
                           const char          *body);
static void cancel_instance (AsgirefHttpExchange *self);

static gboolean
on_response_timeout (gpointer data)
{
  AsgirefHttpExchange *self = data;
  AsgirefScope *scope = asgiref_channel_get_scope (self->channel);

  g_clear_pointer (&self->timeout, g_source_unref);
  if (self->msg == NULL || self->response_started || self->answered)
    return G_SOURCE_REMOVE;

  g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
         _("ASGI application error on %s %s: no response within %u seconds"),
         scope->method, scope->path, self->response_timeout);
  g_clear_pointer (&self->start, asgiref_message_unref);
  respond_error (self, SOUP_STATUS_GATEWAY_TIMEOUT, "Gateway Timeout\n");
  cancel_instance (self);
  return G_SOURCE_REMOVE;
}

static void
start_timeout (AsgirefHttpExchange *self)
{
  self->timeout = g_timeout_source_new_seconds (self->response_timeout);
  g_source_set_static_name (self->timeout, "[asgiref] response timeout");
  g_source_set_callback (self->timeout, on_response_timeout, self, NULL);
  g_source_attach (self->timeout, g_main_context_get_thread_default ());
}

static void
stop_watching (AsgirefHttpExchange *self)
{
  if (self->watch_link.data != NULL)
    {
      g_queue_unlink (&self->watches->waiting, &self->watch_link);
      self->watch_link.data = NULL;
    }
  if (self->hangup == NULL)
    return;

  g_source_destroy (self->hangup);
  g_clear_pointer (&self->hangup, g_source_unref);
}

/* The whole body was read (or there is none): the application gets the
 * last http.request, and from now on a client that leaves is noticed. */
static void
input_complete (AsgirefHttpExchange *self)
{
  if (self->input_done)
    return;

  self->input_done = TRUE;
  if (!self->refused)
    _asgiref_channel_put_bare_input (self->channel, ASGIREF_MESSAGE_HTTP_REQUEST);
  if (!self->response_complete)
    watch_socket_soon (self);
}

static void
on_got_body (SoupServerMessage *msg,
             gpointer           data)
{
  input_complete (data);
}

static void finish (AsgirefHttpExchange *self);

static void
on_disconnected (SoupServerMessage *msg,
                 gpointer           data)
{
  finish (data);
}

void
_asgiref_http_exchange_body_read (SoupServerMessage *msg,
                                  AsgirefConnection *connection)
{
  AsgirefHttpExchange *self = exchange_of (msg, connection);

  if (self == NULL)
    return;

  /* libsoup calls the handler only while no status is set: the
   * application has not started its response, and libsoup would answer
   * with an empty 200 as soon as this returns. A paused message does not
   * notice its connection closing (libsoup 3.2): it says so only through
   * "disconnected", after closing the stream, which on a connection the
   * server accepted is ours and tells the exchange for less. */
  soup_server_message_pause (msg);
  self->paused = TRUE;
  if (self->connection != NULL)
    _asgiref_connection_watch_paused (self->connection, msg, _asgiref_http_exchange_finished);
  else
    {
      self->handlers = TRUE;
      g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), self);
    }
  input_complete (self);
}

/* ---- Output ------------------------------------------------------------- */

static void on_wrote_chunk (SoupServerMessage *msg,
                            gpointer           data);

/* Writes the status and headers of @start into the message: every header
 * is one HTTP/1.1 can carry, as AsgirefHeaders are checked when made. With
 * @content_length at 0 or more, and no framing header of the
 * application's, the body is framed with that length: a body that came
 * whole is written as a bare handler would write it, in one go, on this
 * thread. Otherwise it goes as it comes: chunked, or until the connection
 * closes for an HTTP/1.0 client (libsoup writes a streamed body from
 * GTask's thread pool). */
static void
begin_response (AsgirefHttpExchange *self,
                AsgirefMessage      *start,
                goffset              content_length)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (self->msg);
  AsgirefHeaders *list = asgiref_message_get_headers (start);
  int status = start->status;
  gboolean framed = FALSE;

  gboolean http_1_0 = soup_server_message_get_http_version (self->msg) == SOUP_HTTP_1_0;

  for (guint i = 0; i < list->length; i++)
    {
      const AsgirefHeader *header = &list->headers[i];

      /* HTTP/1.0 has no chunked framing (RFC 9112 6.1): such a body goes
       * until the connection closes, as an unframed one does. */
      if (http_1_0 && strcmp (header->name, "transfer-encoding") == 0)
        continue;
      if (strcmp (header->name, "content-length") == 0 ||
          strcmp (header->name, "transfer-encoding") == 0)
        framed = TRUE;

      /* The application's own Date or Server replaces libsoup's. */
      if (strcmp (header->name, "date") == 0 || strcmp (header->name, "server") == 0)
        soup_message_headers_replace (headers, header->name, header->value);
      else
        soup_message_headers_append (headers, header->name, header->value);
    }

  if (status < 200 || status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_NONE);
  else if (!framed && content_length >= 0)
    soup_message_headers_set_content_length (headers, content_length);
  else if (!framed)
    soup_message_headers_set_encoding (headers, http_1_0 ? SOUP_ENCODING_EOF : SOUP_ENCODING_CHUNKED);

  /* An HTTP/1.0 connection stays open only where both sides said so (RFC
   * 9112, C.2.2); libsoup keeps it open when the client asked, without
   * telling the client, which then closes it. */
  if (http_1_0 && soup_message_headers_get_encoding (headers) != SOUP_ENCODING_EOF &&
      soup_message_headers_header_contains (soup_server_message_get_request_headers (self->msg),
                                            "Connection", "keep-alive") &&
      !soup_message_headers_header_contains (headers, "Connection", "close"))
    soup_message_headers_replace (headers, "Connection", "keep-alive");

  soup_message_body_set_accumulate (soup_server_message_get_response_body (self->msg), FALSE);
  close_if_continue_awaited (self);
  soup_server_message_set_status (self->msg, (guint) status, NULL);
  self->response_started = TRUE;
  stop_timeout (self);
  resume_reading (self);
}

/* The application started its response: held back until the first body
 * message says whether the body comes whole (see begin_response()). */
static void
hold_start (AsgirefHttpExchange *self,
            AsgirefMessage      *start)
{
  self->start = asgiref_message_ref (start);
  /* A client that expects 100 Continue gets the response instead, once it
   * begins (begin_response() resumes). */
  if (!self->awaiting_continue)
    resume_reading (self);
}

static void
send_body (AsgirefHttpExchange *self,
           AsgirefMessage      *message)
{
  SoupMessageBody *body = soup_server_message_get_response_body (self->msg);
  GBytes *chunk = message->body;
  gsize size = chunk != NULL ? g_bytes_get_size (chunk) : 0;

  if (self->start != NULL)
    {
      g_autoptr(AsgirefMessage) start = g_steal_pointer (&self->start);

      begin_response (self, start, message->more ? -1 : (goffset) size);
    }

  /* The application's own bytes, not a copy. */
  if (size > 0)
    {
      soup_message_body_append_bytes (body, chunk);
      self->writing = TRUE;
    }
  /* A chunk of a streamed body is taken as sent once written. */
  if (self->writing && message->more && !self->writes_watched)
    {
      self->writes_watched = self->handlers = TRUE;
      g_signal_connect (self->msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), self);
    }
  if (!message->more)
    {
      soup_message_body_complete (body);
      self->response_complete = TRUE;
      self->writing = FALSE;
      stop_watching (self);
    }
}

/* Unpauses the message where it may be paused: by the handler, or by
 * libsoup itself, which pauses a streamed response while it has no chunk
 * to write. A response begun before the body was read needs nothing:
 * libsoup writes it once it read the body. */
static void
resume_writing (AsgirefHttpExchange *self)
{
  if (self->paused || self->writes_watched)
    soup_server_message_unpause (self->msg);
}

/* Answers for the application: nothing of its response went out. */
static void
respond_error (AsgirefHttpExchange *self,
               guint                status,
               const char          *body)
{
  self->answered = TRUE;
  stop_timeout (self);
  close_if_continue_awaited (self);
  soup_server_message_set_status (self->msg, status, NULL);
  soup_server_message_set_response (self->msg, "text/plain; charset=utf-8",
                                    SOUP_MEMORY_STATIC, body, strlen (body));
  resume_reading (self);
  resume_writing (self);
}

/* Ends a response that cannot be completed: closing the connection is how
 * HTTP/1.1 tells the client that it did not get all of it. libsoup's
 * next write then fails and finishes the message. */
static void
abort_response (AsgirefHttpExchange *self)
{
  GSocket *socket = message_socket (self);

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
  gboolean quiet = self->client_left ||
                   g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  AsgirefScope *scope = asgiref_channel_get_scope (self->channel);
  g_autoptr(GError) rejection = NULL;
  const char *why = NULL;

  if (self->answered)
    return;

  /* A message the channel refused is a mistake of the application's,
   * even one that ignored its send's error (no callback, say): it is
   * what the log names, rather than its consequence. */
  rejection = _asgiref_channel_dup_rejection (self->channel);
  if (self->error != NULL)
    why = self->error->message;
  else if (rejection != NULL)
    why = rejection->message;
  else if (!response_begun (self))
    why = _("the application returned without starting a response");
  else if (!self->response_complete)
    why = _("the application returned without completing its response");

  /* Even when libsoup is done with a response the application completed:
   * a failure afterwards is still the application's to hear of.
   * g_log() rather than g_warning(), which G_LOG_USE_STRUCTURED makes a
   * structured message: GLib 2.74's g_test_expect_message() only sees the
   * others, and tests expect this one. */
  if (why != NULL && !quiet)
    g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, _("ASGI application error on %s %s: %s"),
           scope->method, scope->path, why);

  if (self->msg == NULL)
    return;

  /* A response the application completed stands, even if it failed
   * afterwards. One it only started went nowhere yet: it becomes a 500. */
  g_clear_pointer (&self->start, asgiref_message_unref);
  if (!self->response_started)
    respond_error (self, SOUP_STATUS_INTERNAL_SERVER_ERROR, "Internal Server Error\n");
  else if (!self->response_complete)
    abort_response (self);
}

/* The channel's sink: each message the application sent, on this thread.
 * Returns whether the next one may come at once: not while a chunk is
 * out, so that a streaming application cannot run ahead of the network. */
static gboolean
on_output (AsgirefMessage *message,
           gpointer        data)
{
  AsgirefHttpExchange *self = data;

  /* The end: the instance returned, and everything it sent was taken. */
  if (message == NULL)
    {
      conclude (self);
      exchange_unref (self);
      return FALSE;
    }

  /* Late sends, after the client left or the server answered: taking them
   * lets the application's sends complete. */
  if (self->msg == NULL || self->answered)
    return TRUE;

  /* The channel let through only what the protocol allows here. */
  if (message->kind == ASGIREF_MESSAGE_HTTP_RESPONSE_START)
    hold_start (self, message);
  else if (message->kind == ASGIREF_MESSAGE_HTTP_RESPONSE_BODY)
    {
      send_body (self, message);
      resume_writing (self);
    }

  /* Back-pressure: a chunk handed to libsoup is taken as sent once written. */
  return !self->writing;
}

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           data)
{
  AsgirefHttpExchange *self = data;

  if (!self->writing)
    return;

  self->writing = FALSE;
  _asgiref_channel_sink_ready (self->channel);
}

/* libsoup is done with the message: finished, aborted and disconnected
 * may all come, and the first counts. */
static void
finish (AsgirefHttpExchange *self)
{
  SoupServerMessage *msg = self->msg;

  stop_watching (self);
  if (self->handlers)
    g_signal_handlers_disconnect_by_data (msg, self);
  if (self->paused && self->connection != NULL)
    _asgiref_connection_forget_paused (self->connection, msg);
  exchange_set (msg, self->connection, NULL);
  self->connection = NULL;
  g_clear_object (&self->msg);

  /* After the response, or instead of it when the client left; an
   * instance that ended reads nothing more. */
  if (!self->response_complete)
    client_leaves (self);
  else if (!self->instance_done)
    put_disconnect (self);
  stop_timeout (self);

  /* A chunk that was never written will not be: the application may go
   * on sending (to nobody). */
  if (self->writing)
    {
      self->writing = FALSE;
      _asgiref_channel_sink_ready (self->channel);
    }
  exchange_unref (self);
}

void
_asgiref_http_exchange_finished (SoupServerMessage *msg,
                                 AsgirefConnection *connection)
{
  AsgirefHttpExchange *self = exchange_of (msg, connection);

  if (self != NULL)
    finish (self);
}

/* ---- The instance ------------------------------------------------------- */

static void
on_instance_done (GError   *error,
                  gpointer  data)
{
  AsgirefHttpExchange *self = data;

  self->error = error;
  self->instance_done = TRUE;
  /* Without the body, which it never asked for: its answer (or the
   * server's 500) goes out instead of 100 Continue, and resumes. */
  if (!self->awaiting_continue)
    resume_reading (self);
  /* The sink learns of it once it got what was sent before, and concludes
   * the exchange there. */
  _asgiref_channel_end_output (self->channel);
  exchange_unref (self);
}

static void
start_instance (gpointer data)
{
  gpointer *args = data;
  AsgirefHttpExchange *self = args[0];
  AsgirefApplication *application = args[1];
  AsgirefScope *scope = args[2];

  _asgiref_application_call (application, scope, self->channel, self->cancellable,
                             on_instance_done, exchange_ref (self));
}

AsgirefHttpExchange *
_asgiref_http_exchange_start (SoupServerMessage               *msg,
                              const AsgirefHttpExchangeConfig *config)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  g_autoptr(AsgirefContext) context = NULL;
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(GError) error = NULL;
  AsgirefHttpExchange *self;
  gpointer args[3];

  scope = scope_from_message (msg, config->connection, config->headers, config->root_path, &error);
  if (scope == NULL)
    {
      _asgiref_http_refuse (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return NULL;
    }

  if (config->max_body_size != 0 &&
      soup_message_headers_get_encoding (request_headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (request_headers) > config->max_body_size)
    {
      _asgiref_http_refuse (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
      return NULL;
    }

  self = g_new0 (AsgirefHttpExchange, 1);
  self->ref = 1;   /* the message's, until it finished */
  self->msg = g_object_ref (msg);
  self->connection = config->connection;
  self->channel = asgiref_channel_new (scope);
  self->cancellable = g_cancellable_new ();
  self->max_body_size = config->max_body_size;
  self->watches = config->watches;
  self->done = config->done;
  self->done_data = config->user_data;

  /* The server's own signals tell when the message finished; a message's
   * signals are connected only where they are needed: no closure for a
   * request without a body, whose only http.request is there at once. */
  exchange_set (msg, self->connection, self);
  if (soup_message_headers_get_encoding (request_headers) != SOUP_ENCODING_NONE &&
      (soup_message_headers_get_encoding (request_headers) != SOUP_ENCODING_CONTENT_LENGTH ||
       soup_message_headers_get_content_length (request_headers) > 0))
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), self);
      g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), self);
      self->handlers = TRUE;

      /* libsoup would answer 100 Continue at once: the client sends the
       * body only once the application asks for it (or never, if the
       * application answers first; then the connection closes). */
      if (soup_message_headers_get_expectations (request_headers) & SOUP_EXPECTATION_CONTINUE)
        {
          soup_server_message_pause (msg);
          self->reading_paused = TRUE;
          self->awaiting_continue = TRUE;
          _asgiref_channel_watch_receive (self->channel);
        }
    }
  else
    {
      self->input_done = TRUE;
      _asgiref_channel_put_bare_input (self->channel, ASGIREF_MESSAGE_HTTP_REQUEST);
    }

  _asgiref_channel_set_sink (self->channel, on_output, on_input_drained, exchange_ref (self));

  context = asgiref_context_copy (config->context);
  args[0] = self;
  args[1] = config->application;
  args[2] = scope;
  asgiref_context_run (context, start_instance, args);

  if (config->response_timeout > 0 && self->msg != NULL && !self->response_started && !self->answered)
    {
      self->response_timeout = config->response_timeout;
      start_timeout (self);
    }

  /* Not before: most responses to a request without a body are complete
   * by now, and need no watch. */
  if (self->input_done && self->msg != NULL && !self->response_complete && !self->answered)
    watch_socket_soon (self);

  return self;
}

GList *
_asgiref_http_exchange_get_link (AsgirefHttpExchange *self)
{
  return &self->link;
}

void
_asgiref_http_exchange_cancel (AsgirefHttpExchange *self)
{
  cancel_instance (self);
}

void
_asgiref_http_exchange_abandon (AsgirefHttpExchange *self)
{
  if (self->msg != NULL)
    finish (self);
}
