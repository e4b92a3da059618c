/**
 * Columns of the raw record's own fields (issue 17 part 3): the examiner names a field by its path
 * (`requestParameters.secretId`, `requestParameters.bucketName`, `responseElements.assumedRoleUser.arn`…) and the
 * table shows its value on every row — read by the engine from the record (`events.query` `fields`), never guessed
 * in the browser. The chosen fields are remembered in this browser (localStorage).
 */
import { useEffect, useRef, useState } from 'react';
import type { ColumnDef } from '@tanstack/react-table';
import type { EventRowView } from '../../../shared/api';
import { FIELD_PATH } from '../../../shared/field-path';
import { shown } from '../model/format';

const STORE_KEY = 'podtrail.table.fields.v1';
/** At most this many field columns (the API's limit). */
export const MAX_FIELDS = 8;

/** Request and response fields an examiner often wants beside the event (suggestions; any path can be typed). */
const SUGGESTED = [
  'requestParameters.secretId',
  'requestParameters.bucketName',
  'requestParameters.key',
  'requestParameters.roleArn',
  'requestParameters.roleSessionName',
  'requestParameters.userName',
  'requestParameters.policyArn',
  'requestParameters.instanceId',
  'requestParameters.name',
  'requestParameters.keyId',
  'responseElements.assumedRoleUser.arn',
  'responseElements.credentials.accessKeyId',
  'userIdentity.arn',
  'userIdentity.sessionContext.sessionIssuer.arn',
  'userAgent',
  'errorMessage',
];

function load(): string[] {
  try {
    const v = JSON.parse(window.localStorage.getItem(STORE_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && FIELD_PATH.test(x)).slice(0, MAX_FIELDS) : [];
  } catch {
    return [];
  }
}

/** The field columns chosen, remembered in this browser. */
export function useFieldColumns(): [string[], (f: string[]) => void] {
  const [fields, setFields] = useState<string[]>(load);
  useEffect(() => {
    try {
      window.localStorage.setItem(STORE_KEY, JSON.stringify(fields));
    } catch {
      // storage refused: the columns last for this window only
    }
  }, [fields]);
  return [fields, setFields];
}

export const fieldColumnId = (path: string) => `field:${path}`;

/** The table column of one field. */
export function fieldColumn(path: string): ColumnDef<EventRowView> {
  return {
    id: fieldColumnId(path),
    accessorFn: (r) => r.fields?.[path] ?? null,
    header: path.split('.').slice(-1)[0]!,
    size: 200,
    enableSorting: false,
    cell: (c) => {
      const v = c.row.original.fields?.[path] ?? null;
      return (
        <span className="mono" title={v === null ? `${path}: not in this record` : `${path}: ${shown(v)}`} data-testid="field-cell" data-field={path}>
          {v === null ? '—' : shown(v)}
        </span>
      );
    },
  };
}

/** The "+ field" menu: add a field column by its path, remove one. */
export function FieldColumnsMenu({ fields, onChange }: { fields: string[]; onChange: (f: string[]) => void }) {
  const [open, setOpen] = useState<{ top: number; right: number } | null>(null);
  const [text, setText] = useState('');
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(null);
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const path = text.trim();
  const valid = FIELD_PATH.test(path) && !fields.includes(path) && fields.length < MAX_FIELDS;
  const add = () => {
    if (!valid) return;
    onChange([...fields, path]);
    setText('');
  };
  return (
    <div className="columns-menu" ref={ref}>
      <button
        type="button"
        className="btn small"
        aria-haspopup="dialog"
        aria-expanded={open !== null}
        data-testid="field-columns-button"
        title="show fields of the raw record as columns (requestParameters.secretId, …)"
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          setOpen((o) => (o ? null : { top: r.bottom + 4, right: Math.max(4, window.innerWidth - r.right) }));
        }}
      >
        + field
      </button>
      {open && (
        <div className="menu field-columns" role="dialog" aria-label="field columns" data-testid="field-columns-menu" style={{ position: 'fixed', top: open.top, right: open.right }}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              add();
            }}
          >
            <input
              type="text"
              autoFocus
              spellCheck={false}
              list="field-column-paths"
              placeholder="requestParameters.secretId"
              aria-label="field path"
              aria-invalid={path !== '' && !FIELD_PATH.test(path)}
              data-testid="field-column-input"
              value={text}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={(e) => e.key === 'Escape' && setOpen(null)}
            />
            <button type="submit" className="btn small" disabled={!valid} data-testid="field-column-add">
              Add
            </button>
            <datalist id="field-column-paths">
              {SUGGESTED.filter((s) => !fields.includes(s)).map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          </form>
          {fields.map((f) => (
            <div key={f} className="menu-item check">
              <span className="mono">{f}</span>
              <button type="button" className="chip-x" aria-label={`remove the ${f} column`} data-testid="field-column-remove" onClick={() => onChange(fields.filter((x) => x !== f))}>
                ×
              </button>
            </div>
          ))}
          {fields.length >= MAX_FIELDS && <div className="menu-item">{MAX_FIELDS} field columns at most</div>}
        </div>
      )}
    </div>
  );
}
