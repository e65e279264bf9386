// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Asgiref.Timeout from GJS: expiry on the main loop cuts an operation short
// and translates to TIMED_OUT, no deadline, reject, moving the deadline,
// the parent cancellable.

import Asgiref from 'gi://Asgiref?version=1.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import {assert, assertEqual, assertThrows, checked, run, runLoop, test} from './harness.js';

const FAR_US = 60 * GLib.USEC_PER_SEC;

function isIOError(error, code) {
    return error instanceof GLib.Error && error.matches(Gio.io_error_quark(), code);
}

// Runs one non-blocking iteration of the default main context.
function iteratePending() {
    return GLib.MainContext.default().iteration(false);
}

// A listening socket nobody connects to: accepting on it is a real GIO
// operation that only a cancellation ends.
function newListener() {
    const listener = new Gio.SocketListener();
    listener.add_any_inet_port(null);
    return listener;
}

test('constructors and properties', () => {
    const before = GLib.get_monotonic_time();
    const relative = Asgiref.Timeout.new(FAR_US, null);
    const after = GLib.get_monotonic_time();
    assert(relative.get_deadline() >= before + FAR_US && relative.get_deadline() <= after + FAR_US,
        'the deadline is the delay from now');
    assert(relative.get_remaining() > 0 && relative.get_remaining() <= FAR_US, 'remaining');
    assertEqual(relative.expired, false);
    assert(relative.cancellable instanceof Gio.Cancellable, 'cancellable property');
    assertEqual(relative.get_cancellable(), relative.cancellable);

    const infinite = Asgiref.Timeout.new_infinite(null);
    assertEqual(infinite.get_deadline(), -1);
    assertEqual(infinite.get_remaining(), -1);

    const constructed = new Asgiref.Timeout({deadline: after + FAR_US});
    assertEqual(constructed.deadline, after + FAR_US);
    assertEqual(new Asgiref.Timeout().deadline, -1);
});

test('expiry on the main loop cuts an operation short with TIMED_OUT', () => {
    const listener = newListener();
    const timeout = Asgiref.Timeout.new(1000, null);
    const notified = [];
    let error = null, translated = null;

    timeout.connect('notify::expired', t => notified.push(t.expired));
    runLoop(done => {
        listener.accept_async(timeout.get_cancellable(), checked(done, (source, result) => {
            try {
                source.accept_finish(result);
            } catch (e) {
                error = e;
                // The binding idiom for asgiref_timeout_translate_error().
                if (isIOError(e, Gio.IOErrorEnum.CANCELLED)) {
                    try {
                        timeout.set_error_if_expired();
                    } catch (t) {
                        translated = t;
                    }
                }
            }
            done();
        }));
    });
    listener.close();

    assert(isIOError(error, Gio.IOErrorEnum.CANCELLED), `cancelled, got ${error}`);
    assert(isIOError(translated, Gio.IOErrorEnum.TIMED_OUT), `timed out, got ${translated}`);
    assertEqual(translated.message, 'Operation timed out');
    assertEqual(timeout.expired, true);
    assertEqual(timeout.get_remaining(), 0);
    assertEqual(timeout.get_cancellable().is_cancelled(), true);
    assertEqual(notified.length, 1);
    assertEqual(notified[0], true);
});

test('a delay of zero expires at the next iteration', () => {
    const timeout = Asgiref.Timeout.new(0, null);
    assertEqual(timeout.expired, false);
    assertEqual(timeout.get_remaining(), 0);
    while (!timeout.expired)
        assert(iteratePending(), 'the timer was dispatched');
    assertEqual(timeout.get_cancellable().is_cancelled(), true);
});

test('an infinite timeout is a no-op', () => {
    const timeout = Asgiref.Timeout.new_infinite(null);
    runLoop(done => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20, () => {
        done();
        return GLib.SOURCE_REMOVE;
    }));
    assertEqual(timeout.expired, false);
    assertEqual(timeout.get_cancellable().is_cancelled(), false);
    assertEqual(timeout.set_error_if_expired(), false);

    const e = assertThrows(() => timeout.shift(GLib.USEC_PER_SEC),
        x => isIOError(x, Gio.IOErrorEnum.NOT_SUPPORTED));
    assertEqual(e.message, 'Cannot shift a timeout that has no deadline');

    assertEqual(timeout.update(GLib.get_monotonic_time() - 1), true);
    while (!timeout.expired)
        assert(iteratePending(), 'the timer was dispatched');
});

test('reject() prevents expiry', () => {
    const timeout = Asgiref.Timeout.new(0, null);
    assertEqual(timeout.reject(), true);
    assertEqual(timeout.get_deadline(), -1);
    runLoop(done => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20, () => {
        done();
        return GLib.SOURCE_REMOVE;
    }));
    assertEqual(timeout.expired, false);
    assertEqual(timeout.get_cancellable().is_cancelled(), false);
});

test('shift() and update() move the deadline; not after expiry', () => {
    const timeout = Asgiref.Timeout.new(0, null);
    const deadline = timeout.get_deadline();
    assertEqual(timeout.shift(FAR_US), true);
    assertEqual(timeout.get_deadline(), deadline + FAR_US);
    assertEqual(iteratePending(), false, 'nothing to dispatch for a minute');

    assertEqual(timeout.update(0), true);
    while (!timeout.expired)
        assert(iteratePending(), 'the timer was dispatched');

    assertThrows(() => timeout.shift(FAR_US), x => isIOError(x, Gio.IOErrorEnum.TIMED_OUT));
    assertThrows(() => timeout.update(GLib.get_monotonic_time() + FAR_US),
        x => isIOError(x, Gio.IOErrorEnum.TIMED_OUT));
    assertEqual(timeout.reject(), false);
    assertEqual(timeout.expired, true);
});

test('cancelling the parent is not a timeout', () => {
    const listener = newListener();
    const parent = new Gio.Cancellable();
    const timeout = Asgiref.Timeout.new(FAR_US, parent);
    let error = null, expired = null;

    runLoop(done => {
        listener.accept_async(timeout.get_cancellable(), checked(done, (source, result) => {
            try {
                source.accept_finish(result);
            } catch (e) {
                error = e;
                expired = timeout.set_error_if_expired();
            }
            done();
        }));
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            parent.cancel();
            return GLib.SOURCE_REMOVE;
        });
    });
    listener.close();

    assert(isIOError(error, Gio.IOErrorEnum.CANCELLED), `cancelled, got ${error}`);
    assertEqual(expired, false);
    assertEqual(timeout.expired, false);
});

run('Timeout');
