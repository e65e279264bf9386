/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-application-private.h"
#include "asgiref-channel-private.h"
#include "asgiref-context.h"
#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-scope.h"
#include "asgiref-task-private.h"

/**
 * AsgirefApplication:
 *
 * An ASGI application: something that serves one connection, request or
 * lifespan (a *scope*, a [struct@Asgiref.Scope]) at a time per instance,
 * reading the server's messages ([struct@Asgiref.Message]) from a
 * [class@Asgiref.Channel] and sending its own back. It is asgiref's
 * `async def application(scope, receive, send)`.
 *
 * A server calls [method@Asgiref.Application.call_async] once per scope,
 * each time with a new channel and (as [class@Asgiref.Communicator] and
 * the server do) in a new [struct@Asgiref.Context], so that instances
 * never see each other's [class@Asgiref.Local] values.
 *
 * Implementations provide one virtual function, `call`, which gets the
 * #GTask to complete rather than a callback, so that Python and JavaScript
 * can implement it too. In C, an application that answers every HTTP
 * request with "Hello":
 *
 * ```c
 * static void
 * hello_app_call (AsgirefApplication *app,
 *                 AsgirefScope       *scope,
 *                 AsgirefChannel     *channel,
 *                 GTask              *task)
 * {
 *   g_autoptr(GBytes) hello = g_bytes_new_static ("Hello", 5);
 *   g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, NULL, FALSE);
 *   g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (hello, FALSE);
 *
 *   // A real application would receive the http.request first.
 *   asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
 *   asgiref_channel_send_async (channel, body, g_task_get_cancellable (task),
 *                               body_sent, g_object_ref (task));
 * }
 *
 * static void
 * body_sent (GObject      *source,
 *            GAsyncResult *result,
 *            gpointer      user_data)
 * {
 *   g_autoptr(GTask) task = user_data;
 *   GError *error = NULL;
 *
 *   if (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
 *     g_task_return_boolean (task, TRUE);
 *   else
 *     g_task_return_error (task, error);
 * }
 * ```
 *
 * In Python:
 *
 * ```python
 * class HelloApp(GObject.Object, Asgiref.Application):
 *     def do_call(self, scope, channel, task):
 *         start = Asgiref.Message.new_http_response_start(200, None, False)
 *         channel.send_async(start, None, None)
 *         ...
 *         task.return_boolean(True)
 * ```
 *
 * For an application written as a single function, see
 * [class@Asgiref.FunctionApplication]; for one whose class is instantiated
 * once per scope (a "double callable" application),
 * [class@Asgiref.FactoryApplication].
 *
 * An application is called on one main context, the one its server runs
 * on, unless it declares itself thread-safe with
 * [method@Asgiref.Application.set_thread_safe]: only then may a server
 * with [property@Asgiref.Server:serving-threads] call it from several
 * threads at once.
 */

G_DEFINE_INTERFACE (AsgirefApplication, asgiref_application, G_TYPE_OBJECT)

/* Set on the applications that declared themselves thread-safe. */
static G_DEFINE_QUARK (asgiref-application-thread-safe, thread_safe)

static void
asgiref_application_default_init (AsgirefApplicationInterface *iface)
{
}

/* The task given to the implementation is an inner one: if it is
 * finalized without having been completed, the caller's task fails
 * instead of waiting forever. */
typedef struct
{
  GTask *outer;
  gint completed;
} CallLink;

static void
inner_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CallLink *link = user_data;
  GError *error = NULL;

  g_atomic_int_set (&link->completed, TRUE);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_boolean (link->outer, TRUE);
  else
    g_task_return_error (link->outer, error);
}

static void
inner_finalized (gpointer  user_data,
                 GObject  *where_the_object_was)
{
  CallLink *link = user_data;

  if (!g_atomic_int_get (&link->completed))
    g_task_return_new_error (link->outer, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                             _("The ASGI application %s dropped its task without completing it"),
                             G_OBJECT_TYPE_NAME (g_task_get_source_object (link->outer)));
  g_object_unref (link->outer);
  g_free (link);
}

