// cpu_time.js - Emscripten JS library for bench/bench_model.c: CPU seconds of the Node
// process (user + system), the WebAssembly counterpart of CLOCK_THREAD_CPUTIME_ID.
mergeInto(LibraryManager.library, {
  bench_cpu_seconds: function () {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1e-6;
  },
});
