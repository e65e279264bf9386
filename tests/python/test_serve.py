# SPDX-License-Identifier: LGPL-2.1-or-later
"""asgiref-serve, run as a user runs it: its demo, its options, a module's
application, and its graceful stop."""

import contextlib
import fcntl
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

SERVE = os.environ['ASGIREF_SERVE']
MODULE = os.environ['ASGIREF_SERVE_TEST_MODULE']
GUARD = 30
# Debian's headless Chromium, which .ci/install-deps installs.
CHROMIUM = shutil.which('chromium-headless-shell') or shutil.which('chromium')


def readline(stream):
    """The next line of @stream, failing after GUARD seconds."""
    ready, _, _ = select.select([stream], [], [], GUARD)
    assert ready, 'asgiref-serve said nothing'
    return stream.readline()


class Serve:
    def __init__(self, *args):
        env = dict(os.environ, G_DEBUG='')
        self.process = subprocess.Popen([SERVE, *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)
        line = readline(self.process.stdout)
        assert line.startswith('Serving'), line + self.process.stderr.read()
        self.url = line.split()[2] if line.startswith('Serving on') else None

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(GUARD) == 0, self.process.stderr.read()


@pytest.fixture
def demo():
    serve = Serve('--port', '0')
    yield serve
    if serve.process.poll() is None:
        serve.stop()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=GUARD) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_demo_pages(demo):
    assert demo.url.startswith('http://127.0.0.1:')

    status, headers, body = get(demo.url)
    assert status == 200
    assert headers['Content-Type'] == 'text/html; charset=utf-8'
    assert '/stream' in body and '/blocking' in body and '/local' in body

    status, headers, body = get(demo.url + 'stream')
    assert status == 200
    assert headers['Transfer-Encoding'] == 'chunked'
    assert body.splitlines() == ['line %d of 10' % i for i in range(1, 11)]

    # Each request has its own Local value, read on a worker thread...
    assert 'request number 1' in get(demo.url + 'local')[2]
    assert 'request number 2' in get(demo.url + 'local')[2]
    # ... and one that set none sees none.
    status, _, body = get(demo.url + 'blocking')
    assert status == 200
    assert 'worker thread' in body and '(none)' in body

    assert get(demo.url + 'nothing')[0] == 404


def websocket_echo(url, text):
    """What the demo's WebSocket at @url answers to @text."""
    websockets = pytest.importorskip('websockets')
    import asyncio

    async def talk():
        uri = url.replace('http://', 'ws://') + 'ws'
        async with websockets.connect(uri, open_timeout=GUARD) as socket:
            await socket.send(text)
            got = await asyncio.wait_for(socket.recv(), GUARD)
            await socket.close(code=4001)
        return got

    return asyncio.run(talk())


def test_demo_websocket_echo(demo):
    websockets = pytest.importorskip('websockets')
    import asyncio

    assert websocket_echo(demo.url, 'hello') == 'echo: hello'

    async def refused():
        uri = demo.url.replace('http://', 'ws://') + 'elsewhere'
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as raised:
            await websockets.connect(uri, open_timeout=GUARD)
        return raised.value.status_code

    assert asyncio.run(refused()) == 403


