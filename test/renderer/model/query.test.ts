import { describe, expect, it } from 'vitest';
import { cleanFilters, queryKey, searchIntent, sortingFromSort, tableStateToQuery } from '../../../renderer/src/model/query';
import { filtersFromBrush, bars, timeTicks } from '../../../renderer/src/model/histogram';

describe('tableStateToQuery', () => {
  it('maps the first sorted column to the engine sort, and the page to offset/limit', () => {
    const q = tableStateToQuery({ filters: { mechanism: 'irsa' }, sorting: [{ id: 'pod', desc: true }], pageIndex: 3, pageSize: 200 });
    expect(q).toEqual({ filters: { mechanism: 'irsa' }, sort: { column: 'pod', dir: 'desc' }, offset: 600, limit: 200 });
  });

  it('falls back to time ascending for no sort or an unsortable column', () => {
    expect(tableStateToQuery({ filters: {}, sorting: [], pageIndex: 0, pageSize: 50 }).sort).toEqual({ column: 'eventTime', dir: 'asc' });
    expect(tableStateToQuery({ filters: {}, sorting: [{ id: 'confidence', desc: true }], pageIndex: 0, pageSize: 50 }).sort).toEqual({ column: 'eventTime', dir: 'asc' });
  });

  it('drops empty filters, trims search, and keeps the limit inside the API bounds', () => {
    const q = tableStateToQuery({ filters: { account: '', region: 'us-east-1', search: '  GetSecret ', pod: '   ', fromMs: 10.7 }, sorting: [], pageIndex: 0, pageSize: 5000 });
    expect(q.filters).toEqual({ region: 'us-east-1', search: 'GetSecret', fromMs: 10 });
    expect(q.limit).toBe(1000);
  });

  it('round-trips sorting', () => {
    expect(sortingFromSort({ column: 'sourceIp', dir: 'desc' })).toEqual([{ id: 'sourceIp', desc: true }]);
  });
});

describe('queryKey', () => {
  it('is the same for the same rows regardless of key order or empty fields', () => {
    const s = { column: 'eventTime', dir: 'asc' } as const;
    expect(queryKey({ region: 'a', account: 'b', pod: '' }, s)).toBe(queryKey({ account: 'b', region: 'a' }, s));
    expect(queryKey({ region: 'a' }, s)).not.toBe(queryKey({ region: 'a' }, { column: 'eventTime', dir: 'desc' }));
    expect(cleanFilters({ errorCode: 'none' })).toEqual({ errorCode: 'none' });
    // The ★ filter narrows when on; off is no filter at all.
    expect(cleanFilters({ starred: true, tag: 'exfil' })).toEqual({ starred: true, tag: 'exfil' });
    expect(queryKey({ starred: false, tag: '' }, s)).toBe(queryKey({}, s));
  });
});

describe('searchIntent', () => {
  it('jumps to access keys and event ids, filters on anything else', () => {
    expect(searchIntent(' ASIA2KVIHGD6UPRGB4P4 ')).toEqual({ kind: 'locate', target: 'ASIA2KVIHGD6UPRGB4P4', what: 'accessKey' });
    expect(searchIntent('AKIA2Z64SZFETIMKJJBJ').kind).toBe('locate');
    expect(searchIntent('4656d226-f1a8-4247-9fa4-8fecdc14ae8b')).toMatchObject({ kind: 'locate', what: 'eventID' });
    expect(searchIntent('ASIA')).toEqual({ kind: 'search', text: 'ASIA' });
    expect(searchIntent('asia2kvihgd6uprgb4p4').kind).toBe('search');
    expect(searchIntent('GetSecretValue')).toEqual({ kind: 'search', text: 'GetSecretValue' });
  });
});

describe('histogram', () => {
  const h = { fromMs: 1_000_000, bucketMs: 60_000, counts: [1, 0, 10, 5, 0, 0, 2, 0, 0, 0] };

  it('turns a brushed pixel range into a time range snapped outwards to bucket edges', () => {
    // 10 buckets over 500 px: 50 px each. 120 px is in bucket 2, 260 px in bucket 5.
    expect(filtersFromBrush(h, 260, 120, 500)).toEqual({ fromMs: 1_000_000 + 2 * 60_000, toMs: 1_000_000 + 6 * 60_000 });
    expect(filtersFromBrush(h, -40, 9999, 500)).toEqual({ fromMs: 1_000_000, toMs: 1_000_000 + 10 * 60_000 });
  });

  it('treats a tiny drag as a click', () => {
    expect(filtersFromBrush(h, 100, 101, 500)).toBeNull();
  });

  it('scales bars to the tallest bucket and keeps small non-empty buckets visible', () => {
    const b = bars({ ...h, counts: [1000, 1, 0] }, 300, 50);
    expect(b[0]!.h).toBe(50);
    expect(b[1]!.h).toBe(1);
    expect(b[2]!.h).toBe(0);
    expect(b[1]!.fromMs).toBe(1_060_000);
  });

  it('labels round UTC ticks', () => {
    const t = timeTicks(Date.UTC(2026, 2, 2, 0, 0, 3), Date.UTC(2026, 2, 2, 5, 41, 19), 8);
    expect(t[0]!.label).toBe('03-02 01:00');
    expect(t.map((x) => x.label).slice(1)).toEqual(['02:00', '03:00', '04:00', '05:00']);
  });
});
