# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject override for Asgiref: idiomatic Context and Local.

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
"""

import functools

from ..overrides import override
from ..module import get_introspection_module

from gi.repository import GLib, GObject

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
