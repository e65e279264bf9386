// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Asgiref.Local from GJS: the helper's get/set/has/delete, values of every
// JS type, scopes, and per-context initialisation by a JS subclass
// (vfunc_initialize) or an "initialize" handler.

import Asgiref from 'gi://Asgiref?version=1.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';

import '../../gir/asgiref.js';
import {assert, assertDeepEqual, assertEqual, run, test} from './harness.js';

test('get/set/has/delete, undefined when unset', () => {
    const local = new Asgiref.Local();
    new Asgiref.Context().run(() => {
        assertEqual(local.get('requestId'), undefined);
        assertEqual(local.has('requestId'), false);
        assertEqual(local.set('requestId', 42), local, 'set() chains');
        assertEqual(local.get('requestId'), 42);
        assertEqual(local.has('requestId'), true);
        local.set('requestId', 43);
        assertEqual(local.get('requestId'), 43);
        assertEqual(local.delete('requestId'), true);
        assertEqual(local.delete('requestId'), false);
        assertEqual(local.get('requestId'), undefined);
        assertEqual(local.has('requestId'), false);
    });
});

test('the introspected API sees what the helper stores', () => {
    const local = new Asgiref.Local();
    new Asgiref.Context().run(() => {
        local.set('b', 'two').set('a', 1);
        assertDeepEqual(local.list_names(), ['a', 'b']);
        assertEqual(local.contains('a'), true);
        const [ok, value] = local.get_value('b');
        assertEqual(ok, true);
        assertEqual(value, 'two');
        assertEqual(local.remove('a'), true);
        assertEqual(local.get_scope(), Asgiref.LocalScope.CONTEXT);
    });
});

test('values of every JS type round-trip, objects by identity', () => {
    const local = new Asgiref.Local();
    const cancellable = new Gio.Cancellable();
    const fn = () => 1;
    class Point {
        constructor(x) {
            this.x = x;
        }
    }
    const values = [
        0, -1, 2.5, 2 ** 40, Number.MAX_SAFE_INTEGER, NaN, Infinity,
        '', 'text', 'ünïcödé ✓', true, false, null, undefined,
        {a: 1}, [1, 2, 3], [], fn, new Map([[1, 2]]), new Point(3),
        Object.create(null), 10n ** 30n, cancellable,
        new GLib.Variant('as', ['x']),
    ];
    new Asgiref.Context().run(() => {
        for (const [i, value] of values.entries()) {
            const what = `values[${i}] (${typeof value})`;
            local.set('value', value);
            assertEqual(local.has('value'), true, `has ${what}`);
            const back = local.get('value');
            if (typeof value === 'number' && isNaN(value))
                assert(Number.isNaN(back), what);
            else if (value instanceof GLib.Variant)
                assertDeepEqual(back.deepUnpack(), ['x'], what);
            else
                assertEqual(back, value, what);
        }
    });
});

test('a stored object is shared with the copies of its context', () => {
    const local = new Asgiref.Local();
    const parent = new Asgiref.Context();
    const headers = {};
    parent.run(() => local.set('headers', headers));
    parent.copy().run(() => {
        local.get('headers').x = 1;
    });
    assertEqual(parent.run(() => local.get('headers')), headers);
    assertEqual(headers.x, 1);
});

test('constructors and the scope property', () => {
    assertEqual(new Asgiref.Local().get_scope(), Asgiref.LocalScope.CONTEXT);
    assertEqual(new Asgiref.Local({scope: Asgiref.LocalScope.THREAD_CRITICAL}).get_scope(),
        Asgiref.LocalScope.THREAD_CRITICAL);
    assertEqual(Asgiref.Local.new_thread_critical().scope, Asgiref.LocalScope.THREAD_CRITICAL);
    assertEqual(Asgiref.Local.new_for_main_context().get_scope(),
        Asgiref.LocalScope.MAIN_CONTEXT);
});

test('a thread-critical Local outside a main loop is per thread, not per context', () => {
    const critical = Asgiref.Local.new_thread_critical();
    new Asgiref.Context().run(() => critical.set('v', 'one value per thread'));
    assertEqual(critical.get('v'), 'one value per thread');
    assertEqual(new Asgiref.Context().run(() => critical.get('v')), 'one value per thread');
    critical.delete('v');
});

const RequestLocal = GObject.registerClass({
    GTypeName: 'TestJsRequestLocal',
}, class RequestLocal extends Asgiref.Local {
    constructor(params = {}) {
        super(params);
        this.initialized = 0;
    }

    vfunc_initialize() {
        this.initialized++;
        this.set('user', 'anonymous');
        this.set('calls', []);
    }
});

test('a JS subclass initialises each context once with vfunc_initialize', () => {
    const local = new RequestLocal();
    assert(local instanceof Asgiref.Local);
    assertEqual(local.initialized, 0);
    const a = new Asgiref.Context();
    const b = new Asgiref.Context();

    a.run(() => {
        assertEqual(local.get('user'), 'anonymous');
        local.set('user', 'alice');
        local.get('calls').push(1);
        local.delete('user');
        assertEqual(local.has('user'), false);
    });
    assertEqual(local.initialized, 1);

    a.run(() => {
        assertEqual(local.get('user'), undefined, 'not initialised again');
        assertDeepEqual(local.get('calls'), [1]);
    });
    assertEqual(local.initialized, 1);

    b.run(() => {
        assertEqual(local.get('user'), 'anonymous');
        assertDeepEqual(local.get('calls'), []);
    });
    assertEqual(local.initialized, 2);

    a.copy().run(() => assertDeepEqual(local.get('calls'), [1]));
    assertEqual(local.initialized, 2, 'a copy inherits the initialised state');

    new Asgiref.Context().run(() => local.set('other', 1));
    assertEqual(local.initialized, 3, 'a write initialises too');
    new Asgiref.Context().run(() => local.has('other'));
    assertEqual(local.initialized, 4, 'and so does has()');
});

test('an initialize handler gives defaults', () => {
    const local = new Asgiref.Local();
    const runs = [];
    local.connect('initialize', self => {
        runs.push(self);
        self.set('locale', 'C');
    });
    new Asgiref.Context().run(() => {
        assertEqual(local.get('locale'), 'C');
        local.set('locale', 'de_DE');
        assertEqual(local.get('locale'), 'de_DE');
    });
    new Asgiref.Context().run(() => assertEqual(local.get('locale'), 'C'));
    assertEqual(runs.length, 2);
    assert(runs.every(r => r === local), 'the handler gets the Local');
});

run('local');
