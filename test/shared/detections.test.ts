/** One severity per detection (shared/detections.ts), and the custody log's words for a table export. */
import { describe, expect, it } from 'vitest';
import { FLAGS } from '../../shared/attribution';
import { DETECTIONS, bySeverity, severityOf, topSeverity } from '../../shared/detections';
import { custodySummary } from '../../shared/custody';
import type { CustodyEntry } from '../../shared/api';

describe('detection severities', () => {
  it('gives every detection a severity and a summary', () => {
    expect(Object.keys(DETECTIONS).sort()).toEqual([...FLAGS].sort());
    for (const f of FLAGS) expect(DETECTIONS[f].summary.length).toBeGreaterThan(20);
  });

  it('rates a stolen or misused credential high and a first call medium', () => {
    for (const f of ['token-exchange-outside-cluster', 'node-credentials-off-node', 'token-minted-by-non-kubelet', 'credentials-after-pod-deleted', 'eks-auth-by-hand'] as const) {
      expect(severityOf(f)).toBe('high');
    }
    expect(severityOf('first-seen-api')).toBe('medium');
  });

  it('orders most severe first, then by name, and takes the most severe of several', () => {
    expect(bySeverity(['first-seen-api', 'token-exchange-outside-cluster', 'eks-auth-by-hand'])).toEqual(['eks-auth-by-hand', 'token-exchange-outside-cluster', 'first-seen-api']);
    expect(bySeverity().at(-1)).toBe('first-seen-api');
    expect(topSeverity(['first-seen-api'])).toBe('medium');
    expect(topSeverity(['first-seen-api', 'eks-auth-by-hand'])).toBe('high');
    expect(topSeverity([])).toBeNull();
  });
});

describe('custody summary of a table export', () => {
  const entry = (details: Record<string, unknown>): CustodyEntry => ({ seq: 3, at: '2026-03-02T10:00:00Z', actor: 'a@b', action: 'export', toolVersion: '0', details, prevHash: '', entryHash: '' });

  it('names the format, the events, the filters, the file and its SHA-256', () => {
    const lines = custodySummary(entry({ scope: 'event table', format: 'timesketch', filters: { flag: 'any', fromMs: 5 }, events: 31, destination: 'podtrail-events.timesketch.jsonl', sha256: 'ab'.repeat(32), bytes: 1000 }));
    expect(lines[0]).toBe('timesketch export of the event table, 31 events (filters: flag=any, fromMs=5) → podtrail-events.timesketch.jsonl');
    expect(lines[1]).toBe(`file SHA-256 ${'ab'.repeat(32)}, 1000 bytes`);
    expect(custodySummary(entry({ scope: 'event table', format: 'csv', filters: {}, events: 0, destination: 'x.csv', sha256: 'c', bytes: 0 }))[0]).toContain('(no filters)');
  });

  it('still reads a report export as before', () => {
    expect(custodySummary(entry({ format: 'json', eventID: 'e1', destination: 'r.json', reportSha256: 'ff' }))).toEqual(['json report on event e1 → r.json', 'report SHA-256 ff']);
  });
});
