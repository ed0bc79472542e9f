// bench/faceapi.mjs: inference time of face-api's two detectors, the baseline
// that bench/detect compares kingface with.
//
//   node bench/faceapi.mjs --modules DIR --models DIR --photos DIR
//                          [--warmup 2] [--runs 5] [--tiny-size 416]
//
// DIR of --modules is a node_modules holding @vladmandic/face-api@1.7.15,
// @tensorflow/tfjs(-backend-wasm)@4.22.0 and jpeg-js@0.4.4 (bench/detect
// installs them into .deps/node). Run it pinned (taskset -c 0): the wasm
// backend is single-threaded here (no SharedArrayBuffer threads in node's
// build of it), and the report says so.
//
// What is timed is what tests/data/reference/timing.md timed: an already-decoded
// int32 [H,W,3] tensor in, face-api's result objects out. JPEG decoding
// (jpeg-js) and model loading are outside. For every *.jpg in --photos, each
// detector runs --warmup untimed times, then --runs timed times:
//   ssd   detectAllFaces(t, SsdMobilenetv1Options{minConfidence 0.5, maxResults 100})
//   tiny  detectAllFaces(t, TinyFaceDetectorOptions{inputSize 416, scoreThreshold 0.5})
// Detect only: no landmarks, no descriptors.
//
// Output: one JSON document on stdout (environment, per photo and detector
// the median / min / max / all runs in ms of wall time, the median CPU time
// of the process (user + system: what the run cost when another job shares
// the core), and the face count; for each detector the median and the mean
// of the per-photo medians). Progress goes to stderr. Exit status 1 on any error, with the reason on stderr.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import os from 'os';

function parseArgs(argv) {
  const o = { modules: null, models: null, photos: null, warmup: 2, runs: 5, tinySize: 416 };
  const names = { '--modules': 'modules', '--models': 'models', '--photos': 'photos',
    '--warmup': 'warmup', '--runs': 'runs', '--tiny-size': 'tinySize' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) usage(`bad argument '${argv[i]}'`);
    o[key] = ['warmup', 'runs', 'tinySize'].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!o.modules || !o.models || !o.photos) usage('--modules, --models and --photos are required');
  if (!(o.runs >= 1) || !(o.warmup >= 0)) usage('--runs must be >= 1 and --warmup >= 0');
  return o;
}

function usage(why) {
  console.error(`faceapi.mjs: ${why}\nusage: node faceapi.mjs --modules DIR --models DIR --photos DIR [--warmup N] [--runs N] [--tiny-size N]`);
  process.exit(2);
}

// Median of a non-empty list (mean of the middle two for an even length).
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round2 = (x) => Math.round(x * 100) / 100;

async function timeOne(run, tensor, warmup, runs) {
  let faces = 0;
  for (let i = 0; i < warmup; i++) faces = (await run(tensor)).length;
  const ms = [], cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const found = await run(tensor);
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    faces = found.length;
  }
  return { faces, median_ms: round2(median(ms)), min_ms: round2(Math.min(...ms)),
    max_ms: round2(Math.max(...ms)), runs_ms: ms.map(round2), cpu_median_ms: round2(median(cpu)) };
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  // resolve the packages from --modules, not from this file's folder
  const req = createRequire(path.join(path.resolve(opt.modules), 'bench-resolver.js'));
  const tf = req('@tensorflow/tfjs');
  const wasm = req('@tensorflow/tfjs-backend-wasm');
  const faceapi = req('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const jpeg = req('jpeg-js');

  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not initialise');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(opt.models);
  await faceapi.nets.tinyFaceDetector.loadFromDisk(opt.models);

  const detectors = {
    ssd: new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 }),
    tiny: new faceapi.TinyFaceDetectorOptions({ inputSize: opt.tinySize, scoreThreshold: 0.5 }),
  };
  const env = {
    node: process.version,
    face_api: faceapi.version,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    wasm_simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    wasm_multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    wasm_threads: typeof wasm.getThreadsCount === 'function' ? wasm.getThreadsCount() : null,
    cpu: os.cpus()[0] ? os.cpus()[0].model : null,
    warmup: opt.warmup,
    runs: opt.runs,
    tiny_size: opt.tinySize,
    timed: 'decoded int32 [H,W,3] tensor -> detectAllFaces results (decode and model load excluded)',
  };

  const tensorsBefore = tf.memory().numTensors;
  const files = fs.readdirSync(opt.photos).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (!files.length) throw new Error(`no JPEG in '${opt.photos}'`);
  const photos = [];
  for (const f of files) {
    const raw = jpeg.decode(fs.readFileSync(path.join(opt.photos, f)),
      { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    const tensor = tf.tensor3d(raw.data, [raw.height, raw.width, 3], 'int32');
    const row = { photo: f, width: raw.width, height: raw.height };
    for (const [name, options] of Object.entries(detectors)) {
      row[name] = await timeOne((t) => faceapi.detectAllFaces(t, options), tensor,
        opt.warmup, opt.runs);
      console.error(`faceapi: ${f} ${name} ${row[name].faces} faces, median ${row[name].median_ms} ms`);
    }
    tensor.dispose();
    photos.push(row);
  }
  const summary = {};
  for (const name of Object.keys(detectors)) {
    const med = photos.map((p) => p[name].median_ms), cpu = photos.map((p) => p[name].cpu_median_ms);
    summary[name] = { median_of_medians_ms: round2(median(med)), mean_of_medians_ms: round2(mean(med)),
      cpu_median_of_medians_ms: round2(median(cpu)), cpu_mean_of_medians_ms: round2(mean(cpu)) };
  }
  env.tensors_leaked = tf.memory().numTensors - tensorsBefore;	// 0: the runs free what they make
  process.stdout.write(`${JSON.stringify({ env, photos, summary }, null, 1)}\n`);
}

main().catch((e) => {
  console.error(`faceapi.mjs: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
