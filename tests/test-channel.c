/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefChannel: both sides' queues (order, waiting, back-pressure,
 * close, cancellation, another thread feeding it), one test per
 * protocol-order rule of the http, websocket and lifespan scopes, and one
 * per rule of how an http response's body keeps to its framing.
 */

#include <asgiref.h>

#include <string.h>

#include "asgiref-channel-private.h"
#include "test-util.h"

/* {{{ Helpers */

static AsgirefScope *
scope_of_kind (AsgirefScopeKind kind)
{
  switch (kind)
    {
    case ASGIREF_SCOPE_HTTP:
      return asgiref_scope_new_http ("GET", "/", NULL, NULL);
    case ASGIREF_SCOPE_WEBSOCKET:
      return asgiref_scope_new_websocket ("/", NULL, NULL, NULL);
    case ASGIREF_SCOPE_LIFESPAN:
    default:
      return asgiref_scope_new_lifespan (NULL);
    }
}

static AsgirefChannel *
channel_for (AsgirefScopeKind kind)
{
  g_autoptr(AsgirefScope) scope = scope_of_kind (kind);

  return asgiref_channel_new (scope);
}

/* Sends @message (taken over) while the server side takes; returns
 * whether the send succeeded (and then the server got @message itself),
 * with @error set otherwise (and then the server got nothing). */
static gboolean
send_and_take (AsgirefChannel  *channel,
               AsgirefMessage  *message,
               GError         **error)
{
  g_autoptr(AsgirefMessage) owned = message;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GAsyncResult) taken = NULL;
  g_autoptr(AsgirefMessage) took = NULL;
  g_autoptr(GError) take_error = NULL;
  gboolean ok;

  asgiref_channel_send_async (channel, owned, NULL, test_store_result, &sent);
  asgiref_channel_take_output_async (channel, cancellable, test_store_result, &taken);
  test_wait_for_result (&sent);
  ok = asgiref_channel_send_finish (channel, sent, error);
  if (!ok)
    g_cancellable_cancel (cancellable);

  test_wait_for_result (&taken);
  took = asgiref_channel_take_output_finish (channel, taken, &take_error);
  if (ok)
    {
      g_assert_no_error (take_error);
      /* The very message: messages go through by reference. */
      g_assert_true (took == owned);
    }
  else
    {
      g_assert_error (take_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  return ok;
}

static void
assert_sends (AsgirefChannel *channel,
              AsgirefMessage *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (send_and_take (channel, message, &error));
  g_assert_no_error (error);
}

static void
assert_refused (AsgirefChannel *channel,
                AsgirefMessage *message,
                const char     *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (send_and_take (channel, message, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_PROTOCOL);
  if (strstr (error->message, words) == NULL)
    g_error ("“%s” does not say “%s”", error->message, words);
}

static AsgirefMessage *
receive (AsgirefChannel *channel)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AsgirefMessage *message;

  asgiref_channel_receive_async (channel, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  message = asgiref_channel_receive_finish (channel, result, &error);
  g_assert_no_error (error);
  return message;
}

/* Puts @message, which it takes over. */
static void
put (AsgirefChannel *channel,
     AsgirefMessage *message)
{
  g_autoptr(AsgirefMessage) owned = message;
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_channel_put_input (channel, owned, &error));
  g_assert_no_error (error);
}

static AsgirefMessage *
body (const char *text,
      gboolean    more_body)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return asgiref_message_new_http_response_body (bytes, more_body);
}

static AsgirefMessage *
start (gboolean trailers)
{
  return asgiref_message_new_http_response_start (200, NULL, trailers);
}

static AsgirefMessage *
trailers (gboolean more_trailers)
{
  return asgiref_message_new_http_response_trailers (NULL, more_trailers);
}

static AsgirefMessage *
ws_text (const char *text)
{
  return asgiref_message_new_websocket_send (NULL, text);
}

/* }}} */

/* {{{ Queues */

static void
test_keeps_its_scope (void)
{
  AsgirefScope *scope = asgiref_scope_new_http ("GET", "/", NULL, NULL);
  g_autoptr(AsgirefChannel) channel = asgiref_channel_new (scope);

  g_assert_true (asgiref_channel_get_scope (channel) == scope);
  asgiref_scope_unref (scope);
  g_assert_cmpint (asgiref_scope_get_kind (asgiref_channel_get_scope (channel)), ==, ASGIREF_SCOPE_HTTP);
}

static void
test_receive_in_order (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  for (int i = 0; i < 3; i++)
    put (channel, asgiref_message_new_http_request (NULL, i < 2));

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(AsgirefMessage) message = receive (channel);

      g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.request");
      g_assert_cmpint (asgiref_message_get_more_body (message), ==, i < 2);
    }
}

