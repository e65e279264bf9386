/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefCommunicator, after asgiref's own test_testing: an echo round
 * trip, timeouts when nothing is sent, receive_nothing both ways, an
 * application error surfacing through receive_output, wait() cancelling a
 * stuck instance, nothing lost when the instance ends, the instance's own
 * context, and the blocking twins from a worker and from main-loop code.
 */

#include <asgiref.h>

#include "test-util.h"

#define SHORT (50 * G_USEC_PER_SEC / 1000)      /* a wait that must expire */
#define LONG (TEST_GUARD_SECONDS * G_USEC_PER_SEC)  /* one that must not */

/* A new communicator running @app for a request to `/`. */
static AsgirefCommunicator *
communicator_new (AsgirefApplication *app)
{
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, NULL);

  return asgiref_communicator_new (app, scope);
}

/* Sends @message, which it takes over. */
static void
send_input (AsgirefCommunicator *comm,
            AsgirefMessage      *message)
{
  g_autoptr(AsgirefMessage) owned = message;
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_communicator_send_input (comm, owned, &error));
  g_assert_no_error (error);
}

static AsgirefMessage *
receive_output (AsgirefCommunicator *comm)
{
  g_autoptr(GError) error = NULL;
  AsgirefMessage *message = asgiref_communicator_receive_output (comm, LONG, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
assert_body (AsgirefMessage *message,
             const char     *text,
             gboolean        more_body)
{
  g_autoptr(GBytes) body = asgiref_message_get_body (message);

  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.body");
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), text, strlen (text));
  g_assert_cmpint (asgiref_message_get_more_body (message), ==, more_body);
}

/* {{{ Echo: a response whose body is the request's, chunk by chunk. */

static void echo_receive_next (AsgirefChannel *channel, GTask *task);

static void
echo_received (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(AsgirefMessage) request = NULL;
  g_autoptr(GBytes) body = NULL;
  gboolean more;
  GError *error = NULL;

  request = asgiref_channel_receive_finish (channel, result, &error);
  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_get_task_data (task) == NULL)
    {
      test_channel_send (channel, asgiref_message_new_http_response_start (200, NULL, FALSE),
                                  NULL, NULL, NULL);
      g_task_set_task_data (task, GINT_TO_POINTER (1), NULL);
    }

  body = asgiref_message_get_body (request);
  more = asgiref_message_get_more_body (request);
  if (more)
    {
      test_channel_send (channel, asgiref_message_new_http_response_body (body, TRUE),
                                  NULL, NULL, NULL);
      echo_receive_next (channel, task);
    }
  else
    test_channel_send (channel, asgiref_message_new_http_response_body (body, FALSE),
                                NULL, test_complete_with_send_result, g_object_ref (task));
}

static void
echo_receive_next (AsgirefChannel *channel,
                   GTask          *task)
{
  asgiref_channel_receive_async (channel, g_task_get_cancellable (task),
                                 echo_received, g_object_ref (task));
}

static void
echo_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        user_data)
{
  echo_receive_next (channel, task);
}

/* }}} */

static AsgirefMessage *
request (const char *text,
         gboolean    more_body)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return asgiref_message_new_http_request (bytes, more_body);
}

static void
test_echo_round_trip (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) first = NULL;
  g_autoptr(AsgirefMessage) last = NULL;
  g_autoptr(GError) error = NULL;

  send_input (comm, request ("hello ", TRUE));
  send_input (comm, request ("world", FALSE));

  start = receive_output (comm);
  g_assert_cmpstr (asgiref_message_get_type_name (start), ==, "http.response.start");
  g_assert_cmpint (asgiref_message_get_status (start), ==, 200);
  first = receive_output (comm);
  assert_body (first, "hello ", TRUE);
  last = receive_output (comm);
  assert_body (last, "world", FALSE);

  g_assert_true (asgiref_communicator_wait (comm, LONG, NULL, &error));
  g_assert_no_error (error);
}

