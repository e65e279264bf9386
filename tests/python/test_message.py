# SPDX-License-Identifier: LGPL-2.1-or-later
"""ASGI messages from Python: build, read and validate them; bodies round
trip through GLib.Bytes; an invalid message raises GLib.Error with
ASGIREF_ERROR_INVALID_MESSAGE."""

import pytest

from gi.repository import Asgiref, GLib


def assert_invalid(message, *fragments):
    with pytest.raises(GLib.Error) as excinfo:
        Asgiref.message_validate(message)
    error = excinfo.value
    assert error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)
    for fragment in fragments:
        assert fragment in error.message


def test_http_request_round_trips_bytes():
    body = b'hello\x00world'
    message = Asgiref.message_new_http_request(GLib.Bytes.new(body), True)
    assert isinstance(message, GLib.Variant)
    assert message.get_type_string() == 'a{sv}'
    assert Asgiref.message_get_type_name(message) == 'http.request'
    assert Asgiref.message_get_body(message).get_data() == body
    assert Asgiref.message_get_more_body(message) is True
    assert Asgiref.message_validate(message) is True


def test_http_request_without_body_reads_empty():
    message = Asgiref.message_new_http_request(None, False)
    assert Asgiref.message_get_body(message).get_data() in (b'', None)
    assert Asgiref.message_get_body(message).get_size() == 0
    assert Asgiref.message_get_more_body(message) is False


def test_http_response_start_with_headers():
    headers = Asgiref.headers_new(['Content-Type', 'X-Thing'], ['text/plain', 'A b'])
    message = Asgiref.message_new_http_response_start(201, headers, False)
    assert Asgiref.message_get_status(message) == 201
    assert Asgiref.message_get_trailers(message) is False
    read = Asgiref.message_get_headers(message)
    assert [(bytes(n), bytes(v)) for n, v in read.unpack()] == \
        [(b'content-type', b'text/plain'), (b'x-thing', b'A b')]
    Asgiref.message_validate(message)


def test_headers_new_rejects_cr_lf():
    with pytest.raises(GLib.Error) as excinfo:
        Asgiref.headers_new(['x'], ['a\r\nb'])
    assert excinfo.value.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)


def test_response_body_and_lifespan():
    body = Asgiref.message_new_http_response_body(GLib.Bytes.new(b'done'), False)
    assert Asgiref.message_get_body(body).get_data() == b'done'
    Asgiref.message_validate(body)

    failed = Asgiref.message_new_lifespan_startup_failed('no database')
    assert Asgiref.message_get_type_name(failed) == 'lifespan.startup.failed'
    assert Asgiref.message_get_message(failed) == 'no database'
    Asgiref.message_validate(failed)

    for type_ in ('lifespan.startup', 'lifespan.shutdown.complete', 'http.disconnect'):
        Asgiref.message_validate(Asgiref.message_new(type_))


def test_websocket_messages():
    send = Asgiref.message_new_websocket_send(None, 'hi')
    assert Asgiref.message_get_text(send) == 'hi'
    assert Asgiref.message_get_bytes(send) is None
    receive = Asgiref.message_new_websocket_receive(GLib.Bytes.new(b'\x01\x02'), None)
    assert Asgiref.message_get_bytes(receive).get_data() == b'\x01\x02'
    close = Asgiref.message_new_websocket_close(1000, None)
    assert Asgiref.message_get_code(close) == 1000
    for message in (send, receive, close, Asgiref.message_new_websocket_accept('chat', None)):
        Asgiref.message_validate(message)


def test_message_built_in_python_validates():
    message = GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.response.start'),
        'status': GLib.Variant('i', 200),
        'headers': GLib.Variant('a(ayay)', [(b'content-length', b'4')]),
    })
    assert Asgiref.message_validate(message) is True
    assert Asgiref.message_get_status(message) == 200


def test_invalid_messages_raise():
    assert_invalid(GLib.Variant('s', 'http.request'), 'a{sv}')
    assert_invalid(GLib.Variant('a{sv}', {}), 'type')
    assert_invalid(GLib.Variant('a{sv}', {'type': GLib.Variant('s', 'http.teapot')}), 'http.teapot')
    assert_invalid(GLib.Variant('a{sv}', {'type': GLib.Variant('s', 'http.response.start')}), 'status')
    assert_invalid(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.request'),
        'body': GLib.Variant('s', 'not bytes'),
    }), 'body', 'ay')
    assert_invalid(Asgiref.message_new_http_response_start(600, None, False), '600')
    assert_invalid(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.response.start'),
        'status': GLib.Variant('i', 200),
        'headers': GLib.Variant('a(ayay)', [(b'Content-Type', b'x')]),
    }), 'lower-case')


def test_http_response_trailers():
    headers = Asgiref.headers_new(['Grpc-Status'], ['0'])
    message = Asgiref.message_new_http_response_trailers(headers, True)
    assert Asgiref.message_get_type_name(message) == 'http.response.trailers'
    assert [(bytes(n), bytes(v)) for n, v in Asgiref.message_get_headers(message).unpack()] == \
        [(b'grpc-status', b'0')]
    assert Asgiref.message_get_more_trailers(message) is True
    assert Asgiref.message_validate(message) is True
    assert Asgiref.message_get_more_trailers(Asgiref.message_new_http_response_trailers(None, False)) is False


def test_websocket_denial_response():
    start = Asgiref.message_new_websocket_http_response_start(403, Asgiref.headers_new(['X-Why'], ['no']))
    assert Asgiref.message_get_type_name(start) == 'websocket.http.response.start'
    assert Asgiref.message_get_status(start) == 403
    Asgiref.message_validate(start)
    body = Asgiref.message_new_websocket_http_response_body(GLib.Bytes.new(b'denied'), False)
    assert Asgiref.message_get_body(body).get_data() == b'denied'
    assert Asgiref.message_get_more_body(body) is False
    Asgiref.message_validate(body)
    assert_invalid(Asgiref.message_new_websocket_http_response_start(42, None), '42')


def test_websocket_accept_rejects_subprotocol_header():
    headers = Asgiref.headers_new(['Sec-WebSocket-Protocol'], ['chat'])
    assert_invalid(Asgiref.message_new_websocket_accept(None, headers), 'sec-websocket-protocol')


def test_header_name_must_be_a_token():
    assert_invalid(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.response.start'),
        'status': GLib.Variant('i', 200),
        'headers': GLib.Variant('a(ayay)', [(b':authority', b'x')]),
    }), 'http.response.start', 'Header 0')
