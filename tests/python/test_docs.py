# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every example of the Python and JavaScript API references runs, and
checks what it shows: each ```python block of docs/python.md with this
Python, each ```js block of docs/javascript.md with gjs (its import of the
installed helper module pointed at the source tree's), each in a process
of its own, which must exit with status 0 and log no warning."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

TOP = pathlib.Path(__file__).resolve().parents[2]
GUARD = 60
INSTALLED_HELPER = 'file:///usr/local/share/asgiref-1.0/asgiref.js'


def blocks(page, language):
    text = (TOP / 'docs' / page).read_text()
    found = re.findall(r'^```%s\n(.*?)^```$' % language, text, re.M | re.S)
    assert found, 'no %s example in docs/%s' % (language, page)
    return found


def check(result):
    assert result.returncode == 0, result.stdout + result.stderr
    for marker in ('CRITICAL', 'WARNING', 'JS ERROR', 'Traceback'):
        assert marker not in result.stderr, result.stderr


@pytest.mark.parametrize('index', range(len(blocks('python.md', 'python'))))
def test_python_reference_example(index):
    code = blocks('python.md', 'python')[index]
    check(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=GUARD))


@pytest.mark.parametrize('index', range(len(blocks('javascript.md', 'js'))))
def test_javascript_reference_example(index):
    gjs = shutil.which('gjs')
    if gjs is None:
        pytest.skip('no gjs')
    code = blocks('javascript.md', 'js')[index]
    assert INSTALLED_HELPER in code or 'asgiref.js' not in code, \
        'an example imports the helper by its installed URI'
    code = code.replace(INSTALLED_HELPER, (TOP / 'gir' / 'asgiref.js').as_uri())
    with tempfile.NamedTemporaryFile('w', suffix='.js') as module:
        module.write(code)
        module.flush()
        check(subprocess.run([gjs, '-m', module.name], capture_output=True, text=True,
                             timeout=GUARD, env=dict(os.environ, G_DEBUG='fatal-criticals')))
