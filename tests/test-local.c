/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefLocal: named values per context, per thread, per main context or
 * per scope object; their lifetimes, per-context initialisation, and use
 * from many threads at once.
 *
 * CONTEXT-scoped tests work in contexts of their own and every test uses
 * Locals of its own, so no value outlives the test that set it.
 */

#include <string.h>

#include <asgiref.h>

#include "test-util.h"

#define N_THREADS 8

/* {{{ Test types: a counting boxed type, a Local subclass, a scope object */

typedef struct
{
  int payload;
} TestBoxed;

static gint boxed_copies;
static gint boxed_frees;

static TestBoxed *
test_boxed_copy (TestBoxed *boxed)
{
  TestBoxed *copy = g_new0 (TestBoxed, 1);

  g_atomic_int_inc (&boxed_copies);
  copy->payload = boxed->payload;
  return copy;
}

static void
test_boxed_free (TestBoxed *boxed)
{
  g_atomic_int_inc (&boxed_frees);
  g_free (boxed);
}

#define TEST_TYPE_BOXED (test_boxed_get_type ())
GType test_boxed_get_type (void);
G_DEFINE_BOXED_TYPE (TestBoxed, test_boxed, test_boxed_copy, test_boxed_free)

/* A Local subclass that gives every new context a default, as a Python
 * asgiref.local.Local subclass with an __init__ would. */
#define TEST_TYPE_DEFAULTS_LOCAL (test_defaults_local_get_type ())
G_DECLARE_FINAL_TYPE (TestDefaultsLocal, test_defaults_local, TEST, DEFAULTS_LOCAL, AsgirefLocal)

struct _TestDefaultsLocal
{
  AsgirefLocal parent_instance;
  gint         runs;
};

G_DEFINE_FINAL_TYPE (TestDefaultsLocal, test_defaults_local, ASGIREF_TYPE_LOCAL)

static void
test_defaults_local_initialize (AsgirefLocal *local)
{
  TestDefaultsLocal *self = TEST_DEFAULTS_LOCAL (local);
  g_auto(GValue) value = G_VALUE_INIT;

  g_atomic_int_inc (&self->runs);

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_static_string (&value, "from-vfunc");
  asgiref_local_set_value (local, "greeting", &value);
}

static void
test_defaults_local_class_init (TestDefaultsLocalClass *klass)
{
  ASGIREF_LOCAL_CLASS (klass)->initialize = test_defaults_local_initialize;
}

static void
test_defaults_local_init (TestDefaultsLocal *self)
{
}

/* An object with a "finished" signal, to end a CUSTOM scope. */
#define TEST_TYPE_SCOPE (test_scope_get_type ())
G_DECLARE_FINAL_TYPE (TestScope, test_scope, TEST, SCOPE, GObject)

struct _TestScope
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (TestScope, test_scope, G_TYPE_OBJECT)

static void
test_scope_class_init (TestScopeClass *klass)
{
  g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
test_scope_init (TestScope *self)
{
}

/* The scope function of CUSTOM Locals returns this; only the main thread
 * uses it. */
static GObject *current_scope_object;

static GObject *
current_scope_func (gpointer user_data)
{
  return current_scope_object;
}

/* }}} */

/* {{{ Small helpers */

static void
set_int (AsgirefLocal *local,
         const char   *name,
         int           number)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, number);
  asgiref_local_set_value (local, name, &value);
}

static int
get_int (AsgirefLocal *local,
         const char   *name)
{
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_local_get_value (local, name, &value, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_INT (&value));
  return g_value_get_int (&value);
}

static void
assert_names (AsgirefLocal       *local,
              const char * const *expected)
{
  g_auto(GStrv) names = asgiref_local_list_names (local);

  g_assert_nonnull (names);
  g_assert_cmpstrv (names, expected);
}

static void
count_int_notify (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

/* }}} */

/* {{{ Basics */

static void
test_constructors_set_the_scope (void)
{
  g_autoptr(AsgirefLocal) plain = asgiref_local_new ();
  g_autoptr(AsgirefLocal) critical = asgiref_local_new_thread_critical ();
  g_autoptr(AsgirefLocal) main_context = asgiref_local_new_for_main_context ();
  g_autoptr(AsgirefLocal) custom = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, NULL);

  g_assert_cmpint (asgiref_local_get_scope (plain), ==, ASGIREF_LOCAL_SCOPE_CONTEXT);
  g_assert_cmpint (asgiref_local_get_scope (critical), ==, ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL);
  g_assert_cmpint (asgiref_local_get_scope (main_context), ==, ASGIREF_LOCAL_SCOPE_MAIN_CONTEXT);
  g_assert_cmpint (asgiref_local_get_scope (custom), ==, ASGIREF_LOCAL_SCOPE_CUSTOM);
}

static void
test_scope_is_a_construct_property (void)
{
  g_autoptr(AsgirefLocal) plain = g_object_new (ASGIREF_TYPE_LOCAL, NULL);
  g_autoptr(AsgirefLocal) critical = NULL;
  g_autoptr(AsgirefLocal) main_context = NULL;
  AsgirefLocalScope scope = ASGIREF_LOCAL_SCOPE_CONTEXT;

  g_assert_cmpint (asgiref_local_get_scope (plain), ==, ASGIREF_LOCAL_SCOPE_CONTEXT);

  critical = g_object_new (ASGIREF_TYPE_LOCAL, "scope", ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL, NULL);
  g_assert_cmpint (asgiref_local_get_scope (critical), ==, ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL);
  g_object_get (critical, "scope", &scope, NULL);
  g_assert_cmpint (scope, ==, ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL);

  main_context = g_object_new (ASGIREF_TYPE_LOCAL, "scope", ASGIREF_LOCAL_SCOPE_MAIN_CONTEXT, NULL);
  g_assert_cmpint (asgiref_local_get_scope (main_context), ==, ASGIREF_LOCAL_SCOPE_MAIN_CONTEXT);

  g_assert_true (G_TYPE_IS_ENUM (ASGIREF_TYPE_LOCAL_SCOPE));
}

static void
test_get_value_of_missing_name_is_not_set_error (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  asgiref_context_enter (ctx);
  g_assert_false (asgiref_local_get_value (local, "missing", &value, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_NOT_SET);
  g_assert_cmpuint (G_VALUE_TYPE (&value), ==, G_TYPE_INVALID);

  /* The error is optional. */
  g_assert_false (asgiref_local_get_value (local, "missing", &value, NULL));
  g_assert_cmpuint (G_VALUE_TYPE (&value), ==, G_TYPE_INVALID);
  asgiref_context_leave (ctx);
}

static void
test_get_pointer_of_missing_name_is_null (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  asgiref_context_enter (ctx);
  g_assert_null (asgiref_local_get_pointer (local, "missing"));
  g_assert_false (asgiref_local_contains (local, "missing"));
  asgiref_context_leave (ctx);
}

static void
test_remove_returns_whether_a_value_was_removed (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  asgiref_context_enter (ctx);
  g_assert_false (asgiref_local_remove (local, "x"));

  test_set_string (local, "x", "value");
  g_assert_true (asgiref_local_contains (local, "x"));
  g_assert_true (asgiref_local_remove (local, "x"));
  g_assert_false (asgiref_local_contains (local, "x"));
  g_assert_null (asgiref_local_get_pointer (local, "x"));
  g_assert_false (asgiref_local_remove (local, "x"));
  asgiref_context_leave (ctx);
}

static void
test_list_names_is_sorted (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefLocal) other = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  const char * const none[] = { NULL };
  const char * const sorted[] = { "alpha", "mid", "user_id", "zeta", NULL };
  const char * const after_remove[] = { "alpha", "user_id", "zeta", NULL };

  asgiref_context_enter (ctx);
  assert_names (local, none);

  test_set_string (local, "zeta", "1");
  test_set_string (local, "alpha", "2");
  set_int (local, "user_id", 3);
  test_set_string (local, "mid", "4");
  /* Another Local's names are its own. */
  test_set_string (other, "beta", "5");

  assert_names (local, sorted);
  g_assert_true (asgiref_local_remove (local, "mid"));
  assert_names (local, after_remove);
  asgiref_context_leave (ctx);
}

static void
test_separate_locals_do_not_share_names (void)
{
  g_autoptr(AsgirefLocal) first = asgiref_local_new ();
  g_autoptr(AsgirefLocal) second = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  asgiref_context_enter (ctx);
  test_set_string (first, "x", "first");
  g_assert_false (asgiref_local_contains (second, "x"));
  test_set_string (second, "x", "second");
  g_assert_cmpstr (test_get_string (first, "x"), ==, "first");
  g_assert_cmpstr (test_get_string (second, "x"), ==, "second");
  g_assert_true (asgiref_local_remove (first, "x"));
  g_assert_cmpstr (test_get_string (second, "x"), ==, "second");
  asgiref_context_leave (ctx);
}

