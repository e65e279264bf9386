/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-server.h"

G_BEGIN_DECLS

/* asgiref_server_listen_systemd(), with the passed sockets numbered from
 * @first_fd rather than from 3: for tests, whose process has its own
 * descriptors there. */
gboolean _asgiref_server_listen_systemd_from (AsgirefServer  *self,
                                              int             first_fd,
                                              GError        **error);

G_END_DECLS
