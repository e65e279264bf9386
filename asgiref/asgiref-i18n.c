/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <libintl.h>

#include "asgiref-i18n-private.h"

const char *
_asgiref_gettext (const char *msgid)
{
  static gsize bound = 0;

  if (g_once_init_enter (&bound))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&bound, 1);
    }

  return g_dgettext (GETTEXT_PACKAGE, msgid);
}
