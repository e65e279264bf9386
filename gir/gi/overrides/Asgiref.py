# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject override for Asgiref: idiomatic Context, Local, Bridge and
ASGI messages and scopes as dicts.

``Asgiref.Local`` reads and writes its values as attributes, as
``asgiref.local.Local`` and ``threading.local`` do::

    local = Asgiref.Local()
    local.request_id = 42
    local.request_id          # 42 in this context
    del local.request_id
    hasattr(local, 'request_id')   # False: reading it raises AttributeError

Names that start with an underscore, and names the class defines (methods,
properties, class attributes), are ordinary Python attributes; every other
name is a value of the Local.

``Asgiref.Context`` runs callables inside itself::

    ctx = Asgiref.Context()
    result = ctx.run(fn, 1, key='x')     # fn's value or its exception
    with ctx:
        ...
    callback = Asgiref.Context.wrap(fn)  # runs fn in a copy of the context
                                         # current now, taken now

The bridge reads like asgiref (see each function's documentation)::

    @Asgiref.sync_to_async                 # blocking code, from a main loop
    def query(sql):
        return db.execute(sql)
    query('SELECT 1').add_done_callback(lambda f: show(f.result()))

    @Asgiref.async_to_sync                 # async code, from blocking code
    def load(completion, path):
        f = Gio.File.new_for_path(path)
        f.load_contents_async(completion.cancellable,
                              completion.ready(f.load_contents_finish))
    load('/etc/hostname')                  # blocks; value or exception

    with Asgiref.ThreadSensitiveContext():  # a thread of its own
        ...

ASGI messages and scopes are native, immutable types in the library
(``Asgiref.Message``, ``Asgiref.Scope``, ``Asgiref.Headers``); Python code
passes and receives them as the dicts asgiref uses (bytes for bodies,
headers as a list of (bytes, bytes))::

    comm = Asgiref.Communicator(app, {
        'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1',
        'method': 'GET', 'path': '/', 'query_string': b'', 'headers': []})
    comm.send_input({'type': 'http.request', 'body': b'hi'})
    comm.receive_output()          # {'type': 'http.response.start', ...}

    channel.send_async({'type': 'http.response.body', 'body': b'ok'}, None, None)
    channel.receive_finish(result).to_dict()     # an Asgiref.Message as a dict
    scope.to_dict()                # what an application's do_call() is given

    Asgiref.message_from_dict(d)   # dict -> Asgiref.Message (validated:
    Asgiref.scope_from_dict(d)     #   GLib.Error INVALID_MESSAGE otherwise)
    Asgiref.headers_from_list([(b'content-type', b'text/plain')])

Every method that takes a message or a scope takes a dict, an ``a{sv}``
GLib.Variant or the native value; ``dict_to_variant`` and
``variant_to_dict`` convert between dicts and the GVariant form.

asyncio runs on the GLib main loop (through gbulb), and ASGI callables
(Starlette, Django's ``get_asgi_application()``) are applications::

    server = Asgiref.Server.new(starlette_app)  # wrapped in AsyncioApplication
    loop = Asgiref.install_asyncio()            # asyncio's loop, on GLib's context
    await Asgiref.sync_to_async(blocking)()     # bridge futures are awaitable
"""

import collections
import functools
import inspect
import re
import traceback

from ..overrides import override
from ..module import get_introspection_module

from gi.repository import Gio, GLib, GObject

Asgiref = get_introspection_module('Asgiref')

_IN_USE = 'cannot enter %r: another thread has entered it (give each thread a copy)'

__all__ = []


# --------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------

class Context(Asgiref.Context):
    """A snapshot of context-local values, like :class:`contextvars.Context`.

    ``Asgiref.Context()`` is a new empty context; ``Asgiref.Context.capture()``
    a copy of the current one.
    """

    def __new__(cls):
        # A boxed type with an opaque struct cannot be allocated by PyGObject
        # itself: go through the constructor.
        return Asgiref.Context.new()

    def __init__(self):
        pass

    def run(self, fn, *args, **kwargs):
        """Run ``fn(*args, **kwargs)`` with this context current on the
        calling thread and return its value.

        Values set by ``fn`` are stored in this context, not in the caller's.
        An exception raised by ``fn`` propagates to the caller. Running a
        context that another thread has entered is a programmer error: the
        library logs a critical, ``fn`` is not called and
        :class:`RuntimeError` is raised (as :meth:`contextvars.Context.run`
        does). Give each thread its own ``copy()``.
        """
        outcome = []

        def thunk(*_user_data):
            try:
                outcome.append((True, fn(*args, **kwargs)))
            except BaseException as exc:  # noqa: B036: re-raised below
                outcome.append((False, exc))

        Asgiref.Context.run(self, thunk)

        if not outcome:
            raise RuntimeError(_IN_USE % (self,))
        ok, value = outcome[0]
        if ok:
            return value
        try:
            raise value
        finally:
            # Break the reference cycle exception -> traceback -> frame.
            del value, outcome

    def __enter__(self):
        """``with ctx:`` enters the context for the block, like
        :meth:`run`; it raises :class:`RuntimeError` without entering when
        another thread has entered it."""
        self.enter()
        if _get_current() != self:
            raise RuntimeError(_IN_USE % (self,))
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.leave()
        return False

    @staticmethod
    def wrap(fn):
        """Return a callable that runs ``fn`` in a copy of the context
        current now.

        The current context is copied once, when ``wrap`` is called (as
        :func:`contextvars.copy_context` does); every call of the returned
        callable runs in that same copy, so a value one call sets is seen by
        the next one. The copy is not the context ``wrap`` was called in:
        values set there after ``wrap`` are not seen by ``fn``, and values
        ``fn`` sets are never seen there. The copy is the ``context``
        attribute of the returned callable.

        This is the binding's counterpart of the C
        ``asgiref_context_source_set_callback()``: use it for work of its own
        (idle and timeout callbacks, threads), as asyncio's
        ``loop.call_soon()`` copies the context. A callback made with
        ``wrap`` for a chain of GLib callbacks still carries the chain's
        values from hop to hop, each hop in a copy of the previous one.

        To have a GAsyncReadyCallback continue in the creating context itself
        instead (as code after an ``await`` does: it sees values set there
        after the operation started, and its own writes stay there), create
        the GTask with ``Asgiref.Context.create_task()``.
        """
        ctx = Asgiref.Context.capture()

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return ctx.run(fn, *args, **kwargs)

        wrapper.context = ctx
        return wrapper


Context = override(Context)
__all__.append('Context')

_get_current = Asgiref.Context.get_current


def context_wrap(fn):
    """Same as :meth:`Asgiref.Context.wrap`: runs ``fn`` in a copy of the
    context current now."""
    return Context.wrap(fn)


__all__.append('context_wrap')


# --------------------------------------------------------------------------
# Local
# --------------------------------------------------------------------------

_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def _to_gvalue(value):
    """Turn a Python value into what Local.set_value() is given.

    PyGObject marshals a Python object given for a GValue argument by its
    type: str to a utf8 string, bool to gboolean, float to gdouble, int to
    gint, a GObject to its own object type, a GObject enum or flags value to
    its enum type, a GObject.Value as it is; anything else (dict, list,
    tuple, bytes, instances of Python classes, subclasses of builtin types)
    to a reference to the object itself (GObject.TYPE_PYOBJECT), which reads
    back as the very same object. That is kept, as it lets C code and other
    bindings read what Python stores, with these exceptions:

    - None is refused (the GValue argument is not nullable): stored as a
      TYPE_PYOBJECT reference to None;
    - ints beyond 32 bits raise OverflowError: stored as gint64, or as a
      TYPE_PYOBJECT reference beyond 64 bits;
    - a str with a NUL would be cut short silently, one with a lone
      surrogate refused: stored as a TYPE_PYOBJECT reference.
    """
    t = type(value)
    if t is int:
        if _INT32_MIN <= value <= _INT32_MAX:
            return value
        if _INT64_MIN <= value <= _INT64_MAX:
            return GObject.Value(GObject.TYPE_INT64, value)
        return GObject.Value(GObject.TYPE_PYOBJECT, value)
    if t is str:
        if '\x00' in value:
            return GObject.Value(GObject.TYPE_PYOBJECT, value)
        if not value.isascii():
            try:
                value.encode('utf-8')
            except UnicodeEncodeError:
                return GObject.Value(GObject.TYPE_PYOBJECT, value)
        return value
    if value is None:
        return _NONE_VALUE
    return value


# set_value() stores a copy: one GValue holding None serves every call.
_NONE_VALUE = GObject.Value(GObject.TYPE_PYOBJECT, None)

_ERROR_DOMAIN = GLib.quark_to_string(Asgiref.error_quark())
_NOT_SET = int(Asgiref.Error.NOT_SET)


def _is_not_set(error):
    return error.domain == _ERROR_DOMAIN and error.code == _NOT_SET


_get_value = Asgiref.Local.get_value
_set_value = Asgiref.Local.set_value
_remove = Asgiref.Local.remove


class Local(Asgiref.Local):
    """Named values that live in the current context (or thread), read and
    written as attributes like :class:`asgiref.local.Local`.

    ``Asgiref.Local()`` keeps values in the current :class:`Asgiref.Context`;
    ``Asgiref.Local(thread_critical=True)`` keeps them per thread (and per
    context while the thread dispatches a main loop), never following work
    to another thread. ``scope=`` takes any :class:`Asgiref.LocalScope`
    that needs no scope function.

    Reading a name that is not set raises :class:`AttributeError`, so
    ``hasattr()`` and ``getattr(local, name, default)`` work as usual.
    Subclasses give each new context its defaults by overriding
    ``do_initialize(self)``, which runs once per context before the first
    access there.
    """

    def __init__(self, thread_critical=False, **kwargs):
        if thread_critical:
            if kwargs.get('scope', Asgiref.LocalScope.THREAD_CRITICAL) != \
                    Asgiref.LocalScope.THREAD_CRITICAL:
                raise ValueError('thread_critical=True contradicts scope=%r'
                                 % (kwargs['scope'],))
            kwargs['scope'] = Asgiref.LocalScope.THREAD_CRITICAL
        super().__init__(**kwargs)

    # Ordinary attributes are private names, names the class has (methods,
    # properties, class attributes) and instance attributes set through
    # object.__setattr__(); every other name is a value of the Local.
    def __getattr__(self, name):
        # Only called when the ordinary lookup failed.
        if not name.startswith('_'):
            try:
                # PyGObject keeps the gboolean return of a throwing
                # function: get_value() gives (True, value).
                return _get_value(self, name)[1]
            except GLib.Error as error:
                if not _is_not_set(error):
                    raise
        raise AttributeError('%r object has no attribute %r'
                             % (type(self).__name__, name),
                             name=name, obj=self) from None

    def __setattr__(self, name, value):
        if (name.startswith('_') or hasattr(type(self), name)
                or name in self.__dict__):
            super().__setattr__(name, value)
        else:
            _set_value(self, name, _to_gvalue(value))

    def __delattr__(self, name):
        if (name.startswith('_') or hasattr(type(self), name)
                or name in self.__dict__):
            super().__delattr__(name)
        elif not _remove(self, name):
            raise AttributeError('%r object has no attribute %r'
                                 % (type(self).__name__, name),
                                 name=name, obj=self)

    def __dir__(self):
        names = set(super().__dir__())
        names.update(self.list_names() or ())
        return sorted(names)


Local = override(Local)
__all__.append('Local')


# --------------------------------------------------------------------------
# Bridge: sync_to_async, async_to_sync, ThreadSensitiveContext
# --------------------------------------------------------------------------
#
# Facts about PyGObject 3.42 this relies on or works around:
# - Bridge.sync_to_async() takes its task_data as a tuple of extra arguments
#   for the thread function ("expected tuple for callback user_data"
#   otherwise); Bridge.async_to_sync() hands its task_data over as it is.
#   The helpers pass () and None, and their thunks take *rest.
# - Python callbacks called from the bridge's threads run under the GIL;
#   calls into C (the wait in async_to_sync, a main loop) release it.
# - Gio.Task.return_value() takes a GObject.Value; one of
#   GObject.TYPE_PYOBJECT holds a reference to any Python object, and
#   Gio.Task.propagate_value() gives (True, that very object) back.
# - Gio.Task.return_error() takes a GLib.Error made in Python (any domain
#   string and code).

import threading
from concurrent.futures import InvalidStateError

#: The GError domain of the errors that carry a Python exception through a
#: GTask (code 0, message "TypeName: message"). C code (and other bindings)
#: see this GError; Python callers of the helpers get the exception object
#: itself back.
PYTHON_ERROR_DOMAIN = 'asgiref-python-exception-quark'
__all__.append('PYTHON_ERROR_DOMAIN')

_DEADLOCK = int(Asgiref.Error.DEADLOCK)


def _task_value(value):
    return GObject.Value(GObject.TYPE_PYOBJECT, value)


class _Outcome:
    """What a callee produced, as the Python side knows it: carries a Python
    exception object through a GTask, which can only carry a GError."""

    __slots__ = ('exc', 'error')

    def __init__(self):
        self.exc = None
        self.error = None

    def return_to(self, task, ok, value):
        """Completes ``task`` with ``value`` (ok) or the exception
        ``value``."""
        if ok:
            task.return_value(_task_value(value))
            return
        self.exc = value
        if isinstance(value, GLib.Error):
            error = value
        else:
            error = GLib.Error('%s: %s' % (type(value).__name__, value),
                               PYTHON_ERROR_DOMAIN, 0)
        self.error = (error.domain, error.code, error.message)
        task.return_error(error)

    def propagate(self, task):
        """The value ``task`` was completed with, or raises its error: the
        callee's exception object itself when the error is the one it
        produced, else the GError (a bridge error such as DEADLOCK, or
        G_IO_ERROR_CANCELLED)."""
        try:
            return task.propagate_value()[1]
        except GLib.Error as error:
            exc = self.exc
            self.exc = None
            if exc is not None and self.error == (error.domain, error.code, error.message):
                try:
                    raise exc
                finally:
                    del exc
            raise


# The cancellable of the hop the current code runs in, for get_cancellable().
_hop = Asgiref.Local()
_HOP_NAME = 'cancellable'


def get_cancellable():
    """Return the :class:`Gio.Cancellable` of the hop the calling code runs
    in, or None.

    In a function run by :func:`sync_to_async`, or an async function run by
    :func:`async_to_sync`, this is the cancellable of that call: the one
    given to the helper, or, when none was, the one of the enclosing hop
    (the bridge hands it down, so cancelling the outermost operation reaches
    the innermost one). Connect to its ``cancelled`` signal or poll
    ``is_cancelled()`` to stop early.

    It follows the :class:`Asgiref.Context`: async code continuing in
    callbacks made with :meth:`Asgiref.Context.wrap` still sees it.
    """
    if not _hop.contains(_HOP_NAME):
        return None
    return _get_value(_hop, _HOP_NAME)[1]


class _HopCancellable:
    """Sets the hop's cancellable in the current context for a block and
    puts the previous state back, so that it is not one of the values the
    callee hands back to its caller."""

    __slots__ = ('cancellable', 'had', 'previous')

    def __init__(self, cancellable):
        self.cancellable = cancellable

    def __enter__(self):
        self.had = _hop.contains(_HOP_NAME)
        self.previous = _get_value(_hop, _HOP_NAME)[1] if self.had else None
        if self.cancellable is None:
            if self.had:
                _remove(_hop, _HOP_NAME)
        else:
            _set_value(_hop, _HOP_NAME, self.cancellable)

    def __exit__(self, *exc_info):
        if self.had:
            _set_value(_hop, _HOP_NAME, self.previous)
        else:
            _remove(_hop, _HOP_NAME)
        return False


__all__.append('get_cancellable')


class Future:
    """The result of a call started by :func:`sync_to_async`.

    Completed on the caller's thread-default main context (the thread that
    made the call, which must run a main loop there, as for any GIO async
    call). The API is a subset of :class:`concurrent.futures.Future`:

    - ``done()``: whether the call completed;
    - ``result()``: the function's return value, or its exception raised
      again (the very exception object), or a :class:`GLib.Error` from the
      bridge (``Asgiref.Error.DEADLOCK``, ``Gio.IOErrorEnum.CANCELLED`` when
      the cancellable was cancelled); raises
      :class:`concurrent.futures.InvalidStateError` while not done (it never
      blocks: blocking the caller's main loop would keep the result from
      arriving);
    - ``exception()``: the exception, or None;
    - ``add_done_callback(fn)``: ``fn(future)`` runs on the caller's main
      context when the call completes, in the caller's
      :class:`Asgiref.Context` with the values the function set applied, or
      at once when it already has;
    - ``cancellable``: the :class:`Gio.Cancellable` given to the call, or
      None.
    """

    def __init__(self, cancellable=None):
        self.cancellable = cancellable
        self._done = False
        self._value = None
        self._exc = None
        self._callbacks = []

    def done(self):
        return self._done

    def result(self):
        if not self._done:
            raise InvalidStateError('the call has not completed yet')
        if self._exc is not None:
            raise self._exc
        return self._value

    def exception(self):
        if not self._done:
            raise InvalidStateError('the call has not completed yet')
        return self._exc

    def add_done_callback(self, fn):
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def _set(self, value, exc):
        self._value, self._exc, self._done = value, exc, True
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn(self)

    def __await__(self):
        """``await future`` in asyncio code running on the caller's main
        context (see :func:`install_asyncio`): waits without blocking the
        loop and gives ``result()``. Cancelling the awaiting task stops the
        wait, not the call."""
        if not self._done:
            waiter = _asyncio_support().asyncio.get_running_loop().create_future()

            def settle(_future):
                # On the caller's main context: the waiter's loop thread.
                if not waiter.done():
                    waiter.set_result(None)

            self.add_done_callback(settle)
            yield from waiter.__await__()
        return self.result()

    def __repr__(self):
        if not self._done:
            state = 'pending'
        elif self._exc is not None:
            state = 'raised %r' % (self._exc,)
        else:
            state = 'returned %r' % (self._value,)
        return '<Asgiref.Future %s>' % state


__all__.append('Future')


def _flags(thread_sensitive):
    return (Asgiref.SyncFlags.NONE if thread_sensitive
            else Asgiref.SyncFlags.NOT_THREAD_SENSITIVE)


class SyncToAsync:
    """A blocking function made callable from main-loop code; see
    :func:`sync_to_async`."""

    def __init__(self, fn, thread_sensitive=True, bridge=None, cancellable=None):
        if not callable(fn):
            raise TypeError('sync_to_async needs a callable, not %r' % (fn,))
        self.func = fn
        self.thread_sensitive = thread_sensitive
        self.bridge = bridge
        self.cancellable = cancellable
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        fn = self.func
        future = Future(self.cancellable)
        outcome = _Outcome()

        def thunk(task, _source, *_rest):
            # On the thread the bridge chose, in a copy of the caller's
            # context.
            with _HopCancellable(task.get_cancellable()):
                try:
                    ok, value = True, fn(*args, **kwargs)
                except BaseException as exc:  # noqa: B036: handed over
                    ok, value = False, exc
            try:
                outcome.return_to(task, ok, value)
            finally:
                del value

        def done(_bridge, result, *_user_data):
            # On the caller's main context, in its context.
            try:
                value = outcome.propagate(result)
            except BaseException as exc:  # noqa: B036: handed over
                future._set(None, exc)
            else:
                future._set(value, None)

        bridge = self.bridge or Asgiref.Bridge.get_default()
        Asgiref.Bridge.sync_to_async(bridge, thunk, (), _flags(self.thread_sensitive),
                                     self.cancellable, done)
        return future

    def __get__(self, instance, owner=None):
        # Decorating a method binds it, as for a plain function.
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __repr__(self):
        return '<Asgiref.SyncToAsync %r%s>' % (
            self.func, '' if self.thread_sensitive else ' not thread-sensitive')


__all__.append('SyncToAsync')


def sync_to_async(fn=None, *, thread_sensitive=True, bridge=None, cancellable=None):
    """Make a blocking function callable from main-loop code, like
    :func:`asgiref.sync.sync_to_async`.

    Calling the result with any arguments starts ``fn(*args, **kwargs)`` on
    another thread through :meth:`Asgiref.Bridge.sync_to_async` and returns
    a :class:`Future` at once, completed on the caller's thread-default main
    context::

        @Asgiref.sync_to_async
        def query(sql):
            return legacy_db.execute(sql)      # blocks

        def on_clicked(button):                # a main-loop callback
            future = query('SELECT 1')
            future.add_done_callback(lambda f: show(f.result()))

    Which thread runs ``fn``: when ``thread_sensitive`` (the default), the
    one thread of thread-sensitive code: the thread blocked in an enclosing
    :func:`async_to_sync` call if there is one, else the thread of the
    entered :class:`Asgiref.ThreadSensitiveContext`, else one shared sync
    thread, never the main loop's. With ``thread_sensitive=False``, a thread
    of the bridge's bounded pool, concurrently with other such calls.

    ``fn``'s return value, whatever Python object it is, is the future's
    result; an exception it raises is raised again by ``result()``, the
    same object (C code sees a GError: :class:`GLib.Error` as it is, other
    exceptions in the :data:`PYTHON_ERROR_DOMAIN` domain). ``fn`` runs in a
    copy of the caller's :class:`Asgiref.Context`; values it sets are
    visible to the caller when the future's callbacks run.

    ``cancellable`` is handed to the call (``fn`` gets it with
    :func:`Asgiref.get_cancellable`); when it is cancelled, the future
    fails with ``Gio.IOErrorEnum.CANCELLED`` (``fn`` itself keeps running
    until it returns). Without one, the call uses the cancellable of the
    hop the caller runs in, if any. ``bridge`` defaults to
    :meth:`Asgiref.Bridge.get_default`.

    Usable as a decorator, bare or with keyword arguments
    (``@Asgiref.sync_to_async(thread_sensitive=False)``).
    """
    def decorate(fn):
        return SyncToAsync(fn, thread_sensitive=thread_sensitive, bridge=bridge,
                           cancellable=cancellable)
    if fn is None:
        return decorate
    return decorate(fn)


__all__.append('sync_to_async')


class Completion:
    """What an async function run by :func:`async_to_sync` completes.

    - ``return_value(value)``: the call returns ``value`` (any Python
      object);
    - ``return_error(exc)``: the call raises ``exc`` (any exception
      instance; a :class:`GLib.Error` reaches C code as it is);
    - ``ready(finish)``: a ``GAsyncReadyCallback`` for a GIO-style async
      call, which completes this with ``finish(result)``'s value or error:
      ``file.load_contents_async(c.cancellable, c.ready(file.load_contents_finish))``;
    - ``cancellable``: the operation's :class:`Gio.Cancellable` (or None);
    - ``task``: the underlying :class:`Gio.Task`;
    - ``done()``: whether it was completed.

    Completing it twice raises :class:`RuntimeError`. It may be completed
    from any thread.
    """

    def __init__(self, task, cancellable, outcome):
        self.task = task
        self.cancellable = cancellable
        self._outcome = outcome
        self._lock = threading.Lock()
        self._done = False

    def done(self):
        return self._done

    def _complete(self, ok, value):
        with self._lock:
            if self._done:
                raise RuntimeError('this async_to_sync call was already completed')
            self._done = True
        self._outcome.return_to(self.task, ok, value)

    def return_value(self, value=None):
        self._complete(True, value)

    def return_error(self, exc):
        if not isinstance(exc, BaseException):
            raise TypeError('return_error() needs an exception, not %r' % (exc,))
        self._complete(False, exc)

    def ready(self, finish):
        def callback(_source, result, *_user_data):
            try:
                value = finish(result)
            except BaseException as exc:  # noqa: B036: handed over
                self._complete(False, exc)
            else:
                self._complete(True, value)
        return callback


__all__.append('Completion')


class AsyncToSync:
    """An async function made callable from blocking code; see
    :func:`async_to_sync`."""

    def __init__(self, fn, bridge=None, cancellable=None):
        if not callable(fn):
            raise TypeError('async_to_sync needs a callable, not %r' % (fn,))
        self.func = fn
        self.bridge = bridge
        self.cancellable = cancellable
        self._coroutine = inspect.iscoroutinefunction(fn)
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        fn = self.func
        outcome = _Outcome()

        def thunk(task, _source, *rest):
            # On the main context the operation belongs to, in a copy of the
            # caller's context.
            cancellable = rest[-1] if rest else task.get_cancellable()
            completion = Completion(task, cancellable, outcome)
            if self._coroutine:
                _start_coroutine(completion, fn, args, kwargs)
                return
            with _HopCancellable(cancellable):
                try:
                    fn(completion, *args, **kwargs)
                except BaseException as exc:  # noqa: B036: handed over
                    if completion.done():
                        raise
                    completion.return_error(exc)
                finally:
                    del completion

        bridge = self.bridge or Asgiref.Bridge.get_default()
        result = Asgiref.Bridge.async_to_sync(bridge, thunk, None, self.cancellable)
        return outcome.propagate(result)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __repr__(self):
        return '<Asgiref.AsyncToSync %r>' % (self.func,)


__all__.append('AsyncToSync')


def _start_task(coro, cancellable, finish):
    """Runs ``coro`` as an asyncio task on the loop of the current main
    context, in the current Asgiref.Context itself; cancels it when
    ``cancellable`` (if any) is, at once if it already is; calls
    ``finish(task)`` when it ended."""
    running = _asyncio_support().start(coro)
    handler = None
    if cancellable is not None:
        loop = running.get_loop()
        # g_cancellable_connect(): "cancelled" may come from any thread, and
        # the callback gets only its data.
        handler = cancellable.connect(lambda *_data: loop.call_soon_threadsafe(running.cancel))

    def done(running):
        if handler is not None:
            cancellable.disconnect(handler)
        finish(running)

    running.add_done_callback(done)


def _start_coroutine(completion, fn, args, kwargs):
    """Runs the ``async def`` function ``fn`` as a task (see _start_task)
    and completes ``completion`` with its outcome."""
    cancellable = completion.cancellable

    async def body():
        with _HopCancellable(cancellable):
            return await fn(*args, **kwargs)

    def finish(running):
        if running.cancelled():
            completion.return_error(_cancelled_error())
        elif running.exception() is not None:
            completion.return_error(running.exception())
        else:
            completion.return_value(running.result())

    _start_task(body(), cancellable, finish)


def async_to_sync(fn=None, *, bridge=None, cancellable=None):
    """Make an async function callable from blocking code, like
    :func:`asgiref.sync.async_to_sync`.

    An async function here is GLib-style: ``fn(completion, *args,
    **kwargs)`` starts the work without blocking and returns; the work later
    completes the :class:`Completion` it was given, with
    ``completion.return_value(v)`` or ``completion.return_error(exc)``.
    Calling the result with ``*args, **kwargs`` runs ``fn`` through
    :meth:`Asgiref.Bridge.async_to_sync`, blocks until it is completed and
    returns the value or raises the exception (the same object). An
    exception ``fn`` raises before completing counts as its error::

        @Asgiref.async_to_sync
        def load(completion, path):
            f = Gio.File.new_for_path(path)
            f.load_contents_async(completion.cancellable,
                                  completion.ready(f.load_contents_finish))

        ok, data, etag = load('/etc/hostname')   # from a thread, or from a
                                                 # function run by sync_to_async

    Where ``fn`` runs: when the caller is a function that
    :func:`sync_to_async` started from a main loop, on that loop's thread
    (where the async code lives); otherwise (a plain thread, a script) on a
    private main context that the calling thread iterates. Either way the
    calling thread meanwhile runs the thread-sensitive calls the async code
    makes.

    Called from main-loop code (a thread dispatching a main loop, such as
    any GLib source callback), it would block that loop: it raises
    :class:`GLib.Error` ``Asgiref.Error.DEADLOCK`` at once without calling
    ``fn`` (call the async function directly there). Errors of the bridge
    and ``Gio.IOErrorEnum.CANCELLED`` (when the cancellable was cancelled)
    are raised as :class:`GLib.Error`. ``fn`` runs in a copy of the
    caller's :class:`Asgiref.Context`, and the values it sets before
    completing are visible to the caller afterwards.

    ``cancellable`` is the operation's (``completion.cancellable``, and
    :func:`Asgiref.get_cancellable` inside ``fn``); without one, the
    cancellable of the hop the caller runs in. ``bridge`` defaults to
    :meth:`Asgiref.Bridge.get_default`. Usable as a decorator, bare or with
    keyword arguments.

    ``fn`` may also be an ``async def`` function: it is then called with
    ``*args, **kwargs`` only, as an asyncio task on the loop of the main
    context it runs on (:func:`get_asyncio_loop`), and its return value or
    exception is the call's; cancelling ``cancellable`` cancels the task::

        @Asgiref.async_to_sync
        async def fetch(url):
            return await client.get(url)    # any asyncio code

        fetch('http://...')                 # from a worker thread
    """
    def decorate(fn):
        return AsyncToSync(fn, bridge=bridge, cancellable=cancellable)
    if fn is None:
        return decorate
    return decorate(fn)


__all__.append('async_to_sync')


def is_deadlock(error):
    """Whether ``error`` is the bridge's ``Asgiref.Error.DEADLOCK``."""
    return (isinstance(error, GLib.Error) and error.domain == _ERROR_DOMAIN
            and error.code == _DEADLOCK)


