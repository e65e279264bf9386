/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefApplication: an instance's life (result, error, cancellation, a
 * task dropped unfinished), the single-function application and the
 * compatibility adapter for double-callable applications.
 */

#include <asgiref.h>

#include "test-util.h"

/* {{{ Helpers */

static AsgirefScope *
http_scope (const char *path)
{
  return asgiref_scope_new_http ("GET", path, NULL, NULL);
}

/* A channel for an instance serving a request to @path. */
static AsgirefChannel *
channel_for (const char *path)
{
  g_autoptr(AsgirefScope) scope = http_scope (path);

  return asgiref_channel_new (scope);
}

/* Runs @app with @channel, for its scope, to the end; returns
 * call_finish(). */
static gboolean
run_instance (AsgirefApplication  *app,
              AsgirefChannel      *channel,
              GCancellable        *cancellable,
              GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  asgiref_application_call_async (app, asgiref_channel_get_scope (channel), channel,
                                  cancellable, test_store_result, &result);
  test_wait_for_result (&result);
  return asgiref_application_call_finish (app, result, error);
}

/* }}} */

/* {{{ An application that echoes the path of its scope as the body of one
 * response, after receiving the request. */

static void
echo_received (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(AsgirefMessage) request = NULL;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;
  const char *path;

  request = asgiref_channel_receive_finish (channel, result, &error);
  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  path = asgiref_scope_get_path (asgiref_channel_get_scope (channel));
  body = g_bytes_new (path, strlen (path));
  test_channel_send (channel, asgiref_message_new_http_response_start (200, NULL, FALSE),
                              NULL, NULL, NULL);
  test_channel_send (channel, asgiref_message_new_http_response_body (body, FALSE),
                              g_task_get_cancellable (task), test_complete_with_send_result, g_object_ref (task));
}

static void
echo_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        user_data)
{
  guint *calls = user_data;

  if (calls != NULL)
    (*calls)++;
  asgiref_channel_receive_async (channel, g_task_get_cancellable (task),
                                 echo_received, g_object_ref (task));
}

/* Takes the next message the application sent. */
static AsgirefMessage *
take (AsgirefChannel *channel)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AsgirefMessage *message;

  asgiref_channel_take_output_async (channel, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  message = asgiref_channel_take_output_finish (channel, result, &error);
  g_assert_no_error (error);
  return message;
}

/* Serves one request to @app for @path and checks the echoed response. */
static void
assert_echoes (AsgirefApplication *app,
               const char         *path)
{
  g_autoptr(AsgirefScope) scope = http_scope (path);
  g_autoptr(AsgirefChannel) channel = asgiref_channel_new (scope);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  asgiref_application_call_async (app, scope, channel, NULL, test_store_result, &result);
  g_autoptr(AsgirefMessage) request = asgiref_message_new_http_request (NULL, FALSE);

  g_assert_true (asgiref_channel_put_input (channel, request, NULL));
  start = take (channel);
  g_assert_cmpint (asgiref_message_get_status (start), ==, 200);
  body = take (channel);
  bytes = asgiref_message_get_body (body);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), path, strlen (path));

  test_wait_for_result (&result);
  g_assert_true (asgiref_application_call_finish (app, result, &error));
  g_assert_no_error (error);
}

/* }}} */

static void
test_call_runs_instance (void)
{
  guint calls = 0;
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, &calls, NULL);

  g_assert_true (ASGIREF_IS_FUNCTION_APPLICATION (app));
  assert_echoes (app, "/one");
  assert_echoes (app, "/two");
  g_assert_cmpuint (calls, ==, 2);
}

static void
failing_app (AsgirefScope   *scope,
             AsgirefChannel *channel,
             GTask          *task,
             gpointer        user_data)
{
  g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no such host: %s", "x");
}

static void
test_call_error_propagates (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (failing_app, NULL, NULL);
  g_autoptr(AsgirefChannel) channel = channel_for ("/");
  g_autoptr(GError) error = NULL;

  g_assert_false (run_instance (app, channel, NULL, &error));
  g_assert_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such host: x");
}

static void
forgetful_app (AsgirefScope   *scope,
               AsgirefChannel *channel,
               GTask          *task,
               gpointer        user_data)
{
  /* Returns without keeping or completing the task, as a Python or JS
   * implementation that raised does. */
}

static void
test_dropped_task_fails (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (forgetful_app, NULL, NULL);
  g_autoptr(AsgirefChannel) channel = channel_for ("/");
  g_autoptr(GError) error = NULL;

  g_assert_false (run_instance (app, channel, NULL, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "AsgirefFunctionApplication"));
}

