/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "asgiref-accept-loop-private.h"
#include "asgiref-i18n-private.h"

/* The first wait after an accept failed for want of descriptors, then
 * twice as long each time it fails again, up to the last. */
#define FIRST_BACKOFF_MS 10
#define LAST_BACKOFF_MS  1000

/* How many connections one wake-up accepts, so that a flood of clients
 * does not keep the main context from serving the connected ones. */
#define ACCEPTS_PER_WAKEUP 64

struct _AsgirefAcceptLoop
{
  GSocket *socket;
  AsgirefAcceptFunc func;
  gpointer data;
  GMainContext *context;
  GSource *source;           /* the socket's, or the backoff's timeout */
  guint backoff_ms;          /* 0: not backing off */
};

static void watch (AsgirefAcceptLoop *self);

static gboolean
on_backoff_done (gpointer data)
{
  AsgirefAcceptLoop *self = data;

  g_clear_pointer (&self->source, g_source_unref);
  watch (self);
  return G_SOURCE_REMOVE;
}

/* Out of descriptors, say: wait before trying again, rather than spin on
 * a socket that stays readable, or give up for good as libsoup does. */
static void
back_off (AsgirefAcceptLoop *self,
          const GError      *error)
{
  if (self->backoff_ms == 0)
    g_log (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
           _("Cannot accept connections: %s; trying again"), error->message);
  self->backoff_ms = self->backoff_ms == 0 ? FIRST_BACKOFF_MS
                                           : MIN (self->backoff_ms * 2, LAST_BACKOFF_MS);

  self->source = g_timeout_source_new (self->backoff_ms);
  g_source_set_static_name (self->source, "[asgiref] accept backoff");
  g_source_set_callback (self->source, on_backoff_done, self, NULL);
  g_source_attach (self->source, self->context);
}

static gboolean
on_incoming (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  AsgirefAcceptLoop *self = data;

  for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (socket, NULL, &error);

      if (client == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          /* Out of descriptors or memory, mostly: a socket that stays
           * readable would have this spin. */
          g_clear_pointer (&self->source, g_source_unref);
          back_off (self, error);
          return G_SOURCE_REMOVE;
        }

      if (self->backoff_ms != 0)
        g_log (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, _("Accepting connections again"));
      self->backoff_ms = 0;
      /* What libsoup's listener does: small responses go out at once. */
      if (g_socket_get_family (client) != G_SOCKET_FAMILY_UNIX)
        g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
      self->func (g_socket_connection_factory_create_connection (client), self->data);
    }
  return G_SOURCE_CONTINUE;
}

static void
watch (AsgirefAcceptLoop *self)
{
  self->source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_static_name (self->source, "[asgiref] accept");
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->source, self->context);
}

AsgirefAcceptLoop *
_asgiref_accept_loop_new (GSocket           *socket,
                          GMainContext      *context,
                          AsgirefAcceptFunc  func,
                          gpointer           data)
{
  AsgirefAcceptLoop *self = g_new0 (AsgirefAcceptLoop, 1);

  self->socket = g_object_ref (socket);
  self->func = func;
  self->data = data;
  self->context = g_main_context_ref (context);
  watch (self);
  return self;
}

void
_asgiref_accept_loop_free (AsgirefAcceptLoop *self)
{
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_source_unref (self->source);
    }
  g_object_unref (self->socket);
  g_main_context_unref (self->context);
  g_free (self);
}