/**
 * asgiref_application_call_async:
 * @self: an #AsgirefApplication
 * @scope: the scope of the instance; an implementation that needs it
 *   after its `call` returned keeps a reference
 * @channel: the channel of this instance, used for no other
 * @cancellable: (nullable): the instance's #GCancellable
 * @callback: (scope async) (nullable): called when the instance is done
 * @user_data: (closure callback): data for @callback
 *
 * Runs one instance of @self for @scope, on the calling thread and in the
 * current [struct@Asgiref.Context]: asgiref's
 * `await application(scope, receive, send)`.
 *
 * Cancelling @cancellable asks the instance to stop: the application sees
 * it through [method@Gio.Task.get_cancellable], and every pending and later
 * receive and send on @channel fails with %G_IO_ERROR_CANCELLED.
 *
 * An implementation that lets go of its task without completing it makes
 * the instance fail with %ASGIREF_ERROR_FAILED rather than never end. A
 * Python `do_call` that raises completes the task with its exception (the
 * override sees to it); a GJS `vfunc_call` that throws lets go of the task
 * only when the garbage collector finalizes it, so JavaScript applications
 * are best written with the `application()` helper of `asgiref.js`, which
 * completes the task when the async function settles.
 */
void
asgiref_application_call_async (AsgirefApplication  *self,
                                AsgirefScope        *scope,
                                AsgirefChannel      *channel,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  AsgirefApplicationInterface *iface;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) inner = NULL;
  CallLink *link;

  g_return_if_fail (ASGIREF_IS_APPLICATION (self));
  g_return_if_fail (scope != NULL);
  g_return_if_fail (ASGIREF_IS_CHANNEL (channel));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = asgiref_context_create_task (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, asgiref_application_call_async);
  /* How a cancelled instance ended is its own to say: an error it fails
   * with while cleaning up must not turn into G_IO_ERROR_CANCELLED. */
  g_task_set_check_cancellable (task, FALSE);

  iface = ASGIREF_APPLICATION_GET_IFACE (self);
  if (iface->call == NULL)
    {
      g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                               _("%s does not implement the ASGI application call"),
                               G_OBJECT_TYPE_NAME (self));
      return;
    }

  if (cancellable != NULL)
    _asgiref_channel_cancel_with (channel, cancellable);
  if (g_task_return_error_if_cancelled (task))
    return;

  link = g_new0 (CallLink, 1);
  link->outer = g_object_ref (task);
  inner = g_task_new (self, cancellable, inner_done, link);
  g_task_set_source_tag (inner, asgiref_application_call_async);
  g_task_set_check_cancellable (inner, FALSE);
  g_object_weak_ref (G_OBJECT (inner), inner_finalized, link);
  iface->call (self, scope, channel, inner);
}

/* The server's way in: what asgiref_application_call_async() does, without
 * the task of the caller's own (see asgiref-application-private.h). */
typedef struct
{
  AsgirefApplicationDone done;
  gpointer data;
  GMainContext *context;   /* where @done runs */
  const char *type_name;   /* the application's, for the error */
  gint completed;
} DirectLink;

static void
direct_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  DirectLink *link = user_data;
  GError *error = NULL;

  g_atomic_int_set (&link->completed, TRUE);
  g_task_propagate_boolean (G_TASK (result), &error);
  link->done (error, link->data);
}

static gboolean
direct_dropped (gpointer user_data)
{
  DirectLink *link = user_data;

  _asgiref_main_context_received (link);
  if (!g_atomic_int_get (&link->completed))
    link->done (g_error_new (ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                             _("The ASGI application %s dropped its task without completing it"),
                             link->type_name),
                link->data);
  g_main_context_unref (link->context);
  g_free (link);
  return G_SOURCE_REMOVE;
}

/* The last reference to the task may go on any thread: @done runs on its
 * context all the same. */
static void
direct_finalized (gpointer  user_data,
                  GObject  *where_the_object_was)
{
  DirectLink *link = user_data;

  if (g_main_context_is_owner (link->context))
    direct_dropped (link);
  else
    _asgiref_main_context_post (link->context, "[asgiref] application task dropped",
                                direct_dropped, link);
}

