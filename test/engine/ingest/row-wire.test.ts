/**
 * The rows' wire form between a parse worker and the writer (ingest/row-wire.ts): what the writer gets back is every
 * field of every packed row, exactly, whatever the record held (nulls, non-ASCII, made-up eventIDs, readOnly as a
 * boolean, a string or absent) — a field left off the wire would be stored as null without a word.
 */
import { describe, expect, it } from 'vitest';
import { packRows } from '../../../electron/engine/ingest/raw-blocks';
import { fromWire, toWire, wireTransfer } from '../../../electron/engine/ingest/row-wire';
import { normalizeRecord } from '../../../electron/engine/ingest/normalize';
import { Rng } from '../../generator/rng';
import { apiRecord } from '../../helpers/evidence';

function records(seed: number, n: number): ReturnType<typeof normalizeRecord>[] {
  const g = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(g.next() * xs.length)]!;
  const maybe = <T>(v: T): T | undefined => (g.next() < 0.3 ? undefined : v);
  return Array.from({ length: n }, (_, i) => {
    const id = `${seed}-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const ui = {
      type: pick(['AssumedRole', 'IAMUser', 'AWSService', 'Root']),
      principalId: maybe(pick(['AROAEXAMPLE:i-0abc', 'AIDAEXAMPLE', 'AROAEXAMPLE:élodie'])),
      arn: maybe(pick(['arn:aws:sts::111122223333:assumed-role/node/i-0abc', 'arn:aws:iam::111122223333:user/日本'])),
      accessKeyId: maybe(pick(['ASIAEXAMPLE0001', 'AKIAEXAMPLE0002', ''])),
      userName: maybe('alice'),
      invokedBy: maybe(pick(['eks.amazonaws.com', 'pods.eks.amazonaws.com'])),
      sessionContext: maybe({ sessionIssuer: { arn: maybe('arn:aws:iam::111122223333:role/node') } }),
    };
    const over: Record<string, unknown> = {
      userIdentity: g.next() < 0.1 ? undefined : ui,
      eventTime: pick(['2024-03-01T10:00:00Z', '2024-03-01T10:00:01.250Z', '2024-03-01 10:00:02']),
      eventSource: pick(['sts.amazonaws.com', 's3.amazonaws.com', 'eks-auth.amazonaws.com']),
      eventName: pick(['AssumeRole', 'GetObject', 'AssumeRoleForPodIdentity']),
      awsRegion: maybe(pick(['us-east-1', 'eu-west-3'])),
      recipientAccountId: maybe('111122223333'),
      sourceIPAddress: maybe(pick(['198.51.100.7', '2001:db8::1', 'eks.amazonaws.com'])),
      userAgent: maybe(pick(['aws-cli/2.15.0', 'Boto3/1.34 “quoted” ✓'])),
      errorCode: maybe(pick(['AccessDenied', 'NoSuchKey'])),
      readOnly: pick([true, false, 'true', 'false', undefined]),
      eventID: g.next() < 0.1 ? undefined : id,
    };
    const record = apiRecord(id, over);
    const raw = JSON.stringify(record);
    return normalizeRecord(record, raw, i, { parsed: true, bytes: Buffer.from(raw, 'utf8') });
  });
}

describe('row wire form', () => {
  it.each([1, 2, 3, 4, 5])('gives the writer every field of every packed row (seed %i)', (seed) => {
    const packed = packRows(records(seed, 3_000));
    const wire = toWire(packed);
    // As a worker posts it: cloned, its typed arrays handed over.
    const received = structuredClone(wire, { transfer: wireTransfer(wire) });
    const back = fromWire(received);
    // `timeSource` stays with the worker (its notes count it); the writer never reads it.
    const expected = packed.rows.map(({ timeSource: _t, ...row }) => row);
    expect(expected.some((r) => r.idSynthetic)).toBe(true);
    expect(expected.some((r) => r.readOnly === null)).toBe(true);
    expect(back.rows).toStrictEqual(expected);
    // (Cloned, a Buffer arrives as a Uint8Array: the bytes are compared.)
    const hex = (xs: Uint8Array[]) => xs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex'));
    expect(hex(back.blocks)).toEqual(hex(packed.blocks));
    expect(hex(back.filters)).toEqual(hex(packed.filters));
    expect(back.factBlocks).toStrictEqual(packed.factBlocks);
  });

  it('sends each repeated string once', () => {
    const wire = toWire(packRows(records(9, 2_000)));
    // Two unique strings a row (eventID and SHA-256), and a handful of shared values.
    expect(wire.rows.strings.length).toBeLessThan(2 * 2_000 + 100);
    expect(wire.rows.count).toBe(2_000);
  });
});
