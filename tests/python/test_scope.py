# SPDX-License-Identifier: LGPL-2.1-or-later
"""ASGI scopes from Python: build them with the Asgiref.Scope constructors
and the ScopeBuilder, read them back with the getters or as the dict an
asgiref application is given (scope.to_dict()), make them from dicts
(Asgiref.scope_from_dict()) and GLib.Variants, and see invalid ones
refused."""

import pytest

from gi.repository import Asgiref, GLib


def assert_invalid(scope, *fragments):
    """``scope`` is refused: a GLib.Variant by Scope.new_from_variant(), a
    dict by scope_from_dict(), an Asgiref.Scope by validate()."""
    with pytest.raises(GLib.Error) as excinfo:
        if isinstance(scope, GLib.Variant):
            Asgiref.Scope.new_from_variant(scope)
        elif isinstance(scope, dict):
            Asgiref.scope_from_dict(scope)
        else:
            scope.validate()
    error = excinfo.value
    assert error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)
    for fragment in fragments:
        assert fragment in error.message, error.message


def test_http_scope_round_trips():
    headers = Asgiref.Headers.new(['Host', 'Accept'], ['example.com', '*/*'])
    scope = Asgiref.Scope.new_http('GET', '/items', GLib.Bytes.new(b'a=1'), headers)
    assert isinstance(scope, Asgiref.Scope)
    assert scope.get_kind() == Asgiref.ScopeKind.HTTP
    assert scope.get_type_name() == 'http'
    assert scope.get_method() == 'GET'
    assert scope.get_path() == '/items'
    assert scope.get_query_string().get_data() == b'a=1'
    assert scope.get_http_version() == '1.1'
    assert scope.get_scheme() == 'http'
    assert scope.get_root_path() == ''
    assert scope.get_headers().to_list() == [(b'host', b'example.com'), (b'accept', b'*/*')]
    assert scope.get_client() == (False, None, 0)
    assert scope.validate() is True
    assert scope.to_variant().get_type_string() == 'a{sv}'


def test_scope_reads_as_an_asgiref_scope_dict():
    scope = Asgiref.Scope.new_http('GET', '/', None, None).to_dict()
    assert scope['type'] == 'http'
    assert scope['asgi'] == {'version': '3.0', 'spec_version': '2.3'}
    assert scope['method'] == 'GET'
    assert scope['path'] == '/'
    assert scope['query_string'] == b''
    assert type(scope['query_string']) is bytes
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

    assert scope.get_type_name() == 'websocket'
    assert scope.get_scheme() == 'wss'
    assert scope.get_client() == (True, '192.0.2.7', 51234)
    assert scope.get_server() == (True, '/run/app.sock', -1)
    assert scope.get_subprotocols() == ['chat', 'superchat']
    assert scope.get_raw_path().get_data() == b'/w%73'
    assert scope.get_state().unpack() == {'db': 'x'}
    assert scope.has_extension('websocket.http.response')
    assert not scope.has_extension('tls')
    scope.validate()

    as_dict = scope.to_dict()
    assert as_dict['client'] == ('192.0.2.7', 51234)
    assert as_dict['server'] == ('/run/app.sock', None)
    assert as_dict['subprotocols'] == ['chat', 'superchat']
    assert as_dict['raw_path'] == b'/w%73'
    assert as_dict['state'] == {'db': 'x'}
    assert as_dict['extensions'] == {'websocket.http.response': {}}


def test_lifespan_scope():
    scope = Asgiref.Scope.new_lifespan(None)
    assert scope.get_type_name() == 'lifespan'
    assert scope.get_spec_version() == '2.0'
    assert scope.get_state() is None
    scope.validate()


def test_scope_written_in_python_validates():
    scope = Asgiref.Scope.new_from_variant(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http'),
        'asgi': GLib.Variant('a{sv}', {'version': GLib.Variant('s', '3.0')}),
        'http_version': GLib.Variant('s', '2'),
        'method': GLib.Variant('s', 'POST'),
        'path': GLib.Variant('s', '/upload'),
        'query_string': GLib.Variant('ay', b''),
        'headers': GLib.Variant('a(ayay)', [(b'content-type', b'text/plain')]),
        'client': GLib.Variant('(si)', ('::1', 40000)),
        'server': GLib.Variant('(smi)', ('::1', 8000)),
    }))
    assert scope.validate() is True
    assert scope.get_server() == (True, '::1', 8000)
    assert scope.get_asgi_version() == '3.0'


HTTP_SCOPE = {
    'type': 'http',
    'asgi': {'version': '3.0'},
    'http_version': '1.1',
    'method': 'POST',
    'scheme': 'https',
    'path': '/upload',
    'raw_path': b'/upload',
    'query_string': b'x=1',
    'root_path': '/api',
    'headers': [(b'host', b'example.com'), (b'content-type', b'text/plain')],
    'client': ('192.0.2.7', 51234),
    'server': ('example.com', 443),
    'state': {'db': 'x'},
}


