// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the JavaScript files of tests/doc-snippets share: waiting for
// what the guides' code does later, a client for the fragments that
// serve, print() kept for the assertions, and the assertions themselves.
// Any failure throws, so that `gjs -m` exits non-zero.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Soup from 'gi://Soup?version=3.0';

const GUARD_MS = 30000;

Gio._promisify(Soup.Session.prototype, 'send_and_read_async', 'send_and_read_finish');

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new Error(message);
}

export function assertEqual(actual, expected) {
    const [a, b] = [JSON.stringify(actual), JSON.stringify(expected)];
    assert(a === b, `${a} !== ${b}`);
}

// Resolves with condition()'s value once it is truthy, looking every
// 10 ms while the main loop runs; rejects after GUARD_MS.
export function until(condition) {
    const deadline = GLib.get_monotonic_time() + GUARD_MS * 1000;
    return new Promise((resolve, reject) => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
            const value = condition();
            if (value)
                resolve(value);
            else if (GLib.get_monotonic_time() > deadline)
                reject(new Error(`timed out waiting for ${condition}`));
            else
                return GLib.SOURCE_CONTINUE;
            return GLib.SOURCE_REMOVE;
        });
    });
}

// GETs @path from 127.0.0.1:@port: [status, body as text].
export async function get(port, path) {
    const session = new Soup.Session();
    const message = Soup.Message.new('GET', `http://127.0.0.1:${port}${path}`);
    const body = await session.send_and_read_async(message, GLib.PRIORITY_DEFAULT, null);
    return [message.get_status(), new TextDecoder().decode(body.toArray())];
}

// What print() printed since keepPrinted().
export const printed = [];

export function keepPrinted() {
    globalThis.print = (...args) => printed.push(args.map(String).join(' '));
}
