// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Asgiref.Server hosting an ASGI application written in GJS (an async
// function through application(), reading its scope and messages as plain
// objects and sending objects), fetched with libsoup's client on the same
// main loop: a request with its body, the lifespan protocol, and the
// application's calls all on the main thread.

import Asgiref from 'gi://Asgiref?version=1.0';
import AsgirefTest from 'gi://AsgirefTest?version=1.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Soup from 'gi://Soup?version=3.0';

import {application} from '../../gir/asgiref.js';
import {assert, assertDeepEqual, assertEqual, run, runLoop, test} from './harness.js';

Gio._promisify(Soup.Session.prototype, 'send_and_read_async', 'send_and_read_finish');
Gio._promisify(Asgiref.Server.prototype, 'start_async', 'start_finish');
Gio._promisify(Asgiref.Server.prototype, 'stop_async', 'stop_finish');

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function inLoop(body) {
    runLoop(done => {
        body().then(() => done(), error => done(error ?? new Error('rejected')));
    });
}

const lifespan = [];
const onMainThread = [];

const app = application(async (scope, {receive, send}) => {
    onMainThread.push(AsgirefTest.ThreadFunction.is_main_thread());
    if (scope.type === 'lifespan') {
        for (;;) {
            const {type} = await receive();
            lifespan.push(type);
            await send({type: `${type}.complete`});
            if (type === 'lifespan.shutdown')
                return;
        }
    }

    let body = '';
    for (;;) {
        const request = await receive();
        body += decoder.decode(request.body);
        if (!request.more_body)
            break;
    }
    await send({type: 'http.response.start', status: 200,
        headers: [['content-type', 'text/plain'], ['x-method', scope.method]]});
    await send({type: 'http.response.body', body: `${scope.path}: ${body}`});
});

test('a JS application serves requests', () => {
    inLoop(async () => {
        const server = Asgiref.Server.new(app);
        server.listen_local(0);
        await server.start_async(null);
        assertDeepEqual(lifespan, ['lifespan.startup']);

        const session = new Soup.Session();
        const msg = Soup.Message.new('POST', `http://127.0.0.1:${server.get_port()}/echo`);
        msg.set_request_body_from_bytes('text/plain', new GLib.Bytes(encoder.encode('from js')));
        const reply = await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null);
        assertEqual(msg.get_status(), 200);
        assertEqual(msg.get_response_headers().get_one('X-Method'), 'POST');
        assertEqual(decoder.decode(reply.toArray()), '/echo: from js');

        await server.stop_async(null);
        assertDeepEqual(lifespan, ['lifespan.startup', 'lifespan.shutdown']);
    });
});

test('the application only ran on the main thread', () => {
    assertEqual(onMainThread.length, 2);
    assert(onMainThread.every(x => x), `${onMainThread}`);
});

// Local values after an await: each request sees its own, never another's
// (GJS resumes an async function from its promise job queue, outside the
// GLib callback that settled the promise).
const user = new Asgiref.Local();
let releaseA = null;
const gateA = new Promise(resolve => {
    releaseA = resolve;
});
const isolated = application(async (scope, {receive, send, within}) => {
    if (scope.type !== 'http')
        return;
    await receive();
    const before = user.get('user');
    let after;
    if (scope.path === '/a') {
        user.set('user', 'a');
        await within(gateA);          // another request runs meanwhile
        after = user.get('user');
    } else if (scope.path === '/login') {
        user.set('user', 'alice');
        after = user.get('user');
    } else if (scope.path === '/foreign') {
        // A promise that is not the instance's: its continuation runs in the
        // main thread's shared context, and a Local refuses to answer there.
        await new Promise(resolve => GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        }));
        try {
            after = user.get('user');
        } catch (e) {
            after = e.message;
        }
    } else {
        after = user.get('user');
    }
    await send({type: 'http.response.start', status: 200});
    await send({type: 'http.response.body', body: `${scope.path}: before=${before} after=${after}`});
});

test('each request sees its own Local values after awaits', () => {
    inLoop(async () => {
        const server = Asgiref.Server.new(isolated);
        server.listen_local(0);
        const base = `http://127.0.0.1:${server.get_port()}`;
        const session = new Soup.Session();
        const get = async path => {
            const reply = await session.send_and_read_async(Soup.Message.new('GET', base + path),
                GLib.PRIORITY_DEFAULT, null);
            return decoder.decode(reply.toArray());
        };

        // One after the other: what /login set stays in /login.
        assertEqual(await get('/login'), '/login: before=undefined after=alice');
        assertEqual(await get('/anon'), '/anon: before=undefined after=undefined');

        // Concurrently: /b runs while /a waits with its value set, and /a
        // finds its own value when it resumes.
        const a = get('/a');
        assertEqual(await get('/b'), '/b: before=undefined after=undefined');
        releaseA();
        assertEqual(await a, '/a: before=undefined after=a');

        // After an await of some other promise: a clear error, not the
        // shared context's values.
        const foreign = await get('/foreign');
        assert(foreign.startsWith('/foreign: before=undefined after=Asgiref.Local'), foreign);
        assert(foreign.includes('within('), foreign);

        await server.stop_async(null);
    });
});

