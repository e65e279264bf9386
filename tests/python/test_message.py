# SPDX-License-Identifier: LGPL-2.1-or-later
"""ASGI messages from Python: build them with the Asgiref.Message
constructors, read and validate them; bodies round trip through GLib.Bytes;
an invalid message raises GLib.Error with ASGIREF_ERROR_INVALID_MESSAGE.
Then the override's dict form: Asgiref.message_from_dict() and
message.to_dict() round trip asgiref's dicts, with bytes bodies and
(bytes, bytes) headers, and an invalid dict says what is wrong."""

import pytest

from gi.repository import Asgiref, Gio, GLib


def assert_invalid_error(excinfo, *fragments):
    error = excinfo.value
    assert isinstance(error, GLib.Error)
    assert error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE), error
    for fragment in fragments:
        assert fragment in error.message, error.message


def assert_invalid(message, *fragments):
    """``message`` is refused: a GLib.Variant by Message.new_from_variant(),
    an Asgiref.Message by validate(), a dict by message_from_dict()."""
    with pytest.raises(GLib.Error) as excinfo:
        if isinstance(message, GLib.Variant):
            Asgiref.Message.new_from_variant(message)
        elif isinstance(message, dict):
            Asgiref.message_from_dict(message)
        else:
            message.validate()
    assert_invalid_error(excinfo, *fragments)


def test_http_request_round_trips_bytes():
    body = b'hello\x00world'
    message = Asgiref.Message.new_http_request(GLib.Bytes.new(body), True)
    assert isinstance(message, Asgiref.Message)
    assert message.get_kind() == Asgiref.MessageKind.HTTP_REQUEST
    assert message.get_type_name() == 'http.request'
    assert message.get_body().get_data() == body
    assert message.get_more_body() is True
    assert message.validate() is True
    variant = message.to_variant()
    assert variant.get_type_string() == 'a{sv}'
    assert bytes(variant.lookup_value('body', None).get_data_as_bytes().get_data()) == body


def test_http_request_without_body_reads_empty():
    message = Asgiref.Message.new_http_request(None, False)
    assert message.get_body().get_data() in (b'', None)
    assert message.get_body().get_size() == 0
    assert message.get_more_body() is False


def test_http_response_start_with_headers():
    headers = Asgiref.Headers.new(['Content-Type', 'X-Thing'], ['text/plain', 'A b'])
    message = Asgiref.Message.new_http_response_start(201, headers, False)
    assert message.get_status() == 201
    assert message.get_trailers() is False
    read = message.get_headers()
    assert read.get_length() == 2
    assert read.lookup('content-type') == 'text/plain'
    assert read.to_list() == [(b'content-type', b'text/plain'), (b'x-thing', b'A b')]
    assert message.validate()


def test_headers_new_rejects_cr_lf():
    with pytest.raises(GLib.Error) as excinfo:
        Asgiref.Headers.new(['x'], ['a\r\nb'])
    assert_invalid_error(excinfo)


def test_response_body_and_lifespan():
    body = Asgiref.Message.new_http_response_body(GLib.Bytes.new(b'done'), False)
    assert body.get_body().get_data() == b'done'
    body.validate()

    failed = Asgiref.Message.new_lifespan_startup_failed('no database')
    assert failed.get_type_name() == 'lifespan.startup.failed'
    assert failed.get_message() == 'no database'
    failed.validate()

    for kind, name in ((Asgiref.MessageKind.LIFESPAN_STARTUP, 'lifespan.startup'),
                       (Asgiref.MessageKind.LIFESPAN_SHUTDOWN_COMPLETE, 'lifespan.shutdown.complete'),
                       (Asgiref.MessageKind.HTTP_DISCONNECT, 'http.disconnect')):
        message = Asgiref.Message.new(kind)
        assert message.get_type_name() == name
        assert message.validate()


def test_websocket_messages():
    send = Asgiref.Message.new_websocket_send(None, 'hi')
    assert send.get_text() == 'hi'
    assert send.get_bytes() is None
    receive = Asgiref.Message.new_websocket_receive(GLib.Bytes.new(b'\x01\x02'), None)
    assert receive.get_bytes().get_data() == b'\x01\x02'
    close = Asgiref.Message.new_websocket_close(1000, None)
    assert close.get_code() == 1000
    for message in (send, receive, close, Asgiref.Message.new_websocket_accept('chat', None)):
        message.validate()


