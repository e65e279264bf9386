/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-headers-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-scope.h"
#include "asgiref-scope-builder.h"
#include "asgiref-scope-private.h"

/**
 * AsgirefScope:
 *
 * An ASGI scope: what a server tells an application about the connection
 * one instance of the application serves. This library knows the three
 * scopes of ASGI 3.0: `http` (HTTP 2.3: one request), `websocket`
 * (WebSocket 2.3: one connection) and `lifespan` (lifespan 2.0: the
 * server's start and stop); [method@Asgiref.Scope.get_kind] says which.
 *
 * A scope is an immutable, reference-counted boxed value: once built, it
 * never changes, so any thread may read it without locks, and the strings
 * and objects its accessors return (transfer none) live as long as it
 * does. A server builds one with [struct@Asgiref.ScopeBuilder], or with
 * [ctor@Asgiref.Scope.new_http], [ctor@Asgiref.Scope.new_websocket] and
 * [ctor@Asgiref.Scope.new_lifespan]; an application reads it:
 *
 * ```c
 * static void
 * handle (AsgirefScope *scope)
 * {
 *   AsgirefHeaders *headers;
 *
 *   if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
 *     return;
 *
 *   headers = asgiref_scope_get_headers (scope);
 *   g_print ("%s %s (accept: %s)\n",
 *            asgiref_scope_get_method (scope),
 *            asgiref_scope_get_path (scope),
 *            asgiref_headers_lookup (headers, "accept"));
 * }
 * ```
 *
 * ASGI itself writes a scope as a dictionary. That form, a
 * [struct@GLib.Variant] of type `a{sv}` with the keys of the specification,
 * is for bindings, logging and interoperation:
 * [method@Asgiref.Scope.to_variant] gives it (built when first asked for,
 * then kept), and [ctor@Asgiref.Scope.new_from_variant] checks one and
 * reads it, keeping the keys it does not know, so that they come back in
 * the view. Python and JavaScript see that view as a dict or an object;
 * C code has no reason to use it. See the
 * [ASGI messages and scopes](asgi.html) guide.
 */

G_DEFINE_BOXED_TYPE (AsgirefScope, asgiref_scope, asgiref_scope_ref, asgiref_scope_unref)

/* The version of ASGI every scope of this library announces. */
#define ASGI_VERSION "3.0"

/* The version of the lifespan specification this library implements,
 * which a scope it builds announces in asgi.spec_version. */
#define LIFESPAN_SPEC_VERSION "2.0"

/* {{{ Life cycle */

AsgirefScope *
_asgiref_scope_alloc (AsgirefScopeKind kind)
{
  AsgirefScope *scope = g_new0 (AsgirefScope, 1);

  g_atomic_ref_count_init (&scope->ref_count);
  scope->kind = kind;
  return scope;
}

AsgirefScope *
_asgiref_scope_alloc_with_strings (AsgirefScopeKind   kind,
                                   gsize              strings_size,
                                   char             **strings)
{
  AsgirefScope *scope = g_malloc0 (sizeof *scope + strings_size);

  g_atomic_ref_count_init (&scope->ref_count);
  scope->kind = kind;
  scope->inline_strings = TRUE;
  *strings = (char *) (scope + 1);
  return scope;
}

const char *
_asgiref_scope_intern (const char *text)
{
  static const char * const known[] = {
    "2.3", "1.1", "http", "https", "2", "1.0", "ws", "wss", "2.0", "2.1", "2.2", "2.4",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (text, known[i]) == 0)
      return known[i];
  return g_intern_string (text);
}

GBytes *
_asgiref_scope_empty_bytes (void)
{
  static GBytes *empty = NULL;

  if (g_once_init_enter (&empty))
    g_once_init_leave (&empty, g_bytes_new_static ("", 0));
  return g_bytes_ref (empty);
}

/**
 * asgiref_scope_ref:
 * @scope: a scope
 *
 * Takes a reference to @scope. Any thread may call this function.
 *
 * Returns: (transfer full): @scope
 */
AsgirefScope *
asgiref_scope_ref (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  g_atomic_ref_count_inc (&scope->ref_count);
  return scope;
}

/**
 * asgiref_scope_unref:
 * @scope: (transfer full): a scope
 *
 * Drops a reference to @scope, freeing it with the last one. Any thread
 * may call this function.
 */