__all__.append('is_deadlock')


class ThreadSensitiveContext(Asgiref.ThreadSensitiveContext):
    """Gives the thread-sensitive calls made inside it (and by work started
    inside it) a thread of their own, like
    :class:`asgiref.sync.ThreadSensitiveContext`::

        with Asgiref.ThreadSensitiveContext():
            a = query('SELECT 1')   # both on the context's thread, not
            b = query('SELECT 2')   # on the shared sync thread

    It is entered in the current :class:`Asgiref.Context`. Nested ones use
    the outer one's thread; leaving never blocks; the thread ends once the
    object is gone and its calls are done.
    """

    def __enter__(self):
        self.enter()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.leave()
        return False


ThreadSensitiveContext = override(ThreadSensitiveContext)
__all__.append('ThreadSensitiveContext')


# --------------------------------------------------------------------------
# ASGI: messages and scopes as dicts, Application, Channel, Communicator
# --------------------------------------------------------------------------
#
# The library keeps messages and scopes as native, immutable types
# (Asgiref.Message, Asgiref.Scope, Asgiref.Headers) and only builds their
# a{sv} GVariant form when asked (to_variant(), new_from_variant()). Python
# code writes and reads them as the dicts asgiref uses: the conversions go
# dict -> a{sv} (dict_to_variant) -> native (new_from_variant, which
# validates) and native -> a{sv} (to_variant) -> dict (variant_to_dict), so
# the C library stays the one definition of which keys a message has.
#
# Facts about PyGObject 3.42 this relies on or works around:
# - An exception raised by a Python vfunc implementation is printed and
#   stored in sys.last_traceback, whose frame keeps the arguments alive: a
#   GTask that do_call() raised with would live (and its instance would
#   wait) until the next printed exception. Application subclasses get a
#   do_call() that completes the task with the exception instead.
# - GLib.Variant.unpack() gives byte strings (ay) as lists of ints; the
#   helpers below give bytes.
# - An override of an opaque boxed type (Message, Scope, Headers) is the
#   class of every such value PyGObject hands out, so the methods added
#   here are there on the values C functions return.

