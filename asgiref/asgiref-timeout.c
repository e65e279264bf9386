/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-i18n-private.h"
#include "asgiref-lock-private.h"
#include "asgiref-timeout.h"

/**
 * AsgirefTimeout:
 *
 * A deadline that cancels a #GCancellable when it passes: the GLib
 * counterpart of asgiref's `timeout()` (async_timeout).
 *
 * Hand [method@Asgiref.Timeout.get_cancellable] to the operations to cut
 * short. When the deadline passes, the timeout cancels that cancellable and
 * becomes [property@Asgiref.Timeout:expired]; the operations then fail with
 * %G_IO_ERROR_CANCELLED, which [method@Asgiref.Timeout.translate_error]
 * turns into the %G_IO_ERROR_TIMED_OUT that says what happened:
 *
 * ```c
 * static void
 * read_done (GObject      *source,
 *            GAsyncResult *result,
 *            gpointer      user_data)
 * {
 *   g_autoptr(AsgirefTimeout) timeout = user_data;
 *   g_autoptr(GBytes) bytes = NULL;
 *   g_autoptr(GError) error = NULL;
 *
 *   bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
 *   asgiref_timeout_translate_error (timeout, &error);
 *   if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
 *     g_message ("nothing arrived within 5 seconds");
 *   ...
 * }
 *
 * // The timeout expires 5 s from now, or is cancelled with @cancellable.
 * AsgirefTimeout *timeout = asgiref_timeout_new (5 * G_USEC_PER_SEC, cancellable);
 *
 * g_input_stream_read_bytes_async (stream, 4096, G_PRIORITY_DEFAULT,
 *                                  asgiref_timeout_get_cancellable (timeout),
 *                                  read_done,
 *                                  timeout);  // read_done() owns the timeout
 * ```
 *
 * Times are in microseconds of g_get_monotonic_time(). A deadline can be
 * moved while it runs ([method@Asgiref.Timeout.shift],
 * [method@Asgiref.Timeout.update]) or dropped
 * ([method@Asgiref.Timeout.reject]); a timeout made with
 * [ctor@Asgiref.Timeout.new_infinite] has no deadline, so code can take a
 * timeout unconditionally and pass an infinite one for "no limit".
 *
 * A timeout made with a parent cancellable is cancelled with its parent,
 * at once and on the thread that cancels the parent. That is a
 * cancellation, not a timeout: `expired` stays %FALSE, and the error an
 * operation returns stays %G_IO_ERROR_CANCELLED. Whichever of the two
 * comes first decides; a deadline that passes after the cancellable was
 * cancelled (by the parent or by anyone else) does not expire the timeout.
 *
 * ## Threads and main contexts
 *
 * The deadline is watched by a #GSource on the thread-default
 * #GMainContext of the thread that created the timeout (the global default
 * context if that thread has pushed none), so the timeout expires only
 * while that context is iterated, and it expires *there*:
 * the cancellable's [signal@Gio.Cancellable::cancelled] handlers (and the
 * callbacks given to g_cancellable_connect()) run on that context's thread,
 * as does the emission of `notify::expired`. Create the timeout on a thread
 * that runs its main loop, not on a worker that blocks.
 *
 * A deadline of zero, or one that has already passed, expires at the next
 * iteration of that context, never inside the call that set it, so the
 * operations can be started first.
 *
 * Every method may be called from any thread. Dropping the last reference
 * disarms the timer, as leaving an `async with timeout()` block does, so
 * keep the timeout for as long as the operations it limits run (above,
 * the callback owns it).
 */

/* GMainContext computes poll timeouts as (ready_time - now) in
 * milliseconds; keep ready times far enough from G_MAXINT64 that this
 * cannot overflow. Half of it is still some 146 000 years away. */
#define MAX_READY_TIME (G_MAXINT64 / 2)

typedef struct
{
  GSource  source;
  GWeakRef timeout;
} TimerSource;

struct _AsgirefTimeout
{
  GObject parent_instance;

  /* Set up before construction ends and fixed afterwards (constructed()
   * publishes them to other threads with its first unlock of lock). */
  GCancellable *cancellable;    /* ours */
  GCancellable *parent;         /* nullable */
  GMainContext *context;        /* where the timer runs */

