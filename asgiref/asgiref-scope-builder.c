/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-scope-builder.h"
#include "asgiref-scope-private.h"
#include "asgiref-vardict-private.h"

/**
 * AsgirefScopeBuilder:
 *
 * Builds an `http` or `websocket` scope key by key, for the callers that
 * set more than [func@Asgiref.scope_new_http] and
 * [func@Asgiref.scope_new_websocket] take: a server filling a scope from a
 * request, or a test that needs a client address or a root path.
 *
 * A new builder already holds a complete scope: `asgi` (`version` 3.0 and
 * the `spec_version` this library implements), `http_version` 1.1, the
 * default `scheme` (`http` or `ws`), an empty `query_string`, `root_path`
 * and `headers` (and `subprotocols` for WebSocket). Each setter replaces
 * one key; [method@Asgiref.ScopeBuilder.end] returns the scope.
 *
 * ```c
 * g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/items");
 * g_autoptr(GVariant) scope = NULL;
 *
 * asgiref_scope_builder_set_query_string (builder, query);
 * asgiref_scope_builder_set_headers (builder, headers);
 * asgiref_scope_builder_set_client (builder, "192.0.2.7", 51234);
 * asgiref_scope_builder_set_server (builder, "127.0.0.1", 8000);
 * scope = asgiref_scope_builder_end (builder);
 * ```
 *
 * Like [struct@GLib.VariantDict], a builder is meant for one thread at a
 * time; the scopes it returns are immutable and may go anywhere.
 */
struct _AsgirefScopeBuilder
{
  gatomicrefcount ref_count;
  gboolean        websocket;
  GVariantDict    dict;      /* the scope so far, complete at all times */
};

G_DEFINE_BOXED_TYPE (AsgirefScopeBuilder, asgiref_scope_builder,
                     asgiref_scope_builder_ref, asgiref_scope_builder_unref)

/* The version of the HTTP and WebSocket specification this library
 * implements, which a scope it builds announces in asgi.spec_version. */
#define WWW_SPEC_VERSION "2.3"

static AsgirefScopeBuilder *
scope_builder_new (const char *type,
                   const char *path)
{
  AsgirefScopeBuilder *builder = g_new0 (AsgirefScopeBuilder, 1);

  g_atomic_ref_count_init (&builder->ref_count);
  builder->websocket = strcmp (type, "websocket") == 0;
  g_variant_dict_init (&builder->dict, NULL);
  g_variant_dict_insert (&builder->dict, "type", "s", type);
  g_variant_dict_insert_value (&builder->dict, "asgi", _asgiref_scope_asgi_value (WWW_SPEC_VERSION));
  g_variant_dict_insert (&builder->dict, "http_version", "s", "1.1");
  g_variant_dict_insert (&builder->dict, "scheme", "s", builder->websocket ? "ws" : "http");
  g_variant_dict_insert (&builder->dict, "path", "s", path);
  g_variant_dict_insert_value (&builder->dict, "query_string", _asgiref_bytes_value (NULL));
  g_variant_dict_insert (&builder->dict, "root_path", "s", "");
  g_variant_dict_insert_value (&builder->dict, "headers", _asgiref_empty_headers ());
  if (builder->websocket)
    g_variant_dict_insert_value (&builder->dict, "subprotocols", g_variant_new_strv (NULL, 0));
  return builder;
}

/**
 * asgiref_scope_builder_new_http:
 * @method: the request method, upper-case, such as `"GET"`
 * @path: the request path, percent-decoded, such as `"/items"`
 *
 * Starts an `http` scope: one HTTP request.
 *
 * Returns: (transfer full): a new builder
 */
AsgirefScopeBuilder *
asgiref_scope_builder_new_http (const char *method,
                                const char *path)
{
  AsgirefScopeBuilder *builder;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  builder = scope_builder_new ("http", path);
  g_variant_dict_insert (&builder->dict, "method", "s", method);
  return builder;
}

/**
 * asgiref_scope_builder_new_websocket:
 * @path: the path of the handshake request, percent-decoded
 *
 * Starts a `websocket` scope: one WebSocket connection.
 *
 * Returns: (transfer full): a new builder
 */
AsgirefScopeBuilder *
asgiref_scope_builder_new_websocket (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return scope_builder_new ("websocket", path);
}

/**
 * asgiref_scope_builder_ref:
 * @builder: a scope builder
 *
 * Takes a reference to @builder.
 *
 * Returns: (transfer full): @builder
 */
AsgirefScopeBuilder *
asgiref_scope_builder_ref (AsgirefScopeBuilder *builder)
{
  g_return_val_if_fail (builder != NULL, NULL);

  g_atomic_ref_count_inc (&builder->ref_count);
  return builder;
}

