/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_EXECUTOR (asgiref_executor_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefExecutor, asgiref_executor, ASGIREF, EXECUTOR, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefExecutor *asgiref_executor_new              (AsgirefExecutor     *outer);
ASGIREF_AVAILABLE_IN_1_0
AsgirefExecutor *asgiref_executor_get_outer        (AsgirefExecutor     *self);
ASGIREF_AVAILABLE_IN_1_0
GMainContext    *asgiref_executor_get_main_context (AsgirefExecutor     *self);
ASGIREF_AVAILABLE_IN_1_0
gboolean         asgiref_executor_is_owner         (AsgirefExecutor     *self);
ASGIREF_AVAILABLE_IN_1_0
gboolean         asgiref_executor_get_finished     (AsgirefExecutor     *self);

ASGIREF_AVAILABLE_IN_1_0
void             asgiref_executor_run_task         (AsgirefExecutor     *self,
                                                    GTask               *task,
                                                    GTaskThreadFunc      func);

ASGIREF_AVAILABLE_IN_1_0
void             asgiref_executor_set_result       (AsgirefExecutor     *self,
                                                    GAsyncResult        *result);
ASGIREF_AVAILABLE_IN_1_0
void             asgiref_executor_result_ready     (GObject             *source_object,
                                                    GAsyncResult        *result,
                                                    gpointer             executor);
ASGIREF_AVAILABLE_IN_1_0
GAsyncResult    *asgiref_executor_wait             (AsgirefExecutor     *self,
                                                    GError             **error);
ASGIREF_AVAILABLE_IN_1_0
void             asgiref_executor_finish           (AsgirefExecutor     *self);

G_END_DECLS
