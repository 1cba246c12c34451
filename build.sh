#!/usr/bin/env bash
# mobilenet-wasm build script. Installs what is missing (and skips what is there), builds pkg/,
# runs the tests, serves the demo.
#
#   ./build.sh          install missing tools, build pkg/ (the npm package)
#   ./build.sh test [SUITE...]  build, then the test suites: lint rust wasm node litert browser
#                       consumer bundlers (default: all)
#   ./build.sh demo     build, then serve www/ on http://127.0.0.1:8080/ (foreground)
#   ./build.sh bench    benchmark against tfjs-tflite and LiteRT.js in headless Chromium (warm
#                       and cold start), Firefox and WebKit (warm), plus Node, a per-layer
#                       profile and the live loop;
#                       results in bench/results/ (not a test)
#   ./build.sh soak     10,000 frames per model, a model-switch storm, 1,000 load/dispose cycles
#   ./build.sh mutate   the full one-byte mutation sweep over every model (long; CI runs a sample)
#   ./build.sh fuzz [S] cargo-fuzz each fuzz target for S seconds (default 60)
#   ./build.sh mutants [FILE...]  cargo-mutants over the portable arithmetic (long; not in CI)
#   ./build.sh models   make sure the MobileNet models are available (download if needed)
#   ./build.sh lint     the JavaScript's type check (tsc, JSDoc), cargo fmt --check and clippy
#                       -D warnings (native and wasm32)
#
# Data: models come from $MOBILENET_MODELS, else ../shared/models, else ./models (downloaded
# from TensorFlow's official URLs by `./build.sh models`). Reference outputs for the tests come
# from $MOBILENET_REFERENCE, else ../shared/reference.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

SECONDS=0
stage() { printf '\n== %s (%ss elapsed)\n' "$*" "$SECONDS"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
ensure_rust_target() {
  command -v rustup >/dev/null || die "rustup is required (https://rustup.rs)"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    stage "installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# The nightly toolchain of the threaded builds (and cargo-fuzz), pinned here and only here: the
# rustc commit it must be, and the dated toolchain rustup installs where no nightly of that
# commit is present. A plain `nightly` that is that commit is used as it is (where this was
# written rustup could not fetch a dated nightly, so the installed one was pinned by its date).
NIGHTLY_COMMIT=e50aa6fba
NIGHTLY_DATE=2026-05-20
NIGHTLY=nightly
ensure_nightly() {
  if rustup run "nightly-$NIGHTLY_DATE" rustc --version >/dev/null 2>&1; then
    NIGHTLY=nightly-$NIGHTLY_DATE
  elif rustup run nightly rustc --version 2>/dev/null | grep -q "($NIGHTLY_COMMIT "; then
    NIGHTLY=nightly
  else
    stage "installing the nightly toolchain $NIGHTLY_DATE (for the threaded build)"
    rustup toolchain install "nightly-$NIGHTLY_DATE" --profile minimal
    NIGHTLY=nightly-$NIGHTLY_DATE
  fi
  if ! rustup target list --installed --toolchain "$NIGHTLY" | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown --toolchain "$NIGHTLY"
  fi
  if ! rustup component list --installed --toolchain "$NIGHTLY" | grep -q '^rust-src'; then
    rustup component add rust-src --toolchain "$NIGHTLY"
  fi
}

ensure_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    stage "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Not --locked: its lock file pins crates that no longer build with the current toolchain.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

ensure_wasm_pack() {
  if ! command -v wasm-pack >/dev/null; then
    stage "installing wasm-pack $WASM_PACK_VERSION (a few minutes, once)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION"
  fi
}

ensure_node() {
  command -v node >/dev/null || die "Node.js ≥ 18 and npm are required"
  if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] \
      || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
    stage "installing npm packages"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  fi
}

ensure_chromium() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] || ! command -v chromedriver >/dev/null; then
    stage "installing Chromium and ChromeDriver (Debian packages, for the browser tests)"
    command -v apt-get >/dev/null || die "Chromium and chromedriver are needed for the browser tests: install them or set CHROMIUM=/path/to/chromium"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium chromium-driver
  fi
}

