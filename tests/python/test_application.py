# SPDX-License-Identifier: LGPL-2.1-or-later
"""ASGI applications written in Python, driven by Asgiref.Communicator as
asgiref's own test_testing drives them: an echo round trip, timeouts,
receive_nothing, errors surfacing, wait() cancelling a stuck instance, a
protocol violation reaching the application, and a double-callable class
adapted to a single application. Scopes and messages go in as dicts (or
native values, or GLib.Variants) and come out as dicts or
Asgiref.Message, as the override promises."""

import pytest

from gi.repository import Asgiref, Gio, GLib, GObject


def http_scope(path='/'):
    return Asgiref.Scope.new_http('GET', path, None, None)


def http_scope_dict(path='/', method='GET'):
    """A complete http scope as asgiref would give it."""
    return {'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1',
            'method': method, 'path': path, 'query_string': b'', 'headers': []}


class Echo(GObject.Object, Asgiref.Application):
    """Answers with the request's body, after a start."""

    def do_call(self, scope, channel, task):
        def received(channel, result):
            try:
                request = channel.receive_finish(result).to_dict()
            except GLib.Error as error:
                task.return_error(error)
                return
            channel.send_async(
                {'type': 'http.response.start', 'status': 200,
                 'headers': [(b'content-type', b'text/plain')]}, None, None)
            channel.send_async(
                {'type': 'http.response.body', 'body': request.get('body', b'')},
                None, lambda channel, result: sent(channel, result))

        def sent(channel, result):
            try:
                channel.send_finish(result)
            except GLib.Error as error:
                task.return_error(error)
            else:
                task.return_boolean(True)

        channel.receive_async(task.get_cancellable(), received)


def test_echo_round_trip():
    comm = Asgiref.Communicator(Echo(), http_scope_dict())
    comm.send_input({'type': 'http.request', 'body': b'hello'})
    start = comm.receive_output(5)
    assert start['type'] == 'http.response.start'
    assert start['status'] == 200
    assert start['headers'] == [(b'content-type', b'text/plain')]
    body = comm.receive_output(5)
    assert body == {'type': 'http.response.body', 'body': b'hello', 'more_body': False}
    assert comm.wait(5) is True


def test_communicator_takes_native_values_and_variants():
    for scope in (http_scope(), Asgiref.dict_to_variant(http_scope_dict())):
        comm = Asgiref.Communicator.new(Echo(), scope)
        comm.send_input(Asgiref.Message.new_http_request(GLib.Bytes.new(b'native'), False))
        assert comm.receive_output(5)['status'] == 200
        assert comm.receive_output(5)['body'] == b'native'
        assert comm.wait(5) is True
    comm = Asgiref.Communicator(Echo(), http_scope())
    comm.send_input(Asgiref.dict_to_variant({'type': 'http.request', 'body': b'variant'}))
    comm.receive_output(5)
    assert comm.receive_output(5)['body'] == b'variant'
    assert comm.wait(5) is True


def test_communicator_refuses_invalid_dicts():
    with pytest.raises(GLib.Error) as excinfo:
        Asgiref.Communicator(Echo(), {'type': 'http', 'path': '/'})
    assert excinfo.value.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)
    comm = Asgiref.Communicator(Echo(), http_scope())
    with pytest.raises(GLib.Error) as excinfo:
        comm.send_input({'type': 'http.request', 'body': 'not bytes'})
    assert excinfo.value.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)
    assert 'body' in excinfo.value.message
    with pytest.raises(TypeError):
        comm.send_input('http.request')
    comm.send_input({'type': 'http.request'})
    assert comm.receive_output(5)['type'] == 'http.response.start'
    assert comm.receive_output(5)['body'] == b''
    assert comm.wait(5) is True


def test_receive_output_times_out_and_cancels():
    comm = Asgiref.Communicator(Echo(), http_scope())
    with pytest.raises(GLib.Error) as excinfo:
        comm.receive_output(0.05)
    assert excinfo.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    # The timeout cancelled the instance: it has ended.
    assert comm.wait(5) is True


def test_receive_nothing_true_then_false():
    comm = Asgiref.Communicator(Echo(), http_scope())
    assert comm.receive_nothing() is True
    comm.send_input({'type': 'http.request'})
    assert comm.receive_nothing(5) is False
    assert comm.receive_output()['type'] == 'http.response.start'
    assert comm.receive_nothing(5) is False
    assert comm.receive_output()['type'] == 'http.response.body'
    assert comm.receive_nothing(0.05, 0.01) is True


class Raises(GObject.Object, Asgiref.Application):
    def do_call(self, scope, channel, task):
        raise ValueError('no such page')


def test_exception_in_do_call_surfaces():
    comm = Asgiref.Communicator(Raises(), http_scope())
    with pytest.raises(GLib.Error) as excinfo:
        comm.receive_output(5)
    assert excinfo.value.domain == Asgiref.PYTHON_ERROR_DOMAIN
    assert excinfo.value.message.startswith('ValueError: no such page\n')
    # Where, too: the traceback, down to the line that raised, is in the
    # error that the server logs.
    assert 'Traceback (most recent call last):' in excinfo.value.message
    assert "raise ValueError('no such page')" in excinfo.value.message
    with pytest.raises(GLib.Error):
        comm.wait(5)


def test_exception_in_a_function_application_surfaces():
    def app(scope, channel, task):
        raise KeyError('missing')

    comm = Asgiref.Communicator(Asgiref.FunctionApplication.new(app), http_scope())
    with pytest.raises(GLib.Error) as excinfo:
        comm.receive_output(5)
    assert excinfo.value.message.startswith("KeyError: 'missing'\n")
    assert "raise KeyError('missing')" in excinfo.value.message


