# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asgiref.Context from Python: isolation, inheritance, run/with, wrap (a
copy) and create_task (the creating context itself)."""

import gc
import os
import subprocess
import sys
import threading
import weakref

import pytest

from gi.repository import Asgiref, Gio, GLib


def get(local, name, default=None):
    return getattr(local, name, default)


def test_two_new_contexts_are_isolated():
    local = Asgiref.Local()
    a = Asgiref.Context()
    b = Asgiref.Context()

    a.run(setattr, local, 'request_id', 'a')
    b.run(setattr, local, 'request_id', 'b')

    assert a.run(get, local, 'request_id') == 'a'
    assert b.run(get, local, 'request_id') == 'b'
    # Nothing leaked into the context of the caller.
    assert not hasattr(local, 'request_id')


def test_new_context_does_not_inherit_from_current():
    local = Asgiref.Local()
    outer = Asgiref.Context()
    with outer:
        local.user = 'outer'
        fresh = Asgiref.Context()
        assert fresh.run(hasattr, local, 'user') is False
        captured = Asgiref.Context.capture()
        assert captured.run(get, local, 'user') == 'outer'


def test_run_returns_value_and_passes_arguments():
    ctx = Asgiref.Context()

    def add(a, b, *, c=0):
        return a + b + c

    assert ctx.run(add, 1, 2, c=3) == 6
    assert ctx.run(lambda: None) is None
    marker = object()
    assert ctx.run(lambda: marker) is marker


def test_run_propagates_exceptions_and_restores_current():
    ctx = Asgiref.Context()
    local = Asgiref.Local()
    outer = Asgiref.Context.get_current()

    def fail():
        local.value = 'set before the error'
        assert Asgiref.Context.get_current() == ctx
        raise KeyError('boom')

    with pytest.raises(KeyError, match='boom'):
        ctx.run(fail)

    assert Asgiref.Context.get_current() == outer
    assert not hasattr(local, 'value')
    # The value set before the exception stays in ctx.
    assert ctx.run(get, local, 'value') == 'set before the error'


def test_run_can_nest_and_reenter():
    local = Asgiref.Local()
    a = Asgiref.Context()
    b = Asgiref.Context()

    def in_a():
        local.where = 'a'
        b.run(setattr, local, 'where', 'b')
        assert local.where == 'a'
        # Recursive entry of the same context on one thread is allowed.
        return a.run(lambda: local.where)

    assert a.run(in_a) == 'a'
    assert b.run(get, local, 'where') == 'b'


def test_with_statement_enters_and_leaves():
    local = Asgiref.Local()
    ctx = Asgiref.Context()
    outer = Asgiref.Context.get_current()

    with ctx as entered:
        assert entered is ctx
        assert Asgiref.Context.get_current() == ctx
        local.token = 'secret'
    assert Asgiref.Context.get_current() == outer
    assert not hasattr(local, 'token')

    with ctx:
        assert local.token == 'secret'


def test_with_statement_leaves_on_exception():
    ctx = Asgiref.Context()
    outer = Asgiref.Context.get_current()
    with pytest.raises(RuntimeError):
        with ctx:
            raise RuntimeError('inside')
    assert Asgiref.Context.get_current() == outer


def test_child_sees_parent_snapshot_and_never_writes_back_three_levels():
    local = Asgiref.Local()
    parent = Asgiref.Context()
    seen = {}

    def in_parent():
        local.x = 'parent'
        local.only_parent = 1
        child = Asgiref.Context.capture()
        # A later write of the parent is not seen by the child created
        # before it.
        local.x = 'parent-2'

        def in_child():
            seen['child-at-start'] = local.x
            local.x = 'child'
            local.only_child = 2
            grandchild = Asgiref.Context.capture()
            local.x = 'child-2'

            def in_grandchild():
                seen['grandchild-at-start'] = local.x
                seen['grandchild-inherits'] = (local.only_parent,
                                               local.only_child)
                local.x = 'grandchild'
                local.only_grandchild = 3
                del local.only_parent

            grandchild.run(in_grandchild)
            seen['child-after-grandchild'] = local.x
            seen['child-still-has-only_parent'] = hasattr(local, 'only_parent')
            seen['child-has-only_grandchild'] = hasattr(local, 'only_grandchild')
            return grandchild

        grandchild = child.run(in_child)
        sibling = Asgiref.Context.capture()

        def in_sibling():
            seen['sibling-at-start'] = local.x
            seen['sibling-has-only_child'] = hasattr(local, 'only_child')
            local.x = 'sibling'

        sibling.run(in_sibling)
        seen['parent-at-end'] = local.x
        seen['parent-has-only_child'] = hasattr(local, 'only_child')
        seen['parent-has-only_grandchild'] = hasattr(local, 'only_grandchild')
        return child, grandchild, sibling

    child, grandchild, sibling = parent.run(in_parent)

    assert seen == {
        'child-at-start': 'parent',
        'grandchild-at-start': 'child',
        'grandchild-inherits': (1, 2),
        'child-after-grandchild': 'child-2',
        'child-still-has-only_parent': True,
        'child-has-only_grandchild': False,
        'sibling-at-start': 'parent-2',
        'sibling-has-only_child': False,
        'parent-at-end': 'parent-2',
        'parent-has-only_child': False,
        'parent-has-only_grandchild': False,
    }
    # Each context keeps its own values afterwards.
    assert child.run(get, local, 'x') == 'child-2'
    assert grandchild.run(get, local, 'x') == 'grandchild'
    assert grandchild.run(hasattr, local, 'only_parent') is False
    assert sibling.run(get, local, 'x') == 'sibling'
    assert parent.run(get, local, 'x') == 'parent-2'


def test_copy_is_a_snapshot():
    local = Asgiref.Local()
    a = Asgiref.Context()
    a.run(setattr, local, 'v', 1)
    b = a.copy()
    a.run(setattr, local, 'v', 2)
    assert b.run(get, local, 'v') == 1
    b.run(setattr, local, 'v', 3)
    assert a.run(get, local, 'v') == 2


def test_wrap_runs_every_call_in_the_context_captured_at_wrap_time():
    local = Asgiref.Local()
    ctx = Asgiref.Context()

    def make():
        local.count = 0

        def bump(step):
            local.count += step
            return local.count

        return Asgiref.Context.wrap(bump)

    bump = ctx.run(make)
    # Called from the outer context, it still runs in the captured copy,
    # and the copy keeps its values between calls.
    assert bump(1) == 1
    assert bump(2) == 3
    assert not hasattr(local, 'count')
    # The copy is not ctx itself: ctx was not changed by the calls.
    assert ctx.run(get, local, 'count') == 0
    assert bump.__name__ == 'bump'
    assert Asgiref.context_wrap is not None
    assert Asgiref.context_wrap(lambda: 5)() == 5


def test_wrapped_exception_propagates():
    def boom():
        raise ValueError('wrapped')

    with pytest.raises(ValueError, match='wrapped'):
        Asgiref.Context.wrap(boom)()


def test_two_interleaved_async_chains_on_one_main_loop(loop):
    """Two request chains hop through idle sources and GTasks on one main
    loop, interleaving step by step; each continuation is wrapped so it runs
    in a copy of its chain's context taken by the previous hop, and each
    chain only ever sees its own values."""
    local = Asgiref.Local()
    steps = 6
    trace = []
    finished = []

    def start_chain(name):
        local.request_id = name
        local.step = 0
        GLib.idle_add(Asgiref.Context.wrap(loop.check(idle_step)))

    def idle_step():
        trace.append((local.request_id, local.step, 'idle'))
        local.step += 1
        # The next hop is a GTask completion.
        task = Gio.Task.new(None, None,
                            Asgiref.Context.wrap(loop.check(task_done)), None)
        task.return_boolean(True)
        return GLib.SOURCE_REMOVE

    def task_done(source, result, *user_data):
        assert Gio.Task.is_valid(result, None)
        trace.append((local.request_id, local.step, 'task'))
        local.step += 1
        if local.step < steps:
            GLib.idle_add(Asgiref.Context.wrap(loop.check(idle_step)))
        else:
            finished.append((local.request_id, local.step))
            if len(finished) == 2:
                loop.quit()

    Asgiref.Context().run(start_chain, 'A')
    Asgiref.Context().run(start_chain, 'B')
    loop.run()

    assert sorted(finished) == [('A', steps), ('B', steps)]
    for name in 'AB':
        mine = [(step, kind) for (who, step, kind) in trace if who == name]
        assert mine == [(i, 'idle' if i % 2 == 0 else 'task')
                        for i in range(steps)]
    # The chains really interleaved (neither ran to the end first).
    first_b = next(i for i, t in enumerate(trace) if t[0] == 'B')
    last_a = max(i for i, t in enumerate(trace) if t[0] == 'A')
    assert first_b < last_a
    # And nothing leaked to the context that ran the loop.
    assert not hasattr(local, 'request_id')


def test_create_task_callback_continues_in_the_creating_context(loop):
    """Unlike wrap() (a copy), a callback given to Context.create_task runs
    in the creating context itself, like the code after an ``await``: it
    sees what was set there after the task was created, and what it sets
    stays there."""
    local = Asgiref.Local()
    ctx = Asgiref.Context()
    seen = []

    def done(source, result, *user_data):
        assert Gio.Task.is_valid(result, None)
        assert result.propagate_boolean()
        seen.append((Asgiref.Context.get_current() == ctx, local.stage,
                     user_data))
        local.stage = 'callback'
        loop.quit()

    def start():
        local.stage = 'started'
        task = Asgiref.Context.create_task(None, None, loop.check(done),
                                           'data')
        local.stage = 'after-create-task'
        return task

    task = ctx.run(start)
    task.return_boolean(True)
    loop.run()

    assert seen == [(True, 'after-create-task', ('data',))]
    assert ctx.run(get, local, 'stage') == 'callback'
    assert not hasattr(local, 'stage')


def test_two_interleaved_create_task_chains_continue_in_their_contexts(loop):
    """Two chains of GTasks made with Context.create_task, interleaving on
    one main loop: each step continues in its chain's own context, so each
    chain's context accumulates its steps, and sees a value its previous
    step set after starting it; neither sees the other's values."""
    local = Asgiref.Local()
    steps = 6
    trace = []
    contexts = {}

    def start_step():
        task = Asgiref.Context.create_task(None, None, loop.check(step_done),
                                           None)
        GLib.idle_add(loop.check(lambda: task.return_boolean(True)
                                 or GLib.SOURCE_REMOVE))

    def step_done(source, result, *user_data):
        assert result.propagate_boolean()
        name = local.request_id
        assert Asgiref.Context.get_current() == contexts[name]
        other = 'B' if name == 'A' else 'A'
        assert not hasattr(local, 'only_' + other)
        assert getattr(local, 'only_' + name) is True
        trace.append((name, local.step))
        if local.step + 1 < steps:
            start_step()
        # Set after the next step was started: that step still sees it.
        local.step += 1
        if all(c.run(get, local, 'step') == steps for c in contexts.values()):
            loop.quit()

    def begin(name):
        local.request_id = name
        start_step()
        setattr(local, 'only_' + name, True)
        local.step = 0

    for name in 'AB':
        contexts[name] = Asgiref.Context()
        contexts[name].run(begin, name)
    loop.run()

    for name in 'AB':
        assert [step for (who, step) in trace if who == name] == \
            list(range(steps))
        assert contexts[name].run(get, local, 'step') == steps
    first_b = next(i for i, t in enumerate(trace) if t[0] == 'B')
    last_a = max(i for i, t in enumerate(trace) if t[0] == 'A')
    assert first_b < last_a
    assert not hasattr(local, 'request_id')
    assert not hasattr(local, 'step')


