# SPDX-License-Identifier: LGPL-2.1-or-later
"""The example server of each language (examples/), run as its README
section says: concurrent requests each read back their own Local value
through the bridge, and SIGTERM stops the server gracefully.

Each example's command line comes from the environment: the build tree's
under `meson test`, the installed copies under .ci/install-check."""

import concurrent.futures
import os
import re
import select
import shlex
import signal
import subprocess
import urllib.request

import pytest

GUARD = 30
LANGUAGES = ['c', 'python', 'gjs', 'vala']


def command(language):
    line = os.environ.get('ASGIREF_EXAMPLE_' + language.upper())
    if not line:
        pytest.skip('no %s example built (ASGIREF_EXAMPLE_%s)' % (language, language.upper()))
    return shlex.split(line)


def get(url):
    with urllib.request.urlopen(url, timeout=GUARD) as response:
        assert response.status == 200
        return response.read().decode()


@pytest.mark.parametrize('language', LANGUAGES)
def test_example_server(language):
    process = subprocess.Popen(command(language) + ['0'], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], GUARD)
        assert ready, process.stderr.read()
        line = process.stdout.readline()
        match = re.match(r'Serving on (http://127\.0\.0\.1:\d+/)$', line.strip())
        assert match, line + process.stderr.read()

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            bodies = list(pool.map(get, [match.group(1)] * 8))
        numbers = set()
        for body in bodies:
            # "request N, read on a worker thread: request N": its own value.
            found = re.fullmatch(r'request (\d+), read [a-z ]+: request (\d+)\n', body)
            assert found and found.group(1) == found.group(2), body
            numbers.add(found.group(1))
        assert numbers == {str(n) for n in range(1, 9)}

        process.send_signal(signal.SIGTERM)
        assert process.wait(GUARD) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_chat_example():
    """examples/chat-server.c, an AsgirefStatelessServer: one instance per
    user, each counting that user's lines; the end of the input ends it."""
    chat = os.environ.get('ASGIREF_EXAMPLE_CHAT')
    if not chat:
        pytest.skip('no chat example built (ASGIREF_EXAMPLE_CHAT)')
    result = subprocess.run(shlex.split(chat), input='ann: hi\nbob: hello\nann: bye\n'
                            'not a chat line\nann: third\n', capture_output=True, text=True,
                            timeout=GUARD)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith('[ann]')] == [
        '[ann] line 1 of ann: hi', '[ann] line 2 of ann: bye', '[ann] line 3 of ann: third']
    assert [line for line in lines if line.startswith('[bob]')] == ['[bob] line 1 of bob: hello']
    assert len(lines) == 4
    assert 'not a chat line' in result.stderr
