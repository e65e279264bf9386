/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-context-private.h"
#include "asgiref-enum-types.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-local.h"
#include "asgiref-local-store-private.h"
#include "asgiref-lock-private.h"

/**
 * AsgirefLocal:
 *
 * Named values that belong to the current context, thread or scope: the
 * GLib counterpart of asgiref's `Local`.
 *
 * By default ([enum@Asgiref.LocalScope.CONTEXT]) values live in the current
 * [struct@Asgiref.Context], so they follow work wherever the context goes:
 * into callbacks wrapped by the context helpers, and across the library's
 * thread hops. Two contexts never see each other's values, and a context
 * copied from another starts with a snapshot of its values:
 *
 * ```c
 * static AsgirefLocal *request;
 *
 * request = asgiref_local_new ();
 * asgiref_local_set_pointer (request, "id", g_strdup ("42"), g_free);
 *
 * const char *id = asgiref_local_get_pointer (request, "id");
 * ```
 *
 * The other scopes are:
 *
 * - [enum@Asgiref.LocalScope.THREAD_CRITICAL], for values that must never
 *   leave their thread (a connection that is not thread-safe): one value per
 *   thread, or per thread and context while the thread dispatches a main
 *   loop.
 * - [enum@Asgiref.LocalScope.MAIN_CONTEXT]: one value per thread-default
 *   #GMainContext, freed with it.
 * - [enum@Asgiref.LocalScope.CUSTOM]: one value per object returned by a
 *   scope function (the task or request being served), freed when that
 *   object is finalized or emits a chosen "finished" signal.
 *
 * Only the default scope inherits; the others start empty for each new
 * thread, main context or scope object.
 *
 * Defaults can be given to each new context (or thread, or scope) by
 * overriding [vfunc@Asgiref.Local.initialize] in a subclass, or by
 * connecting to [signal@Asgiref.Local::initialize] before the Local is
 * first used.
 *
 * Values belong to where they are stored, as in Python's contextvars:
 * dropping the Local does not free values that contexts, threads, main
 * contexts or scope objects still hold; they go when those do.
 *
 * A Local may be used from any number of threads at once.
 */

typedef struct
{
  /* All fixed at construction. */
  AsgirefLocalScope scope;
  guint64 id;
  AsgirefLocalScopeFunc scope_func;
  gpointer scope_data;
  GDestroyNotify scope_notify;
  char *finish_signal;
} AsgirefLocalPrivate;

enum {
  PROP_0,
  PROP_SCOPE,
  PROP_FINISH_SIGNAL,
  N_PROPS
};

enum {
  INITIALIZE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_PRIVATE (AsgirefLocal, asgiref_local, G_TYPE_OBJECT)

/* Marks that a Local connected to a scope object's finish signal. */
#define FINISH_WATCH_TAG G_MAXUINT64

typedef enum
{
  WHERE_NOWHERE,
  WHERE_CONTEXT,
  WHERE_THREAD,
  WHERE_SHARED,
} WhereKind;

/* Where the calling thread's values of a Local are, right now. */
typedef struct
{
  WhereKind kind;
  guint64 thread_tag;
  AsgirefSharedStore *shared;  /* strong */
  GObject *scope_object;
} Where;

/* ---- Finding the store -------------------------------------------------- */

static void
where_resolve (AsgirefLocal *self,
               Where        *where)
{
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);

  where->thread_tag = 0;
  where->shared = NULL;
  where->scope_object = NULL;