from collections.abc import Mapping

_INVALID_MESSAGE = int(Asgiref.Error.INVALID_MESSAGE)

# The Python types taken for an ASGI byte string (GLib.Bytes too).
_BYTES_TYPES = (bytes, bytearray, memoryview)


def _header_pairs(key, items):
    # Names are lower-cased, as ASGI servers such as uvicorn accept
    # b'Content-Type' from an application; ASGI itself wants them so.
    pairs = []
    for i, item in enumerate(items):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and
                all(isinstance(b, _BYTES_TYPES) for b in item)):
            if isinstance(item, (list, tuple)) and len(item) == 2 and \
                    any(isinstance(b, str) for b in item):
                raise TypeError('%s[%d] %r: header names and values are bytes, not str '
                                '(write b%r, or encode them)' % (key, i, tuple(item), item[0]))
            raise TypeError('%s[%d] is not a (bytes, bytes) pair: %r' % (key, i, item))
        pairs.append((bytes(item[0]).lower(), bytes(item[1])))
    return GLib.Variant('a(ayay)', pairs)


def _variant_for(key, value):
    """The GVariant ASGI uses for a Python value of a message or scope."""
    if isinstance(value, GLib.Variant):
        return value
    if isinstance(value, bool):
        return GLib.Variant('b', value)
    if isinstance(value, int):
        if not _INT32_MIN <= value <= _INT32_MAX:
            raise TypeError('%s=%r does not fit in a 32-bit int' % (key, value))
        return GLib.Variant('i', value)
    if isinstance(value, str):
        if key in ('body', 'bytes', 'query_string', 'raw_path'):
            raise TypeError('%s must be bytes, not str: %r (encode it, with .encode() for UTF-8)'
                            % (key, value[:40]))
        return GLib.Variant('s', value)
    if isinstance(value, _BYTES_TYPES):
        return GLib.Variant.new_from_bytes(GLib.VariantType('ay'), GLib.Bytes.new(bytes(value)), True)
    if isinstance(value, GLib.Bytes):
        return GLib.Variant.new_from_bytes(GLib.VariantType('ay'), value, True)
    if isinstance(value, Asgiref.Headers):
        return value.to_variant()
    if isinstance(value, Mapping):
        return dict_to_variant(value)
    if isinstance(value, (list, tuple)):
        items = list(value)
        if key in ('headers', 'raw_headers'):
            return _header_pairs(key, items)
        if items and all(isinstance(i, (list, tuple)) and len(i) == 2 and
                         all(isinstance(b, _BYTES_TYPES) for b in i) for i in items):
            return _header_pairs(key, items)
        if key in ('client', 'server') and len(items) == 2 and isinstance(items[0], str):
            # ASGI: client is (host, port); server (host, port or None for
            # a Unix socket).
            host, port = items
            if port is None:
                return GLib.Variant('(smi)', (host, None))
            if isinstance(port, int) and not isinstance(port, bool) and \
                    _INT32_MIN <= port <= _INT32_MAX:
                return GLib.Variant('(smi)' if key == 'server' else '(si)', (host, port))
        if all(isinstance(i, str) for i in items):
            return GLib.Variant('as', items)
    raise TypeError('no ASGI GVariant type for %s=%r' % (key, value))