/**
 * asgiref_scope_builder_unref:
 * @builder: (transfer full): a scope builder
 *
 * Drops a reference to @builder, freeing it with the last one.
 */
void
asgiref_scope_builder_unref (AsgirefScopeBuilder *builder)
{
  g_return_if_fail (builder != NULL);

  if (g_atomic_ref_count_dec (&builder->ref_count))
    {
      g_variant_dict_clear (&builder->dict);
      g_free (builder);
    }
}

/**
 * asgiref_scope_builder_set_spec_version:
 * @builder: a scope builder
 * @spec_version: the version of the HTTP and WebSocket specification the
 *   server implements, such as `"2.3"`
 *
 * Sets `asgi.spec_version`, which tells the application which keys it may
 * expect and send: `"2.1"` and later allow `headers` in `websocket.accept`,
 * `"2.3"` and later `reason` in `websocket.close`. The default is the
 * version this library implements, 2.3; a server that cannot honour some of
 * it announces less.
 */
void
asgiref_scope_builder_set_spec_version (AsgirefScopeBuilder *builder,
                                        const char          *spec_version)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (spec_version != NULL);

  g_variant_dict_insert_value (&builder->dict, "asgi", _asgiref_scope_asgi_value (spec_version));
}

/**
 * asgiref_scope_builder_set_http_version:
 * @builder: a scope builder
 * @http_version: `"1.0"`, `"1.1"` or `"2"`
 *
 * Sets `http_version`; the default is `"1.1"`.
 */
void
asgiref_scope_builder_set_http_version (AsgirefScopeBuilder *builder,
                                        const char          *http_version)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (http_version != NULL);

  g_variant_dict_insert (&builder->dict, "http_version", "s", http_version);
}

/**
 * asgiref_scope_builder_set_scheme:
 * @builder: a scope builder
 * @scheme: the URL scheme, such as `"https"` or `"wss"`
 *
 * Sets `scheme`; the default is `"http"` for an `http` scope and `"ws"` for
 * a `websocket` one.
 */
void
asgiref_scope_builder_set_scheme (AsgirefScopeBuilder *builder,
                                  const char          *scheme)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (scheme != NULL);

  g_variant_dict_insert (&builder->dict, "scheme", "s", scheme);
}

/**
 * asgiref_scope_builder_set_raw_path:
 * @builder: a scope builder
 * @raw_path: (nullable): the path as the client sent it, percent escapes
 *   and all, without the query string; %NULL to leave `raw_path` out
 *
 * Sets `raw_path`, which a server includes when it has the original bytes
 * of the request target.
 */
void
asgiref_scope_builder_set_raw_path (AsgirefScopeBuilder *builder,
                                    GBytes              *raw_path)
{
  g_return_if_fail (builder != NULL);

  if (raw_path == NULL)
    g_variant_dict_remove (&builder->dict, "raw_path");
  else
    g_variant_dict_insert_value (&builder->dict, "raw_path", _asgiref_bytes_value (raw_path));
}

/**
 * asgiref_scope_builder_set_query_string:
 * @builder: a scope builder
 * @query_string: (nullable): what follows the `?` of the request target,
 *   still percent-encoded; %NULL for none
 *
 * Sets `query_string`; the default is empty.
 */
void
asgiref_scope_builder_set_query_string (AsgirefScopeBuilder *builder,
                                        GBytes              *query_string)
{
  g_return_if_fail (builder != NULL);

  g_variant_dict_insert_value (&builder->dict, "query_string", _asgiref_bytes_value (query_string));
}

/**
 * asgiref_scope_builder_set_root_path:
 * @builder: a scope builder
 * @root_path: where the application is mounted, such as `"/api"`; `""`
 *   when it is at the root
 *
 * Sets `root_path`, WSGI's `SCRIPT_NAME`; the default is `""`.
 */
void
asgiref_scope_builder_set_root_path (AsgirefScopeBuilder *builder,
                                     const char          *root_path)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (root_path != NULL);

  g_variant_dict_insert (&builder->dict, "root_path", "s", root_path);
}

/**
 * asgiref_scope_builder_set_headers:
 * @builder: a scope builder
 * @headers: (nullable): the request headers, of type `a(ayay)`, as
 *   [func@Asgiref.headers_new] builds them; %NULL for none. A floating
 *   reference is consumed.
 *
 * Sets `headers`; the default is an empty list.
 */
void
asgiref_scope_builder_set_headers (AsgirefScopeBuilder *builder,
                                   GVariant            *headers)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (headers == NULL || g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")));

  g_variant_dict_insert_value (&builder->dict, "headers", headers != NULL ? headers : _asgiref_empty_headers ());
}

/**
 * asgiref_scope_builder_set_client:
 * @builder: a scope builder
 * @host: (nullable): the address of the remote end, IPv4 or IPv6, as
 *   text; %NULL to leave `client` out
 * @port: the remote port
 *
 * Sets `client` to `(host, port)`, of type `(si)`.
 */