test('a streamed JS response arrives whole, sends taken at once or awaited', () => {
    // The start and the first chunk are taken at once (try_send); the next
    // ones wait while the server writes the one before (send_async).
    const parts = ['one,', 'two,', 'three,', 'four'];
    const resolved = [];
    const streaming = application(async (scope, {send}) => {
        if (scope.type !== 'http')
            return;
        resolved.push(await send({type: 'http.response.start', status: 200, headers: []}));
        for (const [i, part] of parts.entries()) {
            resolved.push(await send({type: 'http.response.body', body: part,
                more_body: i < parts.length - 1}));
        }
    });
    inLoop(async () => {
        const server = Asgiref.Server.new(streaming);
        server.listen_local(0);
        await server.start_async(null);
        const msg = Soup.Message.new('GET', `http://127.0.0.1:${server.get_port()}/stream`);
        const reply = await new Soup.Session().send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null);
        assertEqual(msg.get_status(), 200);
        assertEqual(msg.get_response_headers().get_encoding(), Soup.Encoding.CHUNKED);
        assertEqual(decoder.decode(reply.toArray()), parts.join(''));
        await server.stop_async(null);
    });
    // Both ways, a send resolves with true once the server took it.
    assertDeepEqual(resolved, [true, true, true, true, true]);
});

test('a message refused in JS reaches the server even when the app ignores it', () => {
    const careless = application(async (scope, {send}) => {
        if (scope.type !== 'http')
            return;
        send({type: 'http.response.start', status: 'OK'}).catch(() => {});
    });
    const logged = [];
    const old = GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR);
    const handler = GLib.log_set_handler('Asgiref', GLib.LogLevelFlags.LEVEL_WARNING,
        (domain, level, message) => logged.push(message));
    try {
        inLoop(async () => {
            const server = Asgiref.Server.new(careless);
            server.listen_local(0);
            const msg = Soup.Message.new('GET', `http://127.0.0.1:${server.get_port()}/careless`);
            const session = new Soup.Session();
            const reply = await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null);
            assertEqual(msg.get_status(), 500);
            assertEqual(decoder.decode(reply.toArray()), 'Internal Server Error\n');
            await server.stop_async(null);
        });
    } finally {
        GLib.log_remove_handler('Asgiref', handler);
        GLib.log_set_always_fatal(old);
    }
    assertEqual(logged.length, 1);
    assert(logged[0].startsWith('ASGI application error on GET /careless: '), logged[0]);
    assert(logged[0].includes('status'), logged[0]);
});

Gio._promisify(Soup.Session.prototype, 'websocket_connect_async', 'websocket_connect_finish');

test('a JS application serves a WebSocket', () => {
    let disconnected = null;
    const echo = application(async (scope, {receive, send}) => {
        if (scope.type !== 'websocket')
            return;
        for (;;) {
            const message = await receive();
            if (message.type === 'websocket.connect') {
                await send({type: 'websocket.accept'});
            } else if (message.type === 'websocket.receive') {
                await send({type: 'websocket.send', text: `echo: ${message.text}`});
            } else {
                disconnected = message.code;
                return;
            }
        }
    });
    inLoop(async () => {
        const server = Asgiref.Server.new(echo);
        server.listen_local(0);
        const session = new Soup.Session();
        const msg = Soup.Message.new('GET', `ws://127.0.0.1:${server.get_port()}/ws`);
        const ws = await session.websocket_connect_async(msg, null, null, GLib.PRIORITY_DEFAULT, null);
        const reply = await new Promise(resolve => {
            ws.connect('message', (_ws, _type, data) => resolve(decoder.decode(data.toArray())));
            ws.send_text('hi');
        });
        assertEqual(reply, 'echo: hi');
        await new Promise(resolve => {
            ws.connect('closed', () => resolve());
            ws.close(4003, 'bye');
        });
        await server.stop_async(null);
    });
    assertEqual(disconnected, 4003);
});

test('a C WSGI handler serves requests from a worker thread', () => {
    inLoop(async () => {
        const server = Asgiref.Server.new(AsgirefTest.wsgi_echo_new());
        await server.start_async(null);
        server.listen_local(0);
        const session = new Soup.Session();
        const msg = Soup.Message.new('POST', `http://127.0.0.1:${server.get_port()}/echo`);
        msg.set_request_body_from_bytes('text/plain', new GLib.Bytes(encoder.encode('from JS')));
        const body = await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null);
        assertEqual(msg.get_status(), 200);
        assertEqual(decoder.decode(body.toArray()), 'POST /echo on a worker thread: from JS');
        await server.stop_async(null);
    });
});

test('a JS function cannot be a WSGI handler', () => {
    let thrown = null;
    try {
        Asgiref.WsgiApplication.new(() => true);
    } catch (e) {
        thrown = e;
    }
    assert(thrown instanceof TypeError, `${thrown}`);
    assert(String(thrown.message).includes('worker thread'), thrown.message);
});

test('a JS application cannot be declared thread-safe', () => {
    let thrown = null;
    try {
        app.set_thread_safe(true);
    } catch (e) {
        thrown = e;
    }
    assert(thrown instanceof TypeError, `${thrown}`);
    assertEqual(app.get_thread_safe(), false);
    // A C one can.
    const c = AsgirefTest.wsgi_echo_new();
    c.set_thread_safe(true);
    assertEqual(c.get_thread_safe(), true);
});

run('server');
