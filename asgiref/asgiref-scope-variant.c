/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-error.h"
#include "asgiref-headers-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-scope-private.h"
#include "asgiref-vardict-private.h"

/* {{{ The a{sv} form */

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

/* Whether @keys names @key, or @key is "type", which every scope has. */
static gboolean
is_known_key (const AsgirefKeySpec *keys,
              const char           *key)
{
  if (strcmp (key, "type") == 0)
    return TRUE;
  for (const AsgirefKeySpec *spec = keys; spec->key != NULL; spec++)
    if (strcmp (spec->key, key) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
validate_asgi (GVariant  *variant,
               GError   **error)
{
  g_autoptr(GVariant) asgi = g_variant_lookup_value (variant, "asgi", G_VARIANT_TYPE_VARDICT);
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

/* The rules beyond the types, for an http or websocket @variant whose key
 * types are checked. On success, @headers_out holds the headers. */
static gboolean
validate_www_variant (GVariant        *variant,
                      AsgirefScopeKind kind,
                      const char      *type,
                      AsgirefHeaders **headers_out,
                      GError         **error)
{
  g_autoptr(GVariant) headers_value = NULL;
  g_autoptr(GVariant) subprotocols = NULL;
  g_autoptr(GVariant) extensions = NULL;
  g_autoptr(AsgirefHeaders) headers = NULL;
  const char *http_version = NULL;
  const char *method = NULL;
  const char *scheme = NULL;
  const char *path = NULL;
  const char *root_path = NULL;
  const char *host = NULL;
  gint32 port = 0;
  GVariant *maybe_port = NULL;

  if (g_variant_lookup (variant, "http_version", "&s", &http_version) &&
      !_asgiref_scope_check_http_version (http_version, type, error))
    return FALSE;

  if (kind == ASGIREF_SCOPE_HTTP)
    {
      g_variant_lookup (variant, "method", "&s", &method);
      if (!_asgiref_scope_check_method (method, error))
        return FALSE;
    }

  g_variant_lookup (variant, "scheme", "&s", &scheme);
  g_variant_lookup (variant, "path", "&s", &path);
  g_variant_lookup (variant, "root_path", "&s", &root_path);
  if (!_asgiref_scope_check_paths (scheme, path, root_path, method, type, error))
    return FALSE;

  headers_value = g_variant_lookup_value (variant, "headers", G_VARIANT_TYPE ("a(ayay)"));
  headers = asgiref_headers_new_from_variant (headers_value, error);
  if (headers == NULL)
    {
      g_prefix_error (error, _("In the ASGI scope “%s”: "), type);
      return FALSE;
    }

  if (g_variant_lookup (variant, "client", "(&si)", &host, &port) &&
      !_asgiref_scope_check_address (host, TRUE, port, "client", type, error))
    return FALSE;
  if (g_variant_lookup (variant, "server", "(&s@mi)", &host, &maybe_port))
    {
      gboolean has_port = g_variant_n_children (maybe_port) > 0;
      gboolean ok;

      if (has_port)
        g_variant_get (maybe_port, "mi", NULL, &port);
      g_variant_unref (maybe_port);
      ok = _asgiref_scope_check_address (host, has_port, port, "server", type, error);
      if (!ok)
        return FALSE;
    }

  subprotocols = g_variant_lookup_value (variant, "subprotocols", G_VARIANT_TYPE_STRING_ARRAY);
  if (kind == ASGIREF_SCOPE_WEBSOCKET && subprotocols != NULL)
    {
      g_autofree const char **strv = g_variant_get_strv (subprotocols, NULL);

      if (!_asgiref_scope_check_subprotocols (strv, error))
        return FALSE;
    }

  extensions = g_variant_lookup_value (variant, "extensions", G_VARIANT_TYPE_VARDICT);
  if (!_asgiref_scope_check_extensions (extensions, type, error))
    return FALSE;

  *headers_out = g_steal_pointer (&headers);
  return TRUE;
}

/* Fills @scope's http and websocket fields from @variant, valid. */
static void
read_www_variant (AsgirefScope *scope,
                  GVariant     *variant)
{
  const char *text = NULL;
  const char *host = NULL;
  gint32 port = 0;
  GVariant *maybe_port = NULL;
  GVariant *value;

  scope->http_version = g_variant_lookup (variant, "http_version", "&s", &text) ?
                        _asgiref_scope_intern (text) : "1.1";
  if (g_variant_lookup (variant, "scheme", "&s", &text))
    scope->scheme = _asgiref_scope_intern (text);
  else
    scope->scheme = scope->kind == ASGIREF_SCOPE_WEBSOCKET ? "ws" : "http";
  if (scope->kind == ASGIREF_SCOPE_HTTP)
    g_variant_lookup (variant, "method", "s", &scope->method);
  g_variant_lookup (variant, "path", "s", &scope->path);
  if (g_variant_lookup (variant, "root_path", "&s", &text) && *text != '\0')
    scope->root_path = g_strdup (text);

  value = g_variant_lookup_value (variant, "raw_path", G_VARIANT_TYPE_BYTESTRING);
  if (value != NULL)
    {
      scope->raw_path = g_variant_get_data_as_bytes (value);
      g_variant_unref (value);
    }
  value = g_variant_lookup_value (variant, "query_string", G_VARIANT_TYPE_BYTESTRING);
  if (value != NULL)
    {
      scope->query_string = g_variant_get_data_as_bytes (value);
      g_variant_unref (value);
    }
  else
    scope->query_string = _asgiref_scope_empty_bytes ();

  if (g_variant_lookup (variant, "client", "(&si)", &host, &port))
    {
      scope->client_host = g_strdup (host);
      scope->client_port = port;
    }
  if (g_variant_lookup (variant, "server", "(&s@mi)", &host, &maybe_port))
    {
      scope->server_host = g_strdup (host);
      scope->server_port = -1;
      if (g_variant_n_children (maybe_port) > 0)
        g_variant_get (maybe_port, "mi", NULL, &scope->server_port);
      g_variant_unref (maybe_port);
    }

  if (scope->kind == ASGIREF_SCOPE_WEBSOCKET)
    {
      value = g_variant_lookup_value (variant, "subprotocols", G_VARIANT_TYPE_STRING_ARRAY);
      scope->subprotocols = value != NULL ? g_variant_dup_strv (value, NULL) : g_new0 (char *, 1);
      g_clear_pointer (&value, g_variant_unref);
    }

  scope->extensions = g_variant_lookup_value (variant, "extensions", G_VARIANT_TYPE_VARDICT);
}

/* The entries of @variant that @keys does not name, as an a{sv}; NULL
 * when there are none. */
static GVariant *
collect_extra (GVariant             *variant,
               const AsgirefKeySpec *keys)
{
  GVariantBuilder builder;
  GVariantIter iter;
  GVariant *entry;
  gboolean any = FALSE;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_iter_init (&iter, variant);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *key = NULL;

      g_variant_get_child (entry, 0, "&s", &key);
      if (!is_known_key (keys, key))
        {
          g_variant_builder_add_value (&builder, entry);
          any = TRUE;
        }
      g_variant_unref (entry);
    }

  if (!any)
    {
      g_variant_builder_clear (&builder);
      return NULL;
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/**
 * asgiref_scope_new_from_variant:
 * @variant: a candidate ASGI scope, of type `a{sv}` as ASGI writes it. A
 *   floating reference is consumed.
 * @error: return location for a #GError
 *
 * Reads a scope from its dictionary form: what a binding, a log or another
 * ASGI implementation gives. @variant is checked first: it must be an ASGI
 * 3.0 scope that this library knows, `http` (HTTP 2.3), `websocket`
 * (WebSocket 2.3) or `lifespan` (lifespan 2.0).
 *
 * On the first rule broken it fails with %ASGIREF_ERROR_INVALID_MESSAGE
 * and a message that names the rule, the key and the types involved:
 *
 * - @variant is not of type `a{sv}`;
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
 * - a rule of [method@Asgiref.Scope.validate] is broken.
 *
 * Keys the specification does not name are allowed, and kept:
 * [method@Asgiref.Scope.to_variant] gives them back. Optional keys that
 * are missing take ASGI's defaults (`asgi.spec_version` 2.0 for `http` and
 * `websocket`, 1.0 for `lifespan`; `http_version` 1.1; `scheme` `http` or
 * `ws`; empty `query_string`, `root_path` and `subprotocols`). Any thread
 * may call this function.
 *
 * Returns: (transfer full) (nullable): the scope, or %NULL with @error set
 */
AsgirefScope *
asgiref_scope_new_from_variant (GVariant  *variant,
                                GError   **error)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) type_value = NULL;
  g_autoptr(GVariant) asgi = NULL;
  g_autoptr(AsgirefHeaders) headers = NULL;
  const AsgirefKeySpec *keys;
  AsgirefScopeKind kind;
  AsgirefScope *scope;
  const char *type;
  const char *spec_version = NULL;

  g_return_val_if_fail (variant != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  owned = g_variant_ref_sink (variant);
  /* Strings read below point into its data: see
   * _asgiref_vardict_lookup_string(). */
  g_variant_get_data (owned);

  type_value = _asgiref_vardict_check_type (owned, ASGIREF_VARDICT_SCOPE, error);
  if (type_value == NULL)
    return NULL;

  type = g_variant_get_string (type_value, NULL);
  if (strcmp (type, "http") == 0)
    {
      kind = ASGIREF_SCOPE_HTTP;
      keys = http_keys;
    }
  else if (strcmp (type, "websocket") == 0)
    {
      kind = ASGIREF_SCOPE_WEBSOCKET;
      keys = websocket_keys;
    }
  else if (strcmp (type, "lifespan") == 0)
    {
      kind = ASGIREF_SCOPE_LIFESPAN;
      keys = lifespan_keys;
    }
  else
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Unknown ASGI scope type “%s”"), type);
      return NULL;
    }

  /* Types first, so that the rules below can read values without
   * checking them again. */
  if (!_asgiref_vardict_check_keys (owned, ASGIREF_VARDICT_SCOPE, type, keys, error) ||
      !validate_asgi (owned, error))
    return NULL;
  if (kind != ASGIREF_SCOPE_LIFESPAN &&
      !validate_www_variant (owned, kind, type, &headers, error))
    return NULL;

  scope = _asgiref_scope_alloc (kind);
  asgi = g_variant_lookup_value (owned, "asgi", G_VARIANT_TYPE_VARDICT);
  if (g_variant_lookup (asgi, "spec_version", "&s", &spec_version))
    scope->spec_version = _asgiref_scope_intern (spec_version);
  else
    scope->spec_version = kind == ASGIREF_SCOPE_LIFESPAN ? "1.0" : "2.0";
  if (kind != ASGIREF_SCOPE_LIFESPAN)
    {
      read_www_variant (scope, owned);
      scope->headers = g_steal_pointer (&headers);
    }
  scope->state = g_variant_lookup_value (owned, "state", G_VARIANT_TYPE_VARDICT);
  scope->extra = collect_extra (owned, keys);
  return scope;
}

static GVariant *
bytes_value (GBytes *bytes)
{
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

static GVariant *
build_view (AsgirefScope *scope)
{
  GVariantBuilder builder;
  GVariantBuilder asgi;
  GVariant *view;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "type", g_variant_new_string (asgiref_scope_get_type_name (scope)));
  g_variant_builder_init (&asgi, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&asgi, "{sv}", "version", g_variant_new_string (asgiref_scope_get_asgi_version (scope)));
  g_variant_builder_add (&asgi, "{sv}", "spec_version",
                         g_variant_new_string (asgiref_scope_get_spec_version (scope)));
  g_variant_builder_add (&builder, "{sv}", "asgi", g_variant_builder_end (&asgi));

  if (scope->kind != ASGIREF_SCOPE_LIFESPAN)
    {
      g_autoptr(GVariant) headers = asgiref_headers_to_variant (asgiref_scope_get_headers (scope));
      g_autoptr(GBytes) query_string = asgiref_scope_get_query_string (scope);

      g_variant_builder_add (&builder, "{sv}", "http_version",
                             g_variant_new_string (asgiref_scope_get_http_version (scope)));
      if (scope->method != NULL)
        g_variant_builder_add (&builder, "{sv}", "method", g_variant_new_string (scope->method));
      g_variant_builder_add (&builder, "{sv}", "scheme", g_variant_new_string (asgiref_scope_get_scheme (scope)));
      g_variant_builder_add (&builder, "{sv}", "path", g_variant_new_string (scope->path != NULL ? scope->path : ""));
      if (scope->raw_path != NULL)
        g_variant_builder_add (&builder, "{sv}", "raw_path", bytes_value (scope->raw_path));
      g_variant_builder_add (&builder, "{sv}", "query_string", bytes_value (query_string));
      g_variant_builder_add (&builder, "{sv}", "root_path",
                             g_variant_new_string (asgiref_scope_get_root_path (scope)));
      g_variant_builder_add (&builder, "{sv}", "headers", headers);
      if (scope->client_host != NULL)
        g_variant_builder_add (&builder, "{sv}", "client",
                               g_variant_new ("(si)", scope->client_host, (gint32) scope->client_port));
      if (scope->server_host != NULL)
        g_variant_builder_add (&builder, "{sv}", "server",
                               g_variant_new ("(s@mi)", scope->server_host,
                                              g_variant_new_maybe (G_VARIANT_TYPE_INT32,
                                                                   scope->server_port < 0 ? NULL :
                                                                   g_variant_new_int32 (scope->server_port))));
      if (scope->kind == ASGIREF_SCOPE_WEBSOCKET)
        g_variant_builder_add (&builder, "{sv}", "subprotocols",
                               g_variant_new_strv ((const char * const *) scope->subprotocols,
                                                   scope->subprotocols != NULL ? -1 : 0));
    }

  if (scope->state != NULL)
    g_variant_builder_add (&builder, "{sv}", "state", scope->state);
  if (scope->extensions != NULL)
    g_variant_builder_add (&builder, "{sv}", "extensions", scope->extensions);

  if (scope->extra != NULL)
    {
      GVariantIter iter;
      GVariant *entry;

      g_variant_iter_init (&iter, scope->extra);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_variant_builder_add_value (&builder, entry);
          g_variant_unref (entry);
        }
    }

  view = g_variant_ref_sink (g_variant_builder_end (&builder));
  /* Serialised now, once: a string read from a variant in tree form points
   * into a child that the parent lets go of when it is serialised later
   * (by g_variant_equal() or g_variant_get_data(), say), and the view is
   * shared by every reader. */
  g_variant_get_data (view);
  return view;
}

/**
 * asgiref_scope_to_variant:
 * @scope: a scope
 *
 * Gives the scope's dictionary form, as ASGI writes a scope: a
 * [struct@GLib.Variant] of type `a{sv}` with `type`, `asgi` (`version` and
 * `spec_version`), and for `http` and `websocket` `http_version`,
 * `method` (`http` only), `scheme`, `path`, `raw_path` (when there is one),
 * `query_string`, `root_path`, `headers` (`a(ayay)`), `client` (`(si)`),
 * `server` (`(smi)`, the port Nothing for a Unix socket) when there are,
 * `subprotocols` (`websocket` only); then `state` and `extensions` when
 * there are, and the keys [ctor@Asgiref.Scope.new_from_variant] kept.
 *
 * This is the form for bindings, logging and interoperation; C code reads
 * the fields with the accessors, which cost nothing. The dictionary is
 * built the first time it is asked for, then kept: every call returns
 * the same variant. Any thread may call this function.
 *
 * Returns: (transfer full): the scope as a variant of type `a{sv}`, not
 *   floating
 */
GVariant *
asgiref_scope_to_variant (AsgirefScope *scope)
{
  GVariant *view;

  g_return_val_if_fail (scope != NULL, NULL);

  view = g_atomic_pointer_get (&scope->view);
  if (view == NULL)
    {
      view = build_view (scope);
      /* Another thread may have been quicker: keep its view, so that
       * every caller sees the same one. */
      if (!g_atomic_pointer_compare_and_exchange (&scope->view, NULL, view))
        {
          g_variant_unref (view);
          view = g_atomic_pointer_get (&scope->view);
        }
    }

  return g_variant_ref (view);
}

/* }}} */