static void
test_gvalue_int_round_trip (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  asgiref_context_enter (ctx);
  set_int (local, "n", 42);
  g_assert_cmpint (get_int (local, "n"), ==, 42);
  set_int (local, "n", -7);
  g_assert_cmpint (get_int (local, "n"), ==, -7);
  asgiref_context_leave (ctx);
}

static void
test_gvalue_string_round_trip_copies (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_auto(GValue) in = G_VALUE_INIT;
  g_auto(GValue) out = G_VALUE_INIT;
  char *buffer = g_strdup ("hello");

  asgiref_context_enter (ctx);

  /* The GValue does not own the string: the Local must take a copy. */
  g_value_init (&in, G_TYPE_STRING);
  g_value_set_static_string (&in, buffer);
  asgiref_local_set_value (local, "s", &in);
  buffer[0] = 'J';
  g_free (buffer);
  g_value_unset (&in);

  g_assert_true (asgiref_local_get_value (local, "s", &out, NULL));
  g_assert_true (G_VALUE_HOLDS_STRING (&out));
  g_assert_cmpstr (g_value_get_string (&out), ==, "hello");
  g_value_unset (&out);

  /* Another type replaces it. */
  set_int (local, "s", 1);
  g_assert_cmpint (get_int (local, "s"), ==, 1);
  asgiref_context_leave (ctx);
}

static void
test_gvalue_object_round_trip_holds_one_reference (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  AsgirefContext *ctx = asgiref_context_new ();
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);
  g_auto(GValue) in = G_VALUE_INIT;
  g_auto(GValue) out = G_VALUE_INIT;

  asgiref_context_enter (ctx);

  g_value_init (&in, G_TYPE_OBJECT);
  g_value_set_object (&in, object);
  asgiref_local_set_value (local, "o", &in);
  g_value_unset (&in);
  g_assert_cmpuint (object->ref_count, ==, 2);

  g_assert_true (asgiref_local_get_value (local, "o", &out, NULL));
  g_assert_true (G_VALUE_HOLDS_OBJECT (&out));
  g_assert_true (g_value_get_object (&out) == object);
  g_assert_cmpuint (object->ref_count, ==, 3);
  g_value_unset (&out);
  g_assert_cmpuint (object->ref_count, ==, 2);

  /* get_pointer gives the object itself, without a reference. */
  g_assert_true (asgiref_local_get_pointer (local, "o") == object);
  g_assert_cmpuint (object->ref_count, ==, 2);

  g_assert_true (asgiref_local_remove (local, "o"));
  g_assert_cmpuint (object->ref_count, ==, 1);

  /* Set again: the reference goes with the context. */
  g_value_init (&in, G_TYPE_OBJECT);
  g_value_set_object (&in, object);
  asgiref_local_set_value (local, "o", &in);
  g_value_unset (&in);
  asgiref_context_leave (ctx);

  g_assert_cmpuint (object->ref_count, ==, 2);
  g_object_add_weak_pointer (object, (gpointer *) &object);
  g_object_unref (object);
  g_assert_nonnull (object);
  asgiref_context_unref (ctx);
  g_assert_null (object);
}

static void
test_gvalue_boxed_round_trip_copies (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  AsgirefContext *ctx = asgiref_context_new ();
  TestBoxed original = { 1234 };
  g_auto(GValue) in = G_VALUE_INIT;
  g_auto(GValue) out = G_VALUE_INIT;
  TestBoxed *stored;

  g_atomic_int_set (&boxed_copies, 0);
  g_atomic_int_set (&boxed_frees, 0);

  asgiref_context_enter (ctx);
  g_value_init (&in, TEST_TYPE_BOXED);
  g_value_set_boxed (&in, &original);
  asgiref_local_set_value (local, "b", &in);
  g_value_unset (&in);

  /* get_pointer gives the stored copy. */
  stored = asgiref_local_get_pointer (local, "b");
  g_assert_nonnull (stored);
  g_assert_true (stored != &original);
  g_assert_cmpint (stored->payload, ==, 1234);

  g_assert_true (asgiref_local_get_value (local, "b", &out, NULL));
  g_assert_true (G_VALUE_HOLDS (&out, TEST_TYPE_BOXED));
  g_assert_cmpint (((TestBoxed *) g_value_get_boxed (&out))->payload, ==, 1234);
  g_value_unset (&out);
  asgiref_context_leave (ctx);

  /* Exactly one copy lives, in the context, until the context goes. */
  g_assert_cmpint (g_atomic_int_get (&boxed_frees), ==, g_atomic_int_get (&boxed_copies) - 1);
  asgiref_context_unref (ctx);
  g_assert_cmpint (g_atomic_int_get (&boxed_frees), ==, g_atomic_int_get (&boxed_copies));
}

static void
test_get_pointer_returns_pointer_held_by_gvalue (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_auto(GValue) value = G_VALUE_INIT;
  static int target;

  asgiref_context_enter (ctx);
  g_value_init (&value, G_TYPE_POINTER);
  g_value_set_pointer (&value, &target);
  asgiref_local_set_value (local, "p", &value);
  g_assert_true (asgiref_local_get_pointer (local, "p") == &target);
  asgiref_context_leave (ctx);
}

/* }}} */

/* {{{ CONTEXT scope: isolation and inheritance */

static void
test_values_isolated_between_contexts (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) first = asgiref_context_new ();
  g_autoptr(AsgirefContext) second = asgiref_context_new ();
  const char * const only_first[] = { "request_id", "user", NULL };
  const char * const only_second[] = { "request_id", NULL };

  asgiref_context_enter (first);
  test_set_string (local, "request_id", "first");
  test_set_string (local, "user", "alice");
  asgiref_context_leave (first);

  asgiref_context_enter (second);
  g_assert_false (asgiref_local_contains (local, "request_id"));
  g_assert_false (asgiref_local_contains (local, "user"));
  test_set_string (local, "request_id", "second");
  assert_names (local, only_second);
  asgiref_context_leave (second);

  asgiref_context_enter (first);
  g_assert_cmpstr (test_get_string (local, "request_id"), ==, "first");
  g_assert_cmpstr (test_get_string (local, "user"), ==, "alice");
  assert_names (local, only_first);
  asgiref_context_leave (first);

  asgiref_context_enter (second);
  g_assert_cmpstr (test_get_string (local, "request_id"), ==, "second");
  asgiref_context_leave (second);
}

/* parent -> child -> grandchild, and a sibling of child. */
typedef struct
{
  AsgirefLocal   *local;
  AsgirefContext *parent;
  AsgirefContext *child;
  AsgirefContext *grandchild;
  AsgirefContext *sibling;
} Family;

static void
family_build (Family *family)
{
  AsgirefLocal *local = family->local = asgiref_local_new ();

  family->parent = asgiref_context_new ();
  asgiref_context_enter (family->parent);
  test_set_string (local, "x", "parent");
  test_set_string (local, "from-parent", "yes");
  family->child = asgiref_context_capture ();
  test_set_string (local, "parent-after-child", "yes");
  asgiref_context_leave (family->parent);

  asgiref_context_enter (family->child);
  test_set_string (local, "x", "child");
  test_set_string (local, "from-child", "yes");
  family->grandchild = asgiref_context_capture ();
  test_set_string (local, "child-after-grandchild", "yes");
  asgiref_context_leave (family->child);

  asgiref_context_enter (family->grandchild);
  test_set_string (local, "x", "grandchild");
  test_set_string (local, "from-grandchild", "yes");
  asgiref_context_leave (family->grandchild);

  family->sibling = asgiref_context_copy (family->parent);
  asgiref_context_enter (family->sibling);
  test_set_string (local, "x", "sibling");
  test_set_string (local, "from-sibling", "yes");
  asgiref_context_leave (family->sibling);
}

static void
family_clear (Family *family)
{
  g_clear_pointer (&family->parent, asgiref_context_unref);
  g_clear_pointer (&family->child, asgiref_context_unref);
  g_clear_pointer (&family->grandchild, asgiref_context_unref);
  g_clear_pointer (&family->sibling, asgiref_context_unref);
  g_clear_object (&family->local);
}

