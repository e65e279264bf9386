/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * asgiref-serve: serves an ASGI application over HTTP with AsgirefServer,
 * the application of a loadable module, or a demo of the library without
 * one. Ctrl-C or SIGTERM stops it gracefully.
 *
 * A module gives its application through one function (the symbol after
 * the colon of --module, `asgiref_serve_application` by default):
 *
 *   AsgirefApplication *asgiref_serve_application (GError **error);
 *
 * returning a new reference, or NULL with @error set.
 */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gmodule.h>

#include "asgiref-serve-demo.h"

#define DEFAULT_SYMBOL "asgiref_serve_application"

typedef AsgirefApplication *(*ApplicationFunc) (GError **error);

/* The options, with their defaults. */
static char *host = NULL;
static int port = 8000;
static char *uds = NULL;
static int fd = -1;
static char *module = NULL;
static char *root_path = NULL;
static gboolean access_log = FALSE;
static gint64 max_body_size = 0;
static int max_instances = 0;
static int response_timeout = 60;
static int header_timeout = 30;
static int keep_alive_timeout = 60;
static int graceful_timeout = 10;
static int threads = 1;

static const GOptionEntry entries[] = {
  { "host", 0, 0, G_OPTION_ARG_STRING, &host,
    N_("Listen on this IP address (default 127.0.0.1; :: for every address)"), N_("ADDRESS") },
  { "port", 0, 0, G_OPTION_ARG_INT, &port,
    N_("Listen on this port (default 8000; 0 for any free one)"), N_("PORT") },
  { "uds", 0, 0, G_OPTION_ARG_FILENAME, &uds,
    N_("Listen on a Unix socket at this path instead"), N_("PATH") },
  { "fd", 0, 0, G_OPTION_ARG_INT, &fd,
    N_("Listen on this inherited, listening socket instead"), N_("FD") },
  { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
    N_("Serve on this many threads (default 1, the main thread; the application must be thread-safe)"),
    N_("N") },
  { "module", 0, 0, G_OPTION_ARG_FILENAME, &module,
    N_("Serve the application of this module (symbol asgiref_serve_application unless given)"),
    N_("PATH.so[:SYMBOL]") },
  { "root-path", 0, 0, G_OPTION_ARG_STRING, &root_path,
    N_("The path the application is mounted at behind a proxy (the scopes’ root_path)"), N_("PATH") },
  { "access-log", 0, 0, G_OPTION_ARG_NONE, &access_log,
    N_("Log each request in the Common Log Format"), NULL },
  { "max-body-size", 0, 0, G_OPTION_ARG_INT64, &max_body_size,
    N_("Answer 413 to larger request bodies (bytes; default 0, no limit)"), N_("BYTES") },
  { "max-instances", 0, 0, G_OPTION_ARG_INT, &max_instances,
    N_("Answer 503 beyond this many requests at once (default 0, no limit)"), N_("N") },
  { "timeout-response", 0, 0, G_OPTION_ARG_INT, &response_timeout,
    N_("Answer 504 when the application starts no response in time (seconds; default 60, 0 for none)"),
    N_("SECONDS") },
  { "timeout-header", 0, 0, G_OPTION_ARG_INT, &header_timeout,
    N_("Drop clients that send request headers slower (seconds; default 30)"), N_("SECONDS") },
  { "timeout-keep-alive", 0, 0, G_OPTION_ARG_INT, &keep_alive_timeout,
    N_("Close idle connections after this long (seconds; default 60)"), N_("SECONDS") },
  { "timeout-graceful", 0, 0, G_OPTION_ARG_INT, &graceful_timeout,
    N_("On Ctrl-C or SIGTERM, wait this long for running requests (seconds; default 10)"),
    N_("SECONDS") },
  { NULL }
};

typedef struct
{
  AsgirefServer *server;
  GMainLoop *loop;
  int status;
  gboolean stopping;
} Serve;

static void
fail (Serve        *serve,
      const GError *error)
{
  g_printerr ("asgiref-serve: %s\n", error->message);
  serve->status = 1;
  g_main_loop_quit (serve->loop);
}

/* A server with many clients needs many descriptors: the soft limit
 * (often 1024) goes up to the hard one, as other servers do. */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

static AsgirefApplication *
load_application (GError **error)
{
  g_auto(GStrv) parts = g_strsplit (module, ":", 2);
  const char *symbol = parts[1] != NULL ? parts[1] : DEFAULT_SYMBOL;
  ApplicationFunc func;
  GModule *loaded;

  loaded = g_module_open (parts[0], G_MODULE_BIND_LOCAL);
  if (loaded == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot load %s: %s"),
                   parts[0], g_module_error ());
      return NULL;
    }
  if (!g_module_symbol (loaded, symbol, (gpointer *) &func) || func == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s has no function %s"),
                   parts[0], symbol);
      g_module_close (loaded);
      return NULL;
    }
  /* The application's code stays loaded as long as the process runs. */
  g_module_make_resident (loaded);
  return func (error);
}

