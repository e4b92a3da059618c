/**
 * The loopback server's access token arrives once, in the page URL (`?token=…`). It is moved to sessionStorage
 * (survives a reload of this tab, dies with it) and taken out of the address bar, so it is not left in history,
 * bookmarks or a screenshot.
 */
export const TOKEN_KEY = 'podtrail.token';

/** The token in `href`, and `href` without it. Pure. */
export function splitToken(href: string): { token: string | null; cleanHref: string } {
  const url = new URL(href);
  const token = url.searchParams.get('token');
  if (token === null) return { token: null, cleanHref: href };
  url.searchParams.delete('token');
  return { token: token || null, cleanHref: url.toString() };
}

export interface TokenHost {
  location: { href: string };
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'>;
  history: Pick<History, 'replaceState' | 'state'>;
}

export function takeToken(w: TokenHost): string | null {
  const { token, cleanHref } = splitToken(w.location.href);
  if (token !== null) {
    w.sessionStorage.setItem(TOKEN_KEY, token);
    w.history.replaceState(w.history.state, '', cleanHref);
    return token;
  }
  return w.sessionStorage.getItem(TOKEN_KEY);
}