static void
test_child_sees_parent_values_as_of_its_creation (void)
{
  Family family = { 0, };
  AsgirefLocal *local;

  family_build (&family);
  local = family.local;

  /* The child got the parent's values at its creation, not later ones. */
  asgiref_context_enter (family.child);
  g_assert_cmpstr (test_get_string (local, "from-parent"), ==, "yes");
  g_assert_false (asgiref_local_contains (local, "parent-after-child"));
  asgiref_context_leave (family.child);

  /* The grandchild got both ancestors' values, with the child's writes
   * made before its creation winning. */
  asgiref_context_enter (family.grandchild);
  g_assert_cmpstr (test_get_string (local, "from-parent"), ==, "yes");
  g_assert_cmpstr (test_get_string (local, "from-child"), ==, "yes");
  g_assert_false (asgiref_local_contains (local, "parent-after-child"));
  g_assert_false (asgiref_local_contains (local, "child-after-grandchild"));
  asgiref_context_leave (family.grandchild);

  /* A copy made later sees the parent as it is then. */
  asgiref_context_enter (family.sibling);
  g_assert_cmpstr (test_get_string (local, "from-parent"), ==, "yes");
  g_assert_cmpstr (test_get_string (local, "parent-after-child"), ==, "yes");
  asgiref_context_leave (family.sibling);

  family_clear (&family);
}

static void
test_child_writes_never_reach_parent_or_siblings (void)
{
  Family family = { 0, };
  AsgirefLocal *local;
  const char * const parent_names[] = { "from-parent", "parent-after-child", "x", NULL };
  const char * const child_names[] = { "child-after-grandchild", "from-child", "from-parent", "x", NULL };
  const char * const grandchild_names[] = { "from-child", "from-grandchild", "from-parent", "x", NULL };
  const char * const sibling_names[] = { "from-parent", "from-sibling", "parent-after-child", "x", NULL };

  family_build (&family);
  local = family.local;

  asgiref_context_enter (family.parent);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "parent");
  assert_names (local, parent_names);
  asgiref_context_leave (family.parent);

  asgiref_context_enter (family.child);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "child");
  assert_names (local, child_names);
  asgiref_context_leave (family.child);

  asgiref_context_enter (family.grandchild);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "grandchild");
  assert_names (local, grandchild_names);
  asgiref_context_leave (family.grandchild);

  asgiref_context_enter (family.sibling);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "sibling");
  assert_names (local, sibling_names);
  asgiref_context_leave (family.sibling);

  /* Removing in a child removes nothing elsewhere. */
  asgiref_context_enter (family.child);
  g_assert_true (asgiref_local_remove (local, "from-parent"));
  asgiref_context_leave (family.child);
  asgiref_context_enter (family.grandchild);
  g_assert_cmpstr (test_get_string (local, "from-parent"), ==, "yes");
  asgiref_context_leave (family.grandchild);
  asgiref_context_enter (family.parent);
  g_assert_cmpstr (test_get_string (local, "from-parent"), ==, "yes");
  asgiref_context_leave (family.parent);

  family_clear (&family);
}

static void
test_values_of_an_entered_context_written_by_a_callee_are_seen_after (void)
{
  /* asgiref's default Local: what a callee running in the same context
   * sets is visible to the caller afterwards. */
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  asgiref_context_enter (ctx);
  asgiref_context_enter (ctx);
  test_set_string (local, "x", "callee");
  asgiref_context_leave (ctx);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "callee");
  asgiref_context_leave (ctx);
}

/* }}} */

/* {{{ CONTEXT scope: when values are freed */

static void
test_value_freed_when_last_context_holding_it_goes (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  AsgirefContext *parent = asgiref_context_new ();
  AsgirefContext *child;
  gint frees = 0;

  asgiref_context_enter (parent);
  test_set_counted (local, "x", "shared", &frees);
  asgiref_context_leave (parent);
  child = asgiref_context_copy (parent);

  asgiref_context_unref (parent);
  g_assert_cmpint (frees, ==, 0);

  asgiref_context_enter (child);
  g_assert_cmpstr (test_get_counted (local, "x"), ==, "shared");
  asgiref_context_leave (child);
  g_assert_cmpint (frees, ==, 0);

  asgiref_context_unref (child);
  g_assert_cmpint (frees, ==, 1);
}

static void
test_value_freed_when_context_goes_after_its_local (void)
{
  AsgirefLocal *local = asgiref_local_new ();
  AsgirefContext *ctx = asgiref_context_new ();
  gint frees = 0;

  asgiref_context_enter (ctx);
  test_set_counted (local, "x", "orphan", &frees);
  asgiref_context_leave (ctx);

  g_object_unref (local);
  asgiref_context_unref (ctx);
  g_assert_cmpint (frees, ==, 1);
}

static void
test_overwritten_value_freed_at_once_when_not_shared (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  AsgirefContext *ctx = asgiref_context_new ();
  gint frees = 0;

  asgiref_context_enter (ctx);
  test_set_counted (local, "x", "first", &frees);
  test_set_counted (local, "x", "second", &frees);
  g_assert_cmpint (frees, ==, 1);
  g_assert_cmpstr (test_get_counted (local, "x"), ==, "second");
  asgiref_context_leave (ctx);

  g_assert_cmpint (frees, ==, 1);
  asgiref_context_unref (ctx);
  g_assert_cmpint (frees, ==, 2);
}

static void
test_overwritten_value_kept_while_a_copy_holds_it (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  AsgirefContext *ctx = asgiref_context_new ();
  AsgirefContext *copy;
  gint frees = 0;

  asgiref_context_enter (ctx);
  test_set_counted (local, "x", "first", &frees);
  copy = asgiref_context_capture ();
  test_set_counted (local, "x", "second", &frees);
  g_assert_cmpint (frees, ==, 0);
  asgiref_context_leave (ctx);

  asgiref_context_enter (copy);
  g_assert_cmpstr (test_get_counted (local, "x"), ==, "first");
  asgiref_context_leave (copy);

  asgiref_context_unref (copy);
  g_assert_cmpint (frees, ==, 1);
  asgiref_context_unref (ctx);
  g_assert_cmpint (frees, ==, 2);
}

static void
test_removed_value_freed_at_once_when_not_shared (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  gint frees = 0;

  asgiref_context_enter (ctx);
  test_set_counted (local, "x", "doomed", &frees);
  g_assert_true (asgiref_local_remove (local, "x"));
  g_assert_cmpint (frees, ==, 1);
  asgiref_context_leave (ctx);
}

static void
test_removed_value_kept_while_a_copy_holds_it (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  AsgirefContext *copy;
  gint frees = 0;

  asgiref_context_enter (ctx);
  test_set_counted (local, "x", "kept", &frees);
  copy = asgiref_context_capture ();
  g_assert_true (asgiref_local_remove (local, "x"));
  g_assert_cmpint (frees, ==, 0);
  asgiref_context_leave (ctx);

  asgiref_context_enter (copy);
  g_assert_cmpstr (test_get_counted (local, "x"), ==, "kept");
  asgiref_context_leave (copy);

  asgiref_context_unref (copy);
  g_assert_cmpint (frees, ==, 1);
}

/* }}} */

/* {{{ Per-context initialisation */

typedef struct
{
  gint runs;
} InitState;

static void
on_initialize (AsgirefLocal *local,
               gpointer      data)
{
  InitState *state = data;
  g_auto(GValue) value = G_VALUE_INIT;

  g_atomic_int_inc (&state->runs);

  /* Reads and writes from the handler must not start another
   * initialisation. */
  g_assert_false (asgiref_local_contains (local, "greeting"));
  g_value_init (&value, G_TYPE_STRING);
  g_value_set_static_string (&value, "hello");
  asgiref_local_set_value (local, "greeting", &value);
  g_assert_true (asgiref_local_contains (local, "greeting"));
}

static AsgirefLocal *
new_initialized_local (AsgirefLocal *local,
                       InitState    *state)
{
  g_signal_connect (local, "initialize", G_CALLBACK (on_initialize), state);
  return local;
}

static void
test_initialize_signal_runs_once_per_context (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new (), &state);
  g_autoptr(AsgirefContext) first = asgiref_context_new ();
  g_autoptr(AsgirefContext) second = asgiref_context_new ();

  /* Nothing runs before the Local is used. */
  asgiref_context_enter (first);
  g_assert_cmpint (state.runs, ==, 0);

  g_assert_false (asgiref_local_contains (local, "x"));
  g_assert_cmpint (state.runs, ==, 1);
  test_set_string (local, "x", "1");
  g_assert_cmpstr (test_get_string (local, "x"), ==, "1");
  g_assert_true (asgiref_local_remove (local, "x"));
  g_strfreev (asgiref_local_list_names (local));
  g_assert_cmpint (state.runs, ==, 1);
  asgiref_context_leave (first);

  asgiref_context_enter (second);
  g_assert_cmpstr (test_get_string (local, "greeting"), ==, "hello");
  g_assert_cmpint (state.runs, ==, 2);
  asgiref_context_leave (second);

  /* Going back does not initialise again. */
  asgiref_context_enter (first);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 2);
  asgiref_context_leave (first);
}

