# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asgiref.Local from Python: the attribute protocol, value marshalling,
thread-critical scope, per-context initialisation, threads."""

import sys
import threading

import pytest

from gi.repository import Asgiref, Gio, GLib, GObject


def get(local, name, default=None):
    return getattr(local, name, default)


# --------------------------------------------------------------------------
# Attribute protocol
# --------------------------------------------------------------------------

def test_set_read_delete_like_asgiref_local():
    local = Asgiref.Local()
    with Asgiref.Context():
        assert not hasattr(local, 'request_id')
        local.request_id = 42
        assert hasattr(local, 'request_id')
        assert local.request_id == 42
        local.request_id = 43
        assert local.request_id == 43
        del local.request_id
        assert not hasattr(local, 'request_id')
        assert getattr(local, 'request_id', 'default') == 'default'


def test_reading_an_unset_name_raises_attribute_error():
    local = Asgiref.Local()
    with Asgiref.Context():
        with pytest.raises(AttributeError, match="'Local' object has no attribute 'missing'") as info:
            local.missing
        assert info.value.name == 'missing'
        assert info.value.obj is local


def test_deleting_an_unset_name_raises_attribute_error():
    local = Asgiref.Local()
    with Asgiref.Context():
        with pytest.raises(AttributeError, match='missing'):
            del local.missing
        local.present = 1
        del local.present
        with pytest.raises(AttributeError):
            del local.present


def test_gobject_attributes_and_methods_still_work():
    local = Asgiref.Local()
    with Asgiref.Context():
        assert local.get_scope() == Asgiref.LocalScope.CONTEXT
        assert local.props.scope == Asgiref.LocalScope.CONTEXT
        assert isinstance(local, GObject.Object)
        local.value_a = 1
        local.value_b = 'two'
        # The introspected API sees what the attributes stored.
        assert local.contains('value_a')
        assert list(local.list_names()) == ['value_a', 'value_b']
        assert 'value_b' in dir(local)
        assert 'get_scope' in dir(local)
        assert local.remove('value_a') is True
        assert local.remove('value_a') is False
        # Private names are plain Python attributes, shared by all contexts.
        local._note = 'plain'
    assert local._note == 'plain'
    del local._note
    assert not hasattr(local, '_note')


def test_values_set_through_set_value_read_as_attributes():
    local = Asgiref.Local()
    with Asgiref.Context():
        value = GObject.Value(GObject.TYPE_UINT, 7)
        local.set_value('typed', value)
        assert local.typed == 7
        local.explicit = GObject.Value(GObject.TYPE_STRING, 'as GValue')
        assert local.explicit == 'as GValue'


def test_thread_critical_keyword_selects_the_scope():
    assert Asgiref.Local(thread_critical=True).get_scope() == \
        Asgiref.LocalScope.THREAD_CRITICAL
    assert Asgiref.Local(thread_critical=False).get_scope() == \
        Asgiref.LocalScope.CONTEXT
    assert Asgiref.Local(scope=Asgiref.LocalScope.MAIN_CONTEXT).get_scope() == \
        Asgiref.LocalScope.MAIN_CONTEXT
    with pytest.raises(ValueError):
        Asgiref.Local(thread_critical=True, scope=Asgiref.LocalScope.CONTEXT)


# --------------------------------------------------------------------------
# Values of every Python type
# --------------------------------------------------------------------------

class Opaque:
    pass


@pytest.mark.parametrize('value', [
    0, 1, -1, 2**31, -2**31 - 1, 2**40, 2**63 - 1, -2**63,
    2**64, 2**100, -2**100,
    True, False, 0.5, float('inf'),
    '', 'text', 'ünïcödé ✓', 'nul\x00inside', 'lone \udcff surrogate',
    b'bytes\x00with nul', (1, 'a'), frozenset({1}),
], ids=repr)
def test_immutable_values_round_trip_equal_and_same_type(value):
    local = Asgiref.Local()
    with Asgiref.Context():
        local.value = value
        back = local.value
    assert back == value
    assert type(back) is type(value)


def test_none_round_trips():
    local = Asgiref.Local()
    with Asgiref.Context():
        local.value = None
        assert hasattr(local, 'value')
        assert local.value is None


@pytest.mark.parametrize('factory', [
    dict, list, set, Opaque, bytearray, lambda: (lambda: 1),
    lambda: {'nested': [1, {'a': 2}]}, lambda: 2**100,
    Gio.Cancellable, lambda: Asgiref.LocalScope.MAIN_CONTEXT,
], ids=['dict', 'list', 'set', 'object', 'bytearray', 'function',
        'nested', 'bigint', 'GObject', 'GEnum'])
def test_objects_round_trip_with_identity(factory):
    local = Asgiref.Local()
    obj = factory()
    with Asgiref.Context():
        local.value = obj
        assert local.value is obj
        assert local.value is obj


def test_mutations_of_a_stored_dict_are_seen_by_the_context_holding_it():
    """As with asgiref.local.Local, the stored object is shared, not
    copied: a child context sees the same dict as its parent."""
    local = Asgiref.Local()
    parent = Asgiref.Context()
    with parent:
        local.headers = {}
        child = Asgiref.Context.capture()
    with child:
        local.headers['x'] = 1
    with parent:
        assert local.headers == {'x': 1}


def test_stored_python_objects_are_refcounted():
    local = Asgiref.Local()
    obj = Opaque()
    before = sys.getrefcount(obj)
    ctx = Asgiref.Context()
    with ctx:
        local.value = obj
        for _ in range(100):
            local.value
    assert sys.getrefcount(obj) == before + 1
    with ctx:
        del local.value
    assert sys.getrefcount(obj) == before


# --------------------------------------------------------------------------
# Thread-critical
# --------------------------------------------------------------------------

def run_in_thread(fn):
    result = {}

    def target():
        try:
            result['value'] = fn()
        except BaseException as exc:  # noqa: B036: re-raised below
            result['error'] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    if 'error' in result:
        raise result['error']
    return result.get('value')


def test_thread_critical_value_does_not_propagate_to_another_thread():
    critical = Asgiref.Local(thread_critical=True)
    critical.connection = 'main'

    def other_thread():
        seen = hasattr(critical, 'connection')
        critical.connection = 'worker'
        return seen, critical.connection

    assert run_in_thread(other_thread) == (False, 'worker')
    assert critical.connection == 'main'
    del critical.connection


def test_thread_critical_outside_a_main_loop_is_per_thread_not_per_context():
    critical = Asgiref.Local(thread_critical=True)
    with Asgiref.Context():
        critical.v = 'set in one context'
    # No main loop is being dispatched: one value per thread.
    assert critical.v == 'set in one context'
    with Asgiref.Context():
        assert critical.v == 'set in one context'
    del critical.v


def test_thread_critical_inside_a_main_loop_is_per_context(loop):
    critical = Asgiref.Local(thread_critical=True)
    seen = []
    a = Asgiref.Context()
    b = Asgiref.Context()

    def dispatch():
        assert GLib.main_depth() > 0
        a.run(setattr, critical, 'v', 'a')
        b.run(setattr, critical, 'v', 'b')
        seen.append(a.run(get, critical, 'v'))
        seen.append(b.run(get, critical, 'v'))
        # Not visible on another thread, even when it runs the context.
        wrapped = a.run(Asgiref.Context.wrap, lambda: get(critical, 'v', 'unset'))
        seen.append(run_in_thread(wrapped))
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.idle_add(loop.check(dispatch))
    loop.run()
    assert seen == ['a', 'b', 'unset']


# --------------------------------------------------------------------------
# Per-context initialisation
# --------------------------------------------------------------------------

class RequestLocal(Asgiref.Local):
    __gtype_name__ = 'TestPyRequestLocal'

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._initialized = 0

    def do_initialize(self):
        with self._lock:
            self._initialized += 1
        self.user = 'anonymous'
        self.calls = []


def test_do_initialize_runs_once_per_context():
    local = RequestLocal()
    a = Asgiref.Context()
    b = Asgiref.Context()
    assert local._initialized == 0

    with a:
        assert local.user == 'anonymous'
        local.user = 'alice'
        local.calls.append(1)
        assert hasattr(local, 'user')
        del local.user
        assert not hasattr(local, 'user')
    assert local._initialized == 1

    with a:
        assert not hasattr(local, 'user')
        assert local.calls == [1]
    assert local._initialized == 1

    with b:
        assert local.user == 'anonymous'
        assert local.calls == []
    assert local._initialized == 2

    # A copy of an initialised context inherits its state: no new run.
    child = a.copy()
    with child:
        assert local.calls == [1]
    assert local._initialized == 2

    # Every kind of access initialises a fresh context, writes included.
    for access in (lambda: hasattr(local, 'user'),
                   lambda: setattr(local, 'other', 1),
                   lambda: local.list_names(),
                   lambda: local.remove('nothing')):
        before = local._initialized
        Asgiref.Context().run(access)
        assert local._initialized == before + 1


def test_initialize_signal_handlers_can_set_defaults():
    local = Asgiref.Local()
    runs = []

    def on_initialize(emitter):
        runs.append(emitter)
        emitter.locale = 'C'

    local.connect('initialize', on_initialize)
    with Asgiref.Context():
        assert local.locale == 'C'
        local.locale = 'de_DE'
        assert local.locale == 'de_DE'
    with Asgiref.Context():
        assert local.locale == 'C'
    assert runs == [local, local]


def test_subclass_accepts_thread_critical():
    local = RequestLocal(thread_critical=True)
    assert local.get_scope() == Asgiref.LocalScope.THREAD_CRITICAL

    def in_thread():
        return local.user, local._initialized

    # Each thread is initialised once, on its first access there.
    user, count = run_in_thread(in_thread)
    assert user == 'anonymous'
    assert count == 1


# --------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------

def test_eight_threads_hammering_one_local_only_see_their_own_values():
    local = RequestLocal()
    critical = Asgiref.Local(thread_critical=True)
    parent = Asgiref.Context()
    with parent:
        local.shared = 'from-parent'
    iterations = 2000
    errors = []
    start = threading.Barrier(8)

    def worker(index):
        try:
            start.wait(10)
            # Half the threads work in a copy of a common parent, half in
            # their own root context.
            ctx = parent.copy() if index % 2 else Asgiref.Context()
            with ctx:
                for i in range(iterations):
                    mine = (index, i)
                    local.value = mine
                    critical.value = mine
                    if local.value != mine or critical.value != mine:
                        errors.append(('mixed', index, i, local.value,
                                       critical.value))
                        return
                    if index % 2 and local.shared != 'from-parent':
                        errors.append(('shared', index, i, local.shared))
                        return
                    if i % 7 == 0:
                        del local.value
                        if hasattr(local, 'value'):
                            errors.append(('del', index, i))
                            return
                    if i % 97 == 0:
                        local.shared = 'changed by %d' % index
                        del local.shared
                        if hasattr(local, 'shared'):
                            errors.append(('del shared', index, i))
                            return
                        if index % 2:
                            local.shared = 'from-parent'
        except BaseException as exc:  # noqa: B036: reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    # Initialised once per context: 8 new contexts, 4 of which are copies
    # of an initialised parent (parent itself counted once).
    assert local._initialized == 1 + 4
    with parent:
        assert local.shared == 'from-parent'
        assert not hasattr(local, 'value')
