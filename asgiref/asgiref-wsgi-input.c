/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-i18n-private.h"
#include "asgiref-message.h"
#include "asgiref-wsgi-private.h"

/*
 * The request body of a WSGI handler, a blocking GInputStream. Each read
 * that finds nothing left asks the channel for the next http.request, so
 * the handler starts before the body is complete and the server reads no
 * further ahead than the handler does. Used from the handler's thread
 * only.
 */
#define ASGIREF_TYPE_WSGI_INPUT (_asgiref_wsgi_input_get_type ())
G_DECLARE_FINAL_TYPE (AsgirefWsgiInput, _asgiref_wsgi_input, ASGIREF, WSGI_INPUT, GInputStream)

struct _AsgirefWsgiInput
{
  GInputStream parent_instance;

  AsgirefChannel *channel;
  GCancellable *cancellable;     /* the instance's */
  GBytes *chunk;                 /* the body of the last http.request */
  gsize offset;                  /* in it, read so far */
  gboolean last;                 /* that http.request said no more */
};

G_DEFINE_FINAL_TYPE (AsgirefWsgiInput, _asgiref_wsgi_input, G_TYPE_INPUT_STREAM)

/* Makes sure there is something to read, unless the body ended. */
static gboolean
fill (AsgirefWsgiInput  *self,
      GCancellable      *cancellable,
      GError           **error)
{
  while (self->chunk == NULL || self->offset == g_bytes_get_size (self->chunk))
    {
      g_autoptr(AsgirefMessage) message = NULL;

      if (self->last)
        return TRUE;

      message = _asgiref_wsgi_receive (self->channel,
                                       cancellable != NULL ? cancellable : self->cancellable,
                                       error);
      if (message == NULL)
        return FALSE;
      if (asgiref_message_get_kind (message) != ASGIREF_MESSAGE_HTTP_REQUEST)
        {
          /* http.disconnect: nothing more will come. */
          self->last = TRUE;
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               _("The client left before the end of the request body"));
          return FALSE;
        }

      g_clear_pointer (&self->chunk, g_bytes_unref);
      self->chunk = asgiref_message_get_body (message);
      self->offset = 0;
      self->last = !asgiref_message_get_more_body (message);
    }
  return TRUE;
}

static gssize
asgiref_wsgi_input_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  AsgirefWsgiInput *self = ASGIREF_WSGI_INPUT (stream);
  const guint8 *data;
  gsize size;
  gsize n;

  if (count == 0)
    return 0;
  if (!fill (self, cancellable, error))
    return -1;
  if (self->chunk == NULL)
    return 0;

  data = g_bytes_get_data (self->chunk, &size);
  n = MIN (count, size - self->offset);
  memcpy (buffer, data + self->offset, n);
  self->offset += n;
  return (gssize) n;
}

static void
asgiref_wsgi_input_finalize (GObject *object)
{
  AsgirefWsgiInput *self = ASGIREF_WSGI_INPUT (object);

  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_clear_object (&self->channel);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (_asgiref_wsgi_input_parent_class)->finalize (object);
}

static void
_asgiref_wsgi_input_class_init (AsgirefWsgiInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = asgiref_wsgi_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = asgiref_wsgi_input_read;
}

static void
_asgiref_wsgi_input_init (AsgirefWsgiInput *self)
{
}

GInputStream *
_asgiref_wsgi_input_new (AsgirefChannel *channel,
                         GCancellable   *cancellable)
{
  AsgirefWsgiInput *self = g_object_new (ASGIREF_TYPE_WSGI_INPUT, NULL);

  self->channel = g_object_ref (channel);
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  return G_INPUT_STREAM (self);
}
