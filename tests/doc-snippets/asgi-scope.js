// SPDX-License-Identifier: LGPL-2.1-or-later
//
// docs/asgi.md's scope from a plain object, run: a module of its own, as
// it imports names the conversions' fragment imports too. The fragment is
// here as it is (check-snippets.py compares them).

import GLib from 'gi://GLib';

import {assert, assertEqual} from './doc-util.js';

import {scopeFromObject, scopeToObject} from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

const scope = scopeFromObject({type: 'http', asgi: {version: '3.0'}, http_version: '1.1',
    method: 'GET', path: '/', query_string: '', headers: []});   // throws a GLib.Error when invalid
scope.get_method();                       // 'GET'
scopeToObject(scope).http_version;        // '1.1'

assertEqual(scope.get_method(), 'GET');
assertEqual(scopeToObject(scope).http_version, '1.1');

let refused = null;
try {
    scopeFromObject({type: 'http', asgi: {version: '3.0'}, http_version: '1.1',
        method: 'get', path: '/', query_string: '', headers: []});
} catch (error) {
    refused = error;
}
assert(refused instanceof GLib.Error, `${refused}`);
