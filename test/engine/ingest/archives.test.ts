/**
 * Archives and folders whose names and links are chosen by whoever built them. Archives are read in place, never
 * extracted: a member's name is only a label, so it is encoded until it cannot climb out of its archive, restart at
 * the root, pass for another archive's member, or collide with another member's label; link members and links
 * inside scanned folders are reported, never followed. The happy path of each archive kind is in ingest.test.ts.
 */
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { ByteBudget, enumerateEvidence, type Enumerated, type EvidenceEntry } from '../../../electron/engine/ingest/sources';
import { memberLabel } from '../../../electron/engine/ingest/member-labels';
import { buildTar, buildTarGz, buildZip, type TarMember } from '../../helpers/archives';
import { apiRecord, put, tempDir, trailJson } from '../../helpers/evidence';
import { count, expectConsistent, outcomeOf } from '../../helpers/case';

describe('memberLabel', () => {
  it.each([
    ['AWSLogs/1/CloudTrail/us-east-1/2024/03/01/x.json.gz', 'AWSLogs/1/CloudTrail/us-east-1/2024/03/01/x.json.gz'],
    ['../evil.json', '%2E%2E/evil.json'],
    ['a/../../b.json', 'a/%2E%2E/%2E%2E/b.json'],
    ['./x.json', '%2E/x.json'],
    ['/etc/passwd', '%2Fetc/passwd'],
    ['//host/share/x.json', '%2F%2Fhost/share/x.json'],
    ['a//b.json', 'a/%2Fb.json'],
    ['other.zip!/x.json', 'other.zip%21/x.json'],
    ['C:\\Windows\\evil.json', 'C:%5CWindows%5Cevil.json'],
    ['..\\..\\evil.json', '..%5C..%5Cevil.json'],
    ['x.json#2', 'x.json%232'],
    ['100%.json', '100%25.json'],
    ['line\nbreak.json', 'line%0Abreak.json'],
    ['gnp.\u202eexe.json', 'gnp.%E2%80%AEexe.json'],
    ['...json', '...json'],
    ['café/日本.json', 'café/日本.json'],
  ])('%j → %j', (name, label) => {
    expect(memberLabel(name)).toBe(label);
  });

  it('is reversible, so two different names never share a label', () => {
    // Seeded walk over names made of the characters that matter.
    const alphabet = ['a', '.', '..', '/', '!', '#', '%', '\\', '\n', '\u202e', 'é', '%2E', ' '];
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 16;
    };
    const labels = new Map<string, string>();
    for (let n = 0; n < 20000; n++) {
      let name = '';
      for (let k = next() % 8; k >= 0; k--) name += alphabet[next() % alphabet.length];
      const label = memberLabel(name);
      expect(decodeURIComponent(label)).toBe(name);
      expect(label).not.toMatch(/(^|\/)\.\.?(\/|$)|^\/|\/\/|!|[\n\u202e]/);
      const before = labels.get(label);
      if (before !== undefined) expect(before).toBe(name);
      labels.set(label, name);
    }
    expect(labels.size).toBeGreaterThan(5000);
  });
});

/** Members whose names try every trick, each holding one record of its own (event id `m-<n>`). */
function hostileMembers(): { name: string; data: string; eventID: string; label: string }[] {
  const names = [
    'AWSLogs/ok.json',
    '../evil.json',
    '/abs/evil.json',
    'a/../b.json',
    'b.json',
    'other.zip!/inner.json',
    'C:\\Windows\\evil.json',
    'dup.json',
    'dup.json',
    'dup.json#2',
  ];
  return names.map((name, n) => ({
    name,
    data: trailJson([apiRecord(`m-${n}`)]),
    eventID: `m-${n}`,
    label: memberLabel(name),
  }));
}

/** The labels the members above must get: a repeated name gets #2 on its second copy. */
const EXPECTED_LABELS = [
  'AWSLogs/ok.json',
  '%2E%2E/evil.json',
  '%2Fabs/evil.json',
  'a/%2E%2E/b.json',
  'b.json',
  'other.zip%21/inner.json',
  'C:%5CWindows%5Cevil.json',
  'dup.json',
  'dup.json#2',
  'dup.json%232',
];

