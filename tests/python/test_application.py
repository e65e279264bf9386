# SPDX-License-Identifier: LGPL-2.1-or-later
"""ASGI applications written in Python, driven by Asgiref.Communicator as
asgiref's own test_testing drives them: an echo round trip, timeouts,
receive_nothing, errors surfacing, wait() cancelling a stuck instance, a
protocol violation reaching the application, and a double-callable class
adapted to a single application."""

import pytest

from gi.repository import Asgiref, Gio, GLib, GObject


def http_scope(path='/'):
    return Asgiref.scope_new_http('GET', path, None, None)


class Echo(GObject.Object, Asgiref.Application):
    """Answers with the request's body, after a start."""

    def do_call(self, scope, channel, task):
        def received(channel, result):
            try:
                request = Asgiref.variant_to_dict(channel.receive_finish(result))
            except GLib.Error as error:
                task.return_error(error)
                return
            channel.send_async(Asgiref.dict_to_variant(
                {'type': 'http.response.start', 'status': 200,
                 'headers': [(b'content-type', b'text/plain')]}), None, None)
            channel.send_async(Asgiref.dict_to_variant(
                {'type': 'http.response.body', 'body': request.get('body', b'')}),
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
    comm = Asgiref.Communicator(Echo(), http_scope())
    comm.send_input({'type': 'http.request', 'body': b'hello'})
    start = comm.receive_output(5)
    assert start['type'] == 'http.response.start'
    assert start['status'] == 200
    assert start['headers'] == [(b'content-type', b'text/plain')]
    body = comm.receive_output(5)
    assert body == {'type': 'http.response.body', 'body': b'hello'}
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
    assert 'ValueError: no such page' in excinfo.value.message
    with pytest.raises(GLib.Error):
        comm.wait(5)


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

        channel.send_async(Asgiref.dict_to_variant({'type': 'http.response.body'}), None, sent)


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
    scope = GObject.Property(type=GObject.TYPE_VARIANT)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        Consumer.made.append(self)

    def do_call(self, scope, channel, task):
        assert self.scope.equal(scope)
        task.return_boolean(True)


def test_double_callable_class():
    assert Asgiref.Application.type_is_double_callable(Consumer.__gtype__)
    assert not Asgiref.Application.type_is_double_callable(Echo.__gtype__)
    app = Asgiref.FactoryApplication.new_for_type(Consumer.__gtype__)
    Consumer.made.clear()
    for path in ('/a', '/b'):
        assert Asgiref.Communicator(app, http_scope(path)).wait(5) is True
    assert [Asgiref.scope_get_path(c.scope) for c in Consumer.made] == ['/a', '/b']


def test_application_from_a_function():
    calls = []

    def app(scope, channel, task):
        calls.append(Asgiref.scope_get_path(scope))
        task.return_boolean(True)

    comm = Asgiref.Communicator(Asgiref.FunctionApplication.new(app), http_scope('/f'))
    assert comm.wait(5) is True
    assert calls == ['/f']


def test_dicts_round_trip():
    message = {'type': 'http.response.start', 'status': 404,
               'headers': [(b'x-a', b'1')], 'trailers': True}
    variant = Asgiref.dict_to_variant(message)
    assert Asgiref.message_validate(variant)
    assert Asgiref.variant_to_dict(variant) == message
