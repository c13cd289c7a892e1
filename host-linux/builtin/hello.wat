;; The hello-wasm image's program: a WASI preview1 module that greets, echoes its arguments like `echo` (so
;; `berth run hello-wasm a b` shows that arguments reach a wasm container) and exits 0.
;; Memory: 0..7 one iovec, 8 bytes written, 16 argc, 20 size of the argument strings, 32 " " and "\n",
;; 1024 the greeting (NUL-terminated), 4096 onwards argv pointers then the argument strings.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (data (i32.const 32) " \n")
  (data (i32.const 1024)
    "\nHello from WebAssembly!\n"
    "This message comes from /hello.wasm, a WASI module in the \"hello-wasm\" image\n"
    "(platform wasi/wasm). berth ran it in a WebAssembly runtime instead of as a\n"
    "Linux process: the same image runs wherever berth does.\n"
    "\n"
    "Give it arguments and it echoes them back:\n"
    " $ berth run hello-wasm one two three\n"
    "\n\00")

  ;; Writes all of [ptr, ptr+len) to stdout; a failing stdout ends the program with status 1.
  (func $write (param $ptr i32) (param $len i32)
    (local $n i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (local.set $n (i32.load (i32.const 8)))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $more))))

  (func $strlen (param $p i32) (result i32)
    (local $q i32)
    (local.set $q (local.get $p))
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $next)))
    (i32.sub (local.get $q) (local.get $p)))

  ;; Grows memory so that [0, end) is addressable: the arguments can be longer than the first page holds.
  (func $reserve (param $end i32)
    (local $have i32)
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.div_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                                      (i32.const 65536)))
              (i32.const -1))
          (then (call $proc_exit (i32.const 1)))))))

  (func (export "_start")
    (local $argc i32) (local $buf i32) (local $i i32) (local $arg i32)
    (call $write (i32.const 1024) (call $strlen (i32.const 1024)))
    (if (call $args_sizes_get (i32.const 16) (i32.const 20)) (then (call $proc_exit (i32.const 1))))
    (local.set $argc (i32.load (i32.const 16)))
    (if (i32.gt_u (local.get $argc) (i32.const 1))
      (then
        (local.set $buf (i32.add (i32.const 4096) (i32.mul (local.get $argc) (i32.const 4))))
        (call $reserve (i32.add (local.get $buf) (i32.load (i32.const 20))))
        (if (call $args_get (i32.const 4096) (local.get $buf)) (then (call $proc_exit (i32.const 1))))
        ;; argv[0] is the program's own name; echo the rest separated by spaces.
        (local.set $i (i32.const 1))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
            (if (i32.gt_u (local.get $i) (i32.const 1)) (then (call $write (i32.const 32) (i32.const 1))))
            (local.set $arg (i32.load (i32.add (i32.const 4096) (i32.mul (local.get $i) (i32.const 4)))))
            (call $write (local.get $arg) (call $strlen (local.get $arg)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (call $write (i32.const 33) (i32.const 1))))
    (call $proc_exit (i32.const 0)))
)
