# SPDX-License-Identifier: LGPL-2.1-or-later
"""README.md's Python tour, run. Each paragraph is here as it is
(check-snippets.py compares them), with what the tour leaves out around
it (a database, the main loop that runs the callbacks, a client) and
assertions on what it shows."""

import io
import sqlite3
import sys
import threading
import time
import urllib.request

import gi
gi.require_version("Asgiref", "1.0")
from gi.repository import Asgiref, Gio, GLib, GObject

GUARD = 30

# What the tour prints, to compare at the end.
printed = sys.stdout = io.StringIO()


def run_until(done):
    """Iterates the default main context until done() is true."""
    deadline = time.monotonic() + GUARD
    wake = GLib.timeout_add(100, lambda: True)
    while not done():
        assert time.monotonic() < deadline, 'timed out'
        GLib.MainContext.default().iteration(True)
    GLib.source_remove(wake)


local = Asgiref.Local()                       # thread_critical=True for per-thread
def handle(n):
    local.request_id = n                      # in the current context only
    GLib.idle_add(Asgiref.Context.wrap(lambda: print("idle sees", local.request_id)))

Asgiref.Context().run(handle, 1)
Asgiref.Context().run(handle, 2)
print(hasattr(local, "request_id"))           # False: nothing leaked out
with Asgiref.Context():                       # enter/leave as a block
    local.user = "alice"

assert not hasattr(local, "user")
run_until(lambda: printed.getvalue().count("idle sees") == 2)

# The tour's blocking database: made here, used on the bridge's thread.
db = sqlite3.connect(":memory:", check_same_thread=False)
shown = []


def show(rows):
    shown.append(rows.fetchall())


@Asgiref.sync_to_async                        # blocking code, from a main loop
def query(sql):
    return db.execute(sql)                    # on the thread-sensitive thread
query("SELECT 1").add_done_callback(lambda f: show(f.result()))

run_until(lambda: shown)
assert shown == [[(1,)]], shown

@Asgiref.async_to_sync                        # async code, from blocking code
def load(completion, path):
    f = Gio.File.new_for_path(path)
    f.load_contents_async(completion.cancellable,
                          completion.ready(f.load_contents_finish))
load("/etc/hostname")                         # blocks; value or exception

with open("/etc/hostname", "rb") as hostname:
    assert load("/etc/hostname")[1] == hostname.read()

class Hello(GObject.Object, Asgiref.Application):   # an ASGI application
    def do_call(self, scope, channel, task):
        scope = scope.to_dict()                   # the scope as asgiref's dict
        if scope["type"] == "http":
            for message in ({"type": "http.response.start", "status": 200},
                            {"type": "http.response.body", "body": scope["path"].encode()}):
                channel.send_async(message, None, None)  # messages as dicts
        task.return_boolean(True)

comm = Asgiref.Communicator(Hello(), Asgiref.Scope.new_http("GET", "/", None, None))
assert comm.receive_output(1)["status"] == 200  # asgiref's ApplicationCommunicator
assert comm.receive_output(1)["body"] == b"/"

def listen(server, result):                   # lifespan startup first, then listen
    server.start_finish(result)
    server.listen_local(0)                    # 127.0.0.1, any port

server = Asgiref.Server.new(Hello())
server.start_async(None, listen)

run_until(server.get_port)
answers = []


def client():
    url = "http://127.0.0.1:%d/tour" % server.get_port()
    with urllib.request.urlopen(url, timeout=GUARD) as response:
        answers.append((response.status, response.read()))


thread = threading.Thread(target=client)
thread.start()
run_until(lambda: not thread.is_alive())
assert answers == [(200, b"/tour")], answers
stopped = []
server.stop_async(None, lambda server, result: stopped.append(server.stop_finish(result)))
run_until(lambda: stopped)

# The client below runs on a thread while the tour's loop runs: it learns
# that the server listens from the tour's own callback, so it neither
# polls the port nor reads it before listen_local() has set it.
listening = threading.Event()
tour_listen = listen


def listen(server, result):
    tour_listen(server, result)
    listening.set()


async def app(scope, receive, send):          # any ASGI callable: Starlette, Django...
    if scope["type"] == "http":
        await receive()
        local.user = scope["path"]            # stays with this request across awaits
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": local.user.encode()})

loop = Asgiref.install_asyncio()              # asyncio's loop, on GLib's main context
server = Asgiref.Server.new(app)
server.start_async(None, listen)

answers = []


def ask_then_stop():
    # The tour's loop runs until stopped: a client stops it once answered.
    try:
        assert listening.wait(GUARD), 'the server did not listen'
        client()
    finally:
        loop.call_soon_threadsafe(loop.stop)


thread = threading.Thread(target=ask_then_stop)
thread.start()

loop.run_forever()                            # or GLib.MainLoop().run(), or a Gtk app

thread.join(GUARD)
assert answers == [(200, b"/tour")], answers
assert not hasattr(local, "user")
stopped = []
server.stop_async(None, lambda server, result: stopped.append(server.stop_finish(result)))
run_until(lambda: stopped)

sys.stdout = sys.__stdout__
assert printed.getvalue().split("\n") == ["False", "idle sees 1", "idle sees 2", ""], printed.getvalue()
print(printed.getvalue(), end="")
