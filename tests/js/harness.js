// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A minimal test harness for the GJS tests: `test(name, fn)` registers a
// test, `run()` runs them in order (async functions are awaited, with the
// GLib main loop running meanwhile) and exits non-zero if any assertion
// failed, so `gjs -m` reports the failure to meson.

import GLib from 'gi://GLib';
import System from 'system';

const tests = [];

export function test(name, fn) {
    tests.push({name, fn});
}

export class AssertionError extends Error {}

function show(value) {
    try {
        if (typeof value === 'string')
            return JSON.stringify(value);
        if (typeof value === 'object' && value !== null && !(value instanceof Array) &&
            Object.getPrototypeOf(value) !== Object.prototype)
            return String(value);
        const json = JSON.stringify(value);
        return json === undefined ? String(value) : json;
    } catch (e) {
        return String(value);
    }
}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
    if (actual !== expected) {
        throw new AssertionError(
            `${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`);
    }
}

export function assertDeepEqual(actual, expected, message = '') {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e)
        throw new AssertionError(`${message ? `${message}: ` : ''}expected ${e}, got ${a}`);
}

export function assertThrows(fn, check = () => true, message = 'expected an exception') {
    try {
        fn();
    } catch (e) {
        if (!check(e))
            throw new AssertionError(`${message}: wrong exception ${e}`);
        return e;
    }
    throw new AssertionError(message);
}

// Runs `start(done)` inside a main loop until done() is called, failing
// after `timeoutMs`.
export function runLoop(start, timeoutMs = 10000) {
    const loop = new GLib.MainLoop(null, false);
    let error = null, timedOut = false;
    const done = (e = null) => {
        error = error ?? e;
        loop.quit();
    };
    const guard = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => {
        timedOut = true;
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        try {
            start(done);
        } catch (e) {
            done(e);
        }
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    if (!timedOut)
        GLib.source_remove(guard);
    if (error)
        throw error;
    if (timedOut)
        throw new AssertionError(`main loop did not finish in ${timeoutMs} ms`);
}

// Wraps a callback so that an exception in it ends the loop with a failure
// instead of being logged and swallowed by GJS.
export function checked(done, fn) {
    return function (...args) {
        try {
            return fn.apply(this, args);
        } catch (e) {
            done(e);
            return GLib.SOURCE_REMOVE;
        }
    };
}

export function run(suiteName) {
    let failed = 0;
    print(`TAP version 13`);
    print(`1..${tests.length}`);
    tests.forEach(({name, fn}, i) => {
        try {
            fn();
            print(`ok ${i + 1} ${suiteName}: ${name}`);
        } catch (e) {
            failed++;
            print(`not ok ${i + 1} ${suiteName}: ${name}`);
            printerr(`# ${e}\n${e.stack ?? ''}`.split('\n').join('\n# '));
        }
    });
    if (failed) {
        printerr(`# ${failed} of ${tests.length} failed`);
        System.exit(1);
    }
}
