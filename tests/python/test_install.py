# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where `meson install` puts the Python override: gir/python-site-dir.py
must name a directory this very Python reads packages from, or PyGObject
never finds the override and Asgiref.Local attributes silently become
plain Python attributes shared by every request."""

import os
import subprocess
import sys
import sysconfig

SCRIPT = os.path.join(os.environ['G_TEST_SRCDIR'], '..', '..', 'gir', 'python-site-dir.py')


def site_dir(prefix):
    return subprocess.run([sys.executable, SCRIPT, prefix], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_default_prefix_installs_where_this_python_looks():
    default = sysconfig.get_path('purelib')
    prefix = default.split('/lib/')[0]       # /usr/local for Debian's Python
    assert site_dir(prefix) == default
    assert default in sys.path


def test_other_prefixes_get_their_own_site_packages():
    assert site_dir('/opt/asgiref').startswith('/opt/asgiref/lib/python3')
    assert site_dir('/opt/asgiref/') == site_dir('/opt/asgiref')


def test_the_override_is_the_one_loaded():
    from gi.repository import Asgiref
    import gi.overrides.Asgiref as override
    local = Asgiref.Local()
    assert isinstance(local, override.Local)
