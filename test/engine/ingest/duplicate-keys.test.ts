/**
 * The duplicate-key check's counted path (`duplicateKeyProblem(text, JSON.parse(text))`) must give the walk's answer
 * on every text: never null where the walk finds a duplicate. So must the path that takes the keys counted by the
 * record scanner while it split the file (its colons outside strings), whatever the chunks the file arrived in.
 * Property-style, over generated JSON texts with keys repeated at any depth, strings that start with a colon or hold
 * `\":`, escaped keys, white space around colons.
 */
import { describe, expect, it } from 'vitest';
import { duplicateKeyProblem } from '../../../electron/engine/ingest/duplicate-keys';
import { JsonRecordScanner } from '../../../electron/engine/ingest/scanner';
import { Rng } from '../../generator/rng';

const KEYS = ['a', 'b', 'k', 'eventName', 'accessKeyId', ':', ' :', '"', '\\', 'a"b', 'x:y'];
const STRINGS = ['', ':', ' :x', ':"', '\\":', '{\\"k\\":1,\\"k\\":2}', '"k":1', 'é', '\\\\', 'plain'];

function generate(g: Rng, depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(g.next() * xs.length)]!;
  const ws = () => pick(['', '', ' ', '\n ', '\t']);
  const r = g.next();
  if (depth <= 0 || r < 0.3) {
    const s = g.next();
    if (s < 0.6) return JSON.stringify(pick(STRINGS));
    if (s < 0.8) return String(Math.floor(g.next() * 1000));
    return pick(['true', 'false', 'null']);
  }
  const n = Math.floor(g.next() * 5);
  if (r < 0.5) return `[${Array.from({ length: n }, () => ws() + generate(g, depth - 1) + ws()).join(',')}]`;
  const members: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = pick(KEYS);
    // A key written with a \u escape reads as the same key.
    const written = g.next() < 0.1 && key === 'a' ? '"\\u0061"' : JSON.stringify(key);
    members.push(`${ws()}${written}${ws()}:${ws()}${generate(g, depth - 1)}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * Draws `n` texts and hands each to `check` with its parse and the walk's answer; then asserts that texts with and
 * without a duplicate were each drawn at least `atLeast` times, so that the comparison means something.
 */
function eachDrawn(seed: number, n: number, atLeast: number, check: (text: string, parsed: unknown, walked: string | null, g: Rng) => void): void {
  const g = new Rng(seed);
  let duplicates = 0;
  for (let i = 0; i < n; i++) {
    const text = generate(g, 4);
    const walked = duplicateKeyProblem(text);
    check(text, JSON.parse(text) as unknown, walked, g);
    if (walked) duplicates++;
  }
  expect(duplicates).toBeGreaterThan(atLeast);
  expect(n - duplicates).toBeGreaterThan(atLeast);
}

describe('duplicate keys: the counted check agrees with the walk', () => {
  it('on 20,000 generated texts (a third of them holding a duplicate)', () => {
    eachDrawn(20261204, 20_000, 3_000, (text, parsed, walked) => expect(duplicateKeyProblem(text, parsed), text).toBe(walked));
  });

  it("with the scanner's count: as a trail's record and as a JSON Lines line, in chunks of any size", () => {
    eachDrawn(20261205, 5_000, 500, (text, parsed, walked, g) => {
      const chunk = 1 + Math.floor(g.next() * 40);
      // Between two other records, so that a count that leaked from a neighbour would show.
      const files: [file: string, neighbours: number[]][] = [[`{"Records":[{"x":{"y":1}},${text},{"z":":"}]}`, [2, 1]]];
      if (text.startsWith('{')) files.push([`{"q":1}\n${text.replace(/\n/g, ' ')}\n{"r":{"s":2}}\n`, [1, 2]]);
      for (const [file, neighbours] of files) {
        const seen: { text: string; colons: number | undefined }[] = [];
        const scanner = new JsonRecordScanner(
          { element: (_c, b, _i, _o, colons) => seen.push({ text: b.toString(), colons }), value: (b, _i, _o, colons) => seen.push({ text: b.toString(), colons }) },
          new Set(['Records']),
        );
        const bytes = Buffer.from(file);
        for (let at = 0; at < bytes.length; at += chunk) scanner.push(bytes.subarray(at, at + chunk));
        scanner.end();
        expect(seen.map((r) => r.text)).toHaveLength(3);
        if (file.startsWith('{"q"')) expect(scanner.jsonLines).toBe(true);
        const record = seen[1]!;
        expect(JSON.parse(record.text)).toEqual(parsed);
        expect(duplicateKeyProblem(record.text, JSON.parse(record.text), record.colons), file).toBe(walked);
        expect([seen[0]!.colons, seen[2]!.colons], file).toEqual(neighbours);
      }
    });
  });

  it('names the duplicate when a string starting with a colon makes the count ambiguous', () => {
    const text = '{"s":":x","a":1,"a":2}';
    expect(duplicateKeyProblem(text, JSON.parse(text))).toMatch(/^duplicate key "a"/);
    expect(duplicateKeyProblem('{"s":":x","a":1}', JSON.parse('{"s":":x","a":1}'))).toBeNull();
  });
});
