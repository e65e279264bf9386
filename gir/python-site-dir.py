# SPDX-License-Identifier: LGPL-2.1-or-later
"""Prints the directory where the Python running this reads pure-Python
packages from under the prefix given as the only argument: where the
Asgiref override must go for PyGObject to find it (as gi/overrides/)."""

import sys
import sysconfig

prefix = sys.argv[1].rstrip('/') or '/'
default = sysconfig.get_path('purelib')
if default.startswith(prefix + '/lib/'):
    # Debian's default scheme (posix_local): /usr/local/lib/python3.X/dist-packages.
    print(default)
elif prefix == '/usr' and 'deb_system' in sysconfig.get_scheme_names():
    print(sysconfig.get_path('purelib', 'deb_system'))
else:
    print(sysconfig.get_path('purelib', 'posix_prefix',
                             vars={'base': prefix, 'platbase': prefix}))
