/**
 * The reader's event columns kept on disk beside the case (service/column-image.ts): read back, they are the columns
 * a load from the case makes — every array and dictionary — without reading a row of the case for them; with
 * evidence and a correlation added since, the image and a refresh give what a fresh load gives; an image made from
 * other evidence, for another schema, damaged or cut short is never used (the columns are read from the case).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../../electron/engine/db/open';
import { registerEventIdHash } from '../../../electron/engine/db/event-id';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { EventColumns, IMAGE_SUFFIX, type SliceSource } from '../../../electron/engine/service/event-columns';
import { countHistogram, termIds } from '../../../electron/engine/service/histogram';
import { SPILL_HOST } from '../../../electron/engine/service/column-spill';
import { NoteStore } from '../../../electron/engine/notes/store';
import type { EventFilters } from '../../../shared/api';
import { generateBundle } from '../../generator';

let dir: string;
let casePath: string;
let later: string;
let first: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-column-image-'));
  first = generateBundle({ outDir: join(dir, 'first'), events: 2500, seed: 9111, k8s: true, hours: 4 }).outDir;
  later = generateBundle({ outDir: join(dir, 'later'), events: 800, seed: 9112, hours: 2, startTime: '2026-03-02T03:00:00Z' }).outDir;
  casePath = join(dir, 'case.db');
  const db = openCase(casePath);
  await ingestEvidence(db, [first]);
  correlate(db);
  db.close();
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the case in a folder of its own. */
function copyCase(name: string): string {
  const path = join(mkdtempSync(join(dir, 'copy-')), name);
  const src = new Database(casePath, { readonly: true });
  src.exec(`VACUUM INTO '${path.replaceAll("'", "''")}'`);
  src.close();
  return path;
}

interface Loaded {
  db: Database.Database;
  c: EventColumns;
  /** Slices the columns asked of their source (none when every row came from the image). */
  asked: number;
}

