import { describe, expect, it } from 'vitest';
import { orderedFiles, parseKeyLists } from '../../../renderer/src/model/integrity';
import type { IntegrityResult } from '../../../shared/integrity';

describe('integrity panel model', () => {
  it('reads <region>=<path> key lists, one per line or comma, and refuses an entry without a region', () => {
    expect(parseKeyLists('')).toEqual({ lists: [], error: null });
    expect(parseKeyLists(' us-east-1=/k/a.json\neu-west-1 = /k/b.json, ')).toEqual({
      lists: [
        { region: 'us-east-1', path: '/k/a.json' },
        { region: 'eu-west-1', path: '/k/b.json' },
      ],
      error: null,
    });
    expect(parseKeyLists('/k/a.json').error).toMatch(/write <region>=<path>/);
    expect(parseKeyLists('mars=/k/a.json').error).toMatch(/"mars=\/k\/a.json"/);
  });

  it('lists log and digest files first, worst first', () => {
    const f = (path: string, role: string, status: string) => ({ fileId: 0, path, role, status, detail: '' });
    const r = { files: [f('a', 'other', 'not-applicable'), f('b', 'log', 'authenticated'), f('c', 'digest', 'failed'), f('d', 'log', 'not-covered')] } as unknown as IntegrityResult;
    expect(orderedFiles(r).map((x) => x.path)).toEqual(['c', 'd', 'b', 'a']);
  });
});
