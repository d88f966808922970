// A small router over the History API: the console's pages live under
// /console/ and graft answers every such path with index.html.

import { useEffect, useState } from 'react';

export const base = '/console';

/** path is the location below /console, e.g. "/data/public/author/browse". */
export function currentPath(): string {
  const p = window.location.pathname;
  const rest = p.startsWith(base) ? p.slice(base.length) : p;
  return rest === '' ? '/' : rest;
}

export function href(path: string): string {
  return base + path;
}

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false) {
  if (replace) window.history.replaceState(null, '', href(path));
  else window.history.pushState(null, '', href(path));
  listeners.forEach((l) => l());
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const l = () => setPath(currentPath());
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return path;
}
