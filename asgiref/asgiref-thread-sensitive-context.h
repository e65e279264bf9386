/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib-object.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_THREAD_SENSITIVE_CONTEXT (asgiref_thread_sensitive_context_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefThreadSensitiveContext, asgiref_thread_sensitive_context,
                      ASGIREF, THREAD_SENSITIVE_CONTEXT, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefThreadSensitiveContext *asgiref_thread_sensitive_context_new   (void);
ASGIREF_AVAILABLE_IN_1_0
void                           asgiref_thread_sensitive_context_enter (AsgirefThreadSensitiveContext *self);
ASGIREF_AVAILABLE_IN_1_0
void                           asgiref_thread_sensitive_context_leave (AsgirefThreadSensitiveContext *self);

G_END_DECLS
