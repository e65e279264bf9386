# SPDX-License-Identifier: LGPL-2.1-or-later
"""PEP 3333 applications on AsgirefServer through
Asgiref.WsgiApplication.new_for_callable(): plain ones under wsgiref's
validator, Flask and Django in-process, queried with http.client from the
test's thread while the server runs its own main context."""

import http.client
import json
import threading
import wsgiref.validate
from concurrent.futures import ThreadPoolExecutor

import gi
import pytest

gi.require_version('Asgiref', '1.0')
from gi.repository import Asgiref, GLib  # noqa: E402

GUARD = 30


class Served:
    """Serves ``app`` (a WSGI callable) on 127.0.0.1 from a thread running a
    main context of its own, until stop()."""

    def __init__(self, app, **kwargs):
        self.ready = threading.Event()
        self.failure = None
        self.context = GLib.MainContext.new()
        self.loop = GLib.MainLoop.new(self.context, False)
        self.thread = threading.Thread(target=self._run, args=(app, kwargs), daemon=True)
        self.thread.start()
        assert self.ready.wait(GUARD), 'the server did not start'
        assert self.failure is None, self.failure

    def _run(self, app, kwargs):
        self.context.push_thread_default()
        try:
            self.server = Asgiref.Server.new(Asgiref.WsgiApplication.new_for_callable(app, **kwargs))

            def started(server, result):
                try:
                    server.start_finish(result)
                    server.listen_local(0)
                    self.port = server.get_port()
                except GLib.Error as error:
                    self.failure = error
                self.ready.set()

            self.server.start_async(None, started)
            self.loop.run()
        finally:
            self.context.pop_thread_default()

    def request(self, method, path, body=None, headers=None, version=None):
        connection = http.client.HTTPConnection('127.0.0.1', self.port, timeout=GUARD)
        if version == '1.0':
            connection._http_vsn, connection._http_vsn_str = 10, 'HTTP/1.0'
        headers = headers or {}
        connection.request(method, path, body=body, headers=headers,
                           encode_chunked='Transfer-Encoding' in headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, response.headers, data

    def stop(self):
        def stop_now(*_user_data):
            self.server.stop_async(None, lambda *args: self.loop.quit())
            return GLib.SOURCE_REMOVE

        source = GLib.idle_source_new()
        source.set_callback(stop_now)
        source.attach(self.context)
        self.thread.join(GUARD)
        assert not self.thread.is_alive()


@pytest.fixture
def serve():
    served = []

    def start(app, **kwargs):
        served.append(Served(app, **kwargs))
        return served[-1]

    yield start
    for one in served:
        one.stop()


# ---- Plain PEP 3333 applications, under the validator -------------------

def environ_app(environ, start_response):
    body = environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
    shown = {key: value for key, value in environ.items() if isinstance(value, (str, bool, tuple))}
    shown['body'] = body.decode('latin-1')
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [json.dumps(shown).encode()]


def test_environ(serve):
    served = serve(wsgiref.validate.validator(environ_app))
    status, _, data = served.request(
        'POST', '/a%20b/%C3%A9?x=1&y=%20', body=b'hello',
        headers={'Content-Type': 'text/plain', 'X-Rep': '1', 'X-Other': 'o'})
    assert status == 200
    environ = json.loads(data)
    assert environ['REQUEST_METHOD'] == 'POST'
    assert environ['SCRIPT_NAME'] == ''
    # Decoded, as bytes in a native string (PEP 3333).
    assert environ['PATH_INFO'] == '/a b/\u00c3\u00a9'
    assert environ['QUERY_STRING'] == 'x=1&y=%20'
    assert environ['CONTENT_TYPE'] == 'text/plain'
    assert environ['CONTENT_LENGTH'] == '5'
    assert 'HTTP_CONTENT_TYPE' not in environ and 'HTTP_CONTENT_LENGTH' not in environ
    assert environ['HTTP_X_REP'] == '1' and environ['HTTP_X_OTHER'] == 'o'
    assert environ['SERVER_PROTOCOL'] == 'HTTP/1.1'
    assert environ['SERVER_NAME'] == '127.0.0.1' and environ['SERVER_PORT'] == str(served.port)
    assert environ['REMOTE_ADDR'] == '127.0.0.1' and int(environ['REMOTE_PORT']) > 0
    assert environ['wsgi.url_scheme'] == 'http'
    assert environ['wsgi.multithread'] is True and environ['wsgi.multiprocess'] is False
    assert environ['wsgi.run_once'] is False
    assert environ['body'] == 'hello'


def test_repeated_headers_and_http_1_0(serve):
    served = serve(wsgiref.validate.validator(environ_app))
    connection = http.client.HTTPConnection('127.0.0.1', served.port, timeout=GUARD)
    connection.putrequest('GET', '/r')
    connection.putheader('X-Rep', '1')
    connection.putheader('X-Rep', '2')
    connection.endheaders()
    environ = json.loads(connection.getresponse().read())
    connection.close()
    assert environ['HTTP_X_REP'] == '1, 2'

    status, _, data = served.request('GET', '/old', version='1.0')
    assert status == 200 and json.loads(data)['SERVER_PROTOCOL'] == 'HTTP/1.0'


def lines_app(environ, start_response):
    body = environ['wsgi.input']
    first = body.readline()
    two = body.read(2)
    rest = list(body)
    assert body.read(10) == b'' and body.readline() == b'' 
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [repr((first, two, rest)).encode()]


def test_input_reads_lines_and_sizes(serve):
    served = serve(wsgiref.validate.validator(lines_app))

    def chunks():
        yield b'line one\nab'
        yield b'c\nlast'

    status, _, data = served.request('POST', '/lines', body=chunks(),
                                     headers={'Transfer-Encoding': 'chunked'})
    assert status == 200
    assert data.decode() == repr((b'line one\n', b'ab', [b'c\n', b'last']))


def test_start_response_rules(serve, logged):
    def app(environ, start_response):
        path = environ['PATH_INFO']
        if path == '/replaced':
            start_response('200 OK', [('Content-Type', 'text/plain')])
            try:
                raise RuntimeError('half-way')
            except RuntimeError:
                import sys
                start_response('500 Internal Server Error', [('Content-Type', 'text/plain')],
                               sys.exc_info())
            return [b'error page']
        if path == '/twice':
            start_response('200 OK', [])
            start_response('200 OK', [])
            return [b'never']
        if path == '/bad-status':
            start_response('OK', [])
            return [b'never']
        if path == '/bad-header':
            start_response('200 OK', [('X-Bad', 'a\r\nb')])
            return [b'never']
        if path == '/write':
            write = start_response('200 OK', [('Content-Type', 'text/plain')])
            write(b'written, ')
            return [b'then returned']
        if path == '/after-headers':
            start_response('200 OK', [('Content-Type', 'text/plain')])

            def body():
                yield b'first'
                try:
                    raise RuntimeError('too late')
                except RuntimeError:
                    import sys
                    start_response('500 Internal Server Error', [], sys.exc_info())
                yield b'never'
            return body()
        return [b'?']

    served = serve(app)
    assert served.request('GET', '/replaced')[::2] == (500, b'error page')
    assert served.request('GET', '/write')[::2] == (200, b'written, then returned')
    for path, why in (('/twice', 'a second time without exc_info'),
                      ('/bad-status', "'OK' is not a status"),
                      ('/bad-header', 'holds a line break')):
        assert served.request('GET', path)[0] == 500, path
        assert path in logged[-1] and why in logged[-1], logged[-1]
    # Once the headers went out, the exception is re-raised: the
    # connection closes before the body ends.
    with pytest.raises(http.client.IncompleteRead):
        served.request('GET', '/after-headers')
    assert 'too late' in logged[-1]


def test_close_is_called_when_the_client_leaves(serve):
    closed = threading.Event()

    class Endless:
        def __init__(self):
            self.sent = 0

        def __iter__(self):
            return self

        def __next__(self):
            self.sent += 1
            if self.sent > 100000:   # a failure guard
                raise StopIteration
            return b'x' * 1024

        def close(self):
            closed.set()

    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Endless()

    served = serve(app)
    connection = http.client.HTTPConnection('127.0.0.1', served.port, timeout=GUARD)
    connection.request('GET', '/endless')
    response = connection.getresponse()
    assert response.read(4096) == b'x' * 4096
    connection.close()
    response.close()
    assert closed.wait(GUARD)


def test_content_length_stops_the_iterator(serve):
    asked = []

    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '5')])

        def body():
            asked.append('hello')
            yield b'hello'
            asked.append('more')
            yield b'more'
        return body()

    served = serve(wsgiref.validate.validator(app))
    assert served.request('GET', '/')[::2] == (200, b'hello')
    assert asked == ['hello']


