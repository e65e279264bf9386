# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Flask application of the framework benchmark (bench/frameworks.sh), and
the program that serves it with AsgirefServer: `flask_hello.py` prints the
port it listens on (127.0.0.1, any free port) and serves until SIGTERM."""

import os
import signal
import sys

import flask

app = flask.Flask(__name__)


@app.route('/')
def hello():
    return 'Hello'


def serve():
    import gi
    gi.require_version('Asgiref', '1.0')
    from gi.repository import Asgiref, GLib

    loop = GLib.MainLoop()
    server = Asgiref.Server.new(Asgiref.WsgiApplication.new_for_callable(app))

    def started(server, result):
        server.start_finish(result)
        server.listen_local(0)
        print(server.get_port(), flush=True)

    def stop(*_args):
        server.stop_async(None, lambda *args: loop.quit())
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop)
    server.start_async(None, started)
    loop.run()


if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    serve()