def test_message_built_in_python_validates():
    message = Asgiref.Message.new_from_variant(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.response.start'),
        'status': GLib.Variant('i', 200),
        'headers': GLib.Variant('a(ayay)', [(b'content-length', b'4')]),
    }))
    assert message.validate() is True
    assert message.get_status() == 200
    assert message.get_headers().to_list() == [(b'content-length', b'4')]


def test_invalid_messages_raise():
    assert_invalid(GLib.Variant('s', 'http.request'), 'a{sv}')
    assert_invalid(GLib.Variant('a{sv}', {}), 'type')
    assert_invalid(GLib.Variant('a{sv}', {'type': GLib.Variant('s', 'http.teapot')}), 'http.teapot')
    assert_invalid(GLib.Variant('a{sv}', {'type': GLib.Variant('s', 'http.response.start')}), 'status')
    assert_invalid(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.request'),
        'body': GLib.Variant('s', 'not bytes'),
    }), 'body', 'ay')
    assert_invalid(Asgiref.Message.new_http_response_start(600, None, False), '600')
    assert_invalid(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.response.start'),
        'status': GLib.Variant('i', 200),
        'headers': GLib.Variant('a(ayay)', [(b'Content-Type', b'x')]),
    }), 'lower-case')


def test_http_response_trailers():
    headers = Asgiref.Headers.new(['Grpc-Status'], ['0'])
    message = Asgiref.Message.new_http_response_trailers(headers, True)
    assert message.get_type_name() == 'http.response.trailers'
    assert message.get_headers().to_list() == [(b'grpc-status', b'0')]
    assert message.get_more_trailers() is True
    assert message.validate() is True
    assert Asgiref.Message.new_http_response_trailers(None, False).get_more_trailers() is False


def test_websocket_denial_response():
    start = Asgiref.Message.new_websocket_http_response_start(403, Asgiref.Headers.new(['X-Why'], ['no']))
    assert start.get_type_name() == 'websocket.http.response.start'
    assert start.get_status() == 403
    start.validate()
    body = Asgiref.Message.new_websocket_http_response_body(GLib.Bytes.new(b'denied'), False)
    assert body.get_body().get_data() == b'denied'
    assert body.get_more_body() is False
    body.validate()
    assert_invalid(Asgiref.Message.new_websocket_http_response_start(42, None), '42')


def test_websocket_accept_rejects_subprotocol_header():
    headers = Asgiref.Headers.new(['Sec-WebSocket-Protocol'], ['chat'])
    assert_invalid(Asgiref.Message.new_websocket_accept(None, headers), 'sec-websocket-protocol')


def test_header_name_must_be_a_token():
    assert_invalid(GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', 'http.response.start'),
        'status': GLib.Variant('i', 200),
        'headers': GLib.Variant('a(ayay)', [(b':authority', b'x')]),
    }), 'http.response.start', 'Header 0')


# ---- dicts -----------------------------------------------------------------

def test_message_dict_round_trips():
    message = {'type': 'http.response.start', 'status': 404,
               'headers': [(b'x-a', b'1'), (b'set-cookie', b'a=b'), (b'set-cookie', b'c=d')],
               'trailers': True}
    native = Asgiref.message_from_dict(message)
    assert isinstance(native, Asgiref.Message)
    assert native.get_status() == 404
    assert native.get_trailers() is True
    assert native.to_dict() == message
    # to_dict() gives a new dict each time.
    native.to_dict()['status'] = 500
    assert native.get_status() == 404


def test_to_dict_gives_bytes_and_every_key():
    body = Asgiref.Message.new_http_request(GLib.Bytes.new(b'a\x00b'), True).to_dict()
    assert body == {'type': 'http.request', 'body': b'a\x00b', 'more_body': True}
    assert type(body['body']) is bytes
    # The keys ASGI gives defaults are there with their defaults.
    assert Asgiref.message_from_dict({'type': 'http.response.body'}).to_dict() == \
        {'type': 'http.response.body', 'body': b'', 'more_body': False}


def test_headers_in_dicts_are_bytes_pairs():
    message = Asgiref.Message.new_http_response_start(
        200, Asgiref.Headers.new(['Content-Type'], ['text/plain; charset=utf-8']), False)
    headers = message.to_dict()['headers']
    assert headers == [(b'content-type', b'text/plain; charset=utf-8')]
    assert all(type(name) is bytes and type(value) is bytes for name, value in headers)
    # bytearray and memoryview are bytes too; lists are pairs too.
    again = Asgiref.message_from_dict({'type': 'http.response.start', 'status': 200,
                                       'headers': [[bytearray(b'x-a'), memoryview(b'1')]]})
    assert again.get_headers().to_list() == [(b'x-a', b'1')]


