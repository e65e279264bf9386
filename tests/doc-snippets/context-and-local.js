// SPDX-License-Identifier: LGPL-2.1-or-later
//
// docs/context-and-local.md's JavaScript program, run: each paragraph as
// it is (check-snippets.py compares them), and what it prints checked.

import GLib from 'gi://GLib';
import Asgiref from 'gi://Asgiref?version=1.0';
import {wrap} from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

import {assertEqual, keepPrinted, printed, until} from './doc-util.js';

keepPrinted();

const local = new Asgiref.Local();

const ctxA = new Asgiref.Context();
const ctxB = new Asgiref.Context();
ctxA.run(() => local.set('user', 'alice'));
ctxB.run(() => local.set('user', 'bob'));

print(ctxA.run(() => local.get('user')));   // alice
print(ctxB.run(() => local.get('user')));   // bob
print(local.get('user'));                   // undefined

// A callback that runs later, from the main loop, in ctxA:
ctxA.run(() => GLib.idle_add(GLib.PRIORITY_DEFAULT, wrap(() => {
    print(local.get('user'));               // alice
    return GLib.SOURCE_REMOVE;
})));

await until(() => printed.length === 4);
assertEqual(printed, ['alice', 'bob', 'undefined', 'alice']);
