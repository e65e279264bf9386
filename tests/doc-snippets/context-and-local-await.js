// SPDX-License-Identifier: LGPL-2.1-or-later
//
// docs/context-and-local.md's application that awaits ("After an
// await"), run: two requests at once, each reading back its own user
// after its awaits. The fragment is here as it is (check-snippets.py
// compares them).

import Asgiref from 'gi://Asgiref?version=1.0';
import GLib from 'gi://GLib';

import {application} from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

import {assertEqual} from './doc-util.js';

const user = new Asgiref.Local();
const later = value => new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
    resolve(value);
    return GLib.SOURCE_REMOVE;
}));

const app = application(async (scope, {receive, send, within}) => {
    await receive();
    user.set('user', scope.path.slice(1));   // this request's
    const row = await within(later('row'));  // any other promise: through within()
    await send({type: 'http.response.start', status: 200});
    await send({type: 'http.response.body', body: `${user.get('user')}: ${row}`});
});

async function request(path) {
    const comm = Asgiref.Communicator.new(app, {type: 'http', asgi: {version: '3.0'},
        http_version: '1.1', method: 'GET', path, query_string: '', headers: []});
    comm.sendInput({type: 'http.request'});
    const start = await comm.receiveOutput(1000);
    const body = await comm.receiveOutput(1000);
    await comm.waitForEnd();
    return [start.status, new TextDecoder().decode(body.body)];
}

// Both wait in later() at the same time: neither sees the other's user.
assertEqual(await Promise.all([request('/ann'), request('/bob')]),
    [[200, 'ann: row'], [200, 'bob: row']]);