def test_errors_go_to_glib_logging(serve, capfd):
    def app(environ, start_response):
        environ['wsgi.errors'].write('first line\nsecond ')
        environ['wsgi.errors'].writelines(['line\n'])
        environ['wsgi.errors'].flush()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [str(environ['wsgi.multithread']).encode()]

    # Structured logging (g_log_variant()): the default writer prints the
    # lines on standard error. Warnings, and not fatal here.
    old_mask = GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)
    try:
        served = serve(wsgiref.validate.validator(app), thread_sensitive=True)
        # One thread for every request: not multithreaded.
        assert served.request('GET', '/')[::2] == (200, b'False')
    finally:
        GLib.log_set_always_fatal(old_mask)
    err = capfd.readouterr().err
    assert 'Asgiref-Wsgi-WARNING' in err
    assert err.index('first line') < err.index('second line')


def test_exception_gets_500_and_a_warning(serve, logged):
    def app(environ, start_response):
        raise ValueError('broken on purpose')

    served = serve(app)
    status, _, _ = served.request('GET', '/broken')
    assert status == 500
    assert logged[-1].startswith('ASGI application error on GET /broken: ValueError: broken on purpose')
    assert "raise ValueError('broken on purpose')" in logged[-1]


def test_locals_stay_with_their_request(serve):
    local = Asgiref.Local()
    barrier = threading.Barrier(4, timeout=GUARD)

    def app(environ, start_response):
        assert not hasattr(local, 'path')
        local.path = environ['PATH_INFO']
        barrier.wait()          # four requests at once, on four threads
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [local.path.encode()]

    served = serve(app)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: served.request('GET', '/r%d' % n), range(4)))
    assert [data for _, _, data in results] == [b'/r%d' % n for n in range(4)]