describe.each([
  { kind: 'zip', file: 'bundle.zip' },
  { kind: 'tar', file: 'bundle.tar' },
  { kind: 'tar.gz', file: 'bundle.tar.gz' },
])('a $kind with hostile member names and link members', ({ kind, file }) => {
  async function build(): Promise<{ dir: string; archive: string; links: { label: string; error: RegExp }[] }> {
    const dir = tempDir(`arch-${kind.replace('.', '')}`);
    const members = hostileMembers();
    let bytes: Buffer;
    let links: { label: string; error: RegExp }[];
    if (kind === 'zip') {
      bytes = buildZip([
        ...members.map((m) => ({ name: m.name, data: m.data })),
        { name: 'link.json', data: '/etc/passwd', symlink: true },
        { name: '../link-out.json', data: '../../../../etc/shadow', symlink: true },
        { name: 'pipe.json', data: '', unixType: 0o010000 },
        // Folder entries, as Unix and Windows tools write them: skipped, neither loaded nor failed.
        { name: 'AWSLogs/', data: '', unixType: 0o040000 },
        { name: 'logs\\', data: '' },
      ]);
      links = [
        { label: 'link.json', error: /^symbolic link inside the archive: not followed$/ },
        { label: '%2E%2E/link-out.json', error: /^symbolic link inside the archive: not followed$/ },
        { label: 'pipe.json', error: /^archive member of Unix type 0o10000, not a file: skipped$/ },
      ];
    } else {
      const tarMembers: TarMember[] = [
        ...members.map((m) => ({ name: m.name, data: m.data })),
        { name: 'link.json', type: 'symlink', linkname: '/etc/passwd' },
        { name: 'hard.json', type: 'link', linkname: '/etc/passwd' },
        { name: '../hard-out.json', type: 'link', linkname: 'AWSLogs/ok.json' },
        { name: 'fifo.json', type: 'fifo' },
        { name: 'dev.json', type: 'character-device' },
      ];
      bytes = kind === 'tar' ? await buildTar(tarMembers) : await buildTarGz(tarMembers);
      links = [
        { label: 'link.json', error: /^symbolic link inside the archive: not followed$/ },
        { label: 'hard.json', error: /^hard link inside the archive: not followed$/ },
        { label: '%2E%2E/hard-out.json', error: /^hard link inside the archive: not followed$/ },
        { label: 'fifo.json', error: /^archive member of type fifo, not a file: skipped$/ },
        { label: 'dev.json', error: /^archive member of type character-device, not a file: skipped$/ },
      ];
    }
    return { dir, archive: put(join(dir, 'ev'), file, bytes), links };
  }

  it('loads every member under its own encoded label, reports each link member by archive and label, writes nothing', async () => {
    const { dir, archive, links } = await build();
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [archive], { workers: 0 });
    const members = hostileMembers();
    members.forEach((m, n) => {
      const label = `${archive}!/${EXPECTED_LABELS[n]}`;
      expect(outcomeOf(summary, label), m.name).toMatchObject({ status: 'loaded', newEvents: 1 });
      // Provenance: each member's record points at that member's label, and only there.
      expect(
        db
          .prepare('SELECT f.path FROM events e JOIN event_sources s ON s.event_rowid = e.id JOIN evidence_files f ON f.id = s.file_id WHERE e.event_id = ?')
          .pluck()
          .all(m.eventID),
      ).toEqual([label]);
    });
    for (const l of links) {
      const outcome = outcomeOf(summary, `${archive}!/${l.label}`);
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(l.error);
    }
    expect(summary).toMatchObject({ loaded: members.length, failed: links.length, newEvents: members.length });
    // No label climbs out of the archive, restarts at the root, or names a second archive.
    const paths = db.prepare('SELECT path FROM evidence_files').pluck().all() as string[];
    for (const p of paths) {
      expect(p.startsWith(`${archive}!/`)).toBe(true);
      expect(p.slice(archive.length + 2)).not.toMatch(/(^|\/)\.\.?(\/|$)|^\/|\/\/|!/);
    }
    expect(new Set(paths).size).toBe(paths.length);
    expectConsistent(db);
    // Nothing was extracted or followed: the folder holds the archive and the case only, and nothing appeared above it.
    expect(readdirSync(join(dir, 'ev'))).toEqual([file]);
    expect(readdirSync(dir).filter((n) => !n.startsWith('case.db'))).toEqual(['ev']);
    for (const p of [join(dir, 'evil.json'), join(dir, '..', 'evil.json'), '/abs/evil.json', join(dir, 'link-out.json')]) expect(existsSync(p), p).toBe(false);

    // The labels are stable: the same archive again is already in the case, member by member.
    const again = await ingestEvidence(db, [archive], { workers: 0 });
    expect(again).toMatchObject({ loaded: 0, alreadyLoaded: members.length, newEvents: 0 });
    db.close();
  });

  it('enumerates the same labels every time (the custody re-check finds members by label)', async () => {
    const { archive } = await build();
    const labels = async () => {
      const out: string[] = [];
      for await (const item of enumerateEvidence([archive])) out.push(item.displayPath);
      return out;
    };
    const first = await labels();
    expect(first).toEqual(await labels());
    expect(first.slice(0, EXPECTED_LABELS.length)).toEqual(EXPECTED_LABELS.map((l) => `${archive}!/${l}`));
  });
});

