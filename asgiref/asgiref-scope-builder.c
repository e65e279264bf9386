/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-headers-private.h"
#include "asgiref-scope-builder.h"
#include "asgiref-scope-private.h"

/**
 * AsgirefScopeBuilder:
 *
 * Builds an `http` or `websocket` [struct@Asgiref.Scope] field by field,
 * for the callers that set more than [ctor@Asgiref.Scope.new_http] and
 * [ctor@Asgiref.Scope.new_websocket] take: a server filling a scope from
 * a request, or a test that needs a client address or a root path.
 *
 * A new builder already holds a complete scope: ASGI 3.0 with the
 * `spec_version` this library implements (2.3), `http_version` 1.1, the
 * default `scheme` (`http` or `ws`), an empty `query_string`, `root_path`
 * and `headers` (and `subprotocols` for WebSocket), no `client` or
 * `server`. Each setter replaces one field; [method@Asgiref.ScopeBuilder.end]
 * hands the scope out.
 *
 * ```c
 * g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/items");
 * g_autoptr(AsgirefScope) scope = NULL;
 *
 * asgiref_scope_builder_set_query_string (builder, query);
 * asgiref_scope_builder_set_headers (builder, headers);
 * asgiref_scope_builder_set_client (builder, "192.0.2.7", 51234);
 * asgiref_scope_builder_set_server (builder, "127.0.0.1", 8000);
 * scope = asgiref_scope_builder_end (builder);
 * ```
 *
 * The builder fills the scope it will return in place, so building costs
 * two allocations and a copy of each string set, and ending costs
 * nothing. That makes a builder good for one scope: once ended, it is
 * spent, and only unreferencing it is allowed.
 *
 * A builder is meant for one thread at a time; the scope it returns is
 * immutable and may go anywhere.
 */
struct _AsgirefScopeBuilder
{
  gatomicrefcount  ref_count;
  AsgirefScope    *scope;  /* complete at all times; NULL once ended */
};

G_DEFINE_BOXED_TYPE (AsgirefScopeBuilder, asgiref_scope_builder,
                     asgiref_scope_builder_ref, asgiref_scope_builder_unref)

/* The version of the HTTP and WebSocket specification this library
 * implements, which a scope it builds announces in asgi.spec_version. */
#define WWW_SPEC_VERSION "2.3"

static AsgirefScopeBuilder *
scope_builder_new (AsgirefScopeKind  kind,
                   const char       *path)
{
  AsgirefScopeBuilder *builder = g_new (AsgirefScopeBuilder, 1);
  AsgirefScope *scope = _asgiref_scope_alloc (kind);

  g_atomic_ref_count_init (&builder->ref_count);
  builder->scope = scope;
  scope->spec_version = WWW_SPEC_VERSION;
  scope->http_version = "1.1";
  scope->scheme = kind == ASGIREF_SCOPE_WEBSOCKET ? "ws" : "http";
  scope->path = g_strdup (path);
  scope->query_string = _asgiref_scope_empty_bytes ();
  scope->headers = asgiref_headers_ref (_asgiref_headers_empty ());
  if (kind == ASGIREF_SCOPE_WEBSOCKET)
    scope->subprotocols = g_new0 (char *, 1);
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

  builder = scope_builder_new (ASGIREF_SCOPE_HTTP, path);
  builder->scope->method = g_strdup (method);
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

  return scope_builder_new (ASGIREF_SCOPE_WEBSOCKET, path);
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
 * Drops a reference to @builder, freeing it with the last one, and the
 * scope it holds if it was not ended.
 */
void
asgiref_scope_builder_unref (AsgirefScopeBuilder *builder)
{
  g_return_if_fail (builder != NULL);

  if (g_atomic_ref_count_dec (&builder->ref_count))
    {
      g_clear_pointer (&builder->scope, asgiref_scope_unref);
      g_free (builder);
    }
}

/**
 * asgiref_scope_builder_set_spec_version:
 * @builder: a scope builder, not ended
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
  g_return_if_fail (builder->scope != NULL);
  g_return_if_fail (spec_version != NULL);

  builder->scope->spec_version = _asgiref_scope_intern (spec_version);
}

/**
 * asgiref_scope_builder_set_http_version:
 * @builder: a scope builder, not ended
 * @http_version: `"1.0"`, `"1.1"` or `"2"`
 *
 * Sets `http_version`; the default is `"1.1"`.
 */
void
asgiref_scope_builder_set_http_version (AsgirefScopeBuilder *builder,
                                        const char          *http_version)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);
  g_return_if_fail (http_version != NULL);

  builder->scope->http_version = _asgiref_scope_intern (http_version);
}

