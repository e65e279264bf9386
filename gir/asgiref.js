// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS helper for Asgiref: idiomatic Local and Context, sync-to-async
// that never lets a JS function run off the main thread, and ASGI
// applications written as async functions (see "ASGI applications" below).
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
    // Reflect.ownKeys(): the markers are symbols, which Object.entries() skips.
    for (const name of Reflect.ownKeys(methods)) {
        Object.defineProperty(prototype, name, {
            value: methods[name],
            writable: true,
            configurable: true,
            enumerable: false,
        });
    }
}

// Where JS code of an application instance runs, and in which context.
//
// GJS 1.74 resumes an async function after an `await` from its promise job
// queue: a GSource of its own ("GjsPromiseJobQueueSource"), later than the
// GLib callback that settled the promise, so outside the Asgiref.Context
// that callback entered. Left alone, the code after `await receive()` of
// every request would read and write the Locals of the main thread's
// shared context, one request's values leaking into the next.
//
// So the instance's own promises (receive(), send(), within()) resume it
// in its context: when one settles, three jobs are queued in a row (the
// queue runs them in order, with nothing in between): one that enters the
// instance's context, the continuation that the settling queued, and one
// that leaves the context again. Code that resumes from any other promise
// runs in the shared context; a Local used there while requests are being
// served throws, rather than answer with the wrong values.

let liveRequests = 0;   // http and websocket instances of application() running
let resumed = 0;        // > 0 while an instance's continuation runs in its context

function inPromiseJob() {
    const source = GLib.main_current_source();
    return source !== null && source.get_name() === 'GjsPromiseJobQueueSource';
}

function refuseOutsideInstance() {
    if (liveRequests > 0 && resumed === 0 && inPromiseJob()) {
        throw new Error('Asgiref.Local used in code that resumed from an await outside ' +
            'any request\'s context: after awaiting a promise other than receive() or ' +
            'send(), the code of an application() instance runs in the main thread\'s ' +
            'shared context, where its values are not. Await such a promise as ' +
            '`await within(promise)` (within() is given to the application function ' +
            'with receive and send).');
    }
}

