/**
 * The Timesketch export (`podtrail attribute --format timesketch`): Timesketch's mandatory fields, every field of
 * the attribution record flattened to top-level keys with its exact value, one event per line whatever the
 * evidence holds, and a message line on which no hostile string can hide, reorder or break the text.
 */
import { describe, expect, it } from 'vitest';
import type { AttributionRecord } from '../../../shared/attribution';
import { DATA_TYPE, TIMESTAMP_DESC, isoWithZone, timesketchEvent, timesketchLine, timesketchMessage } from '../../../electron/engine/report/timesketch';
import { revealInvisible } from '../../../electron/engine/report/escape';
import { HOSTILE } from '../../generator/hostile';

/** Characters that must never reach the message raw (revealed as `\u{…}`), line breaks and tabs included. */
const RAW_IN_MESSAGE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;
/** What any line reader (Python's universal newlines, str.splitlines, editors) may take for a line break. */
const LINE_BREAKS = /[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

/** An attribution with every field, optional ones included, each string field carrying `s`. */
function fullRecord(s: string, over: Partial<AttributionRecord> = {}): AttributionRecord {
  return {
    eventID: `ev-${s}`,
    eventTime: '2026-03-02T10:15:00Z',
    eventSource: `secretsmanager.amazonaws.com${s}`,
    eventName: `GetSecretValue${s}`,
    recipientAccountId: `1111${s}`,
    awsRegion: `us-east-1${s}`,
    sourceIPAddress: s,
    accessKeyId: `ASIA${s}`,
    mechanism: 'irsa',
    chained: true,
    chain: [
      { accessKeyId: `ASIA1${s}`, issuedBy: { eventID: `issue-1${s}`, eventName: 'AssumeRole', roleArn: `arn:aws:iam::1:role/target${s}` } },
      { accessKeyId: `ASIA2${s}`, issuedBy: { eventID: `issue-2${s}`, eventName: 'AssumeRoleWithWebIdentity', roleArn: `arn:aws:iam::1:role/pod${s}` } },
      { accessKeyId: `ASIA3${s}`, issuedBy: null },
    ],
    principal: `system:serviceaccount:ns${s}:sa${s}`,
    cluster: { name: `prod${s}`, arn: `arn:aws:eks:us-east-1:1:cluster/prod${s}`, oidcId: `OIDC${s}` },
    namespace: `ns${s}`,
    serviceAccount: `sa${s}`,
    pod: { name: `api-7f9c${s}`, uid: `uid${s}`, nameTruncated: true },
    node: { instanceId: `i-0abc${s}`, name: `ip-10-0-0-1${s}` },
    confidence: { identity: 'proven', pod: 'inferred', node: 'inferred' },
    candidates: [
      { pod: { name: `api-a${s}`, uid: `uid-a${s}` }, node: { instanceId: `i-0a${s}`, name: null }, score: 0.7, why: `closer${s}` },
      { pod: null, node: { instanceId: null, name: `node-b${s}` }, score: 0.3, why: `farther${s}` },
    ],
    ruledOut: [
      { pod: { name: `api-old${s}`, uid: `uid-old${s}` }, node: { instanceId: `i-0old${s}`, name: null }, rule: 'pod-ip', why: `other IP${s}`, evidence: [`audit-1${s}`, `audit-2${s}`] },
    ],
    notes: [`note one${s}`, `note two${s}`],
    evidence: [`issue-1${s}`, `issue-2${s}`],
    flags: ['token-exchange-outside-cluster', 'first-seen-api'],
    ...over,
  };
}

/** Every leaf (string, number, boolean) of a value. */
function leaves(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.flatMap(leaves);
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).flatMap(leaves);
  return [v];
}

