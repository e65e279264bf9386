# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asgiref.SyncFunction from Python: a C implementation
(AsgirefTest.ThreadFunction from tests/lib, whose call returns
"thread=<name>;main=<0|1>") and a Python one, run through call_async from a
GLib main loop."""

import threading

import gi

gi.require_version('AsgirefTest', '1.0')

from gi.repository import Asgiref, AsgirefTest, Gio, GLib, GObject  # noqa: E402

import pytest  # noqa: E402


def call(loop, fn, flags=Asgiref.SyncFlags.NONE, bridge=None, cancellable=None):
    """Runs fn.call_async() from the loop; returns (source, value) or
    raises the GLib.Error."""
    outcome = []

    def done(source, result):
        try:
            outcome.append((source, True, source.call_finish(result)))
        except GLib.Error as error:
            outcome.append((source, False, error))
        loop.quit()

    def start():
        fn.call_async(bridge, flags, cancellable, loop.check(done))
        return GLib.SOURCE_REMOVE

    GLib.idle_add(loop.check(start))
    loop.run()
    source, ok, value = outcome[0]
    assert source is fn
    if not ok:
        raise value
    return value


def test_c_function_runs_on_the_shared_sync_thread(loop):
    fn = AsgirefTest.ThreadFunction()
    assert call(loop, fn) == 'thread=asgiref-sync;main=0'
    assert call(loop, fn) == 'thread=asgiref-sync;main=0'
    assert fn.props.n_calls == 2
    # Called directly it runs here.
    ok, value = fn.call(None)
    assert ok and value.endswith(';main=1')


def test_not_thread_sensitive_c_function_runs_on_a_pool_thread(loop):
    fn = AsgirefTest.ThreadFunction()
    value = call(loop, fn, Asgiref.SyncFlags.NOT_THREAD_SENSITIVE, bridge=Asgiref.Bridge(max_threads=2))
    assert value.endswith(';main=0')
    assert not value.startswith('thread=asgiref-sync;')


def test_c_function_error_is_raised(loop):
    with pytest.raises(GLib.Error) as info:
        call(loop, AsgirefTest.ThreadFunction(fail=True))
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.FAILED)
    assert info.value.message == 'failed as asked'


def test_cancelled_before_it_runs_is_not_run(loop):
    fn = AsgirefTest.ThreadFunction()
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    with pytest.raises(GLib.Error) as info:
        call(loop, fn, cancellable=cancellable)
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert fn.props.n_calls == 0


class PyFunction(GObject.Object, Asgiref.SyncFunction):
    """A Python implementation: PyGObject takes the GIL on the bridge's
    thread. do_call returns (TRUE, value) or raises a GLib.Error."""

    def __init__(self, error=None):
        super().__init__()
        self.error = error
        self.thread = None

    def do_call(self, cancellable):
        self.thread = threading.get_ident()
        if self.error is not None:
            raise self.error
        return True, 'ran in Python'


def test_python_function_called_directly():
    assert tuple(PyFunction().call(None)) == (True, 'ran in Python')


def test_python_function_runs_on_the_shared_sync_thread(loop):
    fn = PyFunction()
    assert call(loop, fn) == 'ran in Python'
    assert fn.thread is not None and fn.thread != threading.get_ident()
    c_value = call(loop, AsgirefTest.ThreadFunction())
    assert c_value == 'thread=asgiref-sync;main=0'


def test_python_function_error_is_raised(loop):
    error = GLib.Error.new_literal(Gio.io_error_quark(), 'not here', Gio.IOErrorEnum.NOT_FOUND)
    with pytest.raises(GLib.Error) as info:
        call(loop, PyFunction(error))
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    assert info.value.message == 'not here'
