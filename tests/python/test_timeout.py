# SPDX-License-Identifier: LGPL-2.1-or-later
"""Asgiref.Timeout from Python: expiry on a main loop cuts an operation
short and translates to TIMED_OUT, no deadline, reject, moving the
deadline, the parent cancellable."""

import pytest

from gi.repository import Asgiref, Gio, GLib

FAR_US = 60 * GLib.USEC_PER_SEC


def is_io_error(error, code):
    return error.matches(Gio.io_error_quark(), code)


def iterate_pending():
    """Runs one non-blocking iteration of the default main context; returns
    whether it dispatched anything."""
    return GLib.MainContext.default().iteration(False)


@pytest.fixture
def listener():
    """A listening socket nobody connects to: accepting on it is a real GIO
    operation that only a cancellation ends."""
    listener = Gio.SocketListener()
    try:
        listener.add_any_inet_port(None)
    except GLib.Error as e:
        pytest.skip('cannot listen on a TCP port: %s' % e.message)
    yield listener
    listener.close()


def test_constructors_and_properties():
    before = GLib.get_monotonic_time()
    relative = Asgiref.Timeout.new(FAR_US, None)
    after = GLib.get_monotonic_time()
    assert before + FAR_US <= relative.get_deadline() <= after + FAR_US
    assert 0 < relative.get_remaining() <= FAR_US
    assert relative.props.expired is False
    assert isinstance(relative.props.cancellable, Gio.Cancellable)
    assert relative.get_cancellable() == relative.props.cancellable

    absolute = Asgiref.Timeout.new_at(after + FAR_US, None)
    assert absolute.props.deadline == after + FAR_US

    infinite = Asgiref.Timeout.new_infinite(None)
    assert infinite.get_deadline() == -1
    assert infinite.get_remaining() == -1

    # Keyword construction goes through the properties.
    parent = Gio.Cancellable()
    constructed = Asgiref.Timeout(deadline=after + FAR_US, parent_cancellable=parent)
    assert constructed.props.deadline == after + FAR_US
    assert constructed.props.parent_cancellable == parent
    assert Asgiref.Timeout().get_deadline() == -1


def test_expiry_on_a_main_loop_cuts_an_operation_short(loop, listener):
    timeout = Asgiref.Timeout.new(1000, None)
    notified = []
    outcome = {}

    timeout.connect('notify::expired', lambda t, pspec: notified.append(t.props.expired))

    def accepted(source, result):
        try:
            source.accept_finish(result)
        except GLib.Error as e:
            outcome['error'] = e
            # The binding idiom for asgiref_timeout_translate_error().
            if is_io_error(e, Gio.IOErrorEnum.CANCELLED):
                try:
                    timeout.set_error_if_expired()
                except GLib.Error as translated:
                    outcome['translated'] = translated
        loop.quit()

    listener.accept_async(timeout.get_cancellable(), loop.check(accepted))
    loop.run()

    assert is_io_error(outcome['error'], Gio.IOErrorEnum.CANCELLED)
    assert is_io_error(outcome['translated'], Gio.IOErrorEnum.TIMED_OUT)
    assert outcome['translated'].message == 'Operation timed out'
    assert timeout.get_expired() is True
    assert timeout.get_remaining() == 0
    assert timeout.get_cancellable().is_cancelled()
    assert notified == [True]


def test_delay_of_zero_expires_at_the_next_iteration():
    timeout = Asgiref.Timeout.new(0, None)
    assert timeout.props.expired is False
    assert timeout.get_remaining() == 0
    while not timeout.props.expired:
        assert iterate_pending()
    assert timeout.get_cancellable().is_cancelled()


def test_infinite_timeout_is_a_no_op(loop):
    timeout = Asgiref.Timeout.new_infinite(None)

    GLib.timeout_add(20, loop.check(lambda: loop.quit()))
    loop.run()

    assert timeout.props.expired is False
    assert not timeout.get_cancellable().is_cancelled()
    # Nothing to translate.
    assert timeout.set_error_if_expired() is False

    # No deadline to shift...
    with pytest.raises(GLib.Error) as info:
        timeout.shift(GLib.USEC_PER_SEC)
    assert is_io_error(info.value, Gio.IOErrorEnum.NOT_SUPPORTED)
    # ...but one can be given.
    assert timeout.update(GLib.get_monotonic_time() - 1) is True
    while not timeout.props.expired:
        assert iterate_pending()


def test_reject_prevents_expiry(loop):
    timeout = Asgiref.Timeout.new(0, None)
    assert timeout.reject() is True
    assert timeout.get_deadline() == -1

    GLib.timeout_add(20, loop.check(lambda: loop.quit()))
    loop.run()

    assert timeout.props.expired is False
    assert not timeout.get_cancellable().is_cancelled()


def test_shift_and_update_move_the_deadline():
    timeout = Asgiref.Timeout.new(0, None)
    deadline = timeout.get_deadline()
    assert timeout.shift(FAR_US) is True
    assert timeout.get_deadline() == deadline + FAR_US
    # A minute away: nothing to dispatch.
    assert not iterate_pending()
    assert timeout.props.expired is False

    assert timeout.update(0) is True
    while not timeout.props.expired:
        assert iterate_pending()

    # An expired timeout cannot be rescheduled, and stays expired.
    with pytest.raises(GLib.Error) as info:
        timeout.shift(FAR_US)
    assert is_io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    with pytest.raises(GLib.Error) as info:
        timeout.update(GLib.get_monotonic_time() + FAR_US)
    assert is_io_error(info.value, Gio.IOErrorEnum.TIMED_OUT)
    assert timeout.reject() is False
    assert timeout.props.expired is True


def test_parent_cancellation_is_not_a_timeout(loop, listener):
    parent = Gio.Cancellable()
    timeout = Asgiref.Timeout.new(FAR_US, parent)
    outcome = {}

    def accepted(source, result):
        try:
            source.accept_finish(result)
        except GLib.Error as e:
            outcome['error'] = e
            outcome['expired'] = timeout.set_error_if_expired()
        loop.quit()

    listener.accept_async(timeout.get_cancellable(), loop.check(accepted))
    GLib.idle_add(loop.check(lambda: parent.cancel()))
    loop.run()

    assert is_io_error(outcome['error'], Gio.IOErrorEnum.CANCELLED)
    assert outcome['expired'] is False
    assert timeout.props.expired is False
