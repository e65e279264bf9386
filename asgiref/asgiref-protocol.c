/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message-private.h"
#include "asgiref-protocol-private.h"
#include "asgiref-scope-private.h"

/*
 * The order rules of ASGI 3.0 for what an application sends: HTTP 2.3
 * (start, body chunks up to the final one, announced trailers), WebSocket
 * 2.3 (accept, or close, or a denial response, before anything else;
 * nothing after close) and lifespan 2.0 (one answer per event, after the
 * event). Validity of each message on its own is asgiref-message.c's.
 *
 * Every check reads the message's kind and flags straight from its
 * struct: this runs for every message an application sends, so it makes
 * no string comparison and no lookup; the type names are looked up only
 * to word an error.
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
                        AsgirefScope         *scope)
{
  memset (self, 0, sizeof *self);
  self->declared_length = -1;
  self->protocol = PROTOCOL_OTHER;
  self->stage = STAGE_START;
  if (scope == NULL)
    return;

  switch (scope->kind)
    {
    case ASGIREF_SCOPE_HTTP:
      self->protocol = PROTOCOL_HTTP;
      self->head = g_strcmp0 (scope->method, "HEAD") == 0;
      break;
    case ASGIREF_SCOPE_WEBSOCKET:
      self->protocol = PROTOCOL_WEBSOCKET;
      break;
    case ASGIREF_SCOPE_LIFESPAN:
      self->protocol = PROTOCOL_LIFESPAN;
      break;
    default:
      break;
    }
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

/* The `type` of @message, to word an error. */
static const char *
type_name (AsgirefMessage *message)
{
  return asgiref_message_get_type_name (message);
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
not_in_scope (AsgirefProtocolState  *self,
              AsgirefMessage        *message,
              GError               **error)
{
  return protocol_error (error, _("“%s” cannot be sent in a “%s” scope"),
                         type_name (message), protocol_name (self->protocol));
}

static gboolean
check_http (AsgirefProtocolState  *self,
            AsgirefMessage        *message,
            GError               **error)
{
  switch (message->kind)
    {
    case ASGIREF_MESSAGE_HTTP_RESPONSE_START:
      if (self->stage != STAGE_START)
        return protocol_error (error, _("“%s” cannot be sent twice"), type_name (message));
      /* An interim response is not an answer, and a server cannot tell
       * what the application would do after it. */
      if (message->status < 200)
        return protocol_error (error,
                               _("The status %d of “%s” is informational (1xx), not a response; "
                                 "a WebSocket upgrade (101) is “websocket.accept”"),
                               message->status, type_name (message));
      self->stage = STAGE_BODY;
      self->trailers = message->trailers;
      /* A response to HEAD, and a 204 or 304, has no body: its
       * content-length says what a GET would have got (RFC 9110 8.6). */
      if (self->head || message->status == 204 || message->status == 304)
        self->declared_length = -1;
      else
        self->declared_length = _asgiref_message_content_length (message);
      self->sent_length = 0;
      return TRUE;

    case ASGIREF_MESSAGE_HTTP_RESPONSE_BODY:
      {
        guint64 size = message->body != NULL ? g_bytes_get_size (message->body) : 0;

        if (self->stage == STAGE_START)
          return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                                 type_name (message), "http.response.start");
        if (self->stage != STAGE_BODY)
          return protocol_error (error, _("“%s” cannot be sent after the final “%s”"),
                                 type_name (message), "http.response.body");
        /* A body that does not match its length would leave the client
         * reading the next response as the rest of this one. */
        if (self->declared_length >= 0 &&
            (self->sent_length + size > (guint64) self->declared_length ||
             (!message->more && self->sent_length + size < (guint64) self->declared_length)))
          {
            /* Numbers as strings: xgettext cannot read G_GINT64_FORMAT. */
            g_autofree char *sent = g_strdup_printf ("%" G_GUINT64_FORMAT, self->sent_length + size);
            g_autofree char *declared = g_strdup_printf ("%" G_GINT64_FORMAT, self->declared_length);

            if (self->sent_length + size > (guint64) self->declared_length)
              return protocol_error (error,
                                     _("The body of the response is longer (%s bytes) than its "
                                       "content-length (%s bytes)"),
                                     sent, declared);
            return protocol_error (error,
                                   _("The body of the response ends after %s of the %s bytes "
                                     "of its content-length"),
                                   sent, declared);
          }
        self->sent_length += size;
        if (!message->more)
          self->stage = self->trailers ? STAGE_TRAILERS : STAGE_DONE;
        return TRUE;
      }

    case ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS:
      if (self->stage == STAGE_START)
        return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                               type_name (message), "http.response.start");
      if (!self->trailers)
        return protocol_error (error, _("“%s” cannot be sent: “%s” did not announce trailers"),
                               type_name (message), "http.response.start");
      if (self->stage == STAGE_BODY)
        return protocol_error (error, _("“%s” cannot be sent before the final “%s”"),
                               type_name (message), "http.response.body");
      if (self->stage != STAGE_TRAILERS)
        return protocol_error (error, _("“%s” cannot be sent after the final “%s”"),
                               type_name (message), "http.response.trailers");
      if (!message->more)
        self->stage = STAGE_DONE;
      return TRUE;

    default:
      return not_in_scope (self, message, error);
    }
}