  GMutex lock;
  /* Under lock. */
  gulong parent_handler;
  gint64 deadline;              /* -1: none, otherwise >= 0 */
  GSource *timer;               /* a TimerSource; NULL while nothing is armed */
  gboolean expired;
};

enum {
  PROP_0,
  PROP_CANCELLABLE,
  PROP_DEADLINE,
  PROP_EXPIRED,
  PROP_PARENT_CANCELLABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AsgirefTimeout, asgiref_timeout, G_TYPE_OBJECT)

static gint64
add_saturated (gint64 a,
               gint64 b)
{
  if (b > 0 && a > G_MAXINT64 - b)
    return G_MAXINT64;
  if (b < 0 && a < G_MININT64 - b)
    return G_MININT64;
  return a + b;
}

static void
set_timed_out_error (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       _("Operation timed out"));
}

/* ---- The timer ----------------------------------------------------------- */

static gboolean timeout_fire (AsgirefTimeout *self,
                              GSource        *timer);

static gboolean
timer_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  TimerSource *timer = (TimerSource *) source;
  AsgirefTimeout *self;
  gboolean again;

  /* The source knows its timeout only weakly: the timeout owns the source
   * and destroys it on dispose, possibly on another thread while this
   * dispatch is already running. */
  self = g_weak_ref_get (&timer->timeout);
  if (self == NULL)
    return G_SOURCE_REMOVE;

  again = timeout_fire (self, source);
  g_object_unref (self);

  return again;
}

static void
timer_source_finalize (GSource *source)
{
  TimerSource *timer = (TimerSource *) source;

  g_weak_ref_clear (&timer->timeout);
}

static GSourceFuncs timer_source_funcs = {
  .prepare = NULL,
  .check = NULL,
  .dispatch = timer_source_dispatch,
  .finalize = timer_source_finalize,
};

static GSource *
timer_source_new (AsgirefTimeout *self)
{
  GSource *source = g_source_new (&timer_source_funcs, sizeof (TimerSource));

  g_weak_ref_init (&((TimerSource *) source)->timeout, self);
  g_source_set_static_name (source, "AsgirefTimeout");
  return source;
}

/* Points the timer at the deadline, attaching one if there is none. Called
 * with the lock held, with a deadline, before expiry. GLib wakes up the
 * context when a ready time changes from another thread. */
static void
timeout_arm_locked (AsgirefTimeout *self)
{
  gint64 ready_time = MIN (self->deadline, MAX_READY_TIME);

  g_assert (self->deadline >= 0);
  g_assert (!self->expired);

  if (self->timer != NULL)
    {
      g_source_set_ready_time (self->timer, ready_time);
      return;
    }

  self->timer = timer_source_new (self);
  g_source_set_ready_time (self->timer, ready_time);
  g_source_attach (self->timer, self->context);
}

static void
timer_destroy (GSource *timer)
{
  if (timer == NULL)
    return;

  g_source_destroy (timer);
  g_source_unref (timer);
}

/* On the timer's context. */
static gboolean
timeout_fire (AsgirefTimeout *self,
              GSource        *timer)
{
  gboolean expire;

  _asgiref_mutex_lock (&self->lock);

  /* Rejected, disposed or replaced while the context was getting here. */
  if (self->timer != timer)
    {
      _asgiref_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }

  /* Moved later by another thread after the context found it ready: the
   * new ready time is already set. */
  if (self->deadline < 0 || g_get_monotonic_time () < self->deadline)
    {
      _asgiref_mutex_unlock (&self->lock);
      return G_SOURCE_CONTINUE;
    }

  /* A deadline that passes after a cancellation did not cut anything
   * short: that is not a timeout. */
  self->timer = NULL;
  expire = !g_cancellable_is_cancelled (self->cancellable);
  self->expired = expire;

  _asgiref_mutex_unlock (&self->lock);

  /* Set before cancelling, so that a handler or callback run by the
   * cancellation already sees the timeout as expired. */
  if (expire)
    {
      g_cancellable_cancel (self->cancellable);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRED]);
    }

  /* The reference self->timer held; the context keeps its own until this
   * dispatch returns. */
  g_source_unref (timer);

  return G_SOURCE_REMOVE;
}

/* ---- The parent cancellable --------------------------------------------- */

/* Runs on the thread that cancels the parent. It knows only our cancellable
 * (which the closure keeps alive), never the timeout: a handler that took a
 * reference on the timeout could end up dropping the last one, and the
 * dispose that followed would wait for this very handler in
 * g_cancellable_disconnect(). */
