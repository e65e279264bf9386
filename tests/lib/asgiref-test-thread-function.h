/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <asgiref.h>

G_BEGIN_DECLS

#define ASGIREF_TEST_TYPE_THREAD_FUNCTION (asgiref_test_thread_function_get_type ())

G_DECLARE_FINAL_TYPE (AsgirefTestThreadFunction, asgiref_test_thread_function,
                      ASGIREF_TEST, THREAD_FUNCTION, GObject)

AsgirefTestThreadFunction *asgiref_test_thread_function_new         (void);
guint                      asgiref_test_thread_function_get_n_calls (AsgirefTestThreadFunction *self);
gboolean                   asgiref_test_thread_function_is_main_thread (void);

AsgirefApplication        *asgiref_test_wsgi_echo_new (void);

G_END_DECLS
