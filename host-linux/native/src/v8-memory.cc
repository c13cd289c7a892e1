// The one call berth needs from V8's own API: N-API has no way to ask for a collection that also shrinks
// the heap, and a plain full GC (gc()) leaves the young generation at its largest size.
#include <node_api.h>
#include <v8.h>

extern "C" napi_value berth_low_memory_notification(napi_env env, napi_callback_info info);

// lowMemoryNotification(): V8's collection of everything collectable, with the heap shrunk after it (young
// generation back to its initial size, empty pages unmapped) — what V8's own memory reducer does once a
// process has been idle for a while, done at once.
napi_value berth_low_memory_notification(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->LowMemoryNotification();
  return nullptr;
}
