/** The views that exist. Hash history: works the same under app:// (Electron) and in browser mode. */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import ConnectView from './views/ConnectView.vue';

export interface NavEntry {
  path: string;
  label: string;
}

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/connect' },
  { path: '/connect', component: ConnectView, meta: { label: 'Connect & Sync' } },
  // #/body/<id>[?with=<id>,<id>,…]: one body, or several drawn together ("show all results")
  { path: '/body/:id', component: () => import('./views/BodyView.vue') },
];

export const navEntries: NavEntry[] = routes.filter((r) => r.meta?.label).map((r) => ({ path: r.path, label: String(r.meta!.label) }));

export function createAppRouter() {
  return createRouter({ history: createWebHashHistory(), routes });
}
