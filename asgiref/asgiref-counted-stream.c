/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-counted-stream-private.h"

struct _AsgirefCountedStream
{
  GIOStream parent_instance;

  GIOStream *base;
  GOutputStream *output;         /* CountingOutput */
  guint64 written;
  AsgirefCountedWrote wrote;
  gpointer wrote_data;
};

G_DEFINE_FINAL_TYPE (AsgirefCountedStream, _asgiref_counted_stream, G_TYPE_IO_STREAM)

static gssize
count (AsgirefCountedStream *self,
       gssize                n)
{
  if (n > 0)
    {
      self->written += (guint64) n;
      if (self->wrote != NULL)
        self->wrote (self, self->written, self->wrote_data);
    }
  return n;
}

/* ---- The output stream -------------------------------------------------- */

#define TYPE_COUNTING_OUTPUT (counting_output_get_type ())
G_DECLARE_FINAL_TYPE (CountingOutput, counting_output, ASGIREF, COUNTING_OUTPUT, GFilterOutputStream)

struct _CountingOutput
{
  GFilterOutputStream parent_instance;
  AsgirefCountedStream *stream;  /* owns this one */
};

static void counting_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CountingOutput, counting_output, G_TYPE_FILTER_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      counting_output_pollable_init))

static GPollableOutputStream *
base_of (gpointer self)
{
  return G_POLLABLE_OUTPUT_STREAM (g_filter_output_stream_get_base_stream (G_FILTER_OUTPUT_STREAM (self)));
}

static gssize
counting_output_write (GOutputStream  *stream,
                       const void     *buffer,
                       gsize           size,
                       GCancellable   *cancellable,
                       GError        **error)
{
  return count (ASGIREF_COUNTING_OUTPUT (stream)->stream,
                g_output_stream_write (G_OUTPUT_STREAM (base_of (stream)), buffer, size,
                                       cancellable, error));
}

static gssize
counting_output_write_nonblocking (GPollableOutputStream  *stream,
                                   const void             *buffer,
                                   gsize                   size,
                                   GError                **error)
{
  return count (ASGIREF_COUNTING_OUTPUT (stream)->stream,
                g_pollable_output_stream_write_nonblocking (base_of (stream), buffer, size,
                                                            NULL, error));
}

static gboolean
counting_output_flush (GOutputStream  *stream,
                       GCancellable   *cancellable,
                       GError        **error)
{
  return g_output_stream_flush (G_OUTPUT_STREAM (base_of (stream)), cancellable, error);
}

static gboolean
counting_output_can_poll (GPollableOutputStream *stream)
{
  return TRUE;
}

static gboolean
counting_output_is_writable (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_is_writable (base_of (stream));
}

/* The base stream's own source: the writer uses it only as the child of
 * its own, whose callback names its stream. */
static GSource *
counting_output_create_source (GPollableOutputStream *stream,
                               GCancellable          *cancellable)
{
  return g_pollable_output_stream_create_source (base_of (stream), cancellable);
}

static void
counting_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = counting_output_can_poll;
  iface->is_writable = counting_output_is_writable;
  iface->create_source = counting_output_create_source;
  iface->write_nonblocking = counting_output_write_nonblocking;
}

static void
counting_output_class_init (CountingOutputClass *klass)
{
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = counting_output_write;
  G_OUTPUT_STREAM_CLASS (klass)->flush = counting_output_flush;
}

static void
counting_output_init (CountingOutput *self)
{
}

/* ---- The stream --------------------------------------------------------- */

static GInputStream *
counted_get_input_stream (GIOStream *stream)
{
  return g_io_stream_get_input_stream (ASGIREF_COUNTED_STREAM (stream)->base);
}

static GOutputStream *
counted_get_output_stream (GIOStream *stream)
{
  return ASGIREF_COUNTED_STREAM (stream)->output;
}

static gboolean
counted_close (GIOStream     *stream,
               GCancellable  *cancellable,
               GError       **error)
{
  return g_io_stream_close (ASGIREF_COUNTED_STREAM (stream)->base, cancellable, error);
}

static void
on_base_closed (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The base's own, where GIOStream's would close in a worker thread. */
static void
counted_close_async (GIOStream           *stream,
                     int                  io_priority,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  (g_task_set_source_tag) (task, counted_close_async);
  g_io_stream_close_async (ASGIREF_COUNTED_STREAM (stream)->base, io_priority, cancellable,
                           on_base_closed, task);
}

static gboolean
counted_close_finish (GIOStream     *stream,
                      GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
asgiref_counted_stream_finalize (GObject *object)
{
  AsgirefCountedStream *self = ASGIREF_COUNTED_STREAM (object);

  g_object_unref (self->output);
  g_object_unref (self->base);

  G_OBJECT_CLASS (_asgiref_counted_stream_parent_class)->finalize (object);
}

static void
_asgiref_counted_stream_class_init (AsgirefCountedStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = asgiref_counted_stream_finalize;
  stream_class->get_input_stream = counted_get_input_stream;
  stream_class->get_output_stream = counted_get_output_stream;
  stream_class->close_fn = counted_close;
  stream_class->close_async = counted_close_async;
  stream_class->close_finish = counted_close_finish;
}

static void
_asgiref_counted_stream_init (AsgirefCountedStream *self)
{
}

AsgirefCountedStream *
_asgiref_counted_stream_new (GIOStream           *base,
                             AsgirefCountedWrote  wrote,
                             gpointer             user_data)
{
  AsgirefCountedStream *self = g_object_new (ASGIREF_TYPE_COUNTED_STREAM, NULL);
  CountingOutput *output = g_object_new (TYPE_COUNTING_OUTPUT,
                                         "base-stream", g_io_stream_get_output_stream (base),
                                         "close-base-stream", FALSE,
                                         NULL);

  output->stream = self;
  self->base = g_object_ref (base);
  self->output = G_OUTPUT_STREAM (output);
  self->wrote = wrote;
  self->wrote_data = user_data;
  return self;
}

guint64
_asgiref_counted_stream_get_written (AsgirefCountedStream *self)
{
  return self->written;
}

void
_asgiref_counted_stream_unwatch (AsgirefCountedStream *self)
{
  self->wrote = NULL;
  self->wrote_data = NULL;
}
