/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-version.h"
#include "asgiref-i18n-private.h"

/**
 * asgiref_get_major_version:
 *
 * Returns the major version of the asgiref-glib library loaded at run time,
 * which may differ from [const@Asgiref.MAJOR_VERSION] that the caller was
 * compiled against.
 *
 * Returns: the major version
 */
guint
asgiref_get_major_version (void)
{
  return ASGIREF_MAJOR_VERSION;
}

/**
 * asgiref_get_minor_version:
 *
 * Returns the minor version of the library loaded at run time.
 *
 * Returns: the minor version
 */
guint
asgiref_get_minor_version (void)
{
  return ASGIREF_MINOR_VERSION;
}

/**
 * asgiref_get_micro_version:
 *
 * Returns the micro version of the library loaded at run time.
 *
 * Returns: the micro version
 */
guint
asgiref_get_micro_version (void)
{
  return ASGIREF_MICRO_VERSION;
}

/**
 * asgiref_check_version:
 * @required_major: the required major version
 * @required_minor: the required minor version
 * @required_micro: the required micro version
 *
 * Checks at run time that the loaded library is compatible with the given
 * version: same major version, and at least the given minor and micro.
 *
 * Returns: (nullable): %NULL when compatible, otherwise a translated
 *   message saying why, owned by the library
 */
const char *
asgiref_check_version (guint required_major,
                       guint required_minor,
                       guint required_micro)
{
  if (required_major != ASGIREF_MAJOR_VERSION)
    return required_major > ASGIREF_MAJOR_VERSION
           ? _("asgiref-glib version too old (major mismatch)")
           : _("asgiref-glib version too new (major mismatch)");
  if (required_minor > ASGIREF_MINOR_VERSION ||
      (required_minor == ASGIREF_MINOR_VERSION && required_micro > ASGIREF_MICRO_VERSION))
    return _("asgiref-glib version too old (minor or micro mismatch)");
  return NULL;
}
