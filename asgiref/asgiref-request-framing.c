/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-request-framing-private.h"

enum {
  HEAD,          /* the request line and header fields */
  BODY,          /* Content-Length framing: `remaining` bytes */
  CHUNK_SIZE,    /* chunked: the line with the next chunk's size */
  CHUNK_DATA,    /* `remaining` bytes of a chunk */
  CHUNK_END,     /* the empty line after a chunk */
  TRAILER,       /* the empty line after the last chunk */
  UNCHECKED,     /* the server refuses this request and closes */
};

/* libsoup fails a longer head itself (and closes); past it, following
 * costs memory for nothing. */
#define MAX_HEAD (256 * 1024)
/* libsoup reads a chunk's line into 128 bytes, and fails a longer one. */
#define MAX_CHUNK_LINE 128
/* Enough for any size a 64-bit count holds, without overflowing. */
#define MAX_SIZE_DIGITS 15

void
_asgiref_request_framing_init (AsgirefRequestFraming *self)
{
  self->state = HEAD;
  self->line = g_string_sized_new (256);
  self->line_start = 0;
  self->remaining = 0;
}

void
_asgiref_request_framing_clear (AsgirefRequestFraming *self)
{
  g_string_free (self->line, TRUE);
}

static gboolean
is_blank (const char *line,
          gsize       length)
{
  /* libsoup takes a bare LF for CRLF, as RFC 9112 allows a recipient to. */
  return length == 0 || (length == 1 && line[0] == '\r');
}

