/**
 * The event table over any number of events: @tanstack/react-table for columns and (server-side) sorting, a
 * windowing of fixed-height rows for the viewport (useRowWindow.ts). Rows arrive in pages of 200 (`events.query`)
 * as the viewport moves; near pages are cached, far ones dropped, so a million rows scroll like a hundred.
 */
import { forwardRef, memo, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef, type ColumnSizingState, type Row, type SortingState, type VisibilityState } from '@tanstack/react-table';
import type { EventFilters, EventQuery, EventRowView } from '../../../shared/api';
import type { Flag } from '../../../shared/attribution';
import { bySeverity, severityOf, topSeverity } from '../../../shared/detections';
import { PAGE_SIZE, SORTABLE, activeFilterCount, cleanFilters, queryKey, sortFromState, sortingFromSort } from '../model/query';
import { PageLoader, blockFor, rowsPerBlock } from '../model/page-cache';
import { formatCount, formatTime, shortSource, shown } from '../model/format';
import { ConfidenceTriplet, MechanismTag } from './badges';
import { errorText, useClient } from './client-context';
import type { Selection } from './App';
import { ColumnsMenu, loadColumnPrefs, PINNED_COLUMNS, RowMarks, RowMenuNotes, saveColumnPrefs } from './table-columns';
import { FieldColumnsMenu, fieldColumn, useFieldColumns } from './field-columns';
import { useRowWindow } from './useRowWindow';
import type { RowWindowGeometry } from '../model/row-window';

export const ROW_H = 22;
/** Room after the last column for the Columns button (sticky at the right edge). */
const COLUMNS_BUTTON_W = 96 + 64; // Columns ▾ and + field
/** The sticky header inside the scroller (CSS .thead height): rows start below it. */
const HEAD_H = 22;
// Browsers cap element height (Chromium ~33.5M px, Firefox ~17.9M px): taller tables scroll in blocks.
const MAX_PX = typeof navigator !== 'undefined' && /Firefox\//.test(navigator.userAgent) ? 17_000_000 : 32_000_000;
const BLOCK_ROWS = rowsPerBlock(MAX_PX, ROW_H);
/** The rows' windowing: fixed-height rows below the sticky header, 16 drawn beyond the viewport either side. */
const GEOMETRY: RowWindowGeometry = { row: ROW_H, head: HEAD_H, overscan: 16 };

export interface ScrollRequest {
  index: number;
  nonce: number;
  align?: 'auto' | 'center';
}

export interface EventTableHandle {
  /** The row at an absolute index, fetching its page if needed. */
  rowAt(index: number): Promise<EventRowView | null>;
}

const dash = (v: string | null) => shown(v);

/** "detection: token-exchange-outside-cluster (high)", "2 detections: …": what the ⚑ of a row says, in words. */
export function flagLabel(flags: readonly Flag[]): string {
  const names = bySeverity(flags);
  return `${names.length === 1 ? 'detection' : `${names.length} detections`}: ${names.map((f) => `${f} (${severityOf(f)})`).join(', ')}`;
}

/** The ⚑ of a flagged row: coloured by its most severe detection, named in its tooltip and accessible label. */
function FlagMark({ flags }: { flags: Flag[] }) {
  if (flags.length === 0) return null;
  const label = flagLabel(flags);
  const sev = topSeverity(flags)!;
  return (
    <span className={`flagged sev-${sev}`} role="img" aria-label={label} title={`${label} — reasons in the detail pane; right-click the row to filter`} data-testid="row-flag" data-flags={bySeverity(flags).join(' ')} data-severity={sev}>
      ⚑{flags.length > 1 && <sub>{flags.length}</sub>}
    </span>
  );
}

