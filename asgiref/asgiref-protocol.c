/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message-private.h"
#include "asgiref-protocol-private.h"

/*
 * The order rules of ASGI 3.0 for what an application sends: HTTP 2.3
 * (start, body chunks up to the final one, announced trailers), WebSocket
 * 2.3 (accept, or close, or a denial response, before anything else;
 * nothing after close) and lifespan 2.0 (one answer per event, after the
 * event). Validity of each message on its own is asgiref-message.c's.
 */

typedef enum
{
  PROTOCOL_OTHER,
  PROTOCOL_HTTP,
  PROTOCOL_WEBSOCKET,
  PROTOCOL_LIFESPAN,
} Protocol;

/* How far the application has got in its side of the protocol. */
typedef enum
{
  STAGE_START,       /* http: no response yet; websocket: not accepted yet */
  STAGE_BODY,        /* http: started; websocket: denial response started */
  STAGE_TRAILERS,    /* http: final body sent, announced trailers to come */
  STAGE_OPEN,        /* websocket: accepted */
  STAGE_DONE,        /* response complete, or the WebSocket closed */
} Stage;

/* Lifespan events, as bits. */
enum
{
  LIFESPAN_STARTUP = 1 << 0,
  LIFESPAN_SHUTDOWN = 1 << 1,
};

void
_asgiref_protocol_init (AsgirefProtocolState *self,
                        GVariant             *scope)
{
  const char *type = NULL;

  memset (self, 0, sizeof *self);
  self->protocol = PROTOCOL_OTHER;
  self->stage = STAGE_START;
  if (!g_variant_lookup (scope, "type", "&s", &type))
    return;
  if (g_str_equal (type, "http"))
    self->protocol = PROTOCOL_HTTP;
  else if (g_str_equal (type, "websocket"))
    self->protocol = PROTOCOL_WEBSOCKET;
  else if (g_str_equal (type, "lifespan"))
    self->protocol = PROTOCOL_LIFESPAN;
}

static const char *
protocol_name (Protocol protocol)
{
  switch (protocol)
    {
    case PROTOCOL_HTTP:
      return "http";
    case PROTOCOL_WEBSOCKET:
      return "websocket";
    case PROTOCOL_LIFESPAN:
      return "lifespan";
    case PROTOCOL_OTHER:
    default:
      return "?";
    }
}

static gboolean
lookup_flag (GVariant   *message,
             const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (message, key, "b", &value);
  return value;
}

static gboolean
protocol_error (GError    **error,
                const char *format,
                ...) G_GNUC_PRINTF (2, 3);

static gboolean
protocol_error (GError    **error,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_PROTOCOL, message);
  return FALSE;
}

static gboolean
not_in_scope (AsgirefProtocolState *self,
              const char     *type,
              GError        **error)
{
  return protocol_error (error, _("“%s” cannot be sent in a “%s” scope"),
                         type, protocol_name (self->protocol));
}

static gboolean
check_http(AsgirefProtocolState *self,
                   const char     *type,
                   GVariant       *message,
                   GError        **error)
{
  if (g_str_equal (type, "http.response.start"))
    {
      if (self->stage != STAGE_START)
        return protocol_error (error, _("“%s” cannot be sent twice"), type);
      self->stage = STAGE_BODY;
      self->trailers = lookup_flag (message, "trailers");
      return TRUE;
    }

  if (g_str_equal (type, "http.response.body"))
    {
      if (self->stage == STAGE_START)
        return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                               type, "http.response.start");
      if (self->stage != STAGE_BODY)
        return protocol_error (error, _("“%s” cannot be sent after the final “%s”"),
                               type, "http.response.body");
      if (!lookup_flag (message, "more_body"))
        self->stage = self->trailers ? STAGE_TRAILERS : STAGE_DONE;
      return TRUE;
    }

  if (g_str_equal (type, "http.response.trailers"))
    {
      if (self->stage == STAGE_START)
        return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                               type, "http.response.start");
      if (!self->trailers)
        return protocol_error (error, _("“%s” cannot be sent: “%s” did not announce trailers"),
                               type, "http.response.start");
      if (self->stage == STAGE_BODY)
        return protocol_error (error, _("“%s” cannot be sent before the final “%s”"),
                               type, "http.response.body");
      if (self->stage != STAGE_TRAILERS)
        return protocol_error (error, _("“%s” cannot be sent after the final “%s”"),
                               type, "http.response.trailers");
      if (!lookup_flag (message, "more_trailers"))
        self->stage = STAGE_DONE;
      return TRUE;
    }

  return not_in_scope (self, type, error);
}