void
_asgiref_application_call (AsgirefApplication     *self,
                           AsgirefScope           *scope,
                           AsgirefChannel         *channel,
                           GCancellable           *cancellable,
                           AsgirefApplicationDone  done,
                           gpointer                data)
{
  AsgirefApplicationInterface *iface = ASGIREF_APPLICATION_GET_IFACE (self);
  g_autoptr(GTask) task = NULL;
  DirectLink *link;

  if (iface->call == NULL)
    {
      done (g_error_new (ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                         _("%s does not implement the ASGI application call"),
                         G_OBJECT_TYPE_NAME (self)),
            data);
      return;
    }

  link = g_new0 (DirectLink, 1);
  link->done = done;
  link->data = data;
  link->context = g_main_context_ref_thread_default ();
  link->type_name = G_OBJECT_TYPE_NAME (self);
  task = g_task_new (self, cancellable, direct_done, link);
  /* Unnamed: see channel_task_new(). */
  (g_task_set_source_tag) (task, asgiref_application_call_async);
  g_task_set_check_cancellable (task, FALSE);
  g_object_weak_ref (G_OBJECT (task), direct_finalized, link);
  iface->call (self, scope, channel, task);
}

/**
 * asgiref_application_call_finish:
 * @self: an #AsgirefApplication
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Asgiref.Application.call_async].
 *
 * Returns: %TRUE if the instance ended normally, %FALSE with @error set
 *   to the error it failed with
 */
gboolean
asgiref_application_call_finish (AsgirefApplication  *self,
                                 GAsyncResult        *result,
                                 GError             **error)
{
  g_return_val_if_fail (ASGIREF_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * asgiref_application_type_is_double_callable:
 * @type: a #GType
 *
 * Tells a "double callable" application type from a single-callable one,
 * as asgiref's `is_double_callable()` does: a class that is instantiated
 * once per scope, where ASGI 2 called `application(scope)` and then the
 * instance with `receive` and `send`.
 *
 * In GLib terms that is an instantiatable #GObject type implementing
 * #AsgirefApplication with a writable `scope` property of the boxed type
 * [struct@Asgiref.Scope] (`ASGIREF_TYPE_SCOPE`, made with
 * [func@GObject.param_spec_boxed]), which the instance receives at
 * construction.
 * [func@Asgiref.FactoryApplication.new_for_type] turns such a type into
 * one application. Any other type (including a single-callable
 * application type, one instance of which serves every scope) gives
 * %FALSE.
 *
 * Returns: whether @type is a double-callable application type
 */
gboolean
asgiref_application_type_is_double_callable (GType type)
{
  GObjectClass *klass;
  GParamSpec *pspec;
  gboolean result;

  if (!G_TYPE_IS_INSTANTIATABLE (type) ||
      !g_type_is_a (type, G_TYPE_OBJECT) ||
      !g_type_is_a (type, ASGIREF_TYPE_APPLICATION) ||
      G_TYPE_IS_ABSTRACT (type))
    return FALSE;

  klass = g_type_class_ref (type);
  pspec = g_object_class_find_property (klass, "scope");
  result = pspec != NULL &&
           G_PARAM_SPEC_VALUE_TYPE (pspec) == ASGIREF_TYPE_SCOPE &&
           (pspec->flags & G_PARAM_WRITABLE) != 0;
  g_type_class_unref (klass);
  return result;
}

/**
 * asgiref_application_set_thread_safe:
 * @self: an application
 * @thread_safe: whether @self may be called from any thread, on several
 *   at once
 *
 * Declares that @self's [vfunc@Asgiref.Application.call] may run on any
 * thread, with instances on several threads at the same time: its state
 * is locked or immutable, and it needs no particular main context. A
 * server with more than one of [property@Asgiref.Server:serving-threads]
 * serves only such an application.
 *
 * Applications are not thread-safe unless they say so. Python and
 * JavaScript applications must not: GJS cannot run JavaScript on another
 * thread, and Python's would only queue on its interpreter lock.
 */
void
asgiref_application_set_thread_safe (AsgirefApplication *self,
                                     gboolean            thread_safe)
{
  g_return_if_fail (ASGIREF_IS_APPLICATION (self));

  g_object_set_qdata (G_OBJECT (self), thread_safe_quark (),
                      thread_safe ? GINT_TO_POINTER (TRUE) : NULL);
}

/**
 * asgiref_application_get_thread_safe:
 * @self: an application
 *
 * Gets what [method@Asgiref.Application.set_thread_safe] declared.
 *
 * Returns: whether @self may be called from several threads at once
 */
gboolean
asgiref_application_get_thread_safe (AsgirefApplication *self)
{
  g_return_val_if_fail (ASGIREF_IS_APPLICATION (self), FALSE);

  return g_object_get_qdata (G_OBJECT (self), thread_safe_quark ()) != NULL;
}
