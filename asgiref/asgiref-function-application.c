/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-function-application.h"

/**
 * AsgirefFunctionApplication:
 *
 * An [iface@Asgiref.Application] made of a single function, for the
 * applications that need no state of their own:
 *
 * ```c
 * g_autoptr(AsgirefApplication) app =
 *   asgiref_function_application_new (hello_app, NULL, NULL);
 * ```
 *
 * where `hello_app` has the shape of [callback@Asgiref.ApplicationFunc]
 * and does what the `call` function of the [iface@Asgiref.Application]
 * example does.
 */

struct _AsgirefFunctionApplication
{
  GObject parent_instance;

  AsgirefApplicationFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
};

static void application_iface_init (AsgirefApplicationInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AsgirefFunctionApplication, asgiref_function_application,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ASGIREF_TYPE_APPLICATION,
                                                      application_iface_init))

static void
asgiref_function_application_call (AsgirefApplication *app,
                                   AsgirefScope       *scope,
                                   AsgirefChannel     *channel,
                                   GTask              *task)
{
  AsgirefFunctionApplication *self = ASGIREF_FUNCTION_APPLICATION (app);

  self->func (scope, channel, task, self->user_data);
}

static void
application_iface_init (AsgirefApplicationInterface *iface)
{
  iface->call = asgiref_function_application_call;
}

static void
asgiref_function_application_finalize (GObject *object)
{
  AsgirefFunctionApplication *self = ASGIREF_FUNCTION_APPLICATION (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);

  G_OBJECT_CLASS (asgiref_function_application_parent_class)->finalize (object);
}

static void
asgiref_function_application_class_init (AsgirefFunctionApplicationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = asgiref_function_application_finalize;
}

static void
asgiref_function_application_init (AsgirefFunctionApplication *self)
{
}

/**
 * asgiref_function_application_new:
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   application function, called once per instance
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the application is finalized
 *
 * Makes @func an [iface@Asgiref.Application].
 *
 * Returns: (transfer full): the new application
 */
AsgirefApplication *
asgiref_function_application_new (AsgirefApplicationFunc func,
                                  gpointer               user_data,
                                  GDestroyNotify         destroy)
{
  AsgirefFunctionApplication *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (ASGIREF_TYPE_FUNCTION_APPLICATION, NULL);
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  return ASGIREF_APPLICATION (self);
}