def dict_to_variant(message):
    """An ASGI message or scope written as a Python dict, as asgiref's are,
    made an ``a{sv}`` GVariant: str is ``s``, bytes ``ay``, bool ``b``, int
    ``i``, a list of (bytes, bytes) ``a(ayay)`` (headers; an
    :class:`Asgiref.Headers` is taken too), ``client`` (host, port)
    ``(si)``, ``server`` (host, port or None) ``(smi)``, a list of str ``as``, a
    dict ``a{sv}``; None values are left out, as ASGI reads a missing key
    as its default. A GLib.Variant, as the whole or as a value, is taken as
    it is.

    Raises :class:`TypeError` for a value with no ASGI type; it does not
    check the message against ASGI (:func:`message_from_dict` does)."""
    if isinstance(message, GLib.Variant):
        return message
    if not isinstance(message, Mapping):
        raise TypeError('an ASGI message or scope is a dict, not %r' % (message,))
    return GLib.Variant('a{sv}', {key: _variant_for(key, value)
                                  for key, value in message.items() if value is not None})


__all__.append('dict_to_variant')


def _bytes_of(value):
    return bytes(value.get_data_as_bytes().get_data() or b'')


def _python_value(value):
    type_string = value.get_type_string()
    if type_string == 'ay':
        return _bytes_of(value)
    if type_string == 'a(ayay)':
        return [(_bytes_of(value.get_child_value(i).get_child_value(0)),
                 _bytes_of(value.get_child_value(i).get_child_value(1)))
                for i in range(value.n_children())]
    if type_string == 'a{sv}':
        return variant_to_dict(value)
    if type_string == 'v':
        return _python_value(value.get_variant())
    return value.unpack()


def variant_to_dict(message):
    """An ``a{sv}`` ASGI message or scope as the dict asgiref would use,
    with byte strings as bytes and headers as a list of (bytes, bytes)."""
    return {message.get_child_value(i).get_child_value(0).get_string():
            _python_value(message.get_child_value(i).get_child_value(1).get_variant())
            for i in range(message.n_children())}


__all__.append('variant_to_dict')


_HTTP_REQUEST = Asgiref.MessageKind.HTTP_REQUEST
_HTTP_DISCONNECT = Asgiref.MessageKind.HTTP_DISCONNECT
_SCOPE_LIFESPAN = Asgiref.ScopeKind.LIFESPAN
_SCOPE_WEBSOCKET = Asgiref.ScopeKind.WEBSOCKET


def _bytes_or_empty(data):
    return (data.get_data() or b'') if data is not None else b''


def _headers_list(headers):
    """Asgiref.Headers as (bytes, bytes) pairs."""
    if headers is None:
        return []
    try:
        return [(headers.get_name(i).encode(), headers.get_value(i).encode())
                for i in range(headers.get_length())]
    except UnicodeError:
        # A value that is not UTF-8 (HTTP allows any octet): its exact bytes
        # are in the a{sv} form.
        return _python_value(headers.to_variant())


def _invalid(what, exc):
    return GLib.Error('Invalid ASGI %s: %s' % (what, exc), _ERROR_DOMAIN, _INVALID_MESSAGE)