# wabt (Debian): wasm-strip drops the shipped .wasm files' name sections (build_pkg);
# wasm-objdump lets tests/node/wasm-ops.test.mjs read the instructions of the built kernels.
ensure_wabt() {
  if ! command -v wasm-objdump >/dev/null; then
    stage "installing wabt (Debian package: wasm-objdump, for the test that inspects the kernels)"
    apt_install "wabt" wabt
  fi
}

# apt_install WHAT PACKAGE...: the browser tests' other engines, installed once (skipped when present).
apt_install() {
  local what=$1; shift
  command -v apt-get >/dev/null || die "$what is needed for the browser tests: install the Debian packages $* (or run only some browsers: MOBILENET_BROWSERS=chromium)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@"
}

ensure_firefox() {
  if [ ! -x "${FIREFOX:-/usr/bin/firefox-esr}" ]; then
    stage "installing Firefox ESR (Debian package, for the browser tests)"
    apt_install "Firefox ESR" firefox-esr
  fi
}

ensure_webkit() {
  if ! command -v WebKitWebDriver >/dev/null || ! command -v xvfb-run >/dev/null \
      || [ ! -x "${MINIBROWSER:-/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser}" ]; then
    stage "installing WebKitGTK's WebDriver and MiniBrowser, and Xvfb (Debian packages, for the browser tests)"
    apt_install "WebKitGTK" webkit2gtk-driver xvfb
  fi
}

# The browsers the browser tests run in ($MOBILENET_BROWSERS, default all three).
ensure_browsers() {
  local browsers=",${MOBILENET_BROWSERS:-chromium,firefox,webkit},"
  [[ $browsers == *,firefox,* ]] && ensure_firefox
  [[ $browsers == *,webkit,* ]] && ensure_webkit
  return 0
}

# The pinned bundlers of the fixture apps (tests/bundlers/package.json and its lock).
ensure_bundlers() {
  local dir=tests/bundlers
  if [ ! -d $dir/node_modules ] || [ $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]; then
    stage "installing the bundlers for the fixture apps (npm ci in $dir)"
    (cd $dir && npm ci --no-audit --no-fund)
  fi
}

# LiteRT (ai-edge-litert from PyPI, pinned in tests/litert/requirements.txt) in a virtual
# environment of its own, for the litert suite: the exported .tflite files run in LiteRT itself.
LITERT_VENV="$ROOT/target/litert-venv"
ensure_litert() {
  if ! "$LITERT_VENV/bin/python" -c 'import ai_edge_litert.interpreter, numpy' 2>/dev/null \
      || [ tests/litert/requirements.txt -nt "$LITERT_VENV/.installed" ]; then
    stage "installing LiteRT (ai-edge-litert, tests/litert/requirements.txt) into target/litert-venv"
    command -v python3 >/dev/null || die "python3 (3.9 to 3.13) is needed for the LiteRT tests"
    if ! python3 -m venv "$LITERT_VENV" 2>/dev/null; then
      command -v apt-get >/dev/null || die "python3 cannot make a virtual environment: install python3-venv"
      local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
      $sudo apt-get update -q
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3-venv
      python3 -m venv "$LITERT_VENV"
    fi
    "$LITERT_VENV/bin/pip" install -q --disable-pip-version-check -r tests/litert/requirements.txt
    touch "$LITERT_VENV/.installed"
  fi
}

ensure_tools() {
  ensure_rust_target
  ensure_nightly
  ensure_wasm_bindgen
  ensure_wasm_pack
  ensure_node
}

# ---------------------------------------------------------------- data
models_dir() {
  if [ -n "${MOBILENET_MODELS:-}" ]; then echo "$MOBILENET_MODELS"
  elif [ -d "$ROOT/../shared/models" ]; then (cd "$ROOT/../shared/models" && pwd)
  else echo "$ROOT/models"; fi
}