void
asgiref_scope_unref (AsgirefScope *scope)
{
  g_return_if_fail (scope != NULL);

  if (!g_atomic_ref_count_dec (&scope->ref_count))
    return;

  if (!scope->inline_strings)
    {
      g_free (scope->method);
      g_free (scope->path);
      g_free (scope->client_host);
      g_free (scope->server_host);
    }
  g_clear_pointer (&scope->raw_path, g_bytes_unref);
  g_clear_pointer (&scope->query_string, g_bytes_unref);
  g_free (scope->root_path);
  g_clear_pointer (&scope->headers, asgiref_headers_unref);
  g_strfreev (scope->subprotocols);
  g_clear_pointer (&scope->state, g_variant_unref);
  g_clear_pointer (&scope->extensions, g_variant_unref);
  g_clear_pointer (&scope->extra, g_variant_unref);
  g_clear_pointer (&scope->view, g_variant_unref);
  g_free (scope);
}

/* }}} */

/* {{{ Constructors */

/**
 * asgiref_scope_new_http:
 * @method: the request method, upper-case, such as `"GET"`
 * @path: the request path, percent-decoded, such as `"/items"`
 * @query_string: (nullable): what follows the `?` of the request target,
 *   still percent-encoded; %NULL for none
 * @headers: (nullable): the request headers; %NULL for none
 *
 * Builds an `http` scope, for one HTTP request, with the defaults of
 * [ctor@Asgiref.ScopeBuilder.new_http] for the other fields: HTTP/1.1 over
 * `http`, mounted at the root, no client or server address.
 *
 * Nothing is checked here: [method@Asgiref.Scope.validate] does that.
 *
 * Returns: (transfer full): the scope
 */
AsgirefScope *
asgiref_scope_new_http (const char     *method,
                        const char     *path,
                        GBytes         *query_string,
                        AsgirefHeaders *headers)
{
  g_autoptr(AsgirefScopeBuilder) builder = NULL;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  builder = asgiref_scope_builder_new_http (method, path);
  asgiref_scope_builder_set_query_string (builder, query_string);
  asgiref_scope_builder_set_headers (builder, headers);
  return asgiref_scope_builder_end (builder);
}

/**
 * asgiref_scope_new_websocket:
 * @path: the path of the handshake request, percent-decoded
 * @query_string: (nullable): what follows the `?` of the request target,
 *   still percent-encoded; %NULL for none
 * @headers: (nullable): the handshake request's headers; %NULL for none
 * @subprotocols: (nullable) (array zero-terminated=1): the subprotocols
 *   the client offered; %NULL for none
 *
 * Builds a `websocket` scope, for one WebSocket connection, with the
 * defaults of [ctor@Asgiref.ScopeBuilder.new_websocket] for the other
 * fields.
 *
 * Returns: (transfer full): the scope
 */
AsgirefScope *
asgiref_scope_new_websocket (const char         *path,
                             GBytes             *query_string,
                             AsgirefHeaders     *headers,
                             const char * const *subprotocols)
{
  g_autoptr(AsgirefScopeBuilder) builder = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  builder = asgiref_scope_builder_new_websocket (path);
  asgiref_scope_builder_set_query_string (builder, query_string);
  asgiref_scope_builder_set_headers (builder, headers);
  asgiref_scope_builder_set_subprotocols (builder, subprotocols);
  return asgiref_scope_builder_end (builder);
}

/**
 * asgiref_scope_new_lifespan:
 * @state: (nullable): a `state` dictionary, of type `a{sv}`, to hand to
 *   the application; %NULL for none. A floating reference is consumed.
 *
 * Builds a `lifespan` scope: the one the application gets once, at server
 * start-up and shut-down, with `lifespan.startup` and `lifespan.shutdown`.
 * It announces lifespan 2.0.
 *
 * Returns: (transfer full): the scope
 */
AsgirefScope *
asgiref_scope_new_lifespan (GVariant *state)
{
  AsgirefScope *scope;

  g_return_val_if_fail (state == NULL || g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT), NULL);

  scope = _asgiref_scope_alloc (ASGIREF_SCOPE_LIFESPAN);
  scope->spec_version = LIFESPAN_SPEC_VERSION;
  if (state != NULL)
    scope->state = g_variant_ref_sink (state);
  return scope;
}

/* }}} */

/* {{{ Accessors */

/**
 * asgiref_scope_get_kind:
 * @scope: a scope
 *
 * Tells which of ASGI's scopes @scope is, as [method@Asgiref.Scope.get_type_name]
 * does by name.
 *
 * Returns: the scope's kind
 */
