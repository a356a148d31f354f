/// <reference types="vite/client" />
import type { DvidDeskApi } from '../../preload/api';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare global {
  interface Window {
    /** Present in Electron (exposed by preload); absent in browser mode. */
    dvidDesk?: DvidDeskApi;
  }
}
