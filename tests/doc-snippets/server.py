# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/server.md's Python server, run, and the access log line the guide
shows, checked against what asgiref-serve logs for the same request to
the guide's module (serve-module.c). Each fragment is here as it is
(check-snippets.py compares them)."""

import os
import re
import select
import signal
import subprocess
import sys
import threading
import urllib.request

import doc_util
from doc_util import GUARD
import gi
gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref, GLib, GObject


class Hello(GObject.Object, Asgiref.Application):
    """docs/applications.md's application: it answers with the path."""

    def do_call(self, scope, channel, task):
        scope = scope.to_dict()
        if scope['type'] != 'http':
            task.return_boolean(True)
            return
        channel.send_async({'type': 'http.response.start', 'status': 200}, None, None)
        channel.send_async({'type': 'http.response.body', 'body': scope['path'].encode()}, None,
                           lambda channel, result: task.return_boolean(channel.send_finish(result)))


# {{{ The server, stopped with Ctrl-C as a reader would stop it

printed, answers, client = doc_util.print_to_a_client(r'listening on port (\d+)\n', '/hello')

server = Asgiref.Server.new(Hello())

def on_started(server, result):
    server.start_finish(result)          # raises GLib.Error if the startup failed
    server.listen_local(0)
    print('listening on port', server.get_port())

threading.Thread(target=client).start()
try:
    server.start_async(None, on_started)
    GLib.MainLoop().run()
except KeyboardInterrupt:                # the client's Ctrl-C, once it had its answer
    pass

sys.stdout = sys.__stdout__
assert answers == [(200, b'/hello')], answers
assert printed.getvalue() == 'listening on port %d\n' % server.get_port(), printed.getvalue()

# }}}

# {{{ The access log

# The line the guide shows, which asgiref-serve --access-log prints for
# the same request (the date aside):
DOCUMENTED = '''
127.0.0.1 - - [02/Dec/2026:21:00:00 +0000] "GET /a%20b?c=1 HTTP/1.1" 200 5
'''.strip()

ANY_DATE = r'\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}'
pattern = re.escape(DOCUMENTED).replace(re.escape('02/Dec/2026:21:00:00 +0000'), ANY_DATE)


def readline(stream):
    ready, _, _ = select.select([stream], [], [], GUARD)
    assert ready, 'asgiref-serve said nothing'
    return stream.readline()


serve = subprocess.Popen([os.environ['ASGIREF_SERVE'], '--module', os.environ['ASGIREF_DOC_SERVE_MODULE'],
                          '--port', '0', '--access-log'],
                         stdout=subprocess.PIPE, text=True, env=dict(os.environ, G_DEBUG=''))
try:
    line = readline(serve.stdout)
    assert line.startswith('Serving on http://127.0.0.1:'), line
    with urllib.request.urlopen(line.split()[2] + 'a%20b?c=1', timeout=GUARD) as response:
        assert response.read() == b'hello'
    # The log message, after what GLib's log writer puts before it.
    line = readline(serve.stdout).rstrip('\n')
    assert re.fullmatch(r'Asgiref-Access-INFO: [0-9:.]+: ' + pattern, line), \
        '%r is not like %r' % (line, DOCUMENTED)
finally:
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(GUARD) == 0

# }}}
