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
 * @ASGIREF_ERROR_INVALID_MESSAGE: an ASGI message, scope or header list
 *   does not follow the ASGI 3.0 specification: a header HTTP cannot carry
 *   (see [ctor@Asgiref.Headers.new]), a value out of range or keys that do
 *   not go together (see [method@Asgiref.Message.validate] and
 *   [method@Asgiref.Scope.validate]), or, in the `a{sv}` form bindings
 *   use, a dictionary whose `type` is missing or unknown, that lacks a
 *   required key or has a value of the wrong type (see
 *   [ctor@Asgiref.Message.new_from_variant])
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

/**
 * AsgirefMessageKind:
 * @ASGIREF_MESSAGE_HTTP_REQUEST: `http.request`
 * @ASGIREF_MESSAGE_HTTP_RESPONSE_START: `http.response.start`
 * @ASGIREF_MESSAGE_HTTP_RESPONSE_BODY: `http.response.body`
 * @ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS: `http.response.trailers`
 * @ASGIREF_MESSAGE_HTTP_DISCONNECT: `http.disconnect`
 * @ASGIREF_MESSAGE_LIFESPAN_STARTUP: `lifespan.startup`
 * @ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE: `lifespan.startup.complete`
 * @ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED: `lifespan.startup.failed`
 * @ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN: `lifespan.shutdown`
 * @ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE: `lifespan.shutdown.complete`
 * @ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED: `lifespan.shutdown.failed`
 * @ASGIREF_MESSAGE_WEBSOCKET_CONNECT: `websocket.connect`
 * @ASGIREF_MESSAGE_WEBSOCKET_ACCEPT: `websocket.accept`
 * @ASGIREF_MESSAGE_WEBSOCKET_RECEIVE: `websocket.receive`
 * @ASGIREF_MESSAGE_WEBSOCKET_SEND: `websocket.send`
 * @ASGIREF_MESSAGE_WEBSOCKET_CLOSE: `websocket.close`
 * @ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT: `websocket.disconnect`
 * @ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START:
 *   `websocket.http.response.start` (the WebSocket Denial Response extension)
 * @ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY:
 *   `websocket.http.response.body` (the WebSocket Denial Response extension)
 *
 * The `type` of an [struct@Asgiref.Message]: every message of ASGI 3.0
 * (HTTP 2.3, WebSocket 2.3, lifespan 2.0) that this library knows.
 */
typedef enum
{
  ASGIREF_MESSAGE_HTTP_REQUEST,
  ASGIREF_MESSAGE_HTTP_RESPONSE_START,
  ASGIREF_MESSAGE_HTTP_RESPONSE_BODY,
  ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS,
  ASGIREF_MESSAGE_HTTP_DISCONNECT,
  ASGIREF_MESSAGE_LIFESPAN_STARTUP,
  ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE,
  ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED,
  ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN,
  ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE,
  ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED,
  ASGIREF_MESSAGE_WEBSOCKET_CONNECT,
  ASGIREF_MESSAGE_WEBSOCKET_ACCEPT,
  ASGIREF_MESSAGE_WEBSOCKET_RECEIVE,
  ASGIREF_MESSAGE_WEBSOCKET_SEND,
  ASGIREF_MESSAGE_WEBSOCKET_CLOSE,
  ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT,
  ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START,
  ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY,
} AsgirefMessageKind;

/**
 * AsgirefScopeKind:
 * @ASGIREF_SCOPE_HTTP: an `http` scope: one HTTP request
 * @ASGIREF_SCOPE_WEBSOCKET: a `websocket` scope: one WebSocket connection
 * @ASGIREF_SCOPE_LIFESPAN: the `lifespan` scope: the server's start and stop
 *
 * The `type` of an [struct@Asgiref.Scope].
 */
typedef enum
{
  ASGIREF_SCOPE_HTTP,
  ASGIREF_SCOPE_WEBSOCKET,
  ASGIREF_SCOPE_LIFESPAN,
} AsgirefScopeKind;

G_END_DECLS