AsgirefScopeKind
asgiref_scope_get_kind (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, ASGIREF_SCOPE_HTTP);

  return scope->kind;
}

/**
 * asgiref_scope_get_type_name:
 * @scope: a scope
 *
 * Reads the scope's `type`: `"http"`, `"websocket"` or `"lifespan"`.
 *
 * Returns: the type, a static string
 */
const char *
asgiref_scope_get_type_name (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  switch (scope->kind)
    {
    case ASGIREF_SCOPE_HTTP:
      return "http";
    case ASGIREF_SCOPE_WEBSOCKET:
      return "websocket";
    case ASGIREF_SCOPE_LIFESPAN:
      return "lifespan";
    default:
      g_assert_not_reached ();
    }
}

/**
 * asgiref_scope_get_asgi_version:
 * @scope: a scope
 *
 * Reads `asgi.version`: the version of ASGI the server speaks. This
 * library speaks ASGI 3.0 only; a scope read from a variant that said `3`
 * or `3.1` says `3.0` too.
 *
 * Returns: `"3.0"`
 */
const char *
asgiref_scope_get_asgi_version (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return ASGI_VERSION;
}

/**
 * asgiref_scope_get_spec_version:
 * @scope: a scope
 *
 * Reads `asgi.spec_version`: the version of the protocol's specification
 * (HTTP and WebSocket, or lifespan) the server implements.
 *
 * Returns: the version, valid as long as @scope is; `"2.3"` for the `http`
 *   and `websocket` scopes and `"2.0"` for the `lifespan` scopes this
 *   library builds, unless the server set another. A scope read from a
 *   variant that did not tell has ASGI's default for its type: `"2.0"`
 *   for `http` and `websocket`, `"1.0"` for `lifespan`.
 */
const char *
asgiref_scope_get_spec_version (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  if (scope->spec_version != NULL)
    return scope->spec_version;
  return scope->kind == ASGIREF_SCOPE_LIFESPAN ? LIFESPAN_SPEC_VERSION : "2.3";
}

/**
 * asgiref_scope_get_http_version:
 * @scope: a scope
 *
 * Reads `http_version` of an `http` or `websocket` scope.
 *
 * Returns: the version, `"1.0"`, `"1.1"` or `"2"`, valid as long as
 *   @scope is; `"1.1"` when the scope does not tell (a `lifespan` scope)
 */
const char *
asgiref_scope_get_http_version (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->http_version != NULL ? scope->http_version : "1.1";
}

/**
 * asgiref_scope_get_method:
 * @scope: a scope
 *
 * Reads the `method` of an `http` scope.
 *
 * Returns: (nullable): the method, valid as long as @scope is; %NULL when
 *   there is none (not an `http` scope)
 */
const char *
asgiref_scope_get_method (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->method;
}

/**
 * asgiref_scope_get_scheme:
 * @scope: a scope
 *
 * Reads the URL `scheme` of an `http` or `websocket` scope.
 *
 * Returns: the scheme, valid as long as @scope is; when the scope does not
 *   tell (a `lifespan` scope), `"http"`
 */
const char *
asgiref_scope_get_scheme (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  if (scope->scheme != NULL)
    return scope->scheme;
  return scope->kind == ASGIREF_SCOPE_WEBSOCKET ? "ws" : "http";
}

/**
 * asgiref_scope_get_path:
 * @scope: a scope
 *
 * Reads the `path` of an `http` or `websocket` scope: the request target
 * without the query string, percent-decoded.
 *
 * Returns: (nullable): the path, valid as long as @scope is; %NULL when
 *   there is none (a `lifespan` scope)
 */
const char *
asgiref_scope_get_path (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->path;
}

/**
 * asgiref_scope_get_raw_path:
 * @scope: a scope
 *
 * Reads the `raw_path` of an `http` or `websocket` scope: the path as the
 * client sent it.
 *
 * Returns: (transfer full) (nullable): the raw path, or %NULL when the
 *   server did not give it
 */
GBytes *
asgiref_scope_get_raw_path (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->raw_path != NULL ? g_bytes_ref (scope->raw_path) : NULL;
}

/**
 * asgiref_scope_get_query_string:
 * @scope: a scope
 *
 * Reads the `query_string` of an `http` or `websocket` scope: what follows
 * the `?`, still percent-encoded.
 *
 * Returns: (transfer full): the query string; empty when there is none
 */