static void
test_initialize_defaults_visible_on_first_access (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new (), &state);
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_auto(GValue) value = G_VALUE_INIT;
  const char * const names[] = { "greeting", NULL };

  asgiref_context_enter (ctx);
  g_assert_true (asgiref_local_get_value (local, "greeting", &value, NULL));
  g_assert_cmpstr (g_value_get_string (&value), ==, "hello");
  assert_names (local, names);
  asgiref_context_leave (ctx);
  g_assert_cmpint (state.runs, ==, 1);
}

typedef enum
{
  ACCESS_GET_VALUE,
  ACCESS_GET_POINTER,
  ACCESS_SET_VALUE,
  ACCESS_SET_POINTER,
  ACCESS_CONTAINS,
  ACCESS_REMOVE,
  ACCESS_LIST_NAMES,
  N_ACCESSES
} Access;

static void
test_initialize_runs_before_every_kind_of_first_access (void)
{
  for (Access access = 0; access < N_ACCESSES; access++)
    {
      InitState state = { 0 };
      g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new (), &state);
      g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
      g_auto(GValue) value = G_VALUE_INIT;
      g_auto(GStrv) names = NULL;

      g_test_message ("first access of kind %d", access);
      asgiref_context_enter (ctx);

      switch (access)
        {
        case ACCESS_GET_VALUE:
          g_assert_true (asgiref_local_get_value (local, "greeting", &value, NULL));
          g_assert_cmpstr (g_value_get_string (&value), ==, "hello");
          break;
        case ACCESS_GET_POINTER:
          g_assert_null (asgiref_local_get_pointer (local, "other"));
          g_assert_true (asgiref_local_contains (local, "greeting"));
          break;
        case ACCESS_SET_VALUE:
          /* The default is set first, so the caller's value wins. */
          g_value_init (&value, G_TYPE_STRING);
          g_value_set_static_string (&value, "bye");
          asgiref_local_set_value (local, "greeting", &value);
          g_value_unset (&value);
          g_assert_true (asgiref_local_get_value (local, "greeting", &value, NULL));
          g_assert_cmpstr (g_value_get_string (&value), ==, "bye");
          break;
        case ACCESS_SET_POINTER:
          test_set_string (local, "other", "x");
          g_assert_true (asgiref_local_contains (local, "greeting"));
          break;
        case ACCESS_CONTAINS:
          g_assert_true (asgiref_local_contains (local, "greeting"));
          break;
        case ACCESS_REMOVE:
          /* The default exists by the time remove looks for it. */
          g_assert_true (asgiref_local_remove (local, "greeting"));
          g_assert_false (asgiref_local_contains (local, "greeting"));
          break;
        case ACCESS_LIST_NAMES:
          names = asgiref_local_list_names (local);
          g_assert_nonnull (names);
          g_assert_cmpstr (names[0], ==, "greeting");
          g_assert_null (names[1]);
          break;
        case N_ACCESSES:
        default:
          g_assert_not_reached ();
        }

      g_assert_cmpint (state.runs, ==, 1);
      asgiref_context_leave (ctx);
    }
}

static void
test_initialize_vfunc_of_subclass_runs_once_per_context (void)
{
  g_autoptr(TestDefaultsLocal) local = g_object_new (TEST_TYPE_DEFAULTS_LOCAL, NULL);
  g_autoptr(AsgirefContext) first = asgiref_context_new ();
  g_autoptr(AsgirefContext) second = asgiref_context_new ();
  g_autoptr(AsgirefContext) copy = NULL;
  AsgirefLocal *as_local = ASGIREF_LOCAL (local);

  g_assert_cmpint (asgiref_local_get_scope (as_local), ==, ASGIREF_LOCAL_SCOPE_CONTEXT);

  asgiref_context_enter (first);
  g_assert_cmpint (local->runs, ==, 0);
  g_assert_true (asgiref_local_contains (as_local, "greeting"));
  g_assert_cmpint (local->runs, ==, 1);
  test_set_string (as_local, "x", "1");
  g_assert_cmpint (local->runs, ==, 1);
  copy = asgiref_context_capture ();
  asgiref_context_leave (first);

  asgiref_context_enter (copy);
  g_assert_true (asgiref_local_contains (as_local, "greeting"));
  g_assert_cmpint (local->runs, ==, 1);
  asgiref_context_leave (copy);

  asgiref_context_enter (second);
  g_assert_true (asgiref_local_contains (as_local, "greeting"));
  g_assert_cmpint (local->runs, ==, 2);
  asgiref_context_leave (second);
}

static void
test_initialize_not_rerun_in_copy_of_initialised_context (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new (), &state);
  g_autoptr(AsgirefContext) parent = asgiref_context_new ();
  g_autoptr(AsgirefContext) child = NULL;
  g_autoptr(AsgirefContext) grandchild = NULL;

  asgiref_context_enter (parent);
  g_assert_true (asgiref_local_remove (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 1);
  child = asgiref_context_capture ();
  asgiref_context_leave (parent);

  /* The child inherits the initialised state along with the values: the
   * removed default stays removed, and the handler does not run again. */
  asgiref_context_enter (child);
  g_assert_false (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 1);
  grandchild = asgiref_context_capture ();
  asgiref_context_leave (child);

  asgiref_context_enter (grandchild);
  g_assert_false (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 1);
  asgiref_context_leave (grandchild);
}

static void
test_initialize_runs_in_copy_made_before_first_access (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new (), &state);
  g_autoptr(AsgirefContext) parent = asgiref_context_new ();
  g_autoptr(AsgirefContext) early_copy = asgiref_context_copy (parent);

  asgiref_context_enter (parent);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  asgiref_context_leave (parent);
  g_assert_cmpint (state.runs, ==, 1);

  asgiref_context_enter (early_copy);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  asgiref_context_leave (early_copy);
  g_assert_cmpint (state.runs, ==, 2);
}

static gpointer
initialize_thread_critical_thread (gpointer data)
{
  AsgirefLocal *local = data;
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  /* A plain thread initialises once, whatever context it is in. */
  g_assert_cmpstr (test_get_string (local, "other"), ==, NULL);
  asgiref_context_enter (ctx);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  asgiref_context_leave (ctx);
  return NULL;
}

static void
test_initialize_runs_once_per_thread_for_thread_critical (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new_thread_critical (), &state);

  g_thread_join (g_thread_new ("first", initialize_thread_critical_thread, local));
  g_assert_cmpint (g_atomic_int_get (&state.runs), ==, 1);
  g_thread_join (g_thread_new ("second", initialize_thread_critical_thread, local));
  g_assert_cmpint (g_atomic_int_get (&state.runs), ==, 2);
}

static void
initialize_dispatching_body (TestLoop *loop,
                             gpointer  data)
{
  AsgirefLocal *local = data;
  g_autoptr(AsgirefContext) first = asgiref_context_new ();
  g_autoptr(AsgirefContext) second = asgiref_context_new ();

  asgiref_context_enter (first);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  asgiref_context_leave (first);
  asgiref_context_enter (second);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  asgiref_context_leave (second);
  asgiref_context_enter (first);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  asgiref_context_leave (first);
}

static void
test_initialize_runs_once_per_context_for_thread_critical_while_dispatching (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new_thread_critical (), &state);

  test_loop_run ("thread-critical initialisation", initialize_dispatching_body, local);
  g_assert_cmpint (state.runs, ==, 2);
}

static void
test_initialize_runs_once_per_main_context (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new_for_main_context (), &state);
  GMainContext *first = g_main_context_new ();
  GMainContext *second = g_main_context_new ();

  g_main_context_push_thread_default (first);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 1);

  g_main_context_push_thread_default (second);
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 2);
  g_main_context_pop_thread_default (second);

  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 2);
  g_main_context_pop_thread_default (first);

  g_main_context_unref (second);
  g_main_context_unref (first);
}

