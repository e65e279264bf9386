// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ASGI messages from GJS: build them with the Asgiref.Message constructors,
// read and validate them; bodies round trip through GLib.Bytes; an invalid
// message throws a GLib.Error with ASGIREF_ERROR_INVALID_MESSAGE. Then the
// helper module's plain objects: messageFromObject() and messageToObject()
// round trip, with lenient input (strings, GLib.Bytes) and Uint8Array
// output, and an invalid object says what is wrong.

import Asgiref from 'gi://Asgiref?version=1.0';
import GLib from 'gi://GLib';

import {headersFromArray, messageFromObject, messageToObject} from '../../gir/asgiref.js';
import {assert, assertDeepEqual, assertEqual, assertThrows, run, test} from './harness.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isInvalidMessage(error) {
    return error instanceof GLib.Error &&
        error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE);
}

function invalidSaying(...fragments) {
    return error => isInvalidMessage(error) &&
        fragments.every(fragment => error.message.includes(fragment));
}

function bytesToString(bytes) {
    return decoder.decode(bytes.toArray());
}

// Uint8Arrays as strings, for comparing objects.
function readable(value) {
    if (value instanceof Uint8Array)
        return `b'${decoder.decode(value)}'`;
    if (Array.isArray(value))
        return value.map(readable);
    if (value !== null && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readable(v)]).sort());
    return value;
}

test('http.request round trips its body', () => {
    const message = Asgiref.Message.new_http_request(new GLib.Bytes(encoder.encode('hello')), true);
    assert(message instanceof Asgiref.Message, 'an Asgiref.Message');
    assertEqual(message.get_kind(), Asgiref.MessageKind.HTTP_REQUEST);
    assertEqual(message.get_type_name(), 'http.request');
    assertEqual(bytesToString(message.get_body()), 'hello');
    assertEqual(message.get_more_body(), true);
    assertEqual(message.validate(), true);
    assertEqual(message.to_variant().get_type_string(), 'a{sv}');
});

test('http.response.start with headers', () => {
    const headers = Asgiref.Headers.new(['Content-Type'], ['text/plain']);
    const message = Asgiref.Message.new_http_response_start(404, headers, false);
    assertEqual(message.get_status(), 404);
    const read = message.get_headers();
    assertEqual(read.get_length(), 1);
    assertEqual(read.get_name(0), 'content-type');
    assertEqual(read.get_value(0), 'text/plain');
    assertEqual(read.lookup('content-type'), 'text/plain');
    const [[name, value]] = read.to_variant().deepUnpack();
    assertEqual(decoder.decode(name), 'content-type');
    assertEqual(decoder.decode(value), 'text/plain');
    assertEqual(message.validate(), true);
});

test('lifespan and websocket messages', () => {
    const failed = Asgiref.Message.new_lifespan_shutdown_failed('stuck');
    assertEqual(failed.get_message(), 'stuck');
    failed.validate();
    const complete = Asgiref.Message.new(Asgiref.MessageKind.LIFESPAN_STARTUP_COMPLETE);
    assertEqual(complete.get_type_name(), 'lifespan.startup.complete');
    complete.validate();
    const send = Asgiref.Message.new_websocket_send(null, 'hi');
    assertEqual(send.get_text(), 'hi');
    send.validate();
});

test('http.response.trailers', () => {
    const message = Asgiref.Message.new_http_response_trailers(
        Asgiref.Headers.new(['Grpc-Status'], ['0']), true);
    assertEqual(message.get_type_name(), 'http.response.trailers');
    assertEqual(message.get_more_trailers(), true);
    assertEqual(message.get_headers().get_name(0), 'grpc-status');
    assertEqual(message.get_headers().get_value(0), '0');
    assertEqual(message.validate(), true);
});