static gboolean
listen_as_asked (AsgirefServer  *server,
                 GError        **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;

  if (fd >= 0)
    {
      g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, error);

      return socket != NULL && asgiref_server_listen_socket (server, socket, error);
    }
  if (uds != NULL)
    {
      socket_address = g_unix_socket_address_new (uds);
      return asgiref_server_listen (server, socket_address, error);
    }
  if (g_getenv ("LISTEN_FDS") != NULL)
    return asgiref_server_listen_systemd (server, error);

  if (port < 0 || port > G_MAXUINT16)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("No port %d"), port);
      return FALSE;
    }
  address = g_inet_address_new_from_string (host != NULL && strcmp (host, "localhost") != 0
                                            ? host : "127.0.0.1");
  if (address == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not an IP address"), host);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, (guint16) port);
  return asgiref_server_listen (server, socket_address, error);
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Serve *serve = data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  /* Listening only now: no request before the application is ready. */
  if (!asgiref_server_start_finish (serve->server, result, &error) ||
      !listen_as_asked (serve->server, &error))
    {
      fail (serve, error);
      return;
    }

  uris = asgiref_server_get_uris (serve->server);
  for (GSList *l = uris; l != NULL; l = l->next)
    {
      g_autofree char *uri = g_uri_to_string (l->data);

      g_print (_("Serving on %s (Ctrl-C stops)\n"), uri);
    }
  if (uris == NULL)
    g_print (_("Serving (Ctrl-C stops)\n"));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
on_stopped (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Serve *serve = data;
  g_autoptr(GError) error = NULL;

  if (!asgiref_server_stop_finish (serve->server, result, &error))
    g_printerr (_("asgiref-serve: stopped without waiting for every request: %s\n"), error->message);
  g_main_loop_quit (serve->loop);
}

static gboolean
on_signal (gpointer data)
{
  Serve *serve = data;
  g_autoptr(AsgirefTimeout) grace = NULL;

  if (serve->stopping)
    return G_SOURCE_CONTINUE;
  serve->stopping = TRUE;
  g_print (_("Stopping…\n"));
  grace = asgiref_timeout_new ((gint64) graceful_timeout * G_USEC_PER_SEC, NULL);
  asgiref_server_stop_async (serve->server, asgiref_timeout_get_cancellable (grace), on_stopped, serve);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(AsgirefApplication) application = NULL;
  g_autoptr(GError) error = NULL;
  Serve serve = { 0 };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Serves an ASGI application over HTTP: the one of --module, or a\n"
                                  "demo of asgiref-glib without it, on http://127.0.0.1:8000/."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("asgiref-serve: %s\n", error->message);
      return 2;
    }

  if (threads < 1 || threads > 256)
    {
      g_printerr (_("asgiref-serve: --threads takes 1 to 256\n"));
      return 2;
    }

  if (root_path != NULL && root_path[0] != '\0' && root_path[0] != '/')
    {
      g_printerr (_("asgiref-serve: the root path must start with “/”\n"));
      return 2;
    }

  raise_descriptor_limit ();

  application = module != NULL ? load_application (&error) : asgiref_serve_demo_new ();
  if (application == NULL)
    {
      g_printerr ("asgiref-serve: %s\n", error->message);
      return 1;
    }

  serve.loop = g_main_loop_new (NULL, FALSE);
  serve.server = asgiref_server_new (application);
  asgiref_server_set_serving_threads (serve.server, (guint) threads);
  asgiref_server_set_root_path (serve.server, root_path);
  asgiref_server_set_access_log (serve.server, access_log);
  asgiref_server_set_max_request_body_size (serve.server, (guint64) MAX (max_body_size, 0));
  asgiref_server_set_max_instances (serve.server, (guint) MAX (max_instances, 0));
  asgiref_server_set_response_timeout (serve.server, (guint) MAX (response_timeout, 0));
  asgiref_server_set_header_timeout (serve.server, (guint) MAX (header_timeout, 0));
  asgiref_server_set_keep_alive_timeout (serve.server, (guint) MAX (keep_alive_timeout, 0));
  if (access_log && g_getenv ("G_MESSAGES_DEBUG") == NULL)
    g_setenv ("G_MESSAGES_DEBUG", "Asgiref-Access", TRUE);

  g_unix_signal_add (SIGINT, on_signal, &serve);
  g_unix_signal_add (SIGTERM, on_signal, &serve);
  asgiref_server_start_async (serve.server, NULL, on_started, &serve);
  g_main_loop_run (serve.loop);

  g_object_unref (serve.server);
  g_main_loop_unref (serve.loop);
  if (uds != NULL && serve.status == 0)
    g_unlink (uds);
  return serve.status;
}
