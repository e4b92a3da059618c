/**
 * Filters (every one narrows in SQL, none in the browser), the time range, and the search box: free text
 * filters as you type; an eventID or access key + Enter jumps to that event.
 */
import { useState, type RefObject } from 'react';
import type { EventFilters, Facets } from '../../../shared/api';
import { FLAGS, MECHANISMS, type Mechanism } from '../../../shared/attribution';
import { activeFilterCount } from '../model/query';
import { formatCount, formatMs, parseUtc, shortSource } from '../model/format';

/** 'any' first: every flagged event; then one detection. */
const FLAG_OPTIONS: readonly string[] = ['any', ...FLAGS];

type TextKey = 'account' | 'region' | 'eventSource' | 'cluster' | 'namespace' | 'serviceAccount' | 'pod' | 'node';

function Select({ label, value, options, onChange, render, width }: { label: string; value: string | undefined; options: readonly string[]; onChange: (v: string | undefined) => void; render?: (v: string) => string; width?: number }) {
  return (
    <label className="f">
      <span>{label}</span>
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)} style={width ? { width } : undefined} className={value ? 'set' : undefined}>
        <option value="">any</option>
        {value && !options.includes(value) && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {render ? render(o) : o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A text field that commits on Enter or blur (exact match in the engine), with suggestions. */
function TextFilter({ label, value, onChange, suggestions, placeholder, width, id }: { label: string; value: string | undefined; onChange: (v: string | undefined) => void; suggestions?: readonly string[]; placeholder?: string; width?: number; id: string }) {
  // Remounted (key) when the filter changes elsewhere, so the field starts from the applied value.
  const [text, setText] = useState(value ?? '');
  const commit = () => {
    const t = text.trim();
    if (t !== (value ?? '')) onChange(t || undefined);
  };
  return (
    <label className="f">
      <span>{label}</span>
      <input
        type="text"
        value={text}
        list={suggestions ? `${id}-list` : undefined}
        placeholder={placeholder ?? 'any'}
        spellCheck={false}
        style={width ? { width } : undefined}
        className={value ? 'set' : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      {suggestions && (
        <datalist id={`${id}-list`}>
          {suggestions.slice(0, 2000).map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </label>
  );
}

function TimeField({ label, ms, onChange }: { label: string; ms: number | undefined; onChange: (v: number | undefined) => void }) {
  const [text, setText] = useState(ms === undefined ? '' : formatMs(ms));
  const parsed = text.trim() === '' ? undefined : parseUtc(text);
  const commit = () => {
    if (parsed === null) return;
    if (parsed !== ms) onChange(parsed);
  };
  return (
    <label className="f">
      <span>{label}</span>
      <input
        type="text"
        className={`mono time ${parsed === null ? 'invalid' : ''} ${ms !== undefined ? 'set' : ''}`}
        value={text}
        placeholder="YYYY-MM-DD hh:mm:ss"
        title="UTC"
        aria-invalid={parsed === null}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </label>
  );
}

export function FilterBar({
  facets,
  filters,
  onChange,
  searchText,
  onSearchText,
  onSearchEnter,
  searchRef,
  total,
  notice,
}: {
  facets: Facets | null;
  filters: EventFilters;
  onChange: (f: EventFilters) => void;
  searchText: string;
  onSearchText: (t: string) => void;
  onSearchEnter: () => void;
  searchRef: RefObject<HTMLInputElement | null>;
  total: number | null;
  notice: string | null;
}) {
  const set = (patch: Partial<EventFilters>) => onChange({ ...filters, ...patch });
  const text = (k: TextKey) => (v: string | undefined) => set({ [k]: v });
  const errorMode = filters.errorCode === undefined ? '' : filters.errorCode === 'any' || filters.errorCode === 'none' ? filters.errorCode : 'code';
  const n = activeFilterCount({ ...filters, search: undefined });
  return (
    <div className="filters" role="search">
      <div className="search">
        <input
          ref={searchRef}
          type="search"
          data-testid="event-search"
          placeholder="Search, or paste an eventID / access key + Enter   ( / )"
          spellCheck={false}
          autoComplete="off"
          value={searchText}
          onChange={(e) => onSearchText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              onSearchEnter();
            }
          }}
        />
      </div>
      <TimeField key={`from${filters.fromMs}`} label="from" ms={filters.fromMs} onChange={(v) => set({ fromMs: v })} />
      <TimeField key={`to${filters.toMs}`} label="to" ms={filters.toMs} onChange={(v) => set({ toMs: v })} />
      <Select label="account" value={filters.account} options={facets?.accounts ?? []} onChange={text('account')} />
      <Select label="region" value={filters.region} options={facets?.regions ?? []} onChange={text('region')} />
      <Select label="source" value={filters.eventSource} options={facets?.eventSources ?? []} onChange={text('eventSource')} render={shortSource} />
      <TextFilter key={`ev${filters.eventName}`} id="f-event" label="event" value={filters.eventName} onChange={(v) => set({ eventName: v })} width={120} />
      <label className="f">
        <span>error</span>
        <select
          value={errorMode}
          className={errorMode ? 'set' : undefined}
          onChange={(e) => {
            const m = e.target.value;
            set({ errorCode: m === '' ? undefined : m === 'code' ? (errorMode === 'code' ? filters.errorCode : 'AccessDenied') : m });
          }}
        >
          <option value="">any</option>
          <option value="any">failed</option>
          <option value="none">succeeded</option>
          <option value="code">code…</option>
        </select>
        {errorMode === 'code' && <TextFilter key={`er${filters.errorCode}`} id="f-error" label="" value={filters.errorCode} onChange={(v) => set({ errorCode: v })} width={110} />}
      </label>
      <Select label="mechanism" value={filters.mechanism} options={(facets?.mechanisms ?? MECHANISMS) as readonly string[]} onChange={(v) => set({ mechanism: v as Mechanism | undefined })} />
      <Select label="cluster" value={filters.cluster} options={facets?.clusters ?? []} onChange={text('cluster')} />
      <Select label="namespace" value={filters.namespace} options={facets?.namespaces ?? []} onChange={text('namespace')} />
      <Select label="service account" value={filters.serviceAccount} options={facets?.serviceAccounts ?? []} onChange={text('serviceAccount')} width={130} />
      <TextFilter key={`pod${filters.pod}`} id="f-pod" label="pod" value={filters.pod} onChange={text('pod')} suggestions={facets?.pods} width={150} />
      <TextFilter key={`node${filters.node}`} id="f-node" label="node" value={filters.node} onChange={text('node')} suggestions={facets?.nodes} width={130} />
      <Select label="detection" value={filters.flag} options={FLAG_OPTIONS} onChange={(v) => set({ flag: v as EventFilters['flag'] })} render={(v) => (v === 'any' ? 'any flagged' : v)} width={150} />
      {filters.accessKeyId && (
        <span className="chip">
          key {filters.accessKeyId}
          <button type="button" aria-label="remove key filter" onClick={() => set({ accessKeyId: undefined })}>
            ×
          </button>
        </span>
      )}
      <div className="filters-end">
        {notice && (
          <span className="notice" role="status" data-testid="search-notice" title={notice}>
            {notice}
          </span>
        )}
        <span className="total" data-testid="event-total">
          {total === null ? '…' : `${formatCount(total)} events`}
        </span>
        {n > 0 && (
          <button type="button" className="btn small" onClick={() => onChange({ search: filters.search })} data-testid="clear-filters">
            Clear {n} filter{n === 1 ? '' : 's'}
          </button>
        )}
      </div>
    </div>
  );
}