fetch_models() {
  local dir; dir=$(models_dir)
  if ls "$dir"/*.tflite >/dev/null 2>&1; then
    echo "models: $dir"
    return
  fi
  [ -f pkg/bin/mobilenet.mjs ] || build_pkg
  stage "downloading the official MobileNet v1 models into $dir"
  node pkg/bin/mobilenet.mjs fetch-models --out "$dir" \
    || die "cannot download the models (no internet access?). Put them in ../shared/models or set MOBILENET_MODELS."
  cp data/imagenet_labels.txt "$dir/"
}

# MOBILENET_MODELS, MOBILENET_REFERENCE and MOBILENET_IMAGES, resolved once and exported for
# every suite (each keeps a variable already set).
export_data_dirs() {
  export MOBILENET_MODELS MOBILENET_REFERENCE MOBILENET_IMAGES
  MOBILENET_MODELS=$(models_dir)
  MOBILENET_REFERENCE=${MOBILENET_REFERENCE:-$ROOT/../shared/reference}
  MOBILENET_IMAGES=${MOBILENET_IMAGES:-$ROOT/../shared/images}
}

# ---------------------------------------------------------------- build
build_pkg() {
  ensure_tools
  stage "building pkg/ (wasm32, SIMD128, release)"
  wasm-pack build --target web --out-dir pkg --out-name mobilenet_wasm --mode no-install --release --no-pack
  # wasm-pack writes pkg/.gitignore ("*"): pkg/ is generated, never edited.
  build_variant relaxed "$WASM_CODEGEN -C target-feature=+simd128,+relaxed-simd" pkg
  build_variant threads "$THREADS_FLAGS"
  build_variant threads-relaxed "$THREADS_FLAGS,+relaxed-simd" pkg/threads
  # The package's JavaScript (js/*.js: the API, its modules, the Worker). js/thread-start.js and
  # js/thread.js are not modules of the API: build_variant puts them in the threaded builds.
  local f
  for f in js/*.js; do
    case $f in js/thread-start.js|js/thread.js) ;; *) cp "$f" pkg/ ;; esac
  done
  mkdir -p pkg/bin
  cp js/bin/mobilenet.mjs pkg/bin/
  chmod +x pkg/bin/mobilenet.mjs
  local version; version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
  sed "s/@VERSION@/$version/" js/package.json > pkg/package.json
  node -e '
    const fs = require("fs");
    const labels = fs.readFileSync("data/imagenet_labels.txt", "utf8").split("\n").filter((l, i, a) => l || i < a.length - 1);
    fs.writeFileSync("pkg/labels.js", "// Generated by build.sh from data/imagenet_labels.txt: the 1001 ImageNet labels (0 = background).\nexport const LABELS = Object.freeze(" + JSON.stringify(labels) + ");\n");
  '
  cp README.md pkg/README.md
  # The type declarations (pkg/*.d.ts), generated from the modules' JSDoc.
  emit_types
  bundle_entries
  # The shipped .wasm files without their custom sections (the function names are ~13 KB of the
  # baseline's gzipped size; nothing at run time reads them — a trap's stack trace then shows
  # function indices). The unstripped builds stay in target/ (tests/node/wasm-ops.test.mjs reads
  # the kernels' instructions there, by name).
  ensure_wabt
  for f in pkg/mobilenet_wasm_bg.wasm pkg/*/mobilenet_wasm_bg.wasm; do
    wasm-strip "$f"
    printf '%s: %s bytes, %s bytes gzipped\n' "$f" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
  done
}