  switch (priv->scope)
    {
    case ASGIREF_LOCAL_SCOPE_CONTEXT:
      where->kind = WHERE_CONTEXT;
      break;

    case ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL:
      if (_asgiref_thread_in_async_code ())
        {
          where->kind = WHERE_CONTEXT;
          where->thread_tag = _asgiref_thread_get_id ();
        }
      else
        where->kind = WHERE_THREAD;
      break;

    case ASGIREF_LOCAL_SCOPE_MAIN_CONTEXT:
      where->kind = WHERE_SHARED;
      where->shared = _asgiref_main_context_store_get ();
      break;

    case ASGIREF_LOCAL_SCOPE_CUSTOM:
      where->scope_object = priv->scope_func ? priv->scope_func (priv->scope_data) : NULL;
      if (where->scope_object == NULL)
        {
          where->kind = WHERE_NOWHERE;
          break;
        }
      where->kind = WHERE_SHARED;
      where->shared = _asgiref_scope_store_get (where->scope_object);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
where_clear (Where *where)
{
  g_clear_pointer (&where->shared, _asgiref_shared_store_unref);
}

/* A snapshot to read, valid until where_release_snapshot(). */
static const AsgirefHamt *
where_peek_snapshot (const Where *where)
{
  switch (where->kind)
    {
    case WHERE_CONTEXT:
      return _asgiref_context_peek_current_snapshot ();
    case WHERE_THREAD:
      return _asgiref_thread_peek_snapshot ();
    case WHERE_SHARED:
      return _asgiref_shared_store_dup_snapshot (where->shared);
    case WHERE_NOWHERE:
    default:
      return NULL;
    }
}

static void
where_release_snapshot (const Where       *where,
                        const AsgirefHamt *snapshot)
{
  if (where->kind == WHERE_SHARED)
    _asgiref_hamt_unref ((AsgirefHamt *) snapshot);
}

/*
 * Replaces the snapshot with edit (old), unless edit returns NULL through
 * @changed = FALSE. Shared stores run edit under their lock, so it must not
 * call out.
 */
typedef AsgirefHamt *(*EditFunc) (AsgirefHamt *old,
                                  gpointer     data,
                                  gboolean    *changed);

static gboolean
where_edit (const Where *where,
            EditFunc     edit,
            gpointer     data)
{
  AsgirefHamt *old = NULL;
  AsgirefHamt *new;
  gboolean changed = FALSE;

  switch (where->kind)
    {
    case WHERE_CONTEXT:
      new = edit (_asgiref_context_peek_current_snapshot (), data, &changed);
      if (changed)
        _asgiref_context_replace_current_snapshot (new);
      else
        _asgiref_hamt_unref (new);
      return changed;

    case WHERE_THREAD:
      new = edit (_asgiref_thread_peek_snapshot (), data, &changed);
      if (changed)
        _asgiref_thread_replace_snapshot (new);
      else
        _asgiref_hamt_unref (new);
      return changed;

    case WHERE_SHARED:
      _asgiref_mutex_lock (&where->shared->lock);
      new = edit (where->shared->snapshot, data, &changed);
      if (changed)
        {
          old = where->shared->snapshot;
          where->shared->snapshot = new;
          new = NULL;
        }
      _asgiref_mutex_unlock (&where->shared->lock);
      /* Outside the lock: dropping values runs their destroy notifies. */
      _asgiref_hamt_unref (old);
      _asgiref_hamt_unref (new);
      return changed;

    case WHERE_NOWHERE:
    default:
      return FALSE;
    }
}

typedef struct
{
  const AsgirefSlotKey *key;
  AsgirefSlot *slot;         /* transfer full */
  gboolean only_if_absent;
} InsertEdit;

static AsgirefHamt *
insert_edit (AsgirefHamt *old,
             gpointer     data,
             gboolean    *changed)
{
  InsertEdit *insert = data;

  if (insert->only_if_absent &&
      _asgiref_hamt_lookup (old, insert->slot->parent.hash, insert->key, _asgiref_slot_matches) != NULL)
    return NULL;

  *changed = TRUE;
  return _asgiref_hamt_insert (old, &g_steal_pointer (&insert->slot)->parent,
                               insert->key, _asgiref_slot_matches);
}

static AsgirefHamt *
remove_edit (AsgirefHamt *old,
             gpointer     data,
             gboolean    *changed)
{
  const AsgirefSlotKey *key = data;

  return _asgiref_hamt_remove (old, _asgiref_slot_hash (key), key, _asgiref_slot_matches, changed);
}

/* Inserts @slot (transfer full); returns whether it went in. */
static gboolean
where_insert (const Where   *where,
              const AsgirefSlotKey *key,
              AsgirefSlot          *slot,
              gboolean       only_if_absent)
{
  InsertEdit insert = { key, slot, only_if_absent };
  gboolean inserted;

  inserted = where_edit (where, insert_edit, &insert);
  if (insert.slot != NULL)
    _asgiref_hamt_entry_unref (&insert.slot->parent);
  return inserted;
}

/* ---- Initialisation ----------------------------------------------------- */

static gboolean
local_wants_initialize (AsgirefLocal *self)
{
  return ASGIREF_LOCAL_GET_CLASS (self)->initialize != NULL ||
         g_signal_has_handler_pending (self, signals[INITIALIZE], 0, TRUE);
}

static void
on_scope_finished (GClosure     *closure,
                   GValue       *return_value,
                   guint         n_param_values,
                   const GValue *param_values,
                   gpointer      invocation_hint,
                   gpointer      marshal_data);

static void
free_local_id (gpointer  data,
               GClosure *closure)
{
  g_free (data);
}

static void
watch_scope_finish (AsgirefLocal *self,
                    const Where  *where)
{
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);
  AsgirefSlotKey key = { priv->id, FINISH_WATCH_TAG, NULL };
  GClosure *closure;
  guint64 *local_id;

  if (priv->finish_signal == NULL || where->scope_object == NULL)
    return;

  if (!where_insert (where, &key, _asgiref_slot_new (&key), TRUE))
    return;

  /* The closure knows the Local only by id: the object may outlive it. */
  local_id = g_new (guint64, 1);
  *local_id = priv->id;
  closure = g_closure_new_simple (sizeof (GClosure), local_id);
  g_closure_set_marshal (closure, on_scope_finished);
  g_closure_add_finalize_notifier (closure, local_id, free_local_id);
  g_signal_connect_closure (where->scope_object, priv->finish_signal, closure, FALSE);
}

typedef struct
{
  guint64 local_id;
  AsgirefHamt *kept;
} FilterLocal;

static void
keep_other_locals (AsgirefHamtEntry *entry,
                   gpointer          data)
{
  FilterLocal *filter = data;
  AsgirefSlot *slot = (AsgirefSlot *) entry;

  if (slot->local_id != filter->local_id)
    _asgiref_slots_put (&filter->kept, slot);
}

static AsgirefHamt *
drop_local_edit (AsgirefHamt *old,
                 gpointer     data,
                 gboolean    *changed)
{
  FilterLocal filter = { *(guint64 *) data, NULL };

  _asgiref_hamt_foreach (old, keep_other_locals, &filter);
  *changed = TRUE;
  return filter.kept;
}

static void
on_scope_finished (GClosure     *closure,
                   GValue       *return_value,
                   guint         n_param_values,
                   const GValue *param_values,
                   gpointer      invocation_hint,
                   gpointer      marshal_data)
{
  GObject *object = g_value_get_object (&param_values[0]);
  Where where = { WHERE_SHARED, 0, NULL, object };

  /* Once finished, the scope starts afresh if it is used again. */
  g_signal_handlers_disconnect_matched (object, G_SIGNAL_MATCH_CLOSURE,
                                        0, 0, closure, NULL, NULL);

  where.shared = _asgiref_scope_store_get (object);
  where_edit (&where, drop_local_edit, closure->data);
  where_clear (&where);
}

/* Runs ::initialize if this is the Local's first use where @where is. */
static gboolean
local_ensure_initialized (AsgirefLocal *self,
                          const Where  *where)
{
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);
  AsgirefSlotKey key = { priv->id, where->thread_tag, NULL };