def _from_dict(what, value, new_from_variant):
    """``value`` (a dict or an a{sv} GLib.Variant) made a message or scope
    by ``new_from_variant``; a value with no ASGI type is the same
    INVALID_MESSAGE error as an invalid one."""
    if not isinstance(value, (Mapping, GLib.Variant)):
        raise TypeError('an ASGI %s is a dict, not %r' % (what, value))
    try:
        variant = dict_to_variant(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _invalid(what, exc) from None
    return new_from_variant(variant)


def message_from_dict(message):
    """An :class:`Asgiref.Message` of an ASGI message written as a dict
    (``{'type': 'http.response.body', 'body': b'hi'}``; a GLib.Variant
    ``a{sv}`` is taken too).

    Raises :class:`GLib.Error` ``Asgiref.Error.INVALID_MESSAGE`` when the
    dict is not a valid ASGI message (an unknown ``type``, a missing key, a
    value of the wrong type, such as a str body or str headers, or out of
    range), with a message that says which key is wrong."""
    return _from_dict('message', message, Asgiref.Message.new_from_variant)


__all__.append('message_from_dict')


def scope_from_dict(scope):
    """An :class:`Asgiref.Scope` of an ASGI scope written as a dict
    (``{'type': 'http', 'method': 'GET', 'path': '/'}``; a GLib.Variant
    ``a{sv}`` is taken too). The keys ASGI requires must be there
    (``asgi``, and for ``http`` ``http_version``, ``method``, ``path``,
    ``query_string``, ``headers``); optional ones that are missing get
    their ASGI defaults; keys ASGI does not name are kept.

    Raises :class:`GLib.Error` ``Asgiref.Error.INVALID_MESSAGE`` when the
    dict is not a valid ASGI scope."""
    return _from_dict('scope', scope, Asgiref.Scope.new_from_variant)


__all__.append('scope_from_dict')


def headers_from_list(headers):
    """An :class:`Asgiref.Headers` of ASGI headers written as a list of
    (bytes, bytes) pairs, as in asgiref. Raises :class:`GLib.Error`
    ``Asgiref.Error.INVALID_MESSAGE`` for a malformed header (a name that
    is not a token, CR or LF in a value) or a pair that is not bytes.
    Names are lower-cased, as ASGI wants them."""
    if isinstance(headers, Asgiref.Headers):
        return headers
    try:
        variant = _header_pairs('headers', list(headers))
    except TypeError as exc:
        raise _invalid('headers', exc) from None
    return Asgiref.Headers.new_from_variant(variant)


__all__.append('headers_from_list')


# The messages every HTTP response sends are built with their constructors
# when the dict is plainly well-formed (the keys ASGI names, of the types it
# names, ASCII headers): a tenth of the cost of the a{sv} path, which stays
# the one that explains what is wrong with any other dict. The message is
# validated all the same, so both paths accept and refuse the same dicts.
_START_KEYS = frozenset(('type', 'status', 'headers', 'trailers'))
_BODY_KEYS = frozenset(('type', 'body', 'more_body'))


def _plain_headers(items):
    """Asgiref.Headers of a list of ASCII (bytes, bytes) pairs, or None for
    anything else (left to the a{sv} path and its error messages)."""
    names = []
    values = []
    for item in items:
        if type(item) not in (tuple, list) or len(item) != 2:
            return None
        name, value = item
        if type(name) is not bytes or type(value) is not bytes or \
                not name.isascii() or not value.isascii():
            return None
        names.append(name.decode('ascii'))
        values.append(value.decode('ascii'))
    try:
        return Asgiref.Headers.new(names, values)
    except GLib.Error:
        return None


def _message_quickly(message):
    """The Asgiref.Message of a well-formed response dict, or None."""
    kind = message.get('type')
    if kind == 'http.response.body':
        body = message.get('body', b'')
        more_body = message.get('more_body', False)
        if type(body) is not bytes or type(more_body) is not bool or \
                not _BODY_KEYS.issuperset(message):
            return None
        made = Asgiref.Message.new_http_response_body(GLib.Bytes.new(body), more_body)
    elif kind == 'http.response.start':
        status = message.get('status')
        trailers = message.get('trailers', False)
        if type(status) is not int or type(trailers) is not bool or \
                not _START_KEYS.issuperset(message):
            return None
        headers = _plain_headers(message.get('headers', ()))
        if headers is None:
            return None
        made = Asgiref.Message.new_http_response_start(status, headers, trailers)
    else:
        return None
    made.validate()
    return made


def _as_message(message):
    """``message`` as an Asgiref.Message: a Message as it is, a GLib.Variant
    or a dict converted (GLib.Error INVALID_MESSAGE if it is not valid)."""
    if isinstance(message, Asgiref.Message):
        return message
    if isinstance(message, GLib.Variant):
        return Asgiref.Message.new_from_variant(message)
    if isinstance(message, Mapping):
        return _message_quickly(message) or message_from_dict(message)
    raise TypeError('an ASGI message is a dict, a GLib.Variant or an Asgiref.Message, not %r'
                    % (message,))


def _as_scope(scope):
    if isinstance(scope, Asgiref.Scope):
        return scope
    if isinstance(scope, GLib.Variant):
        return Asgiref.Scope.new_from_variant(scope)
    if isinstance(scope, Mapping):
        return scope_from_dict(scope)
    raise TypeError('an ASGI scope is a dict, a GLib.Variant or an Asgiref.Scope, not %r'
                    % (scope,))


class Message(Asgiref.Message):
    """An ASGI message: immutable, refcounted, read with its getters
    (``get_type_name()``, ``get_body()``, ``get_status()``...).

    ``message.to_dict()`` is the dict asgiref would use; build one from a
    dict with :func:`Asgiref.message_from_dict`. Everywhere the override
    takes a message (``Channel.send_async``, ``Channel.put_input``,
    ``Communicator.send_input``), a dict or an ``a{sv}`` GLib.Variant is
    taken as well.
    """

    def to_dict(self):
        """This message as the dict asgiref would use: bytes for byte
        strings (``body``, ``bytes``), headers as a list of (bytes, bytes).
        A new dict each time: changing it does not change the message."""
        kind = self.get_kind()
        # What every request receives, read from its fields directly.
        if kind == _HTTP_REQUEST:
            return {'type': 'http.request', 'body': _bytes_or_empty(self.get_body()),
                    'more_body': self.get_more_body()}
        if kind == _HTTP_DISCONNECT:
            return {'type': 'http.disconnect'}
        return variant_to_dict(self.to_variant())

    def __repr__(self):
        return '<Asgiref.Message %s at 0x%x>' % (self.get_type_name(), id(self))


Message = override(Message)
__all__.append('Message')


class Scope(Asgiref.Scope):
    """An ASGI connection scope: immutable, refcounted, read with its
    getters (``get_type_name()``, ``get_method()``, ``get_path()``,
    ``get_headers()``...).

    ``scope.to_dict()`` is the dict an asgiref application is given::

        def do_call(self, scope, channel, task):
            scope = scope.to_dict()
            if scope['type'] == 'http':
                path, headers = scope['path'], scope['headers']

    Build one from a dict with :func:`Asgiref.scope_from_dict`; every
    method of the override that takes a scope takes a dict too.
    """

    def to_dict(self):
        """This scope as the dict asgiref would give an application: bytes
        for ``query_string`` and ``raw_path``, headers as a list of (bytes,
        bytes), ``client`` and ``server`` as (host, port) tuples, ``asgi``,
        ``state`` and ``extensions`` as dicts. A new dict each time."""
        kind = self.get_kind()
        if kind == _SCOPE_LIFESPAN:
            return variant_to_dict(self.to_variant())
        # A connection's scope, read from its fields: its a{sv} view would
        # first have to be built (the server's scopes have none yet).
        scope = {'type': self.get_type_name(),
                 'asgi': {'version': self.get_asgi_version(),
                          'spec_version': self.get_spec_version()},
                 'http_version': self.get_http_version()}
        method = self.get_method()
        if method is not None:
            scope['method'] = method
        scope['scheme'] = self.get_scheme()
        scope['path'] = self.get_path() or ''
        raw_path = self.get_raw_path()
        if raw_path is not None:
            scope['raw_path'] = _bytes_or_empty(raw_path)
        scope['query_string'] = _bytes_or_empty(self.get_query_string())
        scope['root_path'] = self.get_root_path()
        scope['headers'] = _headers_list(self.get_headers())
        has_client, host, port = self.get_client()
        if has_client:
            scope['client'] = (host, port)
        has_server, host, port = self.get_server()
        if has_server:
            scope['server'] = (host, None if port < 0 else port)
        if kind == _SCOPE_WEBSOCKET:
            scope['subprotocols'] = list(self.get_subprotocols() or ())
        for key, value in (('state', self.get_state()), ('extensions', self.get_extensions()),
                           (None, self.get_extra())):
            if value is None:
                continue
            if key is None:
                scope.update(variant_to_dict(value))
            else:
                scope[key] = variant_to_dict(value)
        return scope

    def __repr__(self):
        return '<Asgiref.Scope %s at 0x%x>' % (self.get_type_name(), id(self))


Scope = override(Scope)
__all__.append('Scope')


class Headers(Asgiref.Headers):
    """ASGI headers, in order, names lower-case: ``headers.to_list()`` is
    the list of (bytes, bytes) pairs asgiref uses; build one from such a
    list with :func:`Asgiref.headers_from_list`, or from names and values
    with ``Asgiref.Headers.new(names, values)``."""

    def to_list(self):
        """The headers as a list of (bytes, bytes) pairs."""
        return _headers_list(self)

    def __repr__(self):
        return '<Asgiref.Headers %r>' % (self.to_list(),)


Headers = override(Headers)
__all__.append('Headers')


def _error_of(exc):
    """``exc`` as a GLib.Error: itself if it is one, else one of
    PYTHON_ERROR_DOMAIN whose message carries the traceback, so that
    whoever logs the failure (the server does, naming the request) shows
    where it happened, not only what."""
    if isinstance(exc, GLib.Error):
        return exc
    where = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return GLib.Error('%s: %s\n%s' % (type(exc).__name__, exc, where.rstrip()),
                      PYTHON_ERROR_DOMAIN, 0)


def _complete_with_exception(task, exc):
    task.return_error(_error_of(exc))


class Application(Asgiref.Application):
    """The ASGI application interface. A Python implementation defines
    ``do_call(self, scope, channel, task)`` and completes ``task`` with
    ``task.return_boolean(True)``, or with ``task.return_error(error)``.
    ``scope`` is an :class:`Asgiref.Scope` (``scope.to_dict()`` is the
    dict asgiref would give); the channel takes dicts::

        class Hello(GObject.Object, Asgiref.Application):
            def do_call(self, scope, channel, task):
                path = scope.to_dict()['path']     # or scope.get_path()
                channel.send_async({'type': 'http.response.start', 'status': 200,
                                    'headers': [(b'content-type', b'text/plain')]},
                                   None, None)
                channel.send_async({'type': 'http.response.body', 'body': path.encode()},
                                   None, lambda ch, res: task.return_boolean(ch.send_finish(res)))

    Messages received (``channel.receive_finish()``) are
    :class:`Asgiref.Message`; ``message.to_dict()`` gives the dict.

    An exception that ``do_call`` raises before the task is completed
    completes it with that error (a GLib.Error as it is; any other as a
    GLib.Error of :data:`PYTHON_ERROR_DOMAIN`), so the instance ends.

    ``call_async(scope, channel, cancellable, callback)`` takes a dict or
    a GLib.Variant for the scope too.

    A "double callable" class (one instance per scope, for
    ``Asgiref.FactoryApplication.new_for_type()``) declares the scope it
    is made for as a property: ``scope = GObject.Property(type=Asgiref.Scope)``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        do_call = cls.__dict__.get('do_call')
        if do_call is None or getattr(do_call, '_asgiref_guarded', False):
            return

        @functools.wraps(do_call)
        def guarded(self, scope, channel, task):
            try:
                do_call(self, scope, channel, task)
            except BaseException as exc:  # noqa: B036: handed to the task
                if task.get_completed() or task.had_error():
                    raise
                _complete_with_exception(task, exc)

        guarded._asgiref_guarded = True
        cls.do_call = guarded

    def call_async(self, scope, channel, *args, **kwargs):
        """Run one instance for ``scope`` (a dict, a GLib.Variant or an
        :class:`Asgiref.Scope`) talking through ``channel``."""
        return Asgiref.Application.call_async(self, _as_scope(scope), channel, *args, **kwargs)


Application = override(Application)
__all__.append('Application')


class FunctionApplication(Asgiref.FunctionApplication):
    """An application made of one function ``fn(scope, channel, task)``,
    guarded as ``do_call`` is: an exception it raises before completing
    the task completes it with that error, so the instance ends."""

    @classmethod
    def new(cls, fn, *user_data):
        if not callable(fn):
            raise TypeError('FunctionApplication.new() needs a function, not %r' % (fn,))

        @functools.wraps(fn)
        def guarded(scope, channel, task, *data):
            try:
                fn(scope, channel, task, *data)
            except BaseException as exc:  # noqa: B036: handed to the task
                if task.get_completed() or task.had_error():
                    raise
                _complete_with_exception(task, exc)

        return Asgiref.FunctionApplication.new(guarded, *user_data)


FunctionApplication = override(FunctionApplication)
__all__.append('FunctionApplication')


def _message_to_send(channel, message):
    """``message`` as an Asgiref.Message for ``channel``; one that is not a
    valid message raises GLib.Error, and the channel hears of it too, so
    that the server reports it even when the application swallows the
    exception."""
    try:
        return _as_message(message)
    except GLib.Error as error:
        channel.note_refused(error)
        raise


class Channel(Asgiref.Channel):
    """The two ends of one application instance. The override's
    ``Channel.new(scope)``, ``send_async(message, ...)``,
    ``try_send(message)`` and ``put_input(message)`` take dicts (and ``a{sv}`` GLib.Variants) as
    well as :class:`Asgiref.Scope` and :class:`Asgiref.Message`; a dict
    that is not a valid message raises :class:`GLib.Error`
    ``Asgiref.Error.INVALID_MESSAGE`` at the call, as asgiref's ``send``
    raises. ``receive_finish()`` and ``take_output_finish()`` give
    :class:`Asgiref.Message` (``to_dict()`` for the dict)."""

    @classmethod
    def new(cls, scope):
        return Asgiref.Channel.new(_as_scope(scope))

    def send_async(self, message, *args, **kwargs):
        """Send ``message`` (a dict, GLib.Variant or Asgiref.Message) to
        the server side; ``send_finish()`` reports a protocol error."""
        return Asgiref.Channel.send_async(self, _message_to_send(self, message), *args, **kwargs)

    def try_send(self, message):
        """Send ``message`` (a dict, GLib.Variant or Asgiref.Message) if
        the server can take it at once; ``GLib.Error``
        ``Gio.IOErrorEnum.WOULD_BLOCK`` if it cannot (then use
        ``send_async``)."""
        return Asgiref.Channel.try_send(self, _message_to_send(self, message))

    def put_input(self, message):
        """Queue ``message`` (a dict, GLib.Variant or Asgiref.Message) for
        the application's next receive."""
        return Asgiref.Channel.put_input(self, _as_message(message))


Channel = override(Channel)
__all__.append('Channel')


_USEC = 1000000


def _usec(seconds):
    return -1 if seconds is None else int(seconds * _USEC)


class Communicator(Asgiref.Communicator):
    """asgiref's ``ApplicationCommunicator``, with its signatures (timeouts
    in seconds, None for none) and dicts for scopes and messages (an
    :class:`Asgiref.Scope` / :class:`Asgiref.Message` or an ``a{sv}``
    GLib.Variant is taken too)::

        comm = Asgiref.Communicator(app, Asgiref.Scope.new_http('GET', '/', None, None))
        # or a complete scope dict: {'type': 'http', 'asgi': {'version': '3.0'},
        #   'http_version': '1.1', 'method': 'GET', 'path': '/',
        #   'query_string': b'', 'headers': []}
        comm.send_input({'type': 'http.request', 'body': b'hi'})
        start = comm.receive_output(1)       # a dict
        assert comm.receive_nothing()
        comm.wait()

    The blocking methods run the instance's main context while they wait
    (see the C documentation for where they may be called). The ``_async``
    methods of the C API are there too; ``receive_output_finish()`` gives
    an :class:`Asgiref.Message` (``to_dict()`` for the dict).
    """

    def __new__(cls, application, scope):
        return Asgiref.Communicator.new(_as_application(application), _as_scope(scope))

    def __init__(self, application, scope):
        pass

    @classmethod
    def new(cls, application, scope):
        return Asgiref.Communicator.new(_as_application(application), _as_scope(scope))

    def send_input(self, message):
        """Queue ``message`` (a dict, GLib.Variant or Asgiref.Message) for
        the application; an invalid one raises :class:`GLib.Error`
        ``Asgiref.Error.INVALID_MESSAGE``."""
        return Asgiref.Communicator.send_input(self, _as_message(message))

    def receive_output(self, timeout=1, cancellable=None):
        """The next message the application sent, as a dict. Raises
        GLib.Error ``Gio.IOErrorEnum.TIMED_OUT`` (and cancels the instance)
        when none comes in ``timeout`` seconds, or the application's
        error."""
        message = Asgiref.Communicator.receive_output(self, _usec(timeout), cancellable)
        return variant_to_dict(message.to_variant())

    def receive_nothing(self, timeout=0.1, interval=0.01, cancellable=None):
        """Whether the application sends nothing for ``timeout`` seconds,
        looking every ``interval`` seconds."""
        return Asgiref.Communicator.receive_nothing(self, _usec(timeout), _usec(interval),
                                                     cancellable)

    def wait(self, timeout=1, cancellable=None):
        """Wait for the instance to end; cancels it and raises
        ``Gio.IOErrorEnum.TIMED_OUT`` after ``timeout`` seconds."""
        return Asgiref.Communicator.wait(self, _usec(timeout), cancellable)


Communicator = override(Communicator)
__all__.append('Communicator')


# ---- WSGI: PEP 3333 applications on the C adapter -----------------------
#
# A PEP 3333 callable runs as the handler of an Asgiref.WsgiApplication: on a
# worker thread of the bridge, under the GIL, in the request's context. The
# environ is built from the scope, wsgi.input reads the body stream as the
# request arrives, and start_response()/write() drive the C response, whose
# writes block until the server took the bytes.

_WSGI_LOG_DOMAIN = 'Asgiref-Wsgi'
_STATUS = re.compile(r'^([1-9][0-9]{2}) [^\r\n]*$')
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class _WsgiInput:
    """``wsgi.input``: the request body, read as it arrives."""

    _CHUNK = 65536

    def __init__(self, stream):
        self._stream = stream
        self._buffer = b''
        self._eof = False

    def _more(self, size):
        if self._eof:
            return False
        data = self._stream.read_bytes(size, None).get_data()
        if not data:
            self._eof = True
            return False
        self._buffer += data
        return True

    def read(self, size=-1):
        if size is None or size < 0:
            while self._more(self._CHUNK):
                pass
            data, self._buffer = self._buffer, b''
            return data
        while len(self._buffer) < size and self._more(max(size - len(self._buffer), 1)):
            pass
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def readline(self, size=-1):
        while True:
            end = self._buffer.find(b'\n')
            if end >= 0:
                end += 1
                break
            if size is not None and 0 <= size <= len(self._buffer):
                break
            if not self._more(self._CHUNK):
                end = len(self._buffer)
                break
        if size is not None and size >= 0:
            end = min(end if end >= 0 else len(self._buffer), size)
        line, self._buffer = self._buffer[:end], self._buffer[end:]
        return line

    def readlines(self, hint=-1):
        lines = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class _WsgiErrors:
    """``wsgi.errors``: each line a warning in the log domain Asgiref-Wsgi."""

    def __init__(self):
        self._pending = ''

    def write(self, text):
        self._pending += text
        while '\n' in self._pending:
            line, self._pending = self._pending.split('\n', 1)
            GLib.log_variant(_WSGI_LOG_DOMAIN, GLib.LogLevelFlags.LEVEL_WARNING,
                             GLib.Variant('a{sv}', {'MESSAGE': GLib.Variant('s', line)}))

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self._pending:
            self.write('\n')


def _latin1(data):
    return bytes(data).decode('latin-1')


def _wsgi_environ(scope, body, multithread):
    """The PEP 3333 environ of a request's scope."""
    headers = scope.get_headers()
    root_path = scope.get_root_path() or ''
    # The path as the client sent it, decoded, as bytes in a native str.
    path = scope.get_path().encode('utf-8').decode('latin-1')
    script_name = root_path.encode('utf-8').decode('latin-1')
    if script_name and path.startswith(script_name):
        path = path[len(script_name):]
    environ = {
        'REQUEST_METHOD': scope.get_method(),
        'SCRIPT_NAME': script_name,
        'PATH_INFO': path,
        'QUERY_STRING': _latin1(scope.get_query_string().get_data() or b''),
        'SERVER_PROTOCOL': 'HTTP/%s' % scope.get_http_version(),
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': scope.get_scheme() or 'http',
        'wsgi.input': body,
        'wsgi.errors': _WsgiErrors(),
        'wsgi.multithread': multithread,
        'wsgi.multiprocess': False,
        'wsgi.run_once': False,
        'wsgi.input_terminated': True,
    }
    has_server, host, port = scope.get_server()
    environ['SERVER_NAME'], environ['SERVER_PORT'] = (host, str(port)) if has_server else ('localhost', '80')
    has_client, host, port = scope.get_client()
    if has_client:
        environ['REMOTE_ADDR'], environ['REMOTE_PORT'] = host, str(port)
    for index in range(headers.get_length() if headers is not None else 0):
        name = headers.get_name(index)
        value = headers.get_value(index)
        if name == 'content-type':
            key = 'CONTENT_TYPE'
        elif name == 'content-length':
            key = 'CONTENT_LENGTH'
        else:
            key = 'HTTP_' + name.upper().replace('-', '_')
        environ[key] = environ[key] + ', ' + value if key in environ else value
    return environ


def _wsgi_headers(headers):
    names = []
    values = []
    if not isinstance(headers, list):
        raise TypeError('start_response(): headers must be a list of (name, value) tuples, not %s'
                        % type(headers).__name__)
    for item in headers:
        if not (isinstance(item, tuple) and len(item) == 2 and
                all(isinstance(part, str) for part in item)):
            raise TypeError('start_response(): a header must be a (str, str) tuple, not %r'
                            % (item,))
        name, value = item
        if not _TOKEN.match(name):
            raise ValueError('start_response(): %r is not a header name' % name)
        if any(c in value for c in '\r\n\0'):
            raise ValueError('start_response(): the value of %s holds a line break' % name)
        names.append(name.lower())
        values.append(value)
    return Asgiref.Headers.new(names, values)


def _run_wsgi(app, scope, body, response, multithread):
    """The handler: runs ``app`` for one request, by PEP 3333's rules."""
    state = {'length': None, 'sent': 0}

    def start_response(status, headers, exc_info=None):
        if response.get_status() != 0:
            if exc_info is None:
                raise AssertionError('start_response() called a second time without exc_info')
            if response.get_headers_sent():
                raise exc_info[1].with_traceback(exc_info[2])
        if not isinstance(status, str) or not _STATUS.match(status):
            raise ValueError('start_response(): %r is not a status such as "200 OK"' % (status,))
        native = _wsgi_headers(headers)
        response.start(int(status[:3]), native)
        length = native.lookup('content-length')
        state['length'] = int(length) if length is not None and length.isdigit() else None
        return write

    def write(data):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError('a WSGI body chunk must be bytes, not %s' % type(data).__name__)
        if data:
            response.write(GLib.Bytes.new(bytes(data)), None)
            state['sent'] += len(data)

    environ = _wsgi_environ(scope, _WsgiInput(body), multithread)
    try:
        result = app(environ, start_response)
    except GLib.Error:
        raise
    except BaseException as exc:  # noqa: B036: reported to the server
        raise _error_of(exc) from exc
    try:
        for chunk in result:
            write(chunk)
            # Not past the content-length: the rest would not be sent.
            if state['length'] is not None and state['sent'] >= state['length']:
                break
    except GLib.Error:
        raise
    except BaseException as exc:  # noqa: B036: reported to the server
        raise _error_of(exc) from exc
    finally:
        close = getattr(result, 'close', None)
        if close is not None:
            close()
    return True


_wsgi_bridges = {}
_wsgi_bridges_lock = threading.Lock()


def _wsgi_bridge(threads):
    """The bridge of ``threads`` worker threads that Python WSGI
    applications share."""
    with _wsgi_bridges_lock:
        bridge = _wsgi_bridges.get(threads)
        if bridge is None:
            bridge = _wsgi_bridges[threads] = Asgiref.Bridge.new(threads)
        return bridge


class WsgiApplication(Asgiref.WsgiApplication):
    """Serves synchronous handlers. ``new_for_callable(app)`` serves any
    PEP 3333 application (Flask, Django's ``get_wsgi_application()``)::

        server = Asgiref.Server.new(Asgiref.WsgiApplication.new_for_callable(flask_app))

    See the C documentation of ``AsgirefWsgiApplication`` for the threads
    handlers run on."""

    @classmethod
    def new_for_callable(cls, app, thread_sensitive=False, threads=4):
        """An application running the PEP 3333 callable ``app`` once per
        request, on one of ``threads`` worker threads (or, with
        ``thread_sensitive``, on the one thread of thread-sensitive code),
        in the request's context. The Python applications that ask for the
        same number of threads share them. Four, like waitress: enough for
        requests that wait on I/O, and few enough that Python's interpreter
        lock does not pass between many threads on every call into C."""
        if not callable(app):
            raise TypeError('new_for_callable() needs a WSGI callable, not %r' % (app,))
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            raise ValueError('new_for_callable(): threads must be a positive int, not %r'
                             % (threads,))

        def handler(scope, body, response):
            return _run_wsgi(app, scope, body, response, not thread_sensitive)

        made = Asgiref.WsgiApplication.new(handler)
        made.set_thread_sensitive(thread_sensitive)
        made.set_bridge(_wsgi_bridge(threads))
        return made


WsgiApplication = override(WsgiApplication)
__all__.append('WsgiApplication')


# ---- asyncio: ASGI callables and awaitables on the GLib main loop --------
#
# asyncio runs on GLib's main context through gbulb (Debian's python3-gbulb,
# a PEP 3156 event loop whose callbacks are GLib sources). Two things are
# added on top of it, in a loop subclass whose handles run each callback:
# - the running loop is set while a callback runs, whoever iterates the
#   main context (loop.run_forever(), a GLib.MainLoop, Gtk.Application.run()):
#   plain gbulb sets it only inside its own run(), so asyncio.sleep() and
#   every library calling get_running_loop() fail under any other loop;
# - the Asgiref.Context of the request (carried by a contextvar, which
#   asyncio copies into every task and callback) is entered around each
#   callback, so that a Local read or written after an await, by a task the
#   request created, or by C code called from there, is the request's.
# Imported on first use: a program that never serves an asyncio application
# does not pay for asyncio and gbulb.

_aio = None


class _AsyncioSupport:
    """asyncio, gbulb and the loop classes built on them, made once."""

    def __init__(self):
        import asyncio
        import contextvars
        from asyncio import events

        try:
            from gbulb import glib_events
        except ImportError as exc:
            raise ImportError('serving asyncio code on the GLib main loop needs gbulb '
                              '(Debian: apt install python3-gbulb)') from exc

        self.asyncio = asyncio
        self.events = events
        self.contextvars = contextvars
        self.request_context = contextvars.ContextVar('asgiref_request_context', default=None)
        self.loops = threading.local()
        request_context = self.request_context

        def run_in_request(handle, run):
            """Runs ``run()``, the callback of ``handle``, in the request's
            Asgiref.Context if a request scheduled it."""
            context = handle._context.get(request_context)
            if context is None:
                run()
                return
            Asgiref.Context.enter(context)
            try:
                run()
            finally:
                Asgiref.Context.leave(context)

        class running:
            """Marks ``loop`` running while callbacks run, unless a loop
            already is (its own run_forever())."""
            __slots__ = ('loop', 'outer')

            def __init__(self, loop):
                self.loop = loop

            def __enter__(self):
                self.outer = events._get_running_loop()
                if self.outer is None:
                    events._set_running_loop(self.loop)

            def __exit__(self, *exc_info):
                if self.outer is None:
                    events._set_running_loop(None)

        class Handle(events.Handle):
            """A callback of call_soon(), run from the loop's ready queue."""
            __slots__ = ()

            def _run(self):
                run_in_request(self, super()._run)

        class TimerHandle(glib_events.GLibHandle):
            """A callback of call_later(): a GLib timeout source of its own."""
            __slots__ = ()

            def _run(self):
                with running(self._loop):
                    run_in_request(self, super()._run)

        class EventLoop(glib_events.GLibEventLoop):
            """gbulb's loop, whose callbacks run as described above.

            call_soon() callbacks wait in a queue that one idle source
            drains, a batch per dispatch, where gbulb makes, attaches and
            destroys a GLib source for each: a request takes four or more
            steps, and a Starlette hello went from 8.2k to 9.4k requests/s."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self._queue = collections.deque()
                self._queue_lock = threading.Lock()
                self._queue_source = None

            def call_soon(self, callback, *args, context=None):
                if self._debug:
                    self._check_not_coroutine(callback, 'call_soon')
                handle = Handle(callback, args, self, context)
                with self._queue_lock:
                    self._queue.append(handle)
                    if self._queue_source is None:
                        # Attaching is thread-safe, and wakes the context.
                        source = GLib.Idle()
                        source.set_priority(GLib.PRIORITY_DEFAULT)
                        source.set_callback(self._run_queue)
                        source.attach(self._context)
                        self._queue_source = source
                return handle

            call_soon_threadsafe = call_soon

            def _run_queue(self, *_user_data):
                # The callbacks queued so far, as asyncio runs one batch per
                # iteration: those they queue wait for the next dispatch, so
                # that sockets and other sources get their turn in between.
                with self._queue_lock:
                    batch, self._queue = self._queue, collections.deque()
                with running(self):
                    for handle in batch:
                        if not handle._cancelled:
                            handle._run()
                with self._queue_lock:
                    if self._queue:
                        return GLib.SOURCE_CONTINUE
                    self._queue_source = None
                    return GLib.SOURCE_REMOVE

            def call_later(self, delay, callback, *args, context=None):
                if self._debug:
                    self._check_not_coroutine(callback, 'call_later')
                source = GLib.Timeout(int(delay * 1000)) if delay > 0 else GLib.Idle()
                return TimerHandle(loop=self, source=source, repeat=False,
                                   callback=callback, args=args, context=context)

            def close(self):
                with self._queue_lock:
                    source, self._queue_source = self._queue_source, None
                    self._queue.clear()
                if source is not None:
                    source.destroy()
                super().close()

            def create_task(self, coro, *, name=None, context=None):
                # A task made inside a request works in a copy of the
                # request's Asgiref.Context, as it works in a copy of the
                # contextvars: it sees the values set so far, and what it
                # sets stays its own.
                if context is None:
                    context = contextvars.copy_context()
                    current = context.get(request_context)
                    if current is not None:
                        context.run(request_context.set, Asgiref.Context.copy(current))
                return super().create_task(coro, name=name, context=context)

        class EventLoopPolicy(glib_events.GLibEventLoopPolicy):
            """gbulb's policy, made of the loops above."""

            def _new_default_loop(self):
                loop = EventLoop(context=GLib.MainContext.default(),
                                 application=self._application)
                loop._policy = self
                return loop

            def new_event_loop(self):
                # The main thread's loop is the default context's (gbulb
                # makes it so only until the first one exists).
                if threading.current_thread() is threading.main_thread():
                    return self.get_default_loop()
                loop = EventLoop()
                loop._policy = self
                return loop

            def get_default_loop(self):
                if self._default_loop is not None and self._default_loop.is_closed():
                    # asyncio.run() closes the loop it ran: the main context
                    # goes on, and so does a loop on it.
                    self._default_loop = None
                return super().get_default_loop()

        self.glib_events = glib_events
        self.EventLoop = EventLoop
        self.EventLoopPolicy = EventLoopPolicy

    def install(self):
        """Makes the policy asyncio's and returns the main context's loop."""
        asyncio = self.asyncio
        policy = asyncio.get_event_loop_policy()
        if not isinstance(policy, self.EventLoopPolicy):
            if type(policy) is not asyncio.DefaultEventLoopPolicy:
                raise RuntimeError(
                    "asyncio's event loop policy is already %s; Asgiref serves asyncio code "
                    'on its own GLib event loop: call Asgiref.install_asyncio() before '
                    'anything sets a policy (gbulb.install() included)' % type(policy).__name__)
            running = self.events._get_running_loop()
            if running is not None:
                raise RuntimeError(
                    'an asyncio loop that is not the GLib main loop runs in this thread (%r): '
                    'call Asgiref.install_asyncio() first and run its loop instead' % (running,))
            policy = self.EventLoopPolicy()
            asyncio.set_event_loop_policy(policy)
        loop = policy.get_default_loop()
        if threading.current_thread() is threading.main_thread():
            policy.set_event_loop(loop)
        return loop

    def loop_for(self, context):
        """The loop whose callbacks run on the GLib ``context``."""
        if context is None:
            context = GLib.MainContext.ref_thread_default()
        if context == GLib.MainContext.default():
            return self.install()
        # Another context (a server's own, a serving thread's): one loop per
        # context, kept by the thread that runs it.
        pairs = getattr(self.loops, 'pairs', None)
        if pairs is None:
            pairs = self.loops.pairs = []
        for known, loop in pairs:
            if known == context:
                return loop
        loop = self.EventLoop(context=context)
        pairs.append((context, loop))
        return loop

    def start(self, coro, loop=None):
        """Runs ``coro`` as a task on the loop of the calling thread's
        main context, in the current Asgiref.Context itself."""
        loop = loop or self.loop_for(None)
        context = self.contextvars.copy_context()
        context.run(self.request_context.set, Asgiref.Context.get_current())
        return loop.create_task(coro, context=context)


def _asyncio_support():
    global _aio
    if _aio is None:
        _aio = _AsyncioSupport()
    return _aio


def install_asyncio():
    """Run asyncio on GLib's default main context, and return its loop.

    Makes asyncio's event loop of the main thread a gbulb loop on
    :func:`GLib.MainContext.default`: asyncio callbacks and tasks become
    GLib sources, dispatched by whatever iterates that context. Run the
    program with ``loop.run_forever()`` (``loop.run_forever(application=app)``
    for a :class:`Gio.Application`) or with its own ``GLib.MainLoop`` or
    ``Gtk.Application.run()``: either way the code a callback runs sees the
    loop as running, and ``asyncio.get_running_loop()``, ``asyncio.sleep()``
    and the rest of asyncio work.

    Serving an ASGI callable calls this for you. Call it yourself before
    anything else makes an event loop (``asyncio.get_event_loop()``,
    ``asyncio.run()``): it raises :class:`RuntimeError` when another
    policy was installed, or a loop that is not GLib's runs in the thread.
    Calling it again returns the same loop.
    """
    return _asyncio_support().install()


__all__.append('install_asyncio')


def get_asyncio_loop(context=None):
    """The asyncio event loop whose callbacks run on the GLib main
    ``context`` (default: the calling thread's thread-default one).

    For the global default context, this is :func:`install_asyncio`'s
    loop. For another context, a loop made on first use, one per context
    and thread; it runs while something iterates that context.
    """
    return _asyncio_support().loop_for(context)


__all__.append('get_asyncio_loop')


def _is_single_callable(app):
    """Whether ``app`` is an ASGI 3 application (rather than an ASGI 2
    class or factory), by the markers and shapes asgiref looks at."""
    if getattr(app, '_asgi_single_callable', False):
        return True
    if getattr(app, '_asgi_double_callable', False) or inspect.isclass(app):
        return False
    call = getattr(app, '__call__', None)
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call)


