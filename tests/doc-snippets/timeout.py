# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/timeout.md's Python fragment, run: a read from a pipe that nothing
writes to, cut short by the deadline, raises TIMED_OUT from the guide's
callback. The fragment is here as it is (check-snippets.py compares
them)."""

import os
import time

import gi
gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref, Gio, GLib

GUARD = 30
reading, writing = os.pipe()
stream = Gio.UnixInputStream.new(reading, True)

timeout = Asgiref.Timeout.new(5 * GLib.USEC_PER_SEC, None)

def done(stream, result):
    try:
        data = stream.read_bytes_finish(result)
    except GLib.Error as e:
        if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
            timeout.set_error_if_expired()   # raises TIMED_OUT instead
        raise

# What the guide's callback raises, kept: raised out of a GLib callback,
# it would only be printed.
raised = []
documented_done = done


def done(stream, result):
    try:
        documented_done(stream, result)
    except GLib.Error as error:
        raised.append(error)


stream.read_bytes_async(4096, GLib.PRIORITY_DEFAULT,
                        timeout.get_cancellable(), done)

# The test does not wait five seconds: the deadline is now.
timeout.update(GLib.get_monotonic_time())
deadline = time.monotonic() + GUARD
while not raised:
    assert time.monotonic() < deadline, 'the read did not end'
    GLib.MainContext.default().iteration(True)
os.close(writing)
assert timeout.get_expired()
assert raised[0].matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT), raised
