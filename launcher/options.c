#include "options.h"

#include <stdlib.h>
#include <string.h>

/* host/options.ts DEFAULT_DRAIN_TIMEOUT_MS and MAX_TIMER_MS. */
#define DEFAULT_DRAIN_TIMEOUT_MS 100u
#define MAX_TIMER_MS 2147483647u

/* A whole number of milliseconds as args.ts takes it: 1 to 10 digits, at most MAX_TIMER_MS. */
static bool milliseconds(const char* text, uint32_t* out) {
  size_t n = strlen(text);
  if (n == 0 || n > 10) return false;
  uint64_t value = 0;
  for (size_t i = 0; i < n; i++) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (uint64_t)(text[i] - '0');
  }
  if (value > MAX_TIMER_MS) return false;
  *out = (uint32_t)value;
  return true;
}

static bool valued(const char* name) {
  return strcmp(name, "--rsh") == 0 || strcmp(name, "--drain-timeout") == 0 || strcmp(name, "--stall-timeout") == 0 ||
         strcmp(name, "--sanitize") == 0;
}

bool read_options(int argc, char** argv, struct options* out) {
  out->rsh = NULL;
  out->quiet_stderr = false;
  out->sanitize = SANITIZE_AUTO;
  out->drain_timeout_ms = DEFAULT_DRAIN_TIMEOUT_MS;
  int i = 0;
  for (; i < argc; i++) {
    const char* arg = argv[i];
    if (strcmp(arg, "--") == 0) {
      i++;
      break;
    }
    if (strncmp(arg, "--", 2) != 0) break;
    char name[32];
    const char* eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (name_len >= sizeof name) return false; /* unknown: the Node command names it */
    memcpy(name, arg, name_len);
    name[name_len] = '\0';
    const char* value = eq ? eq + 1 : NULL;
    if (valued(name) && value == NULL) {
      if (i + 1 >= argc) return false;
      value = argv[++i];
    } else if (!valued(name) && value != NULL) {
      return false;
    }
    if (strcmp(name, "--rsh") == 0) {
      out->rsh = value;
    } else if (strcmp(name, "--quiet-stderr") == 0) {
      out->quiet_stderr = true;
    } else if (strcmp(name, "--sanitize") == 0) {
      if (strcmp(value, "auto") == 0)
        out->sanitize = SANITIZE_AUTO;
      else if (strcmp(value, "always") == 0)
        out->sanitize = SANITIZE_ALWAYS;
      else if (strcmp(value, "never") == 0)
        out->sanitize = SANITIZE_NEVER;
      else
        return false;
    } else if (strcmp(name, "--drain-timeout") == 0) {
      if (!milliseconds(value, &out->drain_timeout_ms)) return false;
    } else if (strcmp(name, "--stall-timeout") == 0) {
      /* The watchdog sees the bytes move only in Node; 0 means none. */
      uint32_t ms;
      if (!milliseconds(value, &ms) || ms != 0) return false;
    } else {
      return false; /* --help, --version, unknown */
    }
  }
  out->args = argv + i;
  out->arg_count = argc - i;
  return out->arg_count > 0;
}