def _cancelled_error():
    return GLib.Error.new_literal(Gio.io_error_quark(), 'the application instance was cancelled',
                                  int(Gio.IOErrorEnum.CANCELLED))


def _is_io_error(error, code):
    return (isinstance(error, GLib.Error) and error.domain == GLib.quark_to_string(Gio.io_error_quark())
            and error.code == int(code))


class _AsgiInstance:
    """One ASGI instance of an AsyncioApplication: its receive() and
    send(), and the asyncio task that runs it."""

    def __init__(self, app, single, scope, channel, task):
        self.app = app
        self.single = single
        self.scope = scope
        self.channel = channel
        self.task = task
        self.kind = scope.get_kind()
        self.ended = None           # what receive() gives once the client left
        self.unclaimed = []         # a message received for a cancelled receive()
        self.asyncio = _asyncio_support().asyncio

    async def run(self):
        scope = self.scope.to_dict()
        if self.single:
            await self.app(scope, self.receive, self.send)
        else:
            await self.app(scope)(self.receive, self.send)

    async def receive(self):
        if self.unclaimed:
            return self.unclaimed.pop(0).to_dict()
        if self.ended is not None:
            return dict(self.ended)
        # A message already there (a body the server read, the request
        # without one) needs no future, no callback and no turn of the loop.
        try:
            return self._received(Asgiref.Channel.try_receive(self.channel))
        except GLib.Error as error:
            if not _is_io_error(error, Gio.IOErrorEnum.WOULD_BLOCK):
                return self._receive_failed(error)
        waiter = self.asyncio.get_running_loop().create_future()

        def received(channel, result, *_user_data):
            try:
                message = channel.receive_finish(result)
            except GLib.Error as error:
                if not waiter.cancelled():
                    waiter.set_exception(error)
                return
            if waiter.cancelled():
                self.unclaimed.append(message)
            else:
                waiter.set_result(message)

        self.channel.receive_async(None, received)
        try:
            message = await waiter
        except GLib.Error as error:
            return self._receive_failed(error)
        return self._received(message)

    def _received(self, message):
        message = message.to_dict()
        if message['type'] in ('http.disconnect', 'websocket.disconnect'):
            self.ended = message
        return message

    def _receive_failed(self, error):
        if _is_io_error(error, Gio.IOErrorEnum.CANCELLED):
            raise self.asyncio.CancelledError() from None
        if _is_io_error(error, Gio.IOErrorEnum.CLOSED) and self.ended is None:
            # Already said once, or the server closed without saying: as
            # uvicorn does, every later receive says the client left.
            self.ended = self._disconnect()
            return dict(self.ended)
        raise error

    def _disconnect(self):
        if self.kind == Asgiref.ScopeKind.WEBSOCKET:
            return {'type': 'websocket.disconnect', 'code': 1006}
        return {'type': 'http.disconnect'}

    async def send(self, message):
        # An invalid message raises here, GLib.Error INVALID_MESSAGE with
        # what is wrong, and the server logs it whatever the caller does.
        native = _message_to_send(self.channel, message)
        # Most sends are taken at once (the start, a whole body): those
        # need no future, no callback and no turn of the loop.
        try:
            Asgiref.Channel.try_send(self.channel, native)
            return
        except GLib.Error as error:
            if not _is_io_error(error, Gio.IOErrorEnum.WOULD_BLOCK):
                self._send_failed(error)
                return
        waiter = self.asyncio.get_running_loop().create_future()

        def sent(channel, result, *_user_data):
            try:
                channel.send_finish(result)
            except GLib.Error as error:
                if not waiter.cancelled():
                    waiter.set_exception(error)
                return
            if not waiter.cancelled():
                waiter.set_result(None)

        Asgiref.Channel.send_async(self.channel, native, None, sent)
        try:
            await waiter
        except GLib.Error as error:
            self._send_failed(error)

    def _send_failed(self, error):
        if _is_io_error(error, Gio.IOErrorEnum.CLOSED):
            # The client left: as under uvicorn, what is sent after goes
            # nowhere; receive() says http.disconnect.
            return
        if _is_io_error(error, Gio.IOErrorEnum.CANCELLED):
            raise self.asyncio.CancelledError() from None
        raise error

    def ended_with(self, running):
        """Completes the GTask with how the asyncio task ended."""
        task = self.task
        self.task = None
        if running.cancelled():
            task.return_error(_cancelled_error())
            return
        exc = running.exception()
        if exc is not None:
            _complete_with_exception(task, exc)
        else:
            task.return_boolean(True)