const COLUMNS: ColumnDef<EventRowView>[] = [
  {
    id: 'flags',
    accessorFn: (r) => r.flags.join(' '),
    header: '⚑',
    size: 30,
    enableSorting: false,
    cell: (c) => <FlagMark flags={c.row.original.flags} />,
  },
  { id: 'marks', accessorFn: (r) => r.eventID, header: '★', size: 48, enableSorting: false, cell: (c) => <RowMarks row={c.row.original} /> },
  { id: 'time', accessorFn: (r) => r.eventTime, header: 'time (UTC)', size: 140, cell: (c) => <span className="mono">{formatTime(c.row.original.eventTime)}</span> },
  { id: 'event', accessorFn: (r) => r.eventName, header: 'event', size: 150, cell: (c) => <span className={c.row.original.errorCode ? 'err' : undefined}>{shown(c.row.original.eventName)}</span> },
  { id: 'source', accessorFn: (r) => r.eventSource, header: 'source', size: 96, cell: (c) => shown(shortSource(c.row.original.eventSource)) },
  { id: 'account', accessorFn: (r) => r.account, header: 'account', size: 100, cell: (c) => <span className="mono">{dash(c.row.original.account)}</span> },
  { id: 'region', accessorFn: (r) => r.region, header: 'region', size: 80, cell: (c) => dash(c.row.original.region) },
  { id: 'sourceIp', accessorFn: (r) => r.sourceIp, header: 'source IP', size: 104, cell: (c) => <span className="mono">{dash(c.row.original.sourceIp)}</span> },
  { id: 'mechanism', accessorFn: (r) => r.mechanism, header: 'mechanism', size: 96, cell: (c) => <MechanismTag value={c.row.original.mechanism} /> },
  { id: 'pod', accessorFn: (r) => r.pod, header: 'pod', size: 170, cell: (c) => dash(c.row.original.pod) },
  { id: 'node', accessorFn: (r) => r.node, header: 'node', size: 130, cell: (c) => <span className="mono">{dash(c.row.original.node)}</span> },
  { id: 'confidence', accessorFn: (r) => r.confidence.identity, header: 'I · P · N', size: 64, enableSorting: false, cell: (c) => <ConfidenceTriplet c={c.row.original.confidence} /> },
  { id: 'cluster', accessorFn: (r) => r.cluster, header: 'cluster', size: 100, enableSorting: false, cell: (c) => dash(c.row.original.cluster) },
  {
    id: 'nsSa',
    accessorFn: (r) => `${r.namespace ?? ''}/${r.serviceAccount ?? ''}`,
    header: 'namespace/SA',
    size: 168,
    enableSorting: false,
    cell: (c) => (c.row.original.namespace || c.row.original.serviceAccount ? shown(`${c.row.original.namespace ?? '?'}/${c.row.original.serviceAccount ?? '?'}`) : ''),
  },
  { id: 'error', accessorFn: (r) => r.errorCode, header: 'error', size: 104, enableSorting: false, cell: (c) => <span className="err">{dash(c.row.original.errorCode)}</span> },
  {
    id: 'key',
    accessorFn: (r) => r.accessKeyId,
    header: 'access key',
    size: 172,
    enableSorting: false,
    cell: (c) => (
      <span className="mono" title={c.row.original.accessKeyId ? `${c.row.original.accessKeyId}: right-click the row to filter to this key` : undefined}>
        {dash(c.row.original.accessKeyId)}
      </span>
    ),
  },
];
/** A cell's full value, its tooltip (a cut-off cell shows all of it on hover); none for the ⚑ and I · P · N marks. */
function cellTitle(id: string, r: EventRowView): string | undefined {
  const v = (() => {
    switch (id) {
      case 'time':
        return r.eventTime;
      case 'event':
        return r.errorCode ? `${r.eventName} (${r.errorCode})` : r.eventName;
      case 'source':
        return r.eventSource;
      case 'account':
        return r.account;
      case 'region':
        return r.region;
      case 'sourceIp':
        return r.sourceIp;
      case 'error':
        return r.errorCode;
      case 'mechanism':
        return r.mechanism;
      case 'cluster':
        return r.cluster;
      case 'nsSa':
        return r.namespace || r.serviceAccount ? `${r.namespace ?? '?'}/${r.serviceAccount ?? '?'}` : null;
      case 'pod':
        return r.pod;
      case 'node':
        return r.node;
      default:
        return null;
    }
  })();
  return v ? shown(v) : undefined;
}

// Only the engine's sort columns are sortable (accessors exist for react-table; it never sorts itself).
for (const c of COLUMNS) if (!SORTABLE[c.id!]) c.enableSorting = false;

interface Props {
  filters: EventFilters;
  sort: EventQuery['sort'];
  onSort: (s: EventQuery['sort']) => void;
  /** Changes when the rows must be read again (an ingest; the notes, under a star or tag filter). */
  version: number | string;
  selection: Selection | null;
  openedEventID: string | null;
  scrollRequest: ScrollRequest | null;
  onTotal: (total: number | null) => void;
  onRowClick: (index: number, row: EventRowView) => void;
  /** Narrow the table (the row menu: this key, this detection, …). */
  onFilter?: (f: EventFilters) => void;
}

interface RowMenuState {
  x: number;
  y: number;
  row: EventRowView;
  index: number;
}

