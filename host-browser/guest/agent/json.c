/* A small JSON reader for the agent's control requests: parses into a flat pre-order token array
 * (as jsmn does) so a request needs no allocation per value; strings are unescaped on demand. */
#include "agent.h"

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

static const char *parse_value(struct json *j, const char *p, int depth);

static int add_tok(struct json *j, int type, const char *start) {
  if (j->n >= JSON_MAX_TOKENS) return -1;
  struct json_tok *t = &j->tok[j->n];
  t->type = type; t->start = (int)(start - j->src); t->end = t->start; t->size = 0; t->next = 0;
  return j->n++;
}

static const char *parse_string_end(const char *p) {
  /* p points after the opening quote */
  while (*p && *p != '"') {
    if (*p == '\\') { if (!p[1]) return NULL; p += 2; } else p++;
  }
  return *p == '"' ? p : NULL;
}

static const char *parse_value(struct json *j, const char *p, int depth) {
  if (depth > 32) return NULL;
  p = skip_ws(p);
  int i;
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    i = add_tok(j, *p == '{' ? J_OBJ : J_ARR, p);
    if (i < 0) return NULL;
    p = skip_ws(p + 1);
    if (*p == close) { p++; goto done; }
    for (;;) {
      if (close == '}') {
        p = skip_ws(p);
        if (*p != '"') return NULL;
        p = parse_value(j, p, depth + 1);
        if (!p) return NULL;
        p = skip_ws(p);
        if (*p++ != ':') return NULL;
      }
      p = parse_value(j, p, depth + 1);
      if (!p) return NULL;
      j->tok[i].size++;
      p = skip_ws(p);
      if (*p == ',') { p++; continue; }
      if (*p == close) { p++; break; }
      return NULL;
    }
  } else if (*p == '"') {
    i = add_tok(j, J_STR, p + 1);
    if (i < 0) return NULL;
    const char *e = parse_string_end(p + 1);
    if (!e) return NULL;
    j->tok[i].end = (int)(e - j->src);
    p = e + 1;
    j->tok[i].next = j->n;
    return p;
  } else {
    i = add_tok(j, J_PRIM, p);
    if (i < 0) return NULL;
    while (*p && !strchr(",]} \t\r\n", *p)) p++;
    if ((int)(p - j->src) == j->tok[i].start) return NULL;
    j->tok[i].end = (int)(p - j->src);
    j->tok[i].next = j->n;
    return p;
  }
done:
  j->tok[i].end = (int)(p - j->src);
  j->tok[i].next = j->n;
  return p;
}

int json_parse(struct json *j, const char *src) {
  j->src = src; j->n = 0;
  const char *p = parse_value(j, src, 0);
  if (!p || *skip_ws(p)) return -1;
  return 0;
}

int json_get(struct json *j, int obj, const char *key) {
  if (obj < 0 || j->tok[obj].type != J_OBJ) return -1;
  int i = obj + 1;
  size_t klen = strlen(key);
  for (int k = 0; k < j->tok[obj].size; k++) {
    struct json_tok *t = &j->tok[i];
    if ((size_t)(t->end - t->start) == klen && !memcmp(j->src + t->start, key, klen)) return i + 1;
    i = j->tok[i + 1].next;
  }
  return -1;
}

/* The n-th element of an array. */
int json_at(struct json *j, int arr, int n) {
  if (arr < 0 || j->tok[arr].type != J_ARR || n >= j->tok[arr].size) return -1;
  int i = arr + 1;
  while (n--) i = j->tok[i].next;
  return i;
}

static void put_utf8(char **o, unsigned c) {
  char *q = *o;
  if (c < 0x80) *q++ = (char)c;
  else if (c < 0x800) { *q++ = (char)(0xc0 | c >> 6); *q++ = (char)(0x80 | (c & 63)); }
  else { *q++ = (char)(0xe0 | c >> 12); *q++ = (char)(0x80 | ((c >> 6) & 63)); *q++ = (char)(0x80 | (c & 63)); }
  *o = q;
}

/* A malloc'd copy of a string token (unescaped), or of `def` when the token is absent or not a string. */
char *json_str(struct json *j, int t, const char *def) {
  if (t < 0 || j->tok[t].type != J_STR) return def ? xstrdup(def) : NULL;
  const char *p = j->src + j->tok[t].start, *e = j->src + j->tok[t].end;
  char *out = xmalloc((size_t)(e - p) + 1), *o = out;
  while (p < e) {
    if (*p != '\\') { *o++ = *p++; continue; }
    p++;
    switch (*p) {
      case 'n': *o++ = '\n'; break;
      case 't': *o++ = '\t'; break;
      case 'r': *o++ = '\r'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'u': {
        unsigned c = 0;
        for (int k = 1; k <= 4 && p[k]; k++) c = c * 16 + (unsigned)(isdigit((unsigned char)p[k]) ? p[k] - '0' : (tolower((unsigned char)p[k]) - 'a' + 10));
        put_utf8(&o, c);
        p += 4;
        break;
      }
      default: *o++ = *p;
    }
    p++;
  }
  *o = 0;
  return out;
}

long long json_num(struct json *j, int t, long long def) {
  if (t < 0 || j->tok[t].type != J_PRIM) return def;
  const char *p = j->src + j->tok[t].start;
  if (!strncmp(p, "true", 4)) return 1;
  if (!strncmp(p, "false", 5) || !strncmp(p, "null", 4)) return def;
  return strtoll(p, NULL, 10);
}

/* A NULL-terminated malloc'd array of the strings of an array token. */
char **json_strv(struct json *j, int arr) {
  int n = arr >= 0 && j->tok[arr].type == J_ARR ? j->tok[arr].size : 0;
  char **v = xmalloc(sizeof(char *) * (size_t)(n + 1));
  for (int k = 0; k < n; k++) v[k] = json_str(j, json_at(j, arr, k), "");
  v[n] = NULL;
  return v;
}

void strv_free(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

/* Appends s as a JSON string literal to buf (size cap). */
void json_quote(char *buf, size_t cap, const char *s) {
  size_t n = strlen(buf);
  if (n + 2 >= cap) return;
  buf[n++] = '"';
  for (; *s && n + 8 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { buf[n++] = '\\'; buf[n++] = (char)c; }
    else if (c < 0x20) n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", c);
    else buf[n++] = (char)c;
  }
  buf[n++] = '"';
  buf[n] = 0;
}
