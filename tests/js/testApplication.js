// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ASGI applications implemented in GJS, driven by Asgiref.Communicator from
// the GJS main loop: first with the introspected API only (a JS class
// implementing Asgiref.Application, an Asgiref.FunctionApplication of a JS
// function, the Communicator's _async methods promisified), then through
// the helper module (application() of an async function, which reads its
// scope and messages as plain objects and sends objects or
// Asgiref.Message; the Communicator's promise methods, taking and giving
// objects; toGLibError()).
//
// Every JS call of the vfunc must happen on the main thread: GJS would
// refuse any other (a CRITICAL, fatal under G_DEBUG=fatal-warnings, and a
// call that never runs). The calls are counted and their threads checked.

import Asgiref from 'gi://Asgiref?version=1.0';
import AsgirefTest from 'gi://AsgirefTest?version=1.0';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

import {application, messageToObject, toGLibError, JS_ERROR_DOMAIN, JS_ERROR_QUARK} from '../../gir/asgiref.js';
import {assert, assertDeepEqual, assertEqual, run, runLoop, test} from './harness.js';

Gio._promisify(Asgiref.Communicator.prototype, 'receive_output_async', 'receive_output_finish');
Gio._promisify(Asgiref.Communicator.prototype, 'receive_nothing_async', 'receive_nothing_finish');
Gio._promisify(Asgiref.Communicator.prototype, 'wait_async', 'wait_finish');

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const SECOND_US = 1000 * 1000;
const SHORT_US = 50 * 1000;  // for the timeouts under test

function bytes(text) {
    return new GLib.Bytes(encoder.encode(text));
}

function text(glibBytes) {
    return decoder.decode(glibBytes.toArray());
}

function httpScope(method = 'POST', path = '/echo') {
    return Asgiref.Scope.new_http(method, path, null, null);
}

function isError(error, domain, code) {
    return error instanceof GLib.Error && error.matches(domain, code);
}

// Runs the async function `body` in a main loop; its rejection fails the
// test. The loop's own guard (10 s) fails a hang.
function inLoop(body) {
    runLoop(done => {
        body().then(() => done(), error => done(error ?? new Error('rejected')));
    });
}

// Awaits `promise` and returns what it rejected with; fails if it resolved.
async function rejection(promise, what = 'the promise') {
    try {
        const value = await promise;
        throw new Error(`${what} resolved with ${value} instead of rejecting`);
    } catch (error) {
        return error;
    }
}

// Every call of a JS implementation of the vfunc: where it ran.
const calls = [];

function recordCall(name) {
    calls.push({
        name,
        mainThread: AsgirefTest.ThreadFunction.is_main_thread(),
    });
}

// Completes `task` with the outcome of the async operation behind
// `finish(result)`, or hands the value to `then`.
function completeOnError(task, finish, then = () => {}) {
    return (source, result) => {
        let value;
        try {
            value = finish(result);
        } catch (error) {
            task.return_error(error);
            return;
        }
        then(value);
    };
}

// An echo application with the introspected API: answers the first
// http.request with 200 and the request's body.
const EchoApp = GObject.registerClass({
    Implements: [Asgiref.Application],
}, class EchoApp extends GObject.Object {
    vfunc_call(scope, channel, task) {
        recordCall('EchoApp');
        channel.receive_async(null, completeOnError(task, r => channel.receive_finish(r), request => {
            const start = Asgiref.Message.new_http_response_start(200,
                Asgiref.Headers.new(['X-Path'], [scope.get_path()]), false);
            // Sends are delivered in order: only the last one needs waiting for.
            channel.send_async(start, null, null);
            const body = Asgiref.Message.new_http_response_body(request.get_body(), false);
            channel.send_async(body, null, completeOnError(task, r => channel.send_finish(r),
                () => task.return_boolean(true)));
        }));
    }
});