static void
on_parent_cancelled (GCancellable *parent,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
release_cancellable (gpointer  data,
                     GClosure *closure)
{
  g_object_unref (data);
}

/* ---- GObject ------------------------------------------------------------- */

static void
asgiref_timeout_constructed (GObject *object)
{
  AsgirefTimeout *self = ASGIREF_TIMEOUT (object);
  gulong handler = 0;

  G_OBJECT_CLASS (asgiref_timeout_parent_class)->constructed (object);

  if (self->parent != NULL)
    {
      /* A plain signal handler rather than g_cancellable_connect(), so that
       * disconnecting never waits (see on_parent_cancelled()). Connecting
       * first and then checking catches a cancellation that happens in
       * between; cancelling twice is harmless. */
      handler = g_signal_connect_data (self->parent, "cancelled",
                                       G_CALLBACK (on_parent_cancelled),
                                       g_object_ref (self->cancellable),
                                       release_cancellable, 0);
      if (g_cancellable_is_cancelled (self->parent))
        g_cancellable_cancel (self->cancellable);
    }

  _asgiref_mutex_lock (&self->lock);
  self->parent_handler = handler;
  if (self->deadline >= 0)
    timeout_arm_locked (self);
  _asgiref_mutex_unlock (&self->lock);
}

static void
asgiref_timeout_dispose (GObject *object)
{
  AsgirefTimeout *self = ASGIREF_TIMEOUT (object);
  GSource *timer;
  gulong handler;

  _asgiref_mutex_lock (&self->lock);
  timer = g_steal_pointer (&self->timer);
  handler = self->parent_handler;
  self->parent_handler = 0;
  _asgiref_mutex_unlock (&self->lock);

  timer_destroy (timer);
  if (handler != 0)
    g_signal_handler_disconnect (self->parent, handler);

  G_OBJECT_CLASS (asgiref_timeout_parent_class)->dispose (object);
}

static void
asgiref_timeout_finalize (GObject *object)
{
  AsgirefTimeout *self = ASGIREF_TIMEOUT (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->parent);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (asgiref_timeout_parent_class)->finalize (object);
}

static void
asgiref_timeout_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  AsgirefTimeout *self = ASGIREF_TIMEOUT (object);

  switch (prop_id)
    {
    case PROP_CANCELLABLE:
      g_value_set_object (value, self->cancellable);
      break;
    case PROP_DEADLINE:
      g_value_set_int64 (value, asgiref_timeout_get_deadline (self));
      break;
    case PROP_EXPIRED:
      g_value_set_boolean (value, asgiref_timeout_get_expired (self));
      break;
    case PROP_PARENT_CANCELLABLE:
      g_value_set_object (value, self->parent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_timeout_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  AsgirefTimeout *self = ASGIREF_TIMEOUT (object);

  switch (prop_id)
    {
    case PROP_DEADLINE:
      /* Construct-only: nothing else sees the timeout yet. */
      self->deadline = g_value_get_int64 (value);
      break;
    case PROP_PARENT_CANCELLABLE:
      self->parent = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_timeout_class_init (AsgirefTimeoutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = asgiref_timeout_constructed;
  object_class->dispose = asgiref_timeout_dispose;
  object_class->finalize = asgiref_timeout_finalize;
  object_class->get_property = asgiref_timeout_get_property;
  object_class->set_property = asgiref_timeout_set_property;

  /**
   * AsgirefTimeout:cancellable: (getter get_cancellable)
   *
   * The cancellable that the timeout cancels when it expires, or when
   * [property@Asgiref.Timeout:parent-cancellable] is cancelled. Pass it to
   * the operations to cut short.
   */
  properties[PROP_CANCELLABLE] =
    g_param_spec_object ("cancellable", NULL, NULL,
                         G_TYPE_CANCELLABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefTimeout:deadline: (getter get_deadline)
   *
   * When the timeout expires, in microseconds of g_get_monotonic_time(),
   * or -1 when it has no deadline. A deadline already passed expires at
   * the next iteration of the timer's main context.
   *
   * Set at construction, then moved by [method@Asgiref.Timeout.shift],
   * [method@Asgiref.Timeout.update] and [method@Asgiref.Timeout.reject],
   * which emit `notify::deadline` on the thread that calls them.
   */
  properties[PROP_DEADLINE] =
    g_param_spec_int64 ("deadline", NULL, NULL,
                        -1, G_MAXINT64, -1,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefTimeout:expired: (getter get_expired)
   *
   * Whether the deadline passed and the timeout cancelled its cancellable.
   *
   * It turns %TRUE at most once, on the thread of the timer's main context,
   * just before the cancellable is cancelled; `notify::expired` is emitted
   * there, just after. A cancellation by the parent cancellable leaves it
   * %FALSE.
   */
  properties[PROP_EXPIRED] =
    g_param_spec_boolean ("expired", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefTimeout:parent-cancellable:
   *
   * A cancellable whose cancellation cancels the timeout's
   * [property@Asgiref.Timeout:cancellable] too (without making the timeout
   * expired), or %NULL.
   */
  properties[PROP_PARENT_CANCELLABLE] =
    g_param_spec_object ("parent-cancellable", NULL, NULL,
                         G_TYPE_CANCELLABLE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_timeout_init (AsgirefTimeout *self)
{
  g_mutex_init (&self->lock);
  self->deadline = -1;
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
}

/* ---- Public API ---------------------------------------------------------- */

/**
 * asgiref_timeout_new:
 * @delay_us: how long from now until the timeout expires, in microseconds
 * @parent: (nullable): a cancellable that cancels the timeout's cancellable
 *   too, or %NULL
 *
 * Creates a timeout that expires @delay_us microseconds from now, on the
 * thread-default main context of the calling thread (see
 * [class@Asgiref.Timeout] for what runs there). A delay of zero or less
 * expires at the next iteration of that context.
 *
 * Returns: (transfer full): a new timeout
 */
AsgirefTimeout *
asgiref_timeout_new (gint64        delay_us,
                     GCancellable *parent)
{
  gint64 deadline;

  g_return_val_if_fail (parent == NULL || G_IS_CANCELLABLE (parent), NULL);

  deadline = add_saturated (g_get_monotonic_time (), delay_us);
  return g_object_new (ASGIREF_TYPE_TIMEOUT,
                       "deadline", MAX (deadline, 0),
                       "parent-cancellable", parent,
                       NULL);
}

/**
 * asgiref_timeout_new_at:
 * @deadline_us: when the timeout expires, in microseconds of
 *   g_get_monotonic_time()
 * @parent: (nullable): a cancellable that cancels the timeout's cancellable
 *   too, or %NULL
 *
 * Creates a timeout that expires at @deadline_us, on the thread-default
 * main context of the calling thread. A deadline that has already passed
 * (any value up to now, negative ones included) expires at the next
 * iteration of that context.
 *
 * Returns: (transfer full): a new timeout
 */
AsgirefTimeout *
asgiref_timeout_new_at (gint64        deadline_us,
                        GCancellable *parent)
{
  g_return_val_if_fail (parent == NULL || G_IS_CANCELLABLE (parent), NULL);

  return g_object_new (ASGIREF_TYPE_TIMEOUT,
                       "deadline", MAX (deadline_us, 0),
                       "parent-cancellable", parent,
                       NULL);
}

/**
 * asgiref_timeout_new_infinite:
 * @parent: (nullable): a cancellable that cancels the timeout's cancellable
 *   too, or %NULL
 *
 * Creates a timeout without a deadline: it never expires unless
 * [method@Asgiref.Timeout.update] gives it one. Its cancellable is
 * cancelled only with @parent. Until then it costs no main-context source.
 *
 * Returns: (transfer full): a new timeout
 */
AsgirefTimeout *
asgiref_timeout_new_infinite (GCancellable *parent)
{
  g_return_val_if_fail (parent == NULL || G_IS_CANCELLABLE (parent), NULL);

  return g_object_new (ASGIREF_TYPE_TIMEOUT,
                       "parent-cancellable", parent,
                       NULL);
}

/**
 * asgiref_timeout_get_cancellable: (get-property cancellable)
 * @self: a timeout
 *
 * Gets the cancellable to pass to the operations the timeout limits. It is
 * cancelled when the timeout expires (on the timer's main context) or when
 * the parent cancellable is cancelled (on the thread that cancels it).
 *
 * Returns: (transfer none): the timeout's cancellable, valid as long as
 *   @self is
 */
GCancellable *
asgiref_timeout_get_cancellable (AsgirefTimeout *self)
{
  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), NULL);

  return self->cancellable;
}

/**
 * asgiref_timeout_get_expired: (get-property expired)
 * @self: a timeout
 *
 * Gets whether the deadline passed and the timeout cancelled its
 * cancellable. This turns %TRUE on the timer's main context: a deadline
 * that has passed while that context has not yet run leaves it %FALSE (and
 * [method@Asgiref.Timeout.get_remaining] 0) for a moment.
 *
 * Returns: %TRUE once the timeout has expired
 */
gboolean
asgiref_timeout_get_expired (AsgirefTimeout *self)
{
  gboolean expired;

  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), FALSE);

  _asgiref_mutex_lock (&self->lock);
  expired = self->expired;
  _asgiref_mutex_unlock (&self->lock);

  return expired;
}

/**
 * asgiref_timeout_get_deadline: (get-property deadline)
 * @self: a timeout
 *
 * Gets when the timeout expires (or expired), in microseconds of
 * g_get_monotonic_time().
 *
 * Returns: the deadline, or -1 when the timeout has none
 */
gint64
asgiref_timeout_get_deadline (AsgirefTimeout *self)
{
  gint64 deadline;

  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), -1);

  _asgiref_mutex_lock (&self->lock);
  deadline = self->deadline;
  _asgiref_mutex_unlock (&self->lock);

  return deadline;
}

/**
 * asgiref_timeout_get_remaining:
 * @self: a timeout
 *
 * Gets how long until the deadline.
 *
 * Returns: the microseconds left until the deadline; 0 when it has passed
 *   or the timeout has expired; -1 when there is no deadline
 */
gint64
asgiref_timeout_get_remaining (AsgirefTimeout *self)
{
  gint64 remaining;

  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), -1);

  _asgiref_mutex_lock (&self->lock);
  if (self->expired)
    remaining = 0;
  else if (self->deadline < 0)
    remaining = -1;
  else
    remaining = MAX (self->deadline - g_get_monotonic_time (), 0);
  _asgiref_mutex_unlock (&self->lock);

  return remaining;
}

typedef enum
{
  RESCHEDULED,
  REFUSED_EXPIRED,
  REFUSED_NO_DEADLINE,
} Reschedule;

static gboolean
timeout_reschedule (AsgirefTimeout  *self,
                    gboolean         relative,
                    gint64           value,
                    GError         **error)
{
  Reschedule outcome = RESCHEDULED;
  gboolean changed = FALSE;

  _asgiref_mutex_lock (&self->lock);
  if (self->expired)
    outcome = REFUSED_EXPIRED;
  else if (relative && self->deadline < 0)
    outcome = REFUSED_NO_DEADLINE;
  else
    {
      gint64 deadline = relative ? add_saturated (self->deadline, value) : value;

      deadline = MAX (deadline, 0);
      changed = deadline != self->deadline;
      self->deadline = deadline;
      timeout_arm_locked (self);
    }
  _asgiref_mutex_unlock (&self->lock);

  switch (outcome)
    {
    case RESCHEDULED:
      if (changed)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEADLINE]);
      return TRUE;

    case REFUSED_EXPIRED:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           _("Cannot reschedule a timeout that has expired"));
      return FALSE;

    case REFUSED_NO_DEADLINE:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Cannot shift a timeout that has no deadline"));
      return FALSE;

    default:
      g_assert_not_reached ();
    }
}