def test_context_values_follow_work_to_a_thread_through_wrap():
    local = Asgiref.Local()
    critical = Asgiref.Local(thread_critical=True)
    ctx = Asgiref.Context()
    results = {}

    def in_ctx():
        local.user = 'alice'
        critical.connection = 'main-thread-connection'
        return Asgiref.Context.wrap(in_thread)

    def in_thread():
        results['user'] = get(local, 'user')
        results['connection'] = get(critical, 'connection', 'unset')
        critical.connection = 'worker-connection'
        local.user = 'bob'

    work = ctx.run(in_ctx)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()

    assert results == {'user': 'alice', 'connection': 'unset'}
    # The thread-critical value of this thread was not touched.
    assert ctx.run(get, critical, 'connection') == 'main-thread-connection'
    # The worker wrote to the captured copy, not to ctx.
    assert ctx.run(get, local, 'user') == 'alice'
    assert work.context.run(get, local, 'user') == 'bob'


def test_get_size_grows_and_shrinks():
    local = Asgiref.Local()
    ctx = Asgiref.Context()
    assert ctx.get_size() == 0

    def body():
        local.a = 1
        local.b = 2
        with_two = ctx.get_size()
        del local.a
        return with_two, ctx.get_size()

    with_two, with_one = ctx.run(body)
    assert with_two > with_one > 0