def test_threads_bound_the_handlers_running_at_once(serve):
    # One thread: requests made at once are handled one after the other,
    # on that thread.
    threads = set()

    def app(environ, start_response):
        threads.add(threading.get_ident())
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'ok']

    served = serve(app, threads=1)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda n: served.request('GET', '/r%d' % n), range(3)))
    assert [data for _, _, data in results] == [b'ok'] * 3
    assert len(threads) == 1


def test_threads_are_shared_and_checked():
    def app(environ, start_response):
        return []

    first = Asgiref.WsgiApplication.new_for_callable(app, threads=2)
    second = Asgiref.WsgiApplication.new_for_callable(app, threads=2)
    assert first.get_bridge() == second.get_bridge()
    assert first.get_bridge().get_max_threads() == 2
    assert Asgiref.WsgiApplication.new_for_callable(app).get_bridge().get_max_threads() == 4
    for wrong in (0, -1, True, 2.0, '2'):
        with pytest.raises(ValueError):
            Asgiref.WsgiApplication.new_for_callable(app, threads=wrong)


# ---- Flask --------------------------------------------------------------

def flask_app():
    flask = pytest.importorskip('flask')
    app = flask.Flask('asgiref_test')

    @app.route('/hello/<name>')
    def hello(name):
        return 'hello %s, page %s' % (name, flask.request.args.get('page', '1'))

    @app.route('/form', methods=['POST'])
    def form():
        return 'form: %s' % flask.request.form['field']

    @app.route('/json', methods=['POST'])
    def json_view():
        return flask.jsonify(got=flask.request.get_json(), path=flask.request.path)

    @app.route('/stream')
    def stream():
        return flask.Response((('line %d\n' % n) for n in range(5)), mimetype='text/plain')

    @app.route('/cookie')
    def cookie():
        response = flask.make_response('seen: %s' % flask.request.cookies.get('visit', 'no'))
        response.set_cookie('visit', 'yes')
        response.headers['X-Custom'] = 'custom'
        return response

    @app.route('/fail')
    def fail():
        raise RuntimeError('flask view failed')

    @app.route('/who')
    def who():
        # Flask's request-local state, under concurrent requests.
        barrier.wait()
        return flask.request.args['n']

    barrier = threading.Barrier(4, timeout=GUARD)
    return app


