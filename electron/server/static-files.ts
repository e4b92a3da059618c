/**
 * Serving the built renderer (`renderer/dist`) without ever serving anything else: the loopback server and the
 * Electron `app://` protocol handler both resolve request paths here. A path is rejected before it touches the
 * filesystem if it holds a backslash, a NUL, a `..` or dot-file segment (raw or percent-encoded) or bad
 * percent-encoding; what remains is resolved under the root and the result must still be inside it, also after
 * following symlinks.
 */
import { promises as fs } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticPath = { ok: true; file: string } | { ok: false; status: 400 | 404 };

/**
 * Map a URL path (still percent-encoded, query already removed) to a file under `root`. Pure: no filesystem
 * access. `/` and any path ending in `/` mean its `index.html`.
 */
export function resolveStaticPath(root: string, rawPath: string): StaticPath {
  if (!rawPath.startsWith('/')) return { ok: false, status: 400 };
  // Refuse the encoded forms outright too, so no later decoding step can ever turn them into separators.
  if (/[\\\0]|%5c|%00/i.test(rawPath)) return { ok: false, status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (/[\\\0]/.test(decoded)) return { ok: false, status: 400 };
  const segments = decoded.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 400 };
  // Dot files (.env, .git, …) are never part of a renderer build.
  if (segments.some((s) => s.startsWith('.'))) return { ok: false, status: 404 };
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const base = resolve(root);
  const file = resolve(base, `.${relative}`);
  if (!file.startsWith(base + sep)) return { ok: false, status: 400 };
  return { ok: true, file };
}

export type StaticFile = { status: 200; body: Buffer; contentType: string; file: string } | { status: 400 | 404 };

/** Read the file a URL path names, or say why not. Only regular files whose real path stays inside `root`. */
export async function readStaticFile(root: string, rawPath: string): Promise<StaticFile> {
  const r = resolveStaticPath(root, rawPath);
  if (!r.ok) return { status: r.status };
  try {
    // Symlinks must not lead out either. (Inside an Electron asar archive realpath may be unsupported; the path
    // is then already checked above and the archive holds no links.)
    const base = resolve(root);
    const [realRoot, realFile] = await Promise.all([fs.realpath(base).catch(() => base), fs.realpath(r.file).catch(() => r.file)]);
    if (!realFile.startsWith(realRoot + sep)) return { status: 404 };
    const st = await fs.stat(realFile);
    if (!st.isFile()) return { status: 404 };
    return { status: 200, body: await fs.readFile(realFile), contentType: mimeType(realFile), file: realFile };
  } catch {
    return { status: 404 };
  }
}
