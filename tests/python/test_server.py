# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asgiref.Server hosting ASGI applications written in Python, fetched
with libsoup's client on the same main loop: the scope of a request (read
as asgiref's dict), a streamed request body, lifespan, and context
isolation between requests. The application sends and receives dicts."""

import time

import pytest

import gi

gi.require_version('Soup', '3.0')

from gi.repository import Asgiref, Gio, GLib, GObject, Soup  # noqa: E402


def finish(loop, start):
    """Calls start(callback) and runs the loop (conftest's LoopRunner)
    until the callback ran; returns its result."""
    results = []

    def done(source, result):
        results.append(result)
        loop.quit()

    start(loop.check(done))
    loop.run()
    return results[0]


class Reporter(GObject.Object, Asgiref.Application):
    """Reads the whole request, answers with what it saw; lifespan too."""

    def __init__(self):
        super().__init__()
        self.lifespan = []
        self.requests = []
        self.local = Asgiref.Local()

    def do_call(self, scope, channel, task):
        scope = scope.to_dict()
        if scope['type'] == 'lifespan':
            self.serve_lifespan(channel, task)
        else:
            self.serve_http(scope, channel, task)

    def serve_lifespan(self, channel, task):
        def received(channel, result):
            message = channel.receive_finish(result).to_dict()
            self.lifespan.append(message['type'])
            channel.send_async({'type': message['type'] + '.complete'}, None, None)
            if message['type'] == 'lifespan.shutdown':
                task.return_boolean(True)
            else:
                channel.receive_async(None, received)

        channel.receive_async(None, received)

    def serve_http(self, scope, channel, task):
        seen = getattr(self.local, 'path', None)
        self.local.path = scope['path']
        chunks = []

        def received(channel, result):
            message = channel.receive_finish(result).to_dict()
            chunks.append(message.get('body', b''))
            if message.get('more_body'):
                channel.receive_async(None, received)
                return
            self.requests.append(scope)
            answer = '%s %s %s body=%s seen=%s' % (
                scope['method'], scope['path'], scope['query_string'].decode(),
                b''.join(chunks).decode(), seen)
            channel.send_async(
                {'type': 'http.response.start', 'status': 200,
                 'headers': [(b'content-type', b'text/plain'), (b'x-app', b'python')]},
                None, None)
            channel.send_async(
                {'type': 'http.response.body', 'body': answer.encode()},
                None, lambda channel, result: task.return_boolean(channel.send_finish(result)))

        channel.receive_async(None, received)


def serve(app):
    server = Asgiref.Server.new(app)
    server.listen_local(0)
    return server, 'http://127.0.0.1:%d' % server.get_port()


def fetch(loop, session, msg):
    result = finish(loop, lambda cb: session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, None, cb))
    return session.send_and_read_finish(result).get_data().decode()


def stop(loop, server):
    server.stop_finish(finish(loop, lambda cb: server.stop_async(None, cb)))


def test_python_application_answers_a_request(loop):
    app = Reporter()
    server, base = serve(app)
    session = Soup.Session()

    msg = Soup.Message.new('GET', base + '/hello%20world?x=1')
    assert fetch(loop, session, msg) == 'GET /hello world x=1 body= seen=None'
    assert msg.get_status() == 200
    assert msg.get_response_headers().get_one('X-App') == 'python'

    scope = app.requests[0]
    assert scope['raw_path'] == b'/hello%20world'
    assert scope['server'] == ('127.0.0.1', server.get_port())
    assert scope['client'][0] == '127.0.0.1'
    assert (b'host', b'127.0.0.1:%d' % server.get_port()) in scope['headers']
    stop(loop, server)


def test_limits_and_uris_from_python(loop):
    server, base = serve(Reporter())
    assert [uri.to_string() for uri in server.get_uris()] == [base + '/']
    assert server.props.header_timeout == 30
    assert server.props.keep_alive_timeout == 60
    server.props.max_instances = 4
    assert server.get_max_instances() == 4
    assert server.get_n_connections() == 0
    server.set_access_log(True)
    assert server.get_access_log()
    server.set_root_path('/app')
    assert server.props.root_path == '/app'
    server.set_max_websocket_message_size(1024)
    assert server.get_max_websocket_message_size() == 1024
    # No socket was passed: the mistake is an error, not a crash.
    with pytest.raises(GLib.Error) as raised:
        server.listen_systemd()
    assert raised.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    stop(loop, server)


def test_request_body_reaches_the_application(loop):
    server, base = serve(Reporter())
    session = Soup.Session()

    msg = Soup.Message.new('POST', base + '/upload')
    msg.set_request_body_from_bytes('text/plain', GLib.Bytes.new(b'some data'))
    assert fetch(loop, session, msg) == 'POST /upload  body=some data seen=None'
    stop(loop, server)


def test_each_request_has_its_own_context(loop):
    app = Reporter()
    server, base = serve(app)
    session = Soup.Session()

    for path in ('/one', '/two'):
        answer = fetch(loop, session, Soup.Message.new('GET', base + path))
        assert answer.endswith('seen=None')
    assert not hasattr(app.local, 'path')
    stop(loop, server)


def test_lifespan_runs_at_start_and_stop(loop):
    app = Reporter()
    server, base = serve(app)

    assert server.start_finish(finish(loop, lambda cb: server.start_async(None, cb)))
    assert app.lifespan == ['lifespan.startup']
    stop(loop, server)
    assert app.lifespan == ['lifespan.startup', 'lifespan.shutdown']


class Broken(GObject.Object, Asgiref.Application):
    """Raises from do_call at /raise; at /status sends an invalid start
    without a callback and reports success, as a careless application
    does."""

    def do_call(self, scope, channel, task):
        if scope.get_kind() != Asgiref.ScopeKind.HTTP:
            task.return_boolean(True)
        elif scope.get_path() == '/raise':
            raise ValueError('boom')
        elif scope.get_path() == '/dict':
            try:
                channel.send_async({'type': 'http.response.start', 'status': 'OK'}, None, None)
            except GLib.Error:
                pass       # swallowed: the server reports it all the same
            task.return_boolean(True)
        else:
            channel.send_async(Asgiref.Message.new_http_response_start(42, None, False), None, None)
            task.return_boolean(True)


def test_mistakes_reach_the_log_with_their_reason(loop):
    logged = []

    def record(domain, level, message, *_user_data):
        logged.append(message)

    # The warnings are what this test waits for: not fatal here.
    old_mask = GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)
    handler = GLib.log_set_handler('Asgiref', GLib.LogLevelFlags.LEVEL_WARNING, record)
    try:
        server, base = serve(Broken())
        session = Soup.Session()

        msg = Soup.Message.new('GET', base + '/raise')
        assert fetch(loop, session, msg) == 'Internal Server Error\n'
        assert msg.get_status() == 500
        assert logged[-1].startswith('ASGI application error on GET /raise: ValueError: boom\n')
        assert 'Traceback (most recent call last):' in logged[-1]
        assert "raise ValueError('boom')" in logged[-1]

        msg = Soup.Message.new('GET', base + '/status')
        assert fetch(loop, session, msg) == 'Internal Server Error\n'
        assert msg.get_status() == 500
        assert logged[-1] == ('ASGI application error on GET /status: The status 42 of the '
                              'ASGI message “http.response.start” is outside 100–599')

        msg = Soup.Message.new('GET', base + '/dict')
        assert fetch(loop, session, msg) == 'Internal Server Error\n'
        assert msg.get_status() == 500
        assert logged[-1].startswith('ASGI application error on GET /dict: ')
        assert 'status' in logged[-1]
        stop(loop, server)
    finally:
        GLib.log_remove_handler('Asgiref', handler)
        GLib.log_set_always_fatal(old_mask)


class Echo(GObject.Object, Asgiref.Application):
    """A WebSocket application: accepts, answers each text with 'echo: '
    and the text, and records the code it was disconnected with."""

    def __init__(self):
        super().__init__()
        self.disconnected = None

    def do_call(self, scope, channel, task):
        if scope.to_dict()['type'] != 'websocket':
            task.return_boolean(True)
            return

        def received(channel, result):
            message = channel.receive_finish(result).to_dict()
            if message['type'] == 'websocket.connect':
                channel.send_async({'type': 'websocket.accept', 'subprotocol': 'chat'}, None, None)
            elif message['type'] == 'websocket.receive':
                channel.send_async({'type': 'websocket.send', 'text': 'echo: ' + message['text']},
                                   None, None)
            else:
                self.disconnected = message['code']
                task.return_boolean(True)
                return
            channel.receive_async(None, received)

        channel.receive_async(None, received)


def test_python_websocket_application(loop):
    app = Echo()
    server, base = serve(app)
    session = Soup.Session()
    msg = Soup.Message.new('GET', base.replace('http://', 'ws://') + '/ws')
    result = finish(loop, lambda cb: session.websocket_connect_async(
        msg, None, ['chat'], GLib.PRIORITY_DEFAULT, None, cb))
    ws = session.websocket_connect_finish(result)
    assert ws.get_protocol() == 'chat'

    got = []

    def on_message(ws, kind, data):
        got.append(data.get_data().decode())
        loop.quit()

    ws.connect('message', loop.check(on_message))
    ws.send_text('hi')
    loop.run()
    assert got == ['echo: hi']

    ws.close(4002, 'bye')
    # Woken every 100 ms, so that the guard is checked even with no event.
    wake = GLib.timeout_add(100, lambda: GLib.SOURCE_CONTINUE)
    deadline = time.monotonic() + 10
    while app.disconnected is None:
        assert time.monotonic() < deadline, 'no websocket.disconnect'
        GLib.MainContext.default().iteration(True)
    GLib.source_remove(wake)
    assert app.disconnected == 4002
    stop(loop, server)
