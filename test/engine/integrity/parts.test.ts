/**
 * The pieces of integrity validation on their own: the gzip first-member probe, the exact signing string, key
 * loading and fingerprints (PKCS#1 and SPKI, MD5 of the DER bytes), choosing the key by region, fingerprint and
 * validity, where a digest sits against its key, and recognising key lists and head-object output at ingest.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GzipMemberProbe, gzipHeaderLength } from '../../../electron/engine/ingest/gzip-members';
import { parseEvidence } from '../../../electron/engine/ingest/parse-file';
import { digestLocation, parseDigestKey, signingString } from '../../../electron/engine/integrity/digest';
import { chooseKey, loadDerKey, md5Hex, parsePublicKeys, regionFromPath, verifySignature } from '../../../electron/engine/integrity/keys';
import { integrityDocumentKind } from '../../../electron/engine/integrity/documents';
import { headObjectTarget } from '../../../electron/engine/integrity/head-object';
import { parseKeyListSpec } from '../../../electron/engine/integrity/store';
import { listPublicKeysJson } from '../../generator/digests';
import { fixtureKeys, T0 } from '../../helpers/integrity-fixture';

async function probe(bytes: Buffer, chunk = 7): Promise<ReturnType<GzipMemberProbe['result']>> {
  const p = new GzipMemberProbe({ hashFirstMember: true });
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  await pipeline(Readable.from(chunks), p, new Writable({ write: (_c, _e, cb) => cb() }));
  return p.result();
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('gzip first-member probe', () => {
  const first = Buffer.from('{"Records":[]}'.repeat(500));
  const one = gzipSync(first);

  it('finds no data after a single member, whatever the chunking', async () => {
    for (const chunk of [1, 7, 1 << 16]) expect(await probe(one, chunk)).toEqual({ trailingBytes: 0, firstMemberSha256: sha(first) });
  });

  it('counts an appended member, trailing zeros and garbage as data after the first member', async () => {
    const second = gzipSync('{"Records":[{"eventName":"forged"}]}');
    expect(await probe(Buffer.concat([one, second]))).toEqual({ trailingBytes: second.length, firstMemberSha256: sha(first) });
    expect((await probe(Buffer.concat([one, Buffer.alloc(9)]))).trailingBytes).toBe(9);
    expect((await probe(Buffer.concat([one, Buffer.from('garbage')]))).trailingBytes).toBe(7);
    // An empty first member followed by the real content: the case a trailer-only check would miss.
    const empty = gzipSync(Buffer.alloc(0));
    expect(await probe(Buffer.concat([empty, one]))).toEqual({ trailingBytes: one.length, firstMemberSha256: sha('') });
  });

  it('parses optional header fields (FNAME, FEXTRA, FCOMMENT, FHCRC) and knows nothing of truncated or non-gzip data', async () => {
    const named = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08 | 0x04 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]), Buffer.from([3, 0, 1, 2, 3]), Buffer.from('log.json\0'), Buffer.from('note\0'), Buffer.from([0, 0]), one.subarray(10)]);
    expect(gzipHeaderLength(named)).toBe(10 + 5 + 9 + 5 + 2);
    expect(await probe(named)).toEqual({ trailingBytes: 0, firstMemberSha256: sha(first) });
    expect((await probe(one.subarray(0, one.length - 20))).trailingBytes).toBeNull();
    expect((await probe(Buffer.from('{"Records":[]}'))).trailingBytes).toBeNull();
  });

  it('is recorded by parseEvidence, with the first member\'s own hash, and the file still loads', async () => {
    const extra = gzipSync('{"Records":[]}');
    const sink = { rows: async () => {} };
    const r = await parseEvidence({ bytes: Buffer.concat([one, extra]) }, sink);
    expect(r).toMatchObject({ compression: 'gzip', gzipTrailingBytes: extra.length, sha256FirstMember: sha(first) });
    expect(r.sha256Decompressed).toBe(sha(Buffer.concat([first, Buffer.from('{"Records":[]}')])));
    expect(await parseEvidence({ bytes: one }, sink)).toMatchObject({ gzipTrailingBytes: 0, sha256FirstMember: null });
    expect(await parseEvidence({ bytes: first }, sink)).toMatchObject({ gzipTrailingBytes: null, sha256FirstMember: null });
  });
});

describe('signatures and keys', () => {
  const { a, b } = fixtureKeys();

  it('signs exactly `end\\nbucket/key\\nsha256\\nprevious-or-null`, and a CRLF-joined string does not verify', () => {
    const d = { digestEndTime: '2026-03-02T01:00:00Z', digestS3Bucket: 'bkt', previousDigestSignature: null };
    const s = signingString(d, 'AWSLogs/k.json.gz', 'ab'.repeat(32));
    expect(s).toBe(`2026-03-02T01:00:00Z\nbkt/AWSLogs/k.json.gz\n${'ab'.repeat(32)}\nnull`);
    const key = loadDerKey(a.der)!.key;
    const good = sign('sha256', Buffer.from(s), a.privateKey).toString('hex');
    const crlf = sign('sha256', Buffer.from(s.replace(/\n/g, '\r\n')), a.privateKey).toString('hex');
    expect(verifySignature(key, s, good)).toBe(true);
    expect(verifySignature(key, s, crlf)).toBe(false);
    expect(verifySignature(key, s, good.toUpperCase())).toBe(true);
    expect(verifySignature(key, s, 'not hex')).toBe(false);
    expect(verifySignature(key, signingString({ ...d, previousDigestSignature: 'ff' }, 'AWSLogs/k.json.gz', 'ab'.repeat(32)), good)).toBe(false);
  });

  it('loads PKCS#1 and SPKI DER keys; the fingerprint is the MD5 of the DER bytes as listed', () => {
    expect(loadDerKey(a.der)!.encoding).toBe('pkcs1');
    expect(loadDerKey(b.der)!.encoding).toBe('spki');
    expect(loadDerKey(Buffer.from('nonsense'))).toBeNull();
    const keys = parsePublicKeys(listPublicKeysJson([a, b]), 'list.json', 'us-east-1');
    expect(Array.isArray(keys) && keys.map((k) => [k.fingerprint, k.encoding])).toEqual([
      [md5Hex(a.der), 'pkcs1'],
      [md5Hex(b.der), 'spki'],
    ]);
    // The two encodings of one key are different bytes, hence different fingerprints.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(loadDerKey(ec)).toBeNull();
    expect(parsePublicKeys('{"Keys":[]}', 'x', null)).toMatch(/no PublicKeyList/);
  });

  it('chooses the key by region, fingerprint and validity window', () => {
    const keys = parsePublicKeys(listPublicKeysJson([a, b]), 'list.json', 'us-east-1') as Exclude<ReturnType<typeof parsePublicKeys>, string>;
    expect(chooseKey(keys, 'us-east-1', a.fingerprint, T0).kind).toBe('ok');
    expect(chooseKey(keys, 'eu-west-1', a.fingerprint, T0)).toMatchObject({ kind: 'problem', finding: 'key-wrong-region' });
    expect(chooseKey(keys, 'us-east-1', a.fingerprint, T0 + 3 * 3_600_000)).toMatchObject({ kind: 'problem', finding: 'key-not-valid-at' });
    expect(chooseKey(keys, 'us-east-1', 'f'.repeat(32), T0)).toMatchObject({ kind: 'problem', finding: 'key-not-found' });
    expect(chooseKey([], 'us-east-1', a.fingerprint, T0)).toEqual({ kind: 'no-keys' });
  });

  it('reads the region of a key list from its path, or from `<region>=<file>`', () => {
    expect(regionFromPath('/case/keys/us-east-1/list-public-keys.json')).toBe('us-east-1');
    expect(regionFromPath('/case/list-public-keys-eu-west-1.json')).toBe('eu-west-1');
    expect(regionFromPath('/case/us-gov-west-1/k.json')).toBe('us-gov-west-1');
    expect(regionFromPath('/case/keys.json')).toBeNull();
    expect(parseKeyListSpec('ap-southeast-2=/k/list.json')).toEqual({ region: 'ap-southeast-2', path: '/k/list.json' });
    expect(parseKeyListSpec('/k/a=b.json')).toEqual({ path: '/k/a=b.json' });
  });
});

describe('digest keys and locations', () => {
  const key = 'AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_my_trail-1_us-west-2_20260302T020000Z_backfill.json.gz';

  it('parses organization and backfill digest keys', () => {
    expect(parseDigestKey(key)).toEqual({ prefix: '', org: 'o-a1b2c3d4e5', account: '111122223333', region: 'us-east-1', trail: 'my_trail-1', homeRegion: 'us-west-2', backfill: true });
    expect(parseDigestKey(`logs/${key.replace('_backfill', '')}`)).toMatchObject({ prefix: 'logs/', backfill: false });
    expect(parseDigestKey('AWSLogs/x/digest.json.gz')).toBeNull();
  });

  it('compares where a digest was found with where it says it was written', () => {
    expect(digestLocation(`/evidence/bucket/${key}`, key)).toEqual({ kind: 'at-key' });
    expect(digestLocation(`/evidence/case.zip!/${key}`, key)).toEqual({ kind: 'at-key' });
    const moved = key.replace('/02/', '/01/');
    expect(digestLocation(`/evidence/bucket/${moved}`, key)).toEqual({ kind: 'moved', observedKey: moved });
    expect(digestLocation(`/downloads/${key.split('/').pop()}`, key)).toEqual({ kind: 'by-name' });
    expect(digestLocation('/downloads/digest.json.gz', key)).toEqual({ kind: 'unknown' });
  });

  it('ties `<digest file name>.head-object.json` to its digest: same folder first, else the only one of that name', () => {
    const d1 = { path: '/b/x/D.json.gz' };
    const d2 = { path: '/b/y/D.json.gz' };
    expect(headObjectTarget('/b/y/D.json.gz.head-object.json', [d1, d2])).toBe(d2);
    expect(headObjectTarget('/elsewhere/D.json.gz.head-object.json', [d1, d2])).toBeNull();
    expect(headObjectTarget('/elsewhere/D.json.gz.head-object.json', [d1])).toBe(d1);
    expect(headObjectTarget('/b/x/D.json', [d1])).toBeNull();
  });

  it('ingest keeps list-public-keys and head-object output as documents of their own format', async () => {
    const sink = { rows: async () => {} };
    const keys = listPublicKeysJson([fixtureKeys().a]);
    expect(await parseEvidence({ bytes: Buffer.from(keys) }, sink)).toMatchObject({ format: 'cloudtrail-public-keys', documents: [{ kind: 'cloudtrail-public-keys', raw: keys.trim() }], failures: [] });
    const head = '{"ContentLength":12,"Metadata":{"signature":"abcd","signature-algorithm":"SHA256withRSA"}}';
    expect(await parseEvidence({ bytes: gzipSync(head) }, sink)).toMatchObject({ format: 's3-head-object', documents: [{ kind: 's3-head-object', raw: head }], failures: [] });
  });

  it('recognises list-public-keys and head-object output from content', () => {
    expect(integrityDocumentKind({ PublicKeyList: [] })).toBe('cloudtrail-public-keys');
    expect(integrityDocumentKind({ ContentLength: 1, Metadata: { signature: 'ab', 'signature-algorithm': 'SHA256withRSA' } })).toBe('s3-head-object');
    expect(integrityDocumentKind({ Metadata: {} })).toBeNull();
    expect(integrityDocumentKind([])).toBeNull();
  });
});
