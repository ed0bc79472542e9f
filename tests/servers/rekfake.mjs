// rekfake.mjs: a fake Amazon Rekognition for the tests, on 127.0.0.1:PORT.
//
// It speaks the real wire protocol (AWS JSON 1.1: POST /, X-Amz-Target
// "RekognitionService.<Action>", Content-Type application/x-amz-json-1.1),
// checks every request's SigV4 signature with AWS's own signer
// (@smithy/signature-v4, service "rekognition") and answers with the field
// names and shapes of the Rekognition API reference. It cannot run a face
// model, so what is "in" an image is told to it by the test.
//
//   node rekfake.mjs PORT
//   env: KF_TEST_S3_KEY_ID, KF_TEST_S3_SECRET, KF_TEST_S3_REGION (the one
//   key pair it knows, and its region)
//
// SCRIPTING (plain HTTP, never signed, paths AWS never uses):
//   POST /_fake/image   {"sha256":"<hex of the image bytes>",
//                        "faces":[{"label":"ana",
//                                  "BoundingBox":{"Width":..,"Height":..,"Left":..,"Top":..},
//                                  "Confidence":99.9,      (optional, 99.9)
//                                  "Similarity":98.5,      (optional, 99.0)
//                                  "LowQuality":true}]}    (optional)
//       What a face model would see in those exact bytes. A label is an
//       identity: IndexFaces stores each face with its label;
//       SearchFacesByImage takes the largest face of the searched image and
//       matches every stored face of the collection with the same label, with
//       that face's Similarity. Unregistered bytes (a valid JPEG/PNG) hold no
//       face. The C tests register a photo and, for each face, the crop the
//       client will send (the crop functions are deterministic, so the test
//       computes the same bytes with kf_image_crop_jpeg).
//   POST /_fake/photo   {"path":"/abs/photo.jpg", "faces":[...as above...]}
//       The same for a photo file on this machine, plus its crops: the fake
//       reads the file (sha256; width and height from the JPEG SOF or PNG IHDR
//       header: photos without EXIF rotation), registers the photo's faces, and
//       for each face the pixel size of the crop the client cuts around it
//       (core/image_encode.h kf_image_box_rect: the box grown by CROP_MARGIN on
//       every side, floor/ceil, clamped). An image whose bytes were not
//       registered is then recognised by its pixel size among those crops
//       (exact size first, then +-1 px for boxes that went through 6-decimal
//       JSON; the earliest registered wins a tie): it holds that one face,
//       with its box re-expressed in the crop. So end-to-end tests register a
//       photo with the boxes `kingface detect --json` printed and a label per
//       face, and never compute a crop themselves.
//   POST /_fake/fail    {"action":"DetectFaces"|"*","type":"ThrottlingException",
//                        "count":2,"status":400,"message":"Rate exceeded"}
//       The next `count` signed calls of that action answer that error
//       (status 400 and AWS's message for the type unless given).
//   GET  /_fake/calls   {"total":N,"DetectFaces":n,...}: signed requests
//       received per action since start or reset (failed ones included)
//   POST /_fake/reset   forget faults and counts (collections and images stay)
//   GET  /_fake/collection?id=C   {"Faces":[...]} the stored faces, or 404
//
// AWS behaviour reproduced (checked in this order):
//   no Authorization              400 MissingAuthenticationTokenException
//   unknown access key            400 UnrecognizedClientException
//   wrong scope, date or signature 403 InvalidSignatureException
//   unknown X-Amz-Target          400 UnknownOperationException
//   body not JSON                 400 SerializationException
//   bad CollectionId etc.         400 ValidationException
//   image not JPEG/PNG by magic   400 InvalidImageFormatException
//   image over 5 MB (decoded)     400 ImageTooLargeException
//   no face in a searched image   400 InvalidParameterException
//   collection missing/existing   400 ResourceNotFoundException / ResourceAlreadyExistsException
// Front-door errors carry {"__type","message"} (lowercase), service errors
// {"__type","Code","Logref","Message"}, as AWS sends them; every answer has
// x-amzn-RequestId, errors x-amzn-ErrorType.
import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const port = Number(process.argv[2]);
const keyId = process.env.KF_TEST_S3_KEY_ID;
const secret = process.env.KF_TEST_S3_SECRET;
const region = process.env.KF_TEST_S3_REGION;
if (!port || !keyId || !secret || !region) {
	console.error('usage: KF_TEST_S3_KEY_ID=.. KF_TEST_S3_SECRET=.. KF_TEST_S3_REGION=.. ' +
		'node rekfake.mjs PORT');
	process.exit(2);
}
const signer = new SignatureV4({
	credentials: { accessKeyId: keyId, secretAccessKey: secret },
	region, service: 'rekognition', sha256: Sha256,
	applyChecksum: false,	// no x-amz-content-sha256: only S3 wants it
});

