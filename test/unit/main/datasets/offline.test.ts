import { describe, expect, it } from 'vitest';
import { offlineStaleNote } from '../../../../main/datasets/offline';

const UUID = 'b49d82479524aedcb01fbcd7b9fc4e4b';

describe('offlineStaleNote', () => {
  it('never marks a locked node (its data cannot change) or a node with nothing cached', () => {
    expect(offlineStaleNote({ locked: true, lastFetchedAt: 1 }, UUID, null)).toBeNull();
    expect(offlineStaleNote(null, UUID, '2026-01-01T00:00:00.000Z')).toBeNull();
  });

  it('marks an open node with the later of its last fetch and the last answer of the server', () => {
    const fetched = Date.parse('2026-01-02T03:04:05.000Z');
    expect(offlineStaleNote({ locked: false, lastFetchedAt: fetched }, UUID, '2026-01-01T00:00:00.000Z')).toBe(
      'node b49d8247 is open: edits made on the server since 2026-01-02T03:04:05.000Z cannot be seen until it answers again',
    );
    expect(offlineStaleNote({ locked: false, lastFetchedAt: fetched }, UUID, '2026-01-03T00:00:00.000Z')).toContain('since 2026-01-03T00:00:00.000Z');
    expect(offlineStaleNote({ locked: false, lastFetchedAt: null }, UUID, null)).toContain('since the last sync');
  });
});
