/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Drops a reference to @task on the main context its callback belongs to:
 * at once when the calling thread owns that context, otherwise from an idle
 * source there. The last reference to a task frees its task data and
 * source object, which must not happen on a worker thread.
 */
void _asgiref_task_unref_on_its_context (GTask *task);

G_END_DECLS