static void
trim (const char **start,
      const char **end)
{
  while (*start < *end && (**start == ' ' || **start == '\t'))
    (*start)++;
  while (*end > *start && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
    (*end)--;
}

static gboolean
name_is (const char *name,
         gsize       length,
         const char *expected)
{
  return length == strlen (expected) && g_ascii_strncasecmp (name, expected, length) == 0;
}

/* The head from @head to @end, without NUL bytes, is complete: how is its
 * body framed? The field lines are read as libsoup's soup_headers_parse()
 * reads them. */
static gboolean
head_parse (AsgirefRequestFraming  *self,
            const char             *head,
            const char             *end,
            const char            **reason)
{
  const char *line = (const char *) memchr (head, '\n', end - head) + 1;
  const char *length = NULL, *length_end = NULL;
  guint n_lengths = 0, n_encodings = 0;
  gboolean chunked = FALSE;
  gboolean framing_field = FALSE;

  while (line < end)
    {
      const char *line_end = memchr (line, '\n', end - line);
      const char *colon;

      if (line_end == NULL)
        break;   /* only NULs were after the last LF */

      if (is_blank (line, line_end - line))
        break;
      if (line[0] == ' ' || line[0] == '\t')
        {
          /* Folded onto the field before: a length or an encoding that
           * continues on another line is not one anybody should guess. */
          if (framing_field)
            {
              *reason = "a Content-Length or Transfer-Encoding folded over lines";
              return FALSE;
            }
        }
      else if ((colon = memchr (line, ':', line_end - line)) != NULL &&
               colon > line && strcspn (line, " \t\r\n") >= (gsize) (colon - line))
        {
          const char *value = colon + 1, *value_end = line_end;

          trim (&value, &value_end);
          framing_field = TRUE;
          if (name_is (line, colon - line, "content-length"))
            {
              n_lengths++;
              length = value;
              length_end = value_end;
            }
          else if (name_is (line, colon - line, "transfer-encoding"))
            {
              n_encodings++;
              chunked = name_is (value, value_end - value, "chunked");
            }
          else
            framing_field = FALSE;
        }
      else
        framing_field = FALSE;   /* a line libsoup ignores */
      line = line_end + 1;
    }

  if (n_encodings > 0)
    {
      /* Ambiguous framing: the server answers 400 and closes. */
      self->state = (n_encodings == 1 && chunked && n_lengths == 0) ? CHUNK_SIZE : UNCHECKED;
      return TRUE;
    }
  if (n_lengths == 0)
    {
      self->state = HEAD;
      return TRUE;
    }
  if (n_lengths > 1 || memchr (length, ',', length_end - length) != NULL)
    {
      self->state = UNCHECKED;
      return TRUE;
    }
  if (length == length_end || length_end - length > MAX_SIZE_DIGITS ||
      strspn (length, "0123456789") < (gsize) (length_end - length))
    {
      *reason = "a Content-Length that is not a number";
      return FALSE;
    }
  self->remaining = g_ascii_strtoull (length, NULL, 10);
  self->state = self->remaining > 0 ? BODY : HEAD;
  return TRUE;
}

/* The head in self->line is complete. */
static gboolean
head_read (AsgirefRequestFraming  *self,
           const char            **reason)
{
  char *line = (char *) memchr (self->line->str, '\n', self->line->len) + 1;
  char *end = self->line->str + self->line->len;
  gboolean ok;
  char *nul;

  /* libsoup drops NUL bytes from field lines before it reads them. */
  while ((nul = memchr (line, '\0', end - line)) != NULL)
    {
      memmove (nul, nul + 1, end - nul - 1);
      end--;
    }

  ok = head_parse (self, self->line->str, end, reason);
  g_string_truncate (self->line, 0);
  self->line_start = 0;
  return ok;
}

/* How long the head at the start of @data is, through the blank line that
 * ends it (one after something, as libsoup has it); 0 when it does not
 * end within @size bytes. */
static gsize
whole_head_length (const guint8 *data,
                   gsize         size)
{
  const guint8 *end = data + size;
  const guint8 *line = memchr (data, '\n', size);

  if (line == NULL)
    return 0;
  for (line++; line < end;)
    {
      const guint8 *lf = memchr (line, '\n', end - line);

      if (lf == NULL)
        return 0;
      if (is_blank ((const char *) line, lf - line))
        return lf + 1 - data;
      line = lf + 1;
    }
  return 0;
}

/* A line of chunked framing is complete, in self->line. */
static gboolean
chunk_line_read (AsgirefRequestFraming  *self,
                 const char            **reason)
{
  const char *line = self->line->str;
  gsize length = self->line->len - 1;   /* without its LF */
  gsize digits;

  switch (self->state)
    {
    case CHUNK_SIZE:
      /* chunk-size [ BWS ";" chunk-ext ] */
      digits = strspn (line, "0123456789abcdefABCDEF");
      if (digits == 0 || digits > MAX_SIZE_DIGITS)
        {
          *reason = "a chunk size that is not a hexadecimal number";
          return FALSE;
        }
      if (!is_blank (line + digits, length - digits))
        {
          gsize ext = digits + strspn (line + digits, " \t");

          if (line[ext] != ';')
            {
              *reason = "a chunk size that is not a hexadecimal number";
              return FALSE;
            }
        }
      self->remaining = g_ascii_strtoull (line, NULL, 16);
      self->state = self->remaining > 0 ? CHUNK_DATA : TRAILER;
      break;

    case CHUNK_END:
      if (!is_blank (line, length))
        {
          *reason = "a chunk longer than its size";
          return FALSE;
        }
      self->state = CHUNK_SIZE;
      break;

    case TRAILER:
      /* libsoup 3.2 ends the body at the first line after the last chunk,
       * and would read the rest of a trailer section as a request. */
      if (!is_blank (line, length))
        {
          *reason = "trailer fields, which libsoup cannot read";
          return FALSE;
        }
      self->state = HEAD;
      break;

    default:
      g_assert_not_reached ();
    }

  g_string_truncate (self->line, 0);
  return TRUE;
}

gboolean
_asgiref_request_framing_feed (AsgirefRequestFraming  *self,
                               const guint8           *data,
                               gsize                   size,
                               const char            **reason)
{
  while (size > 0)
    {
      const guint8 *lf;
      gsize take;

      switch (self->state)
        {
        case HEAD:
          /* A whole head in one read, the common case, is read where it
           * is; one in pieces, or with NUL bytes, is put together first. */
          if (self->line->len == 0)
            {
              take = whole_head_length (data, size);
              if (take > 0 && take <= MAX_HEAD && memchr (data, '\0', take) == NULL)
                {
                  if (!head_parse (self, (const char *) data, (const char *) data + take, reason))
                    return FALSE;
                  data += take;
                  size -= take;
                  break;
                }
            }
          lf = memchr (data, '\n', size);
          take = lf != NULL ? (gsize) (lf - data) + 1 : size;
          if (self->line->len + take > MAX_HEAD)
            {
              self->state = UNCHECKED;
              return TRUE;
            }
          g_string_append_len (self->line, (const char *) data, take);
          data += take;
          size -= take;
          if (lf == NULL)
            break;
          /* libsoup ends the head at a blank line after something. */
          if (self->line_start > 0 &&
              is_blank (self->line->str + self->line_start, self->line->len - self->line_start - 1))
            {
              if (!head_read (self, reason))
                return FALSE;
            }
          else
            self->line_start = self->line->len;
          break;

        case BODY:
        case CHUNK_DATA:
          take = MIN (size, self->remaining);
          data += take;
          size -= take;
          self->remaining -= take;
          if (self->remaining == 0)
            self->state = self->state == BODY ? HEAD : CHUNK_END;
          break;

        case CHUNK_SIZE:
        case CHUNK_END:
        case TRAILER:
          lf = memchr (data, '\n', size);
          take = lf != NULL ? (gsize) (lf - data) + 1 : size;
          if (self->line->len + take > MAX_CHUNK_LINE)
            {
              *reason = "a chunk's line longer than 128 bytes";
              return FALSE;
            }
          g_string_append_len (self->line, (const char *) data, take);
          data += take;
          size -= take;
          if (lf != NULL && !chunk_line_read (self, reason))
            return FALSE;
          break;

        case UNCHECKED:
          return TRUE;

        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}