# pkg/*.d.ts from the JSDoc of pkg/'s JavaScript (js/tsconfig.emit.json): the published types
# are the source's. Those of the package's entries must come out.
emit_types() {
  ensure_node
  stage "generating pkg/*.d.ts from the JSDoc (tsc)"
  # Those of an earlier build go first: tsc would read them in place of the modules' JavaScript.
  # (wasm-bindgen's own .d.ts of each build's glue stay.)
  local f
  for f in pkg/*.d.ts pkg/threads/start.d.ts; do
    case $f in pkg/mobilenet_wasm.d.ts|pkg/mobilenet_wasm_bg.wasm.d.ts) ;; *) rm -f "$f" ;; esac
  done
  tsc -p js/tsconfig.emit.json
  for f in index node decode fetch; do
    [ -s "pkg/$f.d.ts" ] || die "tsc wrote no pkg/$f.d.ts"
  done
}

# The browser's entry points as single modules (esbuild, after the types are emitted from the
# modules): a page fetches index.js alone (the API, its modules and the 1001 labels), the engine's
# Worker worker.js alone, each thread threads/thread.js alone — instead of module graphs of 10–20
# files, three levels deep, which a browser fetches six at a time over HTTP/1.1 before the first
# .wasm byte is asked for (one level more cost a cold page 12–70 ms). The literal
# new URL(…, import.meta.url) and new Worker(new URL(…)) forms stay as they are, the bundles sit
# where their entries were (so their relative URLs hold), and nothing in them is minified (a
# bundler minifies with the app). The other modules stay in pkg/ as they are: the Node entry
# (node.js) imports api.js and shares platform.js' hooks with it; the Node subpaths and the type
# declarations use them too.
bundle_entries() {
  ensure_node
  stage "bundling the browser entries (esbuild)"
  local common=(--bundle --format=esm --allow-overwrite --log-level=warning --legal-comments=none)
  node_modules/.bin/esbuild pkg/index.js --outfile=pkg/index.js "${common[@]}"
  node_modules/.bin/esbuild pkg/worker.js --outfile=pkg/worker.js "${common[@]}"
  cp js/thread.js pkg/threads/thread.js
  node_modules/.bin/esbuild pkg/threads/thread.js --outfile=pkg/threads/thread.js "${common[@]}"
}

# Code generation of every .wasm, kernel tests included (the baseline build and its tests take
# the same from .cargo/config.toml): LLVM's loop strength reduction off. On by default, it
# rewrites a loop's address arithmetic — an induction variable per address, or adds without the
# no-wrap flags the wasm backend needs to fold a constant into a load's offset — and the engines
# pay an instruction for each address (see the A panels in src/kernels/simd128/gemm.rs: uint8
# pointwise +20% in Firefox, ~3–5% in V8; every build ~2.5 KB smaller).
WASM_CODEGEN="-C llvm-args=-disable-lsr"

# The threaded build: shared memory, atomics, the std library rebuilt with them (nightly only).
# The target features end in +simd128 so a caller can append more with a comma.
THREADS_FLAGS="$WASM_CODEGEN -C link-arg=--shared-memory -C link-arg=--max-memory=1073741824 -C link-arg=--import-memory \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align \
-C link-arg=--export=__tls_base -C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128"

# build_variant NAME RUSTFLAGS [TWIN]: one more .wasm (and its JS glue) in pkg/NAME/, built in its
# own target directory so the builds do not evict each other. TWIN: the folder of a build whose
# glue is the same (the relaxed builds differ from theirs only inside the .wasm): pkg/NAME/ then
# keeps its .wasm only and the loader runs it with TWIN's glue — fewer modules for a page and
# its Workers to fetch before the .wasm is asked for.
build_variant() {
  local name=$1 flags=$2 twin=${3:-}
  stage "building pkg/$name/"
  local cargo_args=(build --release --target wasm32-unknown-unknown --target-dir "target/$name")
  local toolchain=stable
  if [[ $name == threads* ]]; then
    toolchain=$NIGHTLY
    cargo_args+=(--features threads -Z build-std=panic_abort,std)
  fi
  RUSTUP_TOOLCHAIN=$toolchain RUSTFLAGS="$flags" cargo "${cargo_args[@]}"
  # Only when its inputs changed: the .wasm cargo wrote (untouched when nothing changed) and
  # the threads' start-up scripts.
  local wasm="target/$name/wasm32-unknown-unknown/release/mobilenet_wasm.wasm" out="pkg/$name/mobilenet_wasm_bg.wasm"
  if [ -f "$out" ] && [ "$out" -nt "$wasm" ] && [ "$out" -nt js/thread-start.js ] && [ "$out" -nt js/thread.js ] \
      && [ "$out" -nt build.sh ]; then
    echo "pkg/$name/ is up to date"
    return
  fi
  rm -rf "pkg/$name"
  wasm-bindgen --target web --out-dir "pkg/$name" --out-name mobilenet_wasm \
    "target/$name/wasm32-unknown-unknown/release/mobilenet_wasm.wasm"
  if [[ $name == threads* ]]; then
    # The threads' start-up: ours in place of wasm-bindgen-rayon's helper (same protocol; literal
    # Worker and import URLs for bundlers and strict CSPs, errors instead of a hang).
    local helper
    helper=$(ls "pkg/$name"/snippets/wasm-bindgen-rayon-*/src/workerHelpers.js 2>/dev/null) \
      || die "the threaded build has no wasm-bindgen-rayon worker helper to replace (wasm-bindgen-rayon changed?)"
    # The glue imports start.js itself, not through the helper's re-export (one module fewer
    # on the way to the .wasm).
    sed -i "s#'\./snippets/wasm-bindgen-rayon-[^']*/src/workerHelpers\.js'#'./start.js'#" "pkg/$name/mobilenet_wasm.js"
    grep -q "^import { startWorkers } from './start.js';" "pkg/$name/mobilenet_wasm.js" \
      || die "pkg/$name/mobilenet_wasm.js does not import startWorkers from the helper (wasm-bindgen-rayon changed?)"
    rm -r "${helper%/src/workerHelpers.js}"
    rmdir "pkg/$name/snippets" 2>/dev/null || true
    cp js/thread-start.js "pkg/$name/start.js"
    cp js/thread.js "pkg/$name/thread.js"
  fi
  if [ -n "$twin" ]; then
    cmp -s "pkg/$name/mobilenet_wasm.js" "$twin/mobilenet_wasm.js" \
      || die "pkg/$name/'s glue differs from $twin/'s: the loader cannot run this build with $twin/'s glue"
    find "pkg/$name" -mindepth 1 ! -name mobilenet_wasm_bg.wasm -delete
  fi
}