test('WebSocket denial response', () => {
    const start = Asgiref.Message.new_websocket_http_response_start(401, null);
    assertEqual(start.get_type_name(), 'websocket.http.response.start');
    assertEqual(start.get_status(), 401);
    assertEqual(start.validate(), true);
    const body = Asgiref.Message.new_websocket_http_response_body(
        new GLib.Bytes(encoder.encode('denied')), false);
    assertEqual(bytesToString(body.get_body()), 'denied');
    assertEqual(body.get_more_body(), false);
    assertEqual(body.validate(), true);
    assertThrows(() => Asgiref.Message.new_websocket_accept(null,
        Asgiref.Headers.new(['Sec-WebSocket-Protocol'], ['chat'])).validate(),
    invalidSaying('subprotocol'));
});

test('invalid messages throw', () => {
    assertThrows(() => Asgiref.Message.new_from_variant(new GLib.Variant('s', 'x')), isInvalidMessage);
    assertThrows(() => Asgiref.Message.new_from_variant(new GLib.Variant('a{sv}', {})), isInvalidMessage);
    assertThrows(() => Asgiref.Message.new_from_variant(new GLib.Variant('a{sv}', {
        type: new GLib.Variant('s', 'http.teapot'),
    })), invalidSaying('http.teapot'));
    assertThrows(() => Asgiref.Message.new_http_response_start(99, null, false).validate(),
        isInvalidMessage);
    assertThrows(() => Asgiref.Message.new_from_variant(new GLib.Variant('a{sv}', {
        type: new GLib.Variant('s', 'http.request'),
        more_body: new GLib.Variant('i', 1),
    })), invalidSaying('more_body'));
    assertThrows(() => Asgiref.Headers.new(['x'], ['a\nb']), isInvalidMessage);
});

// ---- Plain objects -------------------------------------------------------

test('messageToObject() gives ASGI\'s shape, bytes as Uint8Array', () => {
    const request = messageToObject(Asgiref.Message.new_http_request(
        new GLib.Bytes(new Uint8Array([104, 0, 105])), true));
    assertEqual(request.type, 'http.request');
    assert(request.body instanceof Uint8Array, 'body is a Uint8Array');
    assertDeepEqual([...request.body], [104, 0, 105]);
    assertEqual(request.more_body, true);

    const start = messageToObject(Asgiref.Message.new_http_response_start(200,
        Asgiref.Headers.new(['Content-Type'], ['text/plain']), false));
    assertDeepEqual(readable(start), {
        headers: [["b'content-type'", "b'text/plain'"]], status: 200, trailers: false,
        type: 'http.response.start',
    });
    assert(start.headers[0][0] instanceof Uint8Array, 'header names are Uint8Array');
});

test('messageFromObject() and messageToObject() round trip', () => {
    const object = {
        type: 'http.response.start',
        status: 404,
        headers: [[encoder.encode('x-a'), encoder.encode('1')],
            [encoder.encode('set-cookie'), encoder.encode('a=b')]],
        trailers: true,
    };
    const message = messageFromObject(object);
    assert(message instanceof Asgiref.Message);
    assertEqual(message.get_status(), 404);
    assertEqual(message.get_headers().get_length(), 2);
    assertDeepEqual(readable(messageToObject(message)), readable(object));
    assertDeepEqual(readable(messageToObject(messageFromObject(messageToObject(message)))),
        readable(object));
});

test('messageFromObject() takes strings, GLib.Bytes and ArrayBuffers for bytes', () => {
    const fromString = messageFromObject({type: 'http.response.body', body: 'héllo'});
    assertEqual(bytesToString(fromString.get_body()), 'héllo');
    assertEqual(fromString.get_body().get_size(), 6, 'UTF-8, no NUL added');
    const fromBytes = messageFromObject({
        type: 'http.response.body', body: new GLib.Bytes(encoder.encode('bytes')), more_body: true,
    });
    assertEqual(bytesToString(fromBytes.get_body()), 'bytes');
    assertEqual(fromBytes.get_more_body(), true);
    const fromBuffer = messageFromObject({type: 'http.request', body: encoder.encode('buf').buffer});
    assertEqual(bytesToString(fromBuffer.get_body()), 'buf');
    // `text` stays a string; `bytes` is a byte string.
    const text = messageFromObject({type: 'websocket.send', text: 'hi'});
    assertEqual(text.get_text(), 'hi');
    assertEqual(text.get_bytes(), null);
    const binary = messageFromObject({type: 'websocket.send', bytes: 'hi', text: null});
    assertEqual(bytesToString(binary.get_bytes()), 'hi');
    assertEqual(binary.get_text(), null);
});