static void
test_timeout_when_nothing_sent (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(GError) error = NULL;
  gint64 before = g_get_monotonic_time ();

  g_assert_null (asgiref_communicator_receive_output (comm, SHORT, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - before, >=, SHORT);
  g_clear_error (&error);

  /* As in asgiref, the timeout cancelled the instance, and a cancelled
   * instance counts as ended. */
  g_assert_true (asgiref_communicator_wait (comm, LONG, NULL, &error));
  g_assert_no_error (error);
}

/* {{{ An application that answers a request with a start and two body
 * chunks, then returns. */

static void
three_events_received (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(AsgirefMessage) request = NULL;
  g_autoptr(GBytes) content = g_bytes_new_static ("content", 7);
  GError *error = NULL;

  request = asgiref_channel_receive_finish (channel, result, &error);
  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  test_channel_send (channel, asgiref_message_new_http_response_start (200, NULL, FALSE),
                              NULL, NULL, NULL);
  test_channel_send (channel, asgiref_message_new_http_response_body (content, TRUE),
                              NULL, NULL, NULL);
  test_channel_send (channel, asgiref_message_new_http_response_body (NULL, FALSE),
                              NULL, test_complete_with_send_result, g_object_ref (task));
}

static void
three_events_app (AsgirefScope   *scope,
                  AsgirefChannel *channel,
                  GTask          *task,
                  gpointer        user_data)
{
  asgiref_channel_receive_async (channel, g_task_get_cancellable (task),
                                 three_events_received, g_object_ref (task));
}

/* }}} */

static void
assert_receive_nothing (AsgirefCommunicator *comm,
                        gboolean             expected)
{
  g_autoptr(GError) error = NULL;
  gint64 timeout = expected ? SHORT : LONG;

  g_assert_cmpint (asgiref_communicator_receive_nothing (comm, timeout, SHORT / 5, NULL, &error),
                   ==, expected);
  g_assert_no_error (error);
}

static void
test_receive_nothing (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (three_events_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(GError) error = NULL;

  assert_receive_nothing (comm, TRUE);
  send_input (comm, request ("", FALSE));

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(AsgirefMessage) message = NULL;

      /* Something is there (or comes), and stays for receive_output(). */
      assert_receive_nothing (comm, FALSE);
      message = receive_output (comm);
      g_assert_cmpstr (asgiref_message_get_type_name (message), ==,
                       i == 0 ? "http.response.start" : "http.response.body");
    }
  assert_receive_nothing (comm, TRUE);

  /* It returned: nothing more will ever come. */
  g_assert_null (asgiref_communicator_receive_output (comm, LONG, NULL, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED);
}

static void
test_nothing_lost_when_instance_ends (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (three_events_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) first = NULL;
  g_autoptr(AsgirefMessage) last = NULL;
  g_autoptr(GError) error = NULL;

  send_input (comm, request ("", FALSE));
  /* Let it finish before reading anything. */
  g_assert_true (asgiref_communicator_wait (comm, LONG, NULL, &error));
  g_assert_no_error (error);

  start = receive_output (comm);
  first = receive_output (comm);
  assert_body (first, "content", TRUE);
  last = receive_output (comm);
  assert_body (last, "", FALSE);
}

/* {{{ An application that fails once it got its request. */

static void
failing_received (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(AsgirefMessage) request = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, NULL);

  g_assert_nonnull (request);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "not for you");
}

static void
failing_app (AsgirefScope   *scope,
             AsgirefChannel *channel,
             GTask          *task,
             gpointer        user_data)
{
  asgiref_channel_receive_async (channel, NULL, failing_received, g_object_ref (task));
}

/* }}} */

