/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message-private.h"
#include "asgiref-vardict-private.h"

/* {{{ The a{sv} form */

/* Headers are checked as soon as their type is, in the order of the
 * message's keys. */
static gboolean
check_headers (GVariant    *headers,
               const char  *type,
               GError     **error)
{
  if (!_asgiref_headers_validate (headers, error))
    {
      g_prefix_error (error, _("In the ASGI message “%s”: "), type);
      return FALSE;
    }
  return TRUE;
}

static const AsgirefKeySpec body_keys[] = {
  { "body", "ay", FALSE, NULL },
  { "more_body", "b", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec response_start_keys[] = {
  { "status", "i", TRUE, NULL },
  { "headers", "a(ayay)", FALSE, check_headers },
  { "trailers", "b", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec response_trailers_keys[] = {
  { "headers", "a(ayay)", FALSE, check_headers },
  { "more_trailers", "b", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec denial_start_keys[] = {
  { "status", "i", TRUE, NULL },
  { "headers", "a(ayay)", FALSE, check_headers },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec failed_keys[] = {
  { "message", "s", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec accept_keys[] = {
  { "subprotocol", "s", FALSE, NULL },
  { "headers", "a(ayay)", FALSE, check_headers },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec frame_keys[] = {
  { "bytes", "ay", FALSE, NULL },
  { "text", "s", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

static const AsgirefKeySpec close_keys[] = {
  { "code", "i", FALSE, NULL },
  { "reason", "s", FALSE, NULL },
  { NULL, NULL, FALSE, NULL }
};

/* The keys of each kind; NULL for the kinds with none but `type`. */
static const AsgirefKeySpec * const message_keys[_ASGIREF_MESSAGE_N_KINDS] = {
  [ASGIREF_MESSAGE_HTTP_REQUEST] = body_keys,
  [ASGIREF_MESSAGE_HTTP_RESPONSE_START] = response_start_keys,
  [ASGIREF_MESSAGE_HTTP_RESPONSE_BODY] = body_keys,
  [ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS] = response_trailers_keys,
  [ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED] = failed_keys,
  [ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED] = failed_keys,
  [ASGIREF_MESSAGE_WEBSOCKET_ACCEPT] = accept_keys,
  [ASGIREF_MESSAGE_WEBSOCKET_RECEIVE] = frame_keys,
  [ASGIREF_MESSAGE_WEBSOCKET_SEND] = frame_keys,
  [ASGIREF_MESSAGE_WEBSOCKET_CLOSE] = close_keys,
  [ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT] = close_keys,
  [ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START] = denial_start_keys,
  [ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY] = body_keys,
};

static gboolean
is_known_key (AsgirefMessageKind  kind,
              const char         *key)
{
  const AsgirefKeySpec *keys = message_keys[kind];

  if (strcmp (key, "type") == 0)
    return TRUE;
  for (; keys != NULL && keys->key != NULL; keys++)
    if (strcmp (keys->key, key) == 0)
      return TRUE;
  return FALSE;
}

/* The keys of @variant that ASGI does not name for @kind, which an
 * extension may have added: kept so that the a{sv} form gives them back. */
static GVariant *
extra_keys (GVariant           *variant,
            AsgirefMessageKind  kind)
{
  GVariantBuilder builder;
  gboolean any = FALSE;
  gsize n = g_variant_n_children (variant);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (variant, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);

      if (is_known_key (kind, g_variant_get_string (key, NULL)))
        continue;
      g_variant_builder_add_value (&builder, entry);
      any = TRUE;
    }
  if (!any)
    {
      g_variant_builder_clear (&builder);
      return NULL;
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static GBytes *
lookup_bytes (GVariant   *variant,
              const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (variant, key, G_VARIANT_TYPE_BYTESTRING);

  return value != NULL ? g_variant_get_data_as_bytes (value) : NULL;
}

static char *
lookup_string (GVariant   *variant,
               const char *key)
{
  char *text = NULL;

  g_variant_lookup (variant, key, "s", &text);
  return text;
}

/**
 * asgiref_message_new_from_variant:
 * @variant: an ASGI message in its `a{sv}` form
 * @error: return location for a #GError
 *
 * Checks @variant, an ASGI message as the dictionary of the ASGI
 * specification, and makes it an [struct@Asgiref.Message]: the way in for
 * bindings (Python's dicts and JavaScript's objects come this way) and
 * for messages read from elsewhere.
 *
 * On the first rule broken it fails with %ASGIREF_ERROR_INVALID_MESSAGE
 * and a message that names the rule, the key and the types involved:
 *
 * - @variant is not of type `a{sv}`;
 * - it has no `type` key, or `type` is not a string (`s`);
 * - the type is not one of [enum@Asgiref.MessageKind];
 * - a required key is missing (`status` of `http.response.start` and
 *   `websocket.http.response.start`);
 * - a known key has a value of the wrong type: `body` and `bytes` must be
 *   `ay`, `more_body`, `trailers` and `more_trailers` `b`, `status` and
 *   `code` `i`, `headers` `a(ayay)`, `message`, `text`, `subprotocol` and
 *   `reason` `s`;
 * - a header breaks a rule of [ctor@Asgiref.Headers.new_from_variant];
 * - a rule of [method@Asgiref.Message.validate] is broken.
 *
 * Keys the specification does not name are allowed, as ASGI extensions
 * add keys of their own; [method@Asgiref.Message.to_variant] gives them
 * back. Byte strings are taken without a copy when @variant is in
 * serialised form. Does not consume a floating reference.
 *
 * Returns: (transfer full): the message, or %NULL on error
 */
AsgirefMessage *
asgiref_message_new_from_variant (GVariant  *variant,
                                  GError   **error)
{
  g_autoptr(GVariant) type_value = NULL;
  g_autoptr(AsgirefMessage) self = NULL;
  g_autoptr(GVariant) headers = NULL;
  const char *type;
  AsgirefMessageKind kind;

  g_return_val_if_fail (variant != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  type_value = _asgiref_vardict_check_type (variant, ASGIREF_VARDICT_MESSAGE, error);
  if (type_value == NULL)
    return NULL;

  type = g_variant_get_string (type_value, NULL);
  if (!_asgiref_message_kind_from_type (type, &kind))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Unknown ASGI message type “%s”"), type);
      return NULL;
    }

  if (!_asgiref_vardict_check_keys (variant, ASGIREF_VARDICT_MESSAGE, type, message_keys[kind], error))
    return NULL;

  self = _asgiref_message_alloc (kind);
  switch (self->kind)
    {
    case ASGIREF_MESSAGE_WEBSOCKET_RECEIVE:
    case ASGIREF_MESSAGE_WEBSOCKET_SEND:
      self->body = lookup_bytes (variant, "bytes");
      self->text = lookup_string (variant, "text");
      break;
    case ASGIREF_MESSAGE_WEBSOCKET_ACCEPT:
      self->text = lookup_string (variant, "subprotocol");
      break;
    case ASGIREF_MESSAGE_WEBSOCKET_CLOSE:
      self->text = lookup_string (variant, "reason");
      break;
    case ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED:
    case ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED:
      self->text = lookup_string (variant, "message");
      break;
    default:
      if (is_known_key (self->kind, "body"))
        self->body = lookup_bytes (variant, "body");
      break;
    }

  {
    gboolean flag;
    gint32 number;

    /* Only the keys of this kind: another kind's go to `extra`. */
    if (is_known_key (self->kind, "more_body") && g_variant_lookup (variant, "more_body", "b", &flag))
      self->more = flag;
    if (is_known_key (self->kind, "more_trailers") && g_variant_lookup (variant, "more_trailers", "b", &flag))
      self->more = flag;
    if (is_known_key (self->kind, "trailers") && g_variant_lookup (variant, "trailers", "b", &flag))
      self->trailers = flag;
    if (is_known_key (self->kind, "status") && g_variant_lookup (variant, "status", "i", &number))
      self->status = number;
    if (is_known_key (self->kind, "code") && g_variant_lookup (variant, "code", "i", &number))
      self->status = number;
  }

  if (is_known_key (self->kind, "headers"))
    headers = g_variant_lookup_value (variant, "headers", G_VARIANT_TYPE ("a(ayay)"));
  if (headers != NULL)
    {
      /* The key check ran the header rules already. */
      self->headers = asgiref_headers_new_from_variant (headers, NULL);
      g_assert (self->headers != NULL);
    }
  else if (self->kind == ASGIREF_MESSAGE_HTTP_RESPONSE_START ||
           self->kind == ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS ||
           self->kind == ASGIREF_MESSAGE_WEBSOCKET_ACCEPT ||
           self->kind == ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START)
    self->headers = asgiref_headers_ref (_asgiref_headers_empty ());

  self->extra = extra_keys (variant, self->kind);

  if (!asgiref_message_validate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
insert_headers (GVariantDict   *dict,
                AsgirefMessage *self)
{
  g_autoptr(GVariant) headers = asgiref_headers_to_variant (asgiref_message_get_headers (self));

  g_variant_dict_insert_value (dict, "headers", headers);
}

static GVariant *
build_variant (AsgirefMessage *self)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, self->extra);
  g_variant_dict_insert (&dict, "type", "s", asgiref_message_get_type_name (self));

  switch (self->kind)
    {
    case ASGIREF_MESSAGE_HTTP_REQUEST:
    case ASGIREF_MESSAGE_HTTP_RESPONSE_BODY:
    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY:
      g_variant_dict_insert_value (&dict, "body", _asgiref_bytes_value (self->body));
      g_variant_dict_insert (&dict, "more_body", "b", (gboolean) self->more);
      break;

    case ASGIREF_MESSAGE_HTTP_RESPONSE_START:
      g_variant_dict_insert (&dict, "trailers", "b", (gboolean) self->trailers);
      G_GNUC_FALLTHROUGH;
    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START:
      g_variant_dict_insert (&dict, "status", "i", self->status);
      insert_headers (&dict, self);
      break;

    case ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS:
      insert_headers (&dict, self);
      g_variant_dict_insert (&dict, "more_trailers", "b", (gboolean) self->more);
      break;

    case ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED:
    case ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED:
      if (self->text != NULL)
        g_variant_dict_insert (&dict, "message", "s", self->text);
      break;

    case ASGIREF_MESSAGE_WEBSOCKET_ACCEPT:
      if (self->text != NULL)
        g_variant_dict_insert (&dict, "subprotocol", "s", self->text);
      insert_headers (&dict, self);
      break;

    case ASGIREF_MESSAGE_WEBSOCKET_RECEIVE:
    case ASGIREF_MESSAGE_WEBSOCKET_SEND:
      if (self->body != NULL)
        g_variant_dict_insert_value (&dict, "bytes", _asgiref_bytes_value (self->body));
      if (self->text != NULL)
        g_variant_dict_insert (&dict, "text", "s", self->text);
      break;

    case ASGIREF_MESSAGE_WEBSOCKET_CLOSE:
      if (self->text != NULL)
        g_variant_dict_insert (&dict, "reason", "s", self->text);
      G_GNUC_FALLTHROUGH;
    case ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT:
      g_variant_dict_insert (&dict, "code", "i", self->status);
      break;

    default:
      break;
    }

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * asgiref_message_to_variant:
 * @message: a message
 *
 * Gives @message as the dictionary of the ASGI specification, a
 * [struct@GLib.Variant] of type `a{sv}`: for bindings, logs and other
 * programs. Byte strings are `ay`, headers `a(ayay)`; keys left at their
 * default are there too, except the optional strings (`message`,
 * `subprotocol`, `reason`) when unset. Keys that
 * [ctor@Asgiref.Message.new_from_variant] did not know come back as they
 * were.
 *
 * The dictionary is built the first time it is asked for, then kept: the
 * server never asks for it.
 *
 * Returns: (transfer full): the message, of type `a{sv}`, not floating
 */
GVariant *
asgiref_message_to_variant (AsgirefMessage *message)
{
  GVariant *view;

  g_return_val_if_fail (message != NULL, NULL);

  view = g_atomic_pointer_get (&message->view);
  if (view != NULL)
    return g_variant_ref (view);

  view = build_variant (message);
  if (!g_atomic_pointer_compare_and_exchange (&message->view, NULL, view))
    {
      g_variant_unref (view);
      view = g_atomic_pointer_get (&message->view);
    }
  return g_variant_ref (view);
}

/* }}} */