describe('links inside a scanned folder', () => {
  function world() {
    const dir = tempDir('links');
    const outside = join(dir, 'outside');
    const secret = put(outside, 'secret.json', trailJson([apiRecord('outside-1')]));
    put(join(outside, 'more'), 'more.json', trailJson([apiRecord('outside-2')]));
    const ev = join(dir, 'ev');
    put(ev, 'a.json', trailJson([apiRecord('inside-1')]));
    put(join(ev, 'sub'), 'b.json', trailJson([apiRecord('inside-2')]));
    symlinkSync(secret, join(ev, 'link-to-file.json'));
    symlinkSync(join(outside, 'more'), join(ev, 'link-to-dir'));
    symlinkSync('..', join(ev, 'sub', 'loop'));
    symlinkSync('a.json', join(ev, 'same-folder.json'));
    symlinkSync(join(dir, 'nowhere.json'), join(ev, 'dangling.json'));
    return { dir, ev, secret, outside };
  }

  it('are reported with their target and not followed: nothing outside the folder is read, loops end', async () => {
    const { dir, ev, secret, outside } = world();
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [ev], { workers: 0 });
    expect(db.prepare('SELECT event_id FROM events ORDER BY event_id').pluck().all()).toEqual(['inside-1', 'inside-2']);
    const links: [string, string][] = [
      [join(ev, 'dangling.json'), join(dir, 'nowhere.json')],
      [join(ev, 'link-to-dir'), join(outside, 'more')],
      [join(ev, 'link-to-file.json'), secret],
      [join(ev, 'same-folder.json'), 'a.json'],
      [join(ev, 'sub', 'loop'), '..'],
    ];
    for (const [link, target] of links) {
      expect(outcomeOf(summary, link)).toMatchObject({
        status: 'failed',
        error: `symbolic link to ${JSON.stringify(target)} inside a folder: not followed (name its target to load it)`,
      });
    }
    expect(summary).toMatchObject({ loaded: 2, failed: links.length });
    // Recorded in the manifest, so the reconciliation (files found = loaded + refused) stays exact.
    expect(count(db, "SELECT COUNT(*) FROM evidence_files WHERE status = 'failed' AND error LIKE 'symbolic link to %'")).toBe(links.length);
    expectConsistent(db);
    db.close();
  });

  it('a link the investigator names is taken as given', async () => {
    const { dir, ev } = world();
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [join(ev, 'link-to-file.json'), join(ev, 'link-to-dir')], { workers: 0 });
    expect(summary).toMatchObject({ loaded: 2, failed: 0 });
    expect(db.prepare('SELECT event_id FROM events ORDER BY event_id').pluck().all()).toEqual(['outside-1', 'outside-2']);
    db.close();
  });

  it('a named pipe in the folder is reported and never opened (the ingest does not hang on it)', async () => {
    const dir = tempDir('fifo');
    const ev = join(dir, 'ev');
    mkdirSync(ev);
    put(ev, 'a.json', trailJson([apiRecord('fifo-neighbour')]));
    const fifo = join(ev, 'pipe.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [ev], { workers: 0 });
    expect(outcomeOf(summary, fifo)).toMatchObject({ status: 'failed', error: 'a named pipe, not a file: skipped' });
    expect(outcomeOf(summary, join(ev, 'a.json')).status).toBe('loaded');
    db.close();
  });
});