def test_dict_values_of_other_shapes():
    # None is a missing key; a GLib.Variant value is taken as it is; an
    # Asgiref.Headers for headers; GLib.Bytes for a body.
    message = Asgiref.message_from_dict({
        'type': 'http.response.start',
        'status': GLib.Variant('i', 204),
        'headers': Asgiref.Headers.new(['X-A'], ['1']),
        'trailers': None,
    })
    assert message.get_status() == 204
    assert message.get_trailers() is False
    assert message.get_headers().to_list() == [(b'x-a', b'1')]
    body = Asgiref.message_from_dict({'type': 'websocket.send', 'bytes': GLib.Bytes.new(b'\xff')})
    assert body.get_bytes().get_data() == b'\xff'
    assert body.get_text() is None
    text = Asgiref.message_from_dict({'type': 'websocket.send', 'text': 'hé'})
    assert text.to_dict()['text'] == 'hé'


def test_message_from_dict_takes_a_variant():
    variant = Asgiref.dict_to_variant({'type': 'lifespan.startup.failed', 'message': 'no db'})
    assert Asgiref.message_from_dict(variant).get_message() == 'no db'


def test_invalid_dicts_raise_invalid_message():
    assert_invalid({}, 'type')
    assert_invalid({'type': 'http.teapot'}, 'http.teapot')
    assert_invalid({'type': 'http.response.start'}, 'status')
    # asgiref's body is bytes, not str: the error says so in those words.
    assert_invalid({'type': 'http.response.body', 'body': 'text'},
                   'body must be bytes, not str', '.encode()')
    # Headers are (bytes, bytes) pairs; the error names the header.
    assert_invalid({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'x-a', b'1'), ('content-type', 'text/plain')]},
                   'headers[1]', "('content-type', 'text/plain')", 'bytes, not str')
    assert_invalid({'type': 'http.response.start', 'status': 200,
                    'headers': [(b'bad name', b'x')]}, 'Header 0', 'does not allow')
    assert_invalid({'type': 'http.response.start', 'status': 200.0}, 'status')
    assert_invalid({'type': 'http.response.start', 'status': 1 << 40}, 'status')
    assert_invalid({'type': 'http.response.start', 'status': 99}, '99')
    assert_invalid({'type': 'http.response.body', 'more_body': 'yes'}, 'more_body')


def test_header_names_in_dicts_are_lower_cased():
    # As uvicorn takes b'Content-Type' from an application, so do the dict
    # helpers; ASGI's own form is lower-case.
    message = Asgiref.message_from_dict({'type': 'http.response.start', 'status': 200,
                                         'headers': [(b'Content-Type', b'Text/Plain')]})
    assert message.get_headers().to_list() == [(b'content-type', b'Text/Plain')]
    assert Asgiref.headers_from_list([(b'X-A', b'1')]).to_list() == [(b'x-a', b'1')]


def test_message_from_dict_needs_a_dict():
    with pytest.raises(TypeError):
        Asgiref.message_from_dict([('type', 'http.request')])


def test_headers_from_list():
    headers = Asgiref.headers_from_list([(b'content-type', b'text/plain'), (b'x-a', b'')])
    assert isinstance(headers, Asgiref.Headers)
    assert headers.get_length() == 2
    assert headers.get_name(0) == 'content-type'
    assert headers.get_value(1) == ''
    assert headers.to_list() == [(b'content-type', b'text/plain'), (b'x-a', b'')]
    assert Asgiref.Headers.new_from_variant(headers.to_variant()).to_list() == headers.to_list()
    with pytest.raises(GLib.Error) as excinfo:
        Asgiref.headers_from_list([(b'x', b'a\nb')])
    assert_invalid_error(excinfo)
    with pytest.raises(GLib.Error) as excinfo:
        Asgiref.headers_from_list([('x', 'y')])
    assert_invalid_error(excinfo, 'bytes')


def test_dict_to_variant_and_back():
    message = {'type': 'http.response.start', 'status': 404,
               'headers': [(b'x-a', b'1')], 'trailers': True}
    variant = Asgiref.dict_to_variant(message)
    assert variant.get_type_string() == 'a{sv}'
    assert Asgiref.variant_to_dict(variant) == message
    with pytest.raises(TypeError):
        Asgiref.dict_to_variant({'type': 'x', 'value': 1.5})


