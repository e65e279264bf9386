// SPDX-License-Identifier: LGPL-2.1-or-later
//
// docs/timeout.md's JavaScript fragment, run: a read from a connection
// that sends nothing, cut short by the deadline, throws TIMED_OUT. The
// fragment is here as it is (check-snippets.py compares them).

import Asgiref from 'gi://Asgiref?version=1.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import {assert} from './doc-util.js';

// A connection to a listener that never answers.
const listener = new Gio.SocketListener();
const port = listener.add_any_inet_port(null);
const connection = new Gio.SocketClient().connect_to_host(`127.0.0.1:${port}`, 0, null);
const stream = connection.get_input_stream();

Gio._promisify(Gio.InputStream.prototype, 'read_bytes_async', 'read_bytes_finish');

async function read(stream, timeout) {
    try {
        return await stream.read_bytes_async(4096, GLib.PRIORITY_DEFAULT,
            timeout.get_cancellable());
    } catch (e) {
        if (e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
            timeout.set_error_if_expired();  // throws TIMED_OUT instead
        throw e;
    }
}

const timeout = Asgiref.Timeout.new(5 * GLib.USEC_PER_SEC, null);

// The test does not wait five seconds: the deadline is now.
timeout.update(GLib.get_monotonic_time());
let failure = null;
try {
    const bytes = await read(stream, timeout);   // or TIMED_OUT after 5 s with no data
    assert(false, `read ${bytes.get_size()} bytes from nothing`);
} catch (e) {
    failure = e;
}
assert(failure instanceof GLib.Error, `${failure}`);
assert(failure.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), `${failure}`);
connection.close(null);
listener.close();