/**
 * Issue 12, item 1: a member is never dropped in silence on the strength of its name. `..\evidence.json` once looked
 * like a dot-file (names were split on `/` only) and vanished; now only Finder litter proved by its content
 * (`.DS_Store`, AppleDouble `._x`) and empty folder entries are skipped without a word.
 */
const DS_STORE = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]), Buffer.alloc(56)]);
const APPLE_DOUBLE = Buffer.concat([Buffer.from([0, 5, 0x16, 7, 0, 2, 0, 0]), Buffer.alloc(74)]);

/** Evidence under names that a name-only rule would take for litter, a folder, or a dot-file: each must load. */
const DISGUISED = [
  '..\\evidence.json',
  '.\\..\\evidence.json',
  'logs\\.evidence.json',
  './.evidence.json',
  '.evidence.json',
  '__MACOSX/evidence.json',
  '__macosx/._evidence.json',
  '.DS_Store',
  'sub/.ds_store',
  '\uff0eDS_Store', // a full-width look-alike of the dot
  '\u2024evidence.json', // ONE DOT LEADER
  '..',
  '.',
];

describe.each([
  { kind: 'zip', file: 'disguised.zip' },
  { kind: 'tar', file: 'disguised.tar' },
  { kind: 'tar.gz', file: 'disguised.tar.gz' },
])('a $kind whose evidence is named like litter, a folder or a dot-file (issue 12)', ({ kind, file }) => {
  it('loads every such member, reports a litter name whose content is not litter, and skips only proved litter', async () => {
    const dir = tempDir(`disguised-${kind.replace('.', '')}`);
    const evidence = DISGUISED.map((name, n) => ({ name, data: trailJson([apiRecord(`d-${n}`)]) }));
    // A folder entry that carries a trail file (the entry type is the builder's to choose) is read too.
    const folderWithData = { name: kind === 'zip' ? 'folder-with-data/' : 'folder-with-data', data: trailJson([apiRecord('d-folder')]) };
    const litter = [
      { name: '.DS_Store', data: DS_STORE },
      { name: 'a/.DS_STORE', data: DS_STORE },
      { name: '__MACOSX/._evidence.json', data: APPLE_DOUBLE },
      { name: '._bundle.json', data: APPLE_DOUBLE },
    ];
    const impostor = { name: '__MACOSX/._x.json', data: 'not AppleDouble, not evidence either' };
    let bytes: Buffer;
    if (kind === 'zip') {
      bytes = buildZip([
        ...evidence,
        { ...folderWithData, method: 'store' },
        { name: 'dos-folder.json', data: trailJson([apiRecord('d-dos')]), dosAttributes: 0x10 },
        { name: 'unix-folder.json', data: trailJson([apiRecord('d-unix')]), unixType: 0o040000 },
        { name: 'empty-folder/', data: '', method: 'store' },
        { name: 'empty-deflated-folder/', data: '' },
        { name: 'empty-dos-folder', data: '', method: 'store', dosAttributes: 0x10 },
        ...litter,
        impostor,
      ]);
    } else {
      const members: TarMember[] = [
        ...evidence,
        { name: 'empty-folder', type: 'directory' },
        ...litter,
        impostor,
        { ...folderWithData, type: 'directory' }, // last: the blocks after it are misread as headers
      ];
      bytes = kind === 'tar' ? await buildTar(members) : await buildTarGz(members);
    }
    const archive = put(join(dir, 'ev'), file, bytes);
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [archive], { workers: 0 });

    const loaded = [...DISGUISED, ...(kind === 'zip' ? [folderWithData.name, 'dos-folder.json', 'unix-folder.json'] : [])];
    const ids = [...DISGUISED.map((_, n) => `d-${n}`), ...(kind === 'zip' ? ['d-folder', 'd-dos', 'd-unix'] : [])];
    expect(db.prepare('SELECT event_id FROM events ORDER BY event_id').pluck().all()).toEqual([...ids].sort());
    for (const name of loaded) expect(outcomeOf(summary, `${archive}!/${memberLabel(name)}`).status, name).toBe('loaded');
    // Named like litter, but its content is not: read, and reported since it is no evidence.
    const failed = [`${archive}!/${memberLabel(impostor.name)}`];
    if (kind !== 'zip') {
      // tar-stream (like GNU tar) reads no data for a folder entry: one that declares data is reported, and the
      // blocks after it, read as headers, end the archive as corrupt.
      expect(outcomeOf(summary, `${archive}!/folder-with-data`)).toMatchObject({ status: 'failed', error: /^folder entry that declares \d+ bytes of data: not read$/ });
      expect(outcomeOf(summary, archive)).toMatchObject({ status: 'failed', error: /^tar archive is corrupt or truncated: / });
      failed.push(`${archive}!/folder-with-data`, archive);
    }
    for (const f of failed) expect(outcomeOf(summary, f).status).toBe('failed');
    // Proved litter and empty folders leave no trace: every outcome is one of the above.
    expect(summary.files.map((f) => f.path).sort()).toEqual([...loaded.map((n) => `${archive}!/${memberLabel(n)}`), ...failed].sort());
    expectConsistent(db);
    db.close();
  });
});

