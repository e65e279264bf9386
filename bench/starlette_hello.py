# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Starlette application of the framework benchmark (bench/frameworks.sh),
and the program that serves it with AsgirefServer on asyncio's GLib loop:
`starlette_hello.py` prints the port it listens on (127.0.0.1, any free
port) and serves until SIGTERM."""

import signal

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request):
    return PlainTextResponse('Hello')


app = Starlette(routes=[Route('/', hello)])


def serve():
    import gi
    gi.require_version('Asgiref', '1.0')
    from gi.repository import Asgiref, GLib

    loop = Asgiref.install_asyncio()
    server = Asgiref.Server.new(app)

    def started(server, result):
        server.start_finish(result)
        server.listen_local(0)
        print(server.get_port(), flush=True)

    def stop(*_args):
        server.stop_async(None, lambda *args: loop.stop())
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop)
    server.start_async(None, started)
    loop.run_forever()


if __name__ == '__main__':
    serve()
