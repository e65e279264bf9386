/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-scope.h"

G_BEGIN_DECLS

/*
 * An ASGI scope: immutable once AsgirefScopeBuilder (or a constructor)
 * returned it, so any thread may read it without locks. The library
 * reads the fields directly; the public accessors are for applications
 * and bindings. The version strings and the scheme come from small sets:
 * they are static or interned (_asgiref_scope_intern()), never freed;
 * compare them with strcmp(), not by address. The other strings are owned.
 */
struct _AsgirefScope
{
  gatomicrefcount   ref_count;
  AsgirefScopeKind  kind;
  const char       *spec_version;  /* interned: "2.3" for http and websocket, "2.0" for lifespan */
  const char       *http_version;  /* interned: "1.0", "1.1" or "2"; NULL for lifespan */
  const char       *scheme;        /* interned: "http", "https", "ws" or "wss"; NULL for lifespan */
  char             *method;        /* http only */
  char             *path;          /* decoded, UTF-8; NULL for lifespan */
  GBytes           *raw_path;      /* nullable: not given */
  GBytes           *query_string;  /* never NULL for http and websocket */
  char             *root_path;     /* nullable: "" */
  AsgirefHeaders   *headers;       /* never NULL for http and websocket */
  char             *client_host;   /* nullable: no client */
  int               client_port;
  char             *server_host;   /* nullable: no server */
  int               server_port;   /* -1: none (a Unix socket) */
  char            **subprotocols;  /* websocket only; never NULL there */
  GVariant         *state;         /* a{sv}; nullable */
  GVariant         *extensions;    /* a{sv} of a{sv}; nullable */
  GVariant         *extra;         /* a{sv} of keys ASGI extensions add; nullable */
  GVariant         *view;          /* the a{sv} form, built on demand; set once, atomically */
  gboolean          inline_strings; /* method, path and the hosts live after the
                                     * struct, in its allocation: not freed alone */
};

/* A new scope of @kind with every field zero (transfer full). */
AsgirefScope *_asgiref_scope_alloc       (AsgirefScopeKind  kind);

/* The same, with @strings_size bytes after the struct (at *@strings) for
 * method, path and the hosts: one allocation for what a server fills in
 * for every request. Those four fields then point there, or are NULL. */
AsgirefScope *_asgiref_scope_alloc_with_strings (AsgirefScopeKind   kind,
                                                 gsize              strings_size,
                                                 char             **strings);

/* @text as a string that lives forever: a static one for the versions and
 * schemes ASGI names (no lock taken), else g_intern_string(). */
const char   *_asgiref_scope_intern      (const char       *text);

/* Empty bytes, shared (transfer full). */
GBytes       *_asgiref_scope_empty_bytes (void);

/* The rules of a valid scope's fields, shared by asgiref_scope_validate()
 * and asgiref_scope_new_from_variant(); each fails with
 * ASGIREF_ERROR_INVALID_MESSAGE naming the rule, and @type is the scope's
 * "type" for the message. */

/* @version is an http_version ASGI allows for @type. */
gboolean      _asgiref_scope_check_http_version (const char          *version,
                                                 const char          *type,
                                                 GError             **error);
/* @method is a non-empty, upper-case HTTP token. */
gboolean      _asgiref_scope_check_method       (const char          *method,
                                                 GError             **error);
/* The scheme, path and root path rules; @scheme, @root_path, @method nullable. */
gboolean      _asgiref_scope_check_paths        (const char          *scheme,
                                                 const char          *path,
                                                 const char          *root_path,
                                                 const char          *method,
                                                 const char          *type,
                                                 GError             **error);
/* The "client" or "server" (@key) address: a host, a port in 0–65535. */
gboolean      _asgiref_scope_check_address      (const char          *host,
                                                 gboolean             has_port,
                                                 int                  port,
                                                 const char          *key,
                                                 const char          *type,
                                                 GError             **error);
/* Each of @subprotocols (nullable) is an HTTP token. */
gboolean      _asgiref_scope_check_subprotocols (const char * const  *subprotocols,
                                                 GError             **error);
/* Each entry of @extensions (an a{sv}, or NULL) is an a{sv}. */
gboolean      _asgiref_scope_check_extensions   (GVariant            *extensions,
                                                 const char          *type,
                                                 GError             **error);

G_END_DECLS
