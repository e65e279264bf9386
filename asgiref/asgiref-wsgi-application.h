/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <gio/gio.h>

#include "asgiref-bridge.h"
#include "asgiref-scope.h"
#include "asgiref-version-macros.h"
#include "asgiref-wsgi-response.h"

G_BEGIN_DECLS

/**
 * AsgirefWsgiHandler:
 * @scope: the request: method, path, query, headers, client and server
 * @body: the request body, a blocking stream; it ends where the body does
 * @response: where the response goes
 * @user_data: the data given with the handler
 * @error: return location for an error
 *
 * A synchronous request handler, run on a worker thread: WSGI's
 * application callable for C. It reads @body as it needs, starts
 * @response, writes its body, and returns.
 *
 * Returns: %TRUE when it answered, %FALSE with @error set when it failed
 */
typedef gboolean (*AsgirefWsgiHandler) (AsgirefScope         *scope,
                                        GInputStream         *body,
                                        AsgirefWsgiResponse  *response,
                                        gpointer              user_data,
                                        GError              **error);

#define ASGIREF_TYPE_WSGI_APPLICATION (asgiref_wsgi_application_get_type ())
ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefWsgiApplication, asgiref_wsgi_application, ASGIREF, WSGI_APPLICATION, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefApplication *asgiref_wsgi_application_new                  (AsgirefWsgiHandler      handler,
                                                                   gpointer                user_data,
                                                                   GDestroyNotify          destroy);
ASGIREF_AVAILABLE_IN_1_0
gboolean            asgiref_wsgi_application_get_thread_sensitive (AsgirefWsgiApplication *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_wsgi_application_set_thread_sensitive (AsgirefWsgiApplication *self,
                                                                   gboolean                thread_sensitive);
ASGIREF_AVAILABLE_IN_1_0
AsgirefBridge      *asgiref_wsgi_application_get_bridge           (AsgirefWsgiApplication *self);
ASGIREF_AVAILABLE_IN_1_0
void                asgiref_wsgi_application_set_bridge           (AsgirefWsgiApplication *self,
                                                                   AsgirefBridge          *bridge);

G_END_DECLS
