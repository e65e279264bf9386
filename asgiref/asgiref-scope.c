/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message-private.h"
#include "asgiref-scope.h"
#include "asgiref-scope-builder.h"
#include "asgiref-scope-private.h"
#include "asgiref-vardict-private.h"

/* The version of the lifespan specification this library implements,
 * which a scope it builds announces in asgi.spec_version. */
#define LIFESPAN_SPEC_VERSION "2.0"

/* {{{ Builders */

GVariant *
_asgiref_scope_asgi_value (const char *spec_version)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "version", "s", "3.0");
  g_variant_dict_insert (&dict, "spec_version", "s", spec_version);
  return g_variant_dict_end (&dict);
}

/* Scopes are returned serialised: a string read from a variant in tree
 * form points into a child that the parent lets go of when it is
 * serialised later (by g_variant_equal() or g_variant_get_data(), say), so
 * the accessors' promise that strings live as long as the scope holds
 * only for serialised scopes. A scope is small and serialised once. */
GVariant *
_asgiref_scope_finish (GVariant *scope)
{
  g_variant_ref_sink (scope);
  g_variant_get_data (scope);
  return scope;
}

/**
 * asgiref_scope_new_http:
 * @method: the request method, upper-case, such as `"GET"`
 * @path: the request path, percent-decoded, such as `"/items"`
 * @query_string: (nullable): what follows the `?` of the request target,
 *   still percent-encoded; %NULL for none
 * @headers: (nullable): the request headers, of type `a(ayay)`; %NULL for
 *   none. A floating reference is consumed.
 *
 * Builds an `http` scope, for one HTTP request, with the defaults of
 * [ctor@Asgiref.ScopeBuilder.new_http] for the other keys: HTTP/1.1 over
 * `http`, mounted at the root, no client or server address.
 *
 * ASGI scopes are [struct@GLib.Variant] dictionaries of type `a{sv}`, like
 * ASGI messages; see the [ASGI messages and scopes](asgi.html) guide.
 * Nothing is checked here: [func@Asgiref.scope_validate] does that.
 *
 * Returns: (transfer full): the scope, of type `a{sv}`, not floating
 */