/**
 * asgiref_scope_builder_set_scheme:
 * @builder: a scope builder, not ended
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
  g_return_if_fail (builder->scope != NULL);
  g_return_if_fail (scheme != NULL);

  builder->scope->scheme = _asgiref_scope_intern (scheme);
}

/**
 * asgiref_scope_builder_set_raw_path:
 * @builder: a scope builder, not ended
 * @raw_path: (nullable): the path as the client sent it, percent escapes
 *   and all, without the query string; %NULL to leave `raw_path` out
 *
 * Sets `raw_path`, which a server includes when it has the original bytes
 * of the request target. The scope keeps a reference to @raw_path.
 */
void
asgiref_scope_builder_set_raw_path (AsgirefScopeBuilder *builder,
                                    GBytes              *raw_path)
{
  GBytes *old;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);

  old = builder->scope->raw_path;
  builder->scope->raw_path = raw_path != NULL ? g_bytes_ref (raw_path) : NULL;
  g_clear_pointer (&old, g_bytes_unref);
}

/**
 * asgiref_scope_builder_set_query_string:
 * @builder: a scope builder, not ended
 * @query_string: (nullable): what follows the `?` of the request target,
 *   still percent-encoded; %NULL for none
 *
 * Sets `query_string`; the default is empty. The scope keeps a reference
 * to @query_string.
 */
void
asgiref_scope_builder_set_query_string (AsgirefScopeBuilder *builder,
                                        GBytes              *query_string)
{
  GBytes *old;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);

  old = builder->scope->query_string;
  builder->scope->query_string = query_string != NULL ? g_bytes_ref (query_string) : _asgiref_scope_empty_bytes ();
  g_bytes_unref (old);
}

/**
 * asgiref_scope_builder_set_root_path:
 * @builder: a scope builder, not ended
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
  g_return_if_fail (builder->scope != NULL);
  g_return_if_fail (root_path != NULL);

  g_free (builder->scope->root_path);
  builder->scope->root_path = *root_path != '\0' ? g_strdup (root_path) : NULL;
}

/**
 * asgiref_scope_builder_set_headers:
 * @builder: a scope builder, not ended
 * @headers: (nullable): the request headers; %NULL for none
 *
 * Sets `headers`; the default is an empty list. The scope keeps a
 * reference to @headers.
 */
void
asgiref_scope_builder_set_headers (AsgirefScopeBuilder *builder,
                                   AsgirefHeaders      *headers)
{
  AsgirefHeaders *old;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);

  old = builder->scope->headers;
  builder->scope->headers = asgiref_headers_ref (headers != NULL ? headers : _asgiref_headers_empty ());
  asgiref_headers_unref (old);
}

/**
 * asgiref_scope_builder_set_client:
 * @builder: a scope builder, not ended
 * @host: (nullable): the address of the remote end, IPv4 or IPv6, as
 *   text; %NULL to leave `client` out
 * @port: the remote port
 *
 * Sets `client` to (@host, @port).
 */
void
asgiref_scope_builder_set_client (AsgirefScopeBuilder *builder,
                                  const char          *host,
                                  int                  port)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);

  g_free (builder->scope->client_host);
  builder->scope->client_host = g_strdup (host);
  builder->scope->client_port = host != NULL ? port : 0;
}

/**
 * asgiref_scope_builder_set_server:
 * @builder: a scope builder, not ended
 * @host: (nullable): the listening address, or the path of a Unix socket;
 *   %NULL to leave `server` out
 * @port: the listening port, or -1 for none (a Unix socket)
 *
 * Sets `server` to (@host, @port). In the `a{sv}` form the port is a maybe
 * type, `(smi)`, because ASGI gives a Unix socket's path with no port.
 */