static void
test_initialize_runs_once_per_scope_object (void)
{
  InitState state = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new_for_scope (current_scope_func, NULL, NULL, NULL), &state);
  g_autoptr(GObject) first = g_object_new (TEST_TYPE_SCOPE, NULL);
  g_autoptr(GObject) second = g_object_new (TEST_TYPE_SCOPE, NULL);

  current_scope_object = first;
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 1);

  current_scope_object = second;
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 2);

  current_scope_object = first;
  g_assert_true (asgiref_local_contains (local, "greeting"));
  g_assert_cmpint (state.runs, ==, 2);
  current_scope_object = NULL;
}

/* }}} */

/* {{{ THREAD_CRITICAL scope */

typedef struct
{
  AsgirefLocal   *critical;
  AsgirefLocal   *plain;
  AsgirefContext *ctx;
  gint            frees;
} CriticalState;

static void
critical_in_copy_cb (gpointer data)
{
  CriticalState *state = data;

  /* The context followed the work, the thread-critical value did not. */
  g_assert_cmpstr (test_get_string (state->plain, "y"), ==, "main");
  g_assert_false (asgiref_local_contains (state->critical, "x"));
  g_assert_null (asgiref_local_get_pointer (state->critical, "x"));
  test_set_string (state->critical, "x", "worker");
  g_assert_cmpstr (test_get_string (state->critical, "x"), ==, "worker");
}

static gpointer
critical_in_copy_thread (gpointer data)
{
  CriticalState *state = data;

  asgiref_context_run (state->ctx, critical_in_copy_cb, state);
  return NULL;
}

static void
test_thread_critical_values_do_not_follow_context_to_another_thread (void)
{
  g_autoptr(AsgirefLocal) critical = asgiref_local_new_thread_critical ();
  g_autoptr(AsgirefLocal) plain = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  CriticalState state = { critical, plain, NULL, 0 };

  /* The main thread is not dispatching a main loop here, so its
   * thread-critical value is per thread. */
  g_assert_cmpint (g_main_depth (), ==, 0);

  asgiref_context_enter (ctx);
  test_set_string (state.critical, "x", "main");
  test_set_string (state.plain, "y", "main");
  state.ctx = asgiref_context_capture ();
  asgiref_context_leave (ctx);

  g_thread_join (g_thread_new ("worker", critical_in_copy_thread, &state));

  /* The worker's value did not come back either. */
  asgiref_context_enter (ctx);
  g_assert_cmpstr (test_get_string (state.critical, "x"), ==, "main");
  asgiref_context_leave (ctx);
  g_clear_pointer (&state.ctx, asgiref_context_unref);

  /* Leave the main thread as it was. */
  g_assert_true (asgiref_local_remove (critical, "x"));
}

static gpointer
critical_plain_thread (gpointer data)
{
  CriticalState *state = data;
  g_autoptr(AsgirefContext) first = asgiref_context_new ();
  g_autoptr(AsgirefContext) second = asgiref_context_new ();

  g_assert_cmpint (g_main_depth (), ==, 0);

  asgiref_context_enter (first);
  test_set_string (state->critical, "x", "set-in-first");
  asgiref_context_leave (first);

  asgiref_context_enter (second);
  g_assert_cmpstr (test_get_string (state->critical, "x"), ==, "set-in-first");
  test_set_string (state->critical, "x", "set-in-second");
  asgiref_context_leave (second);

  g_assert_cmpstr (test_get_string (state->critical, "x"), ==, "set-in-second");
  asgiref_context_enter (first);
  g_assert_cmpstr (test_get_string (state->critical, "x"), ==, "set-in-second");
  g_assert_true (asgiref_local_remove (state->critical, "x"));
  asgiref_context_leave (first);

  asgiref_context_enter (second);
  g_assert_false (asgiref_local_contains (state->critical, "x"));
  asgiref_context_leave (second);
  return NULL;
}

static void
test_thread_critical_plain_thread_has_one_value_in_every_context (void)
{
  g_autoptr(AsgirefLocal) critical = asgiref_local_new_thread_critical ();
  CriticalState state = { critical, NULL, NULL, 0 };

  g_thread_join (g_thread_new ("plain", critical_plain_thread, &state));
}

static void
critical_per_context_body (TestLoop *loop,
                           gpointer  data)
{
  CriticalState *state = data;
  g_autoptr(AsgirefContext) first = asgiref_context_new ();
  g_autoptr(AsgirefContext) second = asgiref_context_new ();

  g_assert_cmpint (g_main_depth (), >, 0);

  asgiref_context_enter (first);
  test_set_counted (state->critical, "x", "first", &state->frees);
  asgiref_context_leave (first);

  asgiref_context_enter (second);
  g_assert_false (asgiref_local_contains (state->critical, "x"));
  test_set_counted (state->critical, "x", "second", &state->frees);
  asgiref_context_leave (second);

  asgiref_context_enter (first);
  g_assert_cmpstr (test_get_counted (state->critical, "x"), ==, "first");
  asgiref_context_leave (first);

  asgiref_context_enter (second);
  g_assert_cmpstr (test_get_counted (state->critical, "x"), ==, "second");
  asgiref_context_leave (second);

  g_assert_cmpint (state->frees, ==, 0);
}

static void
test_thread_critical_dispatching_thread_has_one_value_per_context (void)
{
  g_autoptr(AsgirefLocal) critical = asgiref_local_new_thread_critical ();
  CriticalState state = { critical, NULL, NULL, 0 };

  test_loop_run ("thread-critical values per context", critical_per_context_body, &state);

  /* They lived in the two contexts, which are gone. */
  g_assert_cmpint (state.frees, ==, 2);
}

static void
critical_dispatching_worker_body (TestLoop *loop,
                                  gpointer  data)
{
  CriticalState *state = data;

  g_assert_cmpint (g_main_depth (), >, 0);
  asgiref_context_enter (state->ctx);
  g_assert_cmpstr (test_get_string (state->plain, "y"), ==, "main");
  g_assert_false (asgiref_local_contains (state->critical, "x"));
  asgiref_context_leave (state->ctx);
}

static gpointer
critical_dispatching_worker_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  test_loop_run ("the worker's loop", critical_dispatching_worker_body, data);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
critical_dispatching_main_body (TestLoop *loop,
                                gpointer  data)
{
  CriticalState *state = data;
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  asgiref_context_enter (ctx);
  test_set_string (state->critical, "x", "main");
  test_set_string (state->plain, "y", "main");
  state->ctx = asgiref_context_capture ();
  asgiref_context_leave (ctx);

  g_thread_join (g_thread_new ("worker", critical_dispatching_worker_thread, state));
  g_thread_join (g_thread_new ("plain-worker", critical_in_copy_thread, state));

  g_clear_pointer (&state->ctx, asgiref_context_unref);
}

static void
test_thread_critical_dispatching_value_not_seen_on_other_threads (void)
{
  g_autoptr(AsgirefLocal) critical = asgiref_local_new_thread_critical ();
  g_autoptr(AsgirefLocal) plain = asgiref_local_new ();
  CriticalState state = { critical, plain, NULL, 0 };

  test_loop_run ("thread-critical value set while dispatching", critical_dispatching_main_body, &state);
}

static gpointer
critical_counted_thread (gpointer data)
{
  CriticalState *state = data;

  test_set_counted (state->critical, "x", "dies-with-thread", &state->frees);
  g_assert_cmpstr (test_get_counted (state->critical, "x"), ==, "dies-with-thread");
  return NULL;
}

static void
test_thread_critical_values_freed_at_thread_exit (void)
{
  g_autoptr(AsgirefLocal) critical = asgiref_local_new_thread_critical ();
  CriticalState state = { critical, NULL, NULL, 0 };

  g_thread_join (g_thread_new ("short-lived", critical_counted_thread, &state));
  g_assert_cmpint (g_atomic_int_get (&state.frees), ==, 1);
}

static gpointer
critical_local_dropped_thread (gpointer data)
{
  CriticalState *state = data;

  test_set_counted (state->critical, "x", "outlives-local", &state->frees);
  /* Values belong to their storage, as in contextvars: dropping the Local
   * leaves this thread's value in place until the thread ends. */
  g_clear_object (&state->critical);
  g_assert_cmpint (g_atomic_int_get (&state->frees), ==, 0);
  return NULL;
}

static void
test_thread_critical_values_outlive_their_local_until_thread_exit (void)
{
  CriticalState state = { asgiref_local_new_thread_critical (), NULL, NULL, 0 };

  g_thread_join (g_thread_new ("drops-its-local", critical_local_dropped_thread, &state));
  g_assert_null (state.critical);
  g_assert_cmpint (g_atomic_int_get (&state.frees), ==, 1);
}

/* }}} */

/* {{{ Many threads on one Local */

static gint concurrent_frees;

