/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include "asgiref-application.h"

G_BEGIN_DECLS

/**
 * AsgirefApplicationFactory:
 * @scope: the scope of a new instance
 * @user_data: the data given with the factory
 *
 * Makes the application object that serves @scope, one per scope: the
 * first call of a "double callable" ASGI application.
 *
 * Returns: (transfer full) (nullable): the instance, or %NULL if it could
 *   not be made (the instance then fails with %ASGIREF_ERROR_FAILED)
 */
typedef AsgirefApplication *(*AsgirefApplicationFactory) (AsgirefScope *scope,
                                                          gpointer  user_data);

#define ASGIREF_TYPE_FACTORY_APPLICATION (asgiref_factory_application_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefFactoryApplication, asgiref_factory_application,
                      ASGIREF, FACTORY_APPLICATION, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefApplication *asgiref_factory_application_new          (AsgirefApplicationFactory  factory,
                                                              gpointer                   user_data,
                                                              GDestroyNotify             destroy);
ASGIREF_AVAILABLE_IN_1_0
AsgirefApplication *asgiref_factory_application_new_for_type (GType                      type);

G_END_DECLS