// Receives one message, then does what `then(channel, task, message)`
// says; a failed receive (the instance cancelled, say) fails the task and
// is recorded in `this.errors`.
const ReceiveThenApp = GObject.registerClass({
    Implements: [Asgiref.Application],
}, class ReceiveThenApp extends GObject.Object {
    _init(then = null) {
        super._init();
        this.then = then;
        this.errors = [];
    }

    vfunc_call(scope, channel, task) {
        recordCall('ReceiveThenApp');
        channel.receive_async(task.get_cancellable(), (source, result) => {
            let message;
            try {
                message = channel.receive_finish(result);
            } catch (error) {
                this.errors.push(error);
                task.return_error(error);
                return;
            }
            this.then?.(channel, task, message);
        });
    }
});

test('a JS class echoes an http.request through the Communicator', () => {
    const before = calls.length;
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(new EchoApp(), httpScope('POST', '/echo'));
        assertEqual(calls.length, before + 1, 'the instance starts in Communicator.new()');
        comm.send_input(Asgiref.Message.new_http_request(bytes('hello, echo'), false));

        const start = await comm.receive_output_async(SECOND_US, null);
        assert(start instanceof Asgiref.Message, 'the introspected API gives Asgiref.Message');
        assertEqual(start.get_type_name(), 'http.response.start');
        assertEqual(start.get_status(), 200);
        const headers = start.get_headers();
        assertDeepEqual([headers.get_name(0), headers.get_value(0)], ['x-path', '/echo']);

        const body = await comm.receive_output_async(SECOND_US, null);
        assertEqual(body.get_type_name(), 'http.response.body');
        assertEqual(text(body.get_body()), 'hello, echo');
        assertEqual(body.get_more_body(), false);

        assertEqual(await comm.wait_async(SECOND_US, null), true);
        const finished = await rejection(comm.receive_output_async(SECOND_US, null));
        assert(isError(finished, Asgiref.error_quark(), Asgiref.Error.FINISHED), `${finished}`);
    });
});

test('a scope made with the ScopeBuilder reaches the application', () => {
    let seen = null;
    const app = Asgiref.FunctionApplication.new((scope, channel, task) => {
        recordCall('FunctionApplication (builder)');
        seen = {
            method: scope.get_method(),
            path: scope.get_path(),
            query: text(scope.get_query_string()),
            rootPath: scope.get_root_path(),
        };
        task.return_boolean(true);
    });
    const builder = Asgiref.ScopeBuilder.new_http('GET', '/items');
    builder.set_query_string(bytes('page=2'));
    builder.set_root_path('/api');
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, builder.end());
        assertEqual(await comm.wait_async(SECOND_US, null), true);
    });
    assertDeepEqual(seen, {method: 'GET', path: '/items', query: 'page=2', rootPath: '/api'});
});

