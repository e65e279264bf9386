/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-bridge.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-message.h"
#include "asgiref-wsgi-private.h"
#include "asgiref-wsgi-response.h"

/**
 * AsgirefWsgiResponse:
 *
 * The response of a synchronous handler served by
 * [class@Asgiref.WsgiApplication]: WSGI's `start_response()` and
 * `write()` for C.
 *
 * [method@Asgiref.WsgiResponse.start] sets the status and headers;
 * they go out with the first body bytes that are not empty, or when the
 * handler returns. [method@Asgiref.WsgiResponse.write] sends body bytes
 * at once and blocks until the server took them, so a handler producing a
 * large body waits for a slow client rather than fill memory. Once the
 * client left, writes fail with %G_IO_ERROR_CLOSED: the handler should
 * stop there.
 *
 * A `content-length` among the headers caps the body: bytes beyond it
 * are not sent, as PEP 3333 wants; a body short of it when the handler
 * returns is an error the server reports (the client cannot tell where
 * the body ends otherwise).
 *
 * Its methods are called from the handler, on the handler's thread.
 */

struct _AsgirefWsgiResponse
{
  GObject parent_instance;

  AsgirefChannel *channel;
  GCancellable *cancellable;     /* the instance's */
  guint status;                  /* 0: not started */
  AsgirefHeaders *headers;
  gint64 remaining;              /* of the content-length; -1: none */
  gboolean headers_sent;
  gboolean complete;             /* the last body bytes went out */
};

G_DEFINE_FINAL_TYPE (AsgirefWsgiResponse, asgiref_wsgi_response, G_TYPE_OBJECT)

static void
asgiref_wsgi_response_finalize (GObject *object)
{
  AsgirefWsgiResponse *self = ASGIREF_WSGI_RESPONSE (object);

  g_clear_pointer (&self->headers, asgiref_headers_unref);
  g_clear_object (&self->channel);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (asgiref_wsgi_response_parent_class)->finalize (object);
}

static void
asgiref_wsgi_response_class_init (AsgirefWsgiResponseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = asgiref_wsgi_response_finalize;
}

static void
asgiref_wsgi_response_init (AsgirefWsgiResponse *self)
{
  self->remaining = -1;
}

AsgirefWsgiResponse *
_asgiref_wsgi_response_new (AsgirefChannel *channel,
                            GCancellable   *cancellable)
{
  AsgirefWsgiResponse *self = g_object_new (ASGIREF_TYPE_WSGI_RESPONSE, NULL);

  self->channel = g_object_ref (channel);
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  return self;
}

/**
 * asgiref_wsgi_response_start:
 * @self: a response
 * @status: the HTTP status, 200 to 599
 * @headers: (nullable): the response headers
 * @error: return location for an error
 *
 * Sets the status and headers of the response, as WSGI's
 * `start_response()`. They are sent with the first body bytes that are
 * not empty, or when the handler returns.
 *
 * Until then, starting again replaces them, as `start_response()` with
 * `exc_info` does: a handler that fails half-way can still answer with an
 * error page. Once they were sent, this fails with %ASGIREF_ERROR_FAILED.
 *
 * Returns: whether the status and headers were taken
 */
gboolean
asgiref_wsgi_response_start (AsgirefWsgiResponse  *self,
                             guint                 status,
                             AsgirefHeaders       *headers,
                             GError              **error)
{
  const char *length;
  guint64 value = 0;

  g_return_val_if_fail (ASGIREF_IS_WSGI_RESPONSE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (status < 200 || status > 599)
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("A WSGI response’s status must be from 200 to 599, not %u"), status);
      return FALSE;
    }
  if (self->headers_sent)
    {
      g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                           _("The response was started again after its headers were sent"));
      return FALSE;
    }

  length = headers != NULL ? asgiref_headers_lookup (headers, "content-length") : NULL;
  if (length != NULL &&
      !g_ascii_string_to_unsigned (length, 10, 0, G_MAXINT64, &value, NULL))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("A WSGI response’s content-length must be a number, not “%s”"), length);
      return FALSE;
    }

  self->status = status;
  g_clear_pointer (&self->headers, asgiref_headers_unref);
  self->headers = headers != NULL ? asgiref_headers_ref (headers) : NULL;
  self->remaining = length != NULL ? (gint64) value : -1;
  return TRUE;
}

