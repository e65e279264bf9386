// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS helper for Asgiref: idiomatic Local and Context, and sync-to-async
// that never lets a JS function run off the main thread.
//
//     import Asgiref from 'gi://Asgiref';
//     import {wrap} from './asgiref.js';   // or the installed copy in
//                                         // <datadir>/asgiref-1.0/
//
//     const local = new Asgiref.Local();
//     local.set('requestId', 42);
//     local.get('requestId');      // 42, or undefined when unset
//     local.has('requestId');      // true
//     local.delete('requestId');   // true if a value was removed
//
//     const ctx = new Asgiref.Context();
//     const answer = ctx.run(() => 42);  // fn's value; exceptions propagate
//     // runs in a copy of the context current now, taken now:
//     GLib.idle_add(GLib.PRIORITY_DEFAULT, wrap(() => { ... }));
//
// Importing the module adds the methods to the prototypes of Asgiref.Local
// and Asgiref.Context once, so every Local and Context (JS subclasses
// included) has them.
//
// Facts about GJS 1.74 this works around:
// - get_value() of a throwing function returning gboolean gives
//   [true, value]; and when the name is not set, GJS converts the
//   uninitialised out GValue anyway: it logs a GLib-GObject CRITICAL and
//   throws "Don't know how to convert GType (null)" instead of the GError.
//   So get() checks contains() first.
// - A GValue argument accepts strings, booleans, numbers (stored as
//   gdouble), null, GObjects, boxed values and plain objects (as
//   GObject.TYPE_JSOBJECT, read back as the same object), but refuses
//   arrays, functions, undefined, Maps, class instances ("Could not guess
//   unspecified GValue type"), and turns a BigInt into a number. set() stores
//   those inside a private holder object that get() unwraps.
// - Calling a function that takes a (scope call) callback again from inside
//   that callback logs "g_closure_unref: assertion 'closure->ref_count > 0'
//   failed" (seen with Gio.ListStore.find_with_equal_func too), so nested
//   Context.run() calls cannot use the introspected run(): run() here is
//   enter() + leave().
// - The same out-GValue problem hits Asgiref.SyncFunction.call() (a
//   blocking call on this thread): it returns [true, value], but on failure
//   GJS logs a CRITICAL and throws "Don't know how to convert GType (null)"
//   instead of the GError. syncToAsync() uses call_async()/call_finish(),
//   whose result is a return value, not an out argument.

import GIRepository from 'gi://GIRepository';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Asgiref from 'gi://Asgiref?version=1.0';

// A holder for the values GJS cannot put into a GValue by itself. Giving
// the class a $gtype of JSObject makes GJS store its instances by
// reference, as it does plain objects.
class Held {
    static $gtype = GObject.TYPE_JSOBJECT;

    constructor(value) {
        this.value = value;
    }
}

function storable(value) {
    switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
        return value;
    case 'object':
        if (value === null)
            return value;
        // GObjects, boxed (GLib.Variant, GObject.Value...) and plain
        // objects: the constructor has a GType GJS marshals.
        if (value instanceof Held || value.constructor?.$gtype === undefined)
            return new Held(value);
        return value;
    default:
        // undefined, function, bigint, symbol
        return new Held(value);
    }
}

function unwrap(value) {
    return value instanceof Held ? value.value : value;
}

function define(prototype, methods) {
    for (const [name, value] of Object.entries(methods)) {
        Object.defineProperty(prototype, name, {
            value,
            writable: true,
            configurable: true,
            enumerable: false,
        });
    }
}

const marker = Symbol.for('asgiref-glib.helper');

if (!Asgiref.Local.prototype[marker]) {
    define(Asgiref.Local.prototype, {
        [marker]: true,

        /**
         * Returns the value of `name` in the current context (or thread, or
         * scope), or `undefined` when it is not set.
         *
         * @param {string} name
         * @returns {*}
         */
        get(name) {
            if (!this.contains(name))
                return undefined;
            const [, value] = this.get_value(name);
            return unwrap(value);
        },

        /**
         * Sets `name` to `value` in the current context. Any JS value can
         * be stored and reads back identical (===).
         *
         * @param {string} name
         * @param {*} value
         * @returns {Asgiref.Local} this
         */
        set(name, value) {
            this.set_value(name, storable(value));
            return this;
        },

        /**
         * Whether `name` is set in the current context.
         *
         * @param {string} name
         * @returns {boolean}
         */
        has(name) {
            return this.contains(name);
        },

        /**
         * Removes `name` from the current context.
         *
         * @param {string} name
         * @returns {boolean} whether a value was removed
         */
        delete(name) {
            return this.remove(name);
        },
    });
}