def test_flask(serve, logged):
    served = serve(flask_app())
    assert served.request('GET', '/hello/ann?page=3')[::2] == (200, b'hello ann, page 3')
    assert served.request('POST', '/form', body=b'field=value',
                          headers={'Content-Type': 'application/x-www-form-urlencoded'})[::2] == \
        (200, b'form: value')
    status, headers, data = served.request('POST', '/json', body=json.dumps({'a': [1, 2]}),
                                           headers={'Content-Type': 'application/json'})
    assert status == 200 and headers['Content-Type'] == 'application/json'
    assert json.loads(data) == {'got': {'a': [1, 2]}, 'path': '/json'}
    status, headers, data = served.request('GET', '/stream')
    assert status == 200 and data == b''.join(b'line %d\n' % n for n in range(5))
    status, headers, data = served.request('GET', '/cookie', headers={'Cookie': 'visit=before'})
    assert (status, data) == (200, b'seen: before')
    assert headers['X-Custom'] == 'custom' and 'visit=yes' in headers['Set-Cookie']
    assert served.request('GET', '/nothing')[0] == 404
    assert served.request('GET', '/fail')[0] == 500
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: served.request('GET', '/who?n=%d' % n), range(4)))
    assert [data for _, _, data in results] == [b'%d' % n for n in range(4)]


# ---- Django -------------------------------------------------------------

def django_app():
    pytest.importorskip('django')
    import django_project
    django_project.set_up()
    from django.core.wsgi import get_wsgi_application
    return get_wsgi_application()


def test_django(serve):
    served = serve(django_app())
    assert served.request('GET', '/hello/bob?page=2')[::2] == (200, b'hello bob, page 2')
    assert served.request('POST', '/form', body=b'field=value',
                          headers={'Content-Type': 'application/x-www-form-urlencoded'})[::2] == \
        (200, b'form: value')
    status, _, data = served.request('POST', '/json', body=json.dumps([1, 'two']),
                                     headers={'Content-Type': 'application/json'})
    assert status == 200 and json.loads(data) == {'got': [1, 'two'], 'path': '/json'}
    status, _, data = served.request('GET', '/stream')
    assert status == 200 and data == b''.join(b'line %d\n' % n for n in range(5))
    status, headers, data = served.request('GET', '/cookie', headers={'Cookie': 'visit=before'})
    assert (status, data) == (200, b'seen: before') and 'visit=yes' in headers['Set-Cookie']
    assert served.request('GET', '/nothing')[0] == 404
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: served.request('GET', '/hello/p%d' % n), range(4)))
    assert [data for _, _, data in results] == [b'hello p%d, page 1' % n for n in range(4)]
