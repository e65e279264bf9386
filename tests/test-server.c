/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefServer: HTTP requests served by ASGI applications. Client and
 * server share the test's main context, so every step happens in an
 * order the test chooses: the client is libsoup's session (or a raw
 * socket, where a test needs to misbehave as a client), driven by
 * test_iterate_until().
 */
#include <string.h>

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <libsoup/soup.h>
#include <unistd.h>

#include "asgiref-channel-private.h"
#include "test-server-util.h"

/* {{{ Applications */

typedef struct
{
  AppLog *log;
  AsgirefChannel *channel;
  GTask *task;
} Instance;

static Instance *
instance_new (AppLog         *log,
              AsgirefChannel *channel,
              GTask          *task)
{
  Instance *instance = g_new0 (Instance, 1);

  instance->log = log;
  instance->channel = g_object_ref (channel);
  instance->task = g_object_ref (task);
  return instance;
}

static void
instance_free (Instance *instance)
{
  g_object_unref (instance->channel);
  g_clear_object (&instance->task);
  g_free (instance);
}

/* echo_app: reads the whole body and answers with it (or with "hello"
 * for none); remembers the scope. With a Local, answers with the value the
 * instance found there instead, and sets its own. */
static void echo_receive (Instance *instance);

static void
echo_received (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Instance *instance = data;
  AppLog *log = instance->log;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GError) error = NULL;

  message = asgiref_channel_receive_finish (instance->channel, result, &error);
  if (message == NULL)
    {
      g_task_return_error (instance->task, g_steal_pointer (&error));
      instance_free (instance);
      return;
    }

  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.request");
  chunk = asgiref_message_get_body (message);
  g_string_append_len (log->body, g_bytes_get_data (chunk, NULL), (gssize) g_bytes_get_size (chunk));
  log->requests++;
  if (asgiref_message_get_more_body (message))
    {
      log->requests_before_end++;
      if (log->request_chunks != NULL)
        g_ptr_array_add (log->request_chunks, g_bytes_ref (chunk));
      if (g_bytes_get_size (chunk) > 0)
        g_atomic_int_set (&log->got_first_chunk, 1);
      echo_receive (instance);
      return;
    }

  if (log->local != NULL)
    send_response (instance->channel, 200, log->seen_before ? log->seen_before : "(unset)",
                   g_steal_pointer (&instance->task));
  else
    send_response (instance->channel, 200, log->body->len > 0 ? log->body->str : "hello",
                   g_steal_pointer (&instance->task));
  instance_free (instance);
}

static void
echo_receive (Instance *instance)
{
  asgiref_channel_receive_async (instance->channel, NULL, echo_received, instance);
}

static void
echo_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  AppLog *log = data;

  g_clear_pointer (&log->scope, asgiref_scope_unref);
  log->scope = asgiref_scope_ref (scope);
  if (log->local != NULL)
    {
      const char *before = asgiref_local_get_pointer (log->local, "request");

      g_clear_pointer (&log->seen_before, g_free);
      log->seen_before = g_strdup (before);
      asgiref_local_set_pointer (log->local, "request",
                                 g_strdup (asgiref_scope_get_path (scope)), g_free);
    }
  echo_receive (instance_new (log, channel, task));
}

static void
fail_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "the app broke");
}

static void
silent_app (AsgirefScope   *scope,
            AsgirefChannel *channel,
            GTask          *task,
            gpointer        data)
{
  g_task_return_boolean (task, TRUE);
}

/* stream_app: three chunks; the second only once the test calls
 * stream_app_continue(), after the client read the first. */
static void
stream_sent_first (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  Instance *instance = data;

  g_assert_true (asgiref_channel_send_finish (instance->channel, result, NULL));
  instance->log->paused_channel = g_object_ref (instance->channel);
  instance->log->paused_task = g_steal_pointer (&instance->task);
  instance_free (instance);
}

static void
stream_app_continue (AppLog *log)
{
  g_autoptr(GBytes) two = g_bytes_new_static ("two,", 4);
  g_autoptr(GBytes) three = g_bytes_new_static ("three", 5);
  g_autoptr(AsgirefMessage) second = asgiref_message_new_http_response_body (two, TRUE);
  g_autoptr(AsgirefMessage) last = asgiref_message_new_http_response_body (three, FALSE);
  g_autoptr(AsgirefChannel) channel = g_steal_pointer (&log->paused_channel);

  asgiref_channel_send_async (channel, second, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, last, NULL, test_complete_with_send_result,
                              g_steal_pointer (&log->paused_task));
}

static void
stream_app (AsgirefScope   *scope,
            AsgirefChannel *channel,
            GTask          *task,
            gpointer        data)
{
  const char *names[] = { "content-type", NULL };
  const char *values[] = { "text/plain", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, &error);
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(GBytes) one = g_bytes_new_static ("one,", 4);
  g_autoptr(AsgirefMessage) first = asgiref_message_new_http_response_body (one, TRUE);

  g_assert_no_error (error);
  start = asgiref_message_new_http_response_start (200, headers, FALSE);
  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, first, NULL, stream_sent_first,
                              instance_new (data, channel, task));
}

/* try_send_app: streams "one,two,three" sending what it can with
 * try_send(), and the rest, which would wait, with send_async(). */
static void
try_send_note (AppLog         *log,
               AsgirefChannel *channel,
               AsgirefMessage *message)
{
  g_autoptr(GError) error = NULL;

  if (asgiref_channel_try_send (channel, message, &error))
    g_ptr_array_add (log->try_sends, g_strdup ("taken"));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      g_ptr_array_add (log->try_sends, g_strdup ("would block"));
      asgiref_channel_send_async (channel, message, NULL, NULL, NULL);
    }
  else
    g_ptr_array_add (log->try_sends, g_strdup (error->message));
}

static void
try_send_app (AsgirefScope   *scope,
              AsgirefChannel *channel,
              GTask          *task,
              gpointer        data)
{
  AppLog *log = data;
  g_autoptr(GBytes) one = g_bytes_new_static ("one,", 4);
  g_autoptr(GBytes) two = g_bytes_new_static ("two,", 4);
  g_autoptr(GBytes) three = g_bytes_new_static ("three", 5);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  g_autoptr(AsgirefMessage) first = asgiref_message_new_http_response_body (one, TRUE);
  g_autoptr(AsgirefMessage) second = asgiref_message_new_http_response_body (two, TRUE);
  g_autoptr(AsgirefMessage) last = asgiref_message_new_http_response_body (three, FALSE);

  log->try_sends = g_ptr_array_new_with_free_func (g_free);
  try_send_note (log, channel, start);
  try_send_note (log, channel, first);
  /* The server is writing the first chunk: the next would wait. */
  try_send_note (log, channel, second);
  asgiref_channel_send_async (channel, last, NULL, test_complete_with_send_result,
                              g_object_ref (task));
}

/* try_receive_app: takes the request's message with try_receive(), and
 * answers with what it got. */
