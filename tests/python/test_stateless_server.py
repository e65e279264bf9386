# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asgiref.StatelessServer subclassed in Python (its handle and
application_send virtual functions), and the server's serving threads as
Python sees them: the setting, and the refusal of an application that did
not declare itself thread-safe."""

import gi
import pytest

gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref, GLib, GObject  # noqa: E402

GUARD = 30


class Counter(GObject.Object, Asgiref.Application):
    """Numbers the lines each instance (one per scope id) receives."""

    def do_call(self, scope, channel, task):
        count = [0]

        def received(channel, result):
            try:
                message = channel.receive_finish(result).to_dict()
            except GLib.Error as error:
                task.return_error(error)
                return
            if message['type'] == 'websocket.connect':
                channel.send_async({'type': 'websocket.accept'}, None, None)
            elif message['type'] == 'websocket.receive':
                count[0] += 1
                channel.send_async({'type': 'websocket.send',
                                    'text': '%d %s' % (count[0], message['text'])}, None, None)
            else:
                task.return_boolean(True)
                return
            channel.receive_async(task.get_cancellable(), received)

        channel.receive_async(task.get_cancellable(), received)


class Lines(Asgiref.StatelessServer):
    """A stream that is a list of (id, text): handle feeds them all, then
    says the stream ended."""

    def __init__(self, lines, **kwargs):
        super().__init__(**kwargs)
        self.lines = lines
        self.sent = []

    def do_handle(self, task):
        for scope_id, text in self.lines:
            scope = Asgiref.Scope.new_websocket('/' + scope_id, None, None, None)
            channel = self.get_input_channel(scope_id, scope)
            channel.put_input({'type': 'websocket.receive', 'text': text})
        task.return_boolean(True)

    def do_application_send(self, scope, message):
        message = message.to_dict()
        if message['type'] == 'websocket.send':
            self.sent.append('%s %s' % (scope.get_path(), message['text']))
        return True


def test_a_python_subclass_serves_one_instance_per_scope_id():
    server = Lines([('ann', 'hi'), ('bob', 'hello'), ('ann', 'bye')],
                   application=Counter(), checker_interval=5)
    loop = GLib.MainLoop()
    results = []

    def ran(server, result):
        results.append(server.run_finish(result))
        loop.quit()

    guard = GLib.timeout_add_seconds(GUARD, loop.quit)
    server.run_async(None, ran)
    loop.run()
    GLib.source_remove(guard)

    # The stream ended: each session read its lines, heard that its
    # client left, and the run ended with them.
    assert results == [True]
    assert sorted(server.sent) == ['/ann 1 hi', '/ann 2 bye', '/bob 1 hello']
    assert server.get_n_instances() == 0


def test_serving_threads_need_a_thread_safe_application():
    app = Counter()
    server = Asgiref.Server.new(app)
    assert server.props.serving_threads == 1
    server.set_serving_threads(2)
    assert server.get_serving_threads() == 2
    assert app.get_thread_safe() is False
    with pytest.raises(GLib.Error) as raised:
        server.listen_local(0)
    assert 'thread-safe' in raised.value.message
