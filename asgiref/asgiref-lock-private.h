/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/*
 * Debian's GLib is not built with ThreadSanitizer, so TSan cannot see the
 * futex-based GMutex order accesses, and reports every access it protects
 * as a race. These wrappers tell TSan about the ordering the mutex gives;
 * in other builds they are plain GMutex calls.
 */
#if defined(__SANITIZE_THREAD__)
# define ASGIREF_HAVE_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define ASGIREF_HAVE_TSAN 1
# endif
#endif

#ifdef ASGIREF_HAVE_TSAN
# include <sanitizer/tsan_interface.h>
# define _asgiref_tsan_acquire(addr) __tsan_acquire ((void *) (addr))
# define _asgiref_tsan_release(addr) __tsan_release ((void *) (addr))
#else
# define _asgiref_tsan_acquire(addr) G_STMT_START { (void) (addr); } G_STMT_END
# define _asgiref_tsan_release(addr) G_STMT_START { (void) (addr); } G_STMT_END
#endif

static inline void
_asgiref_mutex_lock (GMutex *mutex)
{
  g_mutex_lock (mutex);
  _asgiref_tsan_acquire (mutex);
}

static inline void
_asgiref_mutex_unlock (GMutex *mutex)
{
  _asgiref_tsan_release (mutex);
  g_mutex_unlock (mutex);
}
