// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ASGI scopes from GJS: build them with the functions and the ScopeBuilder,
// read them back, and see invalid ones throw a GLib.Error with
// ASGIREF_ERROR_INVALID_MESSAGE.

import Asgiref from 'gi://Asgiref?version=1.0';
import GLib from 'gi://GLib';

import {assert, assertDeepEqual, assertEqual, assertThrows, run, test} from './harness.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isInvalidMessage(error) {
    return error instanceof GLib.Error &&
        error.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE);
}

test('http scope round trips', () => {
    const headers = Asgiref.headers_new(['Host'], ['example.com']);
    const scope = Asgiref.scope_new_http('GET', '/items', new GLib.Bytes(encoder.encode('a=1')), headers);
    assert(scope instanceof GLib.Variant, 'a GLib.Variant');
    assertEqual(scope.get_type_string(), 'a{sv}');
    assertEqual(Asgiref.scope_get_type_name(scope), 'http');
    assertEqual(Asgiref.scope_get_method(scope), 'GET');
    assertEqual(Asgiref.scope_get_path(scope), '/items');
    assertEqual(decoder.decode(Asgiref.scope_get_query_string(scope).toArray()), 'a=1');
    assertEqual(Asgiref.scope_get_asgi_version(scope), '3.0');
    const [[name, value]] = Asgiref.scope_get_headers(scope).deepUnpack();
    assertEqual(decoder.decode(name), 'host');
    assertEqual(decoder.decode(value), 'example.com');
    assertDeepEqual(Asgiref.scope_get_client(scope), [false, null, 0]);
    assertEqual(Asgiref.scope_validate(scope), true);
});

test('ScopeBuilder fills a websocket scope', () => {
    const builder = Asgiref.ScopeBuilder.new_websocket('/ws');
    builder.set_client('192.0.2.7', 51234);
    builder.set_server('127.0.0.1', 8000);
    builder.set_subprotocols(['chat']);
    builder.add_extension('websocket.http.response', null);
    const scope = builder.end();
    assertEqual(Asgiref.scope_get_scheme(scope), 'ws');
    assertDeepEqual(Asgiref.scope_get_client(scope), [true, '192.0.2.7', 51234]);
    assertDeepEqual(Asgiref.scope_get_server(scope), [true, '127.0.0.1', 8000]);
    assertDeepEqual(Asgiref.scope_get_subprotocols(scope), ['chat']);
    assertEqual(Asgiref.scope_has_extension(scope, 'websocket.http.response'), true);
    assertEqual(Asgiref.scope_validate(scope), true);
});

test('lifespan scope with state', () => {
    const state = new GLib.Variant('a{sv}', {db: new GLib.Variant('s', 'x')});
    const scope = Asgiref.scope_new_lifespan(state);
    assertEqual(Asgiref.scope_get_type_name(scope), 'lifespan');
    assertEqual(Asgiref.scope_get_state(scope).deepUnpack().db.unpack(), 'x');
    assertEqual(Asgiref.scope_validate(scope), true);
});

test('invalid scopes throw', () => {
    assertThrows(() => Asgiref.scope_validate(new GLib.Variant('s', 'http')), isInvalidMessage);
    assertThrows(() => Asgiref.scope_validate(new GLib.Variant('a{sv}', {})), isInvalidMessage);
    assertThrows(() => Asgiref.scope_validate(Asgiref.scope_new_http('get', '/', null, null)),
        e => isInvalidMessage(e) && e.message.includes('upper-case'));
    assertThrows(() => Asgiref.scope_validate(Asgiref.scope_new_websocket('ws', null, null, null)),
        e => isInvalidMessage(e) && e.message.includes('“ws”'));
});

run('scope');