def test_scope_from_dict_round_trips():
    scope = Asgiref.scope_from_dict(HTTP_SCOPE)
    assert isinstance(scope, Asgiref.Scope)
    assert scope.get_method() == 'POST'
    assert scope.get_root_path() == '/api'
    assert scope.get_client() == (True, '192.0.2.7', 51234)
    assert scope.get_headers().lookup('content-type') == 'text/plain'

    back = scope.to_dict()
    expected = dict(HTTP_SCOPE)
    # The optional spec_version takes its ASGI default.
    expected['asgi'] = {'version': '3.0', 'spec_version': '2.0'}
    assert back == expected
    assert Asgiref.scope_from_dict(back).to_dict() == back
    # Keys ASGI does not name are kept.
    extra = Asgiref.scope_from_dict(dict(HTTP_SCOPE, custom='kept')).to_dict()
    assert extra['custom'] == 'kept'


def test_scope_from_dict_of_a_unix_socket_server():
    scope = Asgiref.scope_from_dict(dict(HTTP_SCOPE, server=('/run/app.sock', None)))
    assert scope.get_server() == (True, '/run/app.sock', -1)
    assert scope.to_dict()['server'] == ('/run/app.sock', None)


def test_invalid_scopes_raise():
    good = Asgiref.Scope.new_http('GET', '/', None, None).to_dict()

    def changed(**changes):
        scope = dict(good)
        scope.update(changes)
        return scope

    assert_invalid(GLib.Variant('s', 'http'), 'a{sv}')
    assert_invalid(GLib.Variant('a{sv}', {}), 'type')
    assert_invalid(Asgiref.dict_to_variant(changed(type='mqtt')), 'mqtt')
    assert_invalid(changed(type='mqtt'), 'mqtt')
    assert_invalid(changed(method='get'), 'upper-case')
    assert_invalid(changed(path='items'), 'items')
    assert_invalid(changed(http_version='3'), '“3”')
    assert_invalid(changed(asgi={'version': '2.0'}), '2.0')
    # The dict helpers lower-case header names; the exact a{sv} form does not.
    assert Asgiref.scope_from_dict(changed(headers=[(b'Host', b'x')])).to_dict()['headers'] == \
        [(b'host', b'x')]
    exact = Asgiref.dict_to_variant(good)
    entries = {exact.get_child_value(i).get_child_value(0).get_string():
               exact.get_child_value(i).get_child_value(1).get_variant()
               for i in range(exact.n_children())}
    entries['headers'] = GLib.Variant('a(ayay)', [(b'Host', b'x')])
    assert_invalid(GLib.Variant('a{sv}', entries), 'lower-case')
    assert_invalid(changed(headers=[('host', 'x')]), 'headers[0]')
    assert_invalid(changed(query_string='a=1'), 'query_string must be bytes, not str')
    assert_invalid({'type': 'http', 'method': 'GET', 'path': '/'}, 'asgi')
    assert_invalid(Asgiref.Scope.new_http('get', '/', None, None), 'upper-case')
    with pytest.raises(TypeError):
        Asgiref.scope_from_dict('http')


def test_repr_names_the_type():
    assert 'lifespan' in repr(Asgiref.Scope.new_lifespan(None))


# ---- to_dict() reads the fields; the a{sv} view where only it knows -------

@pytest.mark.parametrize('scope', [
    {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'method': 'POST',
     'scheme': 'https', 'path': '/caf\u00e9', 'raw_path': b'/caf%C3%A9', 'query_string': b'a=1',
     'root_path': '/app', 'headers': [(b'host', b'x'), (b'x-r', b'1'), (b'x-r', b'2')],
     'client': ('10.0.0.1', 1234), 'server': ('10.0.0.2', 443),
     'state': {'db': 'up'}, 'extensions': {'http.response.trailers': {}}},
    {'type': 'websocket', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'path': '/ws',
     'query_string': b'', 'headers': [], 'subprotocols': ['chat', 'v2'],
     'server': ('/run/app.sock', None)},
    # Keys ASGI does not name, and header bytes that are not UTF-8: only
    # the a{sv} view has them.
    {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1', 'method': 'GET',
     'path': '/', 'query_string': b'', 'headers': [(b'x-latin', b'caf\xe9')], 'custom': 'kept'},
])
def test_to_dict_is_the_view_as_a_dict(scope):
    native = Asgiref.scope_from_dict(scope)
    assert native.to_dict() == Asgiref.variant_to_dict(native.to_variant())
    assert native.to_dict()['headers'] == [(k.lower(), v) for k, v in scope['headers']]