/** A row's right-click menu: narrow the table to what the row shows (its credential session above all). */
function RowMenu({ menu, onFilter, onClose, onOpen }: { menu: RowMenuState; onFilter: (f: EventFilters) => void; onClose: () => void; onOpen: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  }, [onClose]);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const close = (e: Event) => {
      if (!ref.current?.contains(e.target as Node)) closeRef.current();
    };
    const key = (e: KeyboardEvent) => e.key === 'Escape' && closeRef.current();
    const blur = () => closeRef.current();
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', key);
    window.addEventListener('blur', blur);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', key);
      window.removeEventListener('blur', blur);
    };
  }, []);
  const r = menu.row;
  const items: { id: string; label: string; f: EventFilters }[] = [];
  if (r.accessKeyId) items.push({ id: 'key', label: `only access key ${r.accessKeyId} (this session)`, f: { accessKeyId: r.accessKeyId } });
  for (const f of bySeverity(r.flags)) items.push({ id: 'flag', label: `only detection ${f} (${severityOf(f)})`, f: { flag: f } });
  items.push({ id: 'event', label: `only ${r.eventName}`, f: { eventName: r.eventName } });
  if (r.namespace && r.serviceAccount) items.push({ id: 'sa', label: `only service account ${r.namespace}/${r.serviceAccount}`, f: { namespace: r.namespace, serviceAccount: r.serviceAccount } });
  if (r.pod) items.push({ id: 'pod', label: `only pod ${r.pod}`, f: { pod: r.pod } });
  // Kept inside the window: a menu opened near the right or bottom edge opens leftwards or upwards.
  const style = { left: Math.min(menu.x, window.innerWidth - 380), top: Math.min(menu.y, window.innerHeight - ((items.length + 2) * 28 + 16)) };
  return (
    <div className="menu row-menu" role="menu" ref={ref} style={style} data-testid="row-menu" aria-label={`filter the table by this row (${r.eventName})`}>
      {items.map((it, i) => (
        <button
          key={i}
          type="button"
          role="menuitem"
          className="menu-item"
          data-testid={`row-menu-${it.id}`}
          onClick={() => {
            onFilter(it.f);
            onClose();
          }}
        >
          {shown(it.label)}
        </button>
      ))}
      <RowMenuNotes row={r} onOpen={onOpen} onClose={onClose} />
    </div>
  );
}

