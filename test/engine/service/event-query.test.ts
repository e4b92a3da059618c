import { describe, expect, it } from 'vitest';
import { countQuery, likePattern, orderBy, pageQuery, whereClause } from '../../../electron/engine/service/event-query';

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

  it('pages with LIMIT/OFFSET as parameters and counts with the same filters', () => {
    const q = { filters: { region: 'us-east-1' }, sort: { column: 'eventTime' as const, dir: 'asc' as const }, offset: 400, limit: 200 };
    expect(pageQuery(q).params).toEqual(['us-east-1', 200, 400]);
    expect(countQuery(q.filters)).toEqual({ sql: expect.stringContaining('WHERE e.aws_region = ?'), params: ['us-east-1'] });
  });
});