static void
test_receive_waits_for_input (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(AsgirefMessage) one = NULL;
  g_autoptr(AsgirefMessage) two = NULL;

  asgiref_channel_receive_async (channel, NULL, test_store_result, &first);
  asgiref_channel_receive_async (channel, NULL, test_store_result, &second);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (first);

  put (channel, asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT));
  put (channel, asgiref_message_new_http_request (NULL, FALSE));
  test_wait_for_result (&first);
  test_wait_for_result (&second);
  one = asgiref_channel_receive_finish (channel, first, NULL);
  two = asgiref_channel_receive_finish (channel, second, NULL);
  g_assert_cmpstr (asgiref_message_get_type_name (one), ==, "http.disconnect");
  g_assert_cmpstr (asgiref_message_get_type_name (two), ==, "http.request");
}

static void
test_put_rejects_invalid (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GError) error = NULL;
  /* The builders do not check: a status outside 100–599 makes it through
   * them, not through the channel. */
  g_autoptr(AsgirefMessage) nonsense = asgiref_message_new_http_response_start (42, NULL, FALSE);

  g_assert_false (asgiref_channel_put_input (channel, nonsense, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
}

static void
test_send_rejects_invalid (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  test_channel_send (channel, asgiref_message_new_http_response_start (42, NULL, FALSE),
                     NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_false (asgiref_channel_send_finish (channel, result, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);

  /* It never counted: a valid start is still the first. */
  assert_sends (channel, start (FALSE));
}

static void
test_send_completes_when_taken (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GAsyncResult) sent_start = NULL;
  g_autoptr(GAsyncResult) sent_body = NULL;
  g_autoptr(GAsyncResult) taken = NULL;
  g_autoptr(AsgirefMessage) message = NULL;

  test_channel_send (channel, start (FALSE), NULL, test_store_result, &sent_start);
  test_channel_send (channel, body ("x", FALSE), NULL, test_store_result, &sent_body);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (sent_start);
  g_assert_null (sent_body);

  asgiref_channel_take_output_async (channel, NULL, test_store_result, &taken);
  test_wait_for_result (&taken);
  message = asgiref_channel_take_output_finish (channel, taken, NULL);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.start");
  test_wait_for_result (&sent_start);
  g_assert_true (asgiref_channel_send_finish (channel, sent_start, NULL));
  g_assert_null (sent_body);

  g_clear_object (&taken);
  g_clear_pointer (&message, asgiref_message_unref);
  asgiref_channel_take_output_async (channel, NULL, test_store_result, &taken);
  test_wait_for_result (&taken);
  message = asgiref_channel_take_output_finish (channel, taken, NULL);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.body");
  test_wait_for_result (&sent_body);
  g_assert_true (asgiref_channel_send_finish (channel, sent_body, NULL));
}

/* try_send() without a server: a take that waits gets the very message;
 * anything else would wait, and then nothing happened. */
static void
test_try_send_to_a_waiting_take (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefMessage) first = start (FALSE);
  g_autoptr(AsgirefMessage) again = start (FALSE);
  g_autoptr(AsgirefMessage) invalid = asgiref_message_new_http_response_start (42, NULL, FALSE);
  g_autoptr(AsgirefMessage) took = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) taken = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) rejection = NULL;

  g_assert_false (asgiref_channel_try_send (channel, first, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);
  g_assert_null (_asgiref_channel_dup_rejection (channel));

  /* Had the protocol counted the start that would have waited, this one
   * would be a second start. */
  asgiref_channel_take_output_async (channel, NULL, test_store_result, &taken);
  g_assert_true (asgiref_channel_try_send (channel, first, &error));
  g_assert_no_error (error);
  test_wait_for_result (&taken);
  took = asgiref_channel_take_output_finish (channel, taken, &error);
  g_assert_no_error (error);
  g_assert_true (took == first);

  /* Mistakes are errors at the call, and the first is what the server
   * reports; a take waiting or not. */
  g_assert_false (asgiref_channel_try_send (channel, again, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_PROTOCOL);
  g_clear_error (&error);
  rejection = _asgiref_channel_dup_rejection (channel);
  g_assert_error (rejection, ASGIREF_ERROR, ASGIREF_ERROR_PROTOCOL);

  g_clear_object (&taken);
  asgiref_channel_take_output_async (channel, cancellable, test_store_result, &taken);
  g_assert_false (asgiref_channel_try_send (channel, invalid, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  g_clear_error (&error);

  /* Neither reached the take. */
  g_cancellable_cancel (cancellable);
  test_wait_for_result (&taken);
  g_assert_null (asgiref_channel_take_output_finish (channel, taken, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* try_send() to the server's side on its own thread: taken while the
 * server is free, refused with WOULD_BLOCK while it holds back, and from
 * any other thread. */
typedef struct
{
  GPtrArray *got;
  gboolean hold;
} Sink;

static gboolean
sink_take (AsgirefMessage *message,
           gpointer        data)
{
  Sink *sink = data;

  if (message != NULL)
    g_ptr_array_add (sink->got, asgiref_message_ref (message));
  return !sink->hold;
}

static void
sink_drained (gpointer data)
{
}

static gpointer
try_send_thread (gpointer data)
{
  g_autoptr(AsgirefMessage) chunk = body ("elsewhere", TRUE);
  GError *error = NULL;

  g_assert_false (asgiref_channel_try_send (data, chunk, &error));
  return error;
}

static void
test_try_send_to_the_server (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefMessage) first = start (FALSE);
  g_autoptr(AsgirefMessage) one = body ("one", TRUE);
  g_autoptr(AsgirefMessage) two = body ("two", TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) elsewhere = NULL;
  Sink sink = { g_ptr_array_new_with_free_func ((GDestroyNotify) asgiref_message_unref), FALSE };

  g_assert_true (g_main_context_acquire (NULL));
  _asgiref_channel_set_sink (channel, sink_take, sink_drained, &sink);

  g_assert_true (asgiref_channel_try_send (channel, first, &error));
  g_assert_no_error (error);
  sink.hold = TRUE;
  g_assert_true (asgiref_channel_try_send (channel, one, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sink.got->len, ==, 2);
  g_assert_true (g_ptr_array_index (sink.got, 0) == first);
  g_assert_true (g_ptr_array_index (sink.got, 1) == one);

  g_assert_false (asgiref_channel_try_send (channel, two, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  sink.hold = FALSE;
  _asgiref_channel_sink_ready (channel);
  elsewhere = g_thread_join (g_thread_new ("try-send", try_send_thread, channel));
  g_assert_error (elsewhere, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);

  g_assert_true (asgiref_channel_try_send (channel, two, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sink.got->len, ==, 3);
  g_assert_true (g_ptr_array_index (sink.got, 2) == two);

  g_main_context_release (NULL);
  g_ptr_array_unref (sink.got);
}

/* try_receive(): what is there, in order, the bare inputs made as it takes
 * them; WOULD_BLOCK when nothing is; the ends after the inputs. */
static void
test_try_receive (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) cancelled = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefMessage) chunk = asgiref_message_new_http_request (NULL, TRUE);
  g_autoptr(AsgirefMessage) got = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (asgiref_channel_try_receive (channel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  g_assert_true (asgiref_channel_put_input (channel, chunk, NULL));
  _asgiref_channel_put_bare_input (channel, ASGIREF_MESSAGE_HTTP_REQUEST);
  got = asgiref_channel_try_receive (channel, &error);
  g_assert_no_error (error);
  g_assert_true (got == chunk);
  g_clear_pointer (&got, asgiref_message_unref);
  got = asgiref_channel_try_receive (channel, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (asgiref_message_get_type_name (got), ==, "http.request");
  g_assert_false (asgiref_message_get_more_body (got));
  g_clear_pointer (&got, asgiref_message_unref);
  g_assert_null (asgiref_channel_try_receive (channel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  /* A receive that waits gets what comes next; then the channel closes. */
  asgiref_channel_receive_async (channel, NULL, test_store_result, &result);
  _asgiref_channel_put_bare_input (channel, ASGIREF_MESSAGE_HTTP_DISCONNECT);
  asgiref_channel_close (channel);
  g_assert_null (asgiref_channel_try_receive (channel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  test_wait_for_result (&result);
  got = asgiref_channel_receive_finish (channel, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (asgiref_message_get_type_name (got), ==, "http.disconnect");

  put (cancelled, asgiref_message_new_http_request (NULL, FALSE));
  _asgiref_channel_cancel (cancelled);
  g_assert_null (asgiref_channel_try_receive (cancelled, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A try_receive() that finds nothing is a receive that finds nothing: the
 * server hears that the application wants the body (100 Continue). */
static gboolean
sink_of_nothing (AsgirefMessage *message,
                 gpointer        data)
{
  g_assert_null (message);
  return TRUE;
}

static void
count_drained (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_try_receive_finding_nothing_asks_for_the_body (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GError) error = NULL;
  guint drained = 0;

  g_assert_true (g_main_context_acquire (NULL));
  _asgiref_channel_set_sink (channel, sink_of_nothing, count_drained, &drained);
  _asgiref_channel_watch_receive (channel);
  g_assert_null (asgiref_channel_try_receive (channel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_assert_cmpuint (drained, ==, 1);
  g_main_context_release (NULL);
}

/* After the end, try_send() says which end. */
static void
test_try_send_after_the_end (void)
{
  g_autoptr(AsgirefChannel) closed = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) ended = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) cancelled = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefMessage) first = start (FALSE);
  g_autoptr(GError) error = NULL;

  asgiref_channel_close (closed);
  g_assert_false (asgiref_channel_try_send (closed, first, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  _asgiref_channel_end_output (ended);
  g_assert_false (asgiref_channel_try_send (ended, first, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED);
  g_clear_error (&error);

  _asgiref_channel_cancel (cancelled);
  g_assert_false (asgiref_channel_try_send (cancelled, first, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_close (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GAsyncResult) received = NULL;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  put (channel, asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT));
  test_channel_send (channel, start (FALSE), NULL, test_store_result, &sent);
  asgiref_channel_close (channel);
  g_assert_true (asgiref_channel_is_closed (channel));
  asgiref_channel_close (channel);

  test_wait_for_result (&sent);
  g_assert_false (asgiref_channel_send_finish (channel, sent, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  /* What was put before is still received, then the end. */
  message = receive (channel);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
  asgiref_channel_receive_async (channel, NULL, test_store_result, &received);
  test_wait_for_result (&received);
  g_assert_null (asgiref_channel_receive_finish (channel, received, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  g_clear_pointer (&message, asgiref_message_unref);
  message = asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT);
  g_assert_false (asgiref_channel_put_input (channel, message, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

static void
test_cancel_receive (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  asgiref_channel_receive_async (channel, cancellable, test_store_result, &result);
  g_cancellable_cancel (cancellable);
  g_assert_null (result);  /* never from inside the cancellation */
  test_wait_for_result (&result);
  g_assert_null (asgiref_channel_receive_finish (channel, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The message the cancelled receive did not get is not lost. */
  put (channel, asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT));
  message = receive (channel);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
}

static void
test_received_message_survives_cancellation (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  /* The message leaves the queue at once; cancelling before the callback
   * runs must not drop it. */
  put (channel, asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT));
  asgiref_channel_receive_async (channel, cancellable, test_store_result, &result);
  g_cancellable_cancel (cancellable);
  test_wait_for_result (&result);
  message = asgiref_channel_receive_finish (channel, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
}

#define FEED_COUNT 2000

static gpointer
feed_thread (gpointer data)
{
  AsgirefChannel *channel = data;

  for (int i = 0; i < FEED_COUNT; i++)
    {
      g_autofree char *text = g_strdup_printf ("%d", i);

      put (channel, asgiref_message_new_websocket_receive (NULL, text));
    }
  return NULL;
}

static void
test_fed_from_another_thread (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_WEBSOCKET);
  GThread *thread = g_thread_new ("feed", feed_thread, channel);

  for (int i = 0; i < FEED_COUNT; i++)
    {
      g_autoptr(AsgirefMessage) message = receive (channel);
      g_autofree char *expected = g_strdup_printf ("%d", i);

      g_assert_cmpstr (asgiref_message_get_text (message), ==, expected);
    }
  g_thread_join (thread);
}

/* A bare input (the server's empty http.request, its http.disconnect) is
 * made only for a receive, but comes in order: after what was put before
 * it, before what is put after it, to a receive waiting for it, and
 * before the end of a closed channel. */
static void
test_bare_inputs_come_in_order (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) waiting = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) closed = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "http.request", "http.request", "http.disconnect",
                             "http.request", "http.request", "http.disconnect", "http.request" };

  put (channel, asgiref_message_new_http_request (NULL, TRUE));
  _asgiref_channel_put_bare_input (channel, ASGIREF_MESSAGE_HTTP_REQUEST);
  _asgiref_channel_put_bare_input (channel, ASGIREF_MESSAGE_HTTP_DISCONNECT);
  g_assert_true (_asgiref_channel_has_input (channel));
  put (channel, asgiref_message_new_http_request (NULL, FALSE));
  /* More than the channel keeps unmade. */
  _asgiref_channel_put_bare_input (channel, ASGIREF_MESSAGE_HTTP_REQUEST);
  _asgiref_channel_put_bare_input (channel, ASGIREF_MESSAGE_HTTP_DISCONNECT);
  _asgiref_channel_put_bare_input (channel, ASGIREF_MESSAGE_HTTP_REQUEST);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(AsgirefMessage) message = receive (channel);

      g_assert_cmpstr (asgiref_message_get_type_name (message), ==, expected[i]);
    }
  g_assert_false (_asgiref_channel_has_input (channel));

  asgiref_channel_receive_async (waiting, NULL, test_store_result, &result);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (result);
  _asgiref_channel_put_bare_input (waiting, ASGIREF_MESSAGE_HTTP_DISCONNECT);
  test_wait_for_result (&result);
  {
    g_autoptr(AsgirefMessage) message = asgiref_channel_receive_finish (waiting, result, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
  }

  _asgiref_channel_put_bare_input (closed, ASGIREF_MESSAGE_HTTP_DISCONNECT);
  asgiref_channel_close (closed);
  {
    g_autoptr(AsgirefMessage) message = receive (closed);

    g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
  }
  g_clear_object (&result);
  asgiref_channel_receive_async (closed, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_null (asgiref_channel_receive_finish (closed, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* What a receive's callback saw when it ran. */
typedef struct
{
  AsgirefChannel *channel;
  GMainContext *context;      /* the thread-default one */
  AsgirefContext *current;
  GThread *thread;
  gboolean returned;          /* receive_async() had returned */
  gboolean in_call;           /* set around receive_async() */
  gint done;
} Seen;

static void
on_seen (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Seen *seen = data;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_assert_true (g_async_result_get_user_data (result) == seen);
  g_assert_true (g_async_result_is_tagged (result, asgiref_channel_receive_async));
  seen->returned = !seen->in_call;
  seen->context = g_main_context_ref_thread_default ();
  seen->current = asgiref_context_ref (asgiref_context_get_current ());
  seen->thread = g_thread_self ();
  g_atomic_int_set (&seen->done, TRUE);
}

static void
seen_clear (Seen *seen)
{
  g_clear_pointer (&seen->context, g_main_context_unref);
  g_clear_pointer (&seen->current, asgiref_context_unref);
}

/* A receive that finds its message waiting completes at once, yet its
 * callback runs only from the main loop, never from within the call. */
static void
test_completion_never_within_the_call (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  Seen seen = { 0 };

  put (channel, asgiref_message_new_http_request (NULL, FALSE));
  seen.in_call = TRUE;
  asgiref_channel_receive_async (channel, NULL, on_seen, &seen);
  seen.in_call = FALSE;
  g_assert_false (g_atomic_int_get (&seen.done));
  test_iterate_until ("the receive", &seen.done);
  g_assert_true (seen.returned);
  seen_clear (&seen);
}

/* On a thread of its own, with a private main context and an
 * AsgirefContext entered, a receive is started; another thread puts the
 * message. The callback runs on the receiving thread, with its context
 * thread-default, in the AsgirefContext that was current at the start. */
static gpointer
receive_on_own_context (gpointer data)
{
  Seen *seen = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(AsgirefContext) started_in = asgiref_context_capture ();

  g_main_context_push_thread_default (context);
  asgiref_context_enter (started_in);
  asgiref_channel_receive_async (seen->channel, NULL, on_seen, seen);
  asgiref_context_leave (started_in);

  test_iterate_until ("the receive", &seen->done);
  g_assert_true (seen->thread == g_thread_self ());
  g_assert_true (seen->context == context);
  g_assert_true (seen->current == started_in);
  g_main_context_pop_thread_default (context);
  seen_clear (seen);
  return NULL;
}

static void
test_callback_runs_where_the_operation_started (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
  Seen seen = { 0 };
  GThread *thread;

  seen.channel = channel;
  thread = g_thread_new ("receiver", receive_on_own_context, &seen);
  /* Whenever the receive is waiting, or not yet: the message goes to it
   * either way. */
  put (channel, asgiref_message_new_http_request (NULL, FALSE));
  g_thread_join (thread);
}

/* Many short-lived main contexts, one after the other (a new one often
 * where the last one was): each gets its operations completed. */
static void
test_operations_on_short_lived_contexts (void)
{
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
      GMainContext *context = g_main_context_new ();
      Seen seen = { 0 };

      g_main_context_push_thread_default (context);
      put (channel, asgiref_message_new_http_request (NULL, FALSE));
      asgiref_channel_receive_async (channel, NULL, on_seen, &seen);
      test_iterate_until ("the receive", &seen.done);
      g_assert_true (seen.context == context);
      g_main_context_pop_thread_default (context);
      seen_clear (&seen);
      g_main_context_unref (context);
    }
}

/* }}} */

/* {{{ HTTP order */

static void
test_http_full_response (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start (TRUE));
  assert_sends (channel, body ("a", TRUE));
  assert_sends (channel, body ("b", FALSE));
  assert_sends (channel, trailers (TRUE));
  assert_sends (channel, trailers (FALSE));
  assert_refused (channel, body ("c", FALSE), "after the final");
}

static void
test_http_body_before_start (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_refused (channel, body ("a", FALSE), "before “http.response.start”");
}

static void
test_http_second_start (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start (FALSE));
  assert_refused (channel, start (FALSE), "twice");
}

static void
test_http_after_final_body (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start (FALSE));
  assert_sends (channel, body ("a", FALSE));
  assert_refused (channel, body ("b", TRUE), "after the final");
  assert_refused (channel, start (FALSE), "twice");
}

static void
test_http_trailers_not_announced (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start (FALSE));
  assert_sends (channel, body ("a", FALSE));
  assert_refused (channel, trailers (FALSE), "did not announce trailers");
}

static void
test_http_trailers_before_final_body (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_refused (channel, trailers (FALSE), "before “http.response.start”");
  assert_sends (channel, start (TRUE));
  assert_sends (channel, body ("a", TRUE));
  assert_refused (channel, trailers (FALSE), "before the final");
}

static void
test_http_after_final_trailers (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start (TRUE));
  assert_sends (channel, body ("a", FALSE));
  assert_sends (channel, trailers (FALSE));
  assert_refused (channel, trailers (FALSE), "after the final");
}

static void
test_http_input_message (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_refused (channel, asgiref_message_new_http_request (NULL, FALSE), "in a “http” scope");
  assert_refused (channel, ws_text ("x"), "in a “http” scope");
}

/* }}} */

/* {{{ HTTP framing */

/* An http.response.start of @status, with a content-length of @length
 * unless that is NULL. */
static AsgirefMessage *
start_framed (int         status,
              const char *length)
{
  const char *names[] = { "content-length", NULL };
  const char *values[] = { length, NULL };
  g_autoptr(AsgirefHeaders) headers = NULL;
  g_autoptr(GError) error = NULL;

  if (length == NULL)
    return asgiref_message_new_http_response_start (status, NULL, FALSE);

  headers = asgiref_headers_new (names, values, &error);
  g_assert_no_error (error);
  return asgiref_message_new_http_response_start (status, headers, FALSE);
}

static void
test_http_informational_start_then_final_start (void)
{
  static const int statuses[] = { 100, 101, 103, 199 };

  for (gsize i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);
      g_autofree char *words = g_strdup_printf ("status %d of “http.response.start” is informational",
                                                statuses[i]);

      assert_refused (channel, start_framed (statuses[i], NULL), words);
      /* The refused start did not count: a final one still can come. */
      assert_sends (channel, start_framed (200, NULL));
      assert_sends (channel, body ("a", FALSE));
    }
}

static void
test_http_body_longer_than_content_length (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start_framed (200, "5"));
  assert_refused (channel, body ("123456", FALSE), "than its content-length (5 bytes)");
  assert_refused (channel, body ("123456", TRUE), "than its content-length (5 bytes)");
  /* Nothing of the refused ones counted. */
  assert_sends (channel, body ("12345", FALSE));
}

static void
test_http_chunks_longer_than_content_length (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start_framed (200, "5"));
  assert_sends (channel, body ("123", TRUE));
  assert_refused (channel, body ("456", TRUE), "than its content-length (5 bytes)");
  assert_refused (channel, body ("456", FALSE), "than its content-length (5 bytes)");
  assert_sends (channel, body ("45", FALSE));
}

static void
test_http_body_shorter_than_content_length (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (channel, start_framed (200, "5"));
  assert_sends (channel, body ("12", TRUE));
  assert_refused (channel, body ("3", FALSE), "ends after 3 of the 5 bytes");
  assert_refused (channel, body ("", FALSE), "ends after 2 of the 5 bytes");
  /* The refused ones neither counted nor ended the body: the rest may come. */
  assert_sends (channel, body ("3", TRUE));
  assert_sends (channel, body ("45", FALSE));
  assert_refused (channel, body ("", FALSE), "after the final");
}

static void
test_http_body_of_exactly_content_length (void)
{
  g_autoptr(AsgirefChannel) whole = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) chunks = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) empty = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) leading_zeros = channel_for (ASGIREF_SCOPE_HTTP);

  assert_sends (whole, start_framed (200, "5"));
  assert_sends (whole, body ("12345", FALSE));

  /* Empty messages on the way, the last one too. */
  assert_sends (chunks, start_framed (200, "5"));
  assert_sends (chunks, body ("", TRUE));
  assert_sends (chunks, body ("12", TRUE));
  assert_sends (chunks, body ("345", TRUE));
  assert_sends (chunks, body ("", FALSE));

  assert_sends (empty, start_framed (200, "0"));
  assert_sends (empty, body ("", FALSE));

  /* A length is its digits' value. */
  assert_sends (leading_zeros, start_framed (200, "007"));
  assert_refused (leading_zeros, body ("123456", FALSE), "ends after 6 of the 7 bytes");
  assert_sends (leading_zeros, body ("1234567", FALSE));
}

static void
test_http_body_without_content_length_is_not_counted (void)
{
  const char *names[] = { "transfer-encoding", NULL };
  const char *values[] = { "chunked", NULL };
  g_autoptr(AsgirefChannel) unframed = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefChannel) chunked = channel_for (ASGIREF_SCOPE_HTTP);
  g_autoptr(AsgirefHeaders) headers = NULL;
  g_autoptr(GError) error = NULL;

  assert_sends (unframed, start_framed (200, NULL));
  assert_sends (unframed, body ("any", TRUE));
  assert_sends (unframed, body ("", TRUE));
  assert_sends (unframed, body ("length", FALSE));

  headers = asgiref_headers_new (names, values, &error);
  g_assert_no_error (error);
  assert_sends (chunked, asgiref_message_new_http_response_start (200, headers, FALSE));
  assert_sends (chunked, body ("", FALSE));
}

/* }}} */

/* {{{ WebSocket order */

static void
test_websocket_conversation (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_WEBSOCKET);

  assert_sends (channel, asgiref_message_new_websocket_accept ("chat", NULL));
  assert_sends (channel, ws_text ("hello"));
  assert_sends (channel, ws_text ("again"));
  assert_sends (channel, asgiref_message_new_websocket_close (1000, NULL));
}

static void
test_websocket_send_before_accept (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_WEBSOCKET);

  assert_refused (channel, ws_text ("early"), "before “websocket.accept”");
}

static void
test_websocket_second_accept (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_WEBSOCKET);

  assert_sends (channel, asgiref_message_new_websocket_accept (NULL, NULL));
  assert_refused (channel, asgiref_message_new_websocket_accept (NULL, NULL),
                  "after “websocket.accept”");
}

static void
test_websocket_after_close (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_WEBSOCKET);

  /* A close before accepting denies the connection. */
  assert_sends (channel, asgiref_message_new_websocket_close (1000, NULL));
  assert_refused (channel, asgiref_message_new_websocket_accept (NULL, NULL), "closed");
  assert_refused (channel, ws_text ("late"), "closed");
  assert_refused (channel, asgiref_message_new_websocket_close (1000, NULL), "closed");
}

static void
test_websocket_input_message (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_WEBSOCKET);

  assert_refused (channel, asgiref_message_new_websocket_receive (NULL, "x"),
                  "in a “websocket” scope");
  assert_refused (channel, start (FALSE), "in a “websocket” scope");
}

/* }}} */

/* {{{ Lifespan order */

static void
test_lifespan_conversation (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_LIFESPAN);
  g_autoptr(AsgirefMessage) startup = NULL;
  g_autoptr(AsgirefMessage) shutdown = NULL;

  put (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP));
  startup = receive (channel);
  assert_sends (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE));
  put (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN));
  shutdown = receive (channel);
  assert_sends (channel, asgiref_message_new_lifespan_shutdown_failed ("disk full"));
}

static void
test_lifespan_answer_before_question (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_LIFESPAN);

  /* Put is not enough: the application has to have received it. */
  put (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP));
  assert_refused (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE), "has not received");
  assert_refused (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE), "has not received");
}

static void
test_lifespan_second_answer (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_LIFESPAN);
  g_autoptr(AsgirefMessage) startup = NULL;

  put (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP));
  startup = receive (channel);
  assert_sends (channel, asgiref_message_new_lifespan_startup_failed ("no database"));
  assert_refused (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE), "already answered");
}

