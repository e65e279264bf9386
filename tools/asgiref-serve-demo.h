/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <asgiref.h>

G_BEGIN_DECLS

/* The application `asgiref-serve` serves without --module. */
AsgirefApplication *asgiref_serve_demo_new (void);

G_END_DECLS