static void
count_concurrent_free (gpointer data)
{
  g_atomic_int_inc (&concurrent_frees);
}

static guint
concurrent_iterations (void)
{
  const char *env = g_getenv ("ASGIREF_TEST_ITERATIONS");

  if (env != NULL)
    return (guint) g_ascii_strtoull (env, NULL, 10);
  return g_test_thorough () ? 200000 : 20000;
}

typedef struct
{
  AsgirefLocal   *local;
  AsgirefContext *shared;
  gpointer        shared_value;
  TestGate        gate;
  guint           iterations;
  gint            sets;
} Crowd;

typedef struct
{
  Crowd *crowd;
  guint  index;
} Member;

#define TAG_SHIFT 24

static gpointer
member_value (Member *member,
              guint   i)
{
  return GSIZE_TO_POINTER (((gsize) (member->index + 1) << TAG_SHIFT) | (i + 1));
}

static void
assert_own_value (Member     *member,
                  const char *name)
{
  gpointer value = asgiref_local_get_pointer (member->crowd->local, name);

  if (value != NULL)
    g_assert_cmpuint (GPOINTER_TO_SIZE (value) >> TAG_SHIFT, ==, member->index + 1);
}

/* Set, get, contains, remove, list and GValue round trips with values only
 * this thread writes; every read must give back this thread's own. */
static void
member_exercise (Member *member)
{
  static const char * const names[] = { "a", "b", "c", "d" };
  AsgirefLocal *local = member->crowd->local;
  guint iterations = member->crowd->iterations;
  gint sets = 0;

  for (guint i = 0; i < iterations; i++)
    {
      const char *name = names[i % G_N_ELEMENTS (names)];
      gpointer value = member_value (member, i);

      asgiref_local_set_pointer (local, name, value, count_concurrent_free);
      sets++;
      g_assert_true (asgiref_local_get_pointer (local, name) == value);
      g_assert_true (asgiref_local_contains (local, name));
      assert_own_value (member, names[(i + 1) % G_N_ELEMENTS (names)]);

      if (i % 3 == 0)
        {
          g_assert_true (asgiref_local_remove (local, name));
          g_assert_false (asgiref_local_contains (local, name));
          g_assert_null (asgiref_local_get_pointer (local, name));
          g_assert_false (asgiref_local_remove (local, name));
        }

      if (i % 64 == 0)
        {
          int number = (int) (member->index * 1000000 + i);

          set_int (local, "n", number);
          g_assert_cmpint (get_int (local, "n"), ==, number);
        }

      if (member->crowd->shared_value != NULL && i % 16 == 0)
        g_assert_true (asgiref_local_get_pointer (local, "shared") == member->crowd->shared_value);

      if (i % 1024 == 0)
        {
          g_auto(GStrv) listed = asgiref_local_list_names (local);

          g_assert_nonnull (listed);
          for (guint j = 0; listed[j] != NULL; j++)
            g_assert_true (strlen (listed[j]) == 1 ||
                           g_str_equal (listed[j], "shared") ||
                           g_str_equal (listed[j], "greeting"));
        }
    }

  for (guint j = 0; j < G_N_ELEMENTS (names); j++)
    assert_own_value (member, names[j]);

  g_atomic_int_add (&member->crowd->sets, sets);
}

static gpointer
member_in_own_context_thread (gpointer data)
{
  Member *member = data;
  AsgirefContext *ctx = asgiref_context_new ();

  test_gate_wait (&member->crowd->gate);
  asgiref_context_enter (ctx);
  member_exercise (member);
  asgiref_context_leave (ctx);
  asgiref_context_unref (ctx);
  return NULL;
}

static gpointer
member_plain_thread (gpointer data)
{
  Member *member = data;

  test_gate_wait (&member->crowd->gate);
  member_exercise (member);

  /* Empty the thread's storage, so that every value has been freed by the
   * time the thread is joined, whatever thread exit does. */
  for (const char *names = "abcdn"; *names != '\0'; names++)
    {
      char name[2] = { *names, '\0' };

      asgiref_local_remove (member->crowd->local, name);
    }
  g_assert_cmpint (g_atomic_int_get (&concurrent_frees), >, 0);
  return NULL;
}

static gpointer
member_in_copy_thread (gpointer data)
{
  Member *member = data;
  AsgirefContext *copy;

  test_gate_wait (&member->crowd->gate);
  copy = asgiref_context_copy (member->crowd->shared);
  asgiref_context_enter (copy);
  g_assert_true (asgiref_local_get_pointer (member->crowd->local, "shared") == member->crowd->shared_value);
  member_exercise (member);
  asgiref_context_leave (copy);
  asgiref_context_unref (copy);
  return NULL;
}

static void
crowd_run (Crowd       *crowd,
           GThreadFunc  func)
{
  Member members[N_THREADS];
  gpointer data[N_THREADS];

  crowd->iterations = concurrent_iterations ();
  test_gate_init (&crowd->gate, N_THREADS);
  g_atomic_int_set (&concurrent_frees, 0);

  for (guint i = 0; i < N_THREADS; i++)
    {
      members[i].crowd = crowd;
      members[i].index = i;
      data[i] = &members[i];
    }

  test_run_threads ("crowd", N_THREADS, func, data);
  g_assert_cmpint (g_atomic_int_get (&crowd->sets), ==, N_THREADS * (gint) crowd->iterations);
}

static void
test_concurrent_threads_keep_their_own_values (void)
{
  InitState init = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new (), &init);
  Crowd crowd = { local, NULL, NULL, { 0, }, 0, 0 };

  crowd_run (&crowd, member_in_own_context_thread);

  /* Every value was freed exactly once, and each thread's context was
   * initialised once. */
  g_assert_cmpint (g_atomic_int_get (&concurrent_frees), ==, crowd.sets);
  g_assert_cmpint (g_atomic_int_get (&init.runs), ==, N_THREADS);
}

static void
test_concurrent_threads_on_thread_critical_local (void)
{
  InitState init = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new_thread_critical (), &init);
  Crowd crowd = { local, NULL, NULL, { 0, }, 0, 0 };

  crowd_run (&crowd, member_plain_thread);
  g_assert_cmpint (g_atomic_int_get (&concurrent_frees), ==, crowd.sets);
  g_assert_cmpint (g_atomic_int_get (&init.runs), ==, N_THREADS);
}

static void
test_concurrent_threads_on_copies_of_one_context (void)
{
  InitState init = { 0 };
  g_autoptr(AsgirefLocal) local = new_initialized_local (asgiref_local_new (), &init);
  AsgirefContext *shared = asgiref_context_new ();
  gint shared_frees = 0;
  Crowd crowd = { local, shared, NULL, { 0, }, 0, 0 };
  const char * const names[] = { "greeting", "shared", NULL };

  asgiref_context_enter (shared);
  test_set_counted (local, "shared", "everyone's", &shared_frees);
  crowd.shared_value = asgiref_local_get_pointer (local, "shared");
  asgiref_context_leave (shared);

  crowd_run (&crowd, member_in_copy_thread);
  g_assert_cmpint (g_atomic_int_get (&concurrent_frees), ==, crowd.sets);

  /* The copies inherited the initialised state of the shared context. */
  g_assert_cmpint (g_atomic_int_get (&init.runs), ==, 1);

  /* The shared context saw none of it. */
  asgiref_context_enter (shared);
  assert_names (local, names);
  asgiref_context_leave (shared);

  g_assert_cmpint (shared_frees, ==, 0);
  asgiref_context_unref (shared);
  g_assert_cmpint (shared_frees, ==, 1);
}

/* }}} */

/* {{{ MAIN_CONTEXT scope */

static void
test_main_context_scope_separate_per_thread_default_main_context (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_main_context ();
  GMainContext *outer = g_main_context_new ();
  GMainContext *inner = g_main_context_new ();
  gint frees = 0;

  g_main_context_push_thread_default (outer);
  test_set_counted (local, "x", "outer", &frees);

  g_main_context_push_thread_default (inner);
  g_assert_false (asgiref_local_contains (local, "x"));
  test_set_counted (local, "x", "inner", &frees);
  g_main_context_pop_thread_default (inner);

  g_assert_cmpstr (test_get_counted (local, "x"), ==, "outer");
  g_main_context_pop_thread_default (outer);

  g_main_context_push_thread_default (inner);
  g_assert_cmpstr (test_get_counted (local, "x"), ==, "inner");
  g_main_context_pop_thread_default (inner);

  g_main_context_unref (inner);
  g_main_context_unref (outer);
  g_assert_cmpint (frees, ==, 2);
}