static void
test_cancel_ends_waiting_receive (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);
  g_autoptr(AsgirefScope) scope = http_scope ("/");
  g_autoptr(AsgirefChannel) channel = asgiref_channel_new (scope);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GError) error = NULL;

  asgiref_application_call_async (app, scope, channel, cancellable, test_store_result, &result);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (result);

  g_cancellable_cancel (cancellable);
  test_wait_for_result (&result);
  g_assert_false (asgiref_application_call_finish (app, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* A send after the cancellation fails too, even with no cancellable of
   * its own. */
  test_channel_send (channel, asgiref_message_new_http_response_start (200, NULL, FALSE),
                              NULL, test_store_result, &sent);
  test_wait_for_result (&sent);
  g_assert_false (asgiref_channel_send_finish (channel, sent, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_function_application_frees_data (void)
{
  gint frees = 0;
  AsgirefApplication *app;

  app = asgiref_function_application_new (echo_app, test_counted_new (&frees, "data"),
                                          test_counted_free);
  g_assert_cmpint (frees, ==, 0);
  g_object_unref (app);
  g_assert_cmpint (frees, ==, 1);
}

/* {{{ A double-callable application: an instance per scope, which gets the
 * scope at construction, counted. */

#define TEST_TYPE_CONSUMER (test_consumer_get_type ())
G_DECLARE_FINAL_TYPE (TestConsumer, test_consumer, TEST, CONSUMER, GObject)

struct _TestConsumer
{
  GObject parent_instance;
  AsgirefScope *scope;
};

static guint consumers_alive;
static guint consumers_made;

static void
test_consumer_call (AsgirefApplication *app,
                    AsgirefScope       *scope,
                    AsgirefChannel     *channel,
                    GTask              *task)
{
  TestConsumer *self = TEST_CONSUMER (app);

  /* Made for this very scope. */
  g_assert_true (self->scope == scope);
  echo_app (scope, channel, task, NULL);
}

static void
test_consumer_iface_init (AsgirefApplicationInterface *iface)
{
  iface->call = test_consumer_call;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestConsumer, test_consumer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ASGIREF_TYPE_APPLICATION,
                                                      test_consumer_iface_init))

static void
test_consumer_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  TEST_CONSUMER (object)->scope = g_value_dup_boxed (value);
}

static void
test_consumer_finalize (GObject *object)
{
  g_clear_pointer (&TEST_CONSUMER (object)->scope, asgiref_scope_unref);
  consumers_alive--;
  G_OBJECT_CLASS (test_consumer_parent_class)->finalize (object);
}

static void
test_consumer_class_init (TestConsumerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = test_consumer_set_property;
  object_class->finalize = test_consumer_finalize;
  g_object_class_install_property (object_class, 1,
    g_param_spec_boxed ("scope", NULL, NULL, ASGIREF_TYPE_SCOPE,
                        G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
}

static void
test_consumer_init (TestConsumer *self)
{
  consumers_alive++;
  consumers_made++;
}

/* }}} */

static void
test_type_is_double_callable (void)
{
  g_assert_true (asgiref_application_type_is_double_callable (TEST_TYPE_CONSUMER));
  /* One instance serves every scope. */
  g_assert_false (asgiref_application_type_is_double_callable (ASGIREF_TYPE_FUNCTION_APPLICATION));
  g_assert_false (asgiref_application_type_is_double_callable (ASGIREF_TYPE_APPLICATION));
  /* A "scope" property is not enough. */
  g_assert_false (asgiref_application_type_is_double_callable (ASGIREF_TYPE_CHANNEL));
  g_assert_false (asgiref_application_type_is_double_callable (G_TYPE_OBJECT));
  g_assert_false (asgiref_application_type_is_double_callable (G_TYPE_INT));
}

static void
test_factory_for_type (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_factory_application_new_for_type (TEST_TYPE_CONSUMER);

  consumers_made = 0;
  assert_echoes (app, "/first");
  assert_echoes (app, "/second");
  g_assert_cmpuint (consumers_made, ==, 2);

  /* Each lived as long as its call: until the task let go of it. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (consumers_alive, ==, 0);
}

static AsgirefApplication *
make_consumer (AsgirefScope *scope,
               gpointer      user_data)
{
  guint *calls = user_data;

  (*calls)++;
  if (g_str_equal (asgiref_scope_get_path (scope), "/none"))
    return NULL;
  return g_object_new (TEST_TYPE_CONSUMER, "scope", scope, NULL);
}

static void
test_factory_function (void)
{
  guint calls = 0;
  g_autoptr(AsgirefApplication) app = asgiref_factory_application_new (make_consumer, &calls, NULL);
  g_autoptr(AsgirefChannel) channel = channel_for ("/none");
  g_autoptr(GError) error = NULL;

  assert_echoes (app, "/made");
  g_assert_cmpuint (calls, ==, 1);

  g_assert_false (run_instance (app, channel, NULL, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED);
  g_assert_cmpuint (calls, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  test_add_in_own_context ("/Asgiref/Application/call-runs-one-instance-per-call", test_call_runs_instance);
  test_add_in_own_context ("/Asgiref/Application/call-error-arrives-unchanged", test_call_error_propagates);
  test_add_in_own_context ("/Asgiref/Application/task-dropped-unfinished-fails-the-call", test_dropped_task_fails);
  test_add_in_own_context ("/Asgiref/Application/cancelling-ends-a-waiting-receive", test_cancel_ends_waiting_receive);
  test_add_in_own_context ("/Asgiref/Application/function-application-frees-its-data", test_function_application_frees_data);
  test_add_in_own_context ("/Asgiref/Application/type-is-double-callable", test_type_is_double_callable);
  test_add_in_own_context ("/Asgiref/Application/factory-for-type-makes-an-instance-per-scope", test_factory_for_type);
  test_add_in_own_context ("/Asgiref/Application/factory-function-makes-an-instance-per-scope", test_factory_function);

  return g_test_run ();
}