if (!Asgiref.Context.prototype[marker]) {
    define(Asgiref.Context.prototype, {[marker]: true});
    // GJS defines introspected methods lazily, as writable but
    // non-configurable properties: replace run() by assignment.
    Object.assign(Asgiref.Context.prototype, {
        /**
         * Runs `fn(...args)` with this context current and returns its
         * value. Values `fn` sets are stored in this context; an exception
         * thrown by `fn` propagates to the caller, after the context was
         * left.
         *
         * Built on enter()/leave() rather than on the introspected run():
         * GJS 1.74 corrupts a closure's reference count (g_closure_unref
         * CRITICAL) when a function taking a (scope call) callback is called
         * again from inside that callback, which nested run() calls do.
         *
         * @param {Function} fn
         * @param {...*} args
         * @returns {*} what `fn` returned
         */
        run(fn, ...args) {
            this.enter();
            try {
                return fn(...args);
            } finally {
                this.leave();
            }
        },
    });
}

/**
 * Returns a function that runs `fn` in a copy of the context current now.
 * The current context is copied once, when wrap() is called, and every call
 * of the returned function runs in that same copy, so a value one call sets
 * is seen by the next. The copy is not the context wrap() was called in:
 * values set there after wrap() are not seen by `fn`, and values `fn` sets
 * are never seen there.
 *
 * This is the binding's counterpart of the C
 * asgiref_context_source_set_callback(): use it for work of its own (idle
 * and timeout callbacks), as asyncio's loop.call_soon() copies the context.
 * Wrapped callbacks of a chain still carry the chain's values from hop to
 * hop, each hop in a copy of the previous one. To have a
 * GAsyncReadyCallback continue in the creating context itself instead (as
 * code after an `await` does: it sees values set there after the operation
 * started, and its writes stay there), create the GTask with
 * `Asgiref.Context.create_task()`.
 *
 * @param {Function} fn
 * @returns {Function} the wrapper; its `context` property is the copy
 */
export function wrap(fn) {
    const context = Asgiref.Context.capture();
    const wrapper = function (...args) {
        return context.run(() => fn.apply(this, args));
    };
    wrapper.context = context;
    return wrapper;
}


// --------------------------------------------------------------------------
// Bridge
// --------------------------------------------------------------------------
//
// GJS 1.74 refuses to run a JS function on any thread but the main one: it
// logs "Attempting to run a JS callback on a different thread ... it has
// been blocked" and skips it. A JS function given as the GTaskThreadFunc of
// Asgiref.Bridge.sync_to_async() would be called on a worker, so it would
// never run and its task would never complete (the caller waits forever);
// the same holds for Asgiref.Executor.run_task(), whose function runs on
// the executor's owner thread, never the caller's. Importing this module
// makes both throw a TypeError instead: from JS, use syncToAsync().
//
// JS code is single-threaded: a JS "sync function" can only run on the
// main thread, so syncToAsync() of a JS function is necessarily
// thread-sensitive to the main thread. Only C code can run on the bridge's
// threads: syncToAsync() of a C-implemented Asgiref.SyncFunction runs it
// there through Asgiref.SyncFunction.call_async() (see runCAsync below).
// A class defined in JS could implement Asgiref.SyncFunction, but its
// vfunc_call() would then be called on a bridge thread: importing this
// module makes call_async() on such an object throw a TypeError too.

const guarded = Symbol.for('asgiref-glib.guarded');

function refuse(what) {
    return function () {
        throw new TypeError(`${what} would call a JS function on another thread, ` +
            'which GJS refuses (the call would never complete): use syncToAsync() ' +
            'from asgiref.js');
    };
}

if (!Asgiref.Bridge.prototype[guarded]) {
    define(Asgiref.Bridge.prototype, {[guarded]: true});
    Object.assign(Asgiref.Bridge.prototype, {
        sync_to_async: refuse('Asgiref.Bridge.sync_to_async()'),
    });
    Object.assign(Asgiref.Executor.prototype, {
        run_task: refuse('Asgiref.Executor.run_task()'),
    });
}

if (!Asgiref.SyncFunction.prototype[guarded]) {
    define(Asgiref.SyncFunction.prototype, {[guarded]: true});
    // GJS looks interface methods up on the interface's prototype, so this
    // covers every object implementing it.
    const callAsync = Asgiref.SyncFunction.prototype.call_async;
    Object.assign(Asgiref.SyncFunction.prototype, {
        call_async(...args) {
            if (!isCImplemented(this)) {
                throw new TypeError(`Asgiref.SyncFunction.call_async(): ${this} is ` +
                    'implemented in JS, and its call would run on another thread, ' +
                    'which GJS refuses: use syncToAsync() of a JS function instead');
            }
            return callAsync.apply(this, args);
        },
    });
}

function cancelledError() {
    return new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'Operation was cancelled');
}

