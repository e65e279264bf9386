// SPDX-License-Identifier: LGPL-2.1-or-later
//
// docs/asgi.md's JavaScript conversions, run: each line followed by what
// its comment says it gives. The fragment is here as it is
// (check-snippets.py compares them).

import Asgiref from 'gi://Asgiref?version=1.0';
import {messageFromObject, messageToObject, scopeToObject, headersFromArray}
    from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

import GLib from 'gi://GLib';

import {assert, assertEqual} from './doc-util.js';

const start = messageFromObject({type: 'http.response.start', status: 200,
    headers: [['content-type', 'text/plain']]});
start.get_status();                       // 200
messageToObject(start).headers;           // [[Uint8Array, Uint8Array]]
const headers = headersFromArray([['accept', '*/*']]);
scopeToObject(Asgiref.Scope.new_http('GET', '/', null, headers)).path;   // '/'

assertEqual(start.get_status(), 200);
const [[name, value]] = messageToObject(start).headers;
assert(name instanceof Uint8Array && value instanceof Uint8Array);
assertEqual(new TextDecoder().decode(value), 'text/plain');
assertEqual(scopeToObject(Asgiref.Scope.new_http('GET', '/', null, headers)).path, '/');

// "messageFromObject() throws a GLib.Error for an object that is not a
// valid message."
let refused = null;
try {
    messageFromObject({type: 'http.response.start', status: 42});
} catch (error) {
    refused = error;
}
assert(refused instanceof GLib.Error, `${refused}`);
assert(refused.matches(Asgiref.error_quark(), Asgiref.Error.INVALID_MESSAGE), `${refused}`);
