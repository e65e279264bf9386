/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-context.h"
#include "asgiref-i18n-private.h"
#include "asgiref-sync-function.h"

/**
 * AsgirefSyncFunction:
 *
 * A blocking function as an object, so that code which cannot hand the
 * bridge a C function pointer (Python, JavaScript) can still run C code
 * through [method@Asgiref.Bridge.sync_to_async].
 *
 * The object carries the function's arguments; its
 * [vfunc@Asgiref.SyncFunction.call] does the blocking work and sets the
 * result. [method@Asgiref.SyncFunction.call_async] runs it on the bridge's
 * threads, following the bridge's thread rules, and answers on the
 * caller's thread-default main context:
 *
 * ```c
 * struct _MyQuery { GObject parent_instance; char *sql; };
 *
 * static gboolean
 * my_query_call (AsgirefSyncFunction  *function,
 *                GCancellable         *cancellable,
 *                GValue               *result,
 *                GError              **error)
 * {
 *   MyQuery *self = MY_QUERY (function);
 *   gint64 rows = legacy_db_count (self->sql, cancellable, error);  // blocks
 *
 *   if (rows < 0)
 *     return FALSE;
 *   g_value_init (result, G_TYPE_INT64);
 *   g_value_set_int64 (result, rows);
 *   return TRUE;
 * }
 *
 * static void
 * my_query_sync_function_init (AsgirefSyncFunctionInterface *iface)
 * {
 *   iface->call = my_query_call;
 * }
 *
 * G_DEFINE_FINAL_TYPE_WITH_CODE (MyQuery, my_query, G_TYPE_OBJECT,
 *   G_IMPLEMENT_INTERFACE (ASGIREF_TYPE_SYNC_FUNCTION, my_query_sync_function_init))
 *
 * static void
 * on_counted (GObject *source_object, GAsyncResult *result, gpointer user_data)
 * {
 *   g_autoptr(GError) error = NULL;
 *   const GValue *rows;
 *
 *   // The value belongs to result: valid during the callback.
 *   rows = asgiref_sync_function_call_finish (ASGIREF_SYNC_FUNCTION (source_object),
 *                                             result, &error);
 *   if (rows == NULL)
 *     g_warning ("Query failed: %s", error->message);
 *   else
 *     g_print ("%" G_GINT64_FORMAT " rows\n", g_value_get_int64 (rows));
 * }
 *
 * asgiref_sync_function_call_async (ASGIREF_SYNC_FUNCTION (query), NULL,
 *                                   ASGIREF_SYNC_FLAGS_NONE, cancellable,
 *                                   on_counted, NULL);
 * ```
 *
 * From JavaScript, the `syncToAsync()` of the GJS helper module turns such
 * an object into a function returning a Promise:
 *
 * ```js
 * const rows = await syncToAsync(new MyLib.Query({sql}))();
 * ```
 *
 * ## Threads
 *
 * [vfunc@Asgiref.SyncFunction.call] runs on whichever thread calls
 * [method@Asgiref.SyncFunction.call]; through
 * [method@Asgiref.SyncFunction.call_async] it runs on a thread of the
 * bridge, never necessarily the caller's: thread-sensitive calls (the
 * default) on the thread blocked in the enclosing async-to-sync call if
 * any, else on the thread of the enclosing
 * [class@Asgiref.ThreadSensitiveContext], else on the one shared sync
 * thread; calls with %ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE on a thread
 * of the bridge's pool. An implementation must therefore be safe to run
 * on another thread than the one that created the object, and must not
 * rely on any thread-default main context.
 *
 * Classes written in JavaScript must not implement this interface: GJS
 * runs JavaScript on the main thread only, and refuses (with a critical)
 * to run it anywhere else, so the call would fail. The GJS helper module
 * refuses such objects. Classes written in Python may implement it:
 * PyGObject takes the GIL for the call.
 *
 * [method@Asgiref.SyncFunction.call_finish] returns a value owned by the
 * result, so that bindings copy it and nothing is left to free. (GJS 1.74
 * cannot report the error of [method@Asgiref.SyncFunction.call], whose
 * result is an out argument: from JavaScript, use `call_async()`.)
 *
 * Since: 1.0
 */

G_DEFINE_INTERFACE (AsgirefSyncFunction, asgiref_sync_function, G_TYPE_OBJECT)

