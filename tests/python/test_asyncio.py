# SPDX-License-Identifier: LGPL-2.1-or-later
"""asyncio on the GLib main loop: ASGI callables (plain functions, Starlette,
Django's ASGI handler) served by AsgirefServer on the default main context,
which asyncio's loop runs (Asgiref.install_asyncio(), gbulb); awaitable
bridge futures; async def functions through async_to_sync. Clients run on
other threads (httpx, http.client, python3-websockets on a loop of their
own), so the main thread only runs the loop under test."""

import asyncio
import contextlib
import http.client
import json
import threading

import gi
import httpx
import pytest

gi.require_version('Asgiref', '1.0')
gi.require_version('Gio', '2.0')
from gi.repository import Asgiref, Gio, GLib  # noqa: E402

GUARD = 30


@pytest.fixture(scope='module')
def asyncio_loop():
    return Asgiref.install_asyncio()


def run(loop, coro):
    return loop.run_until_complete(asyncio.wait_for(coro, GUARD))


async def in_thread(fn, *args):
    """``fn(*args)`` on a thread of the default executor: a blocking client."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def gio_async(start, finish):
    """Awaits a GIO-style call: ``start(callback)``, then ``finish(result)``."""
    future = asyncio.get_running_loop().create_future()

    def ready(source, result, *_user_data):
        try:
            future.set_result(finish(source, result))
        except GLib.Error as error:
            future.set_exception(error)

    start(ready)
    return future


@contextlib.asynccontextmanager
async def served(app, **properties):
    """Serves ``app`` on 127.0.0.1 from the default main context; yields
    the base URL, stops the server afterwards."""
    server = Asgiref.Server.new(app)
    for name, value in properties.items():
        server.set_property(name, value)
    await gio_async(lambda cb: server.start_async(None, cb), Asgiref.Server.start_finish)
    server.listen_local(0)
    try:
        yield server, 'http://127.0.0.1:%d' % server.get_port()
    finally:
        await gio_async(lambda cb: server.stop_async(None, cb), Asgiref.Server.stop_finish)


def get(url, **kwargs):
    with httpx.Client(timeout=GUARD) as client:
        return client.get(url, **kwargs)


# ---- Plain ASGI callables ----------------------------------------------

async def echo_app(scope, receive, send):
    if scope['type'] != 'http':
        return
    body = b''
    while True:
        message = await receive()
        body += message.get('body', b'')
        if not message.get('more_body'):
            break
    await send({'type': 'http.response.start', 'status': 200,
                'headers': [(b'content-type', b'application/json')]})
    shown = {'path': scope['path'], 'query': scope['query_string'].decode(),
             'method': scope['method'], 'client': list(scope['client'])[:1],
             'headers': [[k.decode(), v.decode()] for k, v in scope['headers']],
             'body': body.decode(), 'asgi': scope['asgi']['version']}
    await send({'type': 'http.response.body', 'body': json.dumps(shown).encode()})


def test_an_async_function_is_an_application(asyncio_loop):
    # What an issue's reporter tried first: the function itself.
    async def scenario():
        async with served(echo_app) as (_, base):
            response = await in_thread(lambda: httpx.post(base + '/a/b?x=1', content=b'x' * 200000,
                                                          headers={'X-Test': 'yes'}, timeout=GUARD))
            return response

    response = run(asyncio_loop, scenario())
    assert response.status_code == 200
    shown = response.json()
    assert shown['path'] == '/a/b' and shown['query'] == 'x=1' and shown['method'] == 'POST'
    assert shown['client'] == ['127.0.0.1'] and shown['asgi'] == '3.0'
    assert ['x-test', 'yes'] in shown['headers']
    assert shown['body'] == 'x' * 200000


def test_explicit_wrapper_and_asgi2(asyncio_loop):
    class Asgi2:
        """An ASGI 2 application: a class, one instance per scope."""

        def __init__(self, scope):
            self.scope = scope

        async def __call__(self, receive, send):
            await receive()
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            await send({'type': 'http.response.body', 'body': b'asgi2 ' + self.scope['path'].encode()})

    wrapped = Asgiref.AsyncioApplication(echo_app)
    assert isinstance(wrapped, Asgiref.Application)
    assert Asgiref.AsyncioApplication(Asgi2).single is False and wrapped.single is True

    async def scenario():
        async with served(wrapped) as (_, base):
            first = await in_thread(get, base + '/w')
        async with served(Asgi2) as (_, base):
            second = await in_thread(get, base + '/two')
        return first, second

    first, second = run(asyncio_loop, scenario())
    assert first.json()['path'] == '/w'
    assert second.text == 'asgi2 /two'


def test_not_an_application_is_refused():
    with pytest.raises(TypeError, match='ASGI callable'):
        Asgiref.Server.new(42)


def test_exception_is_logged_with_traceback_and_client_gets_500(asyncio_loop, logged):
    async def failing(scope, receive, send):
        if scope['type'] == 'http':
            await asyncio.sleep(0)
            raise ValueError('broken after an await')

    async def str_body(scope, receive, send):
        if scope['type'] == 'http':
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            try:
                await send({'type': 'http.response.body', 'body': 'not bytes'})
            except GLib.Error:
                pass    # swallowed: the server reports it all the same

    async def scenario():
        async with served(failing) as (_, base):
            first = await in_thread(get, base + '/fail')
        async with served(str_body) as (_, base):
            second = await in_thread(get, base + '/str')
        return first, second

    first, second = run(asyncio_loop, scenario())
    assert first.status_code == 500
    failure = [m for m in logged if m.startswith('ASGI application error on GET /fail: ')]
    assert failure and 'ValueError: broken after an await' in failure[0]
    assert 'Traceback (most recent call last):' in failure[0]
    assert "raise ValueError('broken after an await')" in failure[0]
    assert second.status_code == 500
    refused = [m for m in logged if m.startswith('ASGI application error on GET /str: ')]
    assert refused and 'bytes' in refused[0], logged


def test_disconnect_as_under_uvicorn(asyncio_loop):
    seen = {}
    ended = None

    async def app(scope, receive, send):
        if scope['type'] != 'http':
            return
        await receive()
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'part', 'more_body': True})
        seen['first'] = await receive()           # waits for the client to leave
        await send({'type': 'http.response.body', 'body': b'to nobody', 'more_body': True})
        seen['again'] = await receive()
        ended.set_result(True)

    def leave_early(base):
        port = int(base.rsplit(':', 1)[1])
        connection = http.client.HTTPConnection('127.0.0.1', port, timeout=GUARD)
        connection.request('GET', '/stream')
        response = connection.getresponse()
        assert response.read(4) == b'part'
        connection.close()

    async def scenario():
        nonlocal ended
        ended = asyncio.get_running_loop().create_future()
        async with served(app) as (_, base):
            await in_thread(leave_early, base)
            await ended

    run(asyncio_loop, scenario())
    assert seen == {'first': {'type': 'http.disconnect'}, 'again': {'type': 'http.disconnect'}}


def test_server_cancellation_cancels_the_task(asyncio_loop, logged):
    outcome = {}

    async def slow(scope, receive, send):
        if scope['type'] != 'http':
            return
        try:
            await asyncio.Event().wait()           # never set
        except asyncio.CancelledError:
            outcome['cancelled'] = True
            raise

    async def scenario():
        async with served(slow, response_timeout=1) as (_, base):
            return await in_thread(get, base + '/slow')

    response = run(asyncio_loop, scenario())
    assert response.status_code == 504
    assert outcome == {'cancelled': True}


# ---- Context and Local ---------------------------------------------------

def test_locals_stay_with_their_request_across_awaits(asyncio_loop):
    local = Asgiref.Local()
    count = 6
    arrived = 0
    everyone_here = None
    seen = {}

    @Asgiref.sync_to_async(thread_sensitive=False)
    def read_in_a_thread():
        # C code (the bridge) carried the request's context to this thread.
        return local.name

    async def child():
        # A task of the request: sees its values, its own writes stay its own.
        seen_here = local.name
        local.name = 'child'
        return seen_here

    async def app(scope, receive, send):
        nonlocal arrived
        if scope['type'] != 'http':
            return
        await receive()
        name = scope['query_string'].decode()
        local.name = name
        arrived += 1
        if arrived == count:
            everyone_here.set()
        await everyone_here.wait()              # every request set its value
        after_wait = local.name
        local.name = name + '+'                 # set after an await
        await asyncio.sleep(0)
        in_child = await asyncio.create_task(child())
        in_thread_value = await read_in_a_thread()
        seen[name] = (after_wait, local.name, in_child, in_thread_value)
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': local.name.encode()})

    def query(base, n):
        return get('%s/?r%d' % (base, n)).text

    async def scenario():
        nonlocal everyone_here
        everyone_here = asyncio.Event()
        async with served(app) as (_, base):
            return await asyncio.gather(*(in_thread(query, base, n) for n in range(count)))

    bodies = run(asyncio_loop, scenario())
    assert bodies == ['r%d+' % n for n in range(count)]
    assert seen == {'r%d' % n: ('r%d' % n, 'r%d+' % n, 'r%d+' % n, 'r%d+' % n) for n in range(count)}
    assert not hasattr(local, 'name')         # nothing leaked into the main context


def test_glib_timeout_and_request_on_one_loop(asyncio_loop):
    # The application waits for a GLib timeout source: one loop runs both.
    fired = []
    main_thread = threading.get_ident()

    async def app(scope, receive, send):
        if scope['type'] != 'http':
            return
        ready = asyncio.Event()

        def on_timeout():
            fired.append(threading.get_ident())
            ready.set()
            return GLib.SOURCE_REMOVE

        GLib.timeout_add(20, on_timeout)
        await ready.wait()
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'after the timeout'})

    async def scenario():
        async with served(app) as (_, base):
            return await in_thread(get, base + '/')

    assert run(asyncio_loop, scenario()).text == 'after the timeout'
    assert fired == [main_thread]


def test_a_glib_main_loop_runs_asyncio_code(asyncio_loop):
    # Not asyncio's run_until_complete: a plain GLib.MainLoop (as a GTK
    # program has) iterates the context, and asyncio code still runs.
    main_loop = GLib.MainLoop()
    result = {}

    async def app(scope, receive, send):
        if scope['type'] != 'http':
            return
        await asyncio.sleep(0.01)
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'slept'})

    server = Asgiref.Server.new(app)

    def client(port):
        result['text'] = get('http://127.0.0.1:%d/' % port).text
        GLib.idle_add(lambda: server.stop_async(None, lambda *_: main_loop.quit()))

    def started(server, res):
        server.start_finish(res)
        server.listen_local(0)
        threading.Thread(target=client, args=(server.get_port(),), daemon=True).start()

    server.start_async(None, started)
    guard = GLib.timeout_add_seconds(GUARD, main_loop.quit)
    main_loop.run()
    GLib.source_remove(guard)
    assert result == {'text': 'slept'}


# ---- Starlette -----------------------------------------------------------

def starlette_app(events, local):
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
    from starlette.routing import Route, WebSocketRoute

    async def item(request):
        local.item = request.path_params['item_id']
        await asyncio.sleep(0)
        return JSONResponse({'item': local.item, 'q': request.query_params.get('q')})

    async def echo(request):
        data = await request.json()
        return JSONResponse({'got': data}, background=BackgroundTask(events.append, 'background'))

    async def stream(request):
        async def numbers():
            for n in range(5):
                yield b'%d\n' % n
                await asyncio.sleep(0)
        return StreamingResponse(numbers(), media_type='text/plain')

    async def boom(request):
        raise RuntimeError('starlette view failed')

    async def ws(websocket):
        await websocket.accept()
        while True:
            text = await websocket.receive_text()
            if text == 'bye':
                await websocket.close(code=1000)
                return
            await websocket.send_text('echo: ' + text)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        events.append('startup')
        yield
        events.append('shutdown')

    return Starlette(
        lifespan=lifespan,
        routes=[Route('/items/{item_id:int}', item), Route('/echo', echo, methods=['POST']),
                Route('/stream', stream), Route('/boom', boom),
                Route('/plain', lambda request: PlainTextResponse('sync view')),
                WebSocketRoute('/ws', ws)])


def websocket_client(url, texts):
    import websockets.client

    async def talk():
        async with websockets.client.connect(url) as ws:
            answers = []
            for text in texts:
                await ws.send(text)
                answers.append(await ws.recv())
            await ws.send('bye')
            await ws.wait_closed()
            return answers, ws.close_code

    # A loop of its own, in this thread: not the GLib one under test.
    own = asyncio.SelectorEventLoop()
    try:
        return own.run_until_complete(asyncio.wait_for(talk(), GUARD))
    finally:
        own.close()


def test_starlette(asyncio_loop, logged):
    events = []
    local = Asgiref.Local()
    app = starlette_app(events, local)

    def client(base):
        with httpx.Client(base_url=base, timeout=GUARD) as c:
            out = {
                'item': c.get('/items/7', params={'q': 'x y'}).json(),
                'echo': c.post('/echo', json={'a': [1, 2]}).json(),
                'stream': c.get('/stream').text,
                'missing': c.get('/items/notanumber').status_code,
                'boom': c.get('/boom').status_code,
                'plain': c.get('/plain').text,
            }
        return out

    async def scenario():
        async with served(app) as (_, base):
            assert events == ['startup']
            out = await in_thread(client, base)
            out['ws'] = await in_thread(websocket_client, base.replace('http', 'ws') + '/ws',
                                        ['one', 'two'])
            out['concurrent'] = await asyncio.gather(
                *(in_thread(lambda n=n: get('%s/items/%d' % (base, n)).json()) for n in range(8)))
        return out

    out = run(asyncio_loop, scenario())
    assert out['item'] == {'item': 7, 'q': 'x y'}
    assert out['echo'] == {'got': {'a': [1, 2]}}
    assert out['stream'] == '0\n1\n2\n3\n4\n'
    assert out['missing'] == 404
    assert out['boom'] == 500
    assert out['plain'] == 'sync view'
    assert out['ws'] == (['echo: one', 'echo: two'], 1000)
    assert [one['item'] for one in out['concurrent']] == list(range(8))
    assert events == ['startup', 'background', 'shutdown']
    assert any('starlette view failed' in m for m in logged)


# ---- Django's ASGI handler ----------------------------------------------

def django_asgi_app():
    import django_project
    django_project.set_up()
    from django.core.asgi import get_asgi_application
    return get_asgi_application()


def test_django_asgi(asyncio_loop):
    app = django_asgi_app()

    def client(base):
        with httpx.Client(base_url=base, timeout=GUARD) as c:
            cookie = c.get('/cookie', headers={'Cookie': 'visit=before'})
            return {
                'hello': c.get('/hello/bob', params={'page': 2}).text,
                'form': c.post('/form', data={'field': 'value'}).text,
                'json': c.post('/json', json=[1, 'two']).json(),
                'stream': c.get('/stream').text,
                'cookie': (cookie.text, cookie.headers['set-cookie']),
                'missing': c.get('/nothing').status_code,
            }

    async def scenario():
        # Django has no lifespan support: starting works all the same.
        async with served(app) as (_, base):
            out = await in_thread(client, base)
            out['concurrent'] = await asyncio.gather(
                *(in_thread(lambda n=n: get('%s/async?n=%d' % (base, n)).text) for n in range(6)))
        return out

    out = run(asyncio_loop, scenario())
    assert out['hello'] == 'hello bob, page 2'
    assert out['form'] == 'form: value'
    assert out['json'] == {'got': [1, 'two'], 'path': '/json'}
    assert out['stream'] == ''.join('line %d\n' % n for n in range(5))
    assert out['cookie'][0] == 'seen: before' and 'visit=yes' in out['cookie'][1]
    assert out['missing'] == 404
    assert out['concurrent'] == ['async %d' % n for n in range(6)]


# ---- The bridge from asyncio code ---------------------------------------

def test_sync_to_async_future_is_awaitable(asyncio_loop):
    @Asgiref.sync_to_async(thread_sensitive=False)
    def blocking(x):
        return x * 2, threading.get_ident()

    @Asgiref.sync_to_async(thread_sensitive=False)
    def failing():
        raise KeyError('from the thread')

    async def scenario():
        value, thread = await blocking(21)
        with pytest.raises(KeyError, match='from the thread'):
            await failing()
        return value, thread

    value, thread = run(asyncio_loop, scenario())
    assert value == 42 and thread != threading.get_ident()


def test_async_to_sync_runs_a_coroutine_on_the_main_loop(asyncio_loop):
    local = Asgiref.Local()
    main_thread = threading.get_ident()

    async def fetch(x):
        await asyncio.sleep(0)
        local.seen = local.given          # the caller's context, copied
        return x + 1, threading.get_ident()

    async def fails():
        await asyncio.sleep(0)
        raise LookupError('in the coroutine')

    @Asgiref.sync_to_async(thread_sensitive=False)
    def worker():
        local.given = 'from the worker'
        value = Asgiref.async_to_sync(fetch)(1)
        with pytest.raises(LookupError, match='in the coroutine'):
            Asgiref.async_to_sync(fails)()
        return value, local.seen

    async def scenario():
        return await worker()

    (value, thread), seen = run(asyncio_loop, scenario())
    assert value == 2 and thread == main_thread
    assert seen == 'from the worker'


def test_async_to_sync_coroutine_from_a_plain_thread():
    # No main loop is running: the coroutine runs on the private main
    # context the calling thread iterates, with a loop of its own.
    async def compute():
        await asyncio.sleep(0.001)
        return threading.get_ident()

    result = {}

    def thread():
        result['thread'] = threading.get_ident()
        result['ran_on'] = Asgiref.async_to_sync(compute)()

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join(GUARD)
    assert result['ran_on'] == result['thread']


def test_communicator_runs_an_async_function():
    async def app(scope, receive, send):
        message = await receive()
        await send({'type': 'http.response.start', 'status': 201, 'headers': []})
        await send({'type': 'http.response.body', 'body': message['body'][::-1]})

    comm = Asgiref.Communicator(app, Asgiref.Scope.new_http('POST', '/', None, None))
    comm.send_input({'type': 'http.request', 'body': b'abc'})
    assert comm.receive_output(GUARD)['status'] == 201
    assert comm.receive_output(GUARD)['body'] == b'cba'
    comm.wait(GUARD)


def test_install_refuses_a_foreign_policy():
    code = (
        "import asyncio, gi\n"
        "gi.require_version('Asgiref', '1.0')\n"
        "from gi.repository import Asgiref\n"
        "class Other(asyncio.DefaultEventLoopPolicy): pass\n"
        "asyncio.set_event_loop_policy(Other())\n"
        "try:\n"
        "    Asgiref.install_asyncio()\n"
        "except RuntimeError as e:\n"
        "    print('refused:', e)\n")
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=GUARD)
    assert out.stdout.startswith("refused: asyncio's event loop policy is already Other"), out


def test_serving_from_a_foreign_asyncio_loop_is_refused():
    # asyncio.run() without install_asyncio(): the thread would sit in a
    # selector loop that never iterates GLib's, and serve nothing.
    code = (
        "import asyncio, gi\n"
        "gi.require_version('Asgiref', '1.0')\n"
        "from gi.repository import Asgiref\n"
        "async def app(scope, receive, send): pass\n"
        "async def main():\n"
        "    try:\n"
        "        Asgiref.Server.new(app)\n"
        "    except RuntimeError as e:\n"
        "        print('refused:', e)\n"
        "asyncio.run(main())\n"
        "Asgiref.install_asyncio()\n"
        "async def again():\n"
        "    return Asgiref.Server.new(app) is not None\n"
        "print('after install:', asyncio.run(again()))\n")
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=GUARD)
    lines = out.stdout.splitlines()
    assert lines[0].startswith('refused: this thread runs an asyncio loop that is not the GLib'), out
    assert lines[1] == 'after install: True', out


def test_install_is_gio_friendly(asyncio_loop):
    # The loop is on the default main context: GIO callbacks and asyncio
    # share it.
    assert asyncio_loop is Asgiref.install_asyncio()
    assert asyncio_loop is Asgiref.get_asyncio_loop(GLib.MainContext.default())
    assert asyncio.get_event_loop_policy().get_event_loop() is asyncio_loop

    async def read_file():
        stream = Gio.MemoryInputStream.new_from_data(b'gio data')
        data = await gio_async(lambda cb: stream.read_bytes_async(8, GLib.PRIORITY_DEFAULT, None, cb),
                               Gio.InputStream.read_bytes_finish)
        return data.get_data()

    assert run(asyncio_loop, read_file()) == b'gio data'
