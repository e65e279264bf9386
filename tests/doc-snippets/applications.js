// SPDX-License-Identifier: LGPL-2.1-or-later
//
// docs/applications.md's JavaScript application and its communicator,
// run. Each fragment is here as it is (check-snippets.py compares them).

import Asgiref from 'gi://Asgiref?version=1.0';

import {application} from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

import {assertEqual} from './doc-util.js';

const hello = application(async (scope, {receive, send}) => {
    if (scope.type !== 'http')
        return;
    let request;
    do
        request = await receive();
    while (request.type === 'http.request' && request.more_body);
    await send({type: 'http.response.start', status: 200,
        headers: [['content-type', 'text/plain']]});
    await send({type: 'http.response.body', body: `Hello from ${scope.path}`});
});

const comm = Asgiref.Communicator.new(hello, {type: 'http', asgi: {version: '3.0'},
    http_version: '1.1', method: 'GET', path: '/', query_string: '', headers: []});
comm.sendInput({type: 'http.request'});
const start = await comm.receiveOutput(1000);      // {type: 'http.response.start', status: 200, ...}
const body = await comm.receiveOutput(1000);
await comm.waitForEnd();

assertEqual([start.type, start.status], ['http.response.start', 200]);
assertEqual(new TextDecoder().decode(body.body), 'Hello from /');
