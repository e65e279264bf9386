/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include "asgiref-test-thread-function.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

/**
 * AsgirefTestThreadFunction:
 *
 * A sync function, implemented in C, that tells where it ran: for the
 * binding tests, which cannot implement one themselves (GJS cannot run
 * JavaScript off the main thread).
 *
 * Its call returns the string `thread=NAME;main=0|1`: NAME is the name of
 * the thread it ran on (`asgiref-sync` for the bridge's shared sync
 * thread), and main says whether that is the process's main thread. With
 * [property@AsgirefTest.ThreadFunction:fail] set it fails with
 * %G_IO_ERROR_FAILED instead.
 */

struct _AsgirefTestThreadFunction
{
  GObject parent_instance;

  gboolean fail;     /* construct-time only: read from any thread */
  guint n_calls;     /* atomic */
};

enum {
  PROP_0,
  PROP_FAIL,
  PROP_N_CALLS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void asgiref_test_thread_function_sync_function_init (AsgirefSyncFunctionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AsgirefTestThreadFunction, asgiref_test_thread_function, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ASGIREF_TYPE_SYNC_FUNCTION,
                                                      asgiref_test_thread_function_sync_function_init))

/**
 * asgiref_test_thread_function_is_main_thread:
 *
 * Returns: whether the calling thread is the process's main thread
 */
gboolean
asgiref_test_thread_function_is_main_thread (void)
{
#ifdef SYS_gettid
  return syscall (SYS_gettid) == getpid ();
#else
# error "needs a way to tell the main thread"
#endif
}

static gboolean
asgiref_test_thread_function_call (AsgirefSyncFunction  *function,
                                   GCancellable         *cancellable,
                                   GValue               *result,
                                   GError              **error)
{
  AsgirefTestThreadFunction *self = ASGIREF_TEST_THREAD_FUNCTION (function);
  char name[64] = "";

  g_atomic_int_inc (&self->n_calls);

  if (self->fail)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "failed as asked");
      return FALSE;
    }

  pthread_getname_np (pthread_self (), name, sizeof name);
  g_value_init (result, G_TYPE_STRING);
  g_value_take_string (result, g_strdup_printf ("thread=%s;main=%d", name,
                                                asgiref_test_thread_function_is_main_thread ()));
  return TRUE;
}

static void
asgiref_test_thread_function_sync_function_init (AsgirefSyncFunctionInterface *iface)
{
  iface->call = asgiref_test_thread_function_call;
}

static void
asgiref_test_thread_function_get_property (GObject    *object,
                                           guint       prop_id,
                                           GValue     *value,
                                           GParamSpec *pspec)
{
  AsgirefTestThreadFunction *self = ASGIREF_TEST_THREAD_FUNCTION (object);

  switch (prop_id)
    {
    case PROP_FAIL:
      g_value_set_boolean (value, self->fail);
      break;
    case PROP_N_CALLS:
      g_value_set_uint (value, asgiref_test_thread_function_get_n_calls (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_test_thread_function_set_property (GObject      *object,
                                           guint         prop_id,
                                           const GValue *value,
                                           GParamSpec   *pspec)
{
  AsgirefTestThreadFunction *self = ASGIREF_TEST_THREAD_FUNCTION (object);

  switch (prop_id)
    {
    case PROP_FAIL:
      self->fail = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_test_thread_function_class_init (AsgirefTestThreadFunctionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = asgiref_test_thread_function_get_property;
  object_class->set_property = asgiref_test_thread_function_set_property;

  /**
   * AsgirefTestThreadFunction:fail:
   *
   * Whether calls fail with %G_IO_ERROR_FAILED ("failed as asked").
   */
  properties[PROP_FAIL] =
    g_param_spec_boolean ("fail", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefTestThreadFunction:n-calls:
   *
   * How many times the function has been run (not counting calls
   * cancelled before they ran).
   */
  properties[PROP_N_CALLS] =
    g_param_spec_uint ("n-calls", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_test_thread_function_init (AsgirefTestThreadFunction *self)
{
}

/**
 * asgiref_test_thread_function_new:
 *
 * Returns: (transfer full): a new function that succeeds
 */
AsgirefTestThreadFunction *
asgiref_test_thread_function_new (void)
{
  return g_object_new (ASGIREF_TEST_TYPE_THREAD_FUNCTION, NULL);
}

/**
 * asgiref_test_thread_function_get_n_calls:
 * @self: a function
 *
 * Returns: the value of [property@AsgirefTest.ThreadFunction:n-calls]
 */
guint
asgiref_test_thread_function_get_n_calls (AsgirefTestThreadFunction *self)
{
  g_return_val_if_fail (ASGIREF_TEST_IS_THREAD_FUNCTION (self), 0);

  return g_atomic_int_get (&self->n_calls);
}

/* A WSGI handler in C: "<method> <path> on <thread>: <body>". */
static gboolean
wsgi_echo (AsgirefScope         *scope,
           GInputStream         *body,
           AsgirefWsgiResponse  *response,
           gpointer              user_data,
           GError              **error)
{
  g_autoptr(GOutputStream) collected = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) received = NULL;
  g_autoptr(GBytes) answer = NULL;
  char *text;

  if (g_output_stream_splice (collected, body, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return FALSE;
  received = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (collected));
  text = g_strdup_printf ("%s %s on %s: %.*s", asgiref_scope_get_method (scope),
                          asgiref_scope_get_path (scope),
                          asgiref_test_thread_function_is_main_thread () ? "the main thread" : "a worker thread",
                          (int) g_bytes_get_size (received), (const char *) g_bytes_get_data (received, NULL));
  answer = g_bytes_new_take (text, strlen (text));
  return asgiref_wsgi_response_start (response, 200, NULL, error) &&
         asgiref_wsgi_response_write (response, answer, NULL, error);
}

/**
 * asgiref_test_wsgi_echo_new:
 *
 * A WSGI application with a C handler, which JavaScript cannot write:
 * it answers with the method, the path, the thread it ran on and the body.
 *
 * Returns: (transfer full): the application
 */
AsgirefApplication *
asgiref_test_wsgi_echo_new (void)
{
  return asgiref_wsgi_application_new (wsgi_echo, NULL, NULL);
}
