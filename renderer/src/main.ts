import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import TokenNeeded from './views/TokenNeeded.vue';
import { startSession } from './api';
import { createAppRouter } from './router';
import './styles.css';

// The session must be established (browser mode: the #token= fragment traded for a cookie) before the
// router takes over the fragment.
const session = await startSession().catch(() => 'needs-token' as const);
if (session === 'ready') {
  createApp(App).use(createPinia()).use(createAppRouter()).mount('#app');
} else {
  createApp(TokenNeeded).mount('#app');
}
