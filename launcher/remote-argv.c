#include "remote-argv.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHAIN_VARIABLE "RSH_TRANSPORT_CHAIN"
#define DEFAULT_RSH_VARIABLE "RSH_TRANSPORT_RSH"
#define MAX_DEPTH 8

/* rsync's split: spaces separate words, ' and " quote (the other one literal inside, a doubled
 * one gives itself), no backslash. Returns the word count, or -1 for an unclosed quote. */
static int split_rsh(const char* command, char** words, int max_words) {
  int count = 0;
  size_t n = strlen(command);
  /* Every word and its NUL in one buffer: at most n bytes of words and n/2+1 NULs. */
  char* buffer = malloc(2 * n + 2);
  if (!buffer) return -1;
  char* next = buffer;
  size_t i = 0;
  while (i < n) {
    if (command[i] == ' ') {
      i++;
      continue;
    }
    char* word = next;
    size_t len = 0;
    char quote = 0;
    while (i < n && (command[i] != ' ' || quote)) {
      char c = command[i];
      if (c == '\'' || c == '"') {
        if (!quote) {
          quote = c;
          i++;
          continue;
        }
        if (c == quote) {
          if (i + 1 < n && command[i + 1] == quote) {
            word[len++] = quote;
            i += 2;
            continue;
          }
          quote = 0;
          i++;
          continue;
        }
      }
      word[len++] = c;
      i++;
    }
    word[len] = '\0';
    next = word + len + 1;
    if (quote || count >= max_words) return -1;
    words[count++] = word;
  }
  return count;
}

void chain_hash(char* const* argv, int count, char out[17]) {
  uint32_t a = 0x811c9dc5u;
  uint32_t b = 0x01000193u ^ 0x5bd1e995u;
  for (int w = 0; w < count; w++) {
    const unsigned char* p = (const unsigned char*)argv[w];
    for (size_t i = 0;; i++) {
      uint32_t c = p[i]; /* the word's bytes, then its NUL */
      a = (a ^ c) * 0x01000193u;
      b = ((b ^ c) * 0x01000193u) ^ (b >> 15);
      if (c == 0) break;
    }
  }
  snprintf(out, 17, "%08x%08x", a, b);
}

/* The real path of `file`, or NULL. */
static char* real(const char* file) { return realpath(file, NULL); }

/* Where execvp would find `word`, as a real path; NULL if nowhere. */
static char* resolve_program(const char* word) {
  if (strchr(word, '/')) return real(word);
  const char* path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  size_t word_len = strlen(word);
  const char* start = path;
  for (;;) {
    const char* end = strchr(start, ':');
    size_t dir_len = end ? (size_t)(end - start) : strlen(start);
    char candidate[PATH_MAX];
    if (dir_len + word_len + 2 < sizeof candidate) {
      if (dir_len == 0)
        snprintf(candidate, sizeof candidate, "./%s", word);
      else
        snprintf(candidate, sizeof candidate, "%.*s/%s", (int)dir_len, start, word);
      struct stat st;
      if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0) return real(candidate);
    }
    if (!end) return NULL;
    start = end + 1;
  }
}

/* The files that are this command: the script, Node's halves next to it, this program. */
static int own_files(const char* script, char** files) {
  int count = 0;
  char* self = real(script);
  if (self) {
    files[count++] = self;
    char* slash = strrchr(self, '/');
    if (slash) {
      const char* others[] = {"/../dist/cli/bundle.js", "/../dist/cli/main.js"};
      for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
        char candidate[PATH_MAX];
        snprintf(candidate, sizeof candidate, "%.*s%s", (int)(slash - self), self, others[k]);
        char* found = real(candidate);
        if (found) files[count++] = found;
      }
    }
  }
#ifdef __linux__
  char* exe = real("/proc/self/exe");
  if (exe) files[count++] = exe;
#endif
  return count;
}

static bool names_self(char** words, int count, const char* script) {
  char* own[4] = {0};
  int owned = own_files(script, own);
  bool found = false;
  for (int i = 0; i < count && !found; i++) {
    char* resolved = NULL;
    if (i == 0)
      resolved = resolve_program(words[0]);
    else if (strchr(words[i], '/') && words[i][0] != '-' && !strchr(words[i], '='))
      resolved = real(words[i]);
    if (!resolved) continue;
    for (int k = 0; k < owned; k++) found = found || strcmp(resolved, own[k]) == 0;
    free(resolved);
  }
  for (int k = 0; k < owned; k++) free(own[k]);
  return found;
}

static bool is_chain_entry(const char* entry, size_t len) {
  if (len != 16) return false;
  for (size_t i = 0; i < len; i++) {
    char c = entry[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/* The chain this process inherited, checked against `hash`; the next one in *next. */
static bool chain_allows(const char* hash, char** next) {
  const char* chain = getenv(CHAIN_VARIABLE);
  if (!chain) chain = "";
  size_t size = strlen(CHAIN_VARIABLE) + 1 + strlen(chain) + 1 + 16 + 1;
  char* out = malloc(size);
  if (!out) return false;
  int written = snprintf(out, size, "%s=", CHAIN_VARIABLE);
  int depth = 0;
  const char* start = chain;
  for (;;) {
    const char* end = strchr(start, ',');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    if (is_chain_entry(start, len)) {
      if (memcmp(start, hash, 16) == 0) {
        free(out);
        return false;
      }
      written += snprintf(out + written, size - (size_t)written, "%.*s,", (int)len, start);
      depth++;
    }
    if (!end) break;
    start = end + 1;
  }
  if (depth >= MAX_DEPTH) {
    free(out);
    return false;
  }
  snprintf(out + written, size - (size_t)written, "%s", hash);
  *next = out;
  return true;
}

bool build_remote_argv(const struct options* options, const char* script, struct remote_argv* out) {
  const char* rsh = options->rsh;
  if (!rsh) {
    const char* variable = getenv(DEFAULT_RSH_VARIABLE);
    rsh = variable && *variable ? variable : "ssh";
  }
  size_t max_words = strlen(rsh) / 2 + 1;
  char** argv = calloc(max_words + (size_t)options->arg_count + 1, sizeof *argv);
  if (!argv) return false;
  int words = split_rsh(rsh, argv, (int)max_words);
  if (words <= 0 || argv[0][0] == '\0' || names_self(argv, words, script)) return false;
  for (int i = 0; i < options->arg_count; i++) argv[words + i] = options->args[i];
  int count = words + options->arg_count;
  char hash[17];
  chain_hash(argv, count, hash);
  if (!chain_allows(hash, &out->chain_entry)) return false;
  out->argv = argv;
  out->count = count;
  return true;
}
