// s3gate.mjs: the S3 front door of the tests. s3rver stores objects but does
// not check SigV4 signatures, so this gate listens on 127.0.0.1:PORT, recomputes
// each request's signature with AWS's own signer (@smithy/signature-v4) from
// the test credentials, answers 403 with S3's XML error on a mismatch
// (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied when unsigned) and
// otherwise proxies the request, without its Authorization, to s3rver.
//
//   node s3gate.mjs PORT UPSTREAM_PORT
//   env: KF_TEST_S3_KEY_ID, KF_TEST_S3_SECRET, KF_TEST_S3_REGION
//
// Test hooks (not S3, never signed), per bucket so parallel tests stay apart:
//   POST /__kf/fail?bucket=B&n=N&status=S  the next N requests to B answer S (503)
//   GET  /__kf/count?bucket=B              requests to B so far (JSON {"count":N})
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const [port, upstream] = process.argv.slice(2).map(Number);
const keyId = process.env.KF_TEST_S3_KEY_ID;
const secret = process.env.KF_TEST_S3_SECRET;
const region = process.env.KF_TEST_S3_REGION;
if (!port || !upstream || !keyId || !secret || !region) {
	console.error('usage: KF_TEST_S3_KEY_ID=.. KF_TEST_S3_SECRET=.. KF_TEST_S3_REGION=.. ' +
		'node s3gate.mjs PORT UPSTREAM_PORT');
	process.exit(2);
}
const signer = new SignatureV4({
	credentials: { accessKeyId: keyId, secretAccessKey: secret },
	region, service: 's3', sha256: Sha256, uriEscapePath: false,
});
const faults = new Map();	// bucket -> { n, status }
const counts = new Map();	// bucket -> requests

function s3error(res, method, status, code, message) {
	const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code +
		'</Code><Message>' + message + '</Message><RequestId>kf-gate</RequestId></Error>';
	res.writeHead(status, { 'content-type': 'application/xml',
		'content-length': method === 'HEAD' ? 0 : Buffer.byteLength(body) });
	res.end(method === 'HEAD' ? undefined : body);
}

// The signature the request should carry, or an S3 error code.
async function check(req, url) {
	const auth = req.headers.authorization;
	if (!auth)
		return 'AccessDenied';
	const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
	if (!m)
		return 'AuthorizationHeaderMalformed';
	if (m[1] !== keyId)
		return 'InvalidAccessKeyId';
	const date = req.headers['x-amz-date'] || '';
	const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
	if (!d || date.slice(0, 8) !== m[2] || m[3] !== region)
		return 'SignatureDoesNotMatch';
	const signed = m[4].split(';');
	const headers = {};
	for (const h of signed)
		headers[h] = req.headers[h] === undefined ? '' : String(req.headers[h]);
	const query = {};
	for (const [k, v] of url.searchParams) {
		if (k in query)
			query[k] = [].concat(query[k], v);
		else
			query[k] = v;
	}
	const signingDate = new Date(Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
	const out = await signer.sign({
		method: req.method, protocol: 'http:', hostname: '127.0.0.1', port,
		path: url.pathname, query, headers,
	}, { signingDate, signableHeaders: new Set(signed) });
	const got = /Signature=([0-9a-f]{64})/.exec(out.headers.authorization);
	return got && got[1] === m[5] ? null : 'SignatureDoesNotMatch';
}

function bucketOf(url) {
	return decodeURIComponent(url.pathname.split('/')[1] || '');
}

function hook(req, res, url) {
	const bucket = url.searchParams.get('bucket') || '';
	if (url.pathname === '/__kf/fail') {
		faults.set(bucket, { n: Number(url.searchParams.get('n') || 1),
			status: Number(url.searchParams.get('status') || 503) });
		res.writeHead(204);
		return res.end();
	}
	if (url.pathname === '/__kf/count') {
		res.writeHead(200, { 'content-type': 'application/json' });
		return res.end(JSON.stringify({ count: counts.get(bucket) || 0 }));
	}
	res.writeHead(404);
	res.end();
}

function proxy(req, res, body) {
	const headers = { ...req.headers };
	delete headers.authorization;	// s3rver only knows its own key: go anonymous
	const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method,
		path: req.url, headers }, (ur) => {
		res.writeHead(ur.statusCode, ur.headers);
		ur.pipe(res);
	});
	up.on('error', (e) => s3error(res, req.method, 502, 'BadGateway', String(e.message)));
	up.end(body);
}

http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', async () => {
		const url = new URL(req.url, 'http://127.0.0.1');
		if (url.pathname.startsWith('/__kf/'))
			return hook(req, res, url);
		const bucket = bucketOf(url);
		counts.set(bucket, (counts.get(bucket) || 0) + 1);
		let code;
		try {
			code = await check(req, url);
		} catch (e) {
			code = 'SignatureDoesNotMatch';
		}
		if (code) {
			const why = code === 'SignatureDoesNotMatch' ?
				'The request signature we calculated does not match the signature you provided. Check your key and signing method.' :
				code === 'InvalidAccessKeyId' ?
				'The AWS Access Key Id you provided does not exist in our records.' :
				'Access Denied';
			return s3error(res, req.method, code === 'AuthorizationHeaderMalformed' ? 400 : 403,
				code, why);
		}
		const f = faults.get(bucket);
		if (f && f.n > 0) {
			f.n--;
			return s3error(res, req.method, f.status, 'InternalError',
				'We encountered an internal error. Please try again.');
		}
		proxy(req, res, Buffer.concat(chunks));
	});
}).listen(port, '127.0.0.1');