describe('a folder with dot-files and hidden folders (issue 12)', () => {
  it('reads dot-files, reports hidden folders, and skips only proved Finder litter', async () => {
    const dir = tempDir('dotfiles');
    const ev = join(dir, 'ev');
    put(ev, '..\\evidence.json', trailJson([apiRecord('f-1')]));
    put(ev, '.evidence.json', trailJson([apiRecord('f-2')]));
    put(ev, '.DS_Store', DS_STORE);
    put(ev, '._evidence.json', APPLE_DOUBLE);
    put(join(ev, '__MACOSX'), '._evidence.json', APPLE_DOUBLE);
    put(join(ev, 'sub'), '.DS_Store', trailJson([apiRecord('f-3')])); // litter's name, evidence's content
    put(join(ev, '.git'), 'HEAD', 'ref: refs/heads/main\n');
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [ev], { workers: 0 });
    expect(db.prepare('SELECT event_id FROM events ORDER BY event_id').pluck().all()).toEqual(['f-1', 'f-2', 'f-3']);
    expect(outcomeOf(summary, join(ev, '.git'))).toMatchObject({ status: 'failed', error: 'hidden folder inside a folder: not read (name it to load it)' });
    expect(summary).toMatchObject({ loaded: 3, failed: 1 });
    expect(summary.files.map((f) => f.path).filter((p) => p.includes('._evidence') || p === join(ev, '.DS_Store'))).toEqual([]);
    db.close();
  });
});

/**
 * Issue 12, item 2: a `.tar.gz` is capped on its decompressed bytes like a `.gz`, members drained unread (a hidden
 * name, a link, a folder) counted too; a capped archive is a failure that names the archive and the cap.
 */
