// SPDX-License-Identifier: LGPL-2.1-or-later
//
// README.md's import of the helper module by its installed URI (in
// "Installing"), run: it names what the module exports. (run-snippet.py
// points the URI at the source tree's copy.)

import {application, syncToAsync} from 'file:///usr/local/share/asgiref-1.0/asgiref.js';

import {assertEqual} from './doc-util.js';

assertEqual([typeof application, typeof syncToAsync], ['function', 'function']);
