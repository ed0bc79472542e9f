// oracle.mjs -- face-api "oracle" outputs for a manifest of images (any labelled set, e.g. ../datasets/dev).
//
// Runs @vladmandic/face-api@1.7.15 on the wasm backend of @tensorflow/tfjs@4.22.0,
// the same way and with the same detector options as generate.mjs (in this folder)
// (SSD-MobileNetV1 {minConfidence:0.5, maxResults:100}; TinyFaceDetector
// {inputSize:416, scoreThreshold:0.5}; 68-point landmarks; 128-float descriptors).
//
// Usage:
//   node oracle.mjs --pkg <node_modules> --manifest <manifest.csv> --root <dir> \
//        --out <outdir> [--pad-to N]
//
// For each manifest row (relative_path under --root) it writes
//   <outdir>/<relative_path with '/' -> '__'>.json
//   {"path", "width", "height", "orientation", "ssd": {"faces": [...]}, "tiny": {"faces": [...]}, ...}
// Each face: {"score", "box": {x,y,width,height}, "landmarks": [[x,y] x68], "descriptor": [128]}.
// Faces are sorted by score, highest first. Coordinates are pixels of the ORIGINAL image after
// the EXIF orientation has been applied (upright, as a viewer shows it). With --pad-to N an
// image smaller than N in either dimension is centred on a canvas of max(W,N) x max(H,N)
// filled with mid-grey (128); boxes/landmarks are shifted back to original-image coordinates
// (they may then lie partly outside the image; they are not clipped).
// On a decode error: {"path", "error"}.  Also writes <outdir>/index.json (environment, options,
// per-image counts and timings).  No absolute machine paths are written.

import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import os from 'os';

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const a = { pkg: null, manifest: null, root: null, out: null, padTo: 0 };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--pkg') a.pkg = argv[++i];
    else if (argv[i] === '--manifest') a.manifest = argv[++i];
    else if (argv[i] === '--root') a.root = argv[++i];
    else if (argv[i] === '--out') a.out = argv[++i];
    else if (argv[i] === '--pad-to') a.padTo = parseInt(argv[++i], 10);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!a.pkg || !a.manifest || !a.root || !a.out || !(a.padTo >= 0)) {
    console.error('usage: node oracle.mjs --pkg <node_modules> --manifest <manifest.csv> --root <dir> --out <outdir> [--pad-to N]');
    process.exit(2);
  }
  return a;
}
const args = parseArgs(process.argv);
const NM = path.resolve(args.pkg);
const OUT = path.resolve(args.out);
const ROOT = path.resolve(args.root);
fs.mkdirSync(OUT, { recursive: true });

const require = createRequire(path.join(NM, '__oracle_resolver__.js'));
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');      // registers the 'wasm' backend
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');
const MODEL_DIR = path.join(NM, '@vladmandic', 'face-api', 'model');
const pkgVersion = (name) => JSON.parse(fs.readFileSync(path.join(NM, name, 'package.json'), 'utf8')).version;

export const SSD_OPTS = { minConfidence: 0.5, maxResults: 100 };   // as generate.mjs
export const TINY_OPTS = { inputSize: 416, scoreThreshold: 0.5 };  // as generate.mjs

// ------------------------------------------------------------------ manifest
function parseCsv(text) {
  const rows = []; let row = []; let field = ''; let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"') { if (text[i + 1] === '"') { field += '"'; i++; } else q = false; } else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = ''; if (row.length > 1 || row[0] !== '') rows.push(row); row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const head = rows.shift();
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])));
}

// ------------------------------------------------------------------ EXIF orientation
// Returns the value of tag 0x0112 in IFD0 of the first APP1 "Exif\0\0" segment, or 1.
function jpegOrientation(buf) {
  if (buf[0] !== 0xff || buf[1] !== 0xd8) return 1;
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return 1;
    const marker = buf[p + 1];
    if (marker === 0xff) { p++; continue; }                 // fill byte
    if (marker === 0xd9 || marker === 0xda) return 1;       // EOI / SOS: no more headers
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { p += 2; continue; }
    const len = buf.readUInt16BE(p + 2);
    const seg = p + 4;
    if (marker === 0xe1 && len >= 16 && buf.toString('latin1', seg, seg + 6) === 'Exif\0\0') {
      const t = seg + 6;                                    // TIFF header
      const le = buf.toString('latin1', t, t + 2) === 'II';
      if (!le && buf.toString('latin1', t, t + 2) !== 'MM') return 1;
      const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
      const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
      const end = seg + len - 2;
      const ifd = t + u32(t + 4);
      if (ifd + 2 > end) return 1;
      const n = u16(ifd);
      for (let k = 0; k < n; k++) {
        const e = ifd + 2 + 12 * k;
        if (e + 12 > end) break;
        if (u16(e) === 0x0112) {
          const v = u16(e + 8);                             // SHORT, count 1: value in first 2 bytes
          return v >= 1 && v <= 8 ? v : 1;
        }
      }
      return 1;
    }
    p += 2 + len;
  }
  return 1;
}