/**
 * asgiref_timeout_shift:
 * @self: a timeout
 * @delta_us: how far to move the deadline, in microseconds: later when
 *   positive, earlier when negative
 * @error: return location for an error
 *
 * Moves the deadline by @delta_us, like async_timeout's `shift()`. A
 * deadline moved into the past expires at the next iteration of the
 * timer's main context.
 *
 * This fails when the timeout can no longer be rescheduled: with
 * %G_IO_ERROR_TIMED_OUT once it has expired (which may happen on the
 * timer's thread at any moment, so it is an error rather than a
 * programming mistake), and with %G_IO_ERROR_NOT_SUPPORTED when it has no
 * deadline to move (an infinite or rejected timeout: use
 * [method@Asgiref.Timeout.update] to give it one).
 *
 * Returns: %TRUE if the deadline was moved
 */
gboolean
asgiref_timeout_shift (AsgirefTimeout  *self,
                       gint64           delta_us,
                       GError         **error)
{
  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return timeout_reschedule (self, TRUE, delta_us, error);
}

/**
 * asgiref_timeout_update:
 * @self: a timeout
 * @deadline_us: the new deadline, in microseconds of g_get_monotonic_time()
 * @error: return location for an error
 *
 * Sets a new deadline, like async_timeout's `update()`. This also gives a
 * deadline to an infinite or rejected timeout. A deadline that has already
 * passed expires at the next iteration of the timer's main context.
 *
 * This fails with %G_IO_ERROR_TIMED_OUT once the timeout has expired.
 *
 * Returns: %TRUE if the deadline was set
 */
