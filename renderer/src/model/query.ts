/**
 * Table state → the API's EventQuery. The table sorts, filters and pages nothing itself: every change becomes
 * a query the engine answers in SQLite. Pure.
 */
import type { EventFilters, EventQuery, SortColumn } from '../../../shared/api';

/** Table column id → the engine's sort column. Columns not listed here are not sortable. */
export const SORTABLE: Readonly<Record<string, SortColumn>> = {
  time: 'eventTime',
  event: 'eventName',
  source: 'eventSource',
  account: 'account',
  region: 'region',
  sourceIp: 'sourceIp',
  mechanism: 'mechanism',
  pod: 'pod',
  node: 'node',
};

export const DEFAULT_SORT: EventQuery['sort'] = { column: 'eventTime', dir: 'asc' };
export const PAGE_SIZE = 200;

export interface TableState {
  filters: EventFilters;
  /** react-table's SortingState: the first entry wins. */
  sorting: readonly { id: string; desc: boolean }[];
  pageIndex: number;
  pageSize: number;
}

/** Drop what does not narrow: undefined, false, empty and blank strings. Search is trimmed. */
export function cleanFilters(f: EventFilters): EventFilters {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === null) continue;
    if (v === true) out[k] = true;
    if (typeof v === 'string') {
      const t = k === 'search' ? v.trim() : v;
      if (t.trim() === '') continue;
      out[k] = t;
    } else if (typeof v === 'number' && Number.isFinite(v)) out[k] = Math.trunc(v);
  }
  return out as EventFilters;
}

export function sortFromState(sorting: TableState['sorting']): EventQuery['sort'] {
  const first = sorting[0];
  const column = first ? SORTABLE[first.id] : undefined;
  return column ? { column, dir: first!.desc ? 'desc' : 'asc' } : DEFAULT_SORT;
}

export function sortingFromSort(sort: EventQuery['sort']): { id: string; desc: boolean }[] {
  const id = Object.keys(SORTABLE).find((k) => SORTABLE[k] === sort.column) ?? 'time';
  return [{ id, desc: sort.dir === 'desc' }];
}

export function tableStateToQuery(state: TableState): EventQuery {
  const limit = Math.max(1, Math.min(1000, Math.trunc(state.pageSize)));
  return {
    filters: cleanFilters(state.filters),
    sort: sortFromState(state.sorting),
    offset: Math.max(0, Math.trunc(state.pageIndex)) * limit,
    limit,
  };
}

/** A stable identity for "the same rows in the same order" (page caches are keyed by it). */
export function queryKey(filters: EventFilters, sort: EventQuery['sort']): string {
  const f = cleanFilters(filters);
  const keys = Object.keys(f).sort();
  return JSON.stringify([keys.map((k) => [k, (f as Record<string, unknown>)[k]]), sort.column, sort.dir]);
}

export function activeFilterCount(f: EventFilters): number {
  return Object.keys(cleanFilters(f)).length;
}

const ACCESS_KEY = /^(AKIA|ASIA)[A-Z0-9]{8,}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What the search box means: an eventID or access key is something to jump to (events.locate), anything else
 * is a substring filter.
 */
export function searchIntent(text: string): { kind: 'locate'; target: string; what: 'accessKey' | 'eventID' } | { kind: 'search'; text: string } {
  const t = text.trim();
  if (ACCESS_KEY.test(t)) return { kind: 'locate', target: t, what: 'accessKey' };
  if (UUID.test(t)) return { kind: 'locate', target: t, what: 'eventID' };
  return { kind: 'search', text: t };
}
