#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An HTTP server whose application keeps a request-scoped Local and calls
a blocking function through the bridge: the function runs on a worker
thread, reads the Local of its own request there, and the main loop
serves other requests meanwhile.

    /usr/bin/python3 server.py [PORT]    (0, the default, for any free port)
"""

import itertools
import signal
import sys
import time

import gi

gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref, GLib, GObject  # noqa: E402

local = Asgiref.Local()
numbers = itertools.count(1)


@Asgiref.sync_to_async(thread_sensitive=False)
def look_up():
    """On a worker thread: where a database query or a file read would go."""
    time.sleep(0.02)
    return local.request        # the request's context came along


class App(GObject.Object, Asgiref.Application):
    def do_call(self, scope, channel, task):
        if scope.get_kind() != Asgiref.ScopeKind.HTTP:
            task.return_boolean(True)           # no lifespan: ending says so
            return
        local.request = 'request %d' % next(numbers)   # this request's own

        def answer(future):
            seen = future.result()
            body = ('%s, read on a worker thread: %s\n' % (local.request, seen)).encode()
            channel.send_async({'type': 'http.response.start', 'status': 200}, None, None)
            channel.send_async({'type': 'http.response.body', 'body': body}, None,
                               lambda channel, result: task.return_boolean(channel.send_finish(result)))

        # The callback runs on the main loop, back in this request's context.
        look_up().add_done_callback(answer)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    loop = GLib.MainLoop()
    server = Asgiref.Server.new(App())

    def started(server, result):
        server.start_finish(result)             # listen once the application started
        server.listen_local(port)
        print('Serving on http://127.0.0.1:%d/' % server.get_port(), flush=True)

    def stop():
        server.stop_async(None, lambda server, result: loop.quit())
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, stop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop)
    server.start_async(None, started)
    loop.run()


if __name__ == '__main__':
    main()
