// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Asgiref.Context from GJS, through the helper module: isolation between
// contexts, snapshots inherited by copies, run(), wrap() (a copy) and
// create_task() (the creating context itself).

import Asgiref from 'gi://Asgiref?version=1.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import {wrap} from '../../gir/asgiref.js';
import {assert, assertDeepEqual, assertEqual, assertThrows, checked, run, runLoop, test} from './harness.js';

test('values set in two contexts are isolated', () => {
    const local = new Asgiref.Local();
    const a = new Asgiref.Context();
    const b = new Asgiref.Context();

    a.run(() => local.set('requestId', 'a'));
    b.run(() => local.set('requestId', 'b'));

    assertEqual(a.run(() => local.get('requestId')), 'a');
    assertEqual(b.run(() => local.get('requestId')), 'b');
    assertEqual(local.get('requestId'), undefined, 'nothing leaks to the caller');
    assertEqual(local.has('requestId'), false);
});

test('run() returns the value of the function and passes arguments', () => {
    const ctx = new Asgiref.Context();
    assertEqual(ctx.run(() => 42), 42);
    assertEqual(ctx.run((x, y) => x * y, 6, 7), 42);
    const obj = {};
    assertEqual(ctx.run(() => obj), obj);
    assertEqual(ctx.run(() => undefined), undefined);
});

test('run() propagates exceptions and leaves the context', () => {
    const local = new Asgiref.Local();
    const ctx = new Asgiref.Context();
    const e = assertThrows(() => ctx.run(() => {
        local.set('before', 1);
        throw new TypeError('inside');
    }), x => x instanceof TypeError);
    assertEqual(e.message, 'inside');
    assertEqual(local.has('before'), false, 'left the context');
    assertEqual(ctx.run(() => local.get('before')), 1, 'the value stayed in ctx');
});

test('enter() and leave() make a context current', () => {
    const local = new Asgiref.Local();
    const ctx = new Asgiref.Context();
    ctx.enter();
    try {
        local.set('entered', true);
    } finally {
        ctx.leave();
    }
    assertEqual(local.has('entered'), false);
    assertEqual(ctx.run(() => local.get('entered')), true);
});

test('a copy sees the snapshot of its parent, never its later writes, and never writes back (three levels)', () => {
    const local = new Asgiref.Local();
    const parent = new Asgiref.Context();
    const seen = {};

    const [child, grandchild, sibling] = parent.run(() => {
        local.set('x', 'parent');
        const c = Asgiref.Context.capture();
        local.set('x', 'parent-2');

        const g = c.run(() => {
            seen.childAtStart = local.get('x');
            local.set('x', 'child');
            local.set('onlyChild', 1);
            const gc = Asgiref.Context.capture();
            local.set('x', 'child-2');
            gc.run(() => {
                seen.grandchildAtStart = local.get('x');
                seen.grandchildHasOnlyChild = local.has('onlyChild');
                local.set('x', 'grandchild');
                local.set('onlyGrandchild', 2);
            });
            seen.childAfter = local.get('x');
            seen.childHasOnlyGrandchild = local.has('onlyGrandchild');
            return gc;
        });

        const s = parent.copy();
        s.run(() => {
            seen.siblingAtStart = local.get('x');
            seen.siblingHasOnlyChild = local.has('onlyChild');
            local.set('x', 'sibling');
        });
        seen.parentAtEnd = local.get('x');
        seen.parentHasOnlyChild = local.has('onlyChild');
        return [c, g, s];
    });

    assertDeepEqual(seen, {
        childAtStart: 'parent',
        grandchildAtStart: 'child',
        grandchildHasOnlyChild: true,
        childAfter: 'child-2',
        childHasOnlyGrandchild: false,
        siblingAtStart: 'parent-2',
        siblingHasOnlyChild: false,
        parentAtEnd: 'parent-2',
        parentHasOnlyChild: false,
    });
    assertEqual(child.run(() => local.get('x')), 'child-2');
    assertEqual(grandchild.run(() => local.get('x')), 'grandchild');
    assertEqual(sibling.run(() => local.get('x')), 'sibling');
    assertEqual(parent.run(() => local.get('x')), 'parent-2');
});

test('a new context starts empty', () => {
    const local = new Asgiref.Local();
    const outer = new Asgiref.Context();
    outer.run(() => {
        local.set('user', 'outer');
        assertEqual(new Asgiref.Context().run(() => local.has('user')), false);
        assertEqual(Asgiref.Context.capture().run(() => local.get('user')), 'outer');
    });
});

test('wrap() runs every call in the context captured when it was called', () => {
    const local = new Asgiref.Local();
    const ctx = new Asgiref.Context();
    const bump = ctx.run(() => {
        local.set('count', 0);
        return wrap(step => {
            local.set('count', local.get('count') + step);
            return local.get('count');
        });
    });
    assertEqual(bump(1), 1);
    assertEqual(bump(2), 3);
    assertEqual(local.has('count'), false);
    assertEqual(ctx.run(() => local.get('count')), 0, 'the captured copy is not ctx');
    assertEqual(bump.context.run(() => local.get('count')), 3);
});

