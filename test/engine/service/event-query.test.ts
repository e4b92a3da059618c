import { describe, expect, it } from 'vitest';
import { countQuery, EVENT_FROM, histogramQuery, likePattern, orderBy, pageQuery, whereClause } from '../../../electron/engine/service/event-query';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { generateBundle } from '../../generator';
import { tempDir } from '../../helpers/evidence';
import { CaseQueries } from '../../../electron/engine/case/queries';

describe('table state → SQL', () => {
  it('adds one bound parameter per filter, never the value itself', () => {
    const w = whereClause({ account: "1'; DROP TABLE events;--", mechanism: 'irsa', fromMs: 10, toMs: 20 });
    expect(w.sql).toBe('WHERE e.event_ms >= ? AND e.event_ms < ? AND e.recipient_account_id = ? AND s.mechanism = ?');
    expect(w.params).toEqual([10, 20, "1'; DROP TABLE events;--", 'irsa']);
    expect(w.sql).not.toContain('DROP');
  });

  it('has no WHERE without filters, and ignores empty strings', () => {
    expect(whereClause({})).toEqual({ sql: '', params: [] });
    expect(whereClause({ cluster: '', search: '   ' })).toEqual({ sql: '', params: [] });
  });

  it('maps the error-code filter: any, none, or one code', () => {
    expect(whereClause({ errorCode: 'any' }).sql).toContain('e.error_code IS NOT NULL');
    expect(whereClause({ errorCode: 'none' }).sql).toContain('e.error_code IS NULL');
    expect(whereClause({ errorCode: 'AccessDenied' }).params).toEqual(['AccessDenied']);
  });

  it('searches as a substring with LIKE wildcards in the term escaped', () => {
    expect(likePattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
    const w = whereClause({ search: 'GetSecret' });
    expect(w.params).toHaveLength(7);
    expect(w.sql).toContain("LIKE ? ESCAPE '\\'");
  });

  it('sorts by the column then time and eventID, so pages are stable', () => {
    expect(orderBy({ sort: { column: 'eventTime', dir: 'desc' } })).toBe('ORDER BY e.event_ms DESC, e.event_id DESC');
    expect(orderBy({ sort: { column: 'pod', dir: 'asc' } })).toBe('ORDER BY s.pod_name ASC, e.event_ms ASC, e.event_id ASC');
  });

  it('joins the subjects table only when a filter needs its columns', () => {
    expect(histogramQuery({ region: 'us-east-1' }, 0, 1000).sql).not.toContain('JOIN subjects');
    expect(histogramQuery({ mechanism: 'irsa' }, 0, 1000).sql).toContain('JOIN subjects s ON s.id = es.subject_id');
    expect(countQuery({ search: 'x' }).sql).not.toContain('JOIN subjects');
  });

  it('pages with LIMIT/OFFSET as parameters and counts with the same filters', () => {
    const q = { filters: { region: 'us-east-1' }, sort: { column: 'eventTime' as const, dir: 'asc' as const }, offset: 400, limit: 200 };
    expect(pageQuery(q).params).toEqual(['us-east-1', 200, 400]);
    expect(countQuery(q.filters)).toEqual({ sql: expect.stringContaining('WHERE e.aws_region = ?'), params: ['us-east-1'] });
  });
});

describe('totals from the rollup', () => {
  it('equal the row count for every facet filter, alone and combined; other filters are counted row by row', async () => {
    const dir = tempDir('rollup');
    const bundle = generateBundle({ outDir: `${dir}/bundle`, events: 3000, seed: 9, k8s: true }).outDir;
    const db = openCase(`${dir}/case.db`);
    await ingestEvidence(db, [bundle], { workers: 0 });
    correlate(db);
    const rowCount = (f: Parameters<typeof whereClause>[0]) => {
      const w = whereClause(f);
      return db.prepare(`SELECT COUNT(*) FROM ${EVENT_FROM} ${w.sql}`).pluck().get(...w.params) as number;
    };
    const total = (f: Parameters<typeof whereClause>[0]) => {
      const c = countQuery(f);
      return { viaRollup: c.sql.includes('event_rollup'), n: db.prepare(c.sql).pluck().get(...c.params) as number };
    };
    const pick = (sql: string) => db.prepare(sql).pluck().all() as string[];
    const values = {
      account: pick('SELECT DISTINCT recipient_account_id FROM events WHERE recipient_account_id IS NOT NULL LIMIT 3'),
      region: pick('SELECT DISTINCT aws_region FROM events LIMIT 3'),
      eventSource: pick('SELECT DISTINCT event_source FROM events LIMIT 4'),
      errorCode: ['any', 'none', ...pick('SELECT DISTINCT error_code FROM events WHERE error_code IS NOT NULL LIMIT 2')],
      mechanism: pick('SELECT DISTINCT mechanism FROM subjects'),
      namespace: pick('SELECT DISTINCT namespace FROM subjects WHERE namespace IS NOT NULL LIMIT 3'),
      pod: pick('SELECT DISTINCT pod_name FROM subjects WHERE pod_name IS NOT NULL LIMIT 2'),
    };
    const cases: Parameters<typeof whereClause>[0][] = [{}];
    for (const [k, vs] of Object.entries(values)) for (const v of vs) cases.push({ [k]: v });
    for (const m of values.mechanism) for (const r of values.region) cases.push({ mechanism: m, region: r, errorCode: 'none' });
    cases.push({ mechanism: 'no-such', account: 'none' });
    // A person: the subjects whose principal (or actor) it is, answered by the rollup too.
    const principals = pick("SELECT DISTINCT resolution ->> '$.principal' FROM subjects WHERE resolution ->> '$.principal' IS NOT NULL LIMIT 4");
    expect(principals.length).toBeGreaterThan(1);
    for (const p of principals) cases.push({ principal: p }, { principal: p, region: values.region[0]! });
    for (const f of cases) expect({ f, ...total(f) }).toEqual({ f, viaRollup: true, n: rowCount(f) });
    // …and it is exactly the events whose attribution record names that principal.
    const byPrincipal = new Map<string, number>();
    for (const r of new CaseQueries(db).attributions()) byPrincipal.set(r.principal ?? '', (byPrincipal.get(r.principal ?? '') ?? 0) + 1);
    for (const p of principals) expect({ p, n: rowCount({ principal: p }) }).toEqual({ p, n: byPrincipal.get(p) });
    expect(total({}).n).toBe(db.prepare('SELECT COUNT(*) FROM events').pluck().get());
    for (const f of [{ fromMs: 0 }, { search: 'Get' }, { flag: 'any' as const }, { accessKeyId: 'ASIA' }, { mechanism: 'irsa', search: 's3' }]) {
      expect({ f, ...total(f) }).toEqual({ f, viaRollup: false, n: rowCount(f) });
    }
    // A page read through the matching subjects is the same page, in the same order, as along the time index.
    const ids = (sql: string, params: unknown[]) => (db.prepare(sql).all(...params) as { event_id: string }[]).map((r) => r.event_id);
    for (const f of cases.slice(0, 25)) {
      for (const [dir, offset] of [['asc', 0], ['desc', 0], ['asc', 37]] as const) {
        const q = { filters: f, sort: { column: 'eventTime' as const, dir }, offset, limit: 50 };
        const plain = pageQuery(q);
        const via = pageQuery(q, true);
        expect(via.sql).toContain('ORDER BY +e.event_ms');
        expect({ f, dir, offset, rows: ids(via.sql, via.params) }).toEqual({ f, dir, offset, rows: ids(plain.sql, plain.params) });
      }
    }
    db.close();
  }, 120_000);
});
