// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ASGI scopes from GJS: build them with the Asgiref.Scope constructors and
// the ScopeBuilder, read them back, see invalid ones throw a GLib.Error
// with ASGIREF_ERROR_INVALID_MESSAGE; and the helper module's plain
// objects (scopeToObject(), scopeFromObject()).

import Asgiref from 'gi://Asgiref?version=1.0';
import GLib from 'gi://GLib';

import {scopeFromObject, scopeToObject} from '../../gir/asgiref.js';
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

test('http scope round trips', () => {
    const headers = Asgiref.Headers.new(['Host'], ['example.com']);
    const scope = Asgiref.Scope.new_http('GET', '/items', new GLib.Bytes(encoder.encode('a=1')), headers);
    assert(scope instanceof Asgiref.Scope, 'an Asgiref.Scope');
    assertEqual(scope.get_kind(), Asgiref.ScopeKind.HTTP);
    assertEqual(scope.get_type_name(), 'http');
    assertEqual(scope.get_method(), 'GET');
    assertEqual(scope.get_path(), '/items');
    assertEqual(decoder.decode(scope.get_query_string().toArray()), 'a=1');
    assertEqual(scope.get_asgi_version(), '3.0');
    assertEqual(scope.get_headers().get_name(0), 'host');
    assertEqual(scope.get_headers().get_value(0), 'example.com');
    assertDeepEqual(scope.get_client(), [false, null, 0]);
    assertEqual(scope.validate(), true);
    assertEqual(scope.to_variant().get_type_string(), 'a{sv}');
});

test('ScopeBuilder fills a websocket scope', () => {
    const builder = Asgiref.ScopeBuilder.new_websocket('/ws');
    builder.set_client('192.0.2.7', 51234);
    builder.set_server('127.0.0.1', 8000);
    builder.set_subprotocols(['chat']);
    builder.add_extension('websocket.http.response', null);
    const scope = builder.end();
    assertEqual(scope.get_scheme(), 'ws');
    assertDeepEqual(scope.get_client(), [true, '192.0.2.7', 51234]);
    assertDeepEqual(scope.get_server(), [true, '127.0.0.1', 8000]);
    assertDeepEqual(scope.get_subprotocols(), ['chat']);
    assertEqual(scope.has_extension('websocket.http.response'), true);
    assertEqual(scope.validate(), true);

    const object = scopeToObject(scope);
    assertEqual(object.type, 'websocket');
    assertDeepEqual(object.client, ['192.0.2.7', 51234]);
    assertDeepEqual(object.server, ['127.0.0.1', 8000]);
    assertDeepEqual(object.subprotocols, ['chat']);
    assertDeepEqual(object.extensions, {'websocket.http.response': {}});
});

test('lifespan scope with state', () => {
    const state = new GLib.Variant('a{sv}', {db: new GLib.Variant('s', 'x')});
    const scope = Asgiref.Scope.new_lifespan(state);
    assertEqual(scope.get_type_name(), 'lifespan');
    assertEqual(scope.get_state().deepUnpack().db.unpack(), 'x');
    assertEqual(scope.validate(), true);
    assertDeepEqual(scopeToObject(scope).state, {db: 'x'});
});

test('invalid scopes throw', () => {
    assertThrows(() => Asgiref.Scope.new_from_variant(new GLib.Variant('s', 'http')), isInvalidMessage);
    assertThrows(() => Asgiref.Scope.new_from_variant(new GLib.Variant('a{sv}', {})), isInvalidMessage);
    assertThrows(() => Asgiref.Scope.new_http('get', '/', null, null).validate(),
        invalidSaying('upper-case'));
    assertThrows(() => Asgiref.Scope.new_websocket('ws', null, null, null).validate(),
        invalidSaying('“ws”'));
});

// ---- Plain objects -------------------------------------------------------

test('scopeToObject() gives ASGI\'s shape, bytes as Uint8Array', () => {
    const scope = scopeToObject(Asgiref.Scope.new_http('GET', '/', null,
        Asgiref.Headers.new(['Host'], ['example.com'])));
    assertEqual(scope.type, 'http');
    assertDeepEqual(scope.asgi, {version: '3.0', spec_version: '2.3'});
    assertEqual(scope.method, 'GET');
    assertEqual(scope.path, '/');
    assert(scope.query_string instanceof Uint8Array, 'query_string is a Uint8Array');
    assertEqual(scope.query_string.length, 0);
    assertDeepEqual(scope.headers.map(pair => pair.map(b => decoder.decode(b))),
        [['host', 'example.com']]);
});

const HTTP_SCOPE = {
    type: 'http',
    asgi: {version: '3.0'},
    http_version: '1.1',
    method: 'POST',
    scheme: 'https',
    path: '/upload',
    query_string: 'x=1',
    root_path: '/api',
    headers: [['host', 'example.com']],
    client: ['192.0.2.7', 51234],
    server: ['/run/app.sock', null],
    state: {db: 'x'},
};

test('scopeFromObject() and scopeToObject() round trip', () => {
    const scope = scopeFromObject(HTTP_SCOPE);
    assert(scope instanceof Asgiref.Scope);
    assertEqual(scope.get_method(), 'POST');
    assertEqual(scope.get_scheme(), 'https');
    assertEqual(decoder.decode(scope.get_query_string().toArray()), 'x=1');
    assertEqual(scope.get_root_path(), '/api');
    assertEqual(scope.get_headers().lookup('host'), 'example.com');
    assertDeepEqual(scope.get_client(), [true, '192.0.2.7', 51234]);
    assertDeepEqual(scope.get_server(), [true, '/run/app.sock', -1]);

    const object = scopeToObject(scope);
    assertEqual(decoder.decode(object.query_string), 'x=1');
    assertDeepEqual(object.server, ['/run/app.sock', null]);
    assertDeepEqual(object.state, {db: 'x'});
    const again = scopeToObject(scopeFromObject(object));
    assertDeepEqual(again.headers.map(p => p.map(b => decoder.decode(b))), [['host', 'example.com']]);
    assertDeepEqual({...again, query_string: null, headers: null},
        {...object, query_string: null, headers: null});
    assertEqual(scopeFromObject(scope), scope, 'an Asgiref.Scope passes through');
});

test('an invalid scope object throws ASGIREF_ERROR_INVALID_MESSAGE', () => {
    assertThrows(() => scopeFromObject({...HTTP_SCOPE, type: 'mqtt'}), invalidSaying('mqtt'));
    assertThrows(() => scopeFromObject({...HTTP_SCOPE, method: 'post'}), invalidSaying('upper-case'));
    assertThrows(() => scopeFromObject({...HTTP_SCOPE, asgi: undefined}), invalidSaying('asgi'));
    assertThrows(() => scopeFromObject({...HTTP_SCOPE, client: ['h', 'port']}), invalidSaying('client'));
    assertThrows(() => scopeFromObject([]), e => e instanceof TypeError);
});

run('scope');