const EventTableView = forwardRef<EventTableHandle, Props>(function EventTable({ filters, sort, onSort, version, selection, openedEventID, scrollRequest, onTotal, onRowClick, onFilter }, ref) {
  const client = useClient();
  const [menu, setMenu] = useState<RowMenuState | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  // Raw-record fields shown as columns (field-columns.tsx): part of the query, read by the engine.
  const [fields, setFields] = useFieldColumns();
  const columns = useMemo(() => [...COLUMNS, ...fields.map(fieldColumn)], [fields]);
  const key = `${queryKey(filters, sort)}#${fields.join(',')}#${version}`;
  const [, setTick] = useState(0);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [base, setBase] = useState(0);
  // The total goes to the window (the filter bar shows it) in the same task as the table's own state, so React
  // renders both in one pass. Reported from an effect instead, it waited for the table's paint and then re-rendered
  // the window: ~40 ms more from the engine's answer to the total shown (scripts/bench-ui.mjs, 1M events).
  const onTotalRef = useRef(onTotal);
  onTotalRef.current = onTotal;
  const reported = useRef<number | null | undefined>(undefined);
  const report = (t: number | null): void => {
    if (reported.current === t) return;
    reported.current = t;
    onTotalRef.current(t);
  };

  // The loader whose answer `total` is: until the new query's first page answers, the total is the last query's.
  const answered = useRef<PageLoader<EventRowView> | null>(null);

  // Everything tied to one query (a new filters object with the same content is the same query).
  const state = useRef<{ key: string; loader: PageLoader<EventRowView> | null }>({ key: '', loader: null });
  if (state.current.key !== key) {
    const query = { filters: cleanFilters(filters), sort, ...(fields.length ? { fields } : {}) };
    const loader: PageLoader<EventRowView> = new PageLoader<EventRowView>(
      (page) => client.call('events.query', { ...query, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
      {
        loaded: (t) => {
          answered.current = loader;
          setTotal(t);
          report(t);
          setError(null);
          setTick((x) => x + 1);
        },
        failed: (e) => setError(errorText(e)),
      },
      PAGE_SIZE,
      16,
      2,
    );
    state.current = { key, loader };
  }
  const loader = state.current.loader!;
  useEffect(() => () => loader.close(), [loader]);

  // A new query: back to the top (unless a jump is pending), and learn the total from the first page it needs.
  const pending = useRef<ScrollRequest | null>(null);
  const [pendingTick, setPendingTick] = useState(0);
  useEffect(() => {
    pending.current = scrollRequest;
    setPendingTick((t) => t + 1);
  }, [scrollRequest]);
  useEffect(() => {
    setTotal(null);
    report(null);
    setBase(0);
    if (!pending.current) scroller.current?.scrollTo({ top: 0 });
    void loader.load(Math.floor((pending.current?.index ?? 0) / PAGE_SIZE));
  }, [loader]);

  const block = blockFor(base, total ?? 0, BLOCK_ROWS);
  const win = useRowWindow(scroller, block.count, GEOMETRY);
  const { scrollToIndex } = win;
  const inBlock: number[] = [];
  for (let i = win.first; i <= win.last; i++) inBlock.push(i);
  const first = inBlock.length ? block.base + win.first : 0;
  const last = inBlock.length ? block.base + win.last : -1;

  // Fetch what the viewport shows; forget what it left far behind. Not with the last query's total: the new query's
  // first page is on its way, and the pages after it asked for at once made the engine answer two queries before the
  // table could show one (page 0 in 74 ms instead of ~30 at 1M events, scripts/bench-ui.mjs). At the top of the
  // table, only the pages in view: the next page (200 rows on) is asked for once the viewport moves.
  useEffect(() => {
    if (total === null || last < first || answered.current !== loader) return;
    loader.want(first, last, total, first > 0 ? 1 : 0);
  }, [first, last, total, loader]);

  // Jumps (search, j/k): once the total is known, move to the row's block, then bring the row into view.
  useEffect(() => {
    const req = pending.current;
    if (!req || total === null) return;
    const b = blockFor(req.index, total, BLOCK_ROWS);
    if (b.base !== block.base) {
      setBase(b.base);
      return;
    }
    pending.current = null;
    scrollToIndex(Math.min(req.index, total - 1) - b.base, req.align ?? 'auto');
  }, [pendingTick, total, block.base, scrollToIndex]);

  useImperativeHandle(
    ref,
    () => ({
      async rowAt(index: number) {
        await loader.load(Math.floor(index / PAGE_SIZE));
        return loader.cache.get(index) ?? null;
      },
    }),
    [loader],
  );

  // react-table gets the rows in view (it never holds more); sorting is the engine's.
  const visibleRows: EventRowView[] = [];
  for (let i = first; i <= last; i++) {
    const r = loader.cache.get(i);
    if (r) visibleRows.push(r);
  }
  const sorting: SortingState = sortingFromSort(sort);
  const [prefs] = useState(loadColumnPrefs);
  const [columnSizing, setColumnSizing] = useState<ColumnSizingState>(prefs.sizing);
  const [columnVisibility, setColumnVisibility] = useState<VisibilityState>(prefs.visibility);
  useEffect(() => saveColumnPrefs({ sizing: columnSizing, visibility: columnVisibility }), [columnSizing, columnVisibility]);
  const table = useReactTable({
    data: visibleRows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => String(r.rowid),
    manualSorting: true,
    manualPagination: true,
    rowCount: total ?? 0,
    enableSortingRemoval: false,
    sortDescFirst: false,
    state: { sorting, columnSizing, columnVisibility },
    columnResizeMode: 'onChange',
    enableColumnResizing: true,
    defaultColumn: { minSize: 24, maxSize: 2000 },
    onColumnSizingChange: setColumnSizing,
    onColumnVisibilityChange: setColumnVisibility,
    onSortingChange: (updater) => {
      const next = typeof updater === 'function' ? updater(sorting) : updater;
      onSort(sortFromState(next));
    },
  });
  const byRowid = new Map<number, Row<EventRowView>>(table.getRowModel().rows.map((r) => [r.original.rowid, r]));
  const width = table.getTotalSize();
  /** The pinned columns' place: sticky at their left offset (after the hidden ones are taken out). */
  const pin = (column: { id: string; getStart: () => number }) =>
    PINNED_COLUMNS.has(column.id) ? ({ position: 'sticky', left: column.getStart(), zIndex: 1 } as const) : undefined;

  return (
    <div className="table-wrap">
      {total !== null && total > BLOCK_ROWS && (
        <div className="block-bar">
          rows {formatCount(block.base + 1)}–{formatCount(block.base + block.count)} of {formatCount(total)}
          <button type="button" className="btn small" disabled={block.base === 0} onClick={() => setBase(Math.max(0, block.base - BLOCK_ROWS))}>
            previous block
          </button>
          <button type="button" className="btn small" disabled={block.base + block.count >= total} onClick={() => setBase(block.base + BLOCK_ROWS)}>
            next block
          </button>
        </div>
      )}
      <div className="table-scroll" ref={scroller} tabIndex={-1} data-testid="event-table">
        <div className="thead" role="row" style={{ width: width + COLUMNS_BUTTON_W }}>
          {table.getHeaderGroups()[0]!.headers.map((h) => {
            const sorted = h.column.getIsSorted();
            return (
              <div
                key={h.id}
                role="columnheader"
                className={`th ${h.column.getCanSort() ? 'sortable' : ''} ${sorted ? 'sorted' : ''} ${PINNED_COLUMNS.has(h.id) ? 'pinned' : ''}`}
                style={{ width: h.getSize(), ...pin(h.column), ...(PINNED_COLUMNS.has(h.id) ? { zIndex: 3 } : {}) }}
                aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                onClick={h.column.getToggleSortingHandler()}
                title={h.column.getCanSort() ? 'sort (in the engine)' : undefined}
                data-testid={`col-${h.id}`}
              >
                {flexRender(h.column.columnDef.header, h.getContext())}
                {sorted && <span className="sort-arrow">{sorted === 'asc' ? '▲' : '▼'}</span>}
                {h.column.getCanResize() && (
                  <div
                    className={`resizer ${h.column.getIsResizing() ? 'resizing' : ''}`}
                    role="separator"
                    aria-orientation="vertical"
                    aria-label={`resize the ${h.id} column`}
                    data-testid={`resize-${h.id}`}
                    onMouseDown={h.getResizeHandler()}
                    onTouchStart={h.getResizeHandler()}
                    onDoubleClick={() => h.column.resetSize()}
                    onClick={(e) => e.stopPropagation()}
                    title="drag to resize; double-click for the default width"
                  />
                )}
              </div>
            );
          })}
          <div className="th-end">
            <FieldColumnsMenu fields={fields} onChange={setFields} />
            <ColumnsMenu
              columns={table.getAllLeafColumns()}
              onReset={() => {
                setColumnSizing({});
                setColumnVisibility({});
              }}
            />
          </div>
        </div>
        <div className="tbody" role="rowgroup" style={{ height: win.totalSize, width }}>
          {inBlock.map((i) => {
            const index = block.base + i;
            const row = loader.cache.get(index);
            const trow = row ? byRowid.get(row.rowid) : undefined;
            const selected = selection?.index === index;
            const style = { transform: `translateY(${i * ROW_H}px)`, height: ROW_H, width };
            if (!row || !trow) {
              return (
                <div key={i} className="tr loading" style={style} aria-busy="true">
                  <span className="placeholder" />
                </div>
              );
            }
            return (
              <div
                key={i}
                role="row"
                className={`tr ${selected ? 'selected' : ''} ${row.eventID === openedEventID ? 'opened' : ''} ${index % 2 ? 'odd' : ''}`}
                style={style}
                aria-selected={selected}
                aria-rowindex={index + 1}
                data-testid="event-row"
                data-event-id={row.eventID}
                data-index={index}
                onClick={() => onRowClick(index, row)}
                onContextMenu={
                  onFilter
                    ? (e) => {
                        e.preventDefault();
                        setMenu({ x: e.clientX, y: e.clientY, row, index });
                      }
                    : undefined
                }
              >
                {trow.getVisibleCells().map((cell) => (
                  <div key={cell.id} role="cell" className={`td td-${cell.column.id} ${PINNED_COLUMNS.has(cell.column.id) ? 'pinned' : ''}`} style={{ width: cell.column.getSize(), ...pin(cell.column) }} title={cellTitle(cell.column.id, row)} data-col={cell.column.id}>
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
        {total === 0 && !error && (
          <div className="empty" role="status" data-testid="table-empty">
            {filters.search?.trim() ? `No events match “${shown(filters.search.trim())}”${activeFilterCount({ ...filters, search: undefined }) > 0 ? ' under these filters' : ''}.` : 'No events match these filters.'}
          </div>
        )}
        {error && <div className="empty err">{error}</div>}
      </div>
      {menu && onFilter && <RowMenu menu={menu} onFilter={onFilter} onClose={() => setMenu(null)} onOpen={() => onRowClick(menu.index, menu.row)} />}
    </div>
  );
});

/** Drawn again only when its props change (not when the window's other state does: the graph, the detail pane). */
export const EventTable = memo(EventTableView);
