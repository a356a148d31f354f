/** A typed event bus for the contract's main → renderer events; both bridges subscribe to it. */
import { EventEmitter } from 'node:events';
import type { DvidDeskEvents, EventName } from '../preload/api';

export class AppEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Each open window / SSE client holds one listener per event; dozens are normal.
    this.#emitter.setMaxListeners(0);
  }

  emit<E extends EventName>(event: E, payload: DvidDeskEvents[E]): void {
    this.#emitter.emit(event, payload);
  }

  on<E extends EventName>(event: E, listener: (payload: DvidDeskEvents[E]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }
}
