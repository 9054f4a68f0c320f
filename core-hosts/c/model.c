/* The reference model in C (see model.h); test/core/model.ts is the original, line by line. */

#include "model.h"

#include <stdlib.h>
#include <string.h>

static void* grow(void* p, size_t size) {
  void* q = realloc(p, size);
  if (!q) abort();
  return q;
}

void model_init(model* m, uint32_t capacity, uint32_t head_size, uint32_t line_max) {
  memset(m, 0, sizeof *m);
  m->capacity = capacity;
  m->head_size = head_size;
  m->line_max = line_max;
}

void model_free(model* m) {
  free(m->stream);
  free(m->queue);
  memset(m, 0, sizeof *m);
}

static void push(model* m, int kind, size_t start, size_t len) {
  if (m->queue_head > 0 && m->queue_head == m->queue_len) m->queue_head = m->queue_len = 0;
  if (m->queue_len == m->queue_room) {
    m->queue_room = m->queue_room ? 2 * m->queue_room : 64;
    m->queue = grow(m->queue, m->queue_room * sizeof *m->queue);
  }
  m->queue[m->queue_len++] = (model_frame){kind, start, len};
}

/* Ends the unfinished line as a frame of `kind`; the next line starts at `next`. */
static void emit(model* m, int kind, size_t next) {
  push(m, kind, m->line_start, m->line_len);
  m->line_start = next;
  m->line_len = 0;
}

size_t model_hold_back(const uint8_t* bytes, size_t n) {
  for (size_t i = 1; i <= 3 && i <= n; i++) {
    uint8_t b = bytes[n - i];
    if ((b & 0xc0) == 0x80) continue;
    size_t need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
    return need > i ? i : 0;
  }
  return 0;
}

void model_write(model* m, const uint8_t* bytes, size_t n) {
  if (m->seen + n > m->room) {
    m->room = m->seen + n > 2 * m->room ? m->seen + n : 2 * m->room;
    m->stream = grow(m->stream, m->room);
  }
  if (n > 0) memcpy(m->stream + m->seen, bytes, n);
  for (size_t i = 0; i < n; i++) {
    size_t at = m->seen + i;
    uint8_t b = bytes[i];
    if (m->pending_cr) {
      m->pending_cr = 0;
      if (b == '\n') {
        emit(m, 2, at + 1); /* CRLF */
        continue;
      }
      emit(m, 3, at); /* CR */
    }
    if (b == '\n') {
      emit(m, 1, at + 1);
    } else if (b == '\r') {
      m->pending_cr = 1;
    } else if (++m->line_len == m->line_max) {
      size_t held = model_hold_back(m->stream + m->line_start, m->line_len);
      push(m, 4, m->line_start, m->line_len - held); /* CUT */
      m->line_start += m->line_len - held;
      m->line_len = held;
    }
  }
  m->seen += n;
}

void model_flush(model* m, int final) {
  if (m->pending_cr) {
    if (final) {
      m->pending_cr = 0;
      emit(m, 3, m->seen);
    } else if (m->line_len > 0) {
      /* The CR stays pending: the line after it starts where it lies. */
      push(m, 5, m->line_start, m->line_len);
      m->line_start += m->line_len;
      m->line_len = 0;
    }
  } else if (m->line_len > 0) {
    size_t held = final ? 0 : model_hold_back(m->stream + m->line_start, m->line_len);
    if (m->line_len > held) {
      push(m, 5, m->line_start, m->line_len - held);
      m->line_start += m->line_len - held;
      m->line_len = held;
    }
  }
}

const model_frame* model_next(const model* m) { return m->queue_head < m->queue_len ? &m->queue[m->queue_head] : NULL; }

void model_take(model* m) {
  if (m->queue_head < m->queue_len) m->queue_head++;
}

/* A terminal's view of one line: CRs at its end dropped, then only the last CR segment. */
static size_t render_line(const uint8_t* line, size_t n, int has_lf, uint8_t* out) {
  while (n > 0 && line[n - 1] == '\r') n--;
  size_t from = n;
  while (from > 0 && line[from - 1] != '\r') from--;
  memmove(out, line + from, n - from);
  size_t w = n - from;
  if (has_lf) out[w++] = '\n';
  return w;
}

static size_t render(const uint8_t* bytes, size_t n, uint8_t* out) {
  size_t w = 0, start = 0;
  for (size_t i = 0; i < n; i++) {
    if (bytes[i] != '\n') continue;
    w += render_line(bytes + start, i - start, 1, out + w);
    start = i + 1;
  }
  if (start < n) w += render_line(bytes + start, n - start, 0, out + w);
  return w;
}

void model_snapshot(const model* m, uint8_t* out, size_t* head_len, size_t* tail_len, uint64_t* omitted) {
  const uint8_t* all = m->stream;
  size_t capacity = m->capacity, head_size = m->head_size, seen = m->seen;
  if (seen <= capacity + head_size) {
    *head_len = 0;
    *tail_len = seen ? render(all, seen, out) : 0;
    *omitted = 0;
    return;
  }
  size_t window = capacity / 4 < 1024 ? capacity / 4 : 1024;
  size_t head_end = head_size - model_hold_back(all, head_size);
  for (size_t i = head_end; i > 0 && i + window > head_end; i--) {
    if (all[i - 1] == '\n') {
      head_end = i;
      break;
    }
  }
  const uint8_t* tail = all + seen - capacity;
  size_t start = 0;
  while (start < 3 && start < capacity && (tail[start] & 0xc0) == 0x80) start++;
  for (size_t i = start; i < capacity && i < start + window; i++) {
    if (tail[i] == '\n') {
      start = i + 1;
      break;
    }
  }
  *head_len = render(all, head_end, out);
  *tail_len = render(tail + start, capacity - start, out + *head_len);
  *omitted = (uint64_t)(seen - capacity + start - head_end);
}
