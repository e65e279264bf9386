# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/applications.md's Python application and its communicator, run.
Each fragment is here as it is (check-snippets.py compares them)."""

import gi
gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref, GObject


class Hello(GObject.Object, Asgiref.Application):
    def do_call(self, scope, channel, task):
        scope = scope.to_dict()                  # or scope.get_path(), ...
        if scope['type'] != 'http':              # no lifespan protocol: that is allowed
            task.return_boolean(True)
            return
        channel.send_async({'type': 'http.response.start', 'status': 200,
                            'headers': [(b'content-type', b'text/plain')]}, None, None)
        channel.send_async({'type': 'http.response.body', 'body': scope['path'].encode()}, None,
                           lambda channel, result: task.return_boolean(channel.send_finish(result)))


comm = Asgiref.Communicator(Hello(), Asgiref.Scope.new_http('GET', '/', None, None))
comm.send_input({'type': 'http.request'})
assert comm.receive_output(1)['status'] == 200      # a dict
assert comm.receive_output(1)['body'] == b'/'
assert comm.receive_nothing()
comm.wait()

# The lifespan scope ends at once, with nothing sent.
comm = Asgiref.Communicator(Hello(), Asgiref.Scope.new_lifespan(None))
comm.wait()
assert comm.receive_nothing()