// Apply EXIF orientation k to packed RGB (W x H). Returns {data, width, height}.
function orient(rgb, W, H, k) {
  if (k === 1) return { data: rgb, width: W, height: H };
  const swap = k >= 5;
  const OW = swap ? H : W; const OH = swap ? W : H;
  const out = new Uint8Array(OW * OH * 3);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let sx; let sy;
      switch (k) {
        case 2: sx = W - 1 - ox; sy = oy; break;            // mirror horizontal
        case 3: sx = W - 1 - ox; sy = H - 1 - oy; break;    // rotate 180
        case 4: sx = ox; sy = H - 1 - oy; break;            // mirror vertical
        case 5: sx = oy; sy = ox; break;                    // transpose
        case 6: sx = oy; sy = H - 1 - ox; break;            // rotate 90 CW to view
        case 7: sx = W - 1 - oy; sy = H - 1 - ox; break;    // transverse
        case 8: sx = W - 1 - oy; sy = ox; break;            // rotate 90 CCW to view
        default: sx = ox; sy = oy;
      }
      const s = (sy * W + sx) * 3; const d = (oy * OW + ox) * 3;
      out[d] = rgb[s]; out[d + 1] = rgb[s + 1]; out[d + 2] = rgb[s + 2];
    }
  }
  return { data: out, width: OW, height: OH };
}

// ------------------------------------------------------------------ decoding
// Returns {data: Uint8Array packed RGB, width, height, orientation, format, info}
function decodeImage(file) {
  const buf = fs.readFileSync(file);
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const raw = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
    // jpeg-js replicates a 1-component (grayscale) JPEG into R=G=B and converts CMYK/YCCK.
    const k = jpegOrientation(buf);
    const o = orient(raw.data, raw.width, raw.height, k);
    return { ...o, orientation: k, format: 'jpeg', info: { stored_width: raw.width, stored_height: raw.height } };
  }
  if (buf.readUInt32BE(0) === 0x89504e47) {
    // pngjs: any colour type / bit depth -> 8-bit RGBA (grey replicated, 16-bit scaled down).
    const png = PNG.sync.read(buf);
    const n = png.width * png.height;
    const rgb = new Uint8Array(n * 3);
    let alphaMin = 255;
    for (let i = 0; i < n; i++) {
      rgb[i * 3] = png.data[i * 4]; rgb[i * 3 + 1] = png.data[i * 4 + 1]; rgb[i * 3 + 2] = png.data[i * 4 + 2];
      if (png.data[i * 4 + 3] < alphaMin) alphaMin = png.data[i * 4 + 3];
    }
    // Alpha is dropped (like a 3-channel decode); colour values are kept as stored.
    // has_transparency tells whether any pixel was not fully opaque.
    return {
      data: rgb, width: png.width, height: png.height, orientation: 1, format: 'png',
      info: { color_type: png.colorType ?? null, bit_depth: png.depth ?? null, has_transparency: alphaMin < 255 },
    };
  }
  throw new Error('not a JPEG or PNG file (magic bytes)');
}

function padImage(img, N) {
  const CW = Math.max(img.width, N); const CH = Math.max(img.height, N);
  if (CW === img.width && CH === img.height) return { ...img, offX: 0, offY: 0 };
  const offX = Math.floor((CW - img.width) / 2); const offY = Math.floor((CH - img.height) / 2);
  const out = new Uint8Array(CW * CH * 3).fill(128);
  for (let y = 0; y < img.height; y++) {
    out.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + offY) * CW + offX) * 3);
  }
  return { data: out, width: CW, height: CH, offX, offY };
}

