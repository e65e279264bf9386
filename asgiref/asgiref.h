/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <glib-object.h>
#include <gio/gio.h>

#define ASGIREF_INSIDE
# include "asgiref-version-macros.h"
# include "asgiref-version.h"
# include "asgiref-enums.h"
# include "asgiref-enum-types.h"
# include "asgiref-error.h"
# include "asgiref-headers.h"
# include "asgiref-application.h"
# include "asgiref-bridge.h"
# include "asgiref-channel.h"
# include "asgiref-communicator.h"
# include "asgiref-context.h"
# include "asgiref-executor.h"
# include "asgiref-factory-application.h"
# include "asgiref-function-application.h"
# include "asgiref-local.h"
# include "asgiref-message.h"
# include "asgiref-scope.h"
# include "asgiref-scope-builder.h"
# include "asgiref-server.h"
# include "asgiref-stateless-server.h"
# include "asgiref-sync-function.h"
# include "asgiref-thread-sensitive-context.h"
# include "asgiref-timeout.h"
# include "asgiref-wsgi-response.h"
# include "asgiref-wsgi-application.h"
#undef ASGIREF_INSIDE