test('receive_output times out with G_IO_ERROR_TIMED_OUT and cancels a silent app', () => {
    const app = new ReceiveThenApp();  // waits for a request that never comes
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope());
        const error = await rejection(comm.receive_output_async(SHORT_US, null));
        assert(isError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT), `${error}`);
        // The instance was cancelled, as asgiref does; the wait swallows the
        // cancellation it caused.
        assertEqual(await comm.wait_async(SECOND_US, null), true);
    });
    assertEqual(app.errors.length, 1);
    assert(isError(app.errors[0], Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${app.errors[0]}`);
});

test('receive_nothing is true while the app is quiet, false once it sent', () => {
    const app = new ReceiveThenApp((channel, task) => {
        channel.send_async(Asgiref.Message.new_http_response_start(204, null, false), null, null);
        channel.send_async(Asgiref.Message.new_http_response_body(null, false), null,
            completeOnError(task, r => channel.send_finish(r), () => task.return_boolean(true)));
    });
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope('GET', '/'));
        assertEqual(await comm.receive_nothing_async(SHORT_US, 5000, null), true);
        comm.send_input(Asgiref.Message.new_http_request(null, false));
        // Answers as soon as something arrived; the long timeout only guards.
        assertEqual(await comm.receive_nothing_async(5 * SECOND_US, 5000, null), false);
        // What arrived is still there.
        const start = await comm.receive_output_async(SECOND_US, null);
        assertEqual(start.get_status(), 204);
        await comm.receive_output_async(SECOND_US, null);
        assertEqual(await comm.wait_async(SECOND_US, null), true);
    });
});

test('an error the app completes its task with surfaces through receive_output and wait', () => {
    const app = Asgiref.FunctionApplication.new((scope, channel, task) => {
        recordCall('FunctionApplication (error)');
        task.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED,
            'no entry'));
    });
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope());
        const received = await rejection(comm.receive_output_async(SECOND_US, null));
        assert(isError(received, Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED), `${received}`);
        assertEqual(received.message, 'no entry');
        const waited = await rejection(comm.wait_async(SECOND_US, null));
        assert(isError(waited, Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED), `${waited}`);
    });
});

test('a body before the response start is refused to the app with ASGIREF_ERROR_PROTOCOL', () => {
    let sendError = null;
    const app = new ReceiveThenApp((channel, task) => {
        channel.send_async(Asgiref.Message.new_http_response_body(bytes('too early'), false), null,
            (source, result) => {
                try {
                    channel.send_finish(result);
                    task.return_boolean(true);
                } catch (error) {
                    sendError = error;
                    task.return_error(error);
                }
            });
    });
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope());
        comm.send_input(Asgiref.Message.new_http_request(null, false));
        // The server sees nothing of it, only the app's error.
        const error = await rejection(comm.receive_output_async(SECOND_US, null));
        assert(isError(error, Asgiref.error_quark(), Asgiref.Error.PROTOCOL), `${error}`);
    });
    assert(isError(sendError, Asgiref.error_quark(), Asgiref.Error.PROTOCOL), `${sendError}`);
});

test('wait cancels a stuck instance and fails with G_IO_ERROR_TIMED_OUT', () => {
    const app = new ReceiveThenApp();
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope());
        const error = await rejection(comm.wait_async(SHORT_US, null));
        assert(isError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT), `${error}`);
    });
    // It ended because its receive was cancelled with the instance.
    assertEqual(app.errors.length, 1);
    assert(isError(app.errors[0], Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${app.errors[0]}`);
});

test('an Asgiref.FunctionApplication of a plain JS function serves a request', () => {
    const app = Asgiref.FunctionApplication.new((scope, channel, task) => {
        recordCall('FunctionApplication (hello)');
        channel.send_async(Asgiref.Message.new_http_response_start(200, null, false), null, null);
        channel.send_async(Asgiref.Message.new_http_response_body(bytes('Hello'), false), null,
            completeOnError(task, r => channel.send_finish(r), () => task.return_boolean(true)));
    });
    assert(app instanceof Asgiref.Application);
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope('GET', '/'));
        assertEqual((await comm.receive_output_async(SECOND_US, null)).get_status(), 200);
        const body = await comm.receive_output_async(SECOND_US, null);
        assertEqual(text(body.get_body()), 'Hello');
        assertEqual(await comm.wait_async(SECOND_US, null), true);
    });
});

// A "double callable" application: one instance per scope, which gets
// the scope (an Asgiref.Scope, a boxed type) as its construct-only `scope`
// property.
const PerScopeApp = GObject.registerClass({
    Implements: [Asgiref.Application],
    Properties: {
        scope: GObject.ParamSpec.boxed('scope', 'Scope', 'The scope of this instance',
            GObject.ParamFlags.READWRITE | GObject.ParamFlags.CONSTRUCT_ONLY,
            Asgiref.Scope.$gtype),
    },
}, class PerScopeApp extends GObject.Object {
    vfunc_call(scope, channel, task) {
        recordCall('PerScopeApp');
        assert(this.scope instanceof Asgiref.Scope, 'the property holds an Asgiref.Scope');
        const path = this.scope.get_path();
        channel.send_async(Asgiref.Message.new_http_response_start(200, null, false), null, null);
        channel.send_async(Asgiref.Message.new_http_response_body(bytes(path), false), null,
            completeOnError(task, r => channel.send_finish(r), () => task.return_boolean(true)));
    }
});