// ------------------------------------------------------------------ serialisation
function serialize(results, offX, offY) {
  const faces = results.map((r) => ({
    score: r.detection.score,
    box: { x: r.detection.box.x - offX, y: r.detection.box.y - offY, width: r.detection.box.width, height: r.detection.box.height },
    landmarks: r.landmarks.positions.map((p) => [p.x - offX, p.y - offY]),
    descriptor: Array.from(r.descriptor),
  }));
  faces.sort((a, b) => b.score - a.score);
  return { faces };
}

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR);
  await faceapi.nets.tinyFaceDetector.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);
  const env = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    face_api: faceapi.version,
    tfjs: tf.version_core,
    tfjs_backend_wasm: pkgVersion('@tensorflow/tfjs-backend-wasm'),
    jpeg_js: pkgVersion('jpeg-js'),
    pngjs: pkgVersion('pngjs'),
    backend: tf.getBackend(),
    wasm_simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    wasm_multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    face_api_entry: 'dist/face-api.node-wasm.js',
  };
  const ssdOpts = new faceapi.SsdMobilenetv1Options(SSD_OPTS);
  const tinyOpts = new faceapi.TinyFaceDetectorOptions(TINY_OPTS);
  const rows = parseCsv(fs.readFileSync(args.manifest, 'utf8'));
  const index = [];
  const t0 = Date.now();
  for (let i = 0; i < rows.length; i++) {
    const rel = rows[i].relative_path;
    const name = `${rel.split('/').join('__')}.json`;
    let doc; let line;
    try {
      const ta = Date.now();
      const dec = decodeImage(path.join(ROOT, rel));
      const tb = Date.now();
      const pad = args.padTo > 0 ? padImage(dec, args.padTo) : { ...dec, offX: 0, offY: 0 };
      const tensor = tf.tensor3d(pad.data, [pad.height, pad.width, 3], 'int32');
      const tc = Date.now();
      const ssd = await faceapi.detectAllFaces(tensor, ssdOpts).withFaceLandmarks().withFaceDescriptors();
      const td = Date.now();
      const tiny = await faceapi.detectAllFaces(tensor, tinyOpts).withFaceLandmarks().withFaceDescriptors();
      const te = Date.now();
      tensor.dispose();
      doc = {
        path: rel, width: dec.width, height: dec.height, orientation: dec.orientation,
        format: dec.format, decode: dec.info,
        ...(args.padTo > 0 ? { pad: { pad_to: args.padTo, fill: 128, canvas_width: pad.width, canvas_height: pad.height, offset_x: pad.offX, offset_y: pad.offY } } : {}),
        ssd: serialize(ssd, pad.offX, pad.offY),
        tiny: serialize(tiny, pad.offX, pad.offY),
        timing_ms: { decode_orient: tb - ta, ssd_full: td - tc, tiny_full: te - td },
      };
      index.push({ path: rel, json: name, width: dec.width, height: dec.height, orientation: dec.orientation, ssd_faces: ssd.length, tiny_faces: tiny.length, timing_ms: doc.timing_ms });
      line = `${dec.width}x${dec.height} o=${dec.orientation} ssd=${ssd.length} tiny=${tiny.length} (${te - ta} ms)`;
    } catch (e) {
      doc = { path: rel, error: String(e && e.message ? e.message : e) };
      index.push({ path: rel, json: name, error: doc.error });
      line = `ERROR ${doc.error}`;
    }
    fs.writeFileSync(path.join(OUT, name), JSON.stringify(doc));
    console.log(`[${i + 1}/${rows.length}] ${rel} ${line}`);
  }
  fs.writeFileSync(path.join(OUT, 'index.json'), JSON.stringify({
    format: 'kingface-faceapi-oracle-set/1',
    env,
    options: {
      ssd: { class: 'SsdMobilenetv1Options', minConfidence: ssdOpts.minConfidence, maxResults: ssdOpts.maxResults },
      tiny: { class: 'TinyFaceDetectorOptions', inputSize: tinyOpts.inputSize, scoreThreshold: tinyOpts.scoreThreshold },
      pad_to: args.padTo || null,
      manifest: path.basename(args.manifest),
    },
    total_ms: Date.now() - t0,
    images: index,
  }, null, 1));
  console.log(`done: ${rows.length} images in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((e) => { console.error(e); process.exit(1); });
