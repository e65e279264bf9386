/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The version macros of the headers and the version of the library
 * loaded at run time.
 */

#include <asgiref.h>

static void
test_runtime_version_matches_headers (void)
{
  g_autofree char *joined = NULL;

  g_assert_cmpuint (asgiref_get_major_version (), ==, ASGIREF_MAJOR_VERSION);
  g_assert_cmpuint (asgiref_get_minor_version (), ==, ASGIREF_MINOR_VERSION);
  g_assert_cmpuint (asgiref_get_micro_version (), ==, ASGIREF_MICRO_VERSION);

  joined = g_strdup_printf ("%d.%d.%d", ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION,
                            ASGIREF_MICRO_VERSION);
  g_assert_cmpstr (joined, ==, ASGIREF_VERSION_S);
}

static void
test_check_version_macro_compares_at_compile_time (void)
{
  G_STATIC_ASSERT (ASGIREF_CHECK_VERSION (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION, ASGIREF_MICRO_VERSION));
  G_STATIC_ASSERT (ASGIREF_CHECK_VERSION (ASGIREF_MAJOR_VERSION, 0, 0));
  G_STATIC_ASSERT (!ASGIREF_CHECK_VERSION (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION, ASGIREF_MICRO_VERSION + 1));
  G_STATIC_ASSERT (!ASGIREF_CHECK_VERSION (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION + 1, 0));
  G_STATIC_ASSERT (!ASGIREF_CHECK_VERSION (ASGIREF_MAJOR_VERSION + 1, 0, 0));

  g_assert_true (ASGIREF_CHECK_VERSION (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION, ASGIREF_MICRO_VERSION));
}

static void
test_check_version_accepts_same_or_older (void)
{
  g_assert_null (asgiref_check_version (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION, ASGIREF_MICRO_VERSION));
  g_assert_null (asgiref_check_version (ASGIREF_MAJOR_VERSION, 0, 0));
  if (ASGIREF_MICRO_VERSION > 0)
    g_assert_null (asgiref_check_version (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION, ASGIREF_MICRO_VERSION - 1));
  if (ASGIREF_MINOR_VERSION > 0)
    g_assert_null (asgiref_check_version (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION - 1, 999));
}

static void
test_check_version_refuses_newer_or_other_major (void)
{
  const char *message;

  message = asgiref_check_version (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION, ASGIREF_MICRO_VERSION + 1);
  g_assert_nonnull (message);
  g_assert_cmpstr (message, !=, "");

  g_assert_nonnull (asgiref_check_version (ASGIREF_MAJOR_VERSION, ASGIREF_MINOR_VERSION + 1, 0));
  g_assert_nonnull (asgiref_check_version (ASGIREF_MAJOR_VERSION + 1, 0, 0));
  if (ASGIREF_MAJOR_VERSION > 0)
    g_assert_nonnull (asgiref_check_version (ASGIREF_MAJOR_VERSION - 1, ASGIREF_MINOR_VERSION, 0));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Version/runtime-version-matches-headers",
                   test_runtime_version_matches_headers);
  g_test_add_func ("/Asgiref/Version/check-version-macro-compares-at-compile-time",
                   test_check_version_macro_compares_at_compile_time);
  g_test_add_func ("/Asgiref/Version/check-version-accepts-same-or-older",
                   test_check_version_accepts_same_or_older);
  g_test_add_func ("/Asgiref/Version/check-version-refuses-newer-or-other-major",
                   test_check_version_refuses_newer_or_other_major);

  return g_test_run ();
}
