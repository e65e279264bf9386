#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs one Python or JavaScript file of tests/doc-snippets, as a reader
would run the guide's code: a .py file with this Python, a .js file with
`gjs -m`, its import of the installed helper module pointed at the source
tree's (and its import of ./doc-util.js pointed at this directory's).
The file must exit with status 0 and log no warning: an exception
raised in a GLib callback does not stop the program, so a traceback (or
a JS ERROR) on stderr fails it too.

Usage: run-snippet.py FILE SOURCE_ROOT [GJS]
"""

import pathlib
import subprocess
import sys
import tempfile

# The URI the guides import the GJS helper module by: its place under the
# default prefix, as docs/javascript.md and the README say.
INSTALLED_HELPER = 'file:///usr/local/share/asgiref-1.0/asgiref.js'
GUARD = 90


def run(path, top, gjs):
    if path.suffix == '.py':
        return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                              timeout=GUARD)
    code = path.read_text()
    if 'asgiref.js' in code and INSTALLED_HELPER not in code:
        sys.exit('%s imports the helper module by another URI than %s' % (path, INSTALLED_HELPER))
    code = code.replace(INSTALLED_HELPER, (top / 'gir' / 'asgiref.js').as_uri())
    # The copy runs elsewhere: its own helpers are imported from here.
    code = code.replace("from './doc-util.js'", "from '%s'" % (path.parent.resolve() / 'doc-util.js').as_uri())
    with tempfile.TemporaryDirectory() as work:
        module = pathlib.Path(work) / path.name
        module.write_text(code)
        return subprocess.run([gjs, '-m', str(module)], capture_output=True, text=True,
                              timeout=GUARD)


def main():
    path, top = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    result = run(path, top, sys.argv[3] if len(sys.argv) > 3 else 'gjs')
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 77:
        return 77                 # a skip: what the file needs is not installed
    if result.returncode != 0:
        return 1
    for marker in ('CRITICAL', 'WARNING', 'JS ERROR', 'Traceback'):
        if marker in result.stderr:
            print('%s: %s on stderr' % (path.name, marker), file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
