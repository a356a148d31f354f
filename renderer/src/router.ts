/** The views that exist. Hash history: works the same under app:// (Electron) and in browser mode. */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import ConnectView from './views/ConnectView.vue';
import NeuronsView from './views/NeuronsView.vue';

export interface NavEntry {
  path: string;
  label: string;
}

export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/connect' },
  { path: '/connect', component: ConnectView, meta: { label: 'Connect & Sync' } },
  { path: '/neurons', component: NeuronsView, meta: { label: 'Neurons' } },
  { path: '/rois', component: () => import('./views/RoisView.vue'), meta: { label: 'ROIs' } },
  // A body (what a neuron row opens): #/body/<id>[?with=<id>,…][&at=x,y,z]: with = more bodies drawn
  // together ("show all results"), at = the voxel the slice opens on.
  { path: '/body/:id(\\d+)', component: () => import('./views/BodyView.vue') },
];

export const navEntries: NavEntry[] = routes.filter((r) => r.meta?.label).map((r) => ({ path: r.path, label: String(r.meta!.label) }));

export function createAppRouter() {
  return createRouter({ history: createWebHashHistory(), routes });
}