static void
test_main_context_scope_ignores_the_current_context (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_main_context ();
  g_autoptr(AsgirefContext) first = asgiref_context_new ();
  g_autoptr(AsgirefContext) second = asgiref_context_new ();
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  asgiref_context_enter (first);
  test_set_string (local, "x", "main-context");
  asgiref_context_leave (first);
  asgiref_context_enter (second);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "main-context");
  asgiref_context_leave (second);
  g_main_context_pop_thread_default (context);

  g_main_context_unref (context);
}

typedef struct
{
  AsgirefLocal *local;
  TestGate      all_set;
  TestGate      all_read;
  gint          frees;
} MainContextState;

static gpointer
main_context_thread (gpointer data)
{
  MainContextState *state = data;
  GMainContext *context = g_main_context_new ();
  g_autofree char *label = g_strdup_printf ("thread-%p", (gpointer) g_thread_self ());

  g_main_context_push_thread_default (context);
  g_assert_false (asgiref_local_contains (state->local, "x"));
  test_set_counted (state->local, "x", label, &state->frees);

  /* Both threads hold a value at once before either reads. */
  test_gate_wait (&state->all_set);
  g_assert_cmpstr (test_get_counted (state->local, "x"), ==, label);
  test_gate_wait (&state->all_read);

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
test_main_context_scope_two_threads_see_separate_values (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_main_context ();
  MainContextState state = { local, { 0, }, { 0, }, 0 };
  gpointer data[] = { &state, &state };

  test_gate_init (&state.all_set, 2);
  test_gate_init (&state.all_read, 2);
  test_run_threads ("main-context", 2, main_context_thread, data);

  g_assert_cmpint (g_atomic_int_get (&state.frees), ==, 2);
}

static void
test_main_context_scope_values_freed_with_main_context (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_main_context ();
  GMainContext *context = g_main_context_new ();
  gint frees = 0;

  g_main_context_push_thread_default (context);
  test_set_counted (local, "x", "lives-with-main-context", &frees);
  g_main_context_pop_thread_default (context);
  g_assert_cmpint (frees, ==, 0);

  g_main_context_push_thread_default (context);
  g_assert_cmpstr (test_get_counted (local, "x"), ==, "lives-with-main-context");
  g_main_context_pop_thread_default (context);

  g_main_context_unref (context);
  g_assert_cmpint (frees, ==, 1);
}

static void
test_main_context_scope_values_freed_with_their_local (void)
{
  AsgirefLocal *local = asgiref_local_new_for_main_context ();
  GMainContext *context = g_main_context_new ();
  gint frees = 0;

  g_main_context_push_thread_default (context);
  test_set_counted (local, "x", "lives-with-local", &frees);
  g_main_context_pop_thread_default (context);

  g_object_unref (local);
  g_main_context_unref (context);
  g_assert_cmpint (frees, ==, 1);
}

/* }}} */

/* {{{ CUSTOM scope */

static void
test_custom_scope_separate_values_per_object (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, NULL);
  g_autoptr(GObject) first = g_object_new (TEST_TYPE_SCOPE, NULL);
  g_autoptr(GObject) second = g_object_new (TEST_TYPE_SCOPE, NULL);

  current_scope_object = first;
  test_set_string (local, "x", "first");

  current_scope_object = second;
  g_assert_false (asgiref_local_contains (local, "x"));
  test_set_string (local, "x", "second");

  current_scope_object = first;
  g_assert_cmpstr (test_get_string (local, "x"), ==, "first");
  current_scope_object = second;
  g_assert_cmpstr (test_get_string (local, "x"), ==, "second");
  current_scope_object = NULL;
}

static void
test_custom_scope_no_inheritance_between_objects (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, NULL);
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_autoptr(AsgirefContext) copy = NULL;
  g_autoptr(GObject) first = g_object_new (TEST_TYPE_SCOPE, NULL);
  g_autoptr(GObject) second = NULL;

  /* An object made while another is current, in a copied context, still
   * starts empty: only CONTEXT-scoped Locals inherit. */
  asgiref_context_enter (ctx);
  current_scope_object = first;
  test_set_string (local, "x", "first");
  second = g_object_new (TEST_TYPE_SCOPE, NULL);
  copy = asgiref_context_capture ();
  asgiref_context_leave (ctx);

  asgiref_context_enter (copy);
  current_scope_object = second;
  g_assert_false (asgiref_local_contains (local, "x"));
  current_scope_object = first;
  g_assert_cmpstr (test_get_string (local, "x"), ==, "first");
  asgiref_context_leave (copy);
  current_scope_object = NULL;
}

static void
test_custom_scope_values_freed_on_finalize (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, NULL);
  GObject *scope = g_object_new (TEST_TYPE_SCOPE, NULL);
  gint frees = 0;

  current_scope_object = scope;
  test_set_counted (local, "x", "scoped", &frees);
  test_set_counted (local, "y", "scoped", &frees);
  current_scope_object = NULL;

  g_assert_cmpint (frees, ==, 0);
  g_object_unref (scope);
  g_assert_cmpint (frees, ==, 2);
}

static void
test_custom_scope_values_freed_on_finish_signal (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, "finished");
  g_autoptr(GObject) scope = g_object_new (TEST_TYPE_SCOPE, NULL);
  g_autoptr(GObject) other = g_object_new (TEST_TYPE_SCOPE, NULL);
  gint frees = 0;

  current_scope_object = scope;
  test_set_counted (local, "x", "scoped", &frees);
  current_scope_object = other;
  test_set_counted (local, "x", "other", &frees);
  current_scope_object = NULL;

  g_signal_emit_by_name (scope, "finished");
  g_assert_cmpint (frees, ==, 1);

  /* The other object's storage is untouched. */
  current_scope_object = other;
  g_assert_cmpstr (test_get_counted (local, "x"), ==, "other");
  current_scope_object = NULL;

  g_clear_object (&scope);
  g_assert_cmpint (frees, ==, 1);
  g_clear_object (&other);
  g_assert_cmpint (frees, ==, 2);
}

typedef struct
{
  AsgirefLocal *local;
  gint          done;
} TaskScopeState;

static void
task_scope_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  TaskScopeState *state = data;

  /* Still in scope while the callback runs. */
  g_assert_true (current_scope_object == G_OBJECT (result));
  g_assert_cmpstr (test_get_counted (state->local, "x"), ==, "task-scoped");
  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  state->done = TRUE;
}

static void
test_custom_scope_values_freed_when_task_completes (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, "notify::completed");
  TaskScopeState state = { local, FALSE };
  g_autoptr(GTask) task = g_task_new (NULL, NULL, task_scope_done, &state);
  gint frees = 0;

  current_scope_object = G_OBJECT (task);
  test_set_counted (local, "x", "task-scoped", &frees);

  g_assert_cmpint (frees, ==, 0);
  g_task_return_boolean (task, TRUE);
  test_iterate_until ("the task's callback", &state.done);
  current_scope_object = NULL;

  g_assert_true (g_task_get_completed (task));
  g_assert_cmpint (frees, ==, 1);
}

static void
test_custom_scope_data_freed_with_local (void)
{
  gint notified = 0;
  AsgirefLocal *local = asgiref_local_new_for_scope (current_scope_func, &notified, count_int_notify, NULL);

  g_assert_cmpint (notified, ==, 0);
  g_object_unref (local);
  g_assert_cmpint (notified, ==, 1);
}

static void
test_custom_scope_values_freed_with_their_local (void)
{
  AsgirefLocal *local = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, NULL);
  g_autoptr(GObject) scope = g_object_new (TEST_TYPE_SCOPE, NULL);
  gint frees = 0;

  current_scope_object = scope;
  test_set_counted (local, "x", "scoped", &frees);
  current_scope_object = NULL;

  g_object_unref (local);
  g_clear_object (&scope);
  g_assert_cmpint (frees, ==, 1);
}

