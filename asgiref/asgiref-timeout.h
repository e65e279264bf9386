/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_TIMEOUT (asgiref_timeout_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefTimeout, asgiref_timeout, ASGIREF, TIMEOUT, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefTimeout *asgiref_timeout_new                  (gint64           delay_us,
                                                      GCancellable    *parent);
ASGIREF_AVAILABLE_IN_1_0
AsgirefTimeout *asgiref_timeout_new_at               (gint64           deadline_us,
                                                      GCancellable    *parent);
ASGIREF_AVAILABLE_IN_1_0
AsgirefTimeout *asgiref_timeout_new_infinite         (GCancellable    *parent);

ASGIREF_AVAILABLE_IN_1_0
GCancellable   *asgiref_timeout_get_cancellable      (AsgirefTimeout  *self);
ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_timeout_get_expired          (AsgirefTimeout  *self);
ASGIREF_AVAILABLE_IN_1_0
gint64          asgiref_timeout_get_deadline         (AsgirefTimeout  *self);
ASGIREF_AVAILABLE_IN_1_0
gint64          asgiref_timeout_get_remaining        (AsgirefTimeout  *self);

ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_timeout_shift                (AsgirefTimeout  *self,
                                                      gint64           delta_us,
                                                      GError         **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_timeout_update               (AsgirefTimeout  *self,
                                                      gint64           deadline_us,
                                                      GError         **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_timeout_reject               (AsgirefTimeout  *self);

ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_timeout_translate_error      (AsgirefTimeout  *self,
                                                      GError         **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean        asgiref_timeout_set_error_if_expired (AsgirefTimeout  *self,
                                                      GError         **error);

G_END_DECLS