static void
try_receive_app (AsgirefScope   *scope,
                 AsgirefChannel *channel,
                 GTask          *task,
                 gpointer        data)
{
  g_autoptr(AsgirefMessage) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;

  request = asgiref_channel_try_receive (channel, &error);
  if (request == NULL)
    answer = g_strdup (error->message);
  else
    answer = g_strdup_printf ("%s, more_body %d", asgiref_message_get_type_name (request),
                              asgiref_message_get_more_body (request));
  send_response (channel, 200, answer, g_object_ref (task));
}

/* sized_app: a body with its content-length, in two chunks. */
static void
sized_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  const char *names[] = { "content-length", "x-answer", NULL };
  const char *values[] = { "11", "42", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, &error);
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(GBytes) one = g_bytes_new_static ("hello ", 6);
  g_autoptr(GBytes) two = g_bytes_new_static ("world", 5);
  g_autoptr(AsgirefMessage) first = asgiref_message_new_http_response_body (one, TRUE);
  g_autoptr(AsgirefMessage) last = asgiref_message_new_http_response_body (two, FALSE);

  g_assert_no_error (error);
  start = asgiref_message_new_http_response_start (201, headers, FALSE);
  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, first, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, last, NULL, test_complete_with_send_result, g_object_ref (task));
}

/* late_fail_app: answers in full, then fails. */
static void
late_fail_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GTask) task = data;

  g_assert_true (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, NULL));
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "cleanup broke");
}

static void
late_fail_app (AsgirefScope   *scope,
               AsgirefChannel *channel,
               GTask          *task,
               gpointer        data)
{
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  g_autoptr(GBytes) text = g_bytes_new_static ("all of it", 9);
  g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (text, FALSE);

  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, body, NULL, late_fail_sent, g_object_ref (task));
}

/* half_app: starts a chunked response, sends one chunk and returns. */
static void
half_sent (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(GTask) task = data;

  g_assert_true (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, NULL));
  g_task_return_boolean (task, TRUE);
}

static void
half_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  g_autoptr(GBytes) part = g_bytes_new_static ("part", 4);
  g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (part, TRUE);

  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, body, NULL, half_sent, g_object_ref (task));
}

/* parts_app: a response without framing headers, its body sent as the
 * messages log->parts lists, more_body on all but the last. */
static void
parts_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  AppLog *log = data;
  gsize n = g_strv_length ((char **) log->parts);

  g_assert_cmpuint (n, >, 0);
  test_channel_send (channel, asgiref_message_new_http_response_start (200, NULL, FALSE),
                     NULL, NULL, NULL);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GBytes) part = g_bytes_new (log->parts[i], strlen (log->parts[i]));
      gboolean last = i + 1 == n;

      test_channel_send (channel, asgiref_message_new_http_response_body (part, !last), NULL,
                         last ? test_complete_with_send_result : NULL,
                         last ? g_object_ref (task) : NULL);
    }
}

/* bytes_app: a response without framing headers, its body sent as the
 * GBytes in log->response_chunks, more_body on all but the last. */
static void
bytes_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  AppLog *log = data;
  guint n = log->response_chunks->len;

  g_assert_cmpuint (n, >, 0);
  test_channel_send (channel, asgiref_message_new_http_response_start (200, NULL, FALSE),
                     NULL, NULL, NULL);
  for (guint i = 0; i < n; i++)
    {
      gboolean last = i + 1 == n;

      test_channel_send (channel,
                         asgiref_message_new_http_response_body (log->response_chunks->pdata[i], !last),
                         NULL,
                         last ? test_complete_with_send_result : NULL,
                         last ? g_object_ref (task) : NULL);
    }
}

/* start_only_app: starts a response (with a header) and returns without
 * sending any of its body. */
static void
start_only_app (AsgirefScope   *scope,
                AsgirefChannel *channel,
                GTask          *task,
                gpointer        data)
{
  const char *names[] = { "x-fine", NULL };
  const char *values[] = { "1", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, &error);

  g_assert_no_error (error);
  test_channel_send (channel, asgiref_message_new_http_response_start (200, headers, FALSE),
                     NULL, test_complete_with_send_result, g_object_ref (task));
}

/* bad_header_app: a header HTTP/1.1 cannot carry (a space in its name),
 * after one it can. Headers are checked when they are made, so no message
 * can carry them: asgiref_headers_new() refuses them, and so does the
 * a{sv} form a binding's application sends, which is what the instance
 * fails with. */
static void
bad_header_app (AsgirefScope   *scope,
                AsgirefChannel *channel,
                GTask          *task,
                gpointer        data)
{
  const char *names[] = { "x-fine", "bad name", NULL };
  const char *values[] = { "1", "2", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, &error);
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(GVariant) variant = NULL;
  GVariantBuilder list;
  GVariantBuilder dict;

  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  g_assert_null (headers);
  g_clear_error (&error);

  g_variant_builder_init (&list, G_VARIANT_TYPE ("a(ayay)"));
  for (gsize i = 0; names[i] != NULL; i++)
    g_variant_builder_add (&list, "(@ay@ay)",
                           g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, names[i], strlen (names[i]), 1),
                           g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, values[i], strlen (values[i]), 1));
  g_variant_builder_init (&dict, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&dict, "{sv}", "type", g_variant_new_string ("http.response.start"));
  g_variant_builder_add (&dict, "{sv}", "status", g_variant_new_int32 (200));
  g_variant_builder_add (&dict, "{sv}", "headers", g_variant_builder_end (&list));
  variant = g_variant_ref_sink (g_variant_builder_end (&dict));

  start = asgiref_message_new_from_variant (variant, &error);
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  g_assert_null (start);
  g_task_return_error (task, g_steal_pointer (&error));
}

/* careless_app: sends without callbacks and reports success whatever
 * became of its sends, as a quick application does. At /status its start
 * is invalid (status 42); at /twice it completes its response, then sends
 * a second body the protocol does not allow. */
static void
careless_app (AsgirefScope   *scope,
              AsgirefChannel *channel,
              GTask          *task,
              gpointer        data)
{
  g_autoptr(GBytes) text = g_bytes_new_static ("done", 4);
  gboolean twice = g_str_equal (asgiref_scope_get_path (scope), "/twice");
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (twice ? 200 : 42, NULL, FALSE);
  g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (text, FALSE);

  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, body, NULL, NULL, NULL);
  if (twice)
    asgiref_channel_send_async (channel, body, NULL, NULL, NULL);
  g_task_return_boolean (task, TRUE);
}

/* long_poll_app: reads the request, then waits for whatever comes next. */
static void
long_poll_next (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Instance *instance = data;
  g_autoptr(AsgirefMessage) message = NULL;
  GError *error = NULL;

  /* Fails when the server cancels the instance. */
  message = asgiref_channel_receive_finish (instance->channel, result, &error);
  if (message == NULL)
    {
      g_task_return_error (instance->task, error);
      instance_free (instance);
      return;
    }
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_HTTP_REQUEST)
    {
      g_atomic_int_set (&instance->log->got_request, 1);
      asgiref_channel_receive_async (instance->channel, NULL, long_poll_next, instance);
      return;
    }

  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
  g_atomic_int_set (&instance->log->got_disconnect, 1);
  g_task_return_boolean (instance->task, TRUE);
  instance_free (instance);
}

