/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-factory-application.h"
#include "asgiref-i18n-private.h"

/**
 * AsgirefFactoryApplication:
 *
 * A single-callable [iface@Asgiref.Application] made from a "double
 * callable" one, as asgiref's `guarantee_single_callable()` does: for each
 * scope it makes a new application object, then runs it for that scope.
 *
 * The objects come from an [callback@Asgiref.ApplicationFactory], or are
 * instances of a class made with the scope as its `scope` property
 * ([func@Asgiref.FactoryApplication.new_for_type]), which suits an
 * application that keeps per-connection state in its instance. The
 * property holds a [struct@Asgiref.Scope], a boxed type:
 *
 * ```c
 * // In my_consumer_class_init(): MyConsumer implements AsgirefApplication.
 * g_object_class_install_property (object_class, PROP_SCOPE,
 *   g_param_spec_boxed ("scope", NULL, NULL, ASGIREF_TYPE_SCOPE,
 *                       G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY |
 *                       G_PARAM_STATIC_STRINGS));
 *
 * // Then:
 * if (asgiref_application_type_is_double_callable (MY_TYPE_CONSUMER))
 *   app = asgiref_factory_application_new_for_type (MY_TYPE_CONSUMER);
 * ```
 *
 * Each instance lives until its call is done.
 */

struct _AsgirefFactoryApplication
{
  GObject parent_instance;

  /* Fixed at construction. */
  GType type;                   /* G_TYPE_INVALID: use factory */
  AsgirefApplicationFactory factory;
  gpointer user_data;
  GDestroyNotify destroy;
};

static void application_iface_init (AsgirefApplicationInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AsgirefFactoryApplication, asgiref_factory_application,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ASGIREF_TYPE_APPLICATION,
                                                      application_iface_init))

static GQuark
instance_quark (void)
{
  return g_quark_from_static_string ("asgiref-factory-application-instance");
}

static void
asgiref_factory_application_call (AsgirefApplication *app,
                                  AsgirefScope       *scope,
                                  AsgirefChannel     *channel,
                                  GTask              *task)
{
  AsgirefFactoryApplication *self = ASGIREF_FACTORY_APPLICATION (app);
  AsgirefApplication *instance;

  if (self->type != G_TYPE_INVALID)
    instance = g_object_new (self->type, "scope", scope, NULL);
  else
    instance = self->factory (scope, self->user_data);

  if (instance == NULL)
    {
      g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                               _("The ASGI application factory made no application"));
      return;
    }

  /* The instance serves the very task it was made for, and the task keeps
   * it alive until it is done. */
  g_object_set_qdata_full (G_OBJECT (task), instance_quark (), instance, g_object_unref);
  ASGIREF_APPLICATION_GET_IFACE (instance)->call (instance, scope, channel, task);
}

static void
application_iface_init (AsgirefApplicationInterface *iface)
{
  iface->call = asgiref_factory_application_call;
}

static void
asgiref_factory_application_finalize (GObject *object)
{
  AsgirefFactoryApplication *self = ASGIREF_FACTORY_APPLICATION (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);

  G_OBJECT_CLASS (asgiref_factory_application_parent_class)->finalize (object);
}

static void
asgiref_factory_application_class_init (AsgirefFactoryApplicationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = asgiref_factory_application_finalize;
}

static void
asgiref_factory_application_init (AsgirefFactoryApplication *self)
{
}

/**
 * asgiref_factory_application_new:
 * @factory: (scope notified) (closure user_data) (destroy destroy): makes
 *   the application object for each scope
 * @user_data: data for @factory
 * @destroy: (nullable): frees @user_data when the application is finalized
 *
 * Makes an application that serves each scope with a new object from
 * @factory.
 *
 * Returns: (transfer full): the new application
 */
AsgirefApplication *
asgiref_factory_application_new (AsgirefApplicationFactory factory,
                                 gpointer                  user_data,
                                 GDestroyNotify            destroy)
{
  AsgirefFactoryApplication *self;

  g_return_val_if_fail (factory != NULL, NULL);

  self = g_object_new (ASGIREF_TYPE_FACTORY_APPLICATION, NULL);
  self->factory = factory;
  self->user_data = user_data;
  self->destroy = destroy;
  return ASGIREF_APPLICATION (self);
}

/**
 * asgiref_factory_application_new_for_type:
 * @type: a double-callable application type (see
 *   [func@Asgiref.Application.type_is_double_callable])
 *
 * Makes an application that serves each scope with a new instance of
 * @type, constructed with the scope as its `scope` property (of type
 * [struct@Asgiref.Scope]).
 *
 * Returns: (transfer full): the new application
 */
AsgirefApplication *
asgiref_factory_application_new_for_type (GType type)
{
  AsgirefFactoryApplication *self;

  g_return_val_if_fail (asgiref_application_type_is_double_callable (type), NULL);

  self = g_object_new (ASGIREF_TYPE_FACTORY_APPLICATION, NULL);
  self->type = type;
  return ASGIREF_APPLICATION (self);
}