GBytes *
asgiref_scope_get_query_string (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  if (scope->query_string != NULL)
    return g_bytes_ref (scope->query_string);
  return _asgiref_scope_empty_bytes ();
}

/**
 * asgiref_scope_get_root_path:
 * @scope: a scope
 *
 * Reads the `root_path` of an `http` or `websocket` scope: where the
 * application is mounted.
 *
 * Returns: the root path, valid as long as @scope is; `""` when the
 *   application is mounted at the root, or the scope does not tell
 */
const char *
asgiref_scope_get_root_path (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->root_path != NULL ? scope->root_path : "";
}

/**
 * asgiref_scope_get_headers:
 * @scope: a scope
 *
 * Reads the request `headers` of an `http` or `websocket` scope.
 *
 * Returns: (transfer none): the headers, valid as long as @scope is; an
 *   empty list when there are none (and for a `lifespan` scope)
 */
AsgirefHeaders *
asgiref_scope_get_headers (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->headers != NULL ? scope->headers : _asgiref_headers_empty ();
}

/**
 * asgiref_scope_get_client:
 * @scope: a scope
 * @host: (out) (optional) (nullable) (transfer none): return location for
 *   the remote address, valid as long as @scope is; %NULL when there is
 *   no `client`
 * @port: (out) (optional): return location for the remote port; 0 when
 *   there is no `client`
 *
 * Reads the `client` of an `http` or `websocket` scope: the address of the
 * remote end.
 *
 * Returns: %TRUE if the scope has a `client`
 */
gboolean
asgiref_scope_get_client (AsgirefScope  *scope,
                          const char   **host,
                          int           *port)
{
  gboolean found;

  g_return_val_if_fail (scope != NULL, FALSE);

  found = scope->client_host != NULL;
  if (host != NULL)
    *host = scope->client_host;
  if (port != NULL)
    *port = found ? scope->client_port : 0;
  return found;
}

/**
 * asgiref_scope_get_server:
 * @scope: a scope
 * @host: (out) (optional) (nullable) (transfer none): return location for
 *   the listening address or Unix socket path, valid as long as @scope
 *   is; %NULL when there is no `server`
 * @port: (out) (optional): return location for the listening port; -1
 *   for none (a Unix socket), 0 when there is no `server`
 *
 * Reads the `server` of an `http` or `websocket` scope: the address that
 * accepted the connection.
 *
 * Returns: %TRUE if the scope has a `server`
 */
gboolean
asgiref_scope_get_server (AsgirefScope  *scope,
                          const char   **host,
                          int           *port)
{
  gboolean found;

  g_return_val_if_fail (scope != NULL, FALSE);

  found = scope->server_host != NULL;
  if (host != NULL)
    *host = scope->server_host;
  if (port != NULL)
    *port = found ? scope->server_port : 0;
  return found;
}

/**
 * asgiref_scope_get_subprotocols:
 * @scope: a scope
 *
 * Reads the `subprotocols` a WebSocket client offered.
 *
 * Returns: (transfer full) (array zero-terminated=1): the subprotocols, in
 *   the client's order; empty when there are none (and for a scope that is
 *   not a `websocket` one)
 */
char **
asgiref_scope_get_subprotocols (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  if (scope->subprotocols == NULL)
    return g_new0 (char *, 1);
  return g_strdupv (scope->subprotocols);
}

/**
 * asgiref_scope_get_state:
 * @scope: a scope
 *
 * Reads the scope's `state`: what the application's lifespan startup left
 * for its requests.
 *
 * Returns: (transfer full) (nullable): the state, of type `a{sv}`, or
 *   %NULL when the server does not pass one
 */
GVariant *
asgiref_scope_get_state (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->state != NULL ? g_variant_ref (scope->state) : NULL;
}

/**
 * asgiref_scope_get_extensions:
 * @scope: a scope
 *
 * Reads the scope's `extensions`: the protocol extensions the server
 * supports, each name mapped to what the extension tells the application.
 * [method@Asgiref.Scope.has_extension] answers the usual question.
 *
 * Returns: (transfer none) (nullable): the extensions, of type `a{sv}`
 *   whose values are `a{sv}`, valid as long as @scope is; %NULL when the
 *   server announced none
 */
GVariant *
asgiref_scope_get_extensions (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->extensions;
}