class BodyFirst(GObject.Object, Asgiref.Application):
    """Sends a body before the start, and fails with what it is told."""

    def do_call(self, scope, channel, task):
        def sent(channel, result):
            try:
                channel.send_finish(result)
            except GLib.Error as error:
                task.return_error(error)
            else:
                task.return_boolean(True)

        channel.send_async({'type': 'http.response.body'}, None, sent)


def test_protocol_violation_reaches_the_application():
    comm = Asgiref.Communicator(BodyFirst(), http_scope())
    with pytest.raises(GLib.Error) as excinfo:
        comm.wait(5)
    assert excinfo.value.matches(Asgiref.error_quark(), Asgiref.Error.PROTOCOL)
    assert 'before' in excinfo.value.message


class Stuck(GObject.Object, Asgiref.Application):
    """Ends only when cancelled."""

    def do_call(self, scope, channel, task):
        # Gio.Cancellable.connect is g_cancellable_connect(): no arguments.
        task.get_cancellable().connect(lambda *args: task.return_error_if_cancelled())


def test_wait_cancels_a_stuck_instance():
    comm = Asgiref.Communicator(Stuck(), http_scope())
    with pytest.raises(GLib.Error) as excinfo:
        comm.wait(0.05)
    assert excinfo.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    assert comm.wait(0) is True


class Consumer(GObject.Object, Asgiref.Application):
    """A double-callable application: one instance per scope."""

    made = []
    scope = GObject.Property(type=Asgiref.Scope)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        Consumer.made.append(self)

    def do_call(self, scope, channel, task):
        assert isinstance(self.scope, Asgiref.Scope)
        assert self.scope.to_variant().equal(scope.to_variant())
        task.return_boolean(True)


def test_double_callable_class():
    assert Asgiref.Application.type_is_double_callable(Consumer.__gtype__)
    assert not Asgiref.Application.type_is_double_callable(Echo.__gtype__)
    app = Asgiref.FactoryApplication.new_for_type(Consumer.__gtype__)
    Consumer.made.clear()
    for path in ('/a', '/b'):
        assert Asgiref.Communicator(app, http_scope(path)).wait(5) is True
    assert [c.scope.get_path() for c in Consumer.made] == ['/a', '/b']


def test_application_from_a_function():
    calls = []

    def app(scope, channel, task):
        calls.append(scope.get_path())
        task.return_boolean(True)

    comm = Asgiref.Communicator(Asgiref.FunctionApplication.new(app), http_scope('/f'))
    assert comm.wait(5) is True
    assert calls == ['/f']


class ScopeReader(GObject.Object, Asgiref.Application):
    """Reads its scope as a dict, as an asgiref application does."""

    seen = []

    def do_call(self, scope, channel, task):
        ScopeReader.seen.append((type(scope), scope.to_dict()))
        task.return_boolean(True)


def test_application_reads_its_scope_as_a_dict():
    ScopeReader.seen.clear()
    scope = dict(http_scope_dict('/read', 'PUT'), query_string=b'a=1',
                 headers=[(b'host', b'example.com')], client=('192.0.2.1', 4000))
    assert Asgiref.Communicator(ScopeReader(), scope).wait(5) is True
    [(scope_type, seen)] = ScopeReader.seen
    assert issubclass(scope_type, Asgiref.Scope)
    assert seen['method'] == 'PUT'
    assert seen['path'] == '/read'
    assert seen['query_string'] == b'a=1'
    assert seen['headers'] == [(b'host', b'example.com')]
    assert seen['client'] == ('192.0.2.1', 4000)


def test_channel_and_call_async_take_dicts(loop):
    """Application.call_async() and Channel.new() with a dict scope; the
    server's side put_input() a dict; the application's send_async() of a
    dict; take_output_finish() gives Asgiref.Message."""
    scope = http_scope_dict('/direct', 'POST')
    channel = Asgiref.Channel.new(scope)
    assert channel.get_scope().get_path() == '/direct'
    app = Echo()
    outputs = []
    ended = []

    def took(channel, result):
        outputs.append(channel.take_output_finish(result))
        if len(outputs) < 2:
            channel.take_output_async(None, loop.check(took))
        elif ended:
            loop.quit()

    def done(app, result):
        ended.append(app.call_finish(result))
        if len(outputs) == 2:
            loop.quit()

    app.call_async(scope, channel, None, loop.check(done))
    assert channel.put_input({'type': 'http.request', 'body': b'direct'}) is True
    channel.take_output_async(None, loop.check(took))
    loop.run()

    assert ended == [True]
    assert all(isinstance(message, Asgiref.Message) for message in outputs)
    assert [m.get_type_name() for m in outputs] == ['http.response.start', 'http.response.body']
    assert outputs[1].to_dict() == {'type': 'http.response.body', 'body': b'direct',
                                    'more_body': False}


def test_send_async_of_an_invalid_dict_raises_at_once():
    errors = []

    def app(scope, channel, task):
        try:
            channel.send_async({'type': 'http.response.start', 'status': 'OK'}, None, None)
        except GLib.Error as error:
            errors.append(error)
        channel.send_async({'type': 'http.response.start', 'status': 204}, None, None)
        channel.send_async({'type': 'http.response.body'}, None,
                           lambda channel, result: task.return_boolean(channel.send_finish(result)))

    comm = Asgiref.Communicator(Asgiref.FunctionApplication.new(app), http_scope())
    assert comm.receive_output(5)['status'] == 204
    assert comm.receive_output(5)['type'] == 'http.response.body'
    assert comm.wait(5) is True
    [error] = errors
    assert error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE)
    assert 'status' in error.message

