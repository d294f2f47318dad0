// The admin CLI's queries: rare, so built per call (no prepared-statement cache needed).
import { sql } from 'kysely';
import type { AdminStore, Channel, CustomerStatus } from '../domain/ports.js';
import type { DatabaseHandle } from './database.js';
import { toCustomer } from './store.js';

export function createAdminStore(handle: DatabaseHandle): AdminStore {
  const { db } = handle;
  const customers = () => db.selectFrom('customers').selectAll();

  return {
    async listCustomers({ status, limit }) {
      let query = customers().orderBy('id', 'desc').limit(limit);
      if (status !== undefined) query = query.where('status', '=', status);
      return (await query.execute()).map(toCustomer);
    },

    async findCustomerById(id) {
      const row = await customers().where('id', '=', id).executeTakeFirst();
      return row && toCustomer(row);
    },

    async findCustomerByIdentifier(channel: Channel, identifier: string) {
      const column = channel === 'phone' ? 'phone_e164' : 'email';
      const flag = channel === 'phone' ? 'phone_validate' : 'email_validate';
      const row = await customers().where(column, '=', identifier).where(flag, '=', sql.lit(1)).executeTakeFirst();
      return row && toCustomer(row);
    },

    async findCustomersByNational(national) {
      if (national.length === 0) return [];
      const rows = await customers().where('phone_national', 'in', national).where('phone_validate', '=', sql.lit(1)).orderBy('id').execute();
      return rows.map(toCustomer);
    },

    async setCustomerStatus(id: number, status: CustomerStatus, nowMs: number) {
      const row = await db.updateTable('customers').set({ status, updated_at: nowMs }).where('id', '=', id).returningAll().executeTakeFirst();
      // SQLite groups writes into one commit per event-loop turn: answer only once it is on disk.
      await handle.durable();
      return row && toCustomer(row);
    },
  };
}
