import { openSqlClient } from '../sql-client.js';
const db = await openSqlClient('postgres://postgres@127.0.0.1:5432/test');
await db.transaction(async (tx) => { let t = Date.now(); for (let i = 0; i < 100; i++) { await tx.query('SAVEPOINT a'); await tx.query('RELEASE SAVEPOINT a'); } console.log('pg 100 savepoints', Date.now() - t); });
await db.close();
const my = await openSqlClient('mysql://root@127.0.0.1:3306/mysql');
await my.transaction(async (tx) => { let t = Date.now(); for (let i = 0; i < 100; i++) { await tx.query('SAVEPOINT a'); await tx.query('RELEASE SAVEPOINT a'); } console.log('my 100 savepoints', Date.now() - t); });
await my.close();