GVariant *
asgiref_scope_new_http (const char *method,
                        const char *path,
                        GBytes     *query_string,
                        GVariant   *headers)
{
  g_autoptr(AsgirefScopeBuilder) builder = NULL;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (headers == NULL || g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")), NULL);

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
 * @headers: (nullable): the handshake request's headers, of type
 *   `a(ayay)`; %NULL for none. A floating reference is consumed.
 * @subprotocols: (nullable) (array zero-terminated=1): the subprotocols
 *   the client offered; %NULL for none
 *
 * Builds a `websocket` scope, for one WebSocket connection, with the
 * defaults of [ctor@Asgiref.ScopeBuilder.new_websocket] for the other
 * keys.
 *
 * Returns: (transfer full): the scope, of type `a{sv}`, not floating
 */
GVariant *
asgiref_scope_new_websocket (const char         *path,
                             GBytes             *query_string,
                             GVariant           *headers,
                             const char * const *subprotocols)
{
  g_autoptr(AsgirefScopeBuilder) builder = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (headers == NULL || g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")), NULL);

  builder = asgiref_scope_builder_new_websocket (path);
  asgiref_scope_builder_set_query_string (builder, query_string);
  asgiref_scope_builder_set_headers (builder, headers);
  asgiref_scope_builder_set_subprotocols (builder, subprotocols);
  return asgiref_scope_builder_end (builder);
}

/**
 * asgiref_scope_new_lifespan:
 * @state: (nullable): a `state` dictionary, of type `a{sv}`, to hand to
 *   the application; %NULL to leave `state` out. A floating reference is
 *   consumed.
 *
 * Builds a `lifespan` scope: the one the application gets once, at server
 * start-up and shut-down, with `lifespan.startup` and `lifespan.shutdown`.
 *
 * Returns: (transfer full): the scope, of type `a{sv}`, not floating
 */
GVariant *
asgiref_scope_new_lifespan (GVariant *state)
{
  GVariantDict dict;

  g_return_val_if_fail (state == NULL || g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT), NULL);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", "lifespan");
  g_variant_dict_insert_value (&dict, "asgi", _asgiref_scope_asgi_value (LIFESPAN_SPEC_VERSION));
  if (state != NULL)
    g_variant_dict_insert_value (&dict, "state", state);
  return _asgiref_scope_finish (g_variant_dict_end (&dict));
}

/* }}} */

/* {{{ Accessors */

/**
 * asgiref_scope_get_type_name:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the scope's `type`: `"http"`, `"websocket"` or `"lifespan"`.
 *
 * Returns: (nullable): the type, valid as long as @scope is; %NULL when
 *   the scope has no `type` string
 */
const char *
asgiref_scope_get_type_name (GVariant *scope)
{
  _asgiref_return_val_if_not_vardict (scope, NULL);

  return _asgiref_vardict_lookup_string (scope, "type");
}

static const char *
lookup_asgi_string (GVariant   *scope,
                    const char *key)
{
  g_autoptr(GVariant) asgi = NULL;

  g_variant_get_data (scope);
  asgi = g_variant_lookup_value (scope, "asgi", G_VARIANT_TYPE_VARDICT);
  /* Serialised, @asgi's data is a slice of @scope's. */
  return asgi != NULL ? _asgiref_vardict_lookup_string (asgi, key) : NULL;
}

/**
 * asgiref_scope_get_asgi_version:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads `asgi.version`: the version of ASGI the server speaks.
 *
 * Returns: the version, valid as long as @scope is; `"2.0"`, as ASGI
 *   says, when the scope does not tell
 */
const char *
asgiref_scope_get_asgi_version (GVariant *scope)
{
  const char *version;

  _asgiref_return_val_if_not_vardict (scope, NULL);

  version = lookup_asgi_string (scope, "version");
  return version != NULL ? version : "2.0";
}

/**
 * asgiref_scope_get_spec_version:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads `asgi.spec_version`: the version of the protocol's specification
 * (HTTP and WebSocket, or lifespan) the server implements.
 *
 * Returns: (nullable): the version, valid as long as @scope is; when the
 *   scope does not tell, ASGI's default for its type (`"2.0"` for `http`
 *   and `websocket`, `"1.0"` for `lifespan`), or %NULL for a type ASGI
 *   does not define
 */
const char *
asgiref_scope_get_spec_version (GVariant *scope)
{
  const char *version, *type;

  _asgiref_return_val_if_not_vardict (scope, NULL);

  version = lookup_asgi_string (scope, "spec_version");
  if (version != NULL)
    return version;
  type = _asgiref_vardict_lookup_string (scope, "type");
  if (g_strcmp0 (type, "http") == 0 || g_strcmp0 (type, "websocket") == 0)
    return "2.0";
  if (g_strcmp0 (type, "lifespan") == 0)
    return "1.0";
  return NULL;
}

/**
 * asgiref_scope_get_http_version:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads `http_version` of an `http` or `websocket` scope.
 *
 * Returns: the version, `"1.0"`, `"1.1"` or `"2"`, valid as long as
 *   @scope is; `"1.1"` when the scope does not tell
 */
const char *
asgiref_scope_get_http_version (GVariant *scope)
{
  const char *version;

  _asgiref_return_val_if_not_vardict (scope, NULL);

  version = _asgiref_vardict_lookup_string (scope, "http_version");
  return version != NULL ? version : "1.1";
}

/**
 * asgiref_scope_get_method:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the `method` of an `http` scope.
 *
 * Returns: (nullable): the method, valid as long as @scope is; %NULL when
 *   there is none
 */
const char *
asgiref_scope_get_method (GVariant *scope)
{
  _asgiref_return_val_if_not_vardict (scope, NULL);

  return _asgiref_vardict_lookup_string (scope, "method");
}

/**
 * asgiref_scope_get_scheme:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the URL `scheme` of an `http` or `websocket` scope.
 *
 * Returns: the scheme, valid as long as @scope is; when the scope does not
 *   tell, `"ws"` for a `websocket` scope and `"http"` otherwise
 */
const char *
asgiref_scope_get_scheme (GVariant *scope)
{
  const char *scheme;

  _asgiref_return_val_if_not_vardict (scope, NULL);

  scheme = _asgiref_vardict_lookup_string (scope, "scheme");
  if (scheme != NULL)
    return scheme;
  return g_strcmp0 (_asgiref_vardict_lookup_string (scope, "type"), "websocket") == 0 ? "ws" : "http";
}

/**
 * asgiref_scope_get_path:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the `path` of an `http` or `websocket` scope: the request target
 * without the query string, percent-decoded.
 *
 * Returns: (nullable): the path, valid as long as @scope is; %NULL when
 *   there is none
 */
const char *
asgiref_scope_get_path (GVariant *scope)
{
  _asgiref_return_val_if_not_vardict (scope, NULL);

  return _asgiref_vardict_lookup_string (scope, "path");
}

/**
 * asgiref_scope_get_raw_path:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the `raw_path` of an `http` or `websocket` scope: the path as the
 * client sent it.
 *
 * Returns: (transfer full) (nullable): the raw path, or %NULL when the
 *   server did not give it
 */
GBytes *
asgiref_scope_get_raw_path (GVariant *scope)
{
  _asgiref_return_val_if_not_vardict (scope, NULL);

  return _asgiref_vardict_lookup_bytes (scope, "raw_path", FALSE);
}

/**
 * asgiref_scope_get_query_string:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the `query_string` of an `http` or `websocket` scope: what follows
 * the `?`, still percent-encoded.
 *
 * Returns: (transfer full): the query string; empty when there is none
 */
GBytes *
asgiref_scope_get_query_string (GVariant *scope)
{
  _asgiref_return_val_if_not_vardict (scope, NULL);

  return _asgiref_vardict_lookup_bytes (scope, "query_string", TRUE);
}

/**
 * asgiref_scope_get_root_path:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the `root_path` of an `http` or `websocket` scope: where the
 * application is mounted.
 *
 * Returns: the root path, valid as long as @scope is; `""` when the scope
 *   does not tell
 */
const char *
asgiref_scope_get_root_path (GVariant *scope)
{
  const char *root_path;

  _asgiref_return_val_if_not_vardict (scope, NULL);

  root_path = _asgiref_vardict_lookup_string (scope, "root_path");
  return root_path != NULL ? root_path : "";
}

/**
 * asgiref_scope_get_headers:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the request `headers` of an `http` or `websocket` scope.
 *
 * Returns: (transfer full): the headers, of type `a(ayay)`; an empty list
 *   when the scope has none of that type
 */
GVariant *
asgiref_scope_get_headers (GVariant *scope)
{
  _asgiref_return_val_if_not_vardict (scope, NULL);

  return _asgiref_vardict_lookup_headers (scope);
}

/**
 * asgiref_scope_get_client:
 * @scope: an ASGI scope, of type `a{sv}`
 * @host: (out) (optional) (nullable) (transfer none): return location for
 *   the remote address, valid as long as @scope is; %NULL when there is
 *   no `client`
 * @port: (out) (optional): return location for the remote port; 0 when
 *   there is no `client`
 *
 * Reads the `client` of an `http` or `websocket` scope: the address of the
 * remote end.
 *
 * Returns: %TRUE if the scope has a `client` of type `(si)`
 */
gboolean
asgiref_scope_get_client (GVariant    *scope,
                          const char **host,
                          int         *port)
{
  const char *client_host = NULL;
  gint32 client_port = 0;
  gboolean found;

  _asgiref_return_val_if_not_vardict (scope, FALSE);

  g_variant_get_data (scope);
  found = g_variant_lookup (scope, "client", "(&si)", &client_host, &client_port);
  if (host != NULL)
    *host = client_host;
  if (port != NULL)
    *port = client_port;
  return found;
}

/**
 * asgiref_scope_get_server:
 * @scope: an ASGI scope, of type `a{sv}`
 * @host: (out) (optional) (nullable) (transfer none): return location for
 *   the listening address or Unix socket path, valid as long as @scope
 *   is; %NULL when there is no `server`
 * @port: (out) (optional): return location for the listening port; -1
 *   for none (a Unix socket), 0 when there is no `server`
 *
 * Reads the `server` of an `http` or `websocket` scope: the address that
 * accepted the connection.
 *
 * Returns: %TRUE if the scope has a `server` of type `(smi)`
 */
gboolean
asgiref_scope_get_server (GVariant    *scope,
                          const char **host,
                          int         *port)
{
  g_autoptr(GVariant) server = NULL;
  g_autoptr(GVariant) maybe_port = NULL;
  const char *server_host = NULL;
  int server_port = 0;

  _asgiref_return_val_if_not_vardict (scope, FALSE);

  g_variant_get_data (scope);
  server = g_variant_lookup_value (scope, "server", G_VARIANT_TYPE ("(smi)"));
  if (server != NULL)
    {
      g_variant_get (server, "(&s@mi)", &server_host, &maybe_port);
      if (g_variant_n_children (maybe_port) == 0)
        server_port = -1;
      else
        g_variant_get (maybe_port, "mi", NULL, &server_port);
    }
  if (host != NULL)
    *host = server_host;
  if (port != NULL)
    *port = server_port;
  return server != NULL;
}

/**
 * asgiref_scope_get_subprotocols:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the `subprotocols` a WebSocket client offered.
 *
 * Returns: (transfer full) (array zero-terminated=1): the subprotocols, in
 *   the client's order; empty when there are none
 */
char **
asgiref_scope_get_subprotocols (GVariant *scope)
{
  g_autoptr(GVariant) value = NULL;

  _asgiref_return_val_if_not_vardict (scope, NULL);

  value = g_variant_lookup_value (scope, "subprotocols", G_VARIANT_TYPE_STRING_ARRAY);
  if (value == NULL)
    return g_new0 (char *, 1);
  return g_variant_dup_strv (value, NULL);
}

/**
 * asgiref_scope_get_state:
 * @scope: an ASGI scope, of type `a{sv}`
 *
 * Reads the scope's `state`: what the application's lifespan startup left
 * for its requests.
 *
 * Returns: (transfer full) (nullable): the state, of type `a{sv}`, or
 *   %NULL when the server does not pass one
 */
GVariant *
asgiref_scope_get_state (GVariant *scope)
{
  _asgiref_return_val_if_not_vardict (scope, NULL);

  return g_variant_lookup_value (scope, "state", G_VARIANT_TYPE_VARDICT);
}

/**
 * asgiref_scope_has_extension:
 * @scope: an ASGI scope, of type `a{sv}`
 * @name: an extension's name, such as `"websocket.http.response"`
 *
 * Tells whether the server announced the extension @name in the scope's
 * `extensions`, which is what allows the application to use it.
 *
 * Returns: %TRUE if it did
 */
gboolean
asgiref_scope_has_extension (GVariant   *scope,
                             const char *name)
{
  g_autoptr(GVariant) extensions = NULL;
  g_autoptr(GVariant) info = NULL;

  _asgiref_return_val_if_not_vardict (scope, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  extensions = g_variant_lookup_value (scope, "extensions", G_VARIANT_TYPE_VARDICT);
  if (extensions == NULL)
    return FALSE;
  info = g_variant_lookup_value (extensions, name, G_VARIANT_TYPE_VARDICT);
  return info != NULL;
}

/* }}} */

/* {{{ Validation */

static const AsgirefKeySpec http_keys[] = {
  { "asgi", "a{sv}", TRUE, NULL },
  { "http_version", "s", TRUE, NULL },
  { "method", "s", TRUE, NULL },
  { "scheme", "s", FALSE, NULL },
  { "path", "s", TRUE, NULL },
  { "raw_path", "ay", FALSE, NULL },
  { "query_string", "ay", TRUE, NULL },
  { "root_path", "s", FALSE, NULL },
  { "headers", "a(ayay)", TRUE, NULL },
  { "client", "(si)", FALSE, NULL },
  { "server", "(smi)", FALSE, NULL },
  { "state", "a{sv}", FALSE, NULL },
  { "extensions", "a{sv}", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec websocket_keys[] = {
  { "asgi", "a{sv}", TRUE, NULL },
  { "http_version", "s", FALSE, NULL },
  { "scheme", "s", FALSE, NULL },
  { "path", "s", TRUE, NULL },
  { "raw_path", "ay", FALSE, NULL },
  { "query_string", "ay", FALSE, NULL },
  { "root_path", "s", FALSE, NULL },
  { "headers", "a(ayay)", TRUE, NULL },
  { "client", "(si)", FALSE, NULL },
  { "server", "(smi)", FALSE, NULL },
  { "subprotocols", "as", FALSE, NULL },
  { "state", "a{sv}", FALSE, NULL },
  { "extensions", "a{sv}", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec lifespan_keys[] = {
  { "asgi", "a{sv}", TRUE, NULL },
  { "state", "a{sv}", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec asgi_keys[] = {
  { "version", "s", FALSE, NULL },
  { "spec_version", "s", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

/* "3", "3.0", "3.1"...: any version of ASGI 3, whose scopes and calling
 * convention this library implements. */
static gboolean
is_asgi_3 (const char *version)
{
  if (version[0] != '3')
    return FALSE;
  if (version[1] == '\0')
    return TRUE;
  if (version[1] != '.' || version[2] == '\0')
    return FALSE;
  for (const char *p = version + 2; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

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

static gboolean
validate_asgi (GVariant  *scope,
               GError   **error)
{
  g_autoptr(GVariant) asgi = g_variant_lookup_value (scope, "asgi", G_VARIANT_TYPE_VARDICT);
  const char *version = "2.0";

  if (!_asgiref_vardict_check_keys (asgi, ASGIREF_VARDICT_SCOPE_ASGI, NULL, asgi_keys, error))
    return FALSE;

  g_variant_lookup (asgi, "version", "&s", &version);
  if (!is_asgi_3 (version))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The ASGI scope is for ASGI version “%s” (“2.0” when “asgi” has no “version”), "
                     "but this library speaks ASGI 3"),
                   version);
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate_http_version (GVariant    *scope,
                       const char  *type,
                       GError     **error)
{
  const char *version = NULL;
  gboolean websocket = strcmp (type, "websocket") == 0;

  /* Optional in a websocket scope, where the type is already checked. */
  if (!g_variant_lookup (scope, "http_version", "&s", &version))
    return TRUE;

  if (websocket && strcmp (version, "1.1") != 0 && strcmp (version, "2") != 0)
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The HTTP version “%s” of the ASGI scope “%s” is not “1.1” or “2”"),
                   version, type);
      return FALSE;
    }
  if (!websocket && strcmp (version, "1.0") != 0 && strcmp (version, "1.1") != 0 &&
      strcmp (version, "2") != 0)
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The HTTP version “%s” of the ASGI scope “%s” is not “1.0”, “1.1” or “2”"),
                   version, type);
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate_method (GVariant  *scope,
                 GError   **error)
{
  const char *method = NULL;

  g_variant_lookup (scope, "method", "&s", &method);
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

static gboolean
validate_paths (GVariant    *scope,
                const char  *type,
                GError     **error)
{
  const char *path = NULL;
  const char *root_path = NULL;
  const char *method = NULL;
  const char *scheme = NULL;

  /* Optional, but a scheme that is there says something. */
  if (g_variant_lookup (scope, "scheme", "&s", &scheme) && *scheme == '\0')
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The scheme of the ASGI scope “%s” is empty"), type);
      return FALSE;
    }

  g_variant_lookup (scope, "path", "&s", &path);
  g_variant_lookup (scope, "method", "&s", &method);
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

  if (g_variant_lookup (scope, "root_path", "&s", &root_path) &&
      root_path[0] != '\0' && root_path[0] != '/')
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The root path “%s” of the ASGI scope “%s” must be empty or start with “/”"),
                   root_path, type);
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate_address (GVariant    *scope,
                  const char  *type,
                  const char  *key,
                  GError     **error)
{
  g_autoptr(GVariant) address = g_variant_lookup_value (scope, key, NULL);
  g_autoptr(GVariant) host = NULL;
  g_autoptr(GVariant) port = NULL;
  gint32 port_number;

  if (address == NULL)
    return TRUE;

  host = g_variant_get_child_value (address, 0);
  port = g_variant_get_child_value (address, 1);
  if (*g_variant_get_string (host, NULL) == '\0')
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The host of “%s” in the ASGI scope “%s” is empty"), key, type);
      return FALSE;
    }
  if (g_variant_is_of_type (port, G_VARIANT_TYPE_MAYBE))
    {
      g_autoptr(GVariant) inner = g_variant_get_maybe (port);

      if (inner == NULL)
        return TRUE;
      port_number = g_variant_get_int32 (inner);
    }
  else
    port_number = g_variant_get_int32 (port);

  if (port_number < 0 || port_number > 65535)
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The port %d of “%s” in the ASGI scope “%s” is outside 0–65535"),
                   port_number, key, type);
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate_subprotocols (GVariant  *scope,
                       GError   **error)
{
  g_autoptr(GVariant) subprotocols = g_variant_lookup_value (scope, "subprotocols", G_VARIANT_TYPE_STRING_ARRAY);
  gsize n;

  if (subprotocols == NULL)
    return TRUE;

  n = g_variant_n_children (subprotocols);
  for (gsize i = 0; i < n; i++)
    {
      const char *subprotocol = NULL;

      g_variant_get_child (subprotocols, i, "&s", &subprotocol);
      if (!is_token (subprotocol))
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("Subprotocol %u of the ASGI scope “websocket” is empty or has a character "
                         "that HTTP does not allow in a token"),
                       (guint) i);
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
validate_extensions (GVariant  *scope,
                     const char *type,
                     GError   **error)
{
  g_autoptr(GVariant) extensions = g_variant_lookup_value (scope, "extensions", G_VARIANT_TYPE_VARDICT);
  GVariantIter iter;
  const char *name;
  GVariant *info;

  if (extensions == NULL)
    return TRUE;

  g_variant_iter_init (&iter, extensions);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &info))
    {
      if (!g_variant_is_of_type (info, G_VARIANT_TYPE_VARDICT))
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("Extension “%s” of the ASGI scope “%s” must be of type “a{sv}”, not “%s”"),
                       name, type, g_variant_get_type_string (info));
          g_variant_unref (info);
          return FALSE;
        }
      g_variant_unref (info);
    }

  return TRUE;
}

/**
 * asgiref_scope_validate:
 * @scope: a candidate ASGI scope
 * @error: return location for a #GError
 *
 * Checks that @scope is an ASGI 3.0 scope that this library knows: `http`
 * (HTTP 2.3), `websocket` (WebSocket 2.3) or `lifespan` (lifespan 2.0).
 *
 * On the first rule broken it fails with %ASGIREF_ERROR_INVALID_MESSAGE
 * and a message that names the rule, the key and the types involved:
 *
 * - @scope is not of type `a{sv}`;
 * - it has no `type` key, `type` is not a string, or not one of the
 *   above;
 * - a required key is missing: `asgi` always; `http_version`, `method`,
 *   `path`, `query_string` and `headers` in `http`; `path` and `headers`
 *   in `websocket`;
 * - a known key has a value of the wrong type: `asgi`, `state` and
 *   `extensions` must be `a{sv}`, `asgi.version`, `asgi.spec_version`,
 *   `http_version`, `method`, `scheme`, `path` and `root_path` `s`,
 *   `raw_path` and `query_string` `ay`, `headers` `a(ayay)`, `client`
 *   `(si)`, `server` `(smi)` and `subprotocols` `as`;
 * - `asgi.version` is not 3 or 3.x (a missing one means 2.0);
 * - `http_version` is not `1.0`, `1.1` or `2` (`1.1` or `2` for
 *   WebSocket);
 * - the method is empty, not upper-case, or not an HTTP token;
 * - the scheme is empty;
 * - the path is empty, or does not start with `/` (`*` is allowed for an
 *   `OPTIONS` request);
 * - `root_path` is neither empty nor starts with `/`;
 * - a header breaks the rules of [func@Asgiref.message_validate];
 * - the host of `client` or `server` is empty, or its port is outside
 *   0–65535;
 * - a subprotocol is empty or not an HTTP token;
 * - an entry of `extensions` is not an `a{sv}`.
 *
 * Keys the specification does not name are allowed. Any thread may call
 * this function. It does not consume a floating reference.
 *
 * Returns: %TRUE if @scope is valid
 */
gboolean
asgiref_scope_validate (GVariant  *scope,
                        GError   **error)
{
  g_autoptr(GVariant) type_value = NULL;
  g_autoptr(GVariant) headers = NULL;
  const AsgirefKeySpec *keys;
  const char *type;

  g_return_val_if_fail (scope != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type_value = _asgiref_vardict_check_type (scope, ASGIREF_VARDICT_SCOPE, error);
  if (type_value == NULL)
    return FALSE;

  type = g_variant_get_string (type_value, NULL);
  if (strcmp (type, "http") == 0)
    keys = http_keys;
  else if (strcmp (type, "websocket") == 0)
    keys = websocket_keys;
  else if (strcmp (type, "lifespan") == 0)
    keys = lifespan_keys;
  else
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Unknown ASGI scope type “%s”"), type);
      return FALSE;
    }

  /* Types first, so that the rules below can read values without
   * checking them again. */
  if (!_asgiref_vardict_check_keys (scope, ASGIREF_VARDICT_SCOPE, type, keys, error) || !validate_asgi (scope, error))
    return FALSE;

  if (keys == lifespan_keys)
    return TRUE;

  if (!validate_http_version (scope, type, error))
    return FALSE;
  if (keys == http_keys && !validate_method (scope, error))
    return FALSE;
  if (!validate_paths (scope, type, error))
    return FALSE;

  headers = g_variant_lookup_value (scope, "headers", NULL);
  if (!_asgiref_headers_validate (headers, error))
    {
      g_prefix_error (error, _("In the ASGI scope “%s”: "), type);
      return FALSE;
    }

  if (!validate_address (scope, type, "client", error) ||
      !validate_address (scope, type, "server", error) ||
      (keys == websocket_keys && !validate_subprotocols (scope, error)) ||
      !validate_extensions (scope, type, error))
    return FALSE;

  return TRUE;
}

/* }}} */
