/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "asgiref-completion-private.h"
#include "asgiref-context.h"

G_BEGIN_DECLS

/*
 * The GAsyncResult of an asynchronous operation on the per-request path
 * (the channel's receives and sends): what GTask promises, for a fraction
 * of its cost. The callback runs on the thread-default main context of
 * the thread that started the operation, never from within the call that
 * started it nor from the main loop iteration it was started in (nor,
 * once its cancellable was cancelled, where a cancellation handler may
 * be running), with that context as thread-default, and in the
 * AsgirefContext that was current when the operation started (or a copy,
 * should another thread have that one entered), as
 * asgiref_context_create_task() does. When the operation completes on
 * that context in a later iteration, the callback runs at once;
 * otherwise from the context's completion source (one for all
 * operations, see asgiref-completion-private.h), not from an idle source
 * of its own. It has no properties, so no notify::completed, and no task
 * data.
 *
 * Subclasses add what the owner of the operation keeps in it (the
 * channel's queue entry).
 */
#define ASGIREF_TYPE_OPERATION (_asgiref_operation_get_type ())
G_DECLARE_DERIVABLE_TYPE (AsgirefOperation, _asgiref_operation, ASGIREF, OPERATION, GObject)

struct _AsgirefOperationClass
{
  GObjectClass parent_class;
};

/* Starts an operation of @type (a subclass, or ASGIREF_TYPE_OPERATION).
 * Returns the caller's reference. (transfer full) */
gpointer      _asgiref_operation_new            (GType                type,
                                                 gpointer             source_object,
                                                 gpointer             source_tag,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

GCancellable *_asgiref_operation_get_cancellable (AsgirefOperation   *self);

/* The completion source of the operation's main context, for an owner
 * that queues completions of its own in order with the operation's.
 * (transfer full) */
AsgirefCompletionSource *_asgiref_operation_get_completion_source (AsgirefOperation *self);

/* Drops a reference on the operation's main context: at once when the
 * calling thread owns it, otherwise from an idle there, so that the last
 * one (which drops the source object's) is not dropped on a worker. */
void          _asgiref_operation_unref_on_its_context (AsgirefOperation *self);

/* Completes the operation, once, from any thread; none of these takes the
 * caller's reference. A result nobody propagates is freed with the
 * operation. */
void          _asgiref_operation_return_boolean (AsgirefOperation    *self,
                                                 gboolean             value);
void          _asgiref_operation_return_pointer (AsgirefOperation    *self,
                                                 gpointer             result,
                                                 GDestroyNotify       result_destroy);
void          _asgiref_operation_return_error   (AsgirefOperation    *self,
                                                 GError              *error);
/* From a dispatch of the completion source of the operation's main
 * context, where no cancellation handler runs: the callback may run at
 * once even though the cancellable was cancelled. */
void          _asgiref_operation_return_error_in_dispatch (AsgirefOperation *self,
                                                           GError           *error);
void          _asgiref_operation_return_new_error (AsgirefOperation  *self,
                                                   GQuark             domain,
                                                   gint               code,
                                                   const char        *message);

/* Completes with G_IO_ERROR_CANCELLED if the cancellable is cancelled
 * already, as g_task_return_error_if_cancelled() does. */
gboolean      _asgiref_operation_return_error_if_cancelled (AsgirefOperation *self);

/* Whether @result is an operation of @source_object started by the
 * function @source_tag. */
gboolean      _asgiref_operation_is_valid       (gpointer             result,
                                                 gpointer             source_object,
                                                 gpointer             source_tag);

gboolean      _asgiref_operation_propagate_boolean (AsgirefOperation  *self,
                                                    GError           **error);
gpointer      _asgiref_operation_propagate_pointer (AsgirefOperation  *self,
                                                    GError           **error);

G_END_DECLS
