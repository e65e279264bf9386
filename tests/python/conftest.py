# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared set-up of the Python tests.

Run by meson with GI_TYPELIB_PATH=<builddir>/gir,
LD_LIBRARY_PATH=<builddir>/asgiref and PYTHONPATH=<srcdir>/gir, so that
``gi.repository.Asgiref`` is the library just built and the override is the
one in the source tree.
"""

import os

import gi

gi.require_version('Asgiref', '1.0')
gi.require_version('Gio', '2.0')

from gi.repository import Asgiref, GLib  # noqa: E402

import pytest  # noqa: E402


def pytest_report_header(config):
    import gi.overrides.Asgiref as override_module
    return ['Asgiref typelib: %s' % os.environ.get('GI_TYPELIB_PATH', '(system)'),
            'Asgiref override: %s' % override_module.__file__,
            'PyGObject %s' % '.'.join(map(str, gi.version_info))]


@pytest.fixture(autouse=True)
def _override_is_loaded():
    # Without the override every attribute test would fail in confusing
    # ways: say so at once.
    assert Asgiref.Local.__module__ == 'gi.overrides.Asgiref', \
        'the Asgiref override was not loaded (is PYTHONPATH=<srcdir>/gir set?)'
    yield


class LoopRunner:
    """Runs a GLib main loop until ``quit()`` or a failure guard timeout."""

    def __init__(self):
        self.loop = GLib.MainLoop()
        self.timed_out = False
        self.errors = []

    def quit(self):
        self.loop.quit()

    def check(self, fn):
        """Wrap a callback so an exception in it fails the test instead of
        being printed by PyGObject and swallowed."""
        def checked(*args):
            try:
                return fn(*args)
            except BaseException as exc:  # noqa: B036: reported below
                self.errors.append(exc)
                self.loop.quit()
                return GLib.SOURCE_REMOVE
        return checked

    def run(self, timeout_s=10):
        def on_timeout():
            self.timed_out = True
            self.loop.quit()
            return GLib.SOURCE_REMOVE

        guard = GLib.timeout_add(int(timeout_s * 1000), on_timeout)
        self.loop.run()
        if not self.timed_out:
            GLib.source_remove(guard)
        if self.errors:
            raise self.errors[0]
        assert not self.timed_out, 'main loop did not finish in %s s' % timeout_s


@pytest.fixture
def loop():
    return LoopRunner()


@pytest.fixture
def logged():
    """The server's warnings, recorded rather than fatal: for the tests of
    what a failing application gets."""
    messages = []

    def record(domain, level, message, *_user_data):
        messages.append(message)

    old_mask = GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)
    handler = GLib.log_set_handler('Asgiref', GLib.LogLevelFlags.LEVEL_WARNING, record)
    yield messages
    GLib.log_remove_handler('Asgiref', handler)
    GLib.log_set_always_fatal(old_mask)