test('two interleaved async chains on one main loop keep their own values', () => {
    const local = new Asgiref.Local();
    const steps = 6;
    const trace = [];
    const finished = [];

    runLoop(done => {
        const idleStep = checked(done, () => {
            trace.push([local.get('requestId'), local.get('step'), 'idle']);
            local.set('step', local.get('step') + 1);
            const task = Gio.Task.new(null, null, wrap(checked(done, taskDone)));
            task.return_boolean(true);
            return GLib.SOURCE_REMOVE;
        });

        function taskDone(source, result) {
            assert(result.propagate_boolean(), 'task result');
            trace.push([local.get('requestId'), local.get('step'), 'task']);
            local.set('step', local.get('step') + 1);
            if (local.get('step') < steps) {
                GLib.idle_add(GLib.PRIORITY_DEFAULT, wrap(idleStep));
            } else {
                finished.push([local.get('requestId'), local.get('step')]);
                if (finished.length === 2)
                    done();
            }
        }

        for (const name of ['A', 'B']) {
            new Asgiref.Context().run(() => {
                local.set('requestId', name);
                local.set('step', 0);
                GLib.idle_add(GLib.PRIORITY_DEFAULT, wrap(idleStep));
            });
        }
    });

    assertDeepEqual(finished.sort(), [['A', steps], ['B', steps]]);
    for (const name of ['A', 'B']) {
        const mine = trace.filter(t => t[0] === name).map(t => [t[1], t[2]]);
        const expected = [...Array(steps).keys()].map(i => [i, i % 2 === 0 ? 'idle' : 'task']);
        assertDeepEqual(mine, expected, `chain ${name}`);
    }
    const firstB = trace.findIndex(t => t[0] === 'B');
    const lastA = trace.map(t => t[0]).lastIndexOf('A');
    assert(firstB < lastA, 'the chains interleaved');
    assertEqual(local.has('requestId'), false, 'nothing leaked to the loop');
});

test('a create_task() callback continues in the creating context itself, unlike wrap()', () => {
    const local = new Asgiref.Local();
    const ctx = new Asgiref.Context();
    const seen = [];

    runLoop(done => {
        const task = ctx.run(() => {
            local.set('stage', 'started');
            const t = Asgiref.Context.create_task(null, null, checked(done, (source, result) => {
                assert(result.propagate_boolean(), 'task result');
                seen.push(local.get('stage'));
                local.set('stage', 'callback');
                done();
            }));
            local.set('stage', 'after-create-task');
            return t;
        });
        task.return_boolean(true);
    });

    assertDeepEqual(seen, ['after-create-task'], 'sees what was set after create_task()');
    assertEqual(ctx.run(() => local.get('stage')), 'callback', 'its write stayed in ctx');
    assertEqual(local.has('stage'), false, 'nothing leaked to the loop');
});

test('two interleaved create_task() chains each continue in their own context', () => {
    const local = new Asgiref.Local();
    const steps = 6;
    const trace = [];
    const contexts = {A: new Asgiref.Context(), B: new Asgiref.Context()};

    runLoop(done => {
        function startStep() {
            const task = Asgiref.Context.create_task(null, null, checked(done, stepDone));
            GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
                task.return_boolean(true);
                return GLib.SOURCE_REMOVE;
            });
        }

        function stepDone(source, result) {
            assert(result.propagate_boolean(), 'task result');
            const name = local.get('requestId');
            const other = name === 'A' ? 'B' : 'A';
            assertEqual(local.get(`only${name}`), true, `chain ${name} sees its own value`);
            assertEqual(local.has(`only${other}`), false, `chain ${name} never sees ${other}'s`);
            trace.push([name, local.get('step')]);
            if (local.get('step') + 1 < steps)
                startStep();
            // Set after the next step was started: that step still sees it.
            local.set('step', local.get('step') + 1);
            if (Object.values(contexts).every(c => c.run(() => local.get('step')) === steps))
                done();
        }

        for (const name of ['A', 'B']) {
            contexts[name].run(() => {
                local.set('requestId', name);
                startStep();
                local.set(`only${name}`, true);
                local.set('step', 0);
            });
        }
    });

    for (const name of ['A', 'B']) {
        const mine = trace.filter(t => t[0] === name).map(t => t[1]);
        assertDeepEqual(mine, [...Array(steps).keys()], `chain ${name}`);
        assertEqual(contexts[name].run(() => local.get('step')), steps,
            `the steps of ${name} accumulated in its context`);
    }
    const firstB = trace.findIndex(t => t[0] === 'B');
    const lastA = trace.map(t => t[0]).lastIndexOf('A');
    assert(firstB < lastA, 'the chains interleaved');
    assertEqual(local.has('requestId'), false, 'nothing leaked to the loop');
});

test('get_size() counts the entries of a snapshot', () => {
    const local = new Asgiref.Local();
    const ctx = new Asgiref.Context();
    assertEqual(ctx.get_size(), 0);
    const [two, one] = ctx.run(() => {
        local.set('a', 1).set('b', 2);
        const withTwo = ctx.get_size();
        local.delete('a');
        return [withTwo, ctx.get_size()];
    });
    assert(two > one && one > 0, `sizes ${two} > ${one} > 0`);
});

run('context');