test('headers may be strings, Uint8Arrays or an Asgiref.Headers', () => {
    const mixed = messageFromObject({
        type: 'http.response.start', status: 200,
        headers: [['content-type', encoder.encode('text/plain')], [encoder.encode('x-a'), 'b']],
    });
    assertEqual(mixed.get_headers().lookup('content-type'), 'text/plain');
    assertEqual(mixed.get_headers().lookup('x-a'), 'b');
    const native = messageFromObject({
        type: 'http.response.start', status: 200, headers: Asgiref.Headers.new(['X-B'], ['c']),
    });
    assertEqual(native.get_headers().lookup('x-b'), 'c');
    const headers = headersFromArray([['x-c', 'd']]);
    assert(headers instanceof Asgiref.Headers);
    assertEqual(headers.get_value(0), 'd');
});

test('header names in objects are lower-cased, as ASGI servers take them', () => {
    const message = messageFromObject({
        type: 'http.response.start', status: 200, headers: [['Content-Type', 'Text/Plain']],
    });
    assertEqual(message.get_headers().get_name(0), 'content-type');
    assertEqual(message.get_headers().get_value(0), 'Text/Plain');
    assertEqual(headersFromArray([['X-A', '1']]).get_name(0), 'x-a');
});

test('messageFromObject() passes messages and variants through', () => {
    const message = Asgiref.Message.new_http_request(null, false);
    assertEqual(messageFromObject(message), message);
    const fromVariant = messageFromObject(message.to_variant());
    assertEqual(fromVariant.get_type_name(), 'http.request');
    assertEqual(messageToObject(message.to_variant()).type, 'http.request');
    // A GLib.Variant value is taken as it is.
    assertEqual(messageFromObject({
        type: 'http.response.start', status: new GLib.Variant('i', 201),
    }).get_status(), 201);
});

test('an invalid object throws ASGIREF_ERROR_INVALID_MESSAGE saying what is wrong', () => {
    assertThrows(() => messageFromObject({}), invalidSaying('type'));
    assertThrows(() => messageFromObject({type: 'http.teapot'}), invalidSaying('http.teapot'));
    assertThrows(() => messageFromObject({type: 'http.response.start'}), invalidSaying('status'));
    assertThrows(() => messageFromObject({type: 'http.response.start', status: 200.5}),
        invalidSaying('status'));
    assertThrows(() => messageFromObject({type: 'http.response.start', status: '200'}),
        invalidSaying('status'));
    assertThrows(() => messageFromObject({type: 'http.response.body', body: 42}),
        invalidSaying('body'));
    assertThrows(() => messageFromObject({
        type: 'http.response.start', status: 200, headers: [['bad name', 'x']],
    }), invalidSaying('Header 0'));
    assertThrows(() => messageFromObject({
        type: 'http.response.start', status: 200, headers: [['x-a']],
    }), invalidSaying('headers[0]'));
    assertThrows(() => messageFromObject({
        type: 'http.response.start', status: 200, headers: [['x-a', 'b\r\nc']],
    }), isInvalidMessage);
    assertThrows(() => messageFromObject({type: 'http.request', more_body: () => true}),
        invalidSaying('more_body'));
    assertThrows(() => messageFromObject('http.request'), e => e instanceof TypeError);
    assertThrows(() => messageFromObject(null), e => e instanceof TypeError);
});

run('message');
