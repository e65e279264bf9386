# SPDX-License-Identifier: LGPL-2.1-or-later
"""ASGI scopes from Python: build them with the functions and the
ScopeBuilder, read them back with the accessors or as plain GLib.Variant
data, and validate scopes written by hand."""

import pytest

from gi.repository import Asgiref, GLib


def assert_invalid(scope, *fragments):
    with pytest.raises(GLib.Error) as excinfo:
        Asgiref.scope_validate(scope)
    error = excinfo.value
    assert error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)
    for fragment in fragments:
        assert fragment in error.message, error.message


def test_http_scope_round_trips():
    headers = Asgiref.headers_new(['Host', 'Accept'], ['example.com', '*/*'])
    scope = Asgiref.scope_new_http('GET', '/items', GLib.Bytes.new(b'a=1'), headers)
    assert isinstance(scope, GLib.Variant)
    assert scope.get_type_string() == 'a{sv}'
    assert Asgiref.scope_get_type_name(scope) == 'http'
    assert Asgiref.scope_get_method(scope) == 'GET'
    assert Asgiref.scope_get_path(scope) == '/items'
    assert Asgiref.scope_get_query_string(scope).get_data() == b'a=1'
    assert Asgiref.scope_get_http_version(scope) == '1.1'
    assert Asgiref.scope_get_scheme(scope) == 'http'
    assert Asgiref.scope_get_root_path(scope) == ''
    assert [(bytes(n), bytes(v)) for n, v in Asgiref.scope_get_headers(scope).unpack()] == \
        [(b'host', b'example.com'), (b'accept', b'*/*')]
    assert Asgiref.scope_get_client(scope) == (False, None, 0)
    assert Asgiref.scope_validate(scope) is True


def test_scope_unpacks_like_a_python_asgi_scope():
    scope = Asgiref.scope_new_http('GET', '/', None, None).unpack()
    assert scope['type'] == 'http'
    assert scope['asgi'] == {'version': '3.0', 'spec_version': '2.3'}
    assert bytes(scope['query_string']) == b''
    assert scope['headers'] == []


def test_builder_sets_client_server_and_extensions():
    builder = Asgiref.ScopeBuilder.new_websocket('/ws')
    builder.set_scheme('wss')
    builder.set_client('192.0.2.7', 51234)
    builder.set_server('/run/app.sock', -1)
    builder.set_subprotocols(['chat', 'superchat'])
    builder.set_root_path('/app')
    builder.set_raw_path(GLib.Bytes.new(b'/w%73'))
    builder.set_state(GLib.Variant('a{sv}', {'db': GLib.Variant('s', 'x')}))
    builder.add_extension('websocket.http.response', None)
    scope = builder.end()

    assert Asgiref.scope_get_type_name(scope) == 'websocket'
    assert Asgiref.scope_get_scheme(scope) == 'wss'
    assert Asgiref.scope_get_client(scope) == (True, '192.0.2.7', 51234)
    assert Asgiref.scope_get_server(scope) == (True, '/run/app.sock', -1)
    assert scope.unpack()['server'] == ('/run/app.sock', None)
    assert Asgiref.scope_get_subprotocols(scope) == ['chat', 'superchat']
    assert Asgiref.scope_get_raw_path(scope).get_data() == b'/w%73'
    assert Asgiref.scope_get_state(scope).unpack() == {'db': 'x'}
    assert Asgiref.scope_has_extension(scope, 'websocket.http.response')
    assert not Asgiref.scope_has_extension(scope, 'tls')
    Asgiref.scope_validate(scope)


def test_lifespan_scope():
    scope = Asgiref.scope_new_lifespan(None)
    assert Asgiref.scope_get_type_name(scope) == 'lifespan'
    assert Asgiref.scope_get_spec_version(scope) == '2.0'
    assert Asgiref.scope_get_state(scope) is None
    Asgiref.scope_validate(scope)


def test_scope_written_in_python_validates():
    scope = GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http'),
        'asgi': GLib.Variant('a{sv}', {'version': GLib.Variant('s', '3.0')}),
        'http_version': GLib.Variant('s', '2'),
        'method': GLib.Variant('s', 'POST'),
        'path': GLib.Variant('s', '/upload'),
        'query_string': GLib.Variant('ay', b''),
        'headers': GLib.Variant('a(ayay)', [(b'content-type', b'text/plain')]),
        'client': GLib.Variant('(si)', ('::1', 40000)),
        'server': GLib.Variant('(smi)', ('::1', 8000)),
    })
    assert Asgiref.scope_validate(scope) is True
    assert Asgiref.scope_get_server(scope) == (True, '::1', 8000)
    assert Asgiref.scope_get_asgi_version(scope) == '3.0'


def test_invalid_scopes_raise():
    good = Asgiref.scope_new_http('GET', '/', None, None).unpack()

    def variant(**changes):
        scope = dict(good)
        scope.update(changes)
        return GLib.Variant('a{sv}', {
            'type': GLib.Variant('s', scope['type']),
            'asgi': GLib.Variant('a{sv}', {k: GLib.Variant('s', v) for k, v in scope['asgi'].items()}),
            'http_version': GLib.Variant('s', scope['http_version']),
            'method': GLib.Variant('s', scope['method']),
            'path': GLib.Variant('s', scope['path']),
            'query_string': GLib.Variant('ay', bytes(scope['query_string'])),
            'headers': GLib.Variant('a(ayay)', scope['headers']),
        })

    assert_invalid(GLib.Variant('s', 'http'), 'a{sv}')
    assert_invalid(GLib.Variant('a{sv}', {}), 'type')
    assert_invalid(variant(type='mqtt'), 'mqtt')
    assert_invalid(variant(method='get'), 'upper-case')
    assert_invalid(variant(path='items'), 'items')
    assert_invalid(variant(http_version='3'), '“3”')
    assert_invalid(variant(asgi={'version': '2.0'}), '2.0')
    assert_invalid(variant(headers=[(b'Host', b'x')]), 'lower-case')
