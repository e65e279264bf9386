# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/context-and-local.md's Python program, run as it is (check-snippets.py
# compares it): its assertions are the guide's.

import gi
gi.require_version("Asgiref", "1.0")
from gi.repository import Asgiref

local = Asgiref.Local()

def handle_request(n):
    local.request_id = n                 # stored in the current context
    return Asgiref.Context.wrap(lambda: local.request_id)

a = Asgiref.Context.new().run(handle_request, 1)
b = Asgiref.Context.new().run(handle_request, 2)
assert (a(), b()) == (1, 2)              # each callback kept its context
assert not hasattr(local, "request_id")  # nothing leaked out here