describe('Timesketch fields', () => {
  const a = fullRecord('');
  const e = timesketchEvent(a);

  it("has Timesketch's mandatory fields: message, datetime in ISO 8601 with its zone, timestamp_desc; and the timestamp in µs", () => {
    expect(e.message.length).toBeGreaterThan(20);
    expect(e.datetime).toBe('2026-03-02T10:15:00+00:00');
    expect(e.timestamp_desc).toBe(TIMESTAMP_DESC);
    expect(e.timestamp_desc).toBe('Event Time');
    expect(e.timestamp).toBe(Date.parse('2026-03-02T10:15:00Z') * 1000);
    expect(e.data_type).toBe(DATA_TYPE);
    expect(Object.keys(e).slice(0, 4)).toEqual(['message', 'datetime', 'timestamp', 'timestamp_desc']);
  });

  it('flattens every field of the record: no nested objects, every value of the record present', () => {
    for (const [k, v] of Object.entries(e)) {
      const ok = v === null || ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
      expect(ok, `${k}: ${JSON.stringify(v)}`).toBe(true);
    }
    const flat = new Set(Object.values(e).flatMap((v) => (Array.isArray(v) ? v : [v])).map(String));
    const joined = [...flat].join('\n');
    const missing = leaves(a).filter((leaf) => !flat.has(String(leaf)) && !joined.includes(String(leaf)));
    expect(missing).toEqual([]);
  });

  it('carries fields the record gains later, flattened the same way', () => {
    const grown = { ...a, cluster: { ...a.cluster!, account: '111122223333', region: 'us-east-1' }, verdict: { by: 'rule', score: 2 }, tags: ['x'] };
    expect(timesketchEvent(grown as AttributionRecord)).toMatchObject({
      cluster_name: 'prod', cluster_account: '111122223333', cluster_region: 'us-east-1', verdict_by: 'rule', verdict_score: 2, tags: ['x'],
    });
  });

  it('names the attribution fields as investigators search them', () => {
    expect(e).toMatchObject({
      mechanism: 'irsa',
      chained: true,
      cluster_name: 'prod',
      cluster_arn: 'arn:aws:eks:us-east-1:1:cluster/prod',
      cluster_oidcId: 'OIDC',
      namespace: 'ns',
      serviceAccount: 'sa',
      pod_name: 'api-7f9c',
      pod_uid: 'uid',
      pod_nameTruncated: true,
      node_instanceId: 'i-0abc',
      node_name: 'ip-10-0-0-1',
      confidence_identity: 'proven',
      confidence_pod: 'inferred',
      confidence_node: 'inferred',
      flags: ['token-exchange-outside-cluster', 'first-seen-api'],
      chain: ['ASIA1<AssumeRole', 'ASIA2<AssumeRoleWithWebIdentity', 'ASIA3<not in bundle'],
      chain_issuedBy_eventIDs: ['issue-1', 'issue-2'],
      candidates: ['api-a@i-0a:0.7', '@node-b:0.3'],
      ruledOut: ['api-old@i-0old:pod-ip'],
    });
  });

  it('keeps the same keys on every event, whatever is missing (a stable index mapping)', () => {
    const bare = timesketchEvent(
      fullRecord('', {
        mechanism: 'iam-user', chained: false, chain: [], cluster: null, namespace: null, serviceAccount: null, pod: null, node: null,
        candidates: [], ruledOut: undefined, notes: [], evidence: [], flags: undefined, principal: null, sourceIPAddress: null, accessKeyId: null,
      }),
    );
    expect(Object.keys(bare)).toEqual(Object.keys(e));
    expect(bare).toMatchObject({ cluster_name: null, pod_name: null, pod_nameTruncated: false, node_instanceId: null, flags: [], ruledOut: [], chain: [] });
    expect(bare.message).toBe('unknown caller called secretsmanager.amazonaws.com GetSecretValue from an unknown address [iam-user; identity proven]');
  });

  it('the message says who did what, from where, attributed to which pod and node, how sure, and the flags', () => {
    expect(e.message).toBe(
      'system:serviceaccount:ns:sa called secretsmanager.amazonaws.com GetSecretValue from  → pod ns/api-7f9c… (inferred), node ip-10-0-0-1 (inferred), ' +
        'cluster prod [irsa, chained; identity proven] ⚑ token-exchange-outside-cluster, first-seen-api',
    );
    const ambiguous = timesketchEvent(fullRecord('x', { pod: null, confidence: { identity: 'proven', pod: 'ambiguous', node: 'none' }, node: null, flags: [] }));
    expect(ambiguous.message).toContain('→ 2 candidate pods (ambiguous), cluster prodx');
    expect(ambiguous.message).not.toContain('⚑');
  });

  it('datetime: UTC with an explicit zone, milliseconds kept, offsets converted', () => {
    expect(isoWithZone(Date.parse('2026-03-02T10:15:00Z'))).toBe('2026-03-02T10:15:00+00:00');
    expect(isoWithZone(Date.parse('2026-03-02T10:15:00.250Z'))).toBe('2026-03-02T10:15:00.250+00:00');
    const shifted = timesketchEvent(fullRecord('', { eventTime: '2026-03-02T12:15:00+02:00' }));
    expect(shifted.datetime).toBe('2026-03-02T10:15:00+00:00');
    expect(shifted.eventTime).toBe('2026-03-02T12:15:00+02:00');
    expect(() => timesketchEvent(fullRecord('', { eventTime: 'yesterday' }))).toThrow(/eventTime/);
  });
});

describe('hostile strings in every field', () => {
  it.each(HOSTILE.map((h) => [h.id, h.value] as const))('%s: exact in the fields, one line, shown as text in the message', (_id, value) => {
    const a = fullRecord(value);
    const line = timesketchLine(a);
    // One event, one line: the only line break is the last character, whatever line reader Timesketch uses.
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(LINE_BREAKS);
    // The fields keep the evidence's exact value.
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toEqual(JSON.parse(JSON.stringify(timesketchEvent(a))));
    expect(parsed.sourceIPAddress).toBe(value);
    expect(parsed.pod_name).toBe(`api-7f9c${value}`);
    expect(parsed.notes).toEqual([`note one${value}`, `note two${value}`]);
    // The message shows invisible characters as escapes and stays on one line.
    const message = parsed.message as string;
    expect(message).not.toMatch(RAW_IN_MESSAGE);
    expect(message).toContain(revealInvisible(value).replace(/[\t\n\r]/g, (c) => `\\u{${c.charCodeAt(0).toString(16).padStart(4, '0')}}`));
  });

  it('line and paragraph separators and NEL, which JSON.stringify leaves raw, are escaped', () => {
    const a = fullRecord('a\u2028b\u2029c\u0085d');
    const line = timesketchLine(a);
    expect(line).toContain('a\\u2028b\\u2029c\\u0085d');
    expect((JSON.parse(line) as { namespace: string }).namespace).toBe('nsa\u2028b\u2029c\u0085d');
    expect(timesketchMessage(a)).toContain('a\\u{2028}b\\u{2029}c\\u{0085}d');
  });
});