static void
long_poll_app (AsgirefScope   *scope,
               AsgirefChannel *channel,
               GTask          *task,
               gpointer        data)
{
  Instance *instance = instance_new (data, channel, task);

  asgiref_channel_receive_async (channel, NULL, long_poll_next, instance);
}

/* answer_then_receive_app: answers the request, then receives once
 * more, once its body was sent; it expects http.disconnect. */
static void
after_answer_received (GObject      *source,
                       GAsyncResult *result,
                       gpointer      data)
{
  Instance *instance = data;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = asgiref_channel_receive_finish (instance->channel, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
  g_atomic_int_set (&instance->log->got_disconnect, 1);
  g_task_return_boolean (instance->task, TRUE);
  instance_free (instance);
}

static void
answer_sent (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Instance *instance = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_channel_send_finish (instance->channel, result, &error));
  g_assert_no_error (error);
  asgiref_channel_receive_async (instance->channel, NULL, after_answer_received, instance);
}

static void
request_to_answer (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  Instance *instance = data;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) body = NULL;
  g_autoptr(GBytes) text = g_bytes_new_static ("answered", 8);

  message = asgiref_channel_receive_finish (instance->channel, result, NULL);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.request");
  start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  body = asgiref_message_new_http_response_body (text, FALSE);
  asgiref_channel_send_async (instance->channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (instance->channel, body, NULL, answer_sent, instance);
}

static void
answer_then_receive_app (AsgirefScope   *scope,
                         AsgirefChannel *channel,
                         GTask          *task,
                         gpointer        data)
{
  Instance *instance = instance_new (data, channel, task);

  asgiref_channel_receive_async (channel, NULL, request_to_answer, instance);
}

/* lifespan_app: answers lifespan.startup with log->startup_answer and
 * lifespan.shutdown with its .complete; http requests as echo_app. */
static void
lifespan_next (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Instance *instance = data;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(AsgirefMessage) answer = NULL;
  const char *type;

  message = asgiref_channel_receive_finish (instance->channel, result, NULL);
  if (message == NULL)
    {
      g_task_return_boolean (instance->task, TRUE);
      instance_free (instance);
      return;
    }

  type = asgiref_message_get_type_name (message);
  g_ptr_array_add (instance->log->lifespan, g_strdup (type));
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_LIFESPAN_STARTUP)
    answer = instance->log->startup_answer == ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED
             ? asgiref_message_new_lifespan_startup_failed ("no database")
             : asgiref_message_new (instance->log->startup_answer);
  else
    answer = asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE);
  asgiref_channel_send_async (instance->channel, answer, NULL, NULL, NULL);

  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN)
    {
      g_task_return_boolean (instance->task, TRUE);
      instance_free (instance);
      return;
    }
  asgiref_channel_receive_async (instance->channel, NULL, lifespan_next, instance);
}

static void
lifespan_app (AsgirefScope   *scope,
              AsgirefChannel *channel,
              GTask          *task,
              gpointer        data)
{
  if (asgiref_scope_get_kind (scope) == ASGIREF_SCOPE_LIFESPAN)
    asgiref_channel_receive_async (channel, NULL, lifespan_next, instance_new (data, channel, task));
  else
    echo_app (scope, channel, task, data);
}

/* framing_app: a careless application (as careless_app) whose response
 * the path chooses from framed_responses: a status, at most one header,
 * and a body in messages, more_body on all but the last (and on the last
 * too for an unfinished one). */
typedef struct
{
  const char *path;
  int status;
  const char *name;          /* the one header, or NULL */
  const char *value;
  const char *parts[3];      /* NULL-terminated */
  gboolean unfinished;       /* returns without a final body message */
} FramedResponse;

#define SIXTY_BYTES "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"

static const FramedResponse framed_responses[] = {
  { "/short", 200, "content-length", "60", { "short", NULL } },
  { "/long", 200, "content-length", "5", { SIXTY_BYTES, NULL } },
  { "/gzip", 200, "transfer-encoding", "gzip", { "hello", NULL } },
  { "/abc", 200, "content-length", "abc", { "hello", NULL } },
  { "/continue", 100, NULL, NULL, { "hello", NULL } },
  { "/switching", 101, NULL, NULL, { "hello", NULL } },
  { "/early-hints", 103, NULL, NULL, { "hello", NULL } },
  { "/cut-short", 200, "content-length", "10", { "abcd", NULL }, TRUE },
  { "/ends-short", 200, "content-length", "10", { "abcd", "", NULL } },
  { "/sized", 200, "content-length", "9", { "fine,", "good", NULL } },
  { "/fine", 200, NULL, NULL, { "fine", NULL } },
};

static void
framing_app (AsgirefScope   *scope,
             AsgirefChannel *channel,
             GTask          *task,
             gpointer        data)
{
  const char *path = asgiref_scope_get_path (scope);
  const FramedResponse *response = NULL;
  g_autoptr(AsgirefHeaders) headers = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (framed_responses) && response == NULL; i++)
    if (g_str_equal (framed_responses[i].path, path))
      response = &framed_responses[i];
  g_assert_nonnull (response);

  if (response->name != NULL)
    {
      const char *names[] = { response->name, NULL };
      const char *values[] = { response->value, NULL };
      g_autoptr(GError) error = NULL;

      headers = asgiref_headers_new (names, values, &error);
      g_assert_no_error (error);
    }

  test_channel_send (channel, asgiref_message_new_http_response_start (response->status, headers, FALSE),
                     NULL, NULL, NULL);
  for (gsize i = 0; response->parts[i] != NULL; i++)
    {
      const char *part = response->parts[i];
      g_autoptr(GBytes) bytes = g_bytes_new_static (part, strlen (part));
      gboolean more = response->parts[i + 1] != NULL || response->unfinished;

      test_channel_send (channel, asgiref_message_new_http_response_body (bytes, more), NULL, NULL, NULL);
    }
  g_task_return_boolean (task, TRUE);
}

/* }}} */


