/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-connection-private.h"
#include "asgiref-request-framing-private.h"

/*
 * The connection is a GIOStream over the accepted GSocketConnection: its
 * output stream is the socket's own, its input stream a thin filter that
 * watches what libsoup reads. Reading is where libsoup 3.2 can be told,
 * without touching its internals, that a connection ended: it only ever
 * learns of a request through bytes.
 */

struct _AsgirefConnection
{
  GIOStream parent_instance;

  GIOStream *base;               /* the socket's connection, or TLS over it */
  GSocket *socket;
  GInputStream *input;           /* AsgirefConnectionInput */
  GSocketAddress *remote;        /* its qdata points back here */
  AsgirefRequestFraming framing;

  /* Ready at the end of the current header or idle timeout, or before
   * (see arm()); due is that end, -1 for none. */
  GSource *deadline;
  gint64 due;
  guint header_timeout;          /* seconds; 0: none */
  guint idle_timeout;            /* seconds; 0: none */

  AsgirefConnectionClosed closed;
  gpointer closed_data;

  /* The message its exchange paused, told when the connection closes. */
  SoupServerMessage *paused;
  void (*paused_closed) (SoupServerMessage *msg,
                         AsgirefConnection *connection);

  /* After an early answer: closed for libsoup, but the socket still reads
   * (and drops) what the client sends, so that closing it does not reset
   * the connection before the client read the answer. */
  gboolean linger;
  GSource *lingering;            /* the socket's, while it lingers */
  GSource *linger_timeout;

  /* The exchange of the message being served, for the server: libsoup
   * serves one message of a connection at a time. */
  SoupServerMessage *message;    /* not a reference */
  gpointer message_data;

  /* The addresses as a scope gives them, formatted once. */
  AsgirefConnectionAddresses *addresses;

  gboolean awaiting_headers;     /* no request parsed since the last response */
  gboolean idle;                 /* of them, no byte since that response */
  gboolean timed_out;
  gboolean ended;                /* libsoup got the byte that ends it */
  gboolean upgraded;             /* a WebSocket's now */
};

G_DEFINE_FINAL_TYPE (AsgirefConnection, _asgiref_connection, G_TYPE_IO_STREAM)

static G_DEFINE_QUARK (asgiref-connection-of-address, connection_of_address)

/*
 * Every request moves the deadline three times (a header timeout from its
 * first byte, none once its headers are read, an idle timeout once it was
 * answered), and g_source_set_ready_time() writes to the main context's
 * wake-up descriptor each time. So the source is only ever moved
 * earlier: when it fires before the deadline, or with none, it moves
 * itself (which, from its own dispatch, wakes nothing). On a busy
 * connection it fires about once per timeout instead of being moved
 * three times per request.
 */
static void
arm (AsgirefConnection *self,
     guint              seconds)
{
  gint64 ready;

  if (self->deadline == NULL)
    return;
  self->due = seconds == 0 ? -1 : g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  if (self->due == -1)
    return;
  ready = g_source_get_ready_time (self->deadline);
  if (ready == -1 || ready > self->due)
    g_source_set_ready_time (self->deadline, self->due);
}

/* ---- What libsoup reads ------------------------------------------------- */

/*
 * Called with what the client's socket gave for a read of @count bytes
 * into @buffer. Where the stream ends (or fails) before a request's
 * headers are complete, libsoup 3.2 does one of two wrong things: before
 * the first byte of a keep-alive connection's next request, it forgets the
 * connection, open; after a line of headers, it serves the request as if
 * its headers were complete. A NUL byte starts no request, and makes
 * _asgiref_connection_headers_read() refuse what libsoup parsed: libsoup
 * answers with an error, which the shut socket refuses, and closes.
 */
static gssize
filter_read (AsgirefConnection  *self,
             guint8             *buffer,
             gsize               count,
             gssize              n,
             GError            **error)
{
  if (n > 0)
    {
      const char *reason;

      if (!self->upgraded && !_asgiref_request_framing_feed (&self->framing, buffer, n, &reason))
        {
          g_debug ("Closing a connection whose request has %s", reason);
          g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
          self->ended = TRUE;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The request has %s", reason);
          return -1;
        }
      if (self->idle)
        {
          self->idle = FALSE;
          arm (self, self->header_timeout);
        }
      return n;
    }
  if (n < 0 && g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return n;
  if (!self->awaiting_headers || self->ended || count == 0)
    return n;

  g_clear_error (error);
  /* The client may still read, if it only shut its side. */
  g_socket_shutdown (self->socket, FALSE, TRUE, NULL);
  self->ended = TRUE;
  buffer[0] = '\0';
  return 1;
}

#define ASGIREF_TYPE_CONNECTION_INPUT (connection_input_get_type ())
G_DECLARE_FINAL_TYPE (AsgirefConnectionInput, connection_input, ASGIREF, CONNECTION_INPUT, GFilterInputStream)

struct _AsgirefConnectionInput
{
  GFilterInputStream parent_instance;
  AsgirefConnection *connection;  /* owns this stream */
};

static void connection_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AsgirefConnectionInput, connection_input, G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      connection_input_pollable_init))

