import { describe, expect, it } from 'vitest';
import { chainBoxes, chainSvg } from '../../../electron/engine/report/chain-svg';
import type { AttributionRecord } from '../../../shared/attribution';

const base: AttributionRecord = {
  eventID: 'e1',
  eventTime: '2026-03-02T10:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  recipientAccountId: '1',
  awsRegion: 'us-east-1',
  sourceIPAddress: '10.0.0.1',
  accessKeyId: 'ASIAX',
  mechanism: 'pod-identity',
  chained: false,
  chain: [{ accessKeyId: 'ASIAX', issuedBy: { eventID: 'i1', eventName: 'AssumeRole', roleArn: 'arn:aws:iam::1:role/r' } }],
  principal: 'system:serviceaccount:ns:sa',
  cluster: { name: 'prod', arn: null, oidcId: null },
  namespace: 'ns',
  serviceAccount: 'sa',
  pod: { name: '<img src=x onerror=alert(1)>', uid: 'u' },
  node: { instanceId: 'i-0123456789abcdef0', name: null },
  confidence: { identity: 'proven', pod: 'proven', node: 'inferred' },
  candidates: [],
  evidence: ['i1'],
  notes: [],
};

describe('report chain image', () => {
  it('draws event → credential → identity → pod → node → cluster with each edge labelled', () => {
    const { boxes, edges } = chainBoxes(base);
    expect(boxes.map((b) => b.title)).toEqual(['EVENT', 'CREDENTIAL', 'POD-IDENTITY', 'POD', 'NODE', 'CLUSTER']);
    expect(edges.map((x) => x.label)).toEqual(['proven', 'proven', 'proven', 'inferred', 'proven']);
  });

  it('escapes text from the logs', () => {
    const svg = chainSvg(base);
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;img src=x');
  });

  it('is deterministic', () => {
    expect(chainSvg(base)).toBe(chainSvg(structuredClone(base)));
  });

  it('shows a missing issuer as a chain that stops', () => {
    const { boxes, edges } = chainBoxes({ ...base, mechanism: 'assumed-role', chain: [{ accessKeyId: 'ASIAY', issuedBy: null }], pod: null, node: null, cluster: null, confidence: { identity: 'none', pod: 'none', node: 'none' } });
    expect(boxes[1]!.lines[1]).toBe('← issuer not in bundle');
    expect(edges[0]!.label).toBe('none');
  });
});