static gboolean
check_websocket (AsgirefProtocolState  *self,
                 AsgirefMessage        *message,
                 GError               **error)
{
  switch (message->kind)
    {
    case ASGIREF_MESSAGE_WEBSOCKET_ACCEPT:
    case ASGIREF_MESSAGE_WEBSOCKET_SEND:
    case ASGIREF_MESSAGE_WEBSOCKET_CLOSE:
    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START:
    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY:
      break;
    default:
      return not_in_scope (self, message, error);
    }

  if (self->stage == STAGE_DONE)
    return protocol_error (error, _("“%s” cannot be sent after the WebSocket was closed"),
                           type_name (message));

  if (message->kind == ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY)
    {
      if (self->stage != STAGE_BODY)
        return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                               type_name (message), "websocket.http.response.start");
      if (!message->more)
        self->stage = STAGE_DONE;
      return TRUE;
    }

  if (self->stage == STAGE_BODY)
    return protocol_error (error, _("“%s” cannot be sent after “%s”"),
                           type_name (message), "websocket.http.response.start");

  switch (message->kind)
    {
    case ASGIREF_MESSAGE_WEBSOCKET_ACCEPT:
    case ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START:
      if (self->stage == STAGE_OPEN)
        return protocol_error (error, _("“%s” cannot be sent after “%s”"),
                               type_name (message), "websocket.accept");
      self->stage = message->kind == ASGIREF_MESSAGE_WEBSOCKET_ACCEPT ? STAGE_OPEN : STAGE_BODY;
      return TRUE;

    case ASGIREF_MESSAGE_WEBSOCKET_SEND:
      if (self->stage != STAGE_OPEN)
        return protocol_error (error, _("“%s” cannot be sent before “%s”"),
                               type_name (message), "websocket.accept");
      return TRUE;

    case ASGIREF_MESSAGE_WEBSOCKET_CLOSE:
    default:
      /* Before the handshake (a denial) or after it. */
      self->stage = STAGE_DONE;
      return TRUE;
    }
}

static gboolean
check_lifespan (AsgirefProtocolState  *self,
                AsgirefMessage        *message,
                GError               **error)
{
  const char *question;
  guint event;

  switch (message->kind)
    {
    case ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE:
    case ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED:
      question = "lifespan.startup";
      event = LIFESPAN_STARTUP;
      break;
    case ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE:
    case ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED:
      question = "lifespan.shutdown";
      event = LIFESPAN_SHUTDOWN;
      break;
    default:
      return not_in_scope (self, message, error);
    }

  if (self->lifespan_answered & event)
    return protocol_error (error, _("“%s” answers a “%s” that was already answered"),
                           type_name (message), question);
  if (!(self->lifespan_asked & event))
    return protocol_error (error, _("“%s” answers a “%s” the application has not received"),
                           type_name (message), question);
  self->lifespan_asked &= ~event;
  self->lifespan_answered |= event;
  return TRUE;
}

gboolean
_asgiref_protocol_check_send (AsgirefProtocolState  *self,
                              AsgirefMessage        *message,
                              GError               **error)
{
  switch (self->protocol)
    {
    case PROTOCOL_HTTP:
      return check_http (self, message, error);
    case PROTOCOL_WEBSOCKET:
      return check_websocket (self, message, error);
    case PROTOCOL_LIFESPAN:
      return check_lifespan (self, message, error);
    case PROTOCOL_OTHER:
    default:
      return TRUE;
    }
}

void
_asgiref_protocol_note_received (AsgirefProtocolState *self,
                                 AsgirefMessage       *message)
{
  if (self->protocol != PROTOCOL_LIFESPAN)
    return;

  if (message->kind == ASGIREF_MESSAGE_LIFESPAN_STARTUP)
    self->lifespan_asked |= LIFESPAN_STARTUP;
  else if (message->kind == ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN)
    self->lifespan_asked |= LIFESPAN_SHUTDOWN;
}