/**
 * asgiref_scope_get_extra:
 * @scope: a scope
 *
 * Reads the keys of the scope that ASGI does not name, with their values:
 * what a scope made by [ctor@Asgiref.Scope.new_from_variant] carried
 * besides ASGI's own keys (a server's or a framework's additions). They
 * are part of [method@Asgiref.Scope.to_variant] too; a scope the server
 * makes has none.
 *
 * Returns: (transfer none) (nullable): the other keys, an `a{sv}` valid as
 *   long as @scope is, or %NULL when there are none
 */
GVariant *
asgiref_scope_get_extra (AsgirefScope *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  return scope->extra;
}

/**
 * asgiref_scope_has_extension:
 * @scope: a scope
 * @name: an extension's name, such as `"websocket.http.response"`
 *
 * Tells whether the server announced the extension @name in the scope's
 * `extensions`, which is what allows the application to use it.
 *
 * Returns: %TRUE if it did
 */
gboolean
asgiref_scope_has_extension (AsgirefScope *scope,
                             const char   *name)
{
  g_autoptr(GVariant) info = NULL;

  g_return_val_if_fail (scope != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (scope->extensions == NULL)
    return FALSE;
  info = g_variant_lookup_value (scope->extensions, name, G_VARIANT_TYPE_VARDICT);
  return info != NULL;
}

/* }}} */

/* {{{ Rules: what a valid scope's fields are, for both of its forms */

static gboolean
is_token (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
_asgiref_scope_check_http_version (const char  *version,
                                   const char  *type,
                                   GError     **error)
{
  if (strcmp (type, "websocket") == 0)
    {
      if (strcmp (version, "1.1") != 0 && strcmp (version, "2") != 0)
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("The HTTP version “%s” of the ASGI scope “%s” is not “1.1” or “2”"),
                       version, type);
          return FALSE;
        }
    }
  else if (strcmp (version, "1.0") != 0 && strcmp (version, "1.1") != 0 && strcmp (version, "2") != 0)
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The HTTP version “%s” of the ASGI scope “%s” is not “1.0”, “1.1” or “2”"),
                   version, type);
      return FALSE;
    }

  return TRUE;
}

gboolean
_asgiref_scope_check_method (const char  *method,
                             GError     **error)
{
  if (*method == '\0')
    {
      g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                           _("The method of the ASGI scope “http” is empty"));
      return FALSE;
    }
  for (const char *p = method; *p != '\0'; p++)
    if (g_ascii_islower (*p))
      {
        g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                     _("The method “%s” of the ASGI scope “http” is not upper-case"), method);
        return FALSE;
      }
  if (!is_token (method))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The method “%s” of the ASGI scope “http” has a character that HTTP does not allow in one"),
                   method);
      return FALSE;
    }

  return TRUE;
}

/* @scheme and @root_path are nullable: not given; @method too, outside
 * http. */
gboolean
_asgiref_scope_check_paths (const char  *scheme,
                            const char  *path,
                            const char  *root_path,
                            const char  *method,
                            const char  *type,
                            GError     **error)
{
  if (scheme != NULL && *scheme == '\0')
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The scheme of the ASGI scope “%s” is empty"), type);
      return FALSE;
    }

  if (*path == '\0')
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The path of the ASGI scope “%s” is empty"), type);
      return FALSE;
    }
  /* "OPTIONS *" asks about the server as a whole: its target is no path. */
  if (path[0] != '/' && !(strcmp (path, "*") == 0 && g_strcmp0 (method, "OPTIONS") == 0))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The path “%s” of the ASGI scope “%s” does not start with “/”"), path, type);
      return FALSE;
    }

  if (root_path != NULL && root_path[0] != '\0' && root_path[0] != '/')
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The root path “%s” of the ASGI scope “%s” must be empty or start with “/”"),
                   root_path, type);
      return FALSE;
    }

  return TRUE;
}

/* @key is "client" or "server"; @has_port is FALSE for a server without
 * one (a Unix socket). */
gboolean
_asgiref_scope_check_address (const char  *host,
                              gboolean     has_port,
                              int          port,
                              const char  *key,
                              const char  *type,
                              GError     **error)
{
  if (*host == '\0')
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The host of “%s” in the ASGI scope “%s” is empty"), key, type);
      return FALSE;
    }
  if (has_port && (port < 0 || port > 65535))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The port %d of “%s” in the ASGI scope “%s” is outside 0–65535"),
                   port, key, type);
      return FALSE;
    }

  return TRUE;
}