  if (where->kind == WHERE_NOWHERE)
    return FALSE;

  watch_scope_finish (self, where);

  if (!local_wants_initialize (self))
    return FALSE;

  /* The marker goes in first, so that the handler's own accesses do not
   * start another initialisation. */
  if (!where_insert (where, &key, _asgiref_slot_new (&key), TRUE))
    return FALSE;

  g_signal_emit (self, signals[INITIALIZE], 0);
  return TRUE;
}

/* ---- Access ------------------------------------------------------------- */

typedef struct
{
  Where where;
  const AsgirefHamt *snapshot;
  AsgirefSlot *slot;
} Found;

static void
found_clear (Found *found)
{
  where_release_snapshot (&found->where, found->snapshot);
  where_clear (&found->where);
}

static void
local_find (AsgirefLocal *self,
            const char   *name,
            Found        *found)
{
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);
  AsgirefSlotKey key;
  guint hash;

  where_resolve (self, &found->where);
  key = (AsgirefSlotKey) { priv->id, found->where.thread_tag, name };
  hash = _asgiref_slot_hash (&key);

  found->snapshot = where_peek_snapshot (&found->where);
  found->slot = (AsgirefSlot *) _asgiref_hamt_lookup (found->snapshot, hash, &key, _asgiref_slot_matches);

  /* A miss may be the first use here; initialising may set the name. */
  if (found->slot == NULL && local_ensure_initialized (self, &found->where))
    {
      where_release_snapshot (&found->where, found->snapshot);
      found->snapshot = where_peek_snapshot (&found->where);
      found->slot = (AsgirefSlot *) _asgiref_hamt_lookup (found->snapshot, hash, &key, _asgiref_slot_matches);
    }
}