class AsyncioApplication(GObject.Object, Application):
    """An :class:`Asgiref.Application` that runs an ASGI callable on
    asyncio, on the GLib main loop: Starlette, FastAPI, Django's
    ``get_asgi_application()``, or ``async def app(scope, receive, send)``.

    Each instance is a task on the asyncio loop of the main context that
    calls the application (:func:`get_asyncio_loop`; for a server on the
    default main context, :func:`install_asyncio`'s loop, installed on
    first use). The task gets the scope as asgiref's dict, and
    ``receive()``/``send()`` coroutines that take and give asgiref's dicts
    (bytes bodies, ``(bytes, bytes)`` header pairs). As under uvicorn:

    - once the client left, ``receive()`` gives ``http.disconnect`` (or
      ``websocket.disconnect``) every time, and ``send()`` returns without
      sending;
    - an invalid message makes ``send()`` raise :class:`GLib.Error`
      ``Asgiref.Error.INVALID_MESSAGE`` with the reason (which the server
      also logs, naming the request);
    - an exception that ends the application is the instance's error, its
      traceback in the message the server logs; the client gets a 500 if
      no response had started;
    - when the server cancels the instance (its ``response-timeout``, a
      cancelled stop), the task is cancelled: the application sees
      :class:`asyncio.CancelledError` at its ``await``.

    The task runs in the request's :class:`Asgiref.Context`, entered
    around each step of it, so ``Asgiref.Local`` values set before or after
    an ``await`` stay in the request, and C code called from the
    coroutine sees them too. Tasks it creates (``asyncio.create_task()``,
    ``asyncio.gather()``) work in a copy of it, as they work in a copy of
    the contextvars.

    ASGI 2 applications (a class, or a callable of the scope returning a
    coroutine function of ``receive, send``) are recognised by asgiref's
    rules and served the same way. Wherever the Python API expects an
    :class:`Asgiref.Application` (``Asgiref.Server``,
    ``Asgiref.Communicator``, ``Asgiref.StatelessServer``), an ASGI
    callable is wrapped in one of these for you.
    """

    __gtype_name__ = 'AsgirefPythonAsyncioApplication'
    # PyGObject registers no GType for a class of a gi.overrides module (it
    # takes it for an override of an existing type): this one is new.
    __module__ = 'gi.repository.Asgiref'

    def __init__(self, app):
        if not callable(app):
            raise TypeError('AsyncioApplication needs an ASGI callable, not %r' % (app,))
        aio = _asyncio_support()
        running = aio.events._get_running_loop()
        if running is not None and not isinstance(running, aio.EventLoop):
            # Its thread is busy in asyncio's own loop, which never
            # iterates GLib's: a server would accept and answer nothing.
            raise RuntimeError(
                'this thread runs an asyncio loop that is not the GLib main loop (%r), so '
                'nothing would serve the application: call Asgiref.install_asyncio() '
                'before asyncio.run(), or run its loop' % (running,))
        super().__init__()
        self.app = app
        self.single = _is_single_callable(app)

    def do_call(self, scope, channel, task):
        instance = _AsgiInstance(self.app, self.single, scope, channel, task)
        _start_task(instance.run(), task.get_cancellable(), instance.ended_with)

    def __repr__(self):
        return '<Asgiref.AsyncioApplication %r>' % (self.app,)