gboolean
asgiref_timeout_update (AsgirefTimeout  *self,
                        gint64           deadline_us,
                        GError         **error)
{
  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return timeout_reschedule (self, FALSE, deadline_us, error);
}

/**
 * asgiref_timeout_reject:
 * @self: a timeout
 *
 * Drops the deadline, so that the timeout does not expire, like
 * async_timeout's `reject()`. The deadline becomes -1, and the cancellable
 * stays as it is: it is still cancelled with the parent. A later
 * [method@Asgiref.Timeout.update] may set a new deadline.
 *
 * An expired timeout stays expired: rejecting it changes nothing.
 *
 * Returns: %TRUE if the timeout had not expired (it will now not expire
 *   unless given a new deadline), %FALSE if it already had
 */
gboolean
asgiref_timeout_reject (AsgirefTimeout *self)
{
  GSource *timer = NULL;
  gboolean changed = FALSE;
  gboolean expired;

  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), FALSE);

  _asgiref_mutex_lock (&self->lock);
  expired = self->expired;
  if (!expired)
    {
      changed = self->deadline != -1;
      self->deadline = -1;
      timer = g_steal_pointer (&self->timer);
    }
  _asgiref_mutex_unlock (&self->lock);

  timer_destroy (timer);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEADLINE]);

  return !expired;
}

