/**
 * The case report's chain at a readable size: 13 px text drawn 1:1 in a 640-unit-wide figure (fits an A4 page),
 * long values wrapped onto more lines and never cut, every value escaped.
 */
import { describe, expect, it } from 'vitest';
import { caseChainSvg, DIAGRAM_WIDTH, wrap, WRAP_AT } from '../../../electron/engine/report/case-chain-svg';
import type { AttributionRecord } from '../../../shared/attribution';

const long = 'arn:aws:sts::123456789012:assumed-role/a-very-long-role-name-for-the-payments-api-in-production/botocore-session-1700000000';

function record(): AttributionRecord {
  return {
    eventID: 'e1', eventTime: '2026-03-02T02:24:52Z', eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue<script>',
    recipientAccountId: '123456789012', awsRegion: 'us-west-2', sourceIPAddress: '185.220.103.220', accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
    mechanism: 'irsa', chained: false, chain: [{ accessKeyId: 'ASIAEXAMPLEEXAMPLE01', issuedBy: { eventID: 'x', eventName: 'AssumeRoleWithWebIdentity', roleArn: null } }],
    principal: long, cluster: { name: 'payments-west', arn: null, oidcId: 'ABCDEF' }, namespace: 'payments', serviceAccount: 'payments-api',
    pod: { name: 'payments-api-7f9c8b6d4-x2x9q', uid: 'uid-1' }, node: { instanceId: 'i-0123456789abcdef0', name: null },
    confidence: { identity: 'proven', pod: 'inferred', node: 'ambiguous' }, candidates: [], notes: [], evidence: [],
  };
}

describe('case report chain diagram', () => {
  it('wraps a long value into lines of at most WRAP_AT characters, losing nothing', () => {
    const lines = wrap(long);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(WRAP_AT);
    expect(lines.join('')).toBe(long);
    expect(wrap('a b c', 3)).toEqual(['a b', 'c']);
    expect(wrap('')).toEqual(['']);
  });

  it('draws at 1:1, 13 px, with every value whole and escaped', () => {
    const svg = caseChainSvg(record());
    expect(svg).toMatch(new RegExp(`^<svg [^>]*width="${DIAGRAM_WIDTH}" height="(\\d+)" viewBox="0 0 ${DIAGRAM_WIDTH} \\1"[^>]*font-size="13"`));
    const text = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join('');
    for (const v of wrap(long)) expect(text).toContain(v);
    expect(text).toContain('payments-api-7f9c8b6d4-x2x9q');
    expect(text).toContain('i-0123456789abcdef0');
    expect(svg).not.toContain('<script>');
    expect(text).toContain('GetSecretValue&lt;script&gt;');
    expect(svg).not.toContain('…');
    for (const c of ['proven', 'inferred', 'ambiguous']) expect(text).toContain(c);
  });

  it('a session: its own first box', () => {
    const svg = caseChainSvg(record(), { title: 'SESSION', lines: ['ASIAEXAMPLEEXAMPLE01', '15 events'] });
    expect(svg).toContain('>SESSION<');
    expect(svg).not.toContain('>EVENT<');
  });
});