void
asgiref_scope_builder_set_client (AsgirefScopeBuilder *builder,
                                  const char          *host,
                                  int                  port)
{
  g_return_if_fail (builder != NULL);

  if (host == NULL)
    g_variant_dict_remove (&builder->dict, "client");
  else
    g_variant_dict_insert (&builder->dict, "client", "(si)", host, port);
}

/**
 * asgiref_scope_builder_set_server:
 * @builder: a scope builder
 * @host: (nullable): the listening address, or the path of a Unix socket;
 *   %NULL to leave `server` out
 * @port: the listening port, or -1 for none (a Unix socket)
 *
 * Sets `server` to `(host, port)`, of type `(smi)`: the port is a maybe
 * type because ASGI gives a Unix socket's path with no port.
 */
void
asgiref_scope_builder_set_server (AsgirefScopeBuilder *builder,
                                  const char          *host,
                                  int                  port)
{
  g_return_if_fail (builder != NULL);

  if (host == NULL)
    g_variant_dict_remove (&builder->dict, "server");
  else
    g_variant_dict_insert_value (&builder->dict, "server",
                                 g_variant_new ("(s@mi)", host,
                                                g_variant_new_maybe (G_VARIANT_TYPE_INT32,
                                                                     port < 0 ? NULL :
                                                                     g_variant_new_int32 (port))));
}

/**
 * asgiref_scope_builder_set_subprotocols:
 * @builder: a builder of a `websocket` scope
 * @subprotocols: (nullable) (array zero-terminated=1): the subprotocols
 *   the client offered, in its order; %NULL for none
 *
 * Sets `subprotocols`, of type `as`; the default is an empty list.
 */
void
asgiref_scope_builder_set_subprotocols (AsgirefScopeBuilder *builder,
                                        const char * const  *subprotocols)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->websocket);

  g_variant_dict_insert_value (&builder->dict, "subprotocols",
                               g_variant_new_strv (subprotocols, subprotocols != NULL ? -1 : 0));
}

/**
 * asgiref_scope_builder_set_state:
 * @builder: a scope builder
 * @state: (nullable): the state the application's lifespan startup
 *   left, of type `a{sv}`; %NULL to leave `state` out. A floating
 *   reference is consumed.
 *
 * Sets `state`. In Python ASGI it is a shallow copy of a mutable
 * dictionary; a variant cannot be changed, so here it carries values
 * (or references, such as object paths or names) that the startup fixed.
 */
void
asgiref_scope_builder_set_state (AsgirefScopeBuilder *builder,
                                 GVariant            *state)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (state == NULL || g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT));

  if (state == NULL)
    g_variant_dict_remove (&builder->dict, "state");
  else
    g_variant_dict_insert_value (&builder->dict, "state", state);
}

/**
 * asgiref_scope_builder_add_extension:
 * @builder: a scope builder
 * @name: the extension's name, such as `"websocket.http.response"`
 * @info: (nullable): what the extension tells the application, of type
 *   `a{sv}`; %NULL for an empty dictionary. A floating reference is
 *   consumed.
 *
 * Announces a protocol extension the server supports, in the scope's
 * `extensions` dictionary; for example `websocket.http.response` lets the
 * application deny a WebSocket with an HTTP response of its own
 * ([func@Asgiref.message_new_websocket_http_response_start]).
 */
void
asgiref_scope_builder_add_extension (AsgirefScopeBuilder *builder,
                                     const char          *name,
                                     GVariant            *info)
{
  g_autoptr(GVariant) extensions = NULL;
  GVariantDict dict;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (info == NULL || g_variant_is_of_type (info, G_VARIANT_TYPE_VARDICT));

  extensions = g_variant_dict_lookup_value (&builder->dict, "extensions", G_VARIANT_TYPE_VARDICT);
  g_variant_dict_init (&dict, extensions);
  g_variant_dict_insert_value (&dict, name,
                               info != NULL ? info : g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
  g_variant_dict_insert_value (&builder->dict, "extensions", g_variant_dict_end (&dict));
}

/**
 * asgiref_scope_builder_end:
 * @builder: a scope builder
 *
 * Returns the scope built so far. The builder keeps its keys, so it may be
 * changed and ended again for a similar scope.
 *
 * Returns: (transfer full): the scope, a new variant of type `a{sv}` that
 *   is not floating
 */
GVariant *
asgiref_scope_builder_end (AsgirefScopeBuilder *builder)
{
  GVariant *scope;

  g_return_val_if_fail (builder != NULL, NULL);

  scope = _asgiref_scope_finish (g_variant_dict_end (&builder->dict));
  g_variant_dict_init (&builder->dict, scope);
  return scope;
}
