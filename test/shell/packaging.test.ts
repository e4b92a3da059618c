/**
 * Fuses are flipped at packaging time (electron-builder.yml → `electronFuses`, electron-builder's FuseOptionsV1,
 * https://www.electron.build/app-builder-lib.interface.fuseoptionsv1). The packaged binary cannot be built here,
 * so this reads the configuration: the keys are electron-builder's own (a typo would be silently ignored), and
 * the values are those of the security checklist (../shared/docs/security-research.md §1.3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared-data';

/** electron-builder's FuseOptionsV1 property names. */
const FUSE_OPTIONS_V1 = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
];

/**
 * The top-level scalar keys of a YAML file and one nested mapping of booleans — all this test needs, read strictly
 * (anything else inside the mapping fails loudly rather than being misread).
 */
export function readBuilderConfig(text: string, block: string): { top: Map<string, string>; mapping: Map<string, boolean> } {
  const top = new Map<string, string>();
  const mapping = new Map<string, boolean>();
  let inBlock = false;
  let seen = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trimEnd();
    if (!line.trim()) continue;
    const topLevel = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (topLevel) {
      inBlock = topLevel[1] === block;
      if (inBlock) {
        if (seen) throw new Error(`${block} appears twice`);
        seen = true;
        if (topLevel[2]) throw new Error(`${block} must be a block mapping`);
      }
      top.set(topLevel[1]!, topLevel[2]!);
      continue;
    }
    if (!inBlock) continue;
    const entry = /^ {2}([A-Za-z]\w*):\s*(true|false)$/.exec(line);
    if (!entry) throw new Error(`cannot read this line of ${block}: ${JSON.stringify(raw)}`);
    if (mapping.has(entry[1]!)) throw new Error(`${block}.${entry[1]} appears twice`);
    mapping.set(entry[1]!, entry[2] === 'true');
  }
  if (!seen) throw new Error(`no ${block} in the configuration`);
  return { top, mapping };
}

describe('electron-builder.yml', () => {
  const { top, mapping: fuses } = readBuilderConfig(readFileSync(join(REPO, 'electron-builder.yml'), 'utf8'), 'electronFuses');

  it("uses only electron-builder's documented fuse names", () => {
    expect([...fuses.keys()].filter((k) => !FUSE_OPTIONS_V1.includes(k))).toEqual([]);
  });

  it('turns off running as Node, NODE_OPTIONS and the inspector; turns on ASAR integrity and ASAR-only loading', () => {
    expect(fuses.get('runAsNode')).toBe(false);
    expect(fuses.get('enableNodeOptionsEnvironmentVariable')).toBe(false);
    expect(fuses.get('enableNodeCliInspectArguments')).toBe(false);
    expect(fuses.get('enableEmbeddedAsarIntegrityValidation')).toBe(true);
    expect(fuses.get('onlyLoadAppFromAsar')).toBe(true);
    expect(fuses.get('grantFileProtocolExtraPrivileges')).toBe(false);
  });

  it('packs the app into an ASAR archive (integrity validation has nothing to check otherwise)', () => {
    expect(top.get('asar')).toBe('true');
  });

  it('reads strictly', () => {
    expect(() => readBuilderConfig('a: 1\n', 'electronFuses')).toThrow(/no electronFuses/);
    expect(() => readBuilderConfig('electronFuses:\n  runAsNode: no\n', 'electronFuses')).toThrow(/cannot read/);
    expect(() => readBuilderConfig('electronFuses:\n  runAsNode: false\n  runAsNode: true\n', 'electronFuses')).toThrow(/twice/);
    expect(readBuilderConfig('electronFuses:\n  # c\n  runAsNode: false # off\nasar: true\n', 'electronFuses').mapping.get('runAsNode')).toBe(false);
  });
});