def test_values_are_released_with_the_last_context():
    local = Asgiref.Local()

    class Payload:
        pass

    payload = Payload()
    ref = weakref.ref(payload)
    ctx = Asgiref.Context()
    ctx.run(setattr, local, 'payload', payload)
    copy = ctx.copy()
    del payload
    gc.collect()
    assert ref() is not None

    del ctx
    gc.collect()
    assert ref() is not None, 'the copy still holds the value'
    assert copy.run(get, local, 'payload') is ref()

    del copy
    gc.collect()
    assert ref() is None


def test_overwritten_value_is_released():
    local = Asgiref.Local()

    class Payload:
        pass

    payload = Payload()
    ref = weakref.ref(payload)
    ctx = Asgiref.Context()
    ctx.run(setattr, local, 'payload', payload)
    del payload
    ctx.run(setattr, local, 'payload', 'replaced')
    gc.collect()
    assert ref() is None


ENTERED_ELSEWHERE = r'''
import threading
import gi
gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref

ctx = Asgiref.Context()
entered, release = threading.Event(), threading.Event()

def hold():
    with ctx:
        entered.set()
        release.wait(10)

thread = threading.Thread(target=hold)
thread.start()
entered.wait(10)
ran = []
try:
    ctx.run(ran.append, 1)
except RuntimeError as e:
    print('run: RuntimeError', ran)
outer = Asgiref.Context.get_current()
try:
    with ctx:
        print('with: body ran')
except RuntimeError as e:
    print('with: RuntimeError', Asgiref.Context.get_current() == outer)
release.set()
thread.join(10)
'''


def test_entering_a_context_another_thread_has_entered_raises():
    """A programmer error: the library logs a critical and runs nothing;
    the override turns it into RuntimeError. Run in a child process, as
    the critical is fatal under G_DEBUG=fatal-warnings."""
    env = dict(os.environ)
    env['G_DEBUG'] = 'gc-friendly'
    child = subprocess.run([sys.executable, '-c', ENTERED_ELSEWHERE],
                           env=env, capture_output=True, text=True,
                           timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines() == ['run: RuntimeError []',
                                         'with: RuntimeError True']
    assert 'another thread' in child.stderr
