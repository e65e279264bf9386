# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asgiref.sync_to_async, Asgiref.async_to_sync and
Asgiref.ThreadSensitiveContext from Python, through the override.

Thread identities are recorded with threading.get_ident() at every level.
Nothing waits with sleeps: threads meet through events and barriers, each
with a timeout that only guards against a hang. Tests that could hang on a
regression (deadlocks) run in a child process with a time limit.
"""

import os
import subprocess
import sys
import textwrap
import threading

from concurrent.futures import InvalidStateError

import pytest

from gi.repository import Asgiref, Gio, GLib

GUARD_S = 10  # only ever reached when something is broken


def ident():
    return threading.get_ident()


def call_soon(fn, *args):
    """Runs fn(*args) from an idle of the thread-default main context (the
    loop's, or async_to_sync's private one; GLib.idle_add() would always use
    the global default context)."""
    source = GLib.idle_source_new()

    def callback(*_user_data):
        fn(*args)
        return GLib.SOURCE_REMOVE

    source.set_callback(callback)
    source.attach(GLib.MainContext.ref_thread_default())


def in_thread(fn, *args):
    """Runs fn(*args) on a new plain thread and returns its value or raises
    its exception."""
    outcome = []

    def target():
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:  # noqa: B036: re-raised below
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name='plain', daemon=True)
    thread.start()
    thread.join(GUARD_S)
    assert outcome, 'the thread did not finish'
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def run_child(code, timeout=60):
    """Runs a Python script in a child process (same environment), failing
    instead of hanging."""
    prologue = textwrap.dedent('''\
        import sys, threading
        import gi
        gi.require_version('Asgiref', '1.0')
        from gi.repository import Asgiref, GLib, Gio
        ''')
    try:
        proc = subprocess.run([sys.executable, '-c', prologue + textwrap.dedent(code)],
                              capture_output=True, text=True, timeout=timeout,
                              env=os.environ.copy())
    except subprocess.TimeoutExpired as exc:
        pytest.fail('the child hung (%s s): %s' % (timeout, exc.stderr))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def is_cancelled_error(exc):
    return isinstance(exc, GLib.Error) and exc.matches(Gio.io_error_quark(),
                                                       Gio.IOErrorEnum.CANCELLED)


@pytest.fixture(autouse=True)
def own_context():
    # Each test in a context of its own, so that no value crosses tests.
    with Asgiref.Context():
        yield


# --------------------------------------------------------------------------
# sync_to_async
# --------------------------------------------------------------------------

def test_sync_to_async_returns_the_value_while_the_loop_dispatches(loop):
    main = ident()
    dispatched = threading.Event()
    seen = {}

    @Asgiref.sync_to_async
    def blocking(x, y=0):
        seen['thread'] = ident()
        # Only the loop can set this: the loop runs while we block.
        seen['dispatched'] = dispatched.wait(GUARD_S)
        return x + y

    def start():
        future = blocking(40, y=2)
        assert not future.done()
        with pytest.raises(InvalidStateError):
            future.result()
        future.add_done_callback(loop.check(finished))
        GLib.idle_add(loop.check(lambda: dispatched.set()))

    def finished(future):
        seen['result'] = future.result()
        seen['callback thread'] = ident()
        loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    assert seen['dispatched']
    assert seen['result'] == 42
    assert seen['thread'] != main
    assert seen['callback thread'] == main


def test_results_are_the_objects_themselves(loop):
    value = object()
    results = []

    def start():
        Asgiref.sync_to_async(lambda: value)().add_done_callback(loop.check(done))

    def done(future):
        results.append(future.result())
        results.append(future.exception())
        # A done future runs a callback at once.
        future.add_done_callback(lambda f: results.append('at once'))
        loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()
    assert results[0] is value
    assert results[1:] == [None, 'at once']


def test_thread_sensitive_calls_share_one_non_main_thread(loop):
    main = ident()
    threads = []
    futures = []

    @Asgiref.sync_to_async
    def record():
        threads.append(ident())

    def start():
        for _ in range(6):
            futures.append(record())
        for future in futures:
            future.add_done_callback(loop.check(done))

    def done(_future):
        if all(f.done() for f in futures):
            loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    assert len(threads) == 6
    assert len(set(threads)) == 1
    assert threads[0] != main


def test_not_thread_sensitive_calls_overlap(loop):
    main = ident()
    barrier = threading.Barrier(2, timeout=GUARD_S)
    futures = []
    threads = []

    # Both must be inside at once for either to get past the barrier.
    @Asgiref.sync_to_async(thread_sensitive=False)
    def meet():
        threads.append(ident())
        barrier.wait()
        return 'met'

    def start():
        futures.extend([meet(), meet()])
        for future in futures:
            future.add_done_callback(loop.check(done))

    def done(_future):
        if all(f.done() for f in futures):
            loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    assert [f.result() for f in futures] == ['met', 'met']
    assert len(set(threads)) == 2
    assert main not in threads


def test_exceptions_propagate_as_the_same_object(loop):
    error = ValueError('no such row')
    gerror = GLib.Error('gone', GLib.quark_to_string(Gio.io_error_quark()),
                        int(Gio.IOErrorEnum.NOT_FOUND))
    futures = []

    def raiser(exc):
        raise exc

    def start():
        futures.append(Asgiref.sync_to_async(raiser)(error))
        futures.append(Asgiref.sync_to_async(raiser, thread_sensitive=False)(gerror))
        for future in futures:
            future.add_done_callback(loop.check(done))

    def done(_future):
        if all(f.done() for f in futures):
            loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    assert futures[0].exception() is error
    with pytest.raises(ValueError) as info:
        futures[0].result()
    assert info.value is error
    assert futures[1].exception() is gerror
    assert futures[1].exception().matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)


def test_decorated_methods_bind(loop):
    class Repository:
        def __init__(self):
            self.rows = ['a', 'b']

        @Asgiref.sync_to_async
        def count(self, extra):
            return len(self.rows) + extra

    results = []

    def start():
        Repository().count(1).add_done_callback(loop.check(done))

    def done(future):
        results.append(future.result())
        loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()
    assert results == [3]


def test_local_values_flow_both_ways(loop):
    local = Asgiref.Local()
    seen = {}
    local.request_id = 'r1'

    @Asgiref.sync_to_async
    def callee():
        seen['callee saw'] = local.request_id
        local.user = 'alice'

    def start():
        callee().add_done_callback(loop.check(done))

    def done(future):
        future.result()
        seen['caller saw'] = getattr(local, 'user', None)
        loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    assert seen == {'callee saw': 'r1', 'caller saw': 'alice'}
    assert local.user == 'alice'


def test_thread_critical_locals_do_not_cross(loop):
    local = Asgiref.Local(thread_critical=True)
    local.value = 'main'
    seen = []

    @Asgiref.sync_to_async
    def callee():
        seen.append(getattr(local, 'value', None))
        local.value = 'worker'

    def start():
        callee().add_done_callback(loop.check(lambda f: (f.result(), loop.quit())))

    GLib.idle_add(loop.check(start))
    loop.run()
    assert seen == [None]
    assert local.value == 'main'


def test_cancellation_reaches_the_callee(loop):
    cancellable = Gio.Cancellable()
    seen = {}

    def blocking():
        seen['cancellable'] = Asgiref.get_cancellable()
        cancelled = threading.Event()
        Asgiref.get_cancellable().connect(lambda *_: cancelled.set())
        # The loop cancels it: the function sees that while it runs.
        GLib.idle_add(loop.check(lambda: cancellable.cancel()))
        seen['saw cancel'] = cancelled.wait(GUARD_S)
        return 'finished anyway'

    def start():
        f = Asgiref.sync_to_async(blocking, cancellable=cancellable)()
        assert f.cancellable is cancellable
        f.add_done_callback(loop.check(done))

    def done(future):
        seen['exception'] = future.exception()
        loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    assert seen['cancellable'] is cancellable
    assert seen['saw cancel']
    assert is_cancelled_error(seen['exception'])
    assert Asgiref.get_cancellable() is None


def test_thread_sensitive_context_gives_its_own_thread(loop):
    main = ident()
    futures = {}

    @Asgiref.sync_to_async
    def where():
        return ident()

    def start():
        with Asgiref.ThreadSensitiveContext():
            futures['a1'] = where()
            futures['a2'] = where()
            with Asgiref.ThreadSensitiveContext():
                futures['nested'] = where()
        with Asgiref.ThreadSensitiveContext() as tsc:
            assert isinstance(tsc, Asgiref.ThreadSensitiveContext)
            futures['b'] = where()
        with Asgiref.ThreadSensitiveContext():
            pass  # an empty one is fine
        futures['shared'] = where()
        for future in futures.values():
            future.add_done_callback(loop.check(done))

    def done(_future):
        if all(f.done() for f in futures.values()):
            loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    threads = {name: f.result() for name, f in futures.items()}
    assert threads['a1'] == threads['a2'] == threads['nested']
    assert threads['b'] != threads['a1']
    assert threads['shared'] not in (threads['a1'], threads['b'])
    assert main not in threads.values()


# --------------------------------------------------------------------------
# async_to_sync
# --------------------------------------------------------------------------

@Asgiref.async_to_sync
def double_later(completion, x):
    call_soon(completion.return_value, (x * 2, ident()))


def test_async_to_sync_from_a_plain_thread():
    def caller():
        value, async_thread = double_later(21)
        return value, async_thread, ident()

    value, async_thread, caller_thread = in_thread(caller)
    assert value == 42
    # No loop around: a private context iterated by the calling thread.
    assert async_thread == caller_thread


def test_async_to_sync_from_any_thread():
    assert [in_thread(double_later, n)[0] for n in range(3)] == [0, 2, 4]


def test_async_to_sync_errors_are_raised():
    error = KeyError('missing')

    @Asgiref.async_to_sync
    def later(completion):
        call_soon(completion.return_error, error)

    @Asgiref.async_to_sync
    def at_once(completion):
        raise error

    @Asgiref.async_to_sync
    def gio_error(completion):
        completion.return_error(GLib.Error('gone', 'g-io-error-quark',
                                           int(Gio.IOErrorEnum.NOT_FOUND)))

    for fn in (later, at_once):
        with pytest.raises(KeyError) as info:
            in_thread(fn)
        assert info.value is error

    with pytest.raises(GLib.Error) as info:
        in_thread(gio_error)
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    assert info.value.message == 'gone'


def test_completing_twice_is_an_error():
    seen = []

    @Asgiref.async_to_sync
    def twice(completion):
        completion.return_value(1)
        with pytest.raises(RuntimeError):
            completion.return_value(2)
        seen.append(completion.done())

    assert in_thread(twice) == 1
    assert seen == [True]


def test_completion_ready_chains_a_gio_call(tmp_path):
    path = tmp_path / 'hello.txt'
    path.write_bytes(b'hello')

    @Asgiref.async_to_sync
    def load(completion, name):
        f = Gio.File.new_for_path(name)
        f.load_contents_async(completion.cancellable,
                              completion.ready(f.load_contents_finish))

    ok, data, _etag = in_thread(load, str(path))
    assert ok and bytes(data) == b'hello'

    with pytest.raises(GLib.Error) as info:
        in_thread(load, str(tmp_path / 'missing'))
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)


def test_async_to_sync_local_values_flow_both_ways():
    local = Asgiref.Local()

    @Asgiref.async_to_sync
    def operation(completion):
        seen = local.request_id
        local.user = 'bob'
        completion.return_value(seen)

    def caller():
        local.request_id = 'r2'
        seen = operation()
        return seen, local.user

    assert in_thread(caller) == ('r2', 'bob')


def test_async_to_sync_cancellable():
    cancellable = Gio.Cancellable()

    @Asgiref.async_to_sync(cancellable=cancellable)
    def operation(completion):
        assert completion.cancellable is cancellable
        assert Asgiref.get_cancellable() is cancellable
        completion.cancellable.connect(lambda *_: completion.return_value('stopped'))
        call_soon(cancellable.cancel)

    with pytest.raises(GLib.Error) as info:
        in_thread(operation)
    assert is_cancelled_error(info.value)


# --------------------------------------------------------------------------
# Both directions
# --------------------------------------------------------------------------

def test_sync_async_sync_from_a_plain_thread_stays_on_that_thread():
    # Outermost caller sync: thread-sensitive calls made by the async code,
    # and by the sync code it calls, all run on the outermost thread.
    record = []

    @Asgiref.sync_to_async
    def inner_sync(level):
        record.append(('sync', level, ident()))
        if level < 2:
            return deeper(level + 1)
        return 'bottom'

    @Asgiref.async_to_sync
    def deeper(completion, level):
        record.append(('async', level, ident()))
        inner_sync(level).add_done_callback(
            lambda f: completion.return_value(f.result()) if f.exception() is None
            else completion.return_error(f.exception()))

    def caller():
        return deeper(1), ident()

    value, outer = in_thread(caller)
    assert value == 'bottom'
    assert [r[:2] for r in record] == [('async', 1), ('sync', 1), ('async', 2), ('sync', 2)]
    assert {r[2] for r in record} == {outer}


def test_async_to_sync_inside_sync_to_async_runs_on_the_loop(loop):
    # async_to_sync inside a function started from the loop: the async code
    # runs on the loop's thread; the thread-sensitive calls it makes come
    # back to the waiting thread.
    main = ident()
    record = {}

    @Asgiref.sync_to_async
    def innermost():
        return ident()

    @Asgiref.async_to_sync
    def operation(completion):
        record['async'] = ident()
        innermost().add_done_callback(lambda f: completion.return_value(f.result()))

    @Asgiref.sync_to_async
    def outer():
        record['sync'] = ident()
        record['innermost'] = operation()
        return 'done'

    def start():
        outer().add_done_callback(loop.check(done))

    def done(future):
        record['result'] = future.result()
        loop.quit()

    GLib.idle_add(loop.check(start))
    loop.run()

    assert record['result'] == 'done'
    assert record['async'] == main
    assert record['sync'] != main
    assert record['innermost'] == record['sync']


def test_errors_propagate_through_nesting(loop):
    error = ArithmeticError('deep')

    @Asgiref.sync_to_async
    def bottom():
        raise error

    @Asgiref.async_to_sync
    def middle(completion):
        bottom().add_done_callback(lambda f: completion.return_error(f.exception()))

    @Asgiref.sync_to_async
    def top():
        middle()

    seen = []

    def start():
        top().add_done_callback(loop.check(lambda f: (seen.append(f.exception()), loop.quit())))

    GLib.idle_add(loop.check(start))
    loop.run()
    assert seen[0] is error


def test_cancelling_the_outermost_reaches_the_innermost(loop):
    cancellable = Gio.Cancellable()
    seen = {}

    @Asgiref.async_to_sync
    def operation(completion):
        # No cancellable given: the hop's, the outermost one.
        seen['async'] = completion.cancellable
        completion.cancellable.connect(
            lambda *_: completion.return_error(GLib.Error(
                'cancelled', 'g-io-error-quark', int(Gio.IOErrorEnum.CANCELLED))))
        call_soon(cancellable.cancel)

    def outer():
        seen['sync'] = Asgiref.get_cancellable()
        try:
            operation()
        except GLib.Error as exc:
            seen['raised'] = exc
        seen['sync saw it cancelled'] = Asgiref.get_cancellable().is_cancelled()

    def start():
        Asgiref.sync_to_async(outer, cancellable=cancellable)().add_done_callback(
            loop.check(lambda f: (seen.setdefault('outer', f.exception()), loop.quit())))

    GLib.idle_add(loop.check(start))
    loop.run()

    assert seen['sync'] is cancellable
    assert seen['async'] is cancellable
    assert is_cancelled_error(seen['raised'])
    assert seen['sync saw it cancelled']
    assert is_cancelled_error(seen['outer'])


# --------------------------------------------------------------------------
# Deadlocks: in a child process, so a regression fails instead of hanging
# --------------------------------------------------------------------------

def test_async_to_sync_from_a_loop_callback_is_a_deadlock_error():
    out = run_child('''
        called = []

        @Asgiref.async_to_sync
        def operation(completion):
            called.append(True)
            completion.return_value(1)

        loop = GLib.MainLoop()
        def from_the_loop():
            try:
                operation()
            except GLib.Error as exc:
                assert Asgiref.is_deadlock(exc), exc
                assert exc.matches(Asgiref.error_quark(), Asgiref.Error.DEADLOCK)
                assert 'call the async function directly' in exc.message, exc.message
                print('deadlock')
            loop.quit()
        GLib.idle_add(from_the_loop)
        loop.run()
        assert not called
        print('not-called')
    ''')
    assert out.split() == ['deadlock', 'not-called']


def test_thread_sensitive_call_waiting_on_itself_is_a_deadlock_error():
    # A thread-sensitive function that starts another thread-sensitive call
    # and waits for it without async_to_sync would wait for its own thread.
    out = run_child('''
        import threading
        loop = GLib.MainLoop()
        results = []

        @Asgiref.sync_to_async
        def inner():
            return 'inner'

        @Asgiref.sync_to_async
        def outer():
            # Delivered on this thread's context once outer returned; back
            # to the loop from there.
            inner().add_done_callback(lambda f: GLib.idle_add(after, f))
            return 'returned'

        def after(f):
            assert Asgiref.is_deadlock(f.exception()), f.exception()
            results.append('deadlock')
            # A new call afterwards works.
            inner().add_done_callback(lambda f2: (results.append(f2.result()), loop.quit()))

        GLib.idle_add(lambda: outer().add_done_callback(lambda f: results.append(f.result())))
        loop.run()
        print(*results)
    ''')
    assert out.split() == ['returned', 'deadlock', 'inner']


def test_async_to_sync_after_a_loop_hop_on_the_main_thread():
    # Regression: after a sync_to_async call from the main loop completed,
    # async_to_sync on the main thread (the loop no longer running) must run
    # its operation on a private context, not on the (idle) loop's context.
    out = run_child('''
        loop = GLib.MainLoop()
        GLib.idle_add(lambda: Asgiref.sync_to_async(lambda: 1)().add_done_callback(
            lambda f: loop.quit()))
        loop.run()

        @Asgiref.async_to_sync
        def operation(completion):
            completion.return_value('ran')
        print(operation())
    ''', timeout=20)
    assert out.split() == ['ran']


def test_calls_chained_from_done_callbacks_are_not_deadlocks():
    # Regression: a thread-sensitive call started from the done callback of
    # the previous one is a new call, not one waiting on itself.
    out = run_child('''
        loop = GLib.MainLoop()
        results = []
        call = Asgiref.sync_to_async(lambda n: n)

        def next_call(f):
            results.append(f.result())
            if len(results) == 20:
                loop.quit()
            else:
                call(len(results)).add_done_callback(next_call)

        GLib.idle_add(lambda: call(0).add_done_callback(next_call))
        loop.run()
        print(results == list(range(20)))
    ''', timeout=20)
    assert out.split() == ['True']