static void
test_scope_of_a_request (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GBytes) raw_path = NULL;
  g_autoptr(GBytes) query = NULL;
  AsgirefHeaders *headers;
  const char *host = NULL;
  const char *client_host = NULL;
  gboolean found = FALSE;
  int port, client_port;
  Fixture f;

  fixture_init (&f, echo_app);
  address = url (&f, "/caf%C3%A9/a%20b?x=1&y=%20");
  msg = soup_message_new ("GET", address);
  soup_message_headers_append (soup_message_get_request_headers (msg), "X-Test", "Value 1");
  body = fetch (&f, msg);

  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  assert_body (body, "hello");

  g_assert_true (asgiref_scope_validate (f.log.scope, NULL));
  g_assert_cmpstr (asgiref_scope_get_type_name (f.log.scope), ==, "http");
  g_assert_cmpstr (asgiref_scope_get_method (f.log.scope), ==, "GET");
  g_assert_cmpstr (asgiref_scope_get_http_version (f.log.scope), ==, "1.1");
  g_assert_cmpstr (asgiref_scope_get_scheme (f.log.scope), ==, "http");
  g_assert_cmpstr (asgiref_scope_get_path (f.log.scope), ==, "/café/a b");
  raw_path = asgiref_scope_get_raw_path (f.log.scope);
  assert_body (raw_path, "/caf%C3%A9/a%20b");
  query = asgiref_scope_get_query_string (f.log.scope);
  assert_body (query, "x=1&y=%20");

  headers = asgiref_scope_get_headers (f.log.scope);
  /* Names come lower-case, as ASGI wants them. */
  for (guint i = 0; i < asgiref_headers_get_length (headers); i++)
    if (g_str_equal (asgiref_headers_get_name (headers, i), "x-test"))
      {
        g_assert_cmpstr (asgiref_headers_get_value (headers, i), ==, "Value 1");
        found = TRUE;
      }
  g_assert_true (found);
  g_assert_cmpstr (asgiref_headers_lookup (headers, "x-test"), ==, "Value 1");

  g_assert_true (asgiref_scope_get_server (f.log.scope, &host, &port));
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpint (port, ==, (int) f.port);
  g_assert_true (asgiref_scope_get_client (f.log.scope, &client_host, &client_port));
  g_assert_cmpstr (client_host, ==, "127.0.0.1");
  g_assert_cmpint (client_port, >, 0);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* The first chunk of a request body reaches the application before the
 * client has sent the second. */
static void
test_request_body_is_streamed (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  GInputStream *pipe_in;
  GOutputStream *pipe_out;
  int fds[2];
  Fixture f;

  fixture_init (&f, echo_app);
  g_assert_no_errno (pipe (fds));
  pipe_in = g_unix_input_stream_new (fds[0], TRUE);
  pipe_out = g_unix_output_stream_new (fds[1], TRUE);

  address = url (&f, "/upload");
  msg = soup_message_new ("POST", address);
  /* A length of -1: the body goes chunked, as the stream produces it. */
  soup_message_set_request_body (msg, "text/plain", pipe_in, -1);
  soup_session_send_and_read_async (f.session, msg, G_PRIORITY_DEFAULT, NULL, test_store_result, &result);

  g_output_stream_write_all (pipe_out, "first part,", 11, NULL, NULL, &error);
  g_assert_no_error (error);
  test_iterate_until ("the first chunk to reach the application", &f.log.got_first_chunk);
  g_assert_cmpstr (f.log.body->str, ==, "first part,");

  g_output_stream_write_all (pipe_out, "second part", 11, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (pipe_out, NULL, NULL);
  test_wait_for_result (&result);
  body = soup_session_send_and_read_finish (f.session, result, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  assert_body (body, "first part,second part");
  g_assert_cmpuint (f.log.requests_before_end, >=, 2);

  g_object_unref (pipe_in);
  g_object_unref (pipe_out);
  fixture_stop (&f);
  fixture_clear (&f);
}

/* Each http.request carries the very GBytes libsoup read the chunk into:
 * the body is not copied on its way to the application. */
static void
test_request_body_is_not_copied (void)
{
  static const char * const chunks[] = {
    "6\r\nfirst,\r\n",
    "7\r\nsecond,\r\n",
    "5\r\nthird\r\n0\r\n\r\n",
  };
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *response = NULL;
  SoupWatch watch;
  Fixture f;

  fixture_init (&f, echo_app);
  f.log.request_chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  soup_watch_init (&watch);
  soup_watch_attach (&watch, &f);

  /* One chunk at a time, each read by the application before the next is
   * sent, so that libsoup hands out (at least) three. */
  connection = raw_connect (&f);
  raw_send (connection,
            "POST /upload HTTP/1.1\r\nHost: localhost\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  for (gsize i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_atomic_int_set (&f.log.got_first_chunk, 0);
      raw_send (connection, chunks[i]);
      if (i + 1 < G_N_ELEMENTS (chunks))
        test_iterate_until ("a chunk to reach the application", &f.log.got_first_chunk);
    }
  response = raw_read_to_end (connection);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 200 OK\r\n"));
  g_assert_true (g_str_has_suffix (response, "\r\n\r\nfirst,second,third"));
  g_assert_cmpstr (f.log.body->str, ==, "first,second,third");

  /* Both sides hold their GBytes, so no address was reused in between. */
  g_assert_cmpuint (watch.got_chunks->len, >=, G_N_ELEMENTS (chunks));
  g_assert_cmpuint (f.log.request_chunks->len, ==, watch.got_chunks->len);
  for (guint i = 0; i < watch.got_chunks->len; i++)
    {
      GBytes *read = watch.got_chunks->pdata[i];
      GBytes *received = f.log.request_chunks->pdata[i];

      g_assert_cmpuint (g_bytes_get_size (received), ==, g_bytes_get_size (read));
      g_assert_cmphex ((guintptr) g_bytes_get_data (received, NULL), ==,
                       (guintptr) g_bytes_get_data (read, NULL));
    }

  fixture_stop (&f);
  fixture_clear (&f);
  soup_watch_clear (&watch);
}

/* libsoup writes the response body from the application's own GBytes,
 * whether it comes whole (with its length) or streamed (chunked): every
 * byte written was read from the application's memory. */
static void
test_response_body_is_not_copied (void)
{
  struct { gsize sizes[2]; } cases[] = {
    { { 64 * 1024, 0 } },
    { { 40 * 1024, 24 * 1024 } },
  };
  g_autofree char *address = NULL;
  SoupWatch watch;
  Fixture f;

  fixture_init (&f, bytes_app);
  soup_watch_init (&watch);
  soup_watch_attach (&watch, &f);
  address = url (&f, "/bytes");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", address);
      g_autoptr(GByteArray) expected = g_byte_array_new ();
      g_autoptr(GBytes) body = NULL;
      GPtrArray *chunks;
      goffset start = 0;
      guint c = 0;

      g_clear_pointer (&f.log.response_chunks, g_ptr_array_unref);
      f.log.response_chunks = chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      for (guint k = 0; k < G_N_ELEMENTS (cases[i].sizes) && cases[i].sizes[k] > 0; k++)
        {
          GBytes *chunk = pattern_bytes (cases[i].sizes[k], k);

          g_byte_array_append (expected, g_bytes_get_data (chunk, NULL), (guint) g_bytes_get_size (chunk));
          g_ptr_array_add (chunks, chunk);
        }
      watch.at_headers = NULL;
      g_array_set_size (watch.written, 0);

      body = fetch (&f, msg);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
      g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)), ==,
                       chunks->len == 1 ? SOUP_ENCODING_CONTENT_LENGTH : SOUP_ENCODING_CHUNKED);
      g_assert_cmpuint (g_bytes_get_size (body), ==, expected->len);
      g_assert_true (memcmp (g_bytes_get_data (body, NULL), expected->data, expected->len) == 0);

      /* The body libsoup was given holds the application's first GBytes. */
      g_assert_cmphex ((guintptr) watch.at_headers, ==,
                       (guintptr) g_bytes_get_data (chunks->pdata[0], NULL));

      /* Each write was from the application's GBytes, at its place there. */
      g_assert_cmpuint (watch.written_size, ==, expected->len);
      for (guint w = 0; w < watch.written->len; w++)
        {
          WrittenSpan *span = &g_array_index (watch.written, WrittenSpan, w);
          GBytes *chunk;

          while (span->offset >= start + (goffset) g_bytes_get_size (chunks->pdata[c]))
            start += (goffset) g_bytes_get_size (chunks->pdata[c++]);
          chunk = chunks->pdata[c];
          g_assert_cmpuint (span->offset + span->size, <=, start + g_bytes_get_size (chunk));
          g_assert_cmphex ((guintptr) span->data, ==,
                           (guintptr) ((const guint8 *) g_bytes_get_data (chunk, NULL) + (span->offset - start)));
        }
      g_assert_cmpuint (c, ==, chunks->len - 1);
    }

  fixture_stop (&f);
  fixture_clear (&f);
  soup_watch_clear (&watch);
}