static void
test_application_error_surfaces (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (failing_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(GError) error = NULL;

  send_input (comm, request ("", FALSE));
  g_assert_null (asgiref_communicator_receive_output (comm, LONG, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==, "not for you");
  g_clear_error (&error);

  g_assert_false (asgiref_communicator_receive_nothing (comm, SHORT, SHORT, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  g_assert_false (asgiref_communicator_wait (comm, LONG, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
}

/* {{{ An application stuck on something that is not the channel: it ends
 * only when cancelled. */

static void
stuck_cancelled (GCancellable *cancellable,
                 gpointer      user_data)
{
  GTask *task = user_data;

  g_task_return_error_if_cancelled (task);
}

static void
stuck_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        user_data)
{
  gint *ended = user_data;

  g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (stuck_cancelled),
                         g_object_ref (task), g_object_unref);
  g_atomic_int_inc (ended);
}

/* }}} */

static void
test_wait_cancels_stuck_instance (void)
{
  gint started = 0;
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (stuck_app, &started, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (started, ==, 1);
  g_assert_false (asgiref_communicator_wait (comm, SHORT, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  /* It ended: waiting again answers at once. */
  g_assert_true (asgiref_communicator_wait (comm, 0, NULL, &error));
  g_assert_no_error (error);
}

static void
cleanup_failed (GCancellable *cancellable,
                gpointer      user_data)
{
  g_task_return_new_error (G_TASK (user_data), G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "cleanup failed");
}

static void
failing_cleanup_app (AsgirefScope   *scope,
                     AsgirefChannel *channel,
                     GTask          *task,
                     gpointer        user_data)
{
  g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (cleanup_failed),
                         g_object_ref (task), g_object_unref);
}

static void
test_wait_reports_error_of_cancelled_instance (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (failing_cleanup_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(GError) error = NULL;

  /* Not CANCELLED, nor TIMED_OUT: what the instance itself said. */
  g_assert_false (asgiref_communicator_wait (comm, SHORT, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==, "cleanup failed");
}

static void
test_dropping_cancels_instance (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);
  AsgirefCommunicator *comm = communicator_new (app);
  GWeakRef weak;

  g_weak_ref_init (&weak, app);
  g_clear_object (&comm);
  /* The cancelled instance lets go of everything once its callbacks ran. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&app);
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
}

/* {{{ The instance's own context */

static AsgirefLocal *request_local;

static void
local_setting_app (AsgirefScope   *scope,
                   AsgirefChannel *channel,
                   GTask          *task,
                   gpointer        user_data)
{
  asgiref_local_set_pointer (request_local, "user", g_strdup ("alice"), g_free);
  g_task_return_boolean (task, TRUE);
}

/* }}} */

static void
test_instance_has_own_context (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (local_setting_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = NULL;
  g_autoptr(GError) error = NULL;

  request_local = asgiref_local_new ();
  asgiref_local_set_pointer (request_local, "user", g_strdup ("test"), g_free);
  comm = communicator_new (app);
  g_assert_true (asgiref_communicator_wait (comm, LONG, NULL, &error));

  /* Not in the test's context... */
  g_assert_cmpstr (asgiref_local_get_pointer (request_local, "user"), ==, "test");
  /* ...but in the instance's, which started as a copy of it. */
  asgiref_context_enter (asgiref_communicator_get_context (comm));
  g_assert_cmpstr (asgiref_local_get_pointer (request_local, "user"), ==, "alice");
  asgiref_context_leave (asgiref_communicator_get_context (comm));
  g_clear_object (&request_local);
}

/* {{{ Blocking twins elsewhere */

typedef struct
{
  TestLoop *loop;
  AsgirefCommunicator *comm;
  GThread *worker;
} TwinTest;

static void
worker_receives (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  TwinTest *test = task_data;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(GError) error = NULL;

  /* The loop's thread runs the instance; this one waits for it. */
  test->worker = g_thread_self ();
  send_input (test->comm, request ("x", FALSE));
  start = asgiref_communicator_receive_output (test->comm, LONG, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (asgiref_message_get_type_name (start), ==, "http.response.start");
  g_task_return_boolean (task, TRUE);
}

static void
worker_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  TwinTest *test = user_data;
  g_autoptr(GError) error = NULL;

  asgiref_bridge_sync_to_async_finish (ASGIREF_BRIDGE (source), result, &error);
  g_assert_no_error (error);
  test_loop_release (test->loop);
}

static void
twin_from_worker_body (TestLoop *loop,
                       gpointer  user_data)
{
  TwinTest *test = user_data;
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);

  test->loop = loop;
  test->comm = communicator_new (app);
  test_loop_hold (loop);
  asgiref_bridge_sync_to_async (asgiref_bridge_get_default (), (GTaskThreadFunc) worker_receives,
                                test, NULL, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, NULL,
                                worker_done, test);
}

static void
test_twin_from_worker (void)
{
  TwinTest test = { 0, };

  test_loop_run ("a blocking twin on a worker", twin_from_worker_body, &test);
  g_assert_nonnull (test.worker);
  g_assert_true (test.worker != g_thread_self ());
  g_clear_object (&test.comm);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
twin_in_loop_body (TestLoop *loop,
                   gpointer  user_data)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = communicator_new (app);
  g_autoptr(GError) error = NULL;

  g_assert_null (asgiref_communicator_receive_output (comm, LONG, NULL, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK);
}

static void
test_twin_in_loop_is_deadlock (void)
{
  test_loop_run ("a blocking twin in main-loop code", twin_in_loop_body, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* }}} */

/* {{{ The _async forms, from a main loop */

typedef struct
{
  TestLoop *loop;
  AsgirefCommunicator *comm;
} AsyncTest;

static void
async_received (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  AsyncTest *test = user_data;
  g_autoptr(AsgirefMessage) last = NULL;
  g_autoptr(GError) error = NULL;

  last = asgiref_communicator_receive_output_finish (test->comm, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (asgiref_message_get_type_name (last), ==, "http.response.start");
  test_loop_release (test->loop);
}

static void
async_body (TestLoop *loop,
            gpointer  user_data)
{
  AsyncTest *test = user_data;

  test->loop = loop;
  test_loop_hold (loop);
  asgiref_communicator_receive_output_async (test->comm, LONG, NULL, async_received, test);
  send_input (test->comm, request ("x", FALSE));
}

static void
test_async_forms (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);
  AsyncTest test = { NULL, communicator_new (app) };
  g_autoptr(GError) error = NULL;

  test_loop_run ("receive_output_async", async_body, &test);
  g_assert_true (asgiref_communicator_wait (test.comm, LONG, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&test.comm);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  test_add_in_own_context ("/Asgiref/Communicator/echo-round-trip", test_echo_round_trip);
  test_add_in_own_context ("/Asgiref/Communicator/timeout-when-nothing-is-sent", test_timeout_when_nothing_sent);
  test_add_in_own_context ("/Asgiref/Communicator/receive-nothing-true-and-false", test_receive_nothing);
  test_add_in_own_context ("/Asgiref/Communicator/nothing-lost-when-the-instance-ends", test_nothing_lost_when_instance_ends);
  test_add_in_own_context ("/Asgiref/Communicator/application-error-surfaces", test_application_error_surfaces);
  test_add_in_own_context ("/Asgiref/Communicator/wait-cancels-a-stuck-instance", test_wait_cancels_stuck_instance);
  test_add_in_own_context ("/Asgiref/Communicator/wait-reports-the-error-of-a-cancelled-instance", test_wait_reports_error_of_cancelled_instance);
  test_add_in_own_context ("/Asgiref/Communicator/dropping-it-cancels-the-instance", test_dropping_cancels_instance);
  test_add_in_own_context ("/Asgiref/Communicator/instance-runs-in-its-own-context", test_instance_has_own_context);
  test_add_in_own_context ("/Asgiref/Communicator/blocking-twin-from-a-worker", test_twin_from_worker);
  test_add_in_own_context ("/Asgiref/Communicator/blocking-twin-in-main-loop-code-is-deadlock", test_twin_in_loop_is_deadlock);
  test_add_in_own_context ("/Asgiref/Communicator/async-forms-from-a-main-loop", test_async_forms);

  return g_test_run ();
}
