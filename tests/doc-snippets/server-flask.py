# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/server.md's Flask application served in-process, run: a client
asks for a page once it listens, then stops the guide's loop with
Ctrl-C, as a reader would. The fragment is here as it is
(check-snippets.py compares them)."""

import importlib.util
import sys
import threading

import doc_util

if importlib.util.find_spec('flask') is None:
    sys.exit(77)                       # a skip: Debian's python3-flask is not installed

printed, answers, client = doc_util.print_to_a_client(r'serving on port (\d+)\n', '/hello/ann')


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
