// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ASGI messages from GJS: build, read and validate them; bodies round trip
// through GLib.Bytes; an invalid message throws a GLib.Error with
// ASGIREF_ERROR_INVALID_MESSAGE.

import Asgiref from 'gi://Asgiref?version=1.0';
import GLib from 'gi://GLib';

import {assert, assertEqual, assertThrows, run, test} from './harness.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isInvalidMessage(error) {
    return error instanceof GLib.Error &&
        error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE);
}

function bytesToString(bytes) {
    return decoder.decode(bytes.toArray());
}

test('http.request round trips its body', () => {
    const message = Asgiref.message_new_http_request(new GLib.Bytes(encoder.encode('hello')), true);
    assert(message instanceof GLib.Variant, 'a GLib.Variant');
    assertEqual(message.get_type_string(), 'a{sv}');
    assertEqual(Asgiref.message_get_type_name(message), 'http.request');
    assertEqual(bytesToString(Asgiref.message_get_body(message)), 'hello');
    assertEqual(Asgiref.message_get_more_body(message), true);
    assertEqual(Asgiref.message_validate(message), true);
});

test('http.response.start with headers', () => {
    const headers = Asgiref.headers_new(['Content-Type'], ['text/plain']);
    const message = Asgiref.message_new_http_response_start(404, headers, false);
    assertEqual(Asgiref.message_get_status(message), 404);
    const [[name, value]] = Asgiref.message_get_headers(message).deepUnpack();
    assertEqual(decoder.decode(name), 'content-type');
    assertEqual(decoder.decode(value), 'text/plain');
    assertEqual(Asgiref.message_validate(message), true);
});

test('lifespan and websocket messages', () => {
    const failed = Asgiref.message_new_lifespan_shutdown_failed('stuck');
    assertEqual(Asgiref.message_get_message(failed), 'stuck');
    Asgiref.message_validate(failed);
    Asgiref.message_validate(Asgiref.message_new('lifespan.startup.complete'));
    const send = Asgiref.message_new_websocket_send(null, 'hi');
    assertEqual(Asgiref.message_get_text(send), 'hi');
    Asgiref.message_validate(send);
});

test('http.response.trailers', () => {
    const message = Asgiref.message_new_http_response_trailers(
        Asgiref.headers_new(['Grpc-Status'], ['0']), true);
    assertEqual(Asgiref.message_get_type_name(message), 'http.response.trailers');
    assertEqual(Asgiref.message_get_more_trailers(message), true);
    const [[name, value]] = Asgiref.message_get_headers(message).deepUnpack();
    assertEqual(decoder.decode(name), 'grpc-status');
    assertEqual(decoder.decode(value), '0');
    assertEqual(Asgiref.message_validate(message), true);
});

test('WebSocket denial response', () => {
    const start = Asgiref.message_new_websocket_http_response_start(401, null);
    assertEqual(Asgiref.message_get_type_name(start), 'websocket.http.response.start');
    assertEqual(Asgiref.message_get_status(start), 401);
    assertEqual(Asgiref.message_validate(start), true);
    const body = Asgiref.message_new_websocket_http_response_body(
        new GLib.Bytes(encoder.encode('denied')), false);
    assertEqual(bytesToString(Asgiref.message_get_body(body)), 'denied');
    assertEqual(Asgiref.message_get_more_body(body), false);
    assertEqual(Asgiref.message_validate(body), true);
    assertThrows(() => Asgiref.message_validate(Asgiref.message_new_websocket_accept(null,
        Asgiref.headers_new(['Sec-WebSocket-Protocol'], ['chat']))),
    e => isInvalidMessage(e) && e.message.includes('subprotocol'));
});

test('invalid messages throw', () => {
    assertThrows(() => Asgiref.message_validate(new GLib.Variant('s', 'x')), isInvalidMessage);
    assertThrows(() => Asgiref.message_validate(new GLib.Variant('a{sv}', {})), isInvalidMessage);
    assertThrows(() => Asgiref.message_validate(Asgiref.message_new('http.teapot')), isInvalidMessage);
    assertThrows(() => Asgiref.message_validate(Asgiref.message_new_http_response_start(99, null, false)),
        isInvalidMessage);
    assertThrows(() => Asgiref.message_validate(new GLib.Variant('a{sv}', {
        type: new GLib.Variant('s', 'http.request'),
        more_body: new GLib.Variant('i', 1),
    })), e => isInvalidMessage(e) && e.message.includes('more_body'));
    assertThrows(() => Asgiref.headers_new(['x'], ['a\nb']), isInvalidMessage);
});

run();