gboolean
_asgiref_scope_check_subprotocols (const char * const  *subprotocols,
                                   GError             **error)
{
  for (guint i = 0; subprotocols != NULL && subprotocols[i] != NULL; i++)
    if (!is_token (subprotocols[i]))
      {
        g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                     _("Subprotocol %u of the ASGI scope “websocket” is empty or has a character "
                       "that HTTP does not allow in a token"),
                     i);
        return FALSE;
      }

  return TRUE;
}

/* @extensions is an a{sv}, or NULL. */
gboolean
_asgiref_scope_check_extensions (GVariant    *extensions,
                                 const char  *type,
                                 GError     **error)
{
  GVariantIter iter;
  const char *name;
  GVariant *info;

  if (extensions == NULL)
    return TRUE;

  g_variant_iter_init (&iter, extensions);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &info))
    {
      gboolean is_dict = g_variant_is_of_type (info, G_VARIANT_TYPE_VARDICT);

      if (!is_dict)
        g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                     _("Extension “%s” of the ASGI scope “%s” must be of type “a{sv}”, not “%s”"),
                     name, type, g_variant_get_type_string (info));
      g_variant_unref (info);
      if (!is_dict)
        return FALSE;
    }

  return TRUE;
}

static gboolean
check_headers (AsgirefHeaders  *headers,
               const char      *type,
               GError         **error)
{
  if (!_asgiref_headers_check (headers, error))
    {
      g_prefix_error (error, _("In the ASGI scope “%s”: "), type);
      return FALSE;
    }
  return TRUE;
}

/* }}} */

/* {{{ Validation */

/**
 * asgiref_scope_validate:
 * @scope: a scope
 * @error: return location for a #GError
 *
 * Checks that @scope's fields follow ASGI's rules, for a server that built
 * it from what a client sent, or a test. The builders check nothing, and
 * [ctor@Asgiref.Scope.new_from_variant] checks everything, so a scope it
 * returned is valid.
 *
 * On the first rule broken it fails with %ASGIREF_ERROR_INVALID_MESSAGE
 * and a message that names the rule and the field:
 *
 * - `http_version` is not `1.0`, `1.1` or `2` (`1.1` or `2` for
 *   WebSocket);
 * - the method is empty, not upper-case, or not an HTTP token;
 * - the scheme is empty;
 * - the path is empty, or does not start with `/` (`*` is allowed for an
 *   `OPTIONS` request);
 * - `root_path` is neither empty nor starts with `/`;
 * - a header name is empty, not lower-case or not an HTTP token, or a
 *   header has a CR, LF or NUL byte;
 * - the host of `client` or `server` is empty, or its port is outside
 *   0–65535 (a `server` may have no port: a Unix socket);
 * - a subprotocol is empty or not an HTTP token;
 * - an entry of `extensions` is not an `a{sv}`.
 *
 * A `lifespan` scope has none of these fields, and is always valid. Any
 * thread may call this function.
 *
 * Returns: %TRUE if @scope is valid
 */
gboolean
asgiref_scope_validate (AsgirefScope  *scope,
                        GError       **error)
{
  const char *type;

  g_return_val_if_fail (scope != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (scope->kind == ASGIREF_SCOPE_LIFESPAN)
    return TRUE;

  type = asgiref_scope_get_type_name (scope);
  if (scope->http_version != NULL &&
      !_asgiref_scope_check_http_version (scope->http_version, type, error))
    return FALSE;
  if (scope->kind == ASGIREF_SCOPE_HTTP &&
      !_asgiref_scope_check_method (scope->method != NULL ? scope->method : "", error))
    return FALSE;
  if (!_asgiref_scope_check_paths (scope->scheme, scope->path != NULL ? scope->path : "", scope->root_path,
                                   scope->method, type, error))
    return FALSE;
  if (scope->headers != NULL && !check_headers (scope->headers, type, error))
    return FALSE;
  if (scope->client_host != NULL &&
      !_asgiref_scope_check_address (scope->client_host, TRUE, scope->client_port, "client", type, error))
    return FALSE;
  /* -1 is how the struct says "no port"; other negative ports are wrong. */
  if (scope->server_host != NULL &&
      !_asgiref_scope_check_address (scope->server_host, scope->server_port != -1, scope->server_port,
                                     "server", type, error))
    return FALSE;
  if (!_asgiref_scope_check_subprotocols ((const char * const *) scope->subprotocols, error) ||
      !_asgiref_scope_check_extensions (scope->extensions, type, error))
    return FALSE;

  return TRUE;
}

/* }}} */