# ---------------------------------------------------------------- tests
# ./build.sh test [SUITE...]: the named suites (default: all, in this order).
TEST_SUITES=(lint rust wasm node litert browser consumer bundlers)
run_tests() {
  local suites=("$@") s
  [ ${#suites[@]} -gt 0 ] || suites=("${TEST_SUITES[@]}")
  for s in "${suites[@]}"; do
    [[ " ${TEST_SUITES[*]} " == *" $s "* ]] || die "unknown test suite $s (suites: ${TEST_SUITES[*]})"
  done
  build_pkg
  # Every suite — cargo test, wasm-pack test, the Node and browser tests — finds the same data.
  export_data_dirs
  for s in "${suites[@]}"; do "test_$s"; done
  stage "all tests passed (${suites[*]})"
}

test_lint() {
  stage "lint"
  lint
}

test_rust() {
  stage "Rust tests (native, release)"
  cargo test --release
}

test_wasm() {
  stage "wasm tests in Node (SIMD128 kernels, bindings)"
  wasm-pack test --node --release --mode no-install -- --test kernels --test bindings
  stage "wasm kernel tests in Node (relaxed SIMD)"
  RUSTFLAGS="$WASM_CODEGEN -C target-feature=+simd128,+relaxed-simd" NODE_ARGS=--experimental-wasm-relaxed-simd \
    wasm-pack test --node --release --mode no-install -- --test kernels --target-dir target/relaxed
  ensure_chromium
  stage "wasm tests in headless Chromium (SIMD128 kernels, bindings)"
  WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" \
    --release --mode no-install -- --test kernels --test bindings
  # The relaxed build where browsers run it: the 8-bit dot-product GEMM joins the kernel tests
  # wherever Chromium's probe finds the instruction exact (MOBILENET_EXPECT_DOT=1 makes its
  # absence a failure, for a host known to have AVX-VNNI or an ARM dot product).
  stage "wasm kernel tests in headless Chromium (relaxed SIMD: the dot-product GEMM where its probe allows)"
  RUSTFLAGS="$WASM_CODEGEN -C target-feature=+simd128,+relaxed-simd" WASM_BINDGEN_USE_BROWSER=1 \
    wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" \
    --release --mode no-install -- --test kernels --target-dir target/relaxed
}

test_node() {
  ensure_wabt
  stage "Node tests (the WebAssembly build: API, golden outputs, CLI)"
  node --test --test-reporter=spec tests/node/
}

test_litert() {
  ensure_litert
  stage "LiteRT tests (exported .tflite files in ai-edge-litert's reference kernels)"
  MOBILENET_PYTHON="$LITERT_VENV/bin/python" node --test --test-reporter=spec tests/litert/
}

test_browser() {
  ensure_chromium
  ensure_browsers
  stage "browser tests (Chromium, Firefox ESR, WebKitGTK: golden outputs, threads, fallback, Worker, zoo cache, demo; screenshots in target/screenshots/)"
  node --test --test-reporter=spec tests/browser/
}

test_consumer() {
  ensure_chromium
  stage "consumer tests (npm pack, installed into a fresh project; Node, Chromium, TypeScript resolvers)"
  node --test --test-reporter=spec tests/consumer/
}

test_bundlers() {
  ensure_chromium
  ensure_bundlers
  stage "bundler tests (the tarball in fresh Vite, webpack, Rollup, esbuild, Parcel and Next.js apps; Chromium)"
  node --test --test-reporter=spec --test-concurrency=1 tests/bundlers/
}

# The type check of the package's JavaScript (JSDoc, tsc --checkJs --strict: js/tsconfig.json).
# The modules build.sh generates (the builds' glue, labels.js) come from pkg/: built first if
# missing.
typecheck() {
  ensure_node
  if [ ! -f pkg/labels.js ] || [ ! -f pkg/threads/start.js ]; then build_pkg; fi
  stage "type check of js/ (tsc --checkJs --strict)"
  tsc -p js/tsconfig.json
}

lint() {
  typecheck
  cargo fmt --check
  cargo clippy --all-targets --release -- -D warnings
  cargo clippy --target wasm32-unknown-unknown --release -- -D warnings
}

# ---------------------------------------------------------------- demo
demo() {
  build_pkg
  fetch_models
  stage "serving the demo"
  exec node www/serve.mjs --port "${PORT:-8080}" --models "$(models_dir)"
}

# ---------------------------------------------------------------- bench
bench() {
  build_pkg
  ensure_chromium
  export_data_dirs
  stage "browser benchmark: ours vs tfjs-tflite and LiteRT.js, 1 and 2 threads, all 8 models"
  node bench/browser.mjs --runs "${RUNS:-50}"
  # Where the engine chose the 8-bit dot product, the fallback kernel's rows too (its probe off).
  local chose=0
  node -e 'try { const r = require("./bench/results/browser-latest.json");
      process.exit(r.rows.some((row) => /dot/.test(row.ours.kernel ?? "")) ? 0 : 1) }
    catch (e) { console.error(`bench/results/browser-latest.json: ${e.message}`); process.exit(2) }' || chose=$?
  case $chose in
    0) stage "the fallback kernel's rows: uint8 models with the dot product's probe off (--gemm i16; bench/results/fallback/)"
       node bench/browser.mjs --runs "${RUNS:-50}" --gemm i16 \
         --models 0.25_128_quant,0.5_160_quant,0.75_192_quant,1.0_224_quant --out bench/results/fallback ;;
    1) echo "(the engine chose the fallback kernel on this host: the rows above are the fallback's)" ;;
    *) echo "(which kernel the engine chose is unknown: see above; no fallback rows)" ;;
  esac
  stage "cold start: page load to first result, ours vs tfjs-tflite and LiteRT.js (bench/results/coldstart-latest.*)"
  node bench/coldstart.mjs --runs "${COLD_RUNS:-3}"
  ensure_firefox
  stage "browser benchmark in Firefox ESR: ours vs tfjs-tflite, 1 and 2 threads, all 8 models"
  node bench/browser.mjs --browser firefox --runs "${RUNS:-50}" \
    || echo "(the Firefox benchmark failed: see above; the Chromium results stand)"
  stage "browser benchmark in Safari's engine (WebKitGTK): ours vs tfjs-tflite and LiteRT.js, 1 thread, all 8 models"
  (ensure_webkit && node bench/browser.mjs --browser webkit --runs "${RUNS:-50}") \
    || echo "(the WebKit benchmark failed: see above; the Chromium results stand)"
  stage "busy machine: ours at 1 and 2 threads, quiet and with one core kept busy (bench/results/busy-latest.*)"; node bench/busy.mjs --runs "${RUNS:-30}"
  stage "live loop: classifyVideo on the fake camera at 640×480 and 1280×720, one model per α (bench/results/live-latest.*)"
  node bench/live.mjs
  stage "Node benchmark (single thread)"
  node bench/node.mjs --runs "${RUNS:-50}" --json bench/results/node-latest.json | tee bench/results/node-latest.md
  stage "the taught classifier: k-NN search and training vs plain JS and TF.js (Node, single thread)"
  node bench/teach.mjs --runs "${RUNS:-30}" --json bench/results/teach-latest.json | tee bench/results/teach-latest.md
  stage "per-layer profile (Node, single thread)"
  node bench/profile.mjs | tee bench/results/profile-latest.md
  if python3 -c 'import ai_edge_litert' 2>/dev/null; then
    stage "native LiteRT + XNNPACK (reference point, single thread)"
    python3 bench/native_litert.py --runs "${RUNS:-50}" --json bench/results/native-litert-latest.json \
      | tee bench/results/native-litert-latest.md
  else
    echo "(native LiteRT reference skipped: pip install ai-edge-litert numpy to include it)"
  fi
}