/* The client reads the first chunk while the application has not yet
 * sent the second: nothing waits for the whole body. */
static void
test_response_is_streamed (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  GString *got = g_string_new (NULL);
  Fixture f;

  fixture_init (&f, stream_app);
  address = url (&f, "/stream");
  msg = soup_message_new ("GET", address);
  soup_session_send_async (f.session, msg, G_PRIORITY_DEFAULT, NULL, test_store_result, &sent);
  test_wait_for_result (&sent);
  stream = soup_session_send_finish (f.session, sent, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)), ==,
                   SOUP_ENCODING_CHUNKED);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Content-Type"),
                   ==, "text/plain");

  while (got->len < 4)
    g_assert_cmpint (read_some (stream, got), >, 0);
  g_assert_cmpstr (got->str, ==, "one,");
  /* The application is still waiting to send the rest. */
  g_assert_nonnull (f.log.paused_task);

  stream_app_continue (&f.log);
  while (read_some (stream, got) > 0)
    ;
  g_assert_cmpstr (got->str, ==, "one,two,three");
  g_string_free (got, TRUE);

  fixture_stop (&f);
  fixture_clear (&f);
}

static void
test_try_send_takes_what_needs_no_wait (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, try_send_app);
  address = url (&f, "/");
  msg = soup_message_new ("GET", address);
  body = fetch (&f, msg);

  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  assert_body (body, "one,two,three");
  g_assert_cmpuint (f.log.try_sends->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (f.log.try_sends, 0), ==, "taken");
  g_assert_cmpstr (g_ptr_array_index (f.log.try_sends, 1), ==, "taken");
  g_assert_cmpstr (g_ptr_array_index (f.log.try_sends, 2), ==, "would block");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A request without a body has its only http.request there at once. */
static void
test_try_receive_gets_a_request_without_body (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, try_receive_app);
  address = url (&f, "/");
  msg = soup_message_new ("GET", address);
  body = fetch (&f, msg);

  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  assert_body (body, "http.request, more_body 0");

  fixture_stop (&f);
  fixture_clear (&f);
}

static void
test_response_with_content_length (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  SoupMessageHeaders *headers;
  Fixture f;

  fixture_init (&f, sized_app);
  address = url (&f, "/sized");
  msg = soup_message_new ("GET", address);
  body = fetch (&f, msg);

  headers = soup_message_get_response_headers (msg);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 201);
  g_assert_cmpint (soup_message_headers_get_encoding (headers), ==, SOUP_ENCODING_CONTENT_LENGTH);
  g_assert_cmpint (soup_message_headers_get_content_length (headers), ==, 11);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Answer"), ==, "42");
  assert_body (body, "hello world");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Sends @request on a raw connection and reads until the body (what
 * follows the blank line) ends with @end; gives back the head (status line
 * and headers, each ending in CRLF) and the body. */
static void
raw_exchange (Fixture     *f,
              const char  *request,
              const char  *end,
              char       **head,
              char       **body)
{
  g_autoptr(GSocketConnection) connection = raw_connect (f);
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GString *got = g_string_new (NULL);
  const char *blank;

  raw_send (connection, request);
  while ((blank = strstr (got->str, "\r\n\r\n")) == NULL ||
         !g_str_has_suffix (blank + 4, end))
    g_assert_cmpint (read_some (input, got), >, 0);

  *head = g_strndup (got->str, blank + 2 - got->str);
  *body = g_strdup (blank + 4);
  g_string_free (got, TRUE);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

/* A body that came whole (its first message has no more_body) goes with
 * its length, the empty one too, when the application gave no framing. */
static void
test_whole_response_has_content_length (void)
{
  static const char * const one_part[] = { "all at once", NULL };
  static const char * const empty[] = { "", NULL };
  struct { const char * const *parts; const char *length; const char *body; } cases[] = {
    { one_part, "Content-Length: 11\r\n", "all at once" },
    { empty, "Content-Length: 0\r\n", "" },
  };
  Fixture f;

  fixture_init (&f, parts_app);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *head = NULL;
      g_autofree char *body = NULL;

      f.log.parts = cases[i].parts;
      raw_exchange (&f, "GET /whole HTTP/1.1\r\nHost: localhost\r\n\r\n", cases[i].body,
                    &head, &body);
      g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 OK\r\n"));
      g_assert_nonnull (strstr (head, cases[i].length));
      g_assert_null (strstr (head, "Transfer-Encoding"));
      g_assert_cmpstr (body, ==, cases[i].body);
    }

  /* And so libsoup's client sees it. */
  {
    g_autofree char *address = url (&f, "/whole");
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", address);
    g_autoptr(GBytes) body = NULL;
    SoupMessageHeaders *headers;

    f.log.parts = one_part;
    body = fetch (&f, msg);
    headers = soup_message_get_response_headers (msg);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_cmpint (soup_message_headers_get_encoding (headers), ==, SOUP_ENCODING_CONTENT_LENGTH);
    g_assert_cmpint (soup_message_headers_get_content_length (headers), ==, 11);
    assert_body (body, "all at once");
  }

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A body whose first message says more follows is chunked, as it comes,
 * whether its last message carries bytes or none. */
static void
test_streamed_response_is_chunked (void)
{
  static const char * const last_with_bytes[] = { "one,", "two", NULL };
  static const char * const last_empty[] = { "one,", "", NULL };
  struct { const char * const *parts; const char *body; } cases[] = {
    { last_with_bytes, "4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n" },
    { last_empty, "4\r\none,\r\n0\r\n\r\n" },
  };
  Fixture f;

  fixture_init (&f, parts_app);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *head = NULL;
      g_autofree char *body = NULL;

      f.log.parts = cases[i].parts;
      raw_exchange (&f, "GET /streamed HTTP/1.1\r\nHost: localhost\r\n\r\n", "0\r\n\r\n",
                    &head, &body);
      g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 OK\r\n"));
      g_assert_nonnull (strstr (head, "\r\nTransfer-Encoding: chunked\r\n"));
      g_assert_null (strstr (head, "Content-Length"));
      g_assert_cmpstr (body, ==, cases[i].body);
    }

  fixture_stop (&f);
  fixture_clear (&f);
}