def test_repr_names_the_type():
    assert 'http.request' in repr(Asgiref.Message.new_http_request(None, False))


# ---- The quick paths: well-formed response dicts, and to_dict() ------------

def slow_message(message):
    return Asgiref.Message.new_from_variant(Asgiref.dict_to_variant(message))


@pytest.mark.parametrize('message', [
    {'type': 'http.response.start', 'status': 200,
     'headers': [(b'Content-Type', b'text/plain'), (b'x-a', b'1'), (b'x-a', b'2')]},
    {'type': 'http.response.start', 'status': 404, 'headers': [], 'trailers': True},
    {'type': 'http.response.start', 'status': 200, 'headers': [[b'x-list', b'pair']]},
    {'type': 'http.response.body', 'body': b'hello', 'more_body': True},
    {'type': 'http.response.body'},
])
def test_channel_sends_what_the_dict_path_makes(message):
    # Channel.send_async() builds these with their constructors: the
    # same message as message_from_dict() makes.
    channel = Asgiref.Channel.new(Asgiref.Scope.new_http('GET', '/', None, None))
    if message['type'] == 'http.response.body':
        channel.send_async({'type': 'http.response.start', 'status': 200}, None, None)
    channel.send_async(message, None, None)
    sent = []
    while len(sent) < 2 - (message['type'] == 'http.response.start'):
        result = []
        channel.take_output_async(None, lambda ch, res: result.append(ch.take_output_finish(res)))
        while not result:
            GLib.MainContext.default().iteration(True)
        sent.append(result[0])
    assert sent[-1].to_variant().equal(slow_message(message).to_variant())


@pytest.mark.parametrize('message, why', [
    ({'type': 'http.response.start', 'status': 42}, 'status'),
    ({'type': 'http.response.start', 'status': 200, 'headers': [(b'bad name', b'v')]}, '0x20'),
    ({'type': 'http.response.start', 'status': 200, 'headers': [('x', 'str')]}, 'bytes'),
    ({'type': 'http.response.body', 'body': 'text'}, 'bytes'),
])
def test_quick_path_refuses_as_the_dict_path(message, why):
    channel = Asgiref.Channel.new(Asgiref.Scope.new_http('GET', '/', None, None))
    with pytest.raises(GLib.Error) as quick:
        channel.send_async(message, None, None)
    with pytest.raises(GLib.Error) as slow:
        Asgiref.message_from_dict(message)
    assert quick.value.code == slow.value.code == int(Asgiref.Error.INVALID_MESSAGE)
    assert quick.value.message == slow.value.message and why in quick.value.message


def test_try_send_takes_dicts_and_says_when_it_would_wait():
    channel = Asgiref.Channel.new(Asgiref.Scope.new_http('GET', '/', None, None))
    start = {'type': 'http.response.start', 'status': 200}
    with pytest.raises(GLib.Error) as waits:
        channel.try_send(start)
    assert waits.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK)

    taken = []
    channel.take_output_async(None, lambda ch, res: taken.append(ch.take_output_finish(res)))
    assert channel.try_send(start) is True
    while not taken:
        GLib.MainContext.default().iteration(True)
    assert taken[0].get_status() == 200

    # A mistake is an error at the call, as with send_async().
    with pytest.raises(GLib.Error) as refused:
        channel.try_send({'type': 'http.response.body', 'body': 'text'})
    assert refused.value.code == int(Asgiref.Error.INVALID_MESSAGE)
    assert 'bytes' in refused.value.message


def test_try_receive_gives_what_is_there_or_says_it_would_wait():
    channel = Asgiref.Channel.new(Asgiref.Scope.new_http('POST', '/', None, None))
    with pytest.raises(GLib.Error) as waits:
        channel.try_receive()
    assert waits.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK)
    channel.put_input({'type': 'http.request', 'body': b'there', 'more_body': False})
    assert channel.try_receive().to_dict() == {'type': 'http.request', 'body': b'there',
                                               'more_body': False}


def test_received_messages_read_as_their_view():
    for message in (Asgiref.Message.new_http_request(GLib.Bytes.new(b'chunk'), True),
                    Asgiref.Message.new_http_request(None, False),
                    Asgiref.Message.new(Asgiref.MessageKind.HTTP_DISCONNECT)):
        assert message.to_dict() == Asgiref.variant_to_dict(message.to_variant())
