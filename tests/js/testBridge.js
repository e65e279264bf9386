// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The bridge from GJS, through the helper module: syncToAsync() of JS
// functions (on the main thread, later, as a Promise), the C-function path
// against a mock of the C API it needs, and the guarantee that no JS
// function is handed to another thread (GJS would log "Attempting to run a
// JS callback on a different thread" as a CRITICAL, fatal under
// G_DEBUG=fatal-warnings, and the call would never complete).

import Asgiref from 'gi://Asgiref?version=1.0';
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
// libasgiref 1.0 has no introspectable way to run a C function on the
// bridge from JS yet. These check the helper against a mock of the API it
// needs (Asgiref.Bridge.call_async/call_finish running an
// Asgiref.SyncFunction), standing in a C-implemented object for the
// function.

class MockBridge {
    constructor(outcome) {
        this.outcome = outcome;
        this.calls = [];
    }

    call_async(fn, flags, cancellable, callback) {
        this.calls.push({fn, flags, cancellable});
        const result = {outcome: this.outcome};
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            callback(this, result);
            return GLib.SOURCE_REMOVE;
        });
    }

    call_finish(result) {
        if (result.outcome instanceof Error || result.outcome instanceof GLib.Error)
            throw result.outcome;
        return result.outcome;
    }
}

const hasCApi = typeof Asgiref.Bridge.prototype.call_async === 'function';

test('syncToAsync of a C function object goes through Bridge.call_async', () => {
    const fn = new Gio.SimpleAction({name: 'stand-in'});  // C-implemented
    const bridge = new MockBridge('value');
    const cancellable = new Gio.Cancellable();
    const outcome = settle(() => syncToAsync(fn, {bridge, cancellable})());
    assert(outcome.ok, `rejected: ${outcome.error}`);
    assertEqual(outcome.value, 'value');
    assertEqual(bridge.calls.length, 1);
    assertEqual(bridge.calls[0].fn, fn);
    assertEqual(bridge.calls[0].flags, Asgiref.SyncFlags.NONE);
    assertEqual(bridge.calls[0].cancellable, cancellable);

    const other = new MockBridge(1);
    settle(() => syncToAsync(fn, {bridge: other, threadSensitive: false})());
    assertEqual(other.calls[0].flags, Asgiref.SyncFlags.NOT_THREAD_SENSITIVE);

    assertThrows(() => syncToAsync(fn, {bridge})(1), e => e instanceof TypeError,
        'a C function object takes no arguments');
});

test('a C function\'s GError rejects the promise', () => {
    const error = new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'gone');
    const outcome = settle(() => syncToAsync(new Gio.SimpleAction({name: 'x'}),
        {bridge: new MockBridge(error)})());
    assert(!outcome.ok);
    assert(outcome.error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND), `${outcome.error}`);
});

test('objects of JS-defined classes are refused (their code would run off the main thread)', () => {
    const JsAction = GObject.registerClass(class JsAction extends Gio.SimpleAction {});
    const Plain = GObject.registerClass(class Plain extends GObject.Object {});
    const bridge = new MockBridge(1);
    for (const fn of [new JsAction({name: 'x'}), new Plain()])
        assertThrows(() => syncToAsync(fn, {bridge})(), e => e instanceof TypeError);
    assertEqual(bridge.calls.length, 0);
    assertThrows(() => syncToAsync(42), e => e instanceof TypeError);
});

test('without the C API a C function object is refused, not run', () => {
    if (hasCApi) {
        print('# skip: Asgiref.Bridge.call_async exists');
        return;
    }
    assertThrows(() => syncToAsync(new Gio.SimpleAction({name: 'x'}))(),
        e => e instanceof TypeError && /call_async/.test(e.message));
});

run('bridge');
