/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib-object.h>

#include "asgiref-enums.h"
#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_LOCAL (asgiref_local_get_type ())

ASGIREF_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (AsgirefLocal, asgiref_local, ASGIREF, LOCAL, GObject)

/**
 * AsgirefLocalClass:
 * @parent_class: the parent class
 * @initialize: class handler of [signal@Asgiref.Local::initialize]: sets
 *   the defaults of a context, thread or scope the Local is first used in
 *
 * The class of [class@Asgiref.Local]. Subclass it to give every new context
 * its own defaults, as a `asgiref.local.Local` subclass with an `__init__`
 * would.
 */
struct _AsgirefLocalClass
{
  GObjectClass parent_class;

  void (*initialize) (AsgirefLocal *self);

  /*< private >*/
  gpointer padding[8];
};

/**
 * AsgirefLocalScopeFunc:
 * @user_data: the data given with the function
 *
 * Returns the object whose storage a %ASGIREF_LOCAL_SCOPE_CUSTOM Local
 * uses right now on the calling thread: for example the task being served,
 * or the request being handled.
 *
 * It is called on the thread that reads or writes the Local, every time it
 * does, so it must be cheap and thread-safe.
 *
 * Returns: (transfer none) (nullable): the current scope object, or %NULL
 *   when there is none (reads then find nothing and writes are refused)
 */
typedef GObject *(*AsgirefLocalScopeFunc) (gpointer user_data);

ASGIREF_AVAILABLE_IN_1_0
AsgirefLocal      *asgiref_local_new                 (void);
ASGIREF_AVAILABLE_IN_1_0
AsgirefLocal      *asgiref_local_new_thread_critical (void);
ASGIREF_AVAILABLE_IN_1_0
AsgirefLocal      *asgiref_local_new_for_main_context (void);
ASGIREF_AVAILABLE_IN_1_0
AsgirefLocal      *asgiref_local_new_for_scope       (AsgirefLocalScopeFunc  scope_func,
                                                      gpointer               user_data,
                                                      GDestroyNotify         notify,
                                                      const char            *finish_signal);
ASGIREF_AVAILABLE_IN_1_0
AsgirefLocalScope  asgiref_local_get_scope           (AsgirefLocal          *self);

ASGIREF_AVAILABLE_IN_1_0
gboolean           asgiref_local_get_value           (AsgirefLocal          *self,
                                                      const char            *name,
                                                      GValue                *value,
                                                      GError               **error);
ASGIREF_AVAILABLE_IN_1_0
void               asgiref_local_set_value           (AsgirefLocal          *self,
                                                      const char            *name,
                                                      const GValue          *value);
ASGIREF_AVAILABLE_IN_1_0
gboolean           asgiref_local_contains            (AsgirefLocal          *self,
                                                      const char            *name);
ASGIREF_AVAILABLE_IN_1_0
gboolean           asgiref_local_remove              (AsgirefLocal          *self,
                                                      const char            *name);
ASGIREF_AVAILABLE_IN_1_0
char             **asgiref_local_list_names          (AsgirefLocal          *self);

ASGIREF_AVAILABLE_IN_1_0
gpointer           asgiref_local_get_pointer         (AsgirefLocal          *self,
                                                      const char            *name);
ASGIREF_AVAILABLE_IN_1_0
void               asgiref_local_set_pointer         (AsgirefLocal          *self,
                                                      const char            *name,
                                                      gpointer               data,
                                                      GDestroyNotify         destroy);

G_END_DECLS