/**
 * asgiref_timeout_translate_error: (skip)
 * @self: a timeout
 * @error: (inout) (nullable) (optional): the error an operation given the
 *   timeout's cancellable returned, or %NULL
 *
 * Turns the %G_IO_ERROR_CANCELLED of an operation that the timeout cut
 * short into %G_IO_ERROR_TIMED_OUT ("Operation timed out"), in place: if
 * `*error` is %G_IO_ERROR_CANCELLED and the timeout has expired, it is
 * freed and replaced. Any other error, a %NULL one, and a cancellation
 * that came from the parent cancellable are left as they are.
 *
 * Call it with the error of an operation that was given
 * [method@Asgiref.Timeout.get_cancellable], before looking at the error.
 * Bindings use [method@Asgiref.Timeout.set_error_if_expired].
 *
 * Returns: %TRUE if `*error` was replaced with %G_IO_ERROR_TIMED_OUT
 */
gboolean
asgiref_timeout_translate_error (AsgirefTimeout  *self,
                                 GError         **error)
{
  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), FALSE);

  if (error == NULL || *error == NULL ||
      !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      !asgiref_timeout_get_expired (self))
    return FALSE;

  g_clear_error (error);
  set_timed_out_error (error);
  return TRUE;
}

/**
 * asgiref_timeout_set_error_if_expired:
 * @self: a timeout
 * @error: return location for an error
 *
 * Sets %G_IO_ERROR_TIMED_OUT ("Operation timed out") if the timeout has
 * expired, as g_cancellable_set_error_if_cancelled() does for a
 * cancellation.
 *
 * In bindings, where it raises the error, it is the way to translate the
 * %G_IO_ERROR_CANCELLED of an operation that the timeout cut short (in
 * Python):
 *
 * ```python
 * try:
 *     stream.read_bytes_finish(result)
 * except GLib.Error as e:
 *     if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
 *         timeout.set_error_if_expired()  # raises TIMED_OUT instead
 *     raise
 * ```
 *
 * Returns: %TRUE if the timeout has expired and @error was set
 */
gboolean
asgiref_timeout_set_error_if_expired (AsgirefTimeout  *self,
                                      GError         **error)
{
  g_return_val_if_fail (ASGIREF_IS_TIMEOUT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!asgiref_timeout_get_expired (self))
    return FALSE;

  set_timed_out_error (error);
  return TRUE;
}
