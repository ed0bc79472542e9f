// s3ctl.mjs: the tests' own S3 client, signing with AWS's signer, for what
// kingface never does (make buckets, put and delete objects).
//
//   node s3ctl.mjs serve PORT DIR      run s3rver on 127.0.0.1:PORT storing in DIR
//   node s3ctl.mjs mkbucket BUCKET
//   node s3ctl.mjs put BUCKET KEY FILE
//   node s3ctl.mjs rm BUCKET KEY
//   env: KF_TEST_S3_ENDPOINT, KF_TEST_S3_KEY_ID, KF_TEST_S3_SECRET, KF_TEST_S3_REGION
import fs from 'node:fs';
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const [cmd, ...args] = process.argv.slice(2);

async function serve(port, dir) {
	const { default: S3rver } = await import('s3rver');
	await new S3rver({ port: Number(port), address: '127.0.0.1', directory: dir,
		silent: true }).run();
}

// S3 keys as the SDK sends them: each path segment URI-encoded once.
function encodeKey(key) {
	return key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g,
		(c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
}

async function send(method, path, body) {
	const ep = new URL(process.env.KF_TEST_S3_ENDPOINT);
	const signer = new SignatureV4({
		credentials: { accessKeyId: process.env.KF_TEST_S3_KEY_ID,
			secretAccessKey: process.env.KF_TEST_S3_SECRET },
		region: process.env.KF_TEST_S3_REGION, service: 's3', sha256: Sha256,
		uriEscapePath: false,
	});
	const req = await signer.sign({
		method, protocol: 'http:', hostname: ep.hostname, port: Number(ep.port), path,
		query: {}, headers: { host: ep.host,
			'content-length': String(body ? body.length : 0) }, body,
	});
	return new Promise((resolve, reject) => {
		const r = http.request({ host: ep.hostname, port: ep.port, method, path,
			headers: req.headers }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode,
				body: Buffer.concat(chunks).toString() }));
		});
		r.on('error', reject);
		r.end(body);
	});
}

async function main() {
	let res;
	switch (cmd) {
	case 'serve':
		return serve(args[0], args[1]);
	case 'mkbucket':
		res = await send('PUT', '/' + args[0], Buffer.alloc(0));
		break;
	case 'put':
		res = await send('PUT', '/' + args[0] + '/' + encodeKey(args[1]),
			fs.readFileSync(args[2]));
		break;
	case 'rm':
		res = await send('DELETE', '/' + args[0] + '/' + encodeKey(args[1]));
		break;
	default:
		console.error('usage: s3ctl.mjs serve PORT DIR | mkbucket B | put B KEY FILE | rm B KEY');
		process.exit(2);
	}
	if (res.status >= 300) {
		console.error(`s3ctl ${cmd}: HTTP ${res.status} ${res.body}`);
		process.exit(1);
	}
}

main().catch((e) => {
	console.error(`s3ctl ${cmd}: ${e.message}`);
	process.exit(1);
});
