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

G_END_DECLS