test('a JS class with a scope property is a double-callable application', () => {
    assert(Asgiref.Application.type_is_double_callable(PerScopeApp.$gtype));
    assert(!Asgiref.Application.type_is_double_callable(EchoApp.$gtype));
    const apps = [
        Asgiref.FactoryApplication.new_for_type(PerScopeApp.$gtype),
        Asgiref.FactoryApplication.new(scope => new PerScopeApp({scope})),
    ];
    const bodies = [];
    inLoop(async () => {
        for (const [i, app] of apps.entries()) {
            const comm = Asgiref.Communicator.new(app, httpScope('GET', `/instance/${i}`));
            await comm.receive_output_async(SECOND_US, null);
            bodies.push(text((await comm.receive_output_async(SECOND_US, null)).get_body()));
            assertEqual(await comm.wait_async(SECOND_US, null), true);
        }
    });
    assertDeepEqual(bodies, ['/instance/0', '/instance/1']);
});

// ---- The helper module --------------------------------------------------

const echo = application(async (scope, {receive, send}) => {
    recordCall('application (echo)');
    let body = '';
    for (;;) {
        const message = await receive();
        assertEqual(Object.getPrototypeOf(message), Object.prototype, 'receive() gives a plain object');
        const {type, body: chunk, more_body: moreBody} = message;
        assertEqual(type, 'http.request');
        assert(chunk instanceof Uint8Array, 'the body is a Uint8Array');
        body += decoder.decode(chunk);
        if (!moreBody)
            break;
    }
    // not awaited: kept in order
    send({type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']]});
    await send({type: 'http.response.body', body});
});

test('application() of an async function echoes a chunked request', () => {
    assert(echo instanceof Asgiref.Application);
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(echo, httpScope());
        comm.sendInput({type: 'http.request', body: 'hello, ', more_body: true})
            .sendInput(Asgiref.Message.new_http_request(bytes('world'), false));
        const start = await comm.receiveOutput();
        assertEqual(start.type, 'http.response.start');
        assertEqual(start.status, 200);
        assertDeepEqual(start.headers.map(pair => pair.map(b => decoder.decode(b))),
            [['content-type', 'text/plain']]);
        const body = await comm.receiveOutput();
        assertEqual(body.type, 'http.response.body');
        assertEqual(decoder.decode(body.body), 'hello, world');
        assertEqual(body.more_body, false);
        assertEqual(await comm.waitForEnd(), true);
    });
});

test('receiveNothing() is true while the app is quiet, false once it sent', () => {
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(echo, httpScope());
        assertEqual(await comm.receiveNothing(50, 5), true);
        comm.sendInput({type: 'http.request', body: 'x'});
        assertEqual(await comm.receiveNothing(5000, 5), false);
        assertEqual((await comm.receiveOutput()).type, 'http.response.start');
        await comm.receiveOutput();
        await comm.waitForEnd();
    });
});

