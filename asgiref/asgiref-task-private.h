/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Runs @func (@data) once, in a later iteration of @context, whichever
 * thread calls this: not g_main_context_invoke(), which on a thread with no
 * thread-default main context runs it right here whenever the default one
 * is idle. Posts to one context run in the order they were made, at
 * G_PRIORITY_DEFAULT, from its inbox (see asgiref-task.c), which wakes the
 * context only when it may be sleeping; @func's return value is ignored.
 * @name (static) says what the post is, for a debugger. @data is handed
 * over as ThreadSanitizer sees it.
 */
void _asgiref_main_context_post (GMainContext *context,
                                 const char   *name,
                                 GSourceFunc   func,
                                 gpointer      data);

/*
 * Runs @func (@data) once, on the thread dispatching @context, when its
 * next iteration prepares to poll: work that may wait until the current
 * dispatch is over. To be called from a dispatch of @context, on its
 * thread, for a context that goes on being iterated. @func's return value
 * is ignored.
 */
void _asgiref_main_context_before_poll (GMainContext *context,
                                        const char   *name,
                                        GSourceFunc   func,
                                        gpointer      data);

/* In a function run by _asgiref_main_context_post(): takes over @data. */
void _asgiref_main_context_received (gpointer data);

/*
 * Drops a reference to @task on the main context its callback belongs to:
 * at once when the calling thread owns that context, otherwise from an idle
 * source there. The last reference to a task frees its task data and
 * source object, which must not happen on a worker thread.
 */
void _asgiref_task_unref_on_its_context (GTask *task);

G_END_DECLS
