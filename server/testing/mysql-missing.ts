/** For `describe(…, { skip: await mysqlMissing() })`: false when the local MySQL/MariaDB answers, else why not. */
import mysql from 'mysql2/promise';

export async function mysqlMissing(): Promise<string | false> {
  try {
    const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root', connectTimeout: 2000 });
    await c.end();
    return false;
  } catch (e) {
    return `no MySQL/MariaDB at 127.0.0.1:3306 (${(e as Error).message})`;
  }
}