/* The start of a response waits for its first body message: one that
 * never comes leaves nothing sent, so the request gets a 500, without
 * the started response's headers. */
static void
test_response_started_without_body_gets_500 (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, start_only_app);
  address = url (&f, "/start-only");
  msg = soup_message_new ("GET", address);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING,
                         "*GET /start-only: the application returned without completing its response*");
  body = fetch (&f, msg);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (soup_message_get_status (msg), ==, 500);
  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (msg), "X-Fine"));
  assert_body (body, "Internal Server Error\n");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A failing application and one that returns without answering each get
 * a 500 and a warning, and the server serves the next request. */
static void
test_misbehaving_application_gets_500 (void)
{
  struct { AsgirefApplicationFunc func; const char *log; } cases[] = {
    { fail_app, "*ASGI application error on GET /broken: the app broke*" },
    { silent_app, "*ASGI application error on GET /broken: the application returned without starting a response*" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *address = NULL;
      Fixture f;

      fixture_init (&f, cases[i].func);
      address = url (&f, "/broken");
      for (int round = 0; round < 2; round++)
        {
          g_autoptr(SoupMessage) msg = soup_message_new ("GET", address);
          g_autoptr(GBytes) body = NULL;

          g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, cases[i].log);
          body = fetch (&f, msg);
          g_test_assert_expected_messages ();
          g_assert_cmpuint (soup_message_get_status (msg), ==, 500);
          assert_body (body, "Internal Server Error\n");
        }
      fixture_stop (&f);
      fixture_clear (&f);
    }
}

/* A header that cannot go out cannot be put in a message (headers are
 * checked when they are made): the application fails, and the request
 * gets a 500 without any of its headers. */
static void
test_header_http_cannot_carry_gets_500 (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, bad_header_app);
  address = url (&f, "/header");
  msg = soup_message_new ("GET", address);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING,
                         "*GET /header: In the ASGI message*Header 1 has a name with a byte that HTTP does not allow*");
  body = fetch (&f, msg);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (soup_message_get_status (msg), ==, 500);
  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (msg), "X-Fine"));
  assert_body (body, "Internal Server Error\n");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A message the channel refused reaches the log with its reason, even
 * when the application never looked at its send's error; a response that
 * had not started becomes a 500. */
static void
test_ignored_refusal_is_logged_and_gets_500 (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, careless_app);
  address = url (&f, "/status");
  msg = soup_message_new ("GET", address);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING,
                         "*GET /status: The status 42 of the ASGI message “http.response.start” is outside 100–599*");
  body = fetch (&f, msg);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (soup_message_get_status (msg), ==, 500);
  assert_body (body, "Internal Server Error\n");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A refused message after a complete response: the response stands, and
 * the log still says what went wrong. */
static void
test_ignored_refusal_after_the_response_is_logged (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, careless_app);
  address = url (&f, "/twice");
  msg = soup_message_new ("GET", address);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING,
                         "*GET /twice: “http.response.body” cannot be sent after the final “http.response.body”*");
  body = fetch (&f, msg);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  assert_body (body, "done");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* An application that fails after completing its response is logged,
 * and the response it completed stands. */
static void
test_failure_after_the_response_is_only_logged (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  GInputStream *input;
  GString *got = g_string_new (NULL);
  Fixture f;

  fixture_init (&f, late_fail_app);
  connection = raw_connect (&f);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*GET /late: cleanup broke*");
  raw_send (connection, "GET /late HTTP/1.1\r\nHost: localhost\r\n\r\n");

  /* The whole body, on a connection that stays open. It came in one
   * message, so it goes with its length rather than chunked. */
  while (!g_str_has_suffix (got->str, "\r\n\r\nall of it"))
    g_assert_cmpint (read_some (input, got), >, 0);
  g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (got->str, "\r\nContent-Length: 9\r\n"));
  g_assert_null (strstr (got->str, "Transfer-Encoding"));

  g_string_free (got, TRUE);

  /* The stop waits for the exchange to end, which it does once the
   * failure was seen. */
  fixture_stop (&f);
  g_test_assert_expected_messages ();
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  fixture_clear (&f);
}

/* An application that stops in the middle of its response has its
 * connection closed: the client cannot take the part for the whole. */
static void
test_unfinished_response_closes_the_connection (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *response = NULL;
  Fixture f;

  fixture_init (&f, half_app);
  connection = raw_connect (&f);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING,
                         "*GET /half: the application returned without completing its response*");
  raw_send (connection, "GET /half HTTP/1.1\r\nHost: localhost\r\n\r\n");
  response = raw_read_to_end (connection);
  g_test_assert_expected_messages ();

  /* The chunk that was sent, then the end of the connection without the
   * last, empty chunk that would have said the body was complete. */
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 200 OK\r\n"));
  g_assert_true (g_str_has_suffix (response, "\r\n\r\n4\r\npart\r\n"));

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Asks framing_app for @path on a raw connection that stays open: the
 * response it framed wrongly becomes a 500, with nothing of it (and no
 * interim response) before, and only the 500's own length; the log says
 * why (@log); and the next request on the connection is answered in
 * step, as it would not be had a wrong length gone out. */
static void
assert_misframed_response_gets_500 (const char *path,
                                    const char *log)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;
  GString *pending = g_string_new (NULL);
  GInputStream *input;
  Fixture f;

  fixture_init (&f, framing_app);
  connection = raw_connect (&f);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, log);
  raw_send (connection, request);
  raw_read_response (input, pending, &head, &body);
  g_test_assert_expected_messages ();
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 500 Internal Server Error\r\n"));
  g_assert_nonnull (strstr (head, "\r\ncontent-length: 22\r\n"));
  g_assert_null (strstr (head, "\r\nconnection: close\r\n"));
  g_assert_cmpstr (body, ==, "Internal Server Error\n");

  g_clear_pointer (&head, g_free);
  g_clear_pointer (&body, g_free);
  raw_send (connection, "GET /fine HTTP/1.1\r\nHost: localhost\r\n\r\n");
  raw_read_response (input, pending, &head, &body);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (head, "\r\ncontent-length: 4\r\n"));
  g_assert_cmpstr (body, ==, "fine");
  g_assert_cmpstr (pending->str, ==, "");

  g_string_free (pending, TRUE);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  fixture_stop (&f);
  fixture_clear (&f);
}

/* Its only body message is 5 of the 60 bytes its content-length says. */
static void
test_body_short_of_its_content_length_gets_500 (void)
{
  assert_misframed_response_gets_500 ("/short",
                                      "*GET /short: The body of the response ends after 5 of the 60 bytes "
                                      "of its content-length*");
}

/* Its only body message is 60 bytes, its content-length 5. */
static void
test_body_beyond_its_content_length_gets_500 (void)
{
  assert_misframed_response_gets_500 ("/long",
                                      "*GET /long: The body of the response is longer*than its "
                                      "content-length (5 bytes)*");
}

