# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/asgi.md's Python fragments, run: messages, headers and scopes as
asgiref's dicts. Each fragment is here as it is (check-snippets.py
compares them), each line followed by what its comment says it gives."""

import gi
gi.require_version('Asgiref', '1.0')

from gi.repository import Asgiref, GLib

message = Asgiref.message_from_dict({'type': 'http.response.start', 'status': 200,
                                     'headers': [(b'content-type', b'text/plain')]})
message.get_status()                     # 200
message.to_dict()                        # {'type': 'http.response.start', 'status': 200, ...}
Asgiref.headers_from_list([(b'accept', b'*/*')]).to_list()

assert message.get_status() == 200
assert message.to_dict()['type'] == 'http.response.start'
assert message.to_dict()['status'] == 200
assert message.to_dict()['headers'] == [(b'content-type', b'text/plain')]
assert Asgiref.headers_from_list([(b'accept', b'*/*')]).to_list() == [(b'accept', b'*/*')]

request = Asgiref.Message.new_http_request(GLib.Bytes.new(b'hello'), False)
request.get_body().get_data()            # b'hello'

assert request.get_body().get_data() == b'hello'


def refused():
    try:
        Asgiref.message_from_dict({'type': 'http.response.start', 'status': 42})
    except GLib.Error as e:
        assert e.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)
        return True
    return False


assert refused()

builder = Asgiref.ScopeBuilder.new_websocket('/live')
builder.set_client('192.0.2.7', 51234)
scope = builder.end()
scope.get_client()                       # (True, '192.0.2.7', 51234)
scope.to_dict()['scheme']                # 'ws'
assert scope.get_client() == (True, '192.0.2.7', 51234)
assert scope.to_dict()['scheme'] == 'ws'

scope = Asgiref.scope_from_dict({'type': 'http', 'asgi': {'version': '3.0'},
                                 'http_version': '1.1', 'method': 'GET', 'path': '/',
                                 'query_string': b'', 'headers': []})

assert scope.get_method() == 'GET'
assert scope.to_dict()['query_string'] == b''