/* Stores a copy of @value, or else @data with @destroy, under @name. */
static void
local_store (AsgirefLocal   *self,
             const char     *name,
             const GValue   *value,
             gpointer        data,
             GDestroyNotify  destroy)
{
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);
  const AsgirefHamt *snapshot;
  AsgirefSlotKey key;
  AsgirefSlot *slot;
  gboolean present;
  Where where;

  where_resolve (self, &where);
  if (where.kind == WHERE_NOWHERE)
    {
      g_warning ("%s", _("A Local with a custom scope was written outside of any scope; the value is dropped"));
      if (value == NULL && destroy != NULL)
        destroy (data);
      return;
    }

  key = (AsgirefSlotKey) { priv->id, where.thread_tag, name };
  slot = _asgiref_slot_new (&key);
  if (value != NULL)
    {
      g_value_init (&slot->value, G_VALUE_TYPE (value));
      g_value_copy (value, &slot->value);
    }
  else
    {
      slot->data = data;
      slot->destroy = destroy;
    }

  snapshot = where_peek_snapshot (&where);
  present = _asgiref_hamt_lookup (snapshot, slot->parent.hash, &key, _asgiref_slot_matches) != NULL;
  where_release_snapshot (&where, snapshot);
  if (!present)
    local_ensure_initialized (self, &where);

  where_insert (&where, &key, slot, FALSE);
  where_clear (&where);
}

static void
asgiref_local_finalize (GObject *object)
{
  AsgirefLocal *self = ASGIREF_LOCAL (object);
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);

  if (priv->scope_notify != NULL)
    priv->scope_notify (priv->scope_data);
  g_free (priv->finish_signal);

  G_OBJECT_CLASS (asgiref_local_parent_class)->finalize (object);
}

