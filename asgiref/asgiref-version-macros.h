/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib.h>

/* The library is built with hidden visibility: only declarations that
 * carry one of these macros are exported. */
#if defined(_WIN32) || defined(__CYGWIN__)
# define _ASGIREF_EXTERN __declspec(dllexport) extern
#else
# define _ASGIREF_EXTERN __attribute__((visibility("default"))) extern
#endif

#define ASGIREF_VERSION_1_0 (G_ENCODE_VERSION (1, 0))

#ifndef ASGIREF_VERSION_MIN_REQUIRED
# define ASGIREF_VERSION_MIN_REQUIRED ASGIREF_VERSION_1_0
#endif

#define ASGIREF_AVAILABLE_IN_ALL _ASGIREF_EXTERN
#define ASGIREF_AVAILABLE_IN_1_0 _ASGIREF_EXTERN
