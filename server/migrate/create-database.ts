import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine } from './connection.js';

/** Creates the database a url points at, if it does not exist yet (utf8mb4 on MySQL). Returns true when created. */
export async function createDatabaseIfMissing(engine: Engine, url: string): Promise<boolean> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new Error(`refusing to create database "${name}": use letters, digits and _`);
  switch (engine) {
    case 'mysql': {
      u.pathname = '/';
      const conn = await mysql.createConnection({ uri: u.toString() });
      try {
        const [rows] = await conn.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [name]);
        if ((rows as unknown[]).length > 0) return false;
        await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        return true;
      } finally {
        await conn.end();
      }
    }
    case 'postgres': {
      u.pathname = '/postgres';
      const client = new pg.Client({ connectionString: u.toString() });
      await client.connect();
      try {
        const res = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (res.rowCount) return false;
        await client.query(`CREATE DATABASE "${name}"`);
        return true;
      } finally {
        await client.end();
      }
    }
    default: {
      const never: never = engine;
      throw new Error(`unknown engine ${String(never)}`);
    }
  }
}