static void
asgiref_local_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AsgirefLocal *self = ASGIREF_LOCAL (object);
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_SCOPE:
      g_value_set_enum (value, priv->scope);
      break;
    case PROP_FINISH_SIGNAL:
      g_value_set_string (value, priv->finish_signal);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_local_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  AsgirefLocal *self = ASGIREF_LOCAL (object);
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_SCOPE:
      priv->scope = g_value_get_enum (value);
      break;
    case PROP_FINISH_SIGNAL:
      priv->finish_signal = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_local_class_init (AsgirefLocalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = asgiref_local_finalize;
  object_class->get_property = asgiref_local_get_property;
  object_class->set_property = asgiref_local_set_property;

  /**
   * AsgirefLocal:scope:
   *
   * Where the Local keeps its values. [enum@Asgiref.LocalScope.CUSTOM]
   * needs a scope function, so it can only be had from
   * [ctor@Asgiref.Local.new_for_scope].
   */
  properties[PROP_SCOPE] =
    g_param_spec_enum ("scope", NULL, NULL,
                       ASGIREF_TYPE_LOCAL_SCOPE,
                       ASGIREF_LOCAL_SCOPE_CONTEXT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefLocal:finish-signal:
   *
   * For a [enum@Asgiref.LocalScope.CUSTOM] Local, the detailed signal of a
   * scope object (such as `notify::completed` of a #GTask) after which its
   * values are dropped, or %NULL to keep them until the object is
   * finalized.
   */
  properties[PROP_FINISH_SIGNAL] =
    g_param_spec_string ("finish-signal", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AsgirefLocal::initialize:
   * @self: the Local
   *
   * Emitted on the first use of the Local in a context (or, in the other
   * scopes, a thread, main context or scope object), before that use is
   * served, so that handlers can set defaults with
   * [method@Asgiref.Local.set_value]. A context copied from an initialised
   * one inherits its values and is not initialised again.
   *
   * It is emitted on the thread that uses the Local, in the context being
   * initialised. Connect before the Local is first used.
   */
  signals[INITIALIZE] =
    g_signal_new ("initialize",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (AsgirefLocalClass, initialize),
                  NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
asgiref_local_init (AsgirefLocal *self)
{
  static gsize last_id = 0;
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);

  priv->id = (guint64) g_atomic_pointer_add (&last_id, 1) + 1;
}

/**
 * asgiref_local_new:
 *
 * Creates a Local whose values live in the current context
 * ([enum@Asgiref.LocalScope.CONTEXT]), like asgiref's `Local()`.
 *
 * Returns: (transfer full): a new Local
 */
AsgirefLocal *
asgiref_local_new (void)
{
  return g_object_new (ASGIREF_TYPE_LOCAL, NULL);
}

/**
 * asgiref_local_new_thread_critical:
 *
 * Creates a Local whose values never leave the thread that set them, like
 * asgiref's `Local(thread_critical=True)`: per thread, and per thread and
 * context while the thread dispatches a main loop.
 *
 * Returns: (transfer full): a new Local
 */
AsgirefLocal *
asgiref_local_new_thread_critical (void)
{
  return g_object_new (ASGIREF_TYPE_LOCAL,
                       "scope", ASGIREF_LOCAL_SCOPE_THREAD_CRITICAL,
                       NULL);
}

/**
 * asgiref_local_new_for_main_context:
 *
 * Creates a Local whose values belong to the thread-default main context
 * of the thread using it (the global default one when none is pushed). The
 * values of a main context are freed when it is.
 *
 * Returns: (transfer full): a new Local
 */
AsgirefLocal *
asgiref_local_new_for_main_context (void)
{
  return g_object_new (ASGIREF_TYPE_LOCAL,
                       "scope", ASGIREF_LOCAL_SCOPE_MAIN_CONTEXT,
                       NULL);
}

/**
 * asgiref_local_new_for_scope:
 * @scope_func: (scope notified) (closure user_data) (destroy notify):
 *   returns the current scope object
 * @user_data: data for @scope_func
 * @notify: (nullable): frees @user_data with the Local
 * @finish_signal: (nullable): a detailed signal of the scope objects after
 *   which their values are dropped, such as `notify::completed`
 *
 * Creates a Local whose values belong to whatever object @scope_func
 * returns at the time of each access, like tasklocal's discriminator: the
 * task or request being served, for example. A scope object's values are
 * freed when it is finalized or emits @finish_signal. Nothing is
 * inherited between scope objects.
 *
 * @scope_func is called on the thread that uses the Local.
 *
 * Returns: (transfer full): a new Local
 */
AsgirefLocal *
asgiref_local_new_for_scope (AsgirefLocalScopeFunc  scope_func,
                             gpointer               user_data,
                             GDestroyNotify         notify,
                             const char            *finish_signal)
{
  AsgirefLocal *self;
  AsgirefLocalPrivate *priv;

  g_return_val_if_fail (scope_func != NULL, NULL);

  self = g_object_new (ASGIREF_TYPE_LOCAL,
                       "scope", ASGIREF_LOCAL_SCOPE_CUSTOM,
                       "finish-signal", finish_signal,
                       NULL);
  priv = asgiref_local_get_instance_private (self);
  priv->scope_func = scope_func;
  priv->scope_data = user_data;
  priv->scope_notify = notify;
  return self;
}

/**
 * asgiref_local_get_scope:
 * @self: a Local
 *
 * Gets the scope @self was constructed with.
 *
 * Returns: where @self keeps its values
 */
AsgirefLocalScope
asgiref_local_get_scope (AsgirefLocal *self)
{
  AsgirefLocalPrivate *priv;

  g_return_val_if_fail (ASGIREF_IS_LOCAL (self), ASGIREF_LOCAL_SCOPE_CONTEXT);

  priv = asgiref_local_get_instance_private (self);
  return priv->scope;
}

/**
 * asgiref_local_get_value:
 * @self: a Local
 * @name: the name of the value
 * @value: (out caller-allocates): an uninitialised #GValue to receive a
 *   copy of the value
 * @error: return location for an error
 *
 * Reads the value set under @name where @self keeps values for the caller
 * (see [enum@Asgiref.LocalScope]).
 *
 * A value stored with [method@Asgiref.Local.set_pointer] reads as a
 * %G_TYPE_POINTER.
 *
 * Returns: %TRUE with @value set, or %FALSE with %ASGIREF_ERROR_NOT_SET
 *   when nothing is set under @name
 */
gboolean
asgiref_local_get_value (AsgirefLocal  *self,
                         const char    *name,
                         GValue        *value,
                         GError       **error)
{
  Found found;
  gboolean ok = FALSE;

  g_return_val_if_fail (ASGIREF_IS_LOCAL (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  local_find (self, name, &found);
  if (found.slot == NULL)
    g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_NOT_SET,
                 _("No value is set for “%s”"), name);
  else
    {
      if (G_VALUE_TYPE (&found.slot->value) != G_TYPE_INVALID)
        {
          g_value_init (value, G_VALUE_TYPE (&found.slot->value));
          g_value_copy (&found.slot->value, value);
        }
      else
        {
          g_value_init (value, G_TYPE_POINTER);
          g_value_set_pointer (value, found.slot->data);
        }
      ok = TRUE;
    }
  found_clear (&found);

  return ok;
}

/**
 * asgiref_local_get_pointer: (skip)
 * @self: a Local
 * @name: the name of the value
 *
 * Reads the pointer stored under @name with
 * [method@Asgiref.Local.set_pointer], or held by a pointer, boxed, object
 * or string value. Bindings use [method@Asgiref.Local.get_value].
 *
 * For the context and thread-critical scopes, the pointer stays valid until
 * the calling thread replaces or removes the value, or leaves the context.
 * In shared scopes (main context, custom) another thread may replace it;
 * take your own reference under your own locking there.
 *
 * Returns: (transfer none) (nullable): the pointer, or %NULL when nothing
 *   is set or the value holds no pointer
 */
gpointer
asgiref_local_get_pointer (AsgirefLocal *self,
                           const char   *name)
{
  AsgirefLocalPrivate *priv;
  Found found;
  gpointer data = NULL;

  g_return_val_if_fail (ASGIREF_IS_LOCAL (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  /* The hot path: a hit in the current context needs no store lookup, no
   * locking and no initialisation check. */
  priv = asgiref_local_get_instance_private (self);
  if (priv->scope == ASGIREF_LOCAL_SCOPE_CONTEXT)
    {
      AsgirefSlotKey key = { priv->id, 0, name };
      const AsgirefSlot *slot;

      slot = (const AsgirefSlot *) _asgiref_hamt_lookup (_asgiref_context_peek_current_snapshot (),
                                                  _asgiref_slot_hash (&key), &key, _asgiref_slot_matches);
      if (slot != NULL)
        return _asgiref_slot_peek_pointer (slot);
    }

  local_find (self, name, &found);
  if (found.slot != NULL)
    data = _asgiref_slot_peek_pointer (found.slot);
  found_clear (&found);

  return data;
}

/**
 * asgiref_local_set_value:
 * @self: a Local
 * @name: the name of the value
 * @value: the value to store a copy of
 *
 * Stores a copy of @value under @name where @self keeps values for the
 * caller, replacing any value there. Copies of the current context made
 * before this call do not see it.
 */
void
asgiref_local_set_value (AsgirefLocal *self,
                         const char   *name,
                         const GValue *value)
{
  g_return_if_fail (ASGIREF_IS_LOCAL (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (G_IS_VALUE (value));

  local_store (self, name, value, NULL, NULL);
}

/**
 * asgiref_local_set_pointer: (skip)
 * @self: a Local
 * @name: the name of the value
 * @data: (nullable): the pointer to store
 * @destroy: (nullable): frees @data when the last context holding it lets
 *   go of it, on the thread that drops it
 *
 * Stores @data under @name, as [method@Asgiref.Local.set_value] does.
 * Bindings use [method@Asgiref.Local.set_value].
 */
void
asgiref_local_set_pointer (AsgirefLocal   *self,
                           const char     *name,
                           gpointer        data,
                           GDestroyNotify  destroy)
{
  g_return_if_fail (ASGIREF_IS_LOCAL (self));
  g_return_if_fail (name != NULL);

  local_store (self, name, NULL, data, destroy);
}

/**
 * asgiref_local_contains:
 * @self: a Local
 * @name: the name of a value
 *
 * Checks whether a value is set under @name in the caller's context,
 * thread or scope.
 *
 * Returns: whether a value is set under @name for the caller
 */
gboolean
asgiref_local_contains (AsgirefLocal *self,
                        const char   *name)
{
  Found found;
  gboolean contains;

  g_return_val_if_fail (ASGIREF_IS_LOCAL (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  local_find (self, name, &found);
  contains = found.slot != NULL;
  found_clear (&found);

  return contains;
}

/**
 * asgiref_local_remove:
 * @self: a Local
 * @name: the name of a value
 *
 * Removes the value set under @name for the caller. Contexts copied before
 * keep their own.
 *
 * Returns: %TRUE if a value was removed, %FALSE if none was set
 */
gboolean
asgiref_local_remove (AsgirefLocal *self,
                      const char   *name)
{
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);
  Found found;
  gboolean removed = FALSE;

  g_return_val_if_fail (ASGIREF_IS_LOCAL (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  local_find (self, name, &found);
  if (found.slot != NULL)
    {
      AsgirefSlotKey key = { priv->id, found.where.thread_tag, name };

      where_release_snapshot (&found.where, found.snapshot);
      found.snapshot = NULL;
      removed = where_edit (&found.where, remove_edit, &key);
    }
  found_clear (&found);

  return removed;
}

typedef struct
{
  guint64 local_id;
  guint64 thread_tag;
  GPtrArray *names;
} CollectNames;

static void
collect_name (AsgirefHamtEntry *entry,
              gpointer          data)
{
  CollectNames *collect = data;
  AsgirefSlot *slot = (AsgirefSlot *) entry;

  if (slot->local_id == collect->local_id &&
      slot->thread_tag == collect->thread_tag &&
      slot->name != NULL)
    g_ptr_array_add (collect->names, g_strdup (slot->name));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/**
 * asgiref_local_list_names:
 * @self: a Local
 *
 * Lists the names under which values are set for the caller.
 *
 * Returns: (transfer full) (array zero-terminated=1): the names, sorted
 */
char **
asgiref_local_list_names (AsgirefLocal *self)
{
  AsgirefLocalPrivate *priv = asgiref_local_get_instance_private (self);
  CollectNames collect;
  const AsgirefHamt *snapshot;
  Where where;

  g_return_val_if_fail (ASGIREF_IS_LOCAL (self), NULL);

  where_resolve (self, &where);
  local_ensure_initialized (self, &where);

  collect.local_id = priv->id;
  collect.thread_tag = where.thread_tag;
  collect.names = g_ptr_array_new ();
  snapshot = where_peek_snapshot (&where);
  _asgiref_hamt_foreach (snapshot, collect_name, &collect);
  where_release_snapshot (&where, snapshot);
  where_clear (&where);

  g_ptr_array_sort (collect.names, compare_names);
  g_ptr_array_add (collect.names, NULL);
  return (char **) g_ptr_array_free (collect.names, FALSE);
}
