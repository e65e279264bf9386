// SPDX-License-Identifier: LGPL-2.1-or-later
//
// README.md's JavaScript tour, run. Each paragraph is here as it is
// (check-snippets.py compares them), with what the tour leaves out around
// it (a C function object, a client) and assertions on what it shows.

import Asgiref from 'gi://Asgiref?version=1.0';
import GLib from 'gi://GLib';
// The helper module (get/set/has/delete, run, wrap, syncToAsync, ASGI), by its URI:
import {wrap, syncToAsync, application} from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

import AsgirefTest from 'gi://AsgirefTest?version=1.0';
import Gio from 'gi://Gio';

import {assert, assertEqual, get, keepPrinted, printed, until} from './doc-util.js';

Gio._promisify(Asgiref.Server.prototype, 'stop_async', 'stop_finish');
keepPrinted();
// The tour's C object: the tests' own, which answers with where it ran.
const someCFunctionObject = new AsgirefTest.ThreadFunction();

const local = new Asgiref.Local();
const a = new Asgiref.Context(), b = new Asgiref.Context();
a.run(() => local.set('user', 'alice'));
b.run(() => local.set('user', 'bob'));
print(a.run(() => local.get('user')), b.run(() => local.get('user')));  // alice bob
print(local.get('user'));                                               // undefined
a.run(() => GLib.idle_add(GLib.PRIORITY_DEFAULT,
                          wrap(() => { print(local.get('user')); return GLib.SOURCE_REMOVE; })));  // alice, later

await until(() => printed.length === 3);
assertEqual(printed, ['alice bob', 'undefined', 'alice']);

// A C object implementing Asgiref.SyncFunction, run on a bridge thread:
const value = await syncToAsync(someCFunctionObject)();

assert(value.endsWith(';main=0'), value);

// An ASGI application: the scope and the messages are plain objects.
const hello = application(async (scope, {receive, send}) => {
    if (scope.type !== 'http')
        return;
    await receive();                                     // {type: 'http.request', body: Uint8Array, ...}
    await send({type: 'http.response.start', status: 200,
        headers: [['content-type', 'text/plain']]});
    await send({type: 'http.response.body', body: `hello ${scope.path}`});
});
const server = Asgiref.Server.new(hello);
server.start_async(null, (self, result) => {             // lifespan first, then listen
    server.start_finish(result);
    server.listen_local(0);                              // 127.0.0.1, any port
});

const port = await until(() => server.get_port());
assertEqual(await get(port, '/tour'), [200, 'hello /tour']);
await server.stop_async(null);