class DevTools:
    """Chromium driven over --remote-debugging-pipe: the DevTools protocol's
    JSON messages, each ended by a NUL byte, written to its fd 3 and read
    from its fd 4."""

    def __init__(self, *args):
        to_browser, self.to_browser = os.pipe()
        self.from_browser, from_browser = os.pipe()

        def descriptors():
            # Out of the way first: either end may already be 3 or 4,
            # which the other's dup2 would clobber.
            ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        self.stderr = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen([CHROMIUM, '--remote-debugging-pipe', *args],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=self.stderr, pass_fds=(3, 4),
                                            preexec_fn=descriptors)
        finally:
            # The browser has its ends: once it exits, reads here see EOF.
            os.close(to_browser)
            os.close(from_browser)
        self.buffer = b''
        self.events = []
        self.last_id = 0

    def errors(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors='replace')

    def receive(self, deadline):
        """The next message, failing at @deadline or if the browser has gone."""
        while b'\0' not in self.buffer:
            ready, _, _ = select.select([self.from_browser], [], [],
                                        max(deadline - time.monotonic(), 0))
            assert ready, 'Chromium said nothing in time\n' + self.errors()
            chunk = os.read(self.from_browser, 65536)
            assert chunk, 'Chromium closed its pipe\n' + self.errors()
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b'\0', 1)
        return json.loads(message)

    def send(self, method, session=None, **params):
        self.last_id += 1
        message = {'id': self.last_id, 'method': method, 'params': params}
        if session:
            message['sessionId'] = session
        os.write(self.to_browser, json.dumps(message).encode() + b'\0')
        return self.last_id

    def call(self, method, session=None, **params):
        """@method's result; events that come first are kept for event()."""
        sent = self.send(method, session, **params)
        deadline = time.monotonic() + GUARD
        while (reply := self.receive(deadline)).get('id') != sent:
            self.events.append(reply)
        assert 'error' not in reply, (method, reply['error'])
        return reply['result']

    def event(self, method, **params):
        """The params of the next @method event that has @params."""
        deadline = time.monotonic() + GUARD
        while True:
            event = self.events.pop(0) if self.events else self.receive(deadline)
            if (event.get('method') == method and
                    params.items() <= event.get('params', {}).items()):
                return event['params']

    def close(self):
        try:
            if self.process.poll() is None:
                # A browser that has crashed is killed below, and the test's
                # own failure says why: a broken pipe here would bury it.
                with contextlib.suppress(BrokenPipeError):
                    self.send('Browser.close')
                self.process.wait(GUARD)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            os.close(self.to_browser)
            os.close(self.from_browser)
            self.stderr.close()


# The page appends to its log as its WebSocket opens, answers and closes.
# This settles on an answer, or on a close, which would otherwise leave the
# test waiting for GUARD with nothing to show.
LOG_ANSWERED = """
new Promise(resolve => {
  const log = document.getElementById('log');
  const answered = () => /echo: |closed/.test(log.textContent);
  if (answered())
    return resolve(log.textContent);
  new MutationObserver((_, observer) => {
    if (answered()) {
      observer.disconnect();
      resolve(log.textContent);
    }
  }).observe(log, {childList: true, characterData: true, subtree: true});
})
"""


@pytest.mark.skipif(CHROMIUM is None, reason='no headless Chromium (chromium-headless-shell)')
def test_browser_runs_the_demo_page(demo):
    """A browser opens the demo page, whose script connects to the
    WebSocket echo and sends the form's text: once the answer is in the
    page's log, the log, as Chromium's DOM has it, shows the connection
    and the answer."""
    with tempfile.TemporaryDirectory() as profile:
        browser = DevTools('--headless', '--no-sandbox', '--disable-gpu',
                           '--user-data-dir=' + profile)
        try:
            target = browser.call('Target.createTarget', url='about:blank')['targetId']
            session = browser.call('Target.attachToTarget', targetId=target,
                                   flatten=True)['sessionId']
            browser.call('Page.enable', session)
            browser.call('Page.setLifecycleEventsEnabled', session, enabled=True)
            navigated = browser.call('Page.navigate', session, url=demo.url)
            assert 'errorText' not in navigated, navigated
            # This navigation's load: about:blank's may be reported too.
            browser.event('Page.lifecycleEvent', loaderId=navigated['loaderId'], name='load')
            result = browser.call('Runtime.evaluate', session, expression=LOG_ANSWERED,
                                  awaitPromise=True, returnByValue=True)
            assert 'exceptionDetails' not in result, result['exceptionDetails']
        finally:
            browser.close()
    assert result['result']['value'] == 'connected\necho: hello\n'


def test_stop_waits_for_running_requests(demo):
    port = int(demo.url.rstrip('/').rsplit(':', 1)[1])
    with socket.create_connection(('127.0.0.1', port), GUARD) as client:
        client.sendall(b'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n')
        answer = b''
        while b'line 1 of 10' not in answer:
            chunk = client.recv(65536)
            assert chunk, answer
            answer += chunk
        # Streaming: the stop lets it end whole, then the server exits.
        demo.process.send_signal(signal.SIGTERM)
        while b'line 10 of 10' not in answer:
            chunk = client.recv(65536)
            assert chunk, answer
            answer += chunk
    assert demo.process.wait(GUARD) == 0


