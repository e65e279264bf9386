/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An HTTP server whose application keeps a request-scoped Local and calls
 * a blocking function through the bridge: the function runs on a worker
 * thread, reads the Local of its own request there, and the main loop
 * serves other requests meanwhile.
 *
 *   valac --pkg asgiref-1.0 server.vala -o server
 *   ./server [PORT]        (0, the default, for any free port; Ctrl-C stops)
 */

class App : Object, Asgiref.Application {
    /* One Local for every request: each sees its own value in it. */
    static Asgiref.Local local;
    int requests = 0;

    static construct {
        local = new Asgiref.Local ();
    }

    static string? get_request () {
        Value value;

        try {
            return local.get_value ("request", out value) ? value.get_string () : null;
        } catch (Error error) {
            return null;
        }
    }

    /* Not an async method: the interface hands over the instance's task. */
    void call (Asgiref.Scope scope, Asgiref.Channel channel, Task task) {
        if (scope.get_kind () != Asgiref.ScopeKind.HTTP) {
            task.return_boolean (true);          /* no lifespan: ending says so */
            return;
        }
        /* This instance's own value: no other request sees it. */
        local.set_value ("request", "request %d".printf (AtomicInt.add (ref requests, 1) + 1));
        serve.begin (channel, task);
    }

    async void serve (Asgiref.Channel channel, Task task) {
        try {
            var seen = yield look_up (task.get_cancellable ());
            var body = "%s, read on a worker thread: %s\n".printf (get_request (), seen);
            yield channel.send_async (new Asgiref.Message.http_response_start (200, null, false), null);
            yield channel.send_async (new Asgiref.Message.http_response_body (new Bytes (body.data), false), null);
            task.return_boolean (true);
        } catch (Error error) {
            task.return_error ((owned) error);
        }
    }

    async string look_up (Cancellable? cancellable) throws Error {
        unowned Value? seen = yield new LookUp ().call_async (null, Asgiref.SyncFlags.NOT_THREAD_SENSITIVE,
                                                              cancellable);
        return seen.get_string ();
    }

    /* A blocking function, which the bridge runs on a worker thread: the
     * request's context comes along. */
    class LookUp : Object, Asgiref.SyncFunction {
        public bool call (Cancellable? cancellable, out Value result) throws Error {
            Thread.usleep (20 * 1000);     /* where a database query would go */
            result = Value (typeof (string));
            result.set_string (get_request ());
            return true;
        }
    }
}

int main (string[] args) {
    var port = args.length > 1 ? (uint) uint64.parse (args[1]) : 0;
    var loop = new MainLoop ();
    var server = new Asgiref.Server (new App ());

    server.start_async.begin (null, (obj, result) => {
        try {
            server.start_async.end (result);     /* listen once the application started */
            server.listen_local (port);
            print ("Serving on http://127.0.0.1:%u/\n", server.get_port ());
            stdout.flush ();
        } catch (Error error) {
            printerr ("server: %s\n", error.message);
            loop.quit ();
        }
    });
    foreach (var signum in new int[] { ProcessSignal.INT, ProcessSignal.TERM }) {
        Unix.signal_add (signum, () => {
            server.stop_async.begin (null, () => loop.quit ());
            return Source.REMOVE;
        });
    }
    loop.run ();
    return 0;
}
