/** The engine must stay runnable under plain Node: the lint rule that enforces it must keep firing. */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { REPO } from '../helpers/reference';

describe('layering lint rule', () => {
  const eslint = new ESLint({ cwd: REPO });

  it.each([
    ['electron/engine/probe.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['electron/cli/probe.ts', "import { ipcMain } from 'electron/main';\nexport const x = ipcMain;\n"],
    ['shared/probe.ts', "import React from 'react';\nexport const x = React;\n"],
  ])('rejects a UI or Electron import in %s', async (filePath, code) => {
    const [result] = await eslint.lintText(code, { filePath: `${REPO}/${filePath}` });
    expect(result!.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });

  it('accepts Node built-ins in the engine', async () => {
    const [result] = await eslint.lintText("import { join } from 'node:path';\nexport const x = join('a');\n", {
      filePath: `${REPO}/electron/engine/probe.ts`,
    });
    expect(result!.messages).toEqual([]);
  });
});