static void
test_lifespan_input_message (void)
{
  g_autoptr(AsgirefChannel) channel = channel_for (ASGIREF_SCOPE_LIFESPAN);

  assert_refused (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP), "in a “lifespan” scope");
}

static void
test_no_scope_checks_validity_only (void)
{
  /* As the communicator's own channels are made. */
  g_autoptr(AsgirefChannel) channel = g_object_new (ASGIREF_TYPE_CHANNEL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (asgiref_channel_get_scope (channel));
  assert_sends (channel, body ("a", FALSE));
  assert_sends (channel, body ("b", FALSE));

  test_channel_send (channel, asgiref_message_new_http_response_start (42, NULL, FALSE),
                     NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_false (asgiref_channel_send_finish (channel, result, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Channel/keeps-a-reference-to-its-scope", test_keeps_its_scope);
  g_test_add_func ("/Asgiref/Channel/receive-gets-inputs-in-order", test_receive_in_order);
  g_test_add_func ("/Asgiref/Channel/receive-waits-for-input", test_receive_waits_for_input);
  g_test_add_func ("/Asgiref/Channel/put-input-rejects-invalid-message", test_put_rejects_invalid);
  g_test_add_func ("/Asgiref/Channel/send-rejects-invalid-message", test_send_rejects_invalid);
  g_test_add_func ("/Asgiref/Channel/send-completes-when-taken", test_send_completes_when_taken);
  g_test_add_func ("/Asgiref/Channel/try-send-goes-to-a-waiting-take", test_try_send_to_a_waiting_take);
  g_test_add_func ("/Asgiref/Channel/try-send-goes-to-the-server-when-it-is-free",
                   test_try_send_to_the_server);
  g_test_add_func ("/Asgiref/Channel/try-send-after-the-end", test_try_send_after_the_end);
  g_test_add_func ("/Asgiref/Channel/try-receive-takes-what-is-there", test_try_receive);
  g_test_add_func ("/Asgiref/Channel/try-receive-finding-nothing-asks-for-the-body",
                   test_try_receive_finding_nothing_asks_for_the_body);
  g_test_add_func ("/Asgiref/Channel/close-fails-sends-after-draining-receives", test_close);
  g_test_add_func ("/Asgiref/Channel/cancelled-receive-loses-nothing", test_cancel_receive);
  g_test_add_func ("/Asgiref/Channel/received-message-survives-a-late-cancellation", test_received_message_survives_cancellation);
  g_test_add_func ("/Asgiref/Channel/fed-from-another-thread-in-order", test_fed_from_another_thread);
  g_test_add_func ("/Asgiref/Channel/bare-inputs-come-in-order", test_bare_inputs_come_in_order);
  g_test_add_func ("/Asgiref/Channel/completion-never-runs-within-the-call",
                   test_completion_never_within_the_call);
  g_test_add_func ("/Asgiref/Channel/callback-runs-on-the-context-and-in-the-context-it-started-in",
                   test_callback_runs_where_the_operation_started);
  g_test_add_func ("/Asgiref/Channel/operations-on-short-lived-main-contexts-complete",
                   test_operations_on_short_lived_contexts);

  g_test_add_func ("/Asgiref/Channel/http/full-response-with-trailers", test_http_full_response);
  g_test_add_func ("/Asgiref/Channel/http/body-before-start", test_http_body_before_start);
  g_test_add_func ("/Asgiref/Channel/http/second-start", test_http_second_start);
  g_test_add_func ("/Asgiref/Channel/http/nothing-after-final-body", test_http_after_final_body);
  g_test_add_func ("/Asgiref/Channel/http/trailers-not-announced", test_http_trailers_not_announced);
  g_test_add_func ("/Asgiref/Channel/http/trailers-before-final-body", test_http_trailers_before_final_body);
  g_test_add_func ("/Asgiref/Channel/http/nothing-after-final-trailers", test_http_after_final_trailers);
  g_test_add_func ("/Asgiref/Channel/http/no-messages-of-other-directions-or-protocols", test_http_input_message);
  g_test_add_func ("/Asgiref/Channel/http/informational-start-is-refused-and-a-final-one-then-accepted",
                   test_http_informational_start_then_final_start);
  g_test_add_func ("/Asgiref/Channel/http/body-longer-than-content-length-is-refused",
                   test_http_body_longer_than_content_length);
  g_test_add_func ("/Asgiref/Channel/http/chunks-adding-up-to-more-than-content-length-are-refused",
                   test_http_chunks_longer_than_content_length);
  g_test_add_func ("/Asgiref/Channel/http/final-body-short-of-content-length-is-refused-and-the-rest-then-accepted",
                   test_http_body_shorter_than_content_length);
  g_test_add_func ("/Asgiref/Channel/http/body-of-exactly-content-length-is-accepted",
                   test_http_body_of_exactly_content_length);
  g_test_add_func ("/Asgiref/Channel/http/body-without-content-length-is-not-counted",
                   test_http_body_without_content_length_is_not_counted);

  g_test_add_func ("/Asgiref/Channel/websocket/conversation", test_websocket_conversation);
  g_test_add_func ("/Asgiref/Channel/websocket/send-before-accept", test_websocket_send_before_accept);
  g_test_add_func ("/Asgiref/Channel/websocket/second-accept", test_websocket_second_accept);
  g_test_add_func ("/Asgiref/Channel/websocket/nothing-after-close", test_websocket_after_close);
  g_test_add_func ("/Asgiref/Channel/websocket/no-messages-of-other-directions-or-protocols", test_websocket_input_message);

  g_test_add_func ("/Asgiref/Channel/lifespan/conversation", test_lifespan_conversation);
  g_test_add_func ("/Asgiref/Channel/lifespan/answer-before-question", test_lifespan_answer_before_question);
  g_test_add_func ("/Asgiref/Channel/lifespan/second-answer", test_lifespan_second_answer);
  g_test_add_func ("/Asgiref/Channel/lifespan/no-messages-of-other-directions", test_lifespan_input_message);
  g_test_add_func ("/Asgiref/Channel/channel-without-scope-checks-validity-only", test_no_scope_checks_validity_only);

  return g_test_run ();
}