static GPollableInputStream *
base_of (AsgirefConnectionInput *self)
{
  /* The field subclasses may read, rather than its getter, which checks
   * its argument's type on every read libsoup makes. */
  return (GPollableInputStream *) self->parent_instance.base_stream;
}

static gssize
connection_input_read (GInputStream  *stream,
                       void          *buffer,
                       gsize          count,
                       GCancellable  *cancellable,
                       GError       **error)
{
  AsgirefConnectionInput *self = ASGIREF_CONNECTION_INPUT (stream);
  gssize n;

  if (self->connection->ended)
    return 0;
  n = g_input_stream_read (G_INPUT_STREAM (base_of (self)), buffer, count, cancellable, error);
  return filter_read (self->connection, buffer, count, n, error);
}

static gssize
connection_input_read_nonblocking (GPollableInputStream  *stream,
                                   void                  *buffer,
                                   gsize                  count,
                                   GError               **error)
{
  AsgirefConnectionInput *self = ASGIREF_CONNECTION_INPUT (stream);
  gssize n;

  if (self->connection->ended)
    return 0;
  n = g_pollable_input_stream_read_nonblocking (base_of (self), buffer, count, NULL, error);
  return filter_read (self->connection, buffer, count, n, error);
}

static gboolean
connection_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
connection_input_is_readable (GPollableInputStream *stream)
{
  AsgirefConnectionInput *self = ASGIREF_CONNECTION_INPUT (stream);

  return self->connection->ended || g_pollable_input_stream_is_readable (base_of (self));
}

/* The base stream's own source, not one wrapped around it, which would
 * cost a tenth of what serving a small request does: libsoup only ever
 * uses this source as the child of its own, whose callback names its
 * stream, so none reads the stream this one names. */
static GSource *
connection_input_create_source (GPollableInputStream *stream,
                                GCancellable         *cancellable)
{
  AsgirefConnectionInput *self = ASGIREF_CONNECTION_INPUT (stream);
  GSource *source;

  if (!self->connection->ended)
    return g_pollable_input_stream_create_source (base_of (self), cancellable);

  source = g_pollable_source_new_full (stream, NULL, cancellable);
  g_source_set_ready_time (source, 0);
  return source;
}

static void
connection_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = connection_input_can_poll;
  iface->is_readable = connection_input_is_readable;
  iface->create_source = connection_input_create_source;
  iface->read_nonblocking = connection_input_read_nonblocking;
}

static void
connection_input_class_init (AsgirefConnectionInputClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = connection_input_read;
}

static void
connection_input_init (AsgirefConnectionInput *self)
{
}

/* ---- Timeouts ----------------------------------------------------------- */

/* Blocked while it dispatches, the source changes its ready time here
 * without waking the context. */
static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     data)
{
  AsgirefConnection *self = data;

  /* Early (see arm()): on to the deadline, if there is one. */
  if (self->due == -1 || g_source_get_time (source) < self->due)
    {
      g_source_set_ready_time (source, self->due);
      return G_SOURCE_CONTINUE;
    }

  self->due = -1;
  g_source_set_ready_time (source, -1);
  return callback (data);
}

static GSourceFuncs deadline_funcs = {
  .dispatch = deadline_dispatch,
};

/* Shut down, the socket is readable at its end: libsoup reads that end,
 * and filter_read() ends the request it was reading. */
