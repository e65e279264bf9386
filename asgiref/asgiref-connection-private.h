/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * One client connection the server accepted, as the GIOStream it hands to
 * soup_server_accept_iostream(). It exists for what libsoup 3.2 does not
 * do with the connections it serves:
 *
 * - Where the stream ends (or fails) before a request's headers are
 *   complete, libsoup either forgets the connection, open (before the
 *   first byte of a keep-alive connection's next request; it keeps its
 *   descriptor until the server is disposed), or serves the request as if
 *   its headers were complete (after a line of them). The connection hands
 *   libsoup one byte that cannot start a request instead of that end, and
 *   has the server refuse whatever libsoup parsed; libsoup then fails the
 *   request and closes the connection. Its writing side is shut first, so
 *   no error response reaches a client that only half-closed.
 * - Nothing times out. The request headers have to arrive in
 *   @header_timeout seconds from the connection or its first byte after a
 *   response, and an idle keep-alive connection is dropped after
 *   @idle_timeout seconds (0: never, for either). A connection that ran out
 *   of time is shut down, which wakes libsoup's reader and ends it as
 *   above; _asgiref_connection_headers_read() tells the server not to serve
 *   what it still parsed.
 *
 * Lives on the thread-default main context it was made on, where every one
 * of its functions is called.
 */
#define ASGIREF_TYPE_CONNECTION (_asgiref_connection_get_type ())
G_DECLARE_FINAL_TYPE (AsgirefConnection, _asgiref_connection, ASGIREF, CONNECTION, GIOStream)

/* Called once, when libsoup (or anyone) closed the connection. */
typedef void (*AsgirefConnectionClosed) (AsgirefConnection *connection,
                                         gpointer           user_data);

/* @base is the accepted socket's connection, or a TLS connection over it;
 * @socket its socket. @remote is the client's address, which leads back
 * to the connection from a message: pass the same to
 * soup_server_accept_iostream(). */
AsgirefConnection *_asgiref_connection_new          (GIOStream               *base,
                                                     GSocket                 *socket,
                                                     GSocketAddress          *remote,
                                                     guint                    header_timeout,
                                                     guint                    idle_timeout,
                                                     AsgirefConnectionClosed  closed,
                                                     gpointer                 user_data);

/* The connection @msg came on, or NULL for one libsoup accepted itself
 * (through asgiref_server_get_soup_server()). (transfer none) */
AsgirefConnection *_asgiref_connection_of_message   (SoupServerMessage       *msg);

/* The socket, for watching the client go: libsoup 3.2 has none for a
 * connection handed to it. (transfer none) */
GSocket           *_asgiref_connection_get_socket   (AsgirefConnection       *self);

/* Whether the connection is TLS: libsoup does not know for a connection
 * handed to it, and gives its requests `http` URIs. */
gboolean           _asgiref_connection_is_tls       (AsgirefConnection       *self);

/* The headers of a request were parsed: no timeout runs until the response
 * was written. FALSE when the connection ran out of time or its stream
 * ended before the headers did: the request is not one the client sent in
 * full, and must not be served. */
gboolean           _asgiref_connection_headers_read (AsgirefConnection       *self);

/* A WebSocket took the connection over: what follows is frames, whose
 * bytes are not checked as requests. */
void               _asgiref_connection_upgraded     (AsgirefConnection       *self);

/* A response was written: the connection waits for the next request. */
void               _asgiref_connection_request_done (AsgirefConnection       *self);

/*
 * Answers the request being read with @response (the whole of a small
 * HTTP response, bodyless) written on the socket at once, and ends the
 * connection: libsoup 3.2 answers a request only after reading its body,
 * and an answer given before it (413, 503) should not wait for, nor
 * keep, a body nobody reads. libsoup's reading then ends, and it closes
 * the connection, which goes on reading and dropping what the client
 * still sends for a few seconds, until the client's end: closing with
 * unread bytes would reset the connection, and lose the answer.
 */
void               _asgiref_connection_answer_early (AsgirefConnection      *self,
                                                     const char             *response,
                                                     gsize                   size);

/* Calls @paused_closed (@msg, @self) when the connection closes, for @msg,
 * which its exchange paused: a paused message does not notice its connection
 * closing (libsoup 3.2), which it says only through its "disconnected"
 * signal, emitted after libsoup closed the stream. Much cheaper than a
 * handler of that signal on every message. One message at a time; the
 * connection keeps no reference to @msg, which
 * _asgiref_connection_forget_paused() takes back. */
void               _asgiref_connection_watch_paused (AsgirefConnection      *self,
                                                     SoupServerMessage      *msg,
                                                     void                  (*paused_closed) (SoupServerMessage *msg,
                                                                                            AsgirefConnection *connection));
void               _asgiref_connection_forget_paused (AsgirefConnection     *self,
                                                      SoupServerMessage     *msg);

/*
 * Something the server keeps for the message @msg, which it is serving on
 * the connection: libsoup 3.2 reads a connection's next request only once
 * the last one finished, so there is one at a time. Getting it for
 * another message gives %NULL; setting %NULL forgets it.
 */
void               _asgiref_connection_set_message_data (AsgirefConnection *self,
                                                         SoupServerMessage *msg,
                                                         gpointer           data);
gpointer           _asgiref_connection_get_message_data (AsgirefConnection *self,
                                                         SoupServerMessage *msg);

/* Room for the text of any IP address, with its terminator. */
#define ASGIREF_HOST_SIZE 46

/* The addresses of a connection, as a scope gives them: a port of -1 (and
 * an empty host) for an address that has neither, such as a Unix
 * socket's. */
typedef struct
{
  char client_host[ASGIREF_HOST_SIZE];
  char server_host[ASGIREF_HOST_SIZE];
  int client_port;
  int server_port;
} AsgirefConnectionAddresses;

/* Writes the host of @address into @host (ASGIREF_HOST_SIZE bytes) and
 * returns its port; -1 for an address with neither. */
int                _asgiref_socket_address_split        (GSocketAddress    *address,
                                                         char              *host);

/* The addresses of the connection @msg came on, formatted the first time
 * they are asked for: every request of a connection has the same.
 * (transfer none) */
const AsgirefConnectionAddresses *
                   _asgiref_connection_get_addresses    (AsgirefConnection *self,
                                                         SoupServerMessage *msg);

/* Closes the connection now, lingering or not (when the server goes). */
void               _asgiref_connection_close_now    (AsgirefConnection      *self);

G_END_DECLS