/** The columns of a read connection, loaded in full (search columns too); `image`: with the image beside the case. */
async function load(path: string, image = true, minRows = 100): Promise<Loaded> {
  const db = new Database(path, { readonly: true });
  registerEventIdHash(db);
  const out: Loaded = { db, c: null as unknown as EventColumns, asked: 0 };
  const source: SliceSource = async (sql, after, upTo) => {
    out.asked++;
    return db.prepare(sql).raw(true).get(after, upTo) as unknown[];
  };
  out.c = new EventColumns(db, { slice: 300, source, ...(image ? { image: { path: path + IMAGE_SUFFIX, minRows, delayMs: 0, idleMs: 0 } } : {}) });
  await out.c.refresh();
  expect(out.c.fresh()).toBe(true);
  while (!out.c.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
  // (the image is written once the search columns are in, after `delayMs`)
  await new Promise((r) => setTimeout(r, 20));
  return out;
}

function close(l: Loaded): void {
  l.c.stop();
  l.db.close();
}

/** The columns of a read connection to `path`, their image at `image.path` (beside the case unless given). */
function columnsOn(path: string, image: { path?: string; minRows?: number; delayMs: number; idleMs?: number }): Omit<Loaded, 'asked'> {
  const db = new Database(path, { readonly: true });
  registerEventIdHash(db);
  return { db, c: new EventColumns(db, { slice: 300, image: { minRows: 100, ...image, path: image.path ?? path + IMAGE_SUFFIX } }) };
}

/** Until the columns' search columns are loaded (the first phase: `refresh`). */
async function searchIn(c: EventColumns): Promise<void> {
  await c.refresh();
  while (!c.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
}

type Inner = Record<'times' | 'subject' | 'combo' | 'key' | 'ip' | 'arn' | 'ua', { used(): ArrayLike<number> & { constructor: { name: string } }; base?: number }> & {
  loaded: number;
  searched: number;
  combos: { encoded: string[] };
  comboFields: unknown[];
  facetCodes: Map<number, number>;
  keys: { encoded: string[] };
  ips: { encoded: string[] };
  arnCodes: Map<number, number>;
  uaCodes: Map<number, number>;
  ids: { pairs: Uint8Array; singles: Uint8Array };
  sums: Map<number, string>;
};

/** Everything the columns hold, comparable. */
function state(c: EventColumns): unknown {
  const i = c as unknown as Inner;
  const cols = Object.fromEntries(
    (['times', 'subject', 'combo', 'key', 'ip', 'arn', 'ua'] as const).map((k) => [k, { type: i[k].used().constructor.name, rows: Array.from(i[k].used()) }]),
  );
  return {
    loaded: i.loaded,
    searched: i.searched,
    base: i.times.base,
    cols,
    combos: i.combos.encoded,
    comboFields: i.comboFields,
    facetCodes: [...i.facetCodes].sort((a, b) => a[0] - b[0]),
    keys: i.keys.encoded,
    ips: i.ips.encoded,
    arnCodes: [...i.arnCodes],
    uaCodes: [...i.uaCodes],
    ids: Buffer.from(i.ids.pairs).toString('hex') + Buffer.from(i.ids.singles).toString('hex'),
    sums: [...i.sums].sort((a, b) => a[0] - b[0]),
  };
}

const FILTERS: EventFilters[] = [{}, { region: 'us-east-1' }, { mechanism: 'irsa' }, { errorCode: 'none' }, { search: 'GetObject' }, { search: 'prod' }, { eventName: 'AssumeRoleWithWebIdentity' }];

/** The columns' totals and histograms equal those SQL gives on the same case. */
async function answersAsSql(l: Loaded): Promise<void> {
  const sql = new Database(l.db.name, { readonly: true });
  registerEventIdHash(sql);
  try {
    for (const f of FILTERS) {
      const want = await countHistogram(sql, { filters: f, buckets: 40 });
      const toMs = (sql.prepare('SELECT MAX(event_ms) FROM events').pluck().get() as number) + 1;
      expect({ f, counts: l.c.histogram(f, termIds(l.db), want.fromMs, toMs, want.bucketMs, want.counts.length, false) }).toEqual({ f, counts: want.counts });
    }
  } finally {
    sql.close();
  }
}

describe('the column image beside the case', () => {
  it('is read back as the columns were, and a case opened again reads none of its rows to make them', async () => {
    const path = copyCase('a.db');
    // What a process killed while writing an image left (a process id no process has), and a file of another name.
    const stale = `${path}${IMAGE_SUFFIX}.${SPILL_HOST}-2147483646-1.tmp`;
    const elsewhere = `${path}${IMAGE_SUFFIX}.another-host-2147483646-1.tmp`;
    writeFileSync(elsewhere, 'another machine sharing the folder may be writing it');
    writeFileSync(stale, 'half');
    writeFileSync(`${path}.notes.2147483646-1.tmp`, 'kept');
    const a = await load(path);
    expect(existsSync(stale), 'a half-written image of a process gone is removed').toBe(false);
    expect(existsSync(`${path}.notes.2147483646-1.tmp`)).toBe(true);
    expect(existsSync(elsewhere)).toBe(true);
    expect(a.c.stats.image).toMatch(/^written: \d+ rows$/);
    expect(existsSync(path + IMAGE_SUFFIX)).toBe(true);
    expect(statSync(path + IMAGE_SUFFIX).mode & 0o077, 'readable by this user only').toBe(0);
    const b = await load(path);
    expect(b.c.stats.image).toMatch(/^read: \d+ rows$/);
    expect(b.c.stats.imageRows).toBe((a.c as unknown as Inner).loaded);
    expect(b.asked, 'no slice read from the case').toBe(0);
    expect(a.asked).toBeGreaterThan(10);
    expect(state(b.c)).toEqual(state(a.c));
    await answersAsSql(b);
    close(a);
    close(b);
  });

  it('with evidence and a correlation added since, gives with a refresh what a fresh load gives', async () => {
    const path = copyCase('b.db');
    const a = await load(path);
    const rowsBefore = (a.c as unknown as Inner).loaded;
    close(a);
    const w = openCase(path);
    await ingestEvidence(w, [later]);
    correlate(w);
    w.close();
    const b = await load(path);
    expect(b.c.stats.imageRows).toBe(rowsBefore);
    const fresh = await load(path, false);
    expect(fresh.c.stats.image).toBeNull();
    expect((b.c as unknown as Inner).loaded).toBeGreaterThan(rowsBefore);
    expect(state(b.c)).toEqual(state(fresh.c));
    await answersAsSql(b);
    // …and the image now holds the case as it is.
    expect(b.c.stats.image).toMatch(/^written: /);
    close(b);
    close(fresh);
  });

  it('is not used when made from other evidence, for another schema, damaged, cut short, or not an image', async () => {
    const path = copyCase('c.db');
    const image = path + IMAGE_SUFFIX;
    close(await load(path));
    const good = readFileSync(image);
    const expectNotUsed = async (why: RegExp) => {
      const l = await load(path, true, 1e9); // (none written over it)
      expect(l.c.stats.image).toMatch(why);
      expect(l.c.stats.imageRows).toBe(0);
      const fresh = await load(path, false);
      expect(state(l.c)).toEqual(state(fresh.c));
      close(l);
      close(fresh);
    };
    // A byte of the arrays changed (compressed: Brotli refuses it, or it decodes to other bytes than were hashed).
    const damaged = Buffer.from(good);
    damaged[damaged.length - 100]! ^= 0x40;
    writeFileSync(image, damaged);
    await expectNotUsed(/^not used: (its bytes do not match their SHA-256|array \w+ (does not decompress: .*|holds \d+ bytes, not \d+))$/);
    // A text of its dictionaries changed (the header: valid JSON still).
    const at = good.indexOf('"vASIA');
    expect(at).toBeGreaterThan(0);
    const renamed = Buffer.from(good);
    renamed[at + 6] = renamed[at + 6] === 0x41 ? 0x42 : 0x41;
    writeFileSync(image, renamed);
    await expectNotUsed(/^not used: its bytes do not match their SHA-256$/);
    writeFileSync(image, good);
    truncateSync(image, good.length - 1000);
    await expectNotUsed(/^not used: array \w+ (runs past the file's end|is cut short)$/);
    writeFileSync(image, 'SQLite format 3\0 and more');
    await expectNotUsed(/^not used: not a column image of this format$/);
    // The same evidence loaded at another time (another case, or this one rebuilt): other evidence rows.
    writeFileSync(image, good);
    const w = new Database(path);
    w.prepare("UPDATE evidence_files SET ingested_at = '2030-01-01T00:00:00.000Z' WHERE id = (SELECT MIN(id) FROM evidence_files)").run();
    const schema = w.pragma('user_version', { simple: true }) as number;
    await expectNotUsed(/^not used: made from other evidence than this case holds$/);
    w.prepare("UPDATE evidence_files SET ingested_at = ? WHERE id = (SELECT MIN(id) FROM evidence_files)").run(
      new Database(casePath, { readonly: true }).prepare('SELECT ingested_at FROM evidence_files ORDER BY id LIMIT 1').pluck().get(),
    );
    const back = await load(path, true, 1e9);
    expect(back.c.stats.image, 'the same evidence again: used').toMatch(/^read: /);
    close(back);
    w.pragma(`user_version = ${schema + 1}`);
    await expectNotUsed(/^not used: made for schema \d+, the case is at \d+$/);
    w.pragma(`user_version = ${schema}`);
    w.close();
  });

  it('is written when the columns are closed before its time comes', async () => {
    const path = copyCase('e.db');
    const { db, c } = columnsOn(path, { delayMs: 60_000 });
    await searchIn(c);
    expect(existsSync(path + IMAGE_SUFFIX)).toBe(false);
    c.stop();
    db.close();
    expect(c.stats.image).toMatch(/^written: /);
    const again = await load(path);
    expect(again.c.stats.image).toMatch(/^read: /);
    close(again);
  });

  it('waits for a pause in the requests before it is written (its write holds the reader)', async () => {
    const path = copyCase('g.db');
    const { db, c } = columnsOn(path, { delayMs: 100, idleMs: 1_000 });
    await searchIn(c);
    for (let i = 0; i < 12; i++) {
      expect(c.total({ region: 'us-east-1' }, termIds(db))).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(c.stats.image, 'asked every 50 ms for 600 ms: not yet').toBeNull();
    for (let waited = 0; c.stats.image === null && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(c.stats.image).toMatch(/^written: /);
    c.stop();
    db.close();
  });

  it('closed before its search columns are in, keeps what was loaded; the next start loads the rest and writes it whole', async () => {
    const path = copyCase('f.db');
    const { db, c } = columnsOn(path, { delayMs: 0, idleMs: 0 });
    await c.refresh();
    // (the search columns' load has just begun, in the background)
    expect(c.searchLoaded()).toBe(false);
    c.stop();
    db.close();
    expect(c.stats.image).toMatch(/^written: \d+ rows, search columns of \d+$/);
    const b = await load(path);
    expect(b.c.stats.imageRows).toBeGreaterThan(0);
    const fresh = await load(path, false);
    expect(state(b.c)).toEqual(state(fresh.c));
    await answersAsSql(b);
    expect(b.c.stats.image, 'the image written again, whole').toMatch(/^written: \d+ rows$/);
    close(b);
    close(fresh);
    const again = await load(path);
    expect(again.asked, 'the next start reads no slice').toBe(0);
    close(again);
  });

  it('is not written for a small case, and a folder that cannot take it is said, not raised', async () => {
    const path = copyCase('d.db');
    const small = await load(path, true, 1e9);
    expect(small.c.stats.image).toBeNull();
    expect(existsSync(path + IMAGE_SUFFIX)).toBe(false);
    close(small);
    const { db, c } = columnsOn(path, { path: join(dir, 'no-such-folder', 'x.columns'), delayMs: 0, idleMs: 0 });
    await searchIn(c);
    await new Promise((r) => setTimeout(r, 20));
    expect(c.stats.image).toMatch(/^not written: ENOENT/);
    expect(c.total({}, termIds(db))).toBe(db.prepare('SELECT COUNT(*) FROM events').pluck().get());
    c.stop();
    db.close();
  });
});

describe("the events' subjects, kept while no correlation changes them (the correlation's token)", () => {
  /** The events' subject column as the columns hold it. */
  const subjects = (c: EventColumns) => Array.from((c as unknown as Inner).subject.used());

  it('a note changes none: the refresh after it and a start from the image read no checksum, and answer as a fresh load', async () => {
    const path = copyCase('n.db');
    const a = await load(path);
    expect(a.c.stats.subjectChecks, 'the first load reads every slice').toBe(1);
    const w = openCase(path);
    const eventId = w.prepare('SELECT event_id FROM events ORDER BY id LIMIT 1').pluck().get() as string;
    new NoteStore(w).add({ kind: 'event', value: eventId }, 'tag', 'exfil');
    w.close();
    expect(a.c.fresh(), 'a commit: the columns refresh').toBe(false);
    await a.c.refresh();
    expect(a.c.fresh()).toBe(true);
    expect(a.c.stats.subjectChecks, 'no checksum read after the note').toBe(1);
    const fresh = await load(path, false);
    expect(state(a.c)).toEqual(state(fresh.c));
    const b = await load(path);
    expect(b.c.stats.image).toMatch(/^read: /);
    expect(b.c.stats.subjectChecks, 'the image is of the same correlation: no checksum read').toBe(0);
    expect(state(b.c)).toEqual(state(fresh.c));
    await answersAsSql(b);
    for (const l of [a, b, fresh]) close(l);
  });

  it("rows given subjects by a correlation committed while the refresh ran are read, though the token was read after it", async () => {
    // The case's later rows held back, then committed with their subjects and a new token (an ingest and its
    // correlation) at the refresh's first pause: after it had read the last row, before it read the token.
    const path = copyCase('r.db');
    const w = new Database(path);
    const max = w.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
    const cut = Math.floor(max * 0.6);
    w.pragma('foreign_keys = OFF');
    w.exec(`CREATE TEMP TABLE held AS SELECT * FROM events WHERE id > ${cut};
            CREATE TEMP TABLE held_subjects AS SELECT * FROM event_subjects WHERE event_rowid > ${cut};
            DELETE FROM event_subjects WHERE event_rowid > ${cut}; DELETE FROM events WHERE id > ${cut};`);
    const { db, c } = columnsOn(path, { delayMs: 60_000 });
    let committed = false;
    await c.refresh(async () => {
      if (!committed) {
        committed = true;
        w.exec(`INSERT INTO events SELECT * FROM held; INSERT INTO event_subjects SELECT * FROM held_subjects;
                UPDATE correlation_state SET subjects_token = 'the next correlation';`);
      }
      await new Promise((r) => setImmediate(r));
    });
    expect(committed).toBe(true);
    await searchIn(c);
    const fresh = await load(path, false);
    expect(subjects(c)).toEqual(subjects(fresh.c));
    expect(subjects(c).slice(cut + 1).some((x) => x > 0), 'the rows after the cut have subjects').toBe(true);
    c.stop();
    db.close();
    w.close();
    close(fresh);
  });

  it('evidence that changes the subjects of events the case has (Kubernetes only, no new event): read again after its correlation', async () => {
    const path = join(mkdtempSync(join(dir, 'k8s-')), 'k.db');
    const w = openCase(path);
    await ingestEvidence(w, [join(first, 'AWSLogs')]);
    correlate(w);
    const rows = w.prepare('SELECT COUNT(*) FROM events').pluck().get();
    const a = await load(path);
    const before = subjects(a.c);
    const k8s = [join(first, 'k8s'), join(first, 'aws'), ...readdirSync(first).filter((f) => f.startsWith('describe-cluster-')).map((f) => join(first, f))];
    await ingestEvidence(w, k8s);
    correlate(w);
    expect(w.prepare('SELECT COUNT(*) FROM events').pluck().get(), 'no event added').toBe(rows);
    w.close();
    await a.c.refresh();
    expect(a.c.stats.subjectChecks).toBe(2);
    expect(subjects(a.c), 'the Kubernetes evidence changed some subjects').not.toEqual(before);
    const fresh = await load(path, false);
    expect(state(a.c)).toEqual(state(fresh.c));
    close(a);
    // The image written before (of the correlation before): taken, its subjects read again by their checksums.
    const b = await load(path);
    expect(b.c.stats.image).toMatch(/^read: /);
    expect(b.c.stats.subjectChecks).toBe(1);
    expect(state(b.c)).toEqual(state(fresh.c));
    await answersAsSql(b);
    close(b);
    close(fresh);
  });
});
