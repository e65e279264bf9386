/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-headers.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_WSGI_RESPONSE (asgiref_wsgi_response_get_type ())
ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefWsgiResponse, asgiref_wsgi_response, ASGIREF, WSGI_RESPONSE, GObject)

ASGIREF_AVAILABLE_IN_1_0
gboolean asgiref_wsgi_response_start            (AsgirefWsgiResponse  *self,
                                                 guint                 status,
                                                 AsgirefHeaders       *headers,
                                                 GError              **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean asgiref_wsgi_response_write            (AsgirefWsgiResponse  *self,
                                                 GBytes               *data,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
ASGIREF_AVAILABLE_IN_1_0
gboolean asgiref_wsgi_response_get_headers_sent (AsgirefWsgiResponse  *self);
ASGIREF_AVAILABLE_IN_1_0
guint    asgiref_wsgi_response_get_status       (AsgirefWsgiResponse  *self);

G_END_DECLS