const MODEL = '7.0';
const MAX_IMAGE = 5 * 1024 * 1024;
const ACTIONS = ['CreateCollection', 'DeleteCollection', 'IndexFaces', 'DeleteFaces',
	'DetectFaces', 'SearchFacesByImage', 'ListFaces'];
const MESSAGES = {
	ThrottlingException: 'Slow down; sudden increase in rate of requests.',
	ProvisionedThroughputExceededException: 'Provisioned rate exceeded.',
	InternalServerError: 'Internal server error',
	InvalidImageFormatException: 'Request has invalid image format',
	ImageTooLargeException: 'Image size is too large.',
	InvalidParameterException: 'Request has invalid parameters',
	AccessDeniedException: 'User is not authorized to perform this action',
};
const FRONT_DOOR = new Set(['ThrottlingException', 'UnrecognizedClientException',
	'InvalidSignatureException', 'MissingAuthenticationTokenException',
	'UnknownOperationException', 'SerializationException', 'ValidationException',
	'ExpiredTokenException']);

const CROP_MARGIN = 0.2;	// KF_REK_CROP_MARGIN
const BOX_EPS = 1e-6;		// core/image_encode.c

const images = new Map();	// sha256 hex -> [face]
const crops = [];		// { w, h, face }: expected crops of registered photos
const collections = new Map();	// id -> { arn, faces: [stored face] }
let faults = [];		// { action, type, count, status, message }
let calls = { total: 0 };

function send(res, status, obj, extra = {}) {
	const body = JSON.stringify(obj);
	res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1',
		'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID(), ...extra });
	res.end(body);
}

function fail(res, status, type, message) {
	message = message || MESSAGES[type] || type;
	const body = FRONT_DOOR.has(type) ? { __type: type, message } :
		{ __type: type, Code: type, Logref: randomUUID(), Message: message };
	send(res, status, body, { 'x-amzn-errortype': type + ':' });
}

class AwsError extends Error {
	constructor(type, message, status = 400) {
		super(message || MESSAGES[type] || type);
		this.type = type;
		this.status = status;
	}
}