// A promise that settles as `promise` does, resuming its awaiter in
// `context`.
function resumeWithin(context, promise) {
    const settleWithin = (settle, value) => {
        Promise.resolve().then(() => {
            context.enter();
            resumed++;
        });
        settle(value);
        Promise.resolve().then(() => {
            resumed--;
            context.leave();
        });
    };
    return new Promise((resolve, reject) => {
        Promise.resolve(promise).then(value => settleWithin(resolve, value),
            error => settleWithin(reject, error));
    });
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
            refuseOutsideInstance();
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
            refuseOutsideInstance();
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
            refuseOutsideInstance();
            return this.contains(name);
        },

        /**
         * Removes `name` from the current context.
         *
         * @param {string} name
         * @returns {boolean} whether a value was removed
         */
        delete(name) {
            refuseOutsideInstance();
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

// A WSGI handler runs on the bridge's worker threads, and an application
// declared thread-safe on a server's serving threads: neither can be JS.
if (!Asgiref.WsgiApplication[guarded]) {
    define(Asgiref.WsgiApplication, {[guarded]: true});
    const newWsgi = Asgiref.WsgiApplication.new;
    Asgiref.WsgiApplication.new = function (handler, ...rest) {
        if (typeof handler === 'function') {
            throw new TypeError('Asgiref.WsgiApplication.new(): a WSGI handler runs on a worker ' +
                'thread, which GJS refuses to run JS on: write it in C, or write an ASGI ' +
                'application with application()');
        }
        return newWsgi.call(this, handler, ...rest);
    };
}

// Marks the C applications whose function is JS (FunctionApplication.new()
// with a JS function, as application() makes them).
const jsBacked = Symbol.for('asgiref-glib.js-backed');

if (!Asgiref.FunctionApplication[guarded]) {
    define(Asgiref.FunctionApplication, {[guarded]: true});
    const newFunctionApplication = Asgiref.FunctionApplication.new;
    Asgiref.FunctionApplication.new = function (func, ...rest) {
        const made = newFunctionApplication.call(this, func, ...rest);
        if (typeof func === 'function')
            define(made, {[jsBacked]: true});
        return made;
    };
}

if (!Asgiref.Application.prototype[guarded]) {
    define(Asgiref.Application.prototype, {[guarded]: true});
    const setThreadSafe = Asgiref.Application.prototype.set_thread_safe;
    Object.assign(Asgiref.Application.prototype, {
        set_thread_safe(threadSafe) {
            if (threadSafe && (!isCImplemented(this) || this[jsBacked])) {
                throw new TypeError(`Asgiref.Application.set_thread_safe(): ${this} is ` +
                    'implemented in JS, which GJS runs on its main thread only: it cannot be ' +
                    'served on serving threads');
            }
            return setThreadSafe.call(this, threadSafe);
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



// --------------------------------------------------------------------------
// ASGI applications
// --------------------------------------------------------------------------
//
// An ASGI application in JS is best written as an async function, as in
// Python:
//
//     import {application} from './asgiref.js';
//
//     const app = application(async (scope, {receive, send}) => {
//         // scope: {type: 'http', method: 'POST', path: '/echo',
//         //         query_string: Uint8Array, headers: [[Uint8Array, Uint8Array]], ...}
//         const request = await receive();  // {type: 'http.request', body: Uint8Array, more_body: false}
//         await send({type: 'http.response.start', status: 200,
//                     headers: [['content-type', 'text/plain']]});
//         await send({type: 'http.response.body', body: request.body});
//     });                                   // an Asgiref.Application
//
// Messages and scopes are plain JS objects in ASGI's shape, both ways,
// as asgiref's are dicts:
// - what the function is given (the scope, and what receive() resolves
//   to) has byte strings (`body`, `bytes`, `query_string`, `raw_path`,
//   header names and values) as Uint8Array, `headers` as an array of
//   [name, value] pairs, `client`/`server` as [host, port] (port null for
//   a Unix socket), `asgi`/`state`/`extensions` as objects. It is the
//   scope's or message's a{sv} form (to_variant()) unpacked, so it has
//   exactly the keys the C library puts there.
// - send() takes such an object, more leniently: a byte string may also be
//   a GLib.Bytes, an ArrayBuffer or a string (sent UTF-8 encoded; `text`
//   stays a string), a header name or value a string or a Uint8Array,
//   `headers` an Asgiref.Headers, any value a GLib.Variant; null and
//   undefined values are left out. It also takes an Asgiref.Message (built
//   with the Asgiref.Message.new_*() constructors, which skips the
//   conversion) or an a{sv} GLib.Variant.
// Objects were chosen over the native Asgiref.Message and Asgiref.Scope
// for the function's side because they read as ASGI code in any language
// does (`scope.path`, `message.more_body`); the cost is one GVariant
// built and unpacked per message, which the library itself never pays on
// its hot path (it only happens in this helper). The native values stay at
// hand: `channel.get_scope()` is the Asgiref.Scope, and
// channel.receive_async()/receive_finish() give Asgiref.Message.
//
// messageFromObject(), scopeFromObject(), messageToObject() and
// scopeToObject() are these conversions, exported for other code (and
// headersFromArray() for headers alone). An object that is not a valid
// ASGI message or scope throws a GLib.Error ASGIREF_ERROR_INVALID_MESSAGE
// saying which key is wrong.
//
// The promise of the function completes the instance: resolving ends it
// normally, rejecting ends it with the error (a GLib.Error as it is, any
// other exception converted by toGLibError()).
//
// For tests, importing the module also gives every Asgiref.Communicator
// promise-returning methods with timeouts in milliseconds (asgiref's
// defaults), taking and giving messages as objects, and lets
// Asgiref.Communicator.new() take a scope object:
//
//     const comm = Asgiref.Communicator.new(app, Asgiref.Scope.new_http('POST', '/', null, null));
//     // or a complete scope object: {type: 'http', asgi: {version: '3.0'},
//     //   http_version: '1.1', method: 'POST', path: '/', query_string: '', headers: []}
//     comm.sendInput({type: 'http.request', body: 'hi'});
//     const start = await comm.receiveOutput();     // 1000 ms; {type: 'http.response.start', ...}
//     await comm.receiveNothing();                  // 100 ms, every 10 ms: boolean
//     await comm.waitForEnd();                      // 1000 ms: true
//
// (waitForEnd, not wait: Asgiref.Communicator.wait() is the blocking twin.
// The introspected send_input() and receive_output*() keep the native
// Asgiref.Message.)
//
// Facts about GJS 1.74 this relies on or works around:
// - A JS vfunc_call() (or Asgiref.FunctionApplication function) that throws
//   is logged by GJS as "JS ERROR" with a CRITICAL (fatal under
//   G_DEBUG=fatal-warnings), and the Gio.Task it was given stays alive
//   until the JS garbage collector finalizes its wrapper: only then does
//   the instance fail (ASGIREF_ERROR_FAILED, or seen as cancelled if it was
//   cancelled meanwhile), at an unpredictable time. application() catches
//   everything the function throws or rejects with and completes the task
//   at once.
// - Only a GLib.Error can complete a Gio.Task with an error:
//   task.return_error() refuses other values. toGLibError() converts JS
//   exceptions, as the Python override does for Python ones.
// - A JS signal handler connected to a Gio.Cancellable runs on the thread
//   that called cancel(), which GJS refuses for any thread but the main
//   one. application() watches the instance's cancellable through
//   Gio.Cancellable.source_new() attached to the task's main context: its
//   callback always runs there, from the main loop, never inside cancel().
// - Every callback of an application runs on the thread-default main
//   context of the thread that started the instance: a JS application must
//   be started (Communicator.new(), a server) from the main thread.
// - A JS class is a "double callable" application (one instance per
//   scope, for Asgiref.FactoryApplication.new_for_type()) when it declares
//   a writable `scope` property of the boxed type Asgiref.Scope:
//   `GObject.ParamSpec.boxed('scope', '', '', GObject.ParamFlags.READWRITE |
//   GObject.ParamFlags.CONSTRUCT_ONLY, Asgiref.Scope.$gtype)`.
// - GLib.Variant.recursiveUnpack() gives `ay` as a Uint8Array (NULs
//   included) and `a(ayay)` as [[Uint8Array, Uint8Array]]; but
//   `new GLib.Variant('ay', string)` packs a NUL-terminated byte string,
//   so strings are encoded with TextEncoder first.

/**
 * The GError domain (as a string) of the errors that carry a JS exception
 * other than a GLib.Error out of an application made by application():
 * code 0, message `String(exception)` ("TypeError: message").
 */
export const JS_ERROR_DOMAIN = 'asgiref-js-exception-quark';

/**
 * The quark of JS_ERROR_DOMAIN, for `error.matches(JS_ERROR_QUARK, 0)`.
 */
export const JS_ERROR_QUARK = GLib.quark_from_string(JS_ERROR_DOMAIN);

/**
 * Converts any thrown value to a GLib.Error, the only kind of error a
 * Gio.Task (and so C code and other bindings) can carry: a GLib.Error is
 * returned as it is, anything else becomes a GLib.Error of
 * JS_ERROR_DOMAIN, code 0, whose message is `String(value)`.
 *
 * @param {*} value what was thrown
 * @returns {GLib.Error}
 */
export function toGLibError(value) {
    if (value instanceof GLib.Error)
        return value;
    let message;
    try {
        message = String(value);
    } catch (e) {
        // An object without toString(), a revoked proxy...
        message = Object.prototype.toString.call(value);
    }
    return new GLib.Error(JS_ERROR_QUARK, 0, message);
}

// ---- Messages and scopes as objects --------------------------------------

const utf8 = new TextEncoder();

// Keys whose value is a byte string in ASGI: a JS string given for one is
// sent UTF-8 encoded (elsewhere a string is an ASGI str).
const BYTES_KEYS = new Set(['body', 'bytes', 'query_string', 'raw_path']);
const HEADERS_KEYS = new Set(['headers', 'raw_headers']);
const ADDRESS_KEYS = new Set(['client', 'server']);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// A value this module cannot give an ASGI type; becomes the GLib.Error
// INVALID_MESSAGE thrown by messageFromObject() and friends.
class Unconvertible extends Error {}

function describe(value) {
    if (typeof value === 'string')
        return JSON.stringify(value);
    if (Array.isArray(value))
        return `[${value.map(describe).join(', ')}]`;
    if (value === null || typeof value !== 'object')
        return String(value);
    return value.constructor?.name ?? 'object';
}

function isPlainObject(value) {
    if (value === null || typeof value !== 'object')
        return false;
    const prototype = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
}

function byteString(value) {
    if (typeof value === 'string')
        return new GLib.Variant('ay', utf8.encode(value));
    if (value instanceof GLib.Bytes)
        return GLib.Variant.new_from_bytes(new GLib.VariantType('ay'), value, true);
    if (value instanceof Uint8Array)
        return new GLib.Variant('ay', value);
    if (value instanceof ArrayBuffer)
        return new GLib.Variant('ay', new Uint8Array(value));
    return null;
}

function headerBytes(value) {
    if (typeof value === 'string')
        return utf8.encode(value);
    if (value instanceof Uint8Array)
        return value;
    if (value instanceof GLib.Bytes)
        return value.toArray();
    if (value instanceof ArrayBuffer)
        return new Uint8Array(value);
    return null;
}

function headersVariant(key, value) {
    if (value instanceof Asgiref.Headers)
        return value.to_variant();
    if (!Array.isArray(value))
        throw new Unconvertible(`“${key}” is not an array of [name, value] pairs: ${describe(value)}`);
    return new GLib.Variant('a(ayay)', value.map((pair, i) => {
        const bytes = Array.isArray(pair) && pair.length === 2 ? pair.map(headerBytes) : [null];
        if (bytes.includes(null)) {
            throw new Unconvertible(`${key}[${i}] is not a [name, value] pair of strings ` +
                `or Uint8Arrays: ${describe(pair)}`);
        }
        // Names are lower-cased, as ASGI servers such as uvicorn accept
        // 'Content-Type' from an application; ASGI itself wants them so.
        bytes[0] = bytes[0].map(b => b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
        return bytes;
    }));
}

function variantFor(key, value) {
    if (value instanceof GLib.Variant)
        return value;
    if (HEADERS_KEYS.has(key))
        return headersVariant(key, value);
    if (BYTES_KEYS.has(key)) {
        const variant = byteString(value);
        if (variant === null) {
            throw new Unconvertible(`“${key}” is not a byte string (Uint8Array, GLib.Bytes, ` +
                `ArrayBuffer or string): ${describe(value)}`);
        }
        return variant;
    }
    switch (typeof value) {
    case 'boolean':
        return new GLib.Variant('b', value);
    case 'number':
        if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX)
            throw new Unconvertible(`“${key}” is not a 32-bit integer: ${value}`);
        return new GLib.Variant('i', value);
    case 'string':
        return new GLib.Variant('s', value);
    }
    const bytes = byteString(value);
    if (bytes !== null)
        return bytes;
    if (Array.isArray(value)) {
        if (ADDRESS_KEYS.has(key) && value.length === 2 && typeof value[0] === 'string') {
            // ASGI: client is [host, port]; server [host, port or null for
            // a Unix socket].
            const [host, port] = value;
            if (port === null || port === undefined)
                return new GLib.Variant('(smi)', [host, null]);
            if (Number.isInteger(port) && port >= INT32_MIN && port <= INT32_MAX)
                return new GLib.Variant(key === 'server' ? '(smi)' : '(si)', [host, port]);
        }
        if (value.every(item => typeof item === 'string'))
            return new GLib.Variant('as', value);
        if (value.length && value.every(pair => Array.isArray(pair) && pair.length === 2 &&
            pair.every(item => item instanceof Uint8Array)))
            return headersVariant(key, value);
    }
    if (value instanceof Asgiref.Headers)
        return value.to_variant();
    if (isPlainObject(value))
        return dictVariant(value);
    throw new Unconvertible(`“${key}” has no ASGI type: ${describe(value)}`);
}

function dictVariant(object) {
    const entries = {};
    for (const [key, value] of Object.entries(object)) {
        if (value !== null && value !== undefined)
            entries[key] = variantFor(key, value);
    }
    return new GLib.Variant('a{sv}', entries);
}

function invalid(what, message) {
    return new GLib.Error(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE,
        `Invalid ASGI ${what}: ${message}`);
}

// The a{sv} form of an object in ASGI's shape.
function objectToVariant(object, what) {
    if (!isPlainObject(object))
        throw new TypeError(`an ASGI ${what} is a plain object, not ${describe(object)}`);
    try {
        return dictVariant(object);
    } catch (e) {
        if (e instanceof Unconvertible)
            throw invalid(what, e.message);
        throw e;
    }
}

/**
 * Makes an Asgiref.Message of an ASGI message written as a plain object
 * (`{type: 'http.response.body', body: 'hello'}`): byte strings as
 * Uint8Array, GLib.Bytes, ArrayBuffer or string (UTF-8), headers as
 * [name, value] pairs of strings or Uint8Arrays (or an Asgiref.Headers),
 * integers as numbers; null and undefined values are left out. An
 * Asgiref.Message is returned as it is; an a{sv} GLib.Variant is
 * converted.
 *
 * @param {object|Asgiref.Message|GLib.Variant} object
 * @returns {Asgiref.Message}
 * @throws {GLib.Error} ASGIREF_ERROR_INVALID_MESSAGE when it is not a
 *   valid ASGI message (an unknown type, a missing key, a value of the
 *   wrong type or out of range, a malformed header), saying which key
 * @throws {TypeError} when it is not an object at all
 */
export function messageFromObject(object) {
    if (object instanceof Asgiref.Message)
        return object;
    if (object instanceof GLib.Variant)
        return Asgiref.Message.new_from_variant(object);
    return Asgiref.Message.new_from_variant(objectToVariant(object, 'message'));
}

/**
 * Makes an Asgiref.Scope of an ASGI scope written as a plain object
 * (`{type: 'http', method: 'GET', path: '/'}`), with the conversions of
 * messageFromObject(); keys ASGI makes optional get their defaults. An
 * Asgiref.Scope is returned as it is; an a{sv} GLib.Variant is converted.
 *
 * @param {object|Asgiref.Scope|GLib.Variant} object
 * @returns {Asgiref.Scope}
 * @throws {GLib.Error} ASGIREF_ERROR_INVALID_MESSAGE when it is not a
 *   valid ASGI scope
 */
export function scopeFromObject(object) {
    if (object instanceof Asgiref.Scope)
        return object;
    if (object instanceof GLib.Variant)
        return Asgiref.Scope.new_from_variant(object);
    return Asgiref.Scope.new_from_variant(objectToVariant(object, 'scope'));
}

/**
 * Makes an Asgiref.Headers of [name, value] pairs (strings or
 * Uint8Arrays; names are lower-cased, as ASGI wants them).
 *
 * @param {Array|Asgiref.Headers} pairs
 * @returns {Asgiref.Headers}
 * @throws {GLib.Error} ASGIREF_ERROR_INVALID_MESSAGE for a malformed header
 */
export function headersFromArray(pairs) {
    if (pairs instanceof Asgiref.Headers)
        return pairs;
    let variant;
    try {
        variant = headersVariant('headers', pairs);
    } catch (e) {
        if (e instanceof Unconvertible)
            throw invalid('headers', e.message);
        throw e;
    }
    return Asgiref.Headers.new_from_variant(variant);
}

function variantToObject(variant) {
    if (!(variant instanceof GLib.Variant) || variant.get_type_string() !== 'a{sv}')
        throw new TypeError(`not an ASGI message or scope: ${describe(variant)}`);
    // ay -> Uint8Array, a(ayay) -> [[Uint8Array, Uint8Array]], (si)/(smi) ->
    // [host, port], as -> [string], a{sv} -> object.
    return variant.recursiveUnpack();
}

/**
 * The plain object in ASGI's shape of an Asgiref.Message (or of an a{sv}
 * GLib.Variant): `{type: 'http.request', body: Uint8Array, more_body: false}`.
 * Byte strings are Uint8Array; headers [[Uint8Array, Uint8Array]]. A new
 * object every time.
 *
 * @param {Asgiref.Message|GLib.Variant} message
 * @returns {object}
 */
export function messageToObject(message) {
    if (message instanceof Asgiref.Message)
        return variantToObject(message.to_variant());
    return variantToObject(message);
}

/**
 * The plain object in ASGI's shape of an Asgiref.Scope (or of an a{sv}
 * GLib.Variant): `{type: 'http', asgi: {version: '3.0', ...}, method,
 * path, query_string: Uint8Array, headers: [[Uint8Array, Uint8Array]],
 * client: [host, port], ...}`. A new object every time.
 *
 * @param {Asgiref.Scope|GLib.Variant} scope
 * @returns {object}
 */
export function scopeToObject(scope) {
    if (scope instanceof Asgiref.Scope)
        return variantToObject(scope.to_variant());
    return variantToObject(scope);
}

// ---- application() --------------------------------------------------------

// Starts `start(...args, callback)` and returns a Promise of `finish(result)`.
function callAsync(object, start, finish, args) {
    return new Promise((resolve, reject) => {
        start.call(object, ...args, (source, result) => {
            try {
                resolve(finish.call(object, result));
            } catch (e) {
                reject(e);
            }
        });
    });
}

// Whether a try_send() or try_receive() failed only because it would have
// had to wait.
function wouldBlock(e) {
    return e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.WOULD_BLOCK);
}

// Runs one instance of an application function and completes `task` with
// what it produced.
function callApplication(fn, nativeScope, channel, task) {
    const cancellable = task.get_cancellable();
    // The instance's own: the caller entered it around this call.
    const context = Asgiref.Context.get_current();
    const within = promise => resumeWithin(context, promise);
    const receive = () => {
        // A message already there (a body the server read, the request
        // without one) needs no callback and no turn of the main loop.
        try {
            return within(Promise.resolve(messageToObject(channel.try_receive())));
        } catch (e) {
            if (!wouldBlock(e))
                return within(Promise.reject(e));
        }
        return within(callAsync(channel, channel.receive_async,
            channel.receive_finish, [cancellable]).then(messageToObject));
    };
    const send = message => {
        let native;
        try {
            native = messageFromObject(message);
        } catch (e) {
            // Refused before it reached the channel: the channel still
            // hears of it, so that the server reports it even when the
            // application ignores the rejection.
            channel.note_refused(toGLibError(e));
            return within(Promise.reject(e));
        }
        // Most sends are taken at once (the start, a whole body): those
        // need no callback and no turn of the main loop.
        try {
            return within(Promise.resolve(channel.try_send(native)));
        } catch (e) {
            if (!wouldBlock(e))
                return within(Promise.reject(e));
        }
        return within(callAsync(channel, channel.send_async, channel.send_finish,
            [native, cancellable]));
    };
    const request = nativeScope.get_kind() !== Asgiref.ScopeKind.LIFESPAN;

    if (request)
        liveRequests++;
    let outcome;
    try {
        outcome = Promise.resolve(fn(scopeToObject(nativeScope),
            {receive, send, within, channel, cancellable}));
    } catch (e) {
        outcome = Promise.reject(e);
    }

    // The first of: the function settled, or the instance was cancelled.
    // The channel makes pending and later receives and sends fail with
    // G_IO_ERROR_CANCELLED on cancellation, which ends most functions; one
    // waiting for something else must not keep the instance alive, as
    // asyncio would have raised CancelledError at its await.
    let completed = false;
    let watch = null;
    const complete = (ok, error) => {
        if (completed)
            return;
        completed = true;
        if (request)
            liveRequests--;
        watch?.destroy();
        watch = null;
        if (ok)
            task.return_boolean(true);
        else
            task.return_error(toGLibError(error));
    };
    if (cancellable) {
        watch = cancellable.source_new();
        watch.set_priority(GLib.PRIORITY_DEFAULT);
        watch.set_name('[asgiref] JS application cancelled');
        watch.set_callback(() => {
            complete(false, cancelledError());
            return GLib.SOURCE_REMOVE;
        });
        watch.attach(task.get_context());
    }
    outcome.then(() => complete(true), error => complete(false, error));
}

/**
 * Makes an Asgiref.Application of an async function, asgiref's
 * `async def application(scope, receive, send)`:
 * `fn(scope, {receive, send, channel, cancellable})`.
 *
 * - `scope`: the instance's scope as a plain object in ASGI's shape
 *   (scopeToObject(): `scope.type`, `scope.path`, `scope.headers` as
 *   [[Uint8Array, Uint8Array]], ...); the Asgiref.Scope itself is
 *   `channel.get_scope()`.
 * - `receive()`: a Promise of the next message the server sent, a plain
 *   object (messageToObject(): `{type: 'http.request', body: Uint8Array,
 *   more_body: false}`); rejects with a GLib.Error (G_IO_ERROR_CLOSED once
 *   the server is gone, G_IO_ERROR_CANCELLED once the instance is
 *   cancelled).
 * - `send(message)`: sends a message, a plain object (converted by
 *   messageFromObject(): `{type: 'http.response.start', status: 200,
 *   headers: [['content-type', 'text/plain']]}`), an Asgiref.Message or an
 *   a{sv} GLib.Variant; a Promise that resolves (true) once the server
 *   took it, or rejects with a GLib.Error (ASGIREF_ERROR_INVALID_MESSAGE
 *   for an invalid message, ASGIREF_ERROR_PROTOCOL for a message out of
 *   order, G_IO_ERROR_CLOSED, G_IO_ERROR_CANCELLED) or a TypeError for
 *   something that is not a message at all. A send that was not awaited
 *   still keeps its place in the order.
 * - `within(promise)`: a promise that settles as `promise` does and, like
 *   receive() and send(), resumes the function in the instance's
 *   Asgiref.Context. GJS runs the code after an `await` from its promise
 *   job queue, outside any context; after awaiting another promise the
 *   function runs in the main thread's shared context, where an
 *   Asgiref.Local's get(), set(), has() and delete() throw while requests
 *   are being served (see docs/context-and-local.md).
 * - `channel`, `cancellable`: the instance's Asgiref.Channel and
 *   Gio.Cancellable, for other async calls that should stop with it.
 *
 * `fn` may also be a plain function returning a promise or a value. The
 * instance ends when its promise settles: normally when it resolves
 * (whatever the value), with the error when it rejects or `fn` throws
 * (converted by toGLibError()). When the instance is cancelled (a server
 * dropping it, a Communicator timing out) it ends at once with
 * G_IO_ERROR_CANCELLED, whether or not the function's promise settled;
 * the function itself cannot be interrupted, but its receives and sends
 * fail from then on.
 *
 * `fn` is called on the main thread, once per instance, from
 * Asgiref.Application.call_async() (for a Communicator: inside
 * Asgiref.Communicator.new()).
 *
 * @param {Function} fn async (scope, {receive, send, within, channel, cancellable})
 * @returns {Asgiref.Application} an Asgiref.FunctionApplication
 */
export function application(fn) {
    if (typeof fn !== 'function')
        throw new TypeError(`application() needs a function, not ${fn}`);
    return Asgiref.FunctionApplication.new(
        (scope, channel, task) => callApplication(fn, scope, channel, task));
}

function microseconds(timeoutMs) {
    if (timeoutMs === null || timeoutMs === undefined || timeoutMs < 0 || timeoutMs === Infinity)
        return -1;
    return Math.round(timeoutMs * 1000);
}

if (!Asgiref.Communicator.prototype[marker]) {
    define(Asgiref.Communicator.prototype, {
        [marker]: true,

        /**
         * Queues `message` for the application's next receive: a plain
         * object in ASGI's shape (see messageFromObject()), an
         * Asgiref.Message or an a{sv} GLib.Variant; throws a GLib.Error
         * (ASGIREF_ERROR_INVALID_MESSAGE) for an invalid one.
         *
         * @param {object|Asgiref.Message|GLib.Variant} message
         * @returns {Asgiref.Communicator} this
         */
        sendInput(message) {
            this.send_input(messageFromObject(message));
            return this;
        },

        /**
         * A Promise of the next message the application sent, as a plain
         * object (messageToObject()). Rejects with G_IO_ERROR_TIMED_OUT
         * when nothing came in `timeoutMs` (and cancels the instance, as
         * asgiref does), with the application's error once it failed, or
         * with ASGIREF_ERROR_FINISHED once it returned and everything it
         * sent was received.
         *
         * @param {number} [timeoutMs=1000] negative or Infinity: no limit
         * @param {Gio.Cancellable} [cancellable]
         * @returns {Promise<object>}
         */
        receiveOutput(timeoutMs = 1000, cancellable = null) {
            return callAsync(this, this.receive_output_async, this.receive_output_finish,
                [microseconds(timeoutMs), cancellable]).then(messageToObject);
        },

        /**
         * A Promise of whether the application sent nothing for
         * `timeoutMs`, looking every `intervalMs`: false as soon as
         * something came (it stays queued for receiveOutput()). Rejects
         * with the application's error if it failed.
         *
         * @param {number} [timeoutMs=100]
         * @param {number} [intervalMs=10]
         * @param {Gio.Cancellable} [cancellable]
         * @returns {Promise<boolean>}
         */
        receiveNothing(timeoutMs = 100, intervalMs = 10, cancellable = null) {
            return callAsync(this, this.receive_nothing_async, this.receive_nothing_finish,
                [Math.max(0, microseconds(timeoutMs)), Math.max(1, microseconds(intervalMs)),
                    cancellable]);
        },

        /**
         * A Promise that resolves (true) when the instance ended normally.
         * If it has not ended in `timeoutMs`, cancels it, and rejects with
         * G_IO_ERROR_TIMED_OUT once it ended; rejects with the
         * application's error if it failed. asgiref's `wait()`.
         *
         * @param {number} [timeoutMs=1000] negative or Infinity: no limit
         * @param {Gio.Cancellable} [cancellable]
         * @returns {Promise<boolean>}
         */
        waitForEnd(timeoutMs = 1000, cancellable = null) {
            return callAsync(this, this.wait_async, this.wait_finish,
                [microseconds(timeoutMs), cancellable]);
        },
    });

    // Asgiref.Communicator.new(application, scope) takes a scope object
    // (or an a{sv} GLib.Variant) too.
    const newCommunicator = Asgiref.Communicator.new;
    Asgiref.Communicator.new = function (application, scope) {
        return newCommunicator.call(this, application, scopeFromObject(scope));
    };
}

export default {
    wrap, syncToAsync, application, toGLibError, JS_ERROR_DOMAIN, JS_ERROR_QUARK,
    messageFromObject, messageToObject, scopeFromObject, scopeToObject, headersFromArray,
};