describe('a .tar.gz past the decompressed-size cap (issue 12)', () => {
  const CAP = 64 * 1024;
  async function failures(archive: string, limits = { maxDecompressedBytes: CAP }) {
    const out: { kind: string; displayPath: string; error?: string }[] = [];
    for await (const item of enumerateEvidence([archive], limits)) out.push(item.kind === 'failure' ? item : { kind: item.kind, displayPath: item.displayPath });
    return out;
  }
  const zeros = Buffer.alloc(4 * CAP);
  const capMessage = `decompressed size exceeds the ${CAP}-byte cap (gzip bomb or oversized archive); extract it to a folder to load it`;

  it.each([
    ['a proved-litter member', { name: '._bomb', data: Buffer.concat([APPLE_DOUBLE, zeros]) }],
    ['a symbolic link member followed by a large member', { name: 'big.json', data: zeros }],
    ['an ordinary member', { name: 'bomb.json', data: zeros }],
  ])('fails on %s, naming the archive and the cap', async (_what, member: TarMember) => {
    const dir = tempDir('tgz-cap');
    const first = trailJson([apiRecord('before-cap')]);
    const archive = put(dir, 'bomb.tar.gz', await buildTarGz([{ name: 'a.json', data: first }, { name: 'link', type: 'symlink', linkname: 'a.json' }, member]));
    expect(statSync(archive).size).toBeLessThan(CAP / 4); // small on disk, large once inflated
    const items = await failures(archive);
    expect(items.at(-1)).toEqual({ kind: 'failure', displayPath: archive, error: capMessage });
    // Members read before the cap are still given; the member being read when it was hit is not.
    expect(items[0]).toEqual({ kind: 'entry', displayPath: `${archive}!/a.json` });
    expect(items.filter((i) => i.kind === 'entry')).toHaveLength(1);
  });

  it('under the cap the same archive loads, and an uncompressed tar is not subject to it', async () => {
    const dir = tempDir('tgz-cap');
    const members: TarMember[] = [{ name: 'a.json', data: trailJson([apiRecord('under-cap')]) }, { name: '._x', data: zeros }];
    const tgz = put(dir, 'ok.tar.gz', await buildTarGz(members));
    // `._x` without the AppleDouble magic is no litter: it is given to be read (and fails there, as no evidence).
    expect((await failures(tgz, { maxDecompressedBytes: 8 * CAP })).map((i) => i.kind)).toEqual(['entry', 'entry']);
    const tar = put(dir, 'ok.tar', await buildTar(members));
    expect((await failures(tar)).map((i) => i.kind)).toEqual(['entry', 'entry']);
  });

  it('is the .gz cap by default', async () => {
    const dir = tempDir('tgz-cap');
    const archive = put(dir, 'bomb.tar.gz', await buildTarGz([{ name: '._bomb', data: zeros }]));
    const { DEFAULT_PARSE_LIMITS } = await import('../../../electron/engine/ingest/parse-file');
    const { DEFAULT_SOURCE_LIMITS } = await import('../../../electron/engine/ingest/sources');
    expect(DEFAULT_SOURCE_LIMITS.maxDecompressedBytes).toBe(DEFAULT_PARSE_LIMITS.maxDecompressedBytes);
    expect(await failures(archive)).toEqual([{ kind: 'failure', displayPath: archive, error: capMessage }]);
  });
});

/**
 * Issue 12, item 3: archive members are read into memory, under a byte budget. A member takes its bytes as it is
 * read and holds them until its entry is released (ingest: when its parse job ends); the next member is read only
 * when the budget allows, and one larger than the whole budget is read alone.
 */
