import { useEffect, useState } from 'react';

export type Route =
  | { view: 'library' }
  | { view: 'training' }
  | { view: 'map' }
  | { view: 'photo'; imageId: number | null }
  | { view: 'duplicates' }
  | { view: 'export' };

/** Routes live in the hash (`#/photo/12`): back and forward work, and the page never navigates away. */
export function parseRoute(hash: string): Route {
  const [, view, arg] = hash.replace(/^#/, '').split('/');
  switch (view) {
    case 'training':
    case 'map':
    case 'duplicates':
    case 'export':
      return { view };
    case 'photo':
      return { view: 'photo', imageId: Number(arg) || null };
    default:
      return { view: 'library' };
  }
}

export function href(route: Route): string {
  return route.view === 'photo' && route.imageId ? `#/photo/${route.imageId}` : `#/${route.view}`;
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
