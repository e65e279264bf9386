// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS helper for Asgiref: idiomatic Local and Context.
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

import GObject from 'gi://GObject';
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

export default {wrap};