static void
asgiref_sync_function_default_init (AsgirefSyncFunctionInterface *iface)
{
}

/**
 * AsgirefSyncFunctionInterface::call:
 * @self: a sync function
 * @cancellable: (nullable): a #GCancellable the function should honour
 * @result: (out caller-allocates): an unset #GValue (%G_VALUE_INIT) to
 *   initialise and set to the function's result on success
 * @error: return location for an error
 *
 * Runs the blocking function. See [iface@Asgiref.SyncFunction] for the
 * thread it runs on.
 *
 * On success, an implementation initialises @result to some type and
 * sets it (it must not leave it unset), and returns %TRUE. On failure, it
 * sets @error, leaves @result unset, and returns %FALSE.
 *
 * In Python, `do_call(self, cancellable)` returns `(True, value)`, or
 * raises a `GLib.Error`; any other exception is printed and the call
 * fails with %G_IO_ERROR_FAILED.
 *
 * Returns: %TRUE on success, %FALSE with @error set on failure
 */

static void
free_value (gpointer value)
{
  g_boxed_free (G_TYPE_VALUE, value);
}

/* Calls the implementation, making sure that whatever it does, the
 * outcome is either a set @result and TRUE, or an error and FALSE, so that
 * no caller is left without an answer. */
static gboolean
sync_function_invoke (AsgirefSyncFunction  *self,
                      GCancellable         *cancellable,
                      GValue               *result,
                      GError              **error)
{
  AsgirefSyncFunctionInterface *iface = ASGIREF_SYNC_FUNCTION_GET_IFACE (self);
  GError *local_error = NULL;

  if (iface->call == NULL)
    {
      g_critical ("%s does not implement AsgirefSyncFunction.call()",
                  G_OBJECT_TYPE_NAME (self));
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s cannot be called: it does not implement the call of a sync function"),
                   G_OBJECT_TYPE_NAME (self));
      return FALSE;
    }

  if (iface->call (self, cancellable, result, &local_error))
    {
      if (G_IS_VALUE (result))
        {
          if (local_error != NULL)
            {
              g_critical ("%s.call() returned TRUE and set an error: %s",
                          G_OBJECT_TYPE_NAME (self), local_error->message);
              g_clear_error (&local_error);
            }
          return TRUE;
        }

      g_critical ("%s.call() returned TRUE without setting its result",
                  G_OBJECT_TYPE_NAME (self));
      g_clear_error (&local_error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("%s returned no result"), G_OBJECT_TYPE_NAME (self));
      return FALSE;
    }

  if (G_IS_VALUE (result))
    g_value_unset (result);

  /* Also what a binding reports for an exception it could not turn into
   * a GError: it has printed the exception already. */
  if (local_error == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("%s failed without saying why"), G_OBJECT_TYPE_NAME (self));
      return FALSE;
    }

  g_propagate_error (error, local_error);
  return FALSE;
}

/**
 * asgiref_sync_function_call: (virtual call)
 * @self: a sync function
 * @cancellable: (nullable): a #GCancellable, handed to the function
 * @result: (out caller-allocates): an unset #GValue (%G_VALUE_INIT) that
 *   receives the function's result; the caller unsets it
 * @error: return location for an error
 *
 * Runs the blocking function on the calling thread, and blocks until it
 * returns.
 *
 * ```c
 * g_auto(GValue) rows = G_VALUE_INIT;
 *
 * if (!asgiref_sync_function_call (function, cancellable, &rows, &error))
 *   return FALSE;
 * ```
 *
 * Returns: %TRUE with @result set, or %FALSE with @error set and
 *   @result left unset
 *
 * Since: 1.0
 */
