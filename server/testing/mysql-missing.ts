/**
 * For `describe(…, { skip: await mysqlMissing() })`: false when the local MySQL/MariaDB answers, else why not
 * (under CI=true: an error instead).
 */
import mysql from 'mysql2/promise';
import { skipOrFail } from './skip-or-fail.js';

export async function mysqlMissing(): Promise<string | false> {
  try {
    const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root', connectTimeout: 2000 });
    await c.end();
    return false;
  } catch (e) {
    return skipOrFail(`no MySQL/MariaDB at 127.0.0.1:3306 (${(e as Error).message})`);
  }
}
