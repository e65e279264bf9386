/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * AsgirefError:
 * @ASGIREF_ERROR_FAILED: a failure with no more specific code
 * @ASGIREF_ERROR_NOT_SET: a [class@Asgiref.Local] has no value under the
 *   requested name in the current context, thread or scope
 * @ASGIREF_ERROR_DEADLOCK: waiting would never end: the work needs the
 *   thread or main context that is waiting for it
 * @ASGIREF_ERROR_WRONG_THREAD: the call was made from a thread it is not
 *   allowed on, such as waiting on an [class@Asgiref.Executor] from a
 *   thread that does not own it
 * @ASGIREF_ERROR_FINISHED: the [class@Asgiref.Executor] no longer accepts
 *   work, and no enclosing executor takes it over
 * @ASGIREF_ERROR_INVALID_MESSAGE: an ASGI message does not follow the ASGI
 *   3.0 specification: it is not an `a{sv}` dictionary, its `type` is
 *   missing or unknown, a required key is missing, a value has the wrong
 *   type or is out of range, or a header is malformed (see
 *   [func@Asgiref.message_validate])
 * @ASGIREF_ERROR_PROTOCOL: an ASGI application sent a valid message that
 *   its protocol does not allow at that point, such as a response body
 *   before the response start (see [class@Asgiref.Channel])
 *
 * Error codes in the `ASGIREF_ERROR` domain.
 *
 * Cancellation and timeouts are reported with %G_IO_ERROR_CANCELLED and
 * %G_IO_ERROR_TIMED_OUT in the `G_IO_ERROR` domain, as GIO does.
 */
typedef enum
{
  ASGIREF_ERROR_FAILED,
  ASGIREF_ERROR_NOT_SET,
  ASGIREF_ERROR_DEADLOCK,
  ASGIREF_ERROR_WRONG_THREAD,
  ASGIREF_ERROR_FINISHED,
  ASGIREF_ERROR_INVALID_MESSAGE,
  ASGIREF_ERROR_PROTOCOL,
} AsgirefError;

/**
 * AsgirefLocalScope:
 * @ASGIREF_LOCAL_SCOPE_CONTEXT: values live in the current
 *   [struct@Asgiref.Context]; a copy inherits them, and follow work across
 *   threads (the default, like asgiref's `Local()`)
 * @ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL: values live in the current thread;
 *   while the thread is dispatching a main loop, in the current thread and
 *   context (asgiref's `Local(thread_critical=True)`). They never follow
 *   work to another thread.
 * @ASGIREF_LOCAL_SCOPE_MAIN_CONTEXT: values live in the thread-default
 *   [struct@GLib.MainContext]; they are freed when that main context is
 *   freed
 * @ASGIREF_LOCAL_SCOPE_CUSTOM: values live in the object returned by the
 *   Local's scope function; they are freed when the object is finalized or
 *   emits the Local's finish signal
 *
 * Where an [class@Asgiref.Local] keeps its values.
 *
 * Only %ASGIREF_LOCAL_SCOPE_CONTEXT inherits: a copied context starts with
 * the values of the context it was copied from. The other scopes start empty
 * (tasklocal's discriminator semantics).
 */
typedef enum
{
  ASGIREF_LOCAL_SCOPE_CONTEXT,
  ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL,
  ASGIREF_LOCAL_SCOPE_MAIN_CONTEXT,
  ASGIREF_LOCAL_SCOPE_CUSTOM,
} AsgirefLocalScope;

/**
 * AsgirefSyncFlags:
 * @ASGIREF_SYNC_FLAGS_NONE: thread-sensitive: the function runs on the one
 *   thread where all thread-sensitive code of the process runs (see
 *   [class@Asgiref.Bridge])
 * @ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE: the function may run on any
 *   thread of the bridge's pool, concurrently with others
 *
 * How [method@Asgiref.Bridge.sync_to_async] runs a blocking function.
 */
typedef enum /*< flags >*/
{
  ASGIREF_SYNC_FLAGS_NONE = 0,
  ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE = 1 << 0,
} AsgirefSyncFlags;

G_END_DECLS