static gboolean
check_websocket(AsgirefProtocolState *self,
                        const char     *type,
                        GVariant       *message,
                        GError        **error)
{
  gboolean denial_start = g_str_equal (type, "websocket.http.response.start");
  gboolean denial_body = g_str_equal (type, "websocket.http.response.body");

  if (!denial_start && !denial_body &&
      !g_str_equal (type, "websocket.accept") &&
      !g_str_equal (type, "websocket.send") &&
      !g_str_equal (type, "websocket.close"))
    return not_in_scope (self, type, error);

  if (self->stage == STAGE_DONE)
    return protocol_error (error, _("“%s” cannot be sent after the WebSocket was closed"), type);

  if (denial_body)
    {
      if (self->stage != STAGE_BODY)
        return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                               type, "websocket.http.response.start");
      if (!lookup_flag (message, "more_body"))
        self->stage = STAGE_DONE;
      return TRUE;
    }

  if (self->stage == STAGE_BODY)
    return protocol_error (error, _("“%s” cannot be sent after “%s”"),
                           type, "websocket.http.response.start");

  if (denial_start || g_str_equal (type, "websocket.accept"))
    {
      if (self->stage == STAGE_OPEN)
        return protocol_error (error, _("“%s” cannot be sent after “%s”"),
                               type, "websocket.accept");
      self->stage = denial_start ? STAGE_BODY : STAGE_OPEN;
      return TRUE;
    }

  if (g_str_equal (type, "websocket.send"))
    {
      if (self->stage != STAGE_OPEN)
        return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                               type, "websocket.accept");
      return TRUE;
    }

  /* websocket.close, before the handshake (a denial) or after it. */
  self->stage = STAGE_DONE;
  return TRUE;
}

static gboolean
check_lifespan(AsgirefProtocolState *self,
                       const char     *type,
                       GError        **error)
{
  static const struct {
    const char *type;
    const char *question;
    guint event;
  } answers[] = {
    { "lifespan.startup.complete", "lifespan.startup", LIFESPAN_STARTUP },
    { "lifespan.startup.failed", "lifespan.startup", LIFESPAN_STARTUP },
    { "lifespan.shutdown.complete", "lifespan.shutdown", LIFESPAN_SHUTDOWN },
    { "lifespan.shutdown.failed", "lifespan.shutdown", LIFESPAN_SHUTDOWN },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      if (!g_str_equal (type, answers[i].type))
        continue;
      if (self->lifespan_answered & answers[i].event)
        return protocol_error (error, _("“%s” answers a “%s” that was already answered"),
                               type, answers[i].question);
      if (!(self->lifespan_asked & answers[i].event))
        return protocol_error (error, _("“%s” answers a “%s” the application has not received"),
                               type, answers[i].question);
      self->lifespan_asked &= ~answers[i].event;
      self->lifespan_answered |= answers[i].event;
      return TRUE;
    }

  return not_in_scope (self, type, error);
}

gboolean
_asgiref_protocol_check_send (AsgirefProtocolState *self,
                    GVariant       *message,
                    GError        **error)
{
  const char *type = _asgiref_message_peek_type (message);

  switch (self->protocol)
    {
    case PROTOCOL_HTTP:
      return check_http(self, type, message, error);
    case PROTOCOL_WEBSOCKET:
      return check_websocket(self, type, message, error);
    case PROTOCOL_LIFESPAN:
      return check_lifespan(self, type, error);
    case PROTOCOL_OTHER:
    default:
      return TRUE;
    }
}

void
_asgiref_protocol_note_received (AsgirefProtocolState *self,
                      GVariant       *message)
{
  const char *type;

  if (self->protocol != PROTOCOL_LIFESPAN)
    return;

  type = _asgiref_message_peek_type (message);
  if (g_strcmp0 (type, "lifespan.startup") == 0)
    self->lifespan_asked |= LIFESPAN_STARTUP;
  else if (g_strcmp0 (type, "lifespan.shutdown") == 0)
    self->lifespan_asked |= LIFESPAN_SHUTDOWN;
}