static gboolean
on_deadline (gpointer data)
{
  AsgirefConnection *self = data;

  g_debug ("Dropping a connection that was %s for too long",
           self->idle ? "idle" : "sending its request headers");
  self->timed_out = TRUE;
  g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- Answering early ---------------------------------------------------- */

/* How long a connection answered early reads what its client still sends,
 * at most: enough for a client to notice the answer and stop. */
#define LINGER_SECONDS 5

static void
really_close (AsgirefConnection *self)
{
  AsgirefConnectionClosed closed = g_steal_pointer (&self->closed);

  if (self->lingering != NULL)
    {
      g_source_destroy (self->lingering);
      g_clear_pointer (&self->lingering, g_source_unref);
    }
  if (self->linger_timeout != NULL)
    {
      g_source_destroy (self->linger_timeout);
      g_clear_pointer (&self->linger_timeout, g_source_unref);
    }
  g_io_stream_close (self->base, NULL, NULL);
  /* TLS closes its base stream only when asked to. */
  g_socket_close (self->socket, NULL);
  if (closed != NULL)
    closed (self, self->closed_data);
}

static gboolean
on_linger_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      data)
{
  AsgirefConnection *self = data;
  g_autoptr(GError) error = NULL;
  char dropped[16384];
  gssize n = 0;

  /* A bounded share of the main context for each wake-up. */
  for (guint i = 0; i < 64; i++)
    {
      n = g_socket_receive_with_blocking (socket, dropped, sizeof dropped, FALSE, NULL, &error);
      if (n <= 0)
        break;
    }
  if (n > 0 || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;   /* more may come */

  /* The end, or an error: nothing left to wait for. */
  really_close (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_linger_timeout (gpointer data)
{
  AsgirefConnection *self = data;

  really_close (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

void
_asgiref_connection_answer_early (AsgirefConnection *self,
                                  const char        *response,
                                  gsize              size)
{
  if (self->ended)
    return;

  /* Small, and nothing else is being written: the socket takes it whole. */
  g_socket_send_with_blocking (self->socket, response, size, FALSE, NULL, NULL);
  g_socket_shutdown (self->socket, FALSE, TRUE, NULL);
  self->ended = TRUE;
  self->linger = TRUE;
}

/* ---- The stream --------------------------------------------------------- */

static GInputStream *
connection_get_input_stream (GIOStream *stream)
{
  return ASGIREF_CONNECTION (stream)->input;
}

static GOutputStream *
connection_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (ASGIREF_CONNECTION (stream)->base);
}

static gboolean
connection_close (GIOStream     *stream,
                  GCancellable  *cancellable,
                  GError       **error)
{
  AsgirefConnection *self = ASGIREF_CONNECTION (stream);

  if (self->paused != NULL)
    {
      SoupServerMessage *paused = g_steal_pointer (&self->paused);

      self->paused_closed (paused, self);
    }

  if (self->deadline != NULL)
    {
      g_source_destroy (self->deadline);
      g_clear_pointer (&self->deadline, g_source_unref);
    }

  if (self->linger && self->lingering == NULL)
    {
      /* Until the client's end, or the time is up; the connection counts
       * as open until then. */
      g_object_ref (self);
      self->lingering = g_socket_create_source (self->socket, G_IO_IN, NULL);
      g_source_set_static_name (self->lingering, "[asgiref] connection lingering");
      g_source_set_callback (self->lingering, G_SOURCE_FUNC (on_linger_readable), self, NULL);
      g_source_attach (self->lingering, g_main_context_get_thread_default ());
      self->linger_timeout = g_timeout_source_new_seconds (LINGER_SECONDS);
      g_source_set_static_name (self->linger_timeout, "[asgiref] connection lingering");
      g_source_set_callback (self->linger_timeout, on_linger_timeout, self, NULL);
      g_source_attach (self->linger_timeout, g_main_context_get_thread_default ());
      return TRUE;
    }

  really_close (self);
  return TRUE;
}

/* GIOStream's own would close in a worker thread, and tell the server
 * there: closing a socket does not block. */
static void
connection_close_async (GIOStream           *stream,
                        int                  io_priority,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  (g_task_set_source_tag) (task, connection_close_async);
  if (connection_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
connection_close_finish (GIOStream     *stream,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
asgiref_connection_finalize (GObject *object)
{
  AsgirefConnection *self = ASGIREF_CONNECTION (object);

  if (self->deadline != NULL)
    {
      g_source_destroy (self->deadline);
      g_source_unref (self->deadline);
    }
  g_object_set_qdata (G_OBJECT (self->remote), connection_of_address_quark (), NULL);
  g_object_unref (self->remote);
  g_free (self->addresses);
  g_object_unref (self->input);
  _asgiref_request_framing_clear (&self->framing);
  g_object_unref (self->socket);
  g_object_unref (self->base);

  G_OBJECT_CLASS (_asgiref_connection_parent_class)->finalize (object);
}

static void
_asgiref_connection_class_init (AsgirefConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = asgiref_connection_finalize;
  stream_class->get_input_stream = connection_get_input_stream;
  stream_class->get_output_stream = connection_get_output_stream;
  stream_class->close_fn = connection_close;
  stream_class->close_async = connection_close_async;
  stream_class->close_finish = connection_close_finish;
}

static void
_asgiref_connection_init (AsgirefConnection *self)
{
  self->due = -1;
}

AsgirefConnection *
_asgiref_connection_new (GIOStream               *base,
                         GSocket                 *socket,
                         GSocketAddress          *remote,
                         guint                    header_timeout,
                         guint                    idle_timeout,
                         AsgirefConnectionClosed  closed,
                         gpointer                 user_data)
{
  AsgirefConnection *self = g_object_new (ASGIREF_TYPE_CONNECTION, NULL);
  AsgirefConnectionInput *input;

  self->base = g_object_ref (base);
  self->socket = g_object_ref (socket);
  self->remote = g_object_ref (remote);
  g_object_set_qdata (G_OBJECT (remote), connection_of_address_quark (), self);
  self->header_timeout = header_timeout;
  self->idle_timeout = idle_timeout;
  self->closed = closed;
  self->closed_data = user_data;
  self->awaiting_headers = TRUE;
  _asgiref_request_framing_init (&self->framing);

  input = g_object_new (ASGIREF_TYPE_CONNECTION_INPUT,
                        "base-stream", g_io_stream_get_input_stream (base),
                        NULL);
  input->connection = self;
  self->input = G_INPUT_STREAM (input);

  if (header_timeout != 0 || idle_timeout != 0)
    {
      self->deadline = g_source_new (&deadline_funcs, sizeof (GSource));
      g_source_set_static_name (self->deadline, "[asgiref] connection timeout");
      g_source_set_callback (self->deadline, on_deadline, self, NULL);
      g_source_attach (self->deadline, g_main_context_get_thread_default ());
      arm (self, header_timeout);
    }
  return self;
}

AsgirefConnection *
_asgiref_connection_of_message (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_qdata (G_OBJECT (remote), connection_of_address_quark ()) : NULL;
}

void
_asgiref_connection_close_now (AsgirefConnection *self)
{
  /* The server goes: nothing may call it back later. */
  self->linger = FALSE;
  if (self->lingering != NULL)
    {
      really_close (self);
      g_object_unref (self);
    }
  else
    g_io_stream_close (G_IO_STREAM (self), NULL, NULL);
}

GSocket *
_asgiref_connection_get_socket (AsgirefConnection *self)
{
  return self->socket;
}

gboolean
_asgiref_connection_is_tls (AsgirefConnection *self)
{
  return G_IS_TLS_CONNECTION (self->base);
}

gboolean
_asgiref_connection_headers_read (AsgirefConnection *self)
{
  self->awaiting_headers = FALSE;
  self->idle = FALSE;
  arm (self, 0);
  return !self->timed_out && !self->ended;
}

void
_asgiref_connection_upgraded (AsgirefConnection *self)
{
  self->upgraded = TRUE;
  self->awaiting_headers = FALSE;
  arm (self, 0);
}

void
_asgiref_connection_watch_paused (AsgirefConnection  *self,
                                  SoupServerMessage  *msg,
                                  void              (*paused_closed) (SoupServerMessage *msg,
                                                                      AsgirefConnection *connection))
{
  self->paused = msg;
  self->paused_closed = paused_closed;
}

void
_asgiref_connection_forget_paused (AsgirefConnection *self,
                                   SoupServerMessage *msg)
{
  if (self->paused == msg)
    self->paused = NULL;
}

void
_asgiref_connection_request_done (AsgirefConnection *self)
{
  self->awaiting_headers = TRUE;
  self->idle = TRUE;
  arm (self, self->idle_timeout);
}

void
_asgiref_connection_set_message_data (AsgirefConnection *self,
                                      SoupServerMessage *msg,
                                      gpointer           data)
{
  self->message = data != NULL ? msg : NULL;
  self->message_data = data;
}

gpointer
_asgiref_connection_get_message_data (AsgirefConnection *self,
                                      SoupServerMessage *msg)
{
  return self->message == msg ? self->message_data : NULL;
}

int
_asgiref_socket_address_split (GSocketAddress *address,
                               char           *host)
{
  GInetAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return -1;

  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  /* IPv4, the common case, is formatted here: inet_ntop() goes through
   * printf. */
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    {
      const guint8 *bytes = g_inet_address_to_bytes (inet);
      char *out = host;

      for (int i = 0; i < 4; i++)
        {
          guint8 b = bytes[i];

          if (b >= 100)
            *out++ = '0' + b / 100;
          if (b >= 10)
            *out++ = '0' + b / 10 % 10;
          *out++ = '0' + b % 10;
          *out++ = i < 3 ? '.' : '\0';
        }
    }
  else
    {
      g_autofree char *text = g_inet_address_to_string (inet);

      g_strlcpy (host, text, ASGIREF_HOST_SIZE);
    }
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

const AsgirefConnectionAddresses *
_asgiref_connection_get_addresses (AsgirefConnection *self,
                                   SoupServerMessage *msg)
{
  if (self->addresses == NULL)
    {
      self->addresses = g_new0 (AsgirefConnectionAddresses, 1);
      self->addresses->client_port =
        _asgiref_socket_address_split (soup_server_message_get_remote_address (msg),
                                       self->addresses->client_host);
      self->addresses->server_port =
        _asgiref_socket_address_split (soup_server_message_get_local_address (msg),
                                       self->addresses->server_host);
    }
  return self->addresses;
}
