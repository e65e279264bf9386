# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/server.md's Flask application served in-process, run: a client
asks for a page once it listens, then stops the guide's loop with
Ctrl-C, as a reader would. The fragment is here as it is
(check-snippets.py compares them)."""

import importlib.util
import io
import os
import re
import signal
import sys
import threading
import urllib.request

if importlib.util.find_spec('flask') is None:
    sys.exit(77)                       # a skip: Debian's python3-flask is not installed

GUARD = 30


class Printed(io.StringIO):
    """Stands in for stdout: the client takes the port from the line the
    guide's code prints, as a reader would, and waits for that line on a
    condition rather than polling the text."""

    def __init__(self):
        super().__init__()
        self.written = threading.Condition()

    def write(self, text):
        with self.written:
            count = super().write(text)
            self.written.notify_all()
        return count

    def wait_for_match(self, pattern):
        """The match of @pattern at the start of what was printed; None
        if nothing matches within GUARD seconds (a failure guard only)."""
        with self.written:
            return self.written.wait_for(lambda: re.match(pattern, self.getvalue()), GUARD)


printed = sys.stdout = Printed()
answers = []
# Set, in case this process was started with SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)


def client():
    """Once the server says its port: a request, then Ctrl-C."""
    try:
        said = printed.wait_for_match(r'serving on port (\d+)\n')
        assert said, 'the server did not listen'
        url = 'http://127.0.0.1:%s/hello/ann' % said.group(1)
        with urllib.request.urlopen(url, timeout=GUARD) as response:
            answers.append((response.status, response.read()))
    finally:
        os.kill(os.getpid(), signal.SIGINT)


import flask
import gi
gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref, GLib

app = flask.Flask(__name__)

@app.route('/hello/<name>')
def hello(name):
    return f'hello {name}'

def on_started(server, result):
    server.start_finish(result)
    server.listen_local(0)                   # 127.0.0.1, any free port
    print('serving on port', server.get_port())

threading.Thread(target=client).start()
try:
    server = Asgiref.Server.new(Asgiref.WsgiApplication.new_for_callable(app))
    server.start_async(None, on_started)
    GLib.MainLoop().run()
except KeyboardInterrupt:                    # the client's Ctrl-C, once it had its answer
    pass

sys.stdout = sys.__stdout__
assert answers == [(200, b'hello ann')], answers