__all__.append('AsyncioApplication')


def _as_application(app):
    """``app`` if it is an Asgiref.Application (or None), an
    AsyncioApplication around it if it is any other callable."""
    if app is None or isinstance(app, Asgiref.Application):
        return app
    if callable(app):
        return AsyncioApplication(app)
    raise TypeError('expected an Asgiref.Application or an ASGI callable, not %r' % (app,))


class Server(Asgiref.Server):
    """``Asgiref.Server.new(app)`` and ``Asgiref.Server(application=app)``
    take an ASGI callable as well as an :class:`Asgiref.Application`: see
    :class:`AsyncioApplication`."""

    def __init__(self, application=None, **kwargs):
        if application is not None:
            kwargs['application'] = _as_application(application)
        super().__init__(**kwargs)

    @classmethod
    def new(cls, application):
        return Asgiref.Server.new(_as_application(application))


Server = override(Server)
__all__.append('Server')


class StatelessServer(Asgiref.StatelessServer):
    """Its ``application`` may be an ASGI callable as well: see
    :class:`AsyncioApplication`."""

    def __init__(self, **kwargs):
        if kwargs.get('application') is not None:
            kwargs['application'] = _as_application(kwargs['application'])
        super().__init__(**kwargs)


StatelessServer = override(StatelessServer)
__all__.append('StatelessServer')
