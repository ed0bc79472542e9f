// bench/faceapi_describe.mjs: face-api's per-face cost (68 landmarks + 128-D
// descriptor) and its whole SSD pipeline, the baseline bench/recognize
// compares kingface with.
//
//   node bench/faceapi_describe.mjs --modules DIR --models DIR --photos DIR
//                                   [--warmup 2] [--runs 5]
//
// DIR of --modules is the node_modules bench/detect installs into .deps/node
// (@vladmandic/face-api@1.7.15, @tensorflow/tfjs(-backend-wasm)@4.22.0,
// jpeg-js@0.4.4). Run it pinned (taskset -c 0): the wasm backend is
// single-threaded here.
//
// As bench/faceapi.mjs and tests/data/reference/timing.md, the timed region starts
// from an already-decoded int32 [H,W,3] tensor (jpeg-js decoding and model
// loading are outside). For every *.jpg in --photos, --warmup untimed runs then
// --runs timed runs of:
//   ssd_detect  detectAllFaces(t, SsdMobilenetv1Options{minConfidence 0.5, maxResults 100})
//   ssd_full    the same .withFaceLandmarks().withFaceDescriptors()
//   describe    per face, given its detection: face-api's own
//               DetectAllFaceLandmarksTask(detections, t).withFaceDescriptors(),
//               the code ssd_full runs after detecting, on that one face
// ssd_full - ssd_detect, divided by the faces, is the other per-face figure
// (the one timing.md gives).
//
// Output: one JSON document on stdout: environment; per photo the median /
// min / max wall ms and median process CPU ms (user + system) of each mode;
// per face its detection box (pixels), its describe times and its descriptor
// (so the caller can run kingface on the same boxes and compare). Progress on
// stderr; exit status 1 on any error.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import os from 'os';

function parseArgs(argv) {
  const o = { modules: null, models: null, photos: null, warmup: 2, runs: 5 };
  const names = { '--modules': 'modules', '--models': 'models', '--photos': 'photos',
    '--warmup': 'warmup', '--runs': 'runs' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) usage(`bad argument '${argv[i]}'`);
    o[key] = ['warmup', 'runs'].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!o.modules || !o.models || !o.photos) usage('--modules, --models and --photos are required');
  if (!(o.runs >= 1) || !(o.warmup >= 0)) usage('--runs must be >= 1 and --warmup >= 0');
  return o;
}

function usage(why) {
  console.error(`faceapi_describe.mjs: ${why}\nusage: node faceapi_describe.mjs --modules DIR --models DIR --photos DIR [--warmup N] [--runs N]`);
  process.exit(2);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round2 = (x) => Math.round(x * 100) / 100;

// warm-up then timed runs of run(); returns the timings and the last result
async function timeIt(run, warmup, runs) {
  let last;
  for (let i = 0; i < warmup; i++) last = await run();
  const ms = [], cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = await run();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { last, t: { median_ms: round2(median(ms)), min_ms: round2(Math.min(...ms)),
    max_ms: round2(Math.max(...ms)), cpu_median_ms: round2(median(cpu)) } };
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const req = createRequire(path.join(path.resolve(opt.modules), 'bench-resolver.js'));
  const tf = req('@tensorflow/tfjs');
  const wasm = req('@tensorflow/tfjs-backend-wasm');
  const faceapi = req('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const jpeg = req('jpeg-js');

  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not initialise');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(opt.models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(opt.models);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(opt.models);

  const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 });
  const env = {
    node: process.version,
    face_api: faceapi.version,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    wasm_simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    wasm_threads: typeof wasm.getThreadsCount === 'function' ? wasm.getThreadsCount() : null,
    cpu: os.cpus()[0] ? os.cpus()[0].model : null,
    warmup: opt.warmup,
    runs: opt.runs,
    timed: 'decoded int32 [H,W,3] tensor -> face-api results (decode and model load excluded)',
  };

  const tensorsBefore = tf.memory().numTensors;
  const files = fs.readdirSync(opt.photos).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (!files.length) throw new Error(`no JPEG in '${opt.photos}'`);
  const photos = [];
  for (const f of files) {
    const raw = jpeg.decode(fs.readFileSync(path.join(opt.photos, f)),
      { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    const t = tf.tensor3d(raw.data, [raw.height, raw.width, 3], 'int32');
    const row = { photo: f, width: raw.width, height: raw.height };
    const det = await timeIt(() => faceapi.detectAllFaces(t, ssd), opt.warmup, opt.runs);
    row.ssd_detect = det.t;
    const full = await timeIt(() => faceapi.detectAllFaces(t, ssd).withFaceLandmarks()
      .withFaceDescriptors(), opt.warmup, opt.runs);
    row.ssd_full = full.t;
    row.faces = [];
    for (const d of det.last) {
      const one = await timeIt(() => new faceapi.DetectAllFaceLandmarksTask(
        Promise.resolve([{ detection: d }]), t, false).withFaceDescriptors(), opt.warmup, opt.runs);
      const b = d.box;
      row.faces.push({ box: [b.x, b.y, b.width, b.height], score: round2(d.score * 1e4) / 1e4,
        describe: one.t, descriptor: one.last.length ? Array.from(one.last[0].descriptor) : null });
    }
    row.per_face_full_minus_detect_ms = row.faces.length
      ? round2((row.ssd_full.median_ms - row.ssd_detect.median_ms) / row.faces.length) : null;
    row.cpu_per_face_full_minus_detect_ms = row.faces.length
      ? round2((row.ssd_full.cpu_median_ms - row.ssd_detect.cpu_median_ms) / row.faces.length) : null;
    console.error(`faceapi_describe: ${f} ${row.faces.length} faces, detect ${row.ssd_detect.median_ms} ms, `
      + `full ${row.ssd_full.median_ms} ms, describe ${row.faces.map((x) => x.describe.median_ms).join('/')} ms`);
    t.dispose();
    photos.push(row);
  }
  const faces = photos.flatMap((p) => p.faces);
  const summary = {
    faces: faces.length,
    describe_median_ms: round2(median(faces.map((x) => x.describe.median_ms))),
    describe_cpu_median_ms: round2(median(faces.map((x) => x.describe.cpu_median_ms))),
    full_minus_detect_per_face_ms: round2(median(photos.map((p) => p.per_face_full_minus_detect_ms))),
    cpu_full_minus_detect_per_face_ms: round2(median(photos.map((p) => p.cpu_per_face_full_minus_detect_ms))),
    ssd_full_mean_ms: round2(mean(photos.map((p) => p.ssd_full.median_ms))),
    ssd_full_cpu_mean_ms: round2(mean(photos.map((p) => p.ssd_full.cpu_median_ms))),
    ssd_detect_mean_ms: round2(mean(photos.map((p) => p.ssd_detect.median_ms))),
    ssd_detect_cpu_mean_ms: round2(mean(photos.map((p) => p.ssd_detect.cpu_median_ms))),
  };
  env.tensors_leaked = tf.memory().numTensors - tensorsBefore;
  process.stdout.write(`${JSON.stringify({ env, photos, summary })}\n`);
}

main().catch((e) => {
  console.error(`faceapi_describe.mjs: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