describe('archive members under a byte budget (issue 12)', () => {
  const MiB = 1024 * 1024;
  /** A trail file of exactly `size` bytes: one record, then whitespace. */
  const member = (i: number, size: number) => {
    const head = `{"Records":[${JSON.stringify(apiRecord(`budget-${i}`))}`;
    return head + ' '.repeat(size - head.length - 2) + ']}';
  };
  /** Let the reader run until it waits for the budget (it must come to wait: nothing releases meanwhile). */
  const untilWaiting = async (budget: ByteBudget) => {
    while (budget.waiting === 0) await new Promise((r) => setImmediate(r));
  };

  it.each([
    ['zip', async (ms: { name: string; data: string }[]) => buildZip(ms)],
    ['tar.gz', async (ms: { name: string; data: string }[]) => buildTarGz(ms)],
  ])('%s: reads the next member only when the members before it are released', async (kind, build) => {
    const dir = tempDir('budget');
    const sizes = [MiB, MiB, 3 * MiB, MiB];
    const archive = put(dir, `evidence.${kind}`, await build(sizes.map((size, i) => ({ name: `m${i}.json`, data: member(i, size) }))));
    const budget = new ByteBudget(1.5 * MiB);
    const it = enumerateEvidence([archive], { budget })[Symbol.asyncIterator]();
    const entry = async (p: Promise<IteratorResult<Enumerated>>) => {
      const r = await p;
      if (r.done || r.value.kind !== 'entry') throw new Error(`expected an entry, got ${JSON.stringify(r.value)}`);
      return r.value;
    };

    const first = await entry(it.next());
    expect(first.displayPath).toBe(`${archive}!/m0.json`);
    expect(budget.inFlight).toBe(MiB);
    // The second member does not fit beside the first: it is read up to the budget, then waits.
    let second: EvidenceEntry | null = null;
    const secondP = entry(it.next()).then((e) => (second = e));
    await untilWaiting(budget);
    expect(second).toBeNull();
    expect(budget.inFlight).toBeLessThanOrEqual(1.5 * MiB);
    first.release();
    await secondP;
    expect(second!.displayPath).toBe(`${archive}!/m1.json`);
    expect(('bytes' in second!.source && second!.source.bytes.length) || 0).toBe(MiB);

    // Larger than the whole budget: read alone, once the second is released.
    const thirdP = entry(it.next());
    await untilWaiting(budget);
    second!.release();
    const third = await thirdP;
    expect(budget.inFlight).toBe(3 * MiB);
    expect('bytes' in third.source && third.source.bytes.equals(Buffer.from(member(2, 3 * MiB)))).toBe(true);
    const fourthP = entry(it.next());
    await untilWaiting(budget);
    third.release();
    const fourth = await fourthP;
    fourth.release();
    expect(budget.inFlight).toBe(0);
    expect((await it.next()).done).toBe(true);
  });

  it('litter, failures and members past the cap give their bytes back at once', async () => {
    const dir = tempDir('budget');
    const archive = put(
      dir,
      'evidence.zip',
      buildZip([
        { name: '._x.json', data: Buffer.concat([APPLE_DOUBLE, Buffer.alloc(MiB)]) },
        { name: 'big.json', data: Buffer.alloc(2 * MiB, 0x20) },
        { name: 'ok.json', data: member(0, MiB) },
      ]),
    );
    const budget = new ByteBudget(1.5 * MiB);
    const items: Enumerated[] = [];
    for await (const item of enumerateEvidence([archive], { budget, maxMemberBytes: 1.5 * MiB })) {
      items.push(item);
      if (item.kind === 'entry') item.release();
    }
    expect(items.map((i) => [i.kind, i.displayPath])).toEqual([
      ['failure', `${archive}!/big.json`],
      ['entry', `${archive}!/ok.json`],
    ]);
    expect(budget.inFlight).toBe(0);
  });

  it.each([2, 0])('an ingest (%i workers) under a budget smaller than each member loads them all: each is released when its job ends', async (workers) => {
    const dir = tempDir('budget');
    const archive = put(dir, 'evidence.zip', buildZip([0, 1, 2, 3, 4].map((i) => ({ name: `m${i}.json`, data: member(i, 2 * MiB) }))));
    const db = openCase(join(dir, 'case.db'));
    const summary = await ingestEvidence(db, [archive], { workers, memberBytesInFlight: MiB });
    expect(summary).toMatchObject({ loaded: 5, failed: 0, newEvents: 5 });
    expectConsistent(db);
    db.close();
  });
});