test('receiveOutput() times out with G_IO_ERROR_TIMED_OUT; the app\'s receive is cancelled', () => {
    let received = null;
    const app = application(async (scope, {receive}) => {
        received = await rejection(receive(), 'receive()');
        throw received;
    });
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope());
        const error = await rejection(comm.receiveOutput(50));
        assert(isError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT), `${error}`);
        assertEqual(await comm.waitForEnd(), true);
    });
    assert(isError(received, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${received}`);
});

test('a GLib.Error the async function rejects with ends the instance as it is', () => {
    const app = application(async () => {
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'no such item');
    });
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope());
        const received = await rejection(comm.receiveOutput());
        assert(isError(received, Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND), `${received}`);
        assertEqual(received.message, 'no such item');
        const waited = await rejection(comm.waitForEnd());
        assert(isError(waited, Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND), `${waited}`);
    });
});

test('other exceptions, thrown or rejected, become errors of the JS domain at once', () => {
    const apps = {
        rejected: application(async () => {
            await null;
            throw new TypeError('not a number');
        }),
        thrown: application(() => {
            throw new RangeError('out of range');
        }),
        value: application(() => Promise.reject('a string')),
    };
    const errors = {};
    inLoop(async () => {
        for (const [name, app] of Object.entries(apps)) {
            const comm = Asgiref.Communicator.new(app, httpScope());
            errors[name] = await rejection(comm.waitForEnd());
        }
    });
    assertDeepEqual(Object.fromEntries(Object.entries(errors).map(([name, error]) => [name, {
        domain: GLib.quark_to_string(error.domain), code: error.code, message: error.message,
    }])), {
        rejected: {domain: JS_ERROR_DOMAIN, code: 0, message: 'TypeError: not a number'},
        thrown: {domain: JS_ERROR_DOMAIN, code: 0, message: 'RangeError: out of range'},
        value: {domain: JS_ERROR_DOMAIN, code: 0, message: 'a string'},
    });
    assert(errors.thrown.matches(JS_ERROR_QUARK, 0));
});

test('send() out of protocol order rejects with ASGIREF_ERROR_PROTOCOL; the app can go on', () => {
    let early = null, invalid = null, notMessage = null;
    const app = application(async (scope, {receive, send}) => {
        await receive();
        early = await rejection(send({type: 'http.response.body', body: 'early'}));
        invalid = await rejection(send({type: 'http.response.start', status: 'OK'}));
        notMessage = await rejection(send(42));
        await send(Asgiref.Message.new_http_response_start(500, null, false));
        await send({type: 'http.response.body', body: new GLib.Bytes(encoder.encode('sorry'))});
    });
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(app, httpScope());
        comm.sendInput({type: 'http.request'});
        assertEqual((await comm.receiveOutput()).status, 500);
        assertEqual(decoder.decode((await comm.receiveOutput()).body), 'sorry');
        assertEqual(await comm.waitForEnd(), true);
    });
    assert(isError(early, Asgiref.error_quark(), Asgiref.Error.PROTOCOL), `${early}`);
    assert(isError(invalid, Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE), `${invalid}`);
    assert(invalid.message.includes('status'), invalid.message);
    assert(notMessage instanceof TypeError, `${notMessage}`);
});

test('waitForEnd() ends an instance stuck outside the channel with G_IO_ERROR_TIMED_OUT', () => {
    // The function waits for something that never happens: cancelling the
    // instance cannot interrupt it, but the instance ends anyway.
    let settled = false;
    const app = application(async (scope, {cancellable}) => {
        await new Promise(() => {});
        settled = true;
    });
    let cancellable = null;
    const spy = application((scope, io) => {
        cancellable = io.cancellable;
        return new Promise(() => {});
    });
    inLoop(async () => {
        for (const stuck of [app, spy]) {
            const comm = Asgiref.Communicator.new(stuck, httpScope());
            const error = await rejection(comm.waitForEnd(50));
            assert(isError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT), `${error}`);
        }
    });
    assertEqual(settled, false);
    assert(cancellable instanceof Gio.Cancellable && cancellable.is_cancelled(),
        'the function is given the instance\'s cancellable');
});

test('the scope (a plain object) and the channel are given to the async function', () => {
    let seen = null;
    const app = application((scope, {channel}) => {
        seen = {
            plain: Object.getPrototypeOf(scope) === Object.prototype,
            type: scope.type,
            method: scope.method,
            path: scope.path,
            query: decoder.decode(scope.query_string),
            headers: scope.headers.map(pair => pair.map(b => decoder.decode(b))),
            client: scope.client,
            nativePath: channel.get_scope().get_path(),
        };
    });
    inLoop(async () => {
        // Communicator.new() takes a scope object too.
        const comm = Asgiref.Communicator.new(app, {
            type: 'http', asgi: {version: '3.0'}, http_version: '1.1', method: 'GET',
            path: '/here', query_string: 'q=1', headers: [['host', 'example.com']],
            client: ['192.0.2.1', 4000],
        });
        assertEqual(await comm.waitForEnd(), true);
    });
    assertDeepEqual(seen, {
        plain: true, type: 'http', method: 'GET', path: '/here', query: 'q=1',
        headers: [['host', 'example.com']], client: ['192.0.2.1', 4000], nativePath: '/here',
    });
});

test('the Communicator\'s helpers refuse invalid objects with ASGIREF_ERROR_INVALID_MESSAGE', () => {
    const isInvalid = e => isError(e, Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE);
    let error = null;
    try {
        Asgiref.Communicator.new(echo, {type: 'http', path: '/'});
    } catch (e) {
        error = e;
    }
    assert(isInvalid(error), `${error}`);
    inLoop(async () => {
        const comm = Asgiref.Communicator.new(echo, httpScope());
        error = null;
        try {
            comm.sendInput({type: 'http.request', body: 42});
        } catch (e) {
            error = e;
        }
        assert(isInvalid(error) && error.message.includes('body'), `${error}`);
        comm.sendInput({type: 'http.request', body: 'ok'});
        await comm.receiveOutput();
        assertEqual(decoder.decode((await comm.receiveOutput()).body), 'ok');
        assertEqual(await comm.waitForEnd(), true);
    });
});

test('toGLibError() keeps GLib.Errors and converts anything else', () => {
    const glibError = new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, 'as is');
    assertEqual(toGLibError(glibError), glibError);
    const converted = toGLibError(new SyntaxError('bad'));
    assert(converted instanceof GLib.Error);
    assert(converted.matches(JS_ERROR_QUARK, 0));
    assertEqual(converted.message, 'SyntaxError: bad');
    assertEqual(toGLibError(undefined).message, 'undefined');
    assertEqual(toGLibError(Object.create(null)).message, '[object Object]');
});

test('the blocking twins run a JS app from top-level code, and refuse inside the loop', () => {
    // Outside a main loop, the Communicator iterates the main context itself
    // while it waits, so the JS app (and the promises of an async one) run
    // meanwhile, on this thread.
    const comm = Asgiref.Communicator.new(new EchoApp(), httpScope('PUT', '/blocking'));
    comm.send_input(Asgiref.Message.new_http_request(bytes('top to bottom'), false));
    assertEqual(comm.receive_output(SECOND_US, null).get_status(), 200);
    assertEqual(text(comm.receive_output(SECOND_US, null).get_body()), 'top to bottom');
    assertEqual(comm.wait(SECOND_US, null), true);

    const quiet = Asgiref.Communicator.new(echo, httpScope());
    assertEqual(quiet.receive_nothing(SHORT_US, 5000, null), true);
    quiet.send_input(Asgiref.Message.new_http_request(bytes('async'), false));
    assertEqual(quiet.receive_nothing(5 * SECOND_US, 5000, null), false);
    quiet.receive_output(SECOND_US, null);
    const last = messageToObject(quiet.receive_output(SECOND_US, null));
    assertEqual(decoder.decode(last.body), 'async');
    assertEqual(quiet.wait(SECOND_US, null), true);

    // Blocking from a loop callback would hang the loop: an error instead.
    let error = null;
    inLoop(async () => {
        const inside = Asgiref.Communicator.new(new ReceiveThenApp(), httpScope());
        try {
            inside.wait(SECOND_US, null);
        } catch (e) {
            error = e;
        }
        await rejection(inside.waitForEnd(50));
    });
    assert(isError(error, Asgiref.error_quark(), Asgiref.Error.DEADLOCK), `${error}`);
});

test('every JS call of the vfunc ran on the main thread', () => {
    assert(calls.length >= 10, `only ${calls.length} calls recorded`);
    const elsewhere = calls.filter(call => !call.mainThread);
    assertDeepEqual(elsewhere, []);
});

run('application');
