/**
 * One node delivers a projection at a time: a lease in the projection's target database (a MySQL/MariaDB named
 * lock, or a PostgreSQL advisory lock), held on a connection of its own. The other nodes stand by instead of
 * queueing on the cursor row lock; when the holder dies (kill -9 included) its connection closes, the database
 * frees the lock and another node takes it at its next poll. The cursor row lock stays what keeps batches apart.
 */
import { MysqlNamedLock } from '../../server/change-feed/mysql-named-lock.js';
import { PgAdvisoryLease } from '../../server/change-feed/pg-advisory-lease.js';
import type { FeedLease } from '../../server/change-feed/lease.js';
import { dialectOf } from './sql-client.js';

export function projectionLease(targetUrl: string, projection: string): FeedLease {
  const name = `nilecare-projection-${projection}`;
  return dialectOf(targetUrl) === 'mysql'
    ? new MysqlNamedLock(targetUrl.replace(/^mariadb/, 'mysql'), name)
    : new PgAdvisoryLease(targetUrl, name);
}