// null when the signature is right, else [status, type, message].
async function check(req, body) {
	const auth = req.headers.authorization;
	if (!auth)
		return [400, 'MissingAuthenticationTokenException', 'Missing Authentication Token'];
	const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
	if (!m)
		return [400, 'IncompleteSignatureException', 'Authorization header requires \'Credential\', \'Signature\' and \'SignedHeaders\' parameters.'];
	if (m[1] !== keyId)
		return [400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'];
	if (m[3] !== region || m[4] !== 'rekognition')
		return [403, 'InvalidSignatureException', 'Credential should be scoped to a valid region.'];
	const date = req.headers['x-amz-date'] || '';
	const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
	if (!d || date.slice(0, 8) !== m[2])
		return [403, 'InvalidSignatureException', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.'];
	const signingDate = new Date(Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
	if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60 * 1000)
		return [403, 'InvalidSignatureException', 'Signature expired: ' + date + ' is now earlier than ' +
			new Date(Date.now() - 15 * 60 * 1000).toISOString().replace(/[-:]|\.\d+/g, '') + '.'];
	const signed = m[5].split(';');
	const headers = {};
	for (const h of signed)
		headers[h] = req.headers[h] === undefined ? '' : String(req.headers[h]);
	const out = await signer.sign({
		method: req.method, protocol: 'http:', hostname: '127.0.0.1', port,
		path: req.url.split('?')[0], query: {}, headers, body,
	}, { signingDate, signableHeaders: new Set(signed) });
	const got = /Signature=([0-9a-f]{64})/.exec(out.headers.authorization);
	if (got && got[1] === m[6])
		return null;
	return [403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'];
}

// ---- request fields ---------------------------------------------------------

function validation(field, value, constraint) {
	return new AwsError('ValidationException', '1 validation error detected: Value \'' +
		String(value).slice(0, 100) + '\' at \'' + field + '\' failed to satisfy constraint: ' +
		constraint);
}

function collectionOf(input, mustExist = true) {
	const id = input.CollectionId;
	if (typeof id !== 'string' || !/^[a-zA-Z0-9_.-]{1,255}$/.test(id))
		throw validation('collectionId', id,
			'Member must satisfy regular expression pattern: [a-zA-Z0-9_.\\-]+');
	const c = collections.get(id);
	if (mustExist && !c)
		throw new AwsError('ResourceNotFoundException', 'The collection id: ' + id + ' does not exist');
	return [id, c];
}

// The faces registered for the image's bytes, largest first (as Rekognition
// orders by size when MaxFaces cuts).
function imageFaces(input) {
	const b64 = input.Image && input.Image.Bytes;
	if (typeof b64 !== 'string')
		throw new AwsError('InvalidParameterException', 'Request has invalid parameters');
	const bytes = Buffer.from(b64, 'base64');
	if (bytes.length > MAX_IMAGE)
		throw new AwsError('ImageTooLargeException');
	const jpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
	const png = bytes.length >= 8 && bytes.subarray(0, 8).equals(
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
	if (!jpeg && !png)
		throw new AwsError('InvalidImageFormatException');
	const sha = createHash('sha256').update(bytes).digest('hex');
	const faces = (images.get(sha) || cropFaces(bytes)).slice();
	faces.sort((a, b) => b.BoundingBox.Width * b.BoundingBox.Height -
		a.BoundingBox.Width * a.BoundingBox.Height);
	return faces;
}

function round(x) {
	return Math.round(x * 1e6) / 1e6;
}

// A FaceDetail with the DEFAULT attributes: box, landmarks, pose, quality, confidence.
function faceDetail(f) {
	const b = f.BoundingBox;
	const at = (type, fx, fy) => ({ Type: type, X: round(b.Left + fx * b.Width),
		Y: round(b.Top + fy * b.Height) });
	return {
		BoundingBox: b,
		Landmarks: [at('eyeLeft', 0.3, 0.4), at('eyeRight', 0.7, 0.4), at('mouthLeft', 0.35, 0.75),
			at('mouthRight', 0.65, 0.75), at('nose', 0.5, 0.58)],
		Pose: { Roll: 0.5, Yaw: -1.25, Pitch: 2.0 },
		Quality: { Brightness: f.LowQuality ? 12.5 : 78.5, Sharpness: f.LowQuality ? 4.5 : 86.9 },
		Confidence: f.Confidence,
	};
}

function storedFace(s) {
	const face = { FaceId: s.FaceId, BoundingBox: s.BoundingBox, ImageId: s.ImageId };
	if (s.ExternalImageId !== undefined)
		face.ExternalImageId = s.ExternalImageId;
	face.Confidence = s.Confidence;
	face.IndexFacesModelVersion = MODEL;
	return face;
}

function maxFaces(input, field, dflt, hi) {
	const n = input.MaxFaces;
	if (n === undefined)
		return dflt;
	if (!Number.isInteger(n) || n < 1 || n > hi)
		throw validation(field, n, 'Member must have value less than or equal to ' + hi);
	return n;
}

// ---- actions ----------------------------------------------------------------

const handlers = {
	CreateCollection(input) {
		const [id, c] = collectionOf(input, false);
		if (c)
			throw new AwsError('ResourceAlreadyExistsException', 'The collection id: ' + id + ' already exists');
		const arn = 'aws:rekognition:' + region + ':123456789012:collection/' + id;
		collections.set(id, { arn, faces: [] });
		return { CollectionArn: arn, FaceModelVersion: MODEL, StatusCode: 200 };
	},
	DeleteCollection(input) {
		const [id] = collectionOf(input);
		collections.delete(id);
		return { StatusCode: 200 };
	},
	IndexFaces(input) {
		const [, c] = collectionOf(input);
		const ext = input.ExternalImageId;
		if (ext !== undefined && (typeof ext !== 'string' || !/^[a-zA-Z0-9_.\-:]{1,255}$/.test(ext)))
			throw validation('externalImageId', ext,
				'Member must satisfy regular expression pattern: [a-zA-Z0-9_.\\-:]+');
		const max = maxFaces(input, 'maxFaces', 100, 100);
		const filter = input.QualityFilter || 'AUTO';
		if (!['NONE', 'AUTO', 'LOW', 'MEDIUM', 'HIGH'].includes(filter))
			throw validation('qualityFilter', filter,
				'Member must satisfy enum value set: [NONE, AUTO, LOW, MEDIUM, HIGH]');
		const imageId = randomUUID();
		const records = [], unindexed = [];
		for (const f of imageFaces(input)) {
			if (f.LowQuality && filter !== 'NONE') {
				unindexed.push({ Reasons: ['LOW_BRIGHTNESS', 'LOW_SHARPNESS'], FaceDetail: faceDetail(f) });
				continue;
			}
			if (records.length >= max) {
				unindexed.push({ Reasons: ['EXCEEDS_MAX_FACES'], FaceDetail: faceDetail(f) });
				continue;
			}
			const s = { FaceId: randomUUID(), ImageId: imageId, ExternalImageId: ext,
				BoundingBox: f.BoundingBox, Confidence: f.Confidence, label: f.label };
			c.faces.push(s);
			records.push({ Face: storedFace(s), FaceDetail: faceDetail(f) });
		}
		return { FaceRecords: records, FaceModelVersion: MODEL, UnindexedFaces: unindexed };
	},
	DeleteFaces(input) {
		const [, c] = collectionOf(input);
		const ids = input.FaceIds;
		if (!Array.isArray(ids) || ids.length < 1 || ids.length > 4096)
			throw validation('faceIds', ids, 'Member must have length between 1 and 4096');
		const deleted = [], failed = [];
		for (const id of ids) {
			const i = c.faces.findIndex((s) => s.FaceId === id);
			if (i < 0) {
				failed.push({ FaceId: id, Reasons: ['FACE_NOT_FOUND'] });
				continue;
			}
			c.faces.splice(i, 1);
			deleted.push(id);
		}
		const out = { DeletedFaces: deleted };
		if (failed.length)
			out.UnsuccessfulFaceDeletions = failed;
		return out;
	},
	DetectFaces(input) {
		return { FaceDetails: imageFaces(input).map(faceDetail) };
	},
	SearchFacesByImage(input) {
		const [, c] = collectionOf(input);
		const max = maxFaces(input, 'maxFaces', 4096, 4096);
		const t = input.FaceMatchThreshold === undefined ? 80 : input.FaceMatchThreshold;
		if (typeof t !== 'number' || t < 0 || t > 100)
			throw validation('faceMatchThreshold', t, 'Member must have value less than or equal to 100');
		const faces = imageFaces(input);
		if (!faces.length)
			throw new AwsError('InvalidParameterException',
				'There are no faces in the image. Should be at least 1.');
		const probe = faces[0];
		const matches = c.faces.filter((s) => s.label === probe.label && probe.Similarity >= t)
			.map((s) => ({ Similarity: probe.Similarity, Face: storedFace(s) }))
			.slice(0, max);
		return { SearchedFaceBoundingBox: probe.BoundingBox,
			SearchedFaceConfidence: probe.Confidence, FaceMatches: matches,
			FaceModelVersion: MODEL };
	},
	ListFaces(input) {
		const [, c] = collectionOf(input);
		return { Faces: c.faces.map(storedFace), FaceModelVersion: MODEL };
	},
};

// ---- crops: recognised by their pixel size ------------------------------------

// [width, height] of a JPEG (first SOFn) or PNG (IHDR), or null.
function imageSize(b) {
	if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50)
		return [b.readUInt32BE(16), b.readUInt32BE(20)];
	if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8)
		return null;
	for (let i = 2; i + 9 < b.length;) {
		if (b[i] !== 0xff) {
			i++;
			continue;
		}
		const m = b[i + 1];
		if (m === 0xff || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			i += m === 0xff ? 1 : 2;
			continue;
		}
		if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
			return [b.readUInt16BE(i + 7), b.readUInt16BE(i + 5)];
		i += 2 + b.readUInt16BE(i + 2);
	}
	return null;
}

// kf_image_box_rect: [x, y, w, h] of the crop around box in a W x H photo.
function cropRect(W, H, b) {
	let x0 = Math.floor((b.Left - CROP_MARGIN * b.Width) * W + BOX_EPS);
	let x1 = Math.ceil((b.Left + b.Width + CROP_MARGIN * b.Width) * W - BOX_EPS);
	let y0 = Math.floor((b.Top - CROP_MARGIN * b.Height) * H + BOX_EPS);
	let y1 = Math.ceil((b.Top + b.Height + CROP_MARGIN * b.Height) * H - BOX_EPS);
	x0 = Math.max(x0, 0);
	y0 = Math.max(y0, 0);
	x1 = Math.min(x1, W);
	y1 = Math.min(y1, H);
	return [x0, y0, x1 - x0, y1 - y0];
}

function cropFaces(bytes) {
	const size = imageSize(bytes);
	if (!size)
		return [];
	for (const tol of [0, 1]) {
		const c = crops.find((k) => Math.abs(k.w - size[0]) <= tol && Math.abs(k.h - size[1]) <= tol);
		if (c)
			return [c.face];
	}
	return [];
}

function normFace(f) {
	return { label: String(f.label || ''), BoundingBox: f.BoundingBox,
		Confidence: f.Confidence ?? 99.9, Similarity: f.Similarity ?? 99.0,
		LowQuality: !!f.LowQuality };
}

function registerPhoto(path, faces) {
	const bytes = readFileSync(path);
	const size = imageSize(bytes);
	if (!size)
		throw new Error(path + ': not a JPEG or PNG');
	const [W, H] = size;
	const list = faces.map(normFace);
	images.set(createHash('sha256').update(bytes).digest('hex'), list);
	for (const f of list) {
		const [x, y, w, h] = cropRect(W, H, f.BoundingBox);
		if (w <= 0 || h <= 0)
			continue;
		const b = f.BoundingBox;
		crops.push({ w, h, face: { ...f, BoundingBox: {
			Width: round(b.Width * W / w), Height: round(b.Height * H / h),
			Left: round((b.Left * W - x) / w), Top: round((b.Top * H - y) / h) } } });
	}
	return { width: W, height: H, faces: list.length };
}

// ---- scripting ----------------------------------------------------------------

function control(req, res, url, body) {
	const json = () => JSON.parse(body.toString('utf8') || '{}');
	try {
		if (req.method === 'POST' && url.pathname === '/_fake/image') {
			const o = json();
			if (!/^[0-9a-f]{64}$/.test(o.sha256 || '') || !Array.isArray(o.faces))
				throw new Error('want {"sha256": hex, "faces": [...]}');
			images.set(o.sha256, o.faces.map(normFace));
		} else if (req.method === 'POST' && url.pathname === '/_fake/photo') {
			const o = json();
			if (typeof o.path !== 'string' || !Array.isArray(o.faces))
				throw new Error('want {"path": file, "faces": [...]}');
			return send(res, 200, registerPhoto(o.path, o.faces));
		} else if (req.method === 'POST' && url.pathname === '/_fake/fail') {
			const o = json();
			if (!o.type || !(o.action === '*' || ACTIONS.includes(o.action)))
				throw new Error('want {"action": name|"*", "type": "...", "count": n}');
			faults.push({ action: o.action, type: o.type, count: o.count ?? 1,
				status: o.status ?? (o.type === 'InternalServerError' ? 500 : 400),
				message: o.message });
		} else if (req.method === 'GET' && url.pathname === '/_fake/calls') {
			return send(res, 200, calls);
		} else if (req.method === 'POST' && url.pathname === '/_fake/reset') {
			faults = [];
			calls = { total: 0 };
		} else if (req.method === 'GET' && url.pathname === '/_fake/collection') {
			const c = collections.get(url.searchParams.get('id') || '');
			if (!c)
				return send(res, 404, { error: 'no such collection' });
			return send(res, 200, { Faces: c.faces.map((s) => ({ ...storedFace(s), label: s.label })) });
		} else if (req.method === 'GET' && url.pathname === '/_fake/ping') {
			return send(res, 200, { ok: true });
		} else {
			return send(res, 404, { error: 'no such control path' });
		}
	} catch (e) {
		return send(res, 400, { error: String(e.message) });
	}
	res.writeHead(204);
	res.end();
}

async function serve(req, res, body) {
	const url = new URL(req.url, 'http://127.0.0.1');
	if (url.pathname.startsWith('/_fake/'))
		return control(req, res, url, body);
	let bad;
	try {
		bad = await check(req, body);
	} catch (e) {
		bad = [403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'];
	}
	if (bad)
		return fail(res, bad[0], bad[1], bad[2]);
	const target = String(req.headers['x-amz-target'] || '');
	const action = target.startsWith('RekognitionService.') ? target.slice(19) : '';
	if (req.method !== 'POST' || !handlers[action])
		return fail(res, 400, 'UnknownOperationException', 'Unknown operation ' + target);
	calls.total++;
	calls[action] = (calls[action] || 0) + 1;
	const f = faults.find((x) => x.count > 0 && (x.action === action || x.action === '*'));
	if (f) {
		f.count--;
		return fail(res, f.status, f.type, f.message);
	}
	const ctype = String(req.headers['content-type'] || '');
	let input;
	try {
		if (ctype !== 'application/x-amz-json-1.1')
			throw new Error('content type');
		input = JSON.parse(body.toString('utf8'));
		if (!input || typeof input !== 'object' || Array.isArray(input))
			throw new Error('not an object');
	} catch (e) {
		return fail(res, 400, 'SerializationException', 'Start of structure or map found where not expected.');
	}
	try {
		send(res, 200, handlers[action](input));
	} catch (e) {
		if (!(e instanceof AwsError))
			return fail(res, 500, 'InternalServerError', null);
		fail(res, e.status, e.type, e.message);
	}
}

http.createServer((req, res) => {
	const chunks = [];
	let size = 0;
	req.on('data', (c) => {
		size += c.length;
		if (size <= 16 * 1024 * 1024)
			chunks.push(c);
	});
	req.on('end', () => {
		if (size > 16 * 1024 * 1024)
			return fail(res, 413, 'SerializationException', 'Request entity too large');
		serve(req, res, Buffer.concat(chunks)).catch(() => fail(res, 500, 'InternalServerError', null));
	});
}).listen(port, '127.0.0.1');
