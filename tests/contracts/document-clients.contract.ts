import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentClientStore } from '../../src/db/document-store.js';
import { uniqueName } from '../helpers/services.js';
import type { OpenedDatabase } from './document-store.contract.js';

/**
 * The DocumentClientStore contract (Yjs client id -> user per document), run once per backend.
 * `open` must return a database on the same storage every time (the suite reopens it).
 */
export function documentClientsContract(name: string, open: () => Promise<OpenedDatabase>): void {
  describe(`DocumentClientStore contract: ${name}`, () => {
    let handle: OpenedDatabase | undefined;
    const store = (): DocumentClientStore => handle!.db.documentClients;
    const docName = () => `${uniqueName('p')}/${uniqueName('d')}`;
    const at = 1_700_000_000_000;

    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

    it('loads nothing for an unknown document', async () => {
      expect(await store().load(docName())).toEqual(new Map());
    });

    it('stores a batch and loads it per document', async () => {
      const a = docName();
      const b = docName();
      await store().record([
        { documentName: a, clientId: 1, userId: 'alice', seenAt: at },
        { documentName: a, clientId: 4_294_967_295, userId: 'bob', seenAt: at },
        { documentName: b, clientId: 1, userId: 'carol', seenAt: at },
      ]);
      expect(await store().load(a)).toEqual(new Map([[1, 'alice'], [4_294_967_295, 'bob']]));
      expect(await store().load(b)).toEqual(new Map([[1, 'carol']]));
    });

    it('is idempotent: the first user seen for a client id wins, duplicates in a batch are fine', async () => {
      const a = docName();
      await store().record([{ documentName: a, clientId: 7, userId: 'alice', seenAt: at }]);
      await store().record([
        { documentName: a, clientId: 7, userId: 'mallory', seenAt: at + 1 },
        { documentName: a, clientId: 8, userId: 'bob', seenAt: at + 1 },
        { documentName: a, clientId: 8, userId: 'bob', seenAt: at + 2 },
      ]);
      expect(await store().load(a)).toEqual(new Map([[7, 'alice'], [8, 'bob']]));
    });

    it('ignores an empty batch and invalid client ids', async () => {
      const a = docName();
      await store().record([]);
      await store().record([{ documentName: a, clientId: -1, userId: 'x', seenAt: at }, { documentName: a, clientId: 1.5, userId: 'x', seenAt: at }]);
      expect(await store().load(a)).toEqual(new Map());
    });

    it('claim stores the first claims and returns the stored owner of every claimed id, in one call', async () => {
      const a = docName();
      const b = docName();
      await store().record([{ documentName: a, clientId: 7, userId: 'alice', seenAt: at }]);
      const claims = await store().claim([
        { documentName: a, clientId: 7, userId: 'mallory', seenAt: at + 1 },
        { documentName: a, clientId: 8, userId: 'bob', seenAt: at + 1 },
        { documentName: a, clientId: 8, userId: 'eve', seenAt: at + 2 },
        { documentName: b, clientId: 7, userId: 'carol', seenAt: at + 1 },
        { documentName: b, clientId: 4_294_967_295, userId: 'dan', seenAt: at + 1 },
        { documentName: b, clientId: -1, userId: 'x', seenAt: at },
      ]);
      const byKey = (c: { documentName: string; clientId: number }) => `${c.documentName} ${c.clientId}`;
      expect([...claims].sort((x, y) => byKey(x).localeCompare(byKey(y)))).toEqual(
        [
          { documentName: a, clientId: 7, userId: 'alice' },
          { documentName: a, clientId: 8, userId: 'bob' },
          { documentName: b, clientId: 7, userId: 'carol' },
          { documentName: b, clientId: 4_294_967_295, userId: 'dan' },
        ].sort((x, y) => byKey(x).localeCompare(byKey(y))),
      );
      expect(await store().load(a)).toEqual(new Map([[7, 'alice'], [8, 'bob']]));
      expect(await store().load(b)).toEqual(new Map([[7, 'carol'], [4_294_967_295, 'dan']]));
      expect(await store().claim([])).toEqual([]);
    });

    it('concurrent claims of the same id agree on one owner, the stored one', async () => {
      const a = docName();
      const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
      const results = await Promise.all(users.map((userId) => store().claim([{ documentName: a, clientId: 42, userId, seenAt: at }])));
      const owners = new Set(results.map((r) => (r.length === 1 ? r[0]!.userId : 'missing')));
      expect(owners.size).toBe(1);
      const [owner] = owners;
      expect(users).toContain(owner);
      expect(await store().load(a)).toEqual(new Map([[42, owner]]));
    });

    it('survives close and reopen, and deleteDocument removes only that document', async () => {
      const a = docName();
      const b = docName();
      await store().record([{ documentName: a, clientId: 3, userId: 'alice', seenAt: at }, { documentName: b, clientId: 3, userId: 'bob', seenAt: at }]);
      await handle!.cleanup();
      handle = await open();
      expect(await store().load(a)).toEqual(new Map([[3, 'alice']]));
      await store().deleteDocument(a);
      expect(await store().load(a)).toEqual(new Map());
      expect(await store().load(b)).toEqual(new Map([[3, 'bob']]));
    });
  });
}
