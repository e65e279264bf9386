/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include "asgiref-application.h"

G_BEGIN_DECLS

/**
 * AsgirefApplicationFunc:
 * @scope: the scope of the instance
 * @channel: the instance's channel
 * @task: the task to complete when the instance is done (see
 *   [vfunc@Asgiref.Application.call])
 * @user_data: the data given with the function
 *
 * An ASGI application written as one function, made into an
 * [iface@Asgiref.Application] by [func@Asgiref.FunctionApplication.new].
 */
typedef void (*AsgirefApplicationFunc) (AsgirefScope   *scope,
                                        AsgirefChannel *channel,
                                        GTask          *task,
                                        gpointer        user_data);

#define ASGIREF_TYPE_FUNCTION_APPLICATION (asgiref_function_application_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (AsgirefFunctionApplication, asgiref_function_application,
                      ASGIREF, FUNCTION_APPLICATION, GObject)

ASGIREF_AVAILABLE_IN_1_0
AsgirefApplication *asgiref_function_application_new (AsgirefApplicationFunc func,
                                                      gpointer               user_data,
                                                      GDestroyNotify         destroy);

G_END_DECLS