# ---------------------------------------------------------------- robustness
soak() {
  build_pkg
  stage "soak: long runs in Node (bench/results/soak-latest.*)"
  mkdir -p bench/results
  MOBILENET_MODELS=$(models_dir) node bench/soak.mjs --json bench/results/soak-latest.json | tee bench/results/soak-latest.md
}

mutate() {
  stage "one-byte mutation sweep over every non-weight byte of every model"
  MOBILENET_MODELS=$(models_dir) cargo test --release --test mutation -- --ignored --nocapture full_sweep
}

fuzz() {
  local seconds=${1:-60}
  ensure_nightly
  if ! command -v cargo-fuzz >/dev/null; then
    stage "installing cargo-fuzz (a few minutes, once)"
    cargo install cargo-fuzz
  fi
  # Seed corpora: the real models (not committed; copied from the models folder).
  local t
  for t in import_plan import_plan_run; do
    mkdir -p "fuzz/corpus/$t"
    cp "$(models_dir)"/*0.25*.tflite "fuzz/corpus/$t/" 2>/dev/null || true
    stage "fuzzing $t for ${seconds}s"
    cargo "+$NIGHTLY" fuzz run "$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=2000000 2>&1 \
      | tee "target/fuzz-$t.log" | grep -E '^(#[0-9]+.*(DONE|pulse)|Done|==[0-9]+==)' || true
  done
}

# ./build.sh mutants [FILE...]: cargo-mutants (installed once) over the portable arithmetic —
# each mutant rebuilds the crate, so it is budgeted: one job, the unoptimised `mutants` profile,
# only the tests that cover these files (the library's unit tests, tests/kernels.rs and
# tests/softmax_litert.rs), a 60-second timeout. The report lands in
# target/mutants-report/mutants.out/ (caught.txt,
# missed.txt, unviable.txt, timeout.txt). The SIMD128 kernels (wasm only) are out of its reach:
# README lists the hand-made mutants that check their tests.
MUTANTS_VERSION=27.1.0
MUTANT_FILES=(src/kernels/requantize.rs src/kernels/reference.rs src/kernels/scalar.rs src/kernels/arith.rs
  src/kernels/mod.rs src/image/mod.rs)
# The tests each mutant runs ($MUTANT_TESTS overrides, e.g. "--test kernels" for the kernels alone).
MUTANT_TESTS=${MUTANT_TESTS:---lib --test kernels --test softmax_litert}
mutants() {
  if [ "$(cargo mutants --version 2>/dev/null | awk '{print $2}')" != "$MUTANTS_VERSION" ]; then
    stage "installing cargo-mutants $MUTANTS_VERSION (a few minutes, once)"
    cargo install cargo-mutants --version "$MUTANTS_VERSION" --locked
  fi
  local files=("$@") f args=()
  [ ${#files[@]} -gt 0 ] || files=("${MUTANT_FILES[@]}")
  for f in "${files[@]}"; do args+=(--file "$f"); done
  mkdir -p target
  stage "cargo-mutants over ${files[*]}"
  cargo mutants "${args[@]}" --jobs 1 --profile mutants --timeout 60 --output target/mutants-report \
    --exclude-re 'impl .*Debug' -- $MUTANT_TESTS
}

case "${1:-build}" in
  build) build_pkg ;;
  test) shift; run_tests "$@" ;;
  bench) bench ;;
  soak) soak ;;
  mutate) mutate ;;
  fuzz) fuzz "${2:-60}" ;;
  mutants) shift; mutants "$@" ;;
  demo) demo ;;
  models) ensure_node; fetch_models ;;
  lint) lint ;;
  *) echo "usage: ./build.sh [build|test [SUITE...]|demo|bench|soak|mutate|fuzz [SECONDS]|mutants [FILE...]|models|lint]" >&2; exit 2 ;;
esac
