/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_CONTEXT (asgiref_context_get_type ())

typedef struct _AsgirefContext AsgirefContext;

/**
 * AsgirefContextFunc:
 * @user_data: the data given with the function
 *
 * A function run inside a context by [method@Asgiref.Context.run].
 */
typedef void (*AsgirefContextFunc) (gpointer user_data);

ASGIREF_AVAILABLE_IN_1_0
GType           asgiref_context_get_type            (void) G_GNUC_CONST;
ASGIREF_AVAILABLE_IN_1_0
AsgirefContext *asgiref_context_new                 (void);
ASGIREF_AVAILABLE_IN_1_0
AsgirefContext *asgiref_context_ref                 (AsgirefContext      *self);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_context_unref               (AsgirefContext      *self);
ASGIREF_AVAILABLE_IN_1_0
AsgirefContext *asgiref_context_copy                (AsgirefContext      *self);
ASGIREF_AVAILABLE_IN_1_0
AsgirefContext *asgiref_context_get_current         (void);
ASGIREF_AVAILABLE_IN_1_0
AsgirefContext *asgiref_context_capture             (void);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_context_run                 (AsgirefContext      *self,
                                                     AsgirefContextFunc   func,
                                                     gpointer             user_data);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_context_enter               (AsgirefContext      *self);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_context_leave               (AsgirefContext      *self);
ASGIREF_AVAILABLE_IN_1_0
guint           asgiref_context_get_size            (AsgirefContext      *self);

ASGIREF_AVAILABLE_IN_1_0
gpointer        asgiref_context_bind_async_ready    (GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_context_async_ready         (GObject             *source_object,
                                                     GAsyncResult        *result,
                                                     gpointer             bound);
ASGIREF_AVAILABLE_IN_1_0
GTask          *asgiref_context_create_task            (gpointer             source_object,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_context_source_set_callback (GSource             *source,
                                                     GSourceFunc          func,
                                                     gpointer             user_data,
                                                     GDestroyNotify       notify);

/**
 * ASGIREF_CONTEXT_ASYNC_READY:
 * @callback: a #GAsyncReadyCallback
 * @user_data: its data
 *
 * Expands to the callback and user data arguments of a GIO `_async` call,
 * so that @callback runs in the context that is current now:
 *
 * ```c
 * g_file_load_contents_async (file, cancellable,
 *                             ASGIREF_CONTEXT_ASYNC_READY (on_loaded, self));
 * ```
 *
 * See `asgiref_context_bind_async_ready()`.
 */
#define ASGIREF_CONTEXT_ASYNC_READY(callback, user_data) \
  asgiref_context_async_ready, asgiref_context_bind_async_ready ((callback), (user_data))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefContext, asgiref_context_unref)

G_END_DECLS
