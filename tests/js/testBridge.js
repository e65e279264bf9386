// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The bridge from GJS, through the helper module: syncToAsync() of JS
// functions (on the main thread, later, as a Promise), of C functions
// (Asgiref.SyncFunction objects, run on the bridge's threads, end to end
// with a C implementation from tests/lib), and the guarantee that no JS
// function is handed to another thread (GJS would log "Attempting to run a
// JS callback on a different thread" as a CRITICAL, fatal under
// G_DEBUG=fatal-warnings, and the call would never complete).

import Asgiref from 'gi://Asgiref?version=1.0';
import AsgirefTest from 'gi://AsgirefTest?version=1.0';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import {syncToAsync} from '../../gir/asgiref.js';
import {assert, assertDeepEqual, assertEqual, assertThrows, run, runLoop, test} from './harness.js';

// Runs `promiseFn()` in a main loop and returns what it resolved with, or
// throws what it rejected with.
function settle(promiseFn, timeoutMs = 10000) {
    let outcome = null;
    runLoop(done => {
        promiseFn().then(
            value => {
                outcome = {ok: true, value};
                done();
            },
            error => {
                outcome = {ok: false, error};
                done();
            });
    }, timeoutMs);
    return outcome;
}

test('syncToAsync of a JS function resolves later on the main loop', () => {
    const order = [];
    let ticks = 0;
    const outcome = settle(() => {
        // The loop keeps dispatching: a source added before the call runs
        // before the function.
        GLib.idle_add(GLib.PRIORITY_HIGH, () => {
            ticks++;
            return GLib.SOURCE_REMOVE;
        });
        const promise = syncToAsync((a, b) => {
            order.push(`called with ${a},${b} after ${ticks} tick(s)`);
            return a + b;
        })(40, 2);
        order.push('returned a promise');
        return promise;
    });
    assert(outcome.ok, `rejected: ${outcome.error}`);
    assertEqual(outcome.value, 42);
    assertDeepEqual(order, ['returned a promise', 'called with 40,2 after 1 tick(s)']);
});

test('an exception rejects the promise with the same object', () => {
    const error = new RangeError('out of range');
    const outcome = settle(() => syncToAsync(() => {
        throw error;
    })());
    assert(!outcome.ok);
    assertEqual(outcome.error, error);
});

test('the function sees the caller\'s Local values and sets them for it', () => {
    const local = new Asgiref.Local();
    const context = new Asgiref.Context();
    let seen;
    context.run(() => local.set('requestId', 'r1'));
    const outcome = settle(() => context.run(() => syncToAsync(() => {
        seen = local.get('requestId');
        local.set('user', 'alice');
    })()));
    assert(outcome.ok, `rejected: ${outcome.error}`);
    assertEqual(seen, 'r1');
    assertEqual(context.run(() => local.get('user')), 'alice');
    assertEqual(local.get('user'), undefined, 'nothing leaks out of the context');
});

