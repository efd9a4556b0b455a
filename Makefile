# excite - build, test, demo. `make help` lists the targets.
# Conventions (so new files need no Makefile edit):
#   c/*.c except c/main.c, c/cli_*.c   the core library (c/gemm_<isa>.c get their ISA flags below)
#   c/main.c, c/cli_*.c         the command-line program (not in the WebAssembly builds)
#   tests/test_*.c              C tests, each linked with the core; run by `make test`
#   tests/test_cli.sh, tests/test_imagefolder.sh   the command-line program (listed in test-c)
#   tests/ref_*.py              PyTorch reference generators (/usr/bin/python3), run before the C tests
#   tests/*.test.mjs            Node tests of the WebAssembly modules
#   tests/browser/*.spec.mjs    headless-Chromium tests of the page

CC      ?= cc
PYTHON  ?= /usr/bin/python3
CIFAR10_DIR ?= data/cifar10
# Absolute, so tests that work in a temporary folder find the data too.
override CIFAR10_DIR := $(abspath $(CIFAR10_DIR))
THREADS ?= 2
export CIFAR10_DIR

WARN    = -std=c11 -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += $(WARN) -ffp-contract=off -Ic
LDLIBS  = -lm -lpthread

CLI_SRC  = c/main.c $(wildcard c/cli_*.c)
CORE_SRC = $(filter-out $(CLI_SRC),$(wildcard c/*.c))
# headers every object depends on, the vendored stb_image among them
CORE_HDR = $(filter-out c/cli.h,$(wildcard c/*.h)) third_party/stb/stb_image.h third_party/stb/stb_image_write.h
BUILD    = build
NATIVE_OBJ = $(patsubst c/%.c,$(BUILD)/native/%.o,$(CORE_SRC))
ASAN_OBJ   = $(patsubst c/%.c,$(BUILD)/asan/%.o,$(CORE_SRC))
C_TESTS    = $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all help native test test-c test-asan test-wasm test-browser test-fuzz test-data refs deps data demo-data demo site wasm wasm-check bench weights fuzz fuzz-ci clean
all: native

help:
	@echo "make demo      serve the page on localhost (builds nothing; the modules are committed)"
	@echo "make site      write build/site/, the page as a folder any static host serves (GitHub Pages, ...)"
	@echo "make test      install what is missing, then run every test"
	@echo "make native    build the command-line program build/excite"
	@echo "make wasm      rebuild the WebAssembly modules into wasm/dist/ (committed)"
	@echo "make wasm-check  fail if the committed wasm/dist/ modules are stale"
	@echo "make bench     speed table: native, WebAssembly, PyTorch, TensorFlow.js"
	@echo "make data      download and check CIFAR-10 into data/cifar10/"
	@echo "make demo-data rebuild the committed demo subset web/data/cifar10-demo/ from CIFAR10_DIR"
	@echo "make weights   train the shipped weights (60 epochs per model; times in weights/README.md)"
	@echo "make fuzz      run the fuzz targets (FUZZ_SECONDS each, default 600; fuzz-ci: 60)"

# ---- native -----------------------------------------------------------------------------
native: $(BUILD)/excite

$(BUILD)/native/%.o: c/%.c $(CORE_HDR) | $(BUILD)/native
	$(CC) $(CFLAGS) $(ISA_FLAGS) -c $< -o $@
$(BUILD)/asan/%.o: c/%.c $(CORE_HDR) | $(BUILD)/asan
	$(CC) $(WARN) -ffp-contract=off -Ic $(ASAN_FLAGS) $(ISA_FLAGS) -c $< -o $@
# ISA-specific kernels, chosen at run time (c/gemm.c)
$(BUILD)/native/gemm_avx2.o $(BUILD)/asan/gemm_avx2.o $(BUILD)/fuzz/obj/gemm_avx2.o: ISA_FLAGS = -mavx2 -mfma
$(BUILD)/native/gemm_avx512.o $(BUILD)/asan/gemm_avx512.o $(BUILD)/fuzz/obj/gemm_avx512.o: ISA_FLAGS = -mavx512f -mavx512dq -mfma
# GCC's full vectorisation cost model and sqrtf without errno let it vectorise the
# element-wise loops of Adam and the layers (no reassociation: the results are the same).
# -fvect-cost-model is GCC's own option (clang rejects it), so it goes only to GCC; clang
# defines __GNUC__ too, but also __clang__.
CC_MACROS := $(shell $(CC) -dM -E -x c /dev/null 2>/dev/null)
CC_IS_GCC := $(if $(findstring __clang__,$(CC_MACROS)),,$(findstring __GNUC__,$(CC_MACROS)))
$(BUILD)/native/optim.o $(BUILD)/native/model.o $(BUILD)/native/layers.o: ISA_FLAGS = -fno-math-errno $(if $(CC_IS_GCC),-fvect-cost-model=dynamic)

$(BUILD)/libexcite.a: $(NATIVE_OBJ)
	ar rcs $@ $^
$(BUILD)/libexcite-asan.a: $(ASAN_OBJ)
	ar rcs $@ $^

$(BUILD)/excite: $(CLI_SRC) c/cli.h $(BUILD)/libexcite.a $(CORE_HDR)
	$(CC) $(CFLAGS) $(CLI_SRC) $(BUILD)/libexcite.a -o $@ $(LDLIBS)
$(BUILD)/excite-asan: $(CLI_SRC) c/cli.h $(BUILD)/libexcite-asan.a $(CORE_HDR)
	$(CC) $(WARN) -Ic $(ASAN_FLAGS) $(CLI_SRC) $(BUILD)/libexcite-asan.a -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libexcite.a $(wildcard tests/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests $< $(BUILD)/libexcite.a -o $@ $(LDLIBS)
$(BUILD)/tests-asan/%: tests/%.c $(BUILD)/libexcite-asan.a $(wildcard tests/*.h) | $(BUILD)/tests-asan
	$(CC) $(WARN) -Ic -Itests $(ASAN_FLAGS) $< $(BUILD)/libexcite-asan.a -o $@ $(LDLIBS)

$(BUILD)/native $(BUILD)/asan $(BUILD)/tests $(BUILD)/tests-asan $(BUILD)/ref:
	mkdir -p $@

# ---- tests ------------------------------------------------------------------------------
test: deps data
	$(MAKE) test-data test-c test-asan test-wasm test-browser test-fuzz

# The committed demo subset is exactly what scripts/demo-data.sh cuts from the official batches.
test-data:
	@scripts/demo-data.sh --check

refs: | $(BUILD)/ref
	@for s in tests/ref_*.py; do [ -e "$$s" ] || continue; echo "== $$s"; $(PYTHON) $$s $(BUILD)/ref || exit 1; done

test-c: native refs $(addprefix $(BUILD)/tests/,$(C_TESTS))
	@for t in $(C_TESTS); do echo "== $$t"; $(BUILD)/tests/$$t $(BUILD)/ref || exit 1; done
	@echo "== tests/test_cli.sh"; tests/test_cli.sh $(BUILD)/excite
	@echo "== tests/test_imagefolder.sh"; tests/test_imagefolder.sh $(BUILD)/excite

# ASan + UBSan (+ LeakSanitizer) build of the C tests; SLOW_TESTS are left to test-c.
test-asan: refs $(addprefix $(BUILD)/tests-asan/,$(C_TESTS)) $(BUILD)/excite-asan
	@for t in $(C_TESTS); do echo "== asan $$t"; EXCITE_QUICK=1 $(BUILD)/tests-asan/$$t $(BUILD)/ref || exit 1; done
	@echo "== asan tests/test_cli.sh"; EXCITE_QUICK=1 tests/test_cli.sh $(BUILD)/excite-asan
	@echo "== asan tests/test_imagefolder.sh"; EXCITE_QUICK=1 tests/test_imagefolder.sh $(BUILD)/excite-asan

# (wasm/excite.mjs hands the .wasm bytes to the Emscripten loader in Node, so Node's fetch,
# which that loader cannot use on file paths, is never involved; tests may use fetch.)
test-wasm: wasm-check
	@for t in tests/*.test.mjs; do [ -e "$$t" ] || continue; echo "== $$t"; node $$t || exit 1; done

test-browser:
	@for t in tests/browser/*.spec.mjs; do [ -e "$$t" ] || continue; echo "== $$t"; node $$t || exit 1; done

# Install what is missing (apt, npm); prints what it installs.
deps:
	@scripts/setup.sh

# ---- data -------------------------------------------------------------------------------
data:
	@scripts/get-data.sh "$(CIFAR10_DIR)"

# web/data/cifar10-demo/: the first 5,000 training and 1,000 test records (committed)
demo-data:
	@scripts/demo-data.sh

# ---- fuzzing: libFuzzer targets fuzz/fuzz_<name>.c over the core (see fuzz/run.sh) ---------
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_NAMES    = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_FLAGS    = -std=c11 -Wall -Wextra -ffp-contract=off -Ic -O1 -g -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ      = $(patsubst c/%.c,$(BUILD)/fuzz/obj/%.o,$(CORE_SRC))
FUZZ_BINS     = $(addprefix $(BUILD)/fuzz/bin/fuzz_,$(FUZZ_NAMES))

$(BUILD)/fuzz/obj/%.o: c/%.c $(CORE_HDR) | $(BUILD)/fuzz/obj
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(ISA_FLAGS) -c $< -o $@
$(BUILD)/libexcite-fuzz.a: $(FUZZ_OBJ)
	ar rcs $@ $^
$(BUILD)/fuzz/bin/fuzz_%: fuzz/fuzz_%.c $(BUILD)/libexcite-fuzz.a | $(BUILD)/fuzz/bin
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(BUILD)/libexcite-fuzz.a -o $@ $(LDLIBS)
$(BUILD)/fuzz/obj $(BUILD)/fuzz/bin:
	mkdir -p $@

# make fuzz: each target FUZZ_SECONDS (FUZZ_ONLY="cifar image" picks targets); fuzz-ci / test-fuzz: replay the committed inputs, then 60 s each.
fuzz: $(FUZZ_BINS)
	fuzz/run.sh $(BUILD)/fuzz/bin $(FUZZ_SECONDS) $(FUZZ_ONLY)
fuzz-ci test-fuzz: $(FUZZ_BINS)
	fuzz/run.sh $(BUILD)/fuzz/bin 60

# ---- WebAssembly (wasm/README.md) ---------------------------------------------------------
# Three builds of the core + wasm/api.c: SIMD128 + pthreads (cross-origin isolated pages),
# SIMD128, and plain. The outputs in wasm/dist/ are committed; emcc output is reproducible,
# so wasm-check rebuilds into build/ and compares bytes. Notes: pthreads + memory growth
# makes JS heap views re-check their buffer (slower JS access, wasm code unaffected); the
# threads build starts a pool of up to 15 workers (16 threads, below). No -ffast-math.
EMCC      ?= emcc
EMCC_ENV   = NODE_PATH=$${NODE_PATH:-/usr/share/nodejs}
WASM_SRC   = $(CORE_SRC) wasm/api.c
WASM_DEPS  = $(WASM_SRC) $(CORE_HDR) wasm/node-compat.js
WASM_DIST  = wasm/dist
WASM_CFLAGS = -O3 $(WARN) -ffp-contract=off -Ic -DNDEBUG
WASM_LDFLAGS = -sMODULARIZE -sEXPORT_ES6 -sEXPORT_NAME=createExciteModule \
	-sENVIRONMENT=web,worker,node -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=32MB \
	-sMAXIMUM_MEMORY=2GB -sFILESYSTEM=0 -sEXPORTED_FUNCTIONS=_malloc,_free \
	--extern-pre-js wasm/node-compat.js
# Pool: the loader's excitePoolSize (wasm/excite.mjs: the threads it will ask for, minus
# the calling one), else navigator.hardwareConcurrency - 1, else 1; at most 15 (16 threads).
# c/threads.c never asks for more threads than the pool holds: a pthread_create beyond it
# would only start when the calling thread returns to the event loop, so the first job
# would wait for it forever.
WASM_POOL_EXPR = Math.max(0,Math.min(15,Module.excitePoolSize>=0?Module.excitePoolSize:(globalThis.navigator&&navigator.hardwareConcurrency||2)-1))
WASM_SIMD_THREADS = -msimd128 -pthread '-sPTHREAD_POOL_SIZE=$(WASM_POOL_EXPR)' -Wno-pthreads-mem-growth
WASM_BUILDS = simd-threads simd plain

wasm: $(foreach b,$(WASM_BUILDS),$(WASM_DIST)/excite-$(b).mjs)

$(WASM_DIST)/excite-simd-threads.mjs $(BUILD)/wasm-check/excite-simd-threads.mjs: WASM_FLAGS = $(WASM_SIMD_THREADS)
$(WASM_DIST)/excite-simd.mjs $(BUILD)/wasm-check/excite-simd.mjs: WASM_FLAGS = -msimd128
$(WASM_DIST)/excite-plain.mjs $(BUILD)/wasm-check/excite-plain.mjs: WASM_FLAGS =

WASM_LINK = @mkdir -p $(dir $@) && echo "emcc $@" && \
	$(EMCC_ENV) $(EMCC) $(WASM_CFLAGS) $(WASM_FLAGS) $(WASM_LDFLAGS) $(WASM_SRC) -o $@
$(WASM_DIST)/excite-%.mjs: $(WASM_DEPS)
	$(WASM_LINK)
$(BUILD)/wasm-check/excite-%.mjs: $(WASM_DEPS)
	$(WASM_LINK)

# Rebuild into build/wasm-check/ and compare with the committed modules.
wasm-check:
	@rm -rf $(BUILD)/wasm-check
	@$(MAKE) --no-print-directory $(foreach b,$(WASM_BUILDS),$(BUILD)/wasm-check/excite-$(b).mjs) >/dev/null
	@stale=0; for f in $(BUILD)/wasm-check/*; do \
	  d=$(WASM_DIST)/$$(basename $$f); \
	  cmp -s $$f $$d || { echo "wasm-check: $$d is stale or missing (run make wasm and commit wasm/dist/)"; stale=1; }; \
	done; [ $$stale = 0 ] && echo "wasm-check: wasm/dist/ matches the sources"

# ---- bench (bench/run.mjs prints the table and writes bench/results.json) ----------------
# Its own WebAssembly builds of the core + bench/bench_model.c, run in Node (not the page's).
BENCH_WASM = $(foreach v,simd simd_threads plain,$(BUILD)/bench/bench_model_$(v).js)
BENCH_WASM_LD = --js-library bench/cpu_time.js -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=2GB -sENVIRONMENT=node,worker
# BENCH_BASE: the commit the current build is compared with, built by its own Makefile in
# $(BUILD)/bench-base/ (skipped, with a message, if this clone does not have it).
BENCH_BASE ?= 17bbef4
bench: $(BUILD)/bench/bench_model $(BUILD)/bench/bench_gemm $(BENCH_WASM) bench-base
	@[ -d node_modules/@tensorflow/tfjs-backend-wasm ] || scripts/setup.sh
	BENCH_BASE=$(BENCH_BASE) node bench/run.mjs

.PHONY: bench-base
bench-base:
	@if git rev-parse -q --verify "$(BENCH_BASE)^{commit}" >/dev/null; then \
	  d=$(BUILD)/bench-base/$(BENCH_BASE); \
	  if [ ! -f $$d/Makefile ]; then rm -rf $$d && mkdir -p $$d && git archive $(BENCH_BASE) | tar -x -C $$d; fi; \
	  $(MAKE) --no-print-directory -C $$d build/bench/bench_model build/bench/bench_model_simd.js; \
	else echo "bench: commit $(BENCH_BASE) is not in this clone: no baseline"; fi

$(BUILD)/bench/bench_%: bench/bench_%.c $(BUILD)/libexcite.a | $(BUILD)/bench
	$(CC) $(CFLAGS) $< $(BUILD)/libexcite.a -o $@ $(LDLIBS)
$(BUILD)/bench/bench_model_simd.js: BENCH_FLAGS = -msimd128
$(BUILD)/bench/bench_model_simd_threads.js: BENCH_FLAGS = -msimd128 -pthread -sPTHREAD_POOL_SIZE=2 -sEXIT_RUNTIME=1 -Wno-pthreads-mem-growth
$(BUILD)/bench/bench_model_plain.js: BENCH_FLAGS =
$(BENCH_WASM): bench/bench_model.c bench/cpu_time.js $(CORE_SRC) $(CORE_HDR) | $(BUILD)/bench
	$(EMCC_ENV) $(EMCC) $(WASM_CFLAGS) $(BENCH_FLAGS) $(BENCH_WASM_LD) $(CORE_SRC) $< -o $@
$(BUILD)/bench:
	mkdir -p $@

# ---- pretrained weights (by hand, not in CI; scripts/train-weights.sh) -------------------
weights:
	EPOCHS=$(EPOCHS) THREADS=$(THREADS) scripts/train-weights.sh

# ---- web --------------------------------------------------------------------------------
demo:
	@scripts/setup.sh --demo
	node scripts/serve.mjs

# build/site/: the page, modules, weights and demo subset for any static host (scripts/site.mjs)
site:
	node scripts/site.mjs $(BUILD)/site

clean:
	rm -rf $(BUILD)