def test_demo_on_serving_threads():
    """--threads 2: the demo, thread-safe, served on two threads, with each
    request's Local its own and the stream and WebSocket working there."""
    serve = Serve('--port', '0', '--threads', '2')
    values = {re.search(r'request number (\d+)', get(serve.url + 'local')[2]).group(1)
              for _ in range(6)}
    assert len(values) == 6
    status, _, body = get(serve.url + 'stream')
    assert status == 200 and body.splitlines()[-1] == 'line 10 of 10'
    assert '(none)' in get(serve.url + 'blocking')[2]
    assert websocket_echo(serve.url, 'threads') == 'echo: threads'
    serve.stop()


def test_threads_need_a_thread_safe_application():
    result = subprocess.run([SERVE, '--port', '0', '--threads', '2',
                             '--module', MODULE + ':test_serve_application'],
                            capture_output=True, text=True, timeout=GUARD)
    assert result.returncode == 1
    assert 'not thread-safe' in result.stderr

    result = subprocess.run([SERVE, '--threads', '0'], capture_output=True, text=True,
                            timeout=GUARD)
    assert result.returncode == 2
    assert '--threads' in result.stderr


def test_module_application():
    serve = Serve('--port', '0', '--module', MODULE + ':test_serve_application')
    status, _, body = get(serve.url + 'x')
    assert (status, body) == (200, 'from the module /x')
    serve.stop()


def test_unix_socket():
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, 'socket')
        serve = Serve('--uds', path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(GUARD)
            client.connect(path)
            client.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
            answer = b''
            while chunk := client.recv(65536):
                answer += chunk
        assert answer.startswith(b'HTTP/1.1 200 ')
        serve.stop()


def test_access_log():
    serve = Serve('--port', '0', '--access-log')
    get(serve.url + 'stream')
    line = readline(serve.process.stdout)
    assert '"GET /stream HTTP/1.1" 200' in line
    serve.stop()


def test_raises_its_descriptor_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(256, hard)

    def lower():
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))

    process = subprocess.Popen([SERVE, '--port', '0'], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=lower)
    assert readline(process.stdout).startswith('Serving on')
    with open('/proc/%d/limits' % process.pid) as limits:
        line = next(line for line in limits if line.startswith('Max open files'))
    assert line.split()[3:5] == [str(hard), str(hard)]
    process.send_signal(signal.SIGTERM)
    assert process.wait(GUARD) == 0


def test_help_names_the_options():
    result = subprocess.run([SERVE, '--help'], capture_output=True, text=True, timeout=GUARD)
    assert result.returncode == 0
    for option in ('--host', '--port', '--uds', '--fd', '--threads', '--module', '--root-path',
                   '--access-log',
                   '--max-body-size', '--max-instances', '--timeout-response',
                   '--timeout-header', '--timeout-keep-alive', '--timeout-graceful'):
        assert option in result.stdout


def test_mistakes_are_reported():
    result = subprocess.run([SERVE, '--port', 'eighty'], capture_output=True, text=True, timeout=GUARD)
    assert result.returncode == 2
    assert 'asgiref-serve:' in result.stderr

    result = subprocess.run([SERVE, '--module', '/nonexistent.so'], capture_output=True,
                            text=True, timeout=GUARD)
    assert result.returncode == 1
    assert 'Cannot load /nonexistent.so' in result.stderr

    result = subprocess.run([SERVE, '--module', MODULE + ':no_such_function'], capture_output=True,
                            text=True, timeout=GUARD)
    assert result.returncode == 1
    assert 'no_such_function' in result.stderr

    result = subprocess.run([SERVE, '--root-path', 'app'], capture_output=True, text=True,
                            timeout=GUARD)
    assert result.returncode == 2
    assert 'root path' in result.stderr

    result = subprocess.run([SERVE, '--host', 'example.org', '--port', '0'], capture_output=True,
                            text=True, timeout=GUARD)
    assert result.returncode == 1
    assert 'not an IP address' in result.stderr