gboolean
asgiref_sync_function_call (AsgirefSyncFunction  *self,
                            GCancellable         *cancellable,
                            GValue               *result,
                            GError              **error)
{
  g_return_val_if_fail (ASGIREF_IS_SYNC_FUNCTION (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (result != NULL && !G_IS_VALUE (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return sync_function_invoke (self, cancellable, result, error);
}

/* On the bridge's thread. @function is the task data: the bridge holds it
 * until the caller's callback has run, and drops it on the caller's main
 * context. */
static void
call_in_thread (GTask        *task,
                gpointer      bridge,
                gpointer      function,
                GCancellable *cancellable)
{
  GValue *result;
  GError *error = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  result = g_new0 (GValue, 1);
  if (!sync_function_invoke (function, cancellable, result, &error))
    {
      g_free (result);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, result, free_value);
}

/* On the caller's thread-default main context, in the caller's context.
 * The value becomes the task data of the caller's task, which owns it, so
 * that call_finish() can return it (transfer none) for as long as the
 * caller holds the result: a binding then copies it out and nothing is
 * left to free (PyGObject 3.42 leaks a GValue returned with transfer
 * full, and GJS 1.74 cannot report an error next to an out GValue). */
static void
call_done (GObject      *bridge,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GValue *value;

  value = g_task_propagate_pointer (G_TASK (result), &error);
  if (value == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_set_task_data (task, value, free_value);
  g_task_return_boolean (task, TRUE);
}

/**
 * asgiref_sync_function_call_async:
 * @self: a sync function
 * @bridge: (nullable): the bridge to run it on, or %NULL for the default
 *   one ([func@Asgiref.Bridge.get_default])
 * @flags: how to run it: thread-sensitive (the default) or not
 * @cancellable: (nullable): a #GCancellable, handed to the function; when
 *   %NULL, the cancellable of the hop this code runs in, if any
 * @callback: (scope async): called on the calling thread's thread-default
 *   main context when the function has returned
 * @user_data: (closure callback): data for @callback
 *
 * Runs the blocking function on a thread of @bridge, as
 * [method@Asgiref.Bridge.sync_to_async] runs a C function, following the
 * bridge's thread rules (see [iface@Asgiref.SyncFunction]). Finish with
 * [method@Asgiref.SyncFunction.call_finish].
 *
 * The function runs in a copy of the current [struct@Asgiref.Context];
 * @callback runs in the current context itself, to which the values the
 * function set have been applied.
 *
 * If @cancellable is cancelled before the function starts, it is not run,
 * and the call fails with %G_IO_ERROR_CANCELLED; if it is cancelled while
 * the function runs, the function should notice and fail, and the call
 * fails with %G_IO_ERROR_CANCELLED whatever the function returned. A
 * thread-sensitive call that would wait for the thread waiting on it fails
 * with %ASGIREF_ERROR_DEADLOCK.
 *
 * Since: 1.0
 */
void
asgiref_sync_function_call_async (AsgirefSyncFunction *self,
                                  AsgirefBridge       *bridge,
                                  AsgirefSyncFlags     flags,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ASGIREF_IS_SYNC_FUNCTION (self));
  g_return_if_fail (bridge == NULL || ASGIREF_IS_BRIDGE (bridge));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (bridge == NULL)
    bridge = asgiref_bridge_get_default ();

  /* The bridge's task has the bridge as its source object; this one is
   * the caller's, with the function as its source, as GIO callbacks
   * expect. It is bound to the current context, so that its callback runs
   * there even when GTask defers it to an idle (on cancellation). The
   * bridge has already checked its own cancellable: relay its verdict. */
  task = asgiref_context_create_task (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, asgiref_sync_function_call_async);
  g_task_set_name (task, "[asgiref] sync function");
  g_task_set_check_cancellable (task, FALSE);

  asgiref_bridge_sync_to_async (bridge, call_in_thread,
                                g_object_ref (self), g_object_unref,
                                flags, cancellable,
                                call_done, g_steal_pointer (&task));
}

/**
 * asgiref_sync_function_call_finish:
 * @self: a sync function
 * @result: the result given to the callback of
 *   [method@Asgiref.SyncFunction.call_async]
 * @error: return location for an error
 *
 * Gets the result of a call started with
 * [method@Asgiref.SyncFunction.call_async].
 *
 * The value belongs to @result: it stays valid as long as @result does,
 * so for the whole callback; copy it (or its contents) to keep it longer.
 *
 * Returns: (transfer none): the function's result, or %NULL with @error
 *   set
 *
 * Since: 1.0
 */
const GValue *
asgiref_sync_function_call_finish (AsgirefSyncFunction  *self,
                                   GAsyncResult         *result,
                                   GError              **error)
{
  g_return_val_if_fail (ASGIREF_IS_SYNC_FUNCTION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == asgiref_sync_function_call_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  return g_task_get_task_data (G_TASK (result));
}