static void
test_transfer_encoding_other_than_chunked_gets_500 (void)
{
  assert_misframed_response_gets_500 ("/gzip",
                                      "*GET /gzip: The transfer-encoding “gzip” of the ASGI message "
                                      "“http.response.start” is not “chunked”*");
}

static void
test_content_length_that_is_not_a_number_gets_500 (void)
{
  assert_misframed_response_gets_500 ("/abc",
                                      "*GET /abc: The content-length “abc” of the ASGI message "
                                      "“http.response.start” is not a number of bytes*");
}

/* An interim status is no answer: none goes out, and the request gets a
 * 500 as its only response. */
static void
test_informational_status_gets_500 (void)
{
  struct { const char *path; int status; } cases[] = {
    { "/switching", 101 },
    { "/early-hints", 103 },
    { "/continue", 100 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *log = g_strdup_printf ("*GET %s: The status %d of “http.response.start” is "
                                              "informational (1xx)*", cases[i].path, cases[i].status);

      assert_misframed_response_gets_500 (cases[i].path, log);
    }
}

/* Reads framing_app's response to @path on a raw connection, to its end,
 * expecting @log: gives back the head (names lower-cased) and the body. */
static void
raw_exchange_to_end (const char  *path,
                     const char  *log,
                     char       **head,
                     char       **body)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
  g_autofree char *response = NULL;
  const char *blank;
  Fixture f;

  fixture_init (&f, framing_app);
  connection = raw_connect (&f);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, log);
  raw_send (connection, request);
  response = raw_read_to_end (connection);
  g_test_assert_expected_messages ();

  blank = strstr (response, "\r\n\r\n");
  g_assert_nonnull (blank);
  *head = g_ascii_strdown (response, blank + 2 - response);
  *body = g_strdup (blank + 4);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A response that declared 10 bytes, sent 4 with more to come and
 * returned: the 4 went out, and the connection is closed after them, so
 * that the client knows the body is incomplete. */
static void
test_streamed_body_cut_short_of_its_content_length_closes_the_connection (void)
{
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;

  raw_exchange_to_end ("/cut-short",
                       "*GET /cut-short: the application returned without completing its response*",
                       &head, &body);
  g_assert_true (g_str_has_prefix (head, "http/1.1 200 ok\r\n"));
  g_assert_nonnull (strstr (head, "\r\ncontent-length: 10\r\n"));
  g_assert_null (strstr (head, "\r\ntransfer-encoding:"));
  g_assert_cmpstr (body, ==, "abcd");
}

/* The same when its final body message is refused for ending short: the
 * log names that refusal. */
static void
test_streamed_body_ending_short_of_its_content_length_closes_the_connection (void)
{
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;

  raw_exchange_to_end ("/ends-short",
                       "*GET /ends-short: The body of the response ends after 4 of the 10 bytes "
                       "of its content-length*",
                       &head, &body);
  g_assert_true (g_str_has_prefix (head, "http/1.1 200 ok\r\n"));
  g_assert_nonnull (strstr (head, "\r\ncontent-length: 10\r\n"));
  g_assert_cmpstr (body, ==, "abcd");
}

/* A body streamed in two messages that add up to its content-length goes
 * with that length, once, and the connection goes on. */
static void
test_body_of_its_content_length_is_written_as_declared (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;
  GString *pending = g_string_new (NULL);
  GInputStream *input;
  Fixture f;

  fixture_init (&f, framing_app);
  connection = raw_connect (&f);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));

  for (int round = 0; round < 2; round++)
    {
      g_clear_pointer (&head, g_free);
      g_clear_pointer (&body, g_free);
      raw_send (connection, "GET /sized HTTP/1.1\r\nHost: localhost\r\n\r\n");
      /* One content-length, no transfer-encoding: raw_read_response()
       * checks both. */
      raw_read_response (input, pending, &head, &body);
      g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 OK\r\n"));
      g_assert_nonnull (strstr (head, "\r\ncontent-length: 9\r\n"));
      g_assert_cmpstr (body, ==, "fine,good");
      g_assert_cmpstr (pending->str, ==, "");
    }

  g_string_free (pending, TRUE);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  fixture_stop (&f);
  fixture_clear (&f);
}

/* A client that leaves while the application holds its request (a long
 * poll, with nothing being written) is noticed: http.disconnect. */
static void
test_client_leaving_is_a_disconnect (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  Fixture f;

  fixture_init (&f, long_poll_app);
  connection = raw_connect (&f);
  raw_send (connection, "GET /poll HTTP/1.1\r\nHost: localhost\r\n\r\n");

  test_iterate_until ("the request to reach the application", &f.log.got_request);
  g_assert_false (g_atomic_int_get (&f.log.got_disconnect));

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  test_iterate_until ("http.disconnect", &f.log.got_disconnect);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A receive after the response was sent gets http.disconnect, as the
 * specification has it. */
static void
test_receive_after_the_response_is_a_disconnect (void)
{
  g_autofree char *address = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  Fixture f;

  fixture_init (&f, answer_then_receive_app);
  address = url (&f, "/");
  msg = soup_message_new ("GET", address);
  body = fetch (&f, msg);
  assert_body (body, "answered");
  test_iterate_until ("http.disconnect", &f.log.got_disconnect);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Each instance runs in a copy of the server's context: what one request
 * sets, the next does not see. */
static void
test_requests_do_not_share_context (void)
{
  Fixture f;

  fixture_init (&f, echo_app);
  f.log.local = asgiref_local_new ();
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *address = url (&f, i == 0 ? "/first" : "/second");
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", address);
      g_autoptr(GBytes) body = fetch (&f, msg);

      assert_body (body, "(unset)");
    }
  g_assert_null (asgiref_local_get_pointer (f.log.local, "request"));

  fixture_stop (&f);
  fixture_clear (&f);
}

static void
test_request_body_too_large (void)
{
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, echo_app);
  asgiref_server_set_max_request_body_size (f.server, 8);
  g_assert_cmpuint (asgiref_server_get_max_request_body_size (f.server), ==, 8);
  address = url (&f, "/upload");

  /* Announced by Content-Length: refused before the application starts. */
  {
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", address);
    g_autoptr(GBytes) big = g_bytes_new_static ("0123456789", 10);
    g_autoptr(GBytes) body = NULL;

    soup_message_set_request_body_from_bytes (msg, "text/plain", big);
    body = fetch (&f, msg);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 413);
    g_assert_null (f.log.scope);
  }

  /* Chunked, so only counted as it arrives: the instance had started. */
  {
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", address);
    g_autoptr(GInputStream) big = g_memory_input_stream_new_from_data ("0123456789", 10, NULL);
    g_autoptr(GBytes) body = NULL;

    soup_message_set_request_body (msg, "text/plain", big, -1);
    body = fetch (&f, msg);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 413);
    g_assert_nonnull (f.log.scope);
  }

  /* Within the limit: served. */
  {
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", address);
    g_autoptr(GBytes) small = g_bytes_new_static ("01234567", 8);
    g_autoptr(GBytes) body = NULL;

    soup_message_set_request_body_from_bytes (msg, "text/plain", small);
    body = fetch (&f, msg);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    assert_body (body, "01234567");
  }

  fixture_stop (&f);
  fixture_clear (&f);
}