/* The http.response.start of the response, the first time. */
static AsgirefMessage *
take_start (AsgirefWsgiResponse *self)
{
  if (self->headers_sent)
    return NULL;
  return asgiref_message_new_http_response_start (self->status, self->headers, FALSE);
}

/**
 * asgiref_wsgi_response_write:
 * @self: a started response
 * @data: body bytes
 * @cancellable: (nullable): a #GCancellable; the instance's is used too
 * @error: return location for an error
 *
 * Sends @data as the next part of the body (with the headers before it,
 * the first time), and blocks until the server took it. Bytes past the
 * `content-length` the headers gave are left out; empty @data before the
 * headers went out sends nothing.
 *
 * Fails with %G_IO_ERROR_CLOSED once the client left, with
 * %G_IO_ERROR_CANCELLED when the instance was cancelled, and with
 * %ASGIREF_ERROR_FAILED when the response was not started.
 *
 * Returns: whether @data was sent
 */
gboolean
asgiref_wsgi_response_write (AsgirefWsgiResponse  *self,
                             GBytes               *data,
                             GCancellable         *cancellable,
                             GError              **error)
{
  g_autoptr(GBytes) part = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) body = NULL;
  gsize size;
  gboolean last;

  g_return_val_if_fail (ASGIREF_IS_WSGI_RESPONSE (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->status == 0)
    {
      g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                           _("The WSGI handler wrote body bytes before it started the response"));
      return FALSE;
    }

  size = g_bytes_get_size (data);
  if (self->complete || size == 0)
    return TRUE;

  /* Nothing past the content-length; the bytes that end it end the body,
   * which the server then frames with it. */
  if (self->remaining >= 0 && (gint64) size > self->remaining)
    size = (gsize) self->remaining;
  part = g_bytes_new_from_bytes (data, 0, size);
  last = self->remaining >= 0 && (gint64) size == self->remaining;

  start = take_start (self);
  body = asgiref_message_new_http_response_body (part, !last);
  if (last)
    {
      /* The body's end: nothing follows that would need to wait for the
       * client, so it goes without the round trip to the server's main
       * context and back (a channel takes sends from any thread). A
       * client that left by then is the server's to notice. */
      if (start != NULL)
        asgiref_channel_send_async (self->channel, start, NULL, NULL, NULL);
      asgiref_channel_send_async (self->channel, body, NULL, NULL, NULL);
    }
  else if (!_asgiref_wsgi_send (self->channel, start, body,
                                cancellable != NULL ? cancellable : self->cancellable, error))
    return FALSE;

  self->headers_sent = TRUE;
  if (self->remaining >= 0)
    self->remaining -= (gint64) size;
  self->complete = last;
  return TRUE;
}

/**
 * asgiref_wsgi_response_get_headers_sent:
 * @self: a response
 *
 * Tells whether the status and headers went out: from then on, the
 * response cannot be started again.
 *
 * Returns: whether the headers were sent
 */
gboolean
asgiref_wsgi_response_get_headers_sent (AsgirefWsgiResponse *self)
{
  g_return_val_if_fail (ASGIREF_IS_WSGI_RESPONSE (self), FALSE);

  return self->headers_sent;
}

/**
 * asgiref_wsgi_response_get_status:
 * @self: a response
 *
 * Gets the status [method@Asgiref.WsgiResponse.start] set.
 *
 * Returns: the status, or 0 before the response was started
 */
guint
asgiref_wsgi_response_get_status (AsgirefWsgiResponse *self)
{
  g_return_val_if_fail (ASGIREF_IS_WSGI_RESPONSE (self), 0);

  return self->status;
}

gboolean
_asgiref_wsgi_response_conclude (AsgirefWsgiResponse  *self,
                                 GError              **error)
{
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) end = NULL;

  if (self->status == 0)
    {
      g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED,
                           _("The WSGI handler returned without starting a response"));
      return FALSE;
    }
  if (self->complete)
    return TRUE;

  /* As the last write: a client that left by then is the server's to
   * notice. */
  start = take_start (self);
  if (start != NULL)
    asgiref_channel_send_async (self->channel, start, NULL, NULL, NULL);
  self->headers_sent = TRUE;
  self->complete = TRUE;
  end = asgiref_message_new_http_response_body (NULL, FALSE);
  asgiref_channel_send_async (self->channel, end, NULL, NULL, NULL);
  return TRUE;
}