// Whether the methods of `object` are implemented in C: false for
// instances of classes defined in JS (GObject.registerClass), whose
// virtual functions and signal handlers would be JS.
function isCImplemented(object) {
    const repository = GIRepository.Repository.get_default();
    const jsClass = object.constructor;
    // An instance of a C type, even one no typelib describes, gets the JS
    // wrapper of its nearest introspected ancestor; a JS-defined class is
    // its own wrapper, and no typelib describes it.
    if (jsClass?.$gtype === undefined ||
        repository.find_by_gtype(jsClass.$gtype) === null)
        return false;
    for (let type = object.constructor.$gtype; type; type = GObject.type_parent(type)) {
        if (GObject.type_name(type).startsWith('Gjs_'))
            return false;
    }
    return true;
}

function runJsSoon(fn, args, cancellable) {
    // By reference: the function sees the caller's values, and what it sets
    // is the caller's (it is the same thread, a little later).
    const context = Asgiref.Context.get_current();
    return new Promise((resolve, reject) => {
        const source = GLib.idle_source_new();
        source.set_priority(GLib.PRIORITY_DEFAULT);
        source.set_name('[asgiref] syncToAsync (JS)');
        source.set_callback(() => {
            if (cancellable?.is_cancelled()) {
                reject(cancelledError());
                return GLib.SOURCE_REMOVE;
            }
            try {
                resolve(context.run(() => fn(...args)));
            } catch (e) {
                reject(e);
            }
            return GLib.SOURCE_REMOVE;
        });
        source.attach(GLib.MainContext.ref_thread_default());
    });
}

// Runs a C-implemented Asgiref.SyncFunction on the bridge's threads, through
// Asgiref.SyncFunction.call_async(): its call() runs there like a
// sync_to_async function, and the callback on the caller's thread-default
// main context (here: the main thread), in the caller's Asgiref.Context.
function runCAsync(fn, {threadSensitive, bridge, cancellable}) {
    if (!(fn instanceof Asgiref.SyncFunction))
        throw new TypeError(`syncToAsync(): ${fn} is not an Asgiref.SyncFunction`);
    if (!isCImplemented(fn)) {
        throw new TypeError(`syncToAsync(): ${fn} is implemented in JS, which ` +
            'GJS cannot run off the main thread: pass a JS function instead');
    }
    const flags = threadSensitive
        ? Asgiref.SyncFlags.NONE : Asgiref.SyncFlags.NOT_THREAD_SENSITIVE;
    return new Promise((resolve, reject) => {
        fn.call_async(bridge, flags, cancellable, (source, result) => {
            try {
                resolve(fn.call_finish(result));
            } catch (e) {
                reject(e);
            }
        });
    });
}

/**
 * Returns a function that starts `fn` and returns a Promise of its result,
 * like asgiref's sync_to_async, for main-loop code that awaits.
 *
 * - `fn` a JS function: called with the arguments, on the main thread (the
 *   only one JS runs on, so it is thread-sensitive to the main thread
 *   whatever `threadSensitive` says), from an idle of the thread-default
 *   main context, in the caller's current Asgiref.Context. It blocks the
 *   loop while it runs. The promise resolves with its value or rejects
 *   with its exception; with `cancellable` cancelled before it ran, it is
 *   not called and the promise rejects with Gio.IOErrorEnum.CANCELLED.
 * - `fn` an Asgiref.SyncFunction implemented in C: its call() runs on the
 *   bridge's threads following the bridge's thread rules (thread-sensitive:
 *   the shared sync thread, or the thread of the enclosing
 *   ThreadSensitiveContext; otherwise a pool thread), through
 *   Asgiref.SyncFunction.call_async(); takes no arguments (they are the
 *   object's); the promise settles on the main thread with the result
 *   (the GValue's contents) or rejects with the GError
 *   (Gio.IOErrorEnum.CANCELLED if `cancellable` was cancelled). Objects of
 *   classes defined in JS are refused with a TypeError.
 *
 * Never hands a JS function to the bridge's threads.
 *
 * @param {Function|GObject.Object} fn
 * @param {object} [options]
 * @param {boolean} [options.threadSensitive=true]
 * @param {Asgiref.Bridge} [options.bridge] for a C function object: the
 *   default bridge if omitted
 * @param {Gio.Cancellable} [options.cancellable]
 * @returns {Function} (...args) => Promise
 */
export function syncToAsync(fn, {threadSensitive = true, bridge = null, cancellable = null} = {}) {
    if (typeof fn === 'function')
        return (...args) => runJsSoon(fn, args, cancellable);
    if (fn instanceof GObject.Object) {
        return (...args) => {
            if (args.length)
                throw new TypeError('syncToAsync(): a C sync function object takes no arguments');
            return runCAsync(fn, {threadSensitive, bridge, cancellable});
        };
    }
    throw new TypeError(`syncToAsync() needs a function or an Asgiref.SyncFunction, not ${fn}`);
}

export default {wrap, syncToAsync};
