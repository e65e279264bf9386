// SPDX-License-Identifier: LGPL-2.1-or-later
//
// docs/server.md's JavaScript server, run: a client asks it for a page
// once it listens, then ends the loop the guide's code runs. The fragment
// is here as it is (check-snippets.py compares them).

import Asgiref from 'gi://Asgiref?version=1.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import {application} from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

import {assertEqual, get, keepPrinted, printed, until} from './doc-util.js';

Gio._promisify(Asgiref.Server.prototype, 'start_async', 'start_finish');

const server = Asgiref.Server.new(application(async (scope, {receive, send}) => {
    if (scope.type !== 'http')
        return;                              // no lifespan protocol: served all the same
    await receive();                         // {type: 'http.request', body: Uint8Array, ...}
    await send({type: 'http.response.start', status: 200,
        headers: [['content-type', 'text/plain']]});
    await send({type: 'http.response.body', body: `Hello from ${scope.path}\n`});
}));

Gio._promisify(Asgiref.Server.prototype, 'stop_async', 'stop_finish');
keepPrinted();
let answer, failure;
until(() => server.get_port())
    .then(port => get(port, '/page'))
    .then(got => (answer = got), error => (failure = error))
    .finally(() => loop.quit());

const loop = new GLib.MainLoop(null, false);
server.start_async(null).then(() => {
    server.listen_local(0);
    print(`listening on port ${server.get_port()}`);
}).catch(error => {
    logError(error);
    loop.quit();
});
loop.run();

if (failure)
    throw failure;
assertEqual(answer, [200, 'Hello from /page\n']);
assertEqual(printed, [`listening on port ${server.get_port()}`]);
await server.stop_async(null);