test('a cancelled call rejects with G_IO_ERROR_CANCELLED and is not run', () => {
    const cancellable = new Gio.Cancellable();
    let called = false;
    const outcome = settle(() => {
        const promise = syncToAsync(() => {
            called = true;
        }, {cancellable})();
        cancellable.cancel();
        return promise;
    });
    assert(!outcome.ok);
    assert(outcome.error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${outcome.error}`);
    assertEqual(called, false);
});

test('Bridge.sync_to_async refuses JS functions (they would run off the main thread)', () => {
    const bridge = Asgiref.Bridge.get_default();
    let called = false;
    const error = assertThrows(() => bridge.sync_to_async(() => {
        called = true;
    }, Asgiref.SyncFlags.NONE, null, () => {}), e => e instanceof TypeError);
    assert(/syncToAsync/.test(error.message), error.message);
    // Nothing was started: a worker calling back into JS would have logged
    // a (fatal) CRITICAL by the time the loop ran a little.
    runLoop(done => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => {
        done();
        return GLib.SOURCE_REMOVE;
    }));
    assertEqual(called, false);
    assertThrows(() => new Asgiref.Bridge({max_threads: 2}).sync_to_async(() => {},
        Asgiref.SyncFlags.NOT_THREAD_SENSITIVE, null, null), e => e instanceof TypeError);
});

test('Executor.run_task refuses JS functions', () => {
    // Checked on the prototype: libasgiref 1.0 gives bindings no way to make
    // an Executor (asgiref_executor_new is introspected as a method, and
    // g_object_new leaves it without a main context).
    const task = Gio.Task.new(null, null, null);
    assertThrows(() => Asgiref.Executor.prototype.run_task.call(null, task, () => {}),
        e => e instanceof TypeError && /syncToAsync/.test(e.message));
});

test('Bridge.async_to_sync from a loop callback is a DEADLOCK error, its JS function not run', () => {
    const bridge = Asgiref.Bridge.get_default();
    let called = false;
    let error = null;
    runLoop(done => {
        const result = bridge.async_to_sync(task => {
            called = true;
            task.return_boolean(true);
        }, null);
        try {
            result.propagate_boolean();
        } catch (e) {
            error = e;
        }
        done();
    });
    assertEqual(called, false);
    assert(error?.matches(Asgiref.error_quark(), Asgiref.Error.DEADLOCK), `${error}`);
});

test('Bridge.async_to_sync outside a loop runs its JS function on the main thread', () => {
    // The operation runs on a private context iterated by this thread: the
    // only thread JS can run on.
    const bridge = Asgiref.Bridge.get_default();
    const result = bridge.async_to_sync(task => {
        const source = GLib.idle_source_new();
        source.set_callback(() => {
            task.return_value(42);
            return GLib.SOURCE_REMOVE;
        });
        source.attach(GLib.MainContext.ref_thread_default());
    }, null);
    assertEqual(result.propagate_value()[1], 42);
});

// ---- C sync function objects ---------------------------------------------
//
// AsgirefTest.ThreadFunction (tests/lib) is a C implementation of
// Asgiref.SyncFunction whose call() returns "thread=<name>;main=<0|1>": the
// name of the thread it ran on, and whether that is the process's main
// thread. With `fail` set it fails with G_IO_ERROR_FAILED.

test('await syncToAsync() of a C function runs it on the shared sync thread', () => {
    const fn = new AsgirefTest.ThreadFunction();
    let ticks = 0;
    const outcome = settle(async () => {
        // The loop keeps dispatching while the call runs elsewhere.
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            ticks++;
            return GLib.SOURCE_REMOVE;
        });
        const first = await syncToAsync(fn)();
        const second = await syncToAsync(fn)();
        return [first, second];
    });
    assert(outcome.ok, `rejected: ${outcome.error}`);
    assertDeepEqual(outcome.value, ['thread=asgiref-sync;main=0', 'thread=asgiref-sync;main=0']);
    assertEqual(fn.n_calls, 2);
    assert(ticks >= 1, 'the loop dispatched meanwhile');
    // Called directly, the same function runs here, on the main thread.
    // (Its error path is unusable in GJS 1.74: see asgiref.js.)
    assertDeepEqual(fn.call(null), [true, 'thread=gjs;main=1']);
});

test('a NOT_THREAD_SENSITIVE C function runs on a pool thread', () => {
    const fn = new AsgirefTest.ThreadFunction();
    const bridge = new Asgiref.Bridge({max_threads: 2});
    const outcome = settle(() => syncToAsync(fn, {threadSensitive: false, bridge})());
    assert(outcome.ok, `rejected: ${outcome.error}`);
    const [, thread, main] = /^thread=(.*);main=([01])$/.exec(outcome.value) ?? [];
    assertEqual(main, '0', outcome.value);
    assert(thread !== undefined && thread !== 'asgiref-sync', outcome.value);
    assertEqual(fn.n_calls, 1);
});

test('a C function\'s GError rejects the promise', () => {
    const outcome = settle(() => syncToAsync(new AsgirefTest.ThreadFunction({fail: true}))());
    assert(!outcome.ok);
    assert(outcome.error instanceof GLib.Error, `${outcome.error}`);
    assert(outcome.error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED), `${outcome.error}`);
    assertEqual(outcome.error.message, 'failed as asked');
});

test('a C function cancelled before it runs rejects with CANCELLED and is not run', () => {
    const fn = new AsgirefTest.ThreadFunction();
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    for (const threadSensitive of [true, false]) {
        const outcome = settle(() => syncToAsync(fn, {cancellable, threadSensitive})());
        assert(!outcome.ok);
        assert(outcome.error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${outcome.error}`);
    }
    assertEqual(fn.n_calls, 0);
});

test('a C function object takes no arguments', () => {
    assertThrows(() => syncToAsync(new AsgirefTest.ThreadFunction())(1),
        e => e instanceof TypeError);
});

test('objects that are not C sync functions are refused', () => {
    for (const fn of [new Gio.SimpleAction({name: 'x'}), 42, null]) {
        assertThrows(() => syncToAsync(fn)(), e => e instanceof TypeError,
            `${fn} was not refused`);
    }
});

test('JS classes implementing Asgiref.SyncFunction are refused (their call would run off the main thread)', () => {
    let called = false;
    const JsFunction = GObject.registerClass({
        Implements: [Asgiref.SyncFunction],
    }, class JsFunction extends GObject.Object {
        vfunc_call() {
            called = true;
            return [true, 1];
        }
    });
    const fn = new JsFunction();
    assertThrows(() => syncToAsync(fn)(),
        e => e instanceof TypeError && /implemented in JS/.test(e.message));
    // Calling the binding directly is refused too.
    assertThrows(() => fn.call_async(null, Asgiref.SyncFlags.NONE, null, () => {}),
        e => e instanceof TypeError && /syncToAsync/.test(e.message));
    assertThrows(() => Asgiref.SyncFunction.prototype.call_async.call(fn, null,
        Asgiref.SyncFlags.NOT_THREAD_SENSITIVE, null, () => {}), e => e instanceof TypeError);
    // Nothing was started: a bridge thread calling into JS would have
    // logged a (fatal) CRITICAL by the time the loop ran a little.
    runLoop(done => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => {
        done();
        return GLib.SOURCE_REMOVE;
    }));
    assertEqual(called, false);
});

test('Asgiref.SyncFunction.call_async works directly on a C function', () => {
    const fn = new AsgirefTest.ThreadFunction();
    let value = null;
    let source = null;
    runLoop(done => fn.call_async(null, Asgiref.SyncFlags.NONE, null, (src, result) => {
        source = src;
        value = fn.call_finish(result);
        done();
    }));
    assertEqual(source, fn);
    assertEqual(value, 'thread=asgiref-sync;main=0');
});

run('bridge');
