# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the Python files of tests/doc-snippets share around the guides'
fragments: a stand-in for stdout that a client waits on, and that client."""

import io
import os
import re
import signal
import sys
import threading
import urllib.request

GUARD = 30


class Printed(io.StringIO):
    """Stands in for stdout: the client takes the port from the line the
    guide's code prints, as a reader would, and waits for that line on a
    condition rather than polling the text."""

    def __init__(self):
        super().__init__()
        self.written = threading.Condition()

    def write(self, text):
        with self.written:
            count = super().write(text)
            self.written.notify_all()
        return count

    def wait_for_match(self, pattern):
        """The match of @pattern at the start of what was printed; None
        if nothing matches within GUARD seconds (a failure guard only)."""
        with self.written:
            return self.written.wait_for(lambda: re.match(pattern, self.getvalue()), GUARD)


def print_to_a_client(pattern, path):
    """Replaces stdout with a Printed; returns it, the list the client's
    (status, body) answer goes to, and the client to start on a thread:
    once the printed text matches @pattern (whose group 1 is the port),
    it asks for @path, then interrupts the process as Ctrl-C would."""
    printed = sys.stdout = Printed()
    answers = []
    # Set, in case this process was started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def client():
        try:
            said = printed.wait_for_match(pattern)
            assert said, 'the server did not listen'
            url = 'http://127.0.0.1:%s%s' % (said.group(1), path)
            with urllib.request.urlopen(url, timeout=GUARD) as response:
                answers.append((response.status, response.read()))
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    return printed, answers, client