void
asgiref_scope_builder_set_server (AsgirefScopeBuilder *builder,
                                  const char          *host,
                                  int                  port)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);

  g_free (builder->scope->server_host);
  builder->scope->server_host = g_strdup (host);
  builder->scope->server_port = host != NULL ? port : 0;
}

/**
 * asgiref_scope_builder_set_subprotocols:
 * @builder: a builder of a `websocket` scope, not ended
 * @subprotocols: (nullable) (array zero-terminated=1): the subprotocols
 *   the client offered, in its order; %NULL for none
 *
 * Sets `subprotocols`; the default is an empty list.
 */
void
asgiref_scope_builder_set_subprotocols (AsgirefScopeBuilder *builder,
                                        const char * const  *subprotocols)
{
  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);
  g_return_if_fail (builder->scope->kind == ASGIREF_SCOPE_WEBSOCKET);

  g_strfreev (builder->scope->subprotocols);
  builder->scope->subprotocols = subprotocols != NULL ? g_strdupv ((char **) subprotocols) : g_new0 (char *, 1);
}

/**
 * asgiref_scope_builder_set_state:
 * @builder: a scope builder, not ended
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
  GVariant *old;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);
  g_return_if_fail (state == NULL || g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT));

  old = builder->scope->state;
  builder->scope->state = state != NULL ? g_variant_ref_sink (state) : NULL;
  g_clear_pointer (&old, g_variant_unref);
}

/**
 * asgiref_scope_builder_add_extension:
 * @builder: a scope builder, not ended
 * @name: the extension's name, such as `"websocket.http.response"`
 * @info: (nullable): what the extension tells the application, of type
 *   `a{sv}`; %NULL for an empty dictionary. A floating reference is
 *   consumed.
 *
 * Announces a protocol extension the server supports, in the scope's
 * `extensions` dictionary, replacing an earlier one of the same @name;
 * for example `websocket.http.response` lets the application deny a
 * WebSocket with an HTTP response of its own (the messages
 * `websocket.http.response.start` and `websocket.http.response.body`).
 */
void
asgiref_scope_builder_add_extension (AsgirefScopeBuilder *builder,
                                     const char          *name,
                                     GVariant            *info)
{
  GVariantBuilder extensions;
  AsgirefScope *scope;

  g_return_if_fail (builder != NULL);
  g_return_if_fail (builder->scope != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (info == NULL || g_variant_is_of_type (info, G_VARIANT_TYPE_VARDICT));

  /* A server announces one or two: copying the others is cheaper than
   * keeping a table for them. */
  scope = builder->scope;
  g_variant_builder_init (&extensions, G_VARIANT_TYPE_VARDICT);
  if (scope->extensions != NULL)
    {
      GVariantIter iter;
      GVariant *entry;

      g_variant_iter_init (&iter, scope->extensions);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          const char *entry_name = NULL;

          g_variant_get_child (entry, 0, "&s", &entry_name);
          if (g_strcmp0 (entry_name, name) != 0)
            g_variant_builder_add_value (&extensions, entry);
          g_variant_unref (entry);
        }
    }
  g_variant_builder_add (&extensions, "{sv}", name,
                         info != NULL ? info : g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
  g_clear_pointer (&scope->extensions, g_variant_unref);
  scope->extensions = g_variant_ref_sink (g_variant_builder_end (&extensions));
}

/**
 * asgiref_scope_builder_end:
 * @builder: a scope builder, not ended
 *
 * Hands out the scope built. This may be called once: the builder gives
 * the scope it filled away, and is spent afterwards, only good for
 * [method@Asgiref.ScopeBuilder.unref]. Start a new builder for another
 * scope.
 *
 * Returns: (transfer full): the scope
 */
AsgirefScope *
asgiref_scope_builder_end (AsgirefScopeBuilder *builder)
{
  g_return_val_if_fail (builder != NULL, NULL);
  g_return_val_if_fail (builder->scope != NULL, NULL);

  return g_steal_pointer (&builder->scope);
}