static void
test_lifespan (void)
{
  g_autoptr(GError) error = NULL;
  Fixture f;

  fixture_init (&f, lifespan_app);
  g_assert_true (fixture_start (&f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f.log.lifespan->len, ==, 1);
  g_assert_cmpstr (f.log.lifespan->pdata[0], ==, "lifespan.startup");

  {
    g_autofree char *address = url (&f, "/");
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", address);

    g_bytes_unref (fetch (&f, msg));
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }

  fixture_stop (&f);
  g_assert_cmpuint (f.log.lifespan->len, ==, 2);
  g_assert_cmpstr (f.log.lifespan->pdata[1], ==, "lifespan.shutdown");
  fixture_clear (&f);
}

static void
test_lifespan_startup_failed (void)
{
  g_autoptr(GError) error = NULL;
  Fixture f;

  fixture_init (&f, lifespan_app);
  f.log.startup_answer = ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED;
  g_assert_false (fixture_start (&f, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "no database"));

  fixture_stop (&f);
  fixture_clear (&f);
}

/* An application without lifespan support (it fails its lifespan scope)
 * starts all the same. */
static void
test_lifespan_unsupported (void)
{
  g_autoptr(GError) error = NULL;
  Fixture f;

  fixture_init (&f, fail_app);
  g_assert_true (fixture_start (&f, &error));
  g_assert_no_error (error);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A stop waits for the running request, answers new ones with 503, and
 * a cancelled stop cancels what still runs. */
static void
test_stop_waits_then_cancels (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GAsyncResult) stopped = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Fixture f;

  fixture_init (&f, long_poll_app);
  connection = raw_connect (&f);
  raw_send (connection, "GET /poll HTTP/1.1\r\nHost: localhost\r\n\r\n");
  test_iterate_until ("the request to reach the application", &f.log.got_request);

  asgiref_server_stop_async (f.server, cancellable, test_store_result, &stopped);
  {
    g_autofree char *address = url (&f, "/late");
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", address);

    g_bytes_unref (fetch (&f, msg));
    g_assert_cmpuint (soup_message_get_status (msg), ==, 503);
  }
  g_assert_null (stopped);

  g_cancellable_cancel (cancellable);
  test_wait_for_result (&stopped);
  g_assert_false (asgiref_server_stop_finish (f.server, stopped, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  g_clear_object (&stopped);
  fixture_clear (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Server/scope-of-a-request", test_scope_of_a_request);
  g_test_add_func ("/Asgiref/Server/request-body-is-streamed", test_request_body_is_streamed);
  g_test_add_func ("/Asgiref/Server/request-body-is-not-copied", test_request_body_is_not_copied);
  g_test_add_func ("/Asgiref/Server/response-is-streamed", test_response_is_streamed);
  g_test_add_func ("/Asgiref/Server/response-body-is-not-copied", test_response_body_is_not_copied);
  g_test_add_func ("/Asgiref/Server/response-with-content-length", test_response_with_content_length);
  g_test_add_func ("/Asgiref/Server/try-send-takes-what-needs-no-wait",
                   test_try_send_takes_what_needs_no_wait);
  g_test_add_func ("/Asgiref/Server/try-receive-gets-a-request-without-body",
                   test_try_receive_gets_a_request_without_body);
  g_test_add_func ("/Asgiref/Server/whole-response-has-content-length",
                   test_whole_response_has_content_length);
  g_test_add_func ("/Asgiref/Server/streamed-response-is-chunked", test_streamed_response_is_chunked);
  g_test_add_func ("/Asgiref/Server/misbehaving-application-gets-500", test_misbehaving_application_gets_500);
  g_test_add_func ("/Asgiref/Server/header-http-cannot-carry-gets-500",
                   test_header_http_cannot_carry_gets_500);
  g_test_add_func ("/Asgiref/Server/ignored-refusal-is-logged-and-gets-500",
                   test_ignored_refusal_is_logged_and_gets_500);
  g_test_add_func ("/Asgiref/Server/ignored-refusal-after-the-response-is-logged",
                   test_ignored_refusal_after_the_response_is_logged);
  g_test_add_func ("/Asgiref/Server/failure-after-the-response-is-only-logged",
                   test_failure_after_the_response_is_only_logged);
  g_test_add_func ("/Asgiref/Server/unfinished-response-closes-the-connection",
                   test_unfinished_response_closes_the_connection);
  g_test_add_func ("/Asgiref/Server/response-started-without-body-gets-500",
                   test_response_started_without_body_gets_500);
  g_test_add_func ("/Asgiref/Server/body-short-of-its-content-length-gets-500",
                   test_body_short_of_its_content_length_gets_500);
  g_test_add_func ("/Asgiref/Server/body-beyond-its-content-length-gets-500",
                   test_body_beyond_its_content_length_gets_500);
  g_test_add_func ("/Asgiref/Server/transfer-encoding-other-than-chunked-gets-500",
                   test_transfer_encoding_other_than_chunked_gets_500);
  g_test_add_func ("/Asgiref/Server/content-length-that-is-not-a-number-gets-500",
                   test_content_length_that_is_not_a_number_gets_500);
  g_test_add_func ("/Asgiref/Server/informational-status-gets-500", test_informational_status_gets_500);
  g_test_add_func ("/Asgiref/Server/streamed-body-cut-short-of-its-content-length-closes-the-connection",
                   test_streamed_body_cut_short_of_its_content_length_closes_the_connection);
  g_test_add_func ("/Asgiref/Server/streamed-body-ending-short-of-its-content-length-closes-the-connection",
                   test_streamed_body_ending_short_of_its_content_length_closes_the_connection);
  g_test_add_func ("/Asgiref/Server/body-of-its-content-length-is-written-as-declared",
                   test_body_of_its_content_length_is_written_as_declared);
  g_test_add_func ("/Asgiref/Server/client-leaving-is-a-disconnect", test_client_leaving_is_a_disconnect);
  g_test_add_func ("/Asgiref/Server/receive-after-the-response-is-a-disconnect",
                   test_receive_after_the_response_is_a_disconnect);
  g_test_add_func ("/Asgiref/Server/requests-do-not-share-context", test_requests_do_not_share_context);
  g_test_add_func ("/Asgiref/Server/request-body-too-large", test_request_body_too_large);
  g_test_add_func ("/Asgiref/Server/lifespan", test_lifespan);
  g_test_add_func ("/Asgiref/Server/lifespan-startup-failed", test_lifespan_startup_failed);
  g_test_add_func ("/Asgiref/Server/lifespan-unsupported", test_lifespan_unsupported);
  g_test_add_func ("/Asgiref/Server/stop-waits-then-cancels", test_stop_waits_then_cancels);

  return g_test_run ();
}
