/**
 * The set-up the subscription integration tests share: a fresh PGlite store, the real app on it with subscriptions
 * on (50 ms fallback poll, 100 ms first retry) and a real HTTP receiver for rest-hook notifications. `env` adds to or
 * overrides those settings; it may be a function of the receiver (an allow-list naming the receiver's origin).
 * `close` stops everything and drops the store.
 */
import { pgliteTestStore } from '../../../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';
import type { AppOptions } from '../../../app.js';
import { startReceiver, type Receiver } from './receiver.js';

export type SubscriptionTestServer = { server: TestServer; receiver: Receiver; close(): Promise<void> };

export const SUBSCRIPTION_TEST_ENV = {
  NILECARE_SUBSCRIPTIONS: 'on',
  SUBSCRIPTION_POLL_MS: '50',
  SUBSCRIPTION_RETRY_BASE_MS: '100',
} as const;

export async function startSubscriptionTestServer(
  env: Record<string, string> | ((receiver: Receiver) => Record<string, string>) = {},
  resolveAccess?: AppOptions['resolveAccess'],
): Promise<SubscriptionTestServer> {
  const receiver = await startReceiver();
  const opened = await pgliteTestStore();
  let server: TestServer | undefined;
  const close = async () => {
    await receiver.close();
    await server?.close();
    await server?.app.store.close();
    await opened.dispose();
  };
  try {
    server = await startTestServer(opened.store, {
      env: { ...SUBSCRIPTION_TEST_ENV, ...(typeof env === 'function' ? env(receiver) : env) },
      ...(resolveAccess ? { resolveAccess } : {}),
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { server, receiver, close };
}