static void
test_custom_scope_without_current_object_reads_nothing_and_drops_writes (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(AsgirefLocal) local = asgiref_local_new_for_scope (current_scope_func, NULL, NULL, NULL);
      g_auto(GValue) value = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;
      gint frees = 0;

      test_allow_criticals ();
      current_scope_object = NULL;

      g_assert_false (asgiref_local_contains (local, "x"));
      g_assert_false (asgiref_local_get_value (local, "x", &value, &error));
      g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_NOT_SET);

      /* The dropped value is freed, not leaked. */
      test_set_counted (local, "x", "nowhere", &frees);
      g_assert_cmpint (frees, ==, 1);
      g_assert_false (asgiref_local_contains (local, "x"));
      g_assert_null (asgiref_local_get_pointer (local, "x"));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Asgiref-WARNING*");
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Local/constructors-set-the-scope", test_constructors_set_the_scope);
  g_test_add_func ("/Asgiref/Local/scope-is-a-construct-property", test_scope_is_a_construct_property);
  g_test_add_func ("/Asgiref/Local/get-value-of-missing-name-is-not-set-error",
                   test_get_value_of_missing_name_is_not_set_error);
  g_test_add_func ("/Asgiref/Local/get-pointer-of-missing-name-is-null",
                   test_get_pointer_of_missing_name_is_null);
  g_test_add_func ("/Asgiref/Local/remove-returns-whether-a-value-was-removed",
                   test_remove_returns_whether_a_value_was_removed);
  g_test_add_func ("/Asgiref/Local/list-names-is-sorted", test_list_names_is_sorted);
  g_test_add_func ("/Asgiref/Local/separate-locals-do-not-share-names",
                   test_separate_locals_do_not_share_names);
  g_test_add_func ("/Asgiref/Local/gvalue-int-round-trip", test_gvalue_int_round_trip);
  g_test_add_func ("/Asgiref/Local/gvalue-string-round-trip-copies", test_gvalue_string_round_trip_copies);
  g_test_add_func ("/Asgiref/Local/gvalue-object-round-trip-holds-one-reference",
                   test_gvalue_object_round_trip_holds_one_reference);
  g_test_add_func ("/Asgiref/Local/gvalue-boxed-round-trip-copies", test_gvalue_boxed_round_trip_copies);
  g_test_add_func ("/Asgiref/Local/get-pointer-returns-pointer-held-by-gvalue",
                   test_get_pointer_returns_pointer_held_by_gvalue);

  g_test_add_func ("/Asgiref/Local/values-isolated-between-contexts", test_values_isolated_between_contexts);
  g_test_add_func ("/Asgiref/Local/child-sees-parent-values-as-of-its-creation",
                   test_child_sees_parent_values_as_of_its_creation);
  g_test_add_func ("/Asgiref/Local/child-writes-never-reach-parent-or-siblings",
                   test_child_writes_never_reach_parent_or_siblings);
  g_test_add_func ("/Asgiref/Local/values-written-by-a-callee-in-the-same-context-are-seen-after",
                   test_values_of_an_entered_context_written_by_a_callee_are_seen_after);

  g_test_add_func ("/Asgiref/Local/value-freed-when-last-context-holding-it-goes",
                   test_value_freed_when_last_context_holding_it_goes);
  g_test_add_func ("/Asgiref/Local/value-freed-when-context-goes-after-its-local",
                   test_value_freed_when_context_goes_after_its_local);
  g_test_add_func ("/Asgiref/Local/overwritten-value-freed-at-once-when-not-shared",
                   test_overwritten_value_freed_at_once_when_not_shared);
  g_test_add_func ("/Asgiref/Local/overwritten-value-kept-while-a-copy-holds-it",
                   test_overwritten_value_kept_while_a_copy_holds_it);
  g_test_add_func ("/Asgiref/Local/removed-value-freed-at-once-when-not-shared",
                   test_removed_value_freed_at_once_when_not_shared);
  g_test_add_func ("/Asgiref/Local/removed-value-kept-while-a-copy-holds-it",
                   test_removed_value_kept_while_a_copy_holds_it);

  g_test_add_func ("/Asgiref/Local/initialize-signal-runs-once-per-context",
                   test_initialize_signal_runs_once_per_context);
  g_test_add_func ("/Asgiref/Local/initialize-defaults-visible-on-first-access",
                   test_initialize_defaults_visible_on_first_access);
  g_test_add_func ("/Asgiref/Local/initialize-runs-before-every-kind-of-first-access",
                   test_initialize_runs_before_every_kind_of_first_access);
  g_test_add_func ("/Asgiref/Local/initialize-vfunc-of-subclass-runs-once-per-context",
                   test_initialize_vfunc_of_subclass_runs_once_per_context);
  g_test_add_func ("/Asgiref/Local/initialize-not-rerun-in-copy-of-initialised-context",
                   test_initialize_not_rerun_in_copy_of_initialised_context);
  g_test_add_func ("/Asgiref/Local/initialize-runs-in-copy-made-before-first-access",
                   test_initialize_runs_in_copy_made_before_first_access);
  g_test_add_func ("/Asgiref/Local/initialize-runs-once-per-thread-for-thread-critical",
                   test_initialize_runs_once_per_thread_for_thread_critical);
  g_test_add_func ("/Asgiref/Local/initialize-runs-once-per-context-for-thread-critical-while-dispatching",
                   test_initialize_runs_once_per_context_for_thread_critical_while_dispatching);
  g_test_add_func ("/Asgiref/Local/initialize-runs-once-per-main-context",
                   test_initialize_runs_once_per_main_context);
  g_test_add_func ("/Asgiref/Local/initialize-runs-once-per-scope-object",
                   test_initialize_runs_once_per_scope_object);

  g_test_add_func ("/Asgiref/Local/thread-critical-values-do-not-follow-context-to-another-thread",
                   test_thread_critical_values_do_not_follow_context_to_another_thread);
  g_test_add_func ("/Asgiref/Local/thread-critical-plain-thread-has-one-value-in-every-context",
                   test_thread_critical_plain_thread_has_one_value_in_every_context);
  g_test_add_func ("/Asgiref/Local/thread-critical-dispatching-thread-has-one-value-per-context",
                   test_thread_critical_dispatching_thread_has_one_value_per_context);
  g_test_add_func ("/Asgiref/Local/thread-critical-dispatching-value-not-seen-on-other-threads",
                   test_thread_critical_dispatching_value_not_seen_on_other_threads);
  g_test_add_func ("/Asgiref/Local/thread-critical-values-freed-at-thread-exit",
                   test_thread_critical_values_freed_at_thread_exit);

  g_test_add_func ("/Asgiref/Local/concurrent-threads-keep-their-own-values",
                   test_concurrent_threads_keep_their_own_values);
  g_test_add_func ("/Asgiref/Local/concurrent-threads-on-thread-critical-local",
                   test_concurrent_threads_on_thread_critical_local);
  g_test_add_func ("/Asgiref/Local/concurrent-threads-on-copies-of-one-context",
                   test_concurrent_threads_on_copies_of_one_context);

  g_test_add_func ("/Asgiref/Local/main-context-scope-separate-per-thread-default-main-context",
                   test_main_context_scope_separate_per_thread_default_main_context);
  g_test_add_func ("/Asgiref/Local/main-context-scope-ignores-the-current-context",
                   test_main_context_scope_ignores_the_current_context);
  g_test_add_func ("/Asgiref/Local/main-context-scope-two-threads-see-separate-values",
                   test_main_context_scope_two_threads_see_separate_values);
  g_test_add_func ("/Asgiref/Local/main-context-scope-values-freed-with-main-context",
                   test_main_context_scope_values_freed_with_main_context);
  g_test_add_func ("/Asgiref/Local/main-context-scope-values-freed-with-their-local",
                   test_main_context_scope_values_freed_with_their_local);

  g_test_add_func ("/Asgiref/Local/custom-scope-separate-values-per-object",
                   test_custom_scope_separate_values_per_object);
  g_test_add_func ("/Asgiref/Local/custom-scope-no-inheritance-between-objects",
                   test_custom_scope_no_inheritance_between_objects);
  g_test_add_func ("/Asgiref/Local/custom-scope-values-freed-on-finalize",
                   test_custom_scope_values_freed_on_finalize);
  g_test_add_func ("/Asgiref/Local/custom-scope-values-freed-on-finish-signal",
                   test_custom_scope_values_freed_on_finish_signal);
  g_test_add_func ("/Asgiref/Local/custom-scope-values-freed-when-task-completes",
                   test_custom_scope_values_freed_when_task_completes);
  g_test_add_func ("/Asgiref/Local/custom-scope-data-freed-with-local", test_custom_scope_data_freed_with_local);
  g_test_add_func ("/Asgiref/Local/custom-scope-values-freed-with-their-local",
                   test_custom_scope_values_freed_with_their_local);
  g_test_add_func ("/Asgiref/Local/custom-scope-without-current-object-reads-nothing-and-drops-writes",
                   test_custom_scope_without_current_object_reads_nothing_and_drops_writes);
  g_test_add_func ("/Asgiref/Local/thread-critical-values-outlive-their-local-until-thread-exit",
                   test_thread_critical_values_outlive_their_local_until_thread_exit);

  return g_test_run ();
}
