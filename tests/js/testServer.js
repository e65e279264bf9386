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

run('server');
